//! The `ask` step's tests: answer types, re-asks, timeouts, ports and config checks.

#![allow(clippy::unwrap_used)]

use super::super::testing::*;
use super::*;
use crate::machine::Next;

fn ask(v: Value) -> super::super::StepConfig {
    config("ask", v)
}

fn reply(text: &str) -> Input {
    Input::Reply { message: InboundMessage::text(text) }
}

fn state_of(t: &Transition) -> Value {
    match &t.next {
        Next::Wait { state, .. } => state.clone(),
        other => panic!("expected a wait, got {other:?}"),
    }
}

#[test]
fn choice_question_sends_buttons_and_routes_by_option() {
    let c = ask(
        json!({"type": "choice", "text": "Topic?", "options": [{"label": "Billing"}, {"id": "human", "label": "Talk to a person", "tag": "wants-human"}]}),
    );
    let vars = json!({});
    let t = with_ctx(&vars, &[], 1, |ctx| c.behaviour().start(ctx));
    match &t.effects[0] {
        Effect::SendMessage { message } => {
            assert_eq!(message.text, "Topic?");
            let payloads: Vec<&str> = message.quick_replies.iter().map(|q| q.payload.as_str()).collect();
            assert_eq!(payloads, vec!["billing", "human"]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        t.next,
        Next::Wait { wait: Wait::Reply { timeout_at: None }, state: json!({"invalid": 0, "timeout_at": null}) }
    );
    let state = state_of(&t);
    let t = with_ctx(&vars, &[], 1, |ctx| c.behaviour().resume(&state, &reply("2"), ctx));
    assert_eq!(port(&t), "human");
    assert_eq!(output(&t, "answer"), Some(&json!("human")));
    assert_eq!(output(&t, "label"), Some(&json!("Talk to a person")));
    assert!(t.effects.contains(&Effect::UpdateTags { add: vec!["wants-human".into()], remove: vec![] }));
    let press = Input::Reply { message: InboundMessage::button("billing", "Billing") };
    let t = with_ctx(&vars, &[], 1, |ctx| c.behaviour().resume(&state, &press, ctx));
    assert_eq!(port(&t), "billing");
}

#[test]
fn invalid_answers_retry_then_leave_by_invalid() {
    let c = ask(
        json!({"type": "email", "text": "Email?", "retries": 1, "invalid_message": "Hmm, {{contact.first_name}}?"}),
    );
    let vars = json!({"contact": {"first_name": "Ana"}});
    let start = with_ctx(&vars, &[], 1, |ctx| c.behaviour().start(ctx));
    let t = with_ctx(&vars, &[], 1, |ctx| c.behaviour().resume(&state_of(&start), &reply("nope"), ctx));
    assert_eq!(sent_text(&t), Some("Hmm, Ana?"));
    assert_eq!(output(&t, "error"), Some(&json!("not a valid email address")));
    let t = with_ctx(&vars, &[], 1, |ctx| c.behaviour().resume(&state_of(&t), &reply("still nope"), ctx));
    assert_eq!(port(&t), "invalid");
    assert_eq!(output(&t, "attempts"), Some(&json!(2)));
}

#[test]
fn valid_answers_are_recorded_and_saved() {
    let c = ask(json!({"type": "email", "text": "Email?", "save_to": "email"}));
    let vars = json!({});
    let t =
        with_ctx(&vars, &[], 1, |ctx| c.behaviour().resume(&json!({"invalid": 0}), &reply(" ana@example.com "), ctx));
    assert_eq!(port(&t), "answered");
    assert_eq!(output(&t, "answer"), Some(&json!("ana@example.com")));
    let mut set = Map::new();
    set.insert("email".into(), json!("ana@example.com"));
    assert!(t.effects.contains(&Effect::UpdateFields { set }));
}

#[test]
fn rating_accepts_stars_and_buttons() {
    let c = ask(json!({"type": "rating", "text": "Rate us"}));
    let vars = json!({});
    let start = with_ctx(&vars, &[], 1, |ctx| c.behaviour().start(ctx));
    match &start.effects[0] {
        Effect::SendMessage { message } => {
            assert_eq!(message.quick_replies.len(), 5);
            assert_eq!(message.quick_replies[4].title, "★★★★★");
            assert_eq!(message.quick_replies[4].payload, "5");
        }
        other => panic!("{other:?}"),
    }
    for (input, expected) in [("★★★★★", 5), ("4/5", 4), ("1", 1)] {
        let t = with_ctx(&vars, &[], 1, |ctx| c.behaviour().resume(&json!({}), &reply(input), ctx));
        assert_eq!(output(&t, "answer"), Some(&json!(expected)), "{input}");
    }
    let press = Input::Reply { message: InboundMessage::button("2", "★★") };
    let t = with_ctx(&vars, &[], 1, |ctx| c.behaviour().resume(&json!({}), &press, ctx));
    assert_eq!(output(&t, "answer"), Some(&json!(2)));
}

#[test]
fn number_date_and_location_answers() {
    let vars = json!({});
    let n = ask(json!({"type": "number", "text": "How many?", "min": 1, "max": 10, "integer": true}));
    let t = with_ctx(&vars, &[], 1, |ctx| n.behaviour().resume(&json!({}), &reply("7"), ctx));
    assert_eq!(output(&t, "answer"), Some(&json!(7)));
    let t = with_ctx(&vars, &[], 1, |ctx| n.behaviour().resume(&json!({}), &reply("11"), ctx));
    assert!(matches!(t.next, Next::Wait { .. }));
    let d = ask(json!({"type": "date", "text": "When?"}));
    let t = with_ctx(&vars, &[], 1, |ctx| d.behaviour().resume(&json!({}), &reply("tomorrow"), ctx));
    assert_eq!(output(&t, "answer"), Some(&json!("2026-11-22")));
    let l = ask(json!({"type": "location", "text": "Where?"}));
    let t = with_ctx(&vars, &[], 1, |ctx| l.behaviour().resume(&json!({}), &reply("52.52, 13.405"), ctx));
    assert_eq!(output(&t, "answer"), Some(&json!({"lat": 52.52, "lon": 13.405})));
}

#[test]
fn timeout_keeps_its_deadline_across_retries() {
    let c = ask(json!({"type": "text", "text": "Name?", "timeout": "1h", "min_length": 2}));
    let vars = json!({});
    let start = with_ctx(&vars, &[], 1, |ctx| c.behaviour().start(ctx));
    let deadline = now() + chrono::Duration::hours(1);
    assert_eq!(
        start.next,
        Next::Wait {
            wait: Wait::Reply { timeout_at: Some(deadline) },
            state: json!({"invalid": 0, "timeout_at": deadline})
        }
    );
    let later = now() + chrono::Duration::minutes(30);
    let retry = with_ctx_at(&vars, &[], 1, later, |ctx| c.behaviour().resume(&state_of(&start), &reply("x"), ctx));
    assert!(matches!(&retry.next, Next::Wait { wait: Wait::Reply { timeout_at: Some(t) }, .. } if *t == deadline));
    let t = with_ctx(&vars, &[], 1, |ctx| c.behaviour().resume(&state_of(&retry), &Input::TimerFired, ctx));
    assert_eq!(port(&t), "timeout");
}

#[test]
fn ports_follow_the_config() {
    let c = ask(
        json!({"type": "choice", "text": "?", "options": [{"label": "Sí, claro"}, {"label": "2 days"}], "timeout": "1d"}),
    );
    let names: Vec<String> = c.behaviour().ports().into_iter().map(|p| p.name).collect();
    assert_eq!(names, vec!["si_claro", "option_2_days", "invalid", "timeout", "failure"]);
    let c = ask(json!({"type": "text", "text": "?"}));
    let names: Vec<String> = c.behaviour().ports().into_iter().map(|p| p.name).collect();
    assert_eq!(names, vec!["answered", "invalid", "failure"]);
    assert!(super::slug(&"very long label ".repeat(10)).len() <= 64);
}

#[test]
fn without_buttons_options_are_numbered() {
    let c = ask(
        json!({"type": "choice", "text": "Topic?", "buttons": false, "options": [{"label": "Billing"}, {"label": "Other"}]}),
    );
    let vars = json!({});
    let t = with_ctx(&vars, &[], 1, |ctx| c.behaviour().start(ctx));
    assert_eq!(sent_text(&t), Some("Topic?\n1. Billing\n2. Other"));
    let t = with_ctx(&vars, &[], 1, |ctx| c.behaviour().resume(&json!({}), &reply("2"), ctx));
    assert_eq!(port(&t), "other");
}

#[test]
fn contact_text_is_never_read_as_a_template() {
    let c = ask(json!({"type": "number", "text": "?", "invalid_message": "Not a number: {{steps.s.error}}"}));
    // Whatever the contact typed ends up in the reply verbatim, braces and all.
    let vars = json!({"steps": {"s": {"error": "{{ 1/0 }}"}}});
    let t = with_ctx(&vars, &[], 1, |ctx| c.behaviour().resume(&json!({}), &reply("{{contact.id}}"), ctx));
    assert_eq!(sent_text(&t), Some("Not a number: {{ 1/0 }}"));
}

#[test]
fn a_question_that_cannot_be_sent_does_not_wait_forever() {
    let c = ask(json!({"type": "text", "text": "?"}));
    let failed = Input::Outcome { outcome: Outcome::SendFailed { reason: "contact opted out".into() } };
    let t = with_ctx(&json!({}), &[], 1, |ctx| c.behaviour().resume(&json!({}), &failed, ctx));
    assert!(matches!(&t.next, Next::Fail { reason } if reason.contains("opted out")));
    let t = with_ctx(&json!({}), &["failure"], 1, |ctx| c.behaviour().resume(&json!({}), &failed, ctx));
    assert_eq!(port(&t), "failure");
}

#[test]
fn checks_catch_bad_configs() {
    let mut options = Vec::new();
    for i in 0..11 {
        options.push(json!({"label": format!("Option {i}")}));
    }
    let c = ask(json!({"type": "choice", "text": "?", "options": options}));
    let mut out = Vec::new();
    c.behaviour().check(&mut out);
    assert_eq!(out.iter().map(|d| d.code).collect::<Vec<_>>(), vec![Code::TooMany]);
    let c = ask(json!({"type": "number", "text": "?", "min": 5, "max": 1, "timeout": "60d"}));
    let mut out = Vec::new();
    c.behaviour().check(&mut out);
    assert_eq!(out.len(), 2);
}
