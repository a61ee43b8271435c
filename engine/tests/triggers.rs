//! Every trigger kind, the loop guard, business hours across a daylight-saving change, cron
//! schedules, the private-address guard of the HTTP step, and journal replay — driven
//! through the engine with an injected clock.

mod common;

use common::*;
use serde_json::json;
use switchboard::runtime::{ContactRef, Event, EventKind};

fn tag(contact: i64, tag: &str, added: bool) -> Event {
    Event::new(EventKind::TagUpdated { contact: ContactRef::Id(contact), tag: tag.into(), added })
}

const TAG_PING: &str = r#"
schema: 1
id: ping
name: Ping
trigger: { type: tag_updated, tag: ping, action: added }
start: pong
steps:
  pong: { kind: update_tags, add: [pong], remove: [ping] }
"#;

const TAG_PONG: &str = r#"
schema: 1
id: pong
name: Pong
trigger: { type: tag_updated, tag: pong, action: added }
start: ping
steps:
  ping: { kind: update_tags, add: [ping], remove: [pong] }
"#;

#[tokio::test]
async fn tag_triggers_start_flows_and_the_loop_guard_stops_ping_pong() {
    let (engine, _clock) = engine_at("2026-11-23T10:00:00Z").await;
    engine.publish(TAG_PING).await.expect("ping");
    engine.publish(TAG_PONG).await.expect("pong");
    let ana = engine.handle(says("ana", "hi")).await.expect("hi").contact_id.expect("contact");
    let handled = engine.handle(tag(ana, "ping", true)).await.expect("tag");
    // ping → adds pong → pong starts → adds ping → ping would start again: guarded.
    assert_eq!(handled.started.len(), 2);
    assert_eq!(handled.loop_guarded, vec!["ping"]);
    let runs = engine.runs_of_contact(ana).await.expect("runs");
    assert!(runs.iter().all(|r| r.status == "completed"));
    // Removing a tag does not fire an `added` trigger.
    assert!(engine.handle(tag(ana, "ping", false)).await.expect("untag").started.is_empty());
}

#[tokio::test]
async fn field_triggers_see_old_and_new_values() {
    let (engine, _clock) = engine_at("2026-11-23T10:00:00Z").await;
    engine
        .publish(
            r#"
schema: 1
id: upgrade
name: Upgrade
trigger:
  type: field_updated
  field: fields.plan
  conditions: { field: trigger.new_value, op: eq, value: gold }
start: thanks
steps:
  thanks: { kind: send_message, text: 'From {{trigger.old_value}} to {{trigger.new_value}}: thank you!' }
"#,
        )
        .await
        .expect("publish");
    let ana = engine.handle(says("ana", "hi")).await.expect("hi").contact_id.expect("contact");
    let set = |value: &str| {
        Event::new(EventKind::FieldUpdated {
            contact: ContactRef::Id(ana),
            field: "fields.plan".into(),
            value: json!(value),
        })
    };
    assert!(engine.handle(set("silver")).await.expect("silver").started.is_empty(), "condition not met");
    assert_eq!(engine.handle(set("gold")).await.expect("gold").started.len(), 1);
    assert!(engine.handle(set("gold")).await.expect("same").started.is_empty(), "no change, no trigger");
    flush(&engine).await;
    assert_eq!(sent(&engine, ana).await, vec!["From silver to gold: thank you!"]);
    let bad = Event::new(EventKind::FieldUpdated {
        contact: ContactRef::Id(ana),
        field: "shoe_size".into(),
        value: json!(1),
    });
    assert!(engine.handle(bad).await.is_err_and(|e| e.to_string().contains("not a contact field")));
}

#[tokio::test]
async fn a_shortcut_with_its_form_escalates_and_refuses_bad_presses() {
    let (engine, _clock) = engine_at("2026-11-23T10:00:00Z").await;
    engine.publish(&reference("escalation-shortcut")).await.expect("publish");
    engine.upsert_agent(&agent("bob", &["support"], true)).await.expect("bob");
    engine.upsert_agent(&agent("sue", &["supervisors"], true)).await.expect("sue");
    let ana = engine.handle(says("ana", "this is the third time!")).await.expect("hi").contact_id.expect("contact");
    let press = |form: serde_json::Value| {
        Event::new(EventKind::Shortcut {
            contact: ContactRef::Id(ana),
            workflow: "escalation-shortcut".into(),
            agent_id: "bob".into(),
            form: serde_json::from_value(form).expect("form"),
        })
    };
    let missing = engine.handle(press(json!({"priority": "urgent"}))).await;
    assert!(missing.is_err_and(|e| e.to_string().contains("`reason` (Reason) is required")));
    let run = engine
        .handle(press(json!({"reason": "Angry customer", "priority": "urgent", "details": "3rd contact"})))
        .await
        .expect("press")
        .started[0];
    flush(&engine).await;
    let info = engine.run(run).await.expect("run");
    assert_eq!(info.status, "completed");
    assert_eq!(json(&info.vars, "steps.how_urgent.branch"), json!("urgent"));
    assert_eq!(sent(&engine, ana).await, vec!["A senior colleague, Agent SUE, is taking over your conversation."]);
    let note: String = sqlx::query_scalar("SELECT text FROM messages WHERE direction = 'note' ORDER BY id LIMIT 1")
        .fetch_one(engine.pool())
        .await
        .expect("note");
    assert_eq!(note, "Agent BOB escalated (URGENT): Angry customer. 3rd contact");

    engine.stop("escalation-shortcut", false).await.expect("stop");
    let stopped = engine.handle(press(json!({"reason": "Other", "priority": "high"}))).await;
    assert!(stopped.is_err_and(|e| e.to_string().contains("not published (or is stopped)")));
}

#[tokio::test]
async fn webhooks_find_their_contact_in_the_payload() {
    let (engine, _clock) = engine_at("2026-11-23T10:00:00Z").await;
    engine
        .publish(
            r#"
schema: 1
id: order-shipped
name: Order shipped
trigger: { type: webhook, contact_key: phone, contact_path: $.customer.phone }
start: notify
steps:
  notify: { kind: send_message, text: 'Order {{trigger.payload.order.id}} is on its way.' }
"#,
        )
        .await
        .expect("publish");
    let hook =
        |payload: serde_json::Value| Event::new(EventKind::Webhook { workflow: "order-shipped".into(), payload });
    let handled = engine
        .handle(hook(json!({"customer": {"phone": "+4915112345678"}, "order": {"id": "A-17"}})))
        .await
        .expect("hook");
    let contact = handled.contact_id.expect("contact");
    flush(&engine).await;
    assert_eq!(sent(&engine, contact).await, vec!["Order A-17 is on its way."]);
    let again = engine
        .handle(hook(json!({"customer": {"phone": "+4915112345678"}, "order": {"id": "A-18"}})))
        .await
        .expect("again");
    assert_eq!(again.contact_id, Some(contact), "the same phone is the same contact");
    let bad = engine.handle(hook(json!({"order": {"id": "A-19"}}))).await;
    assert!(bad.is_err_and(|e| e.to_string().contains("no contact at `$.customer.phone`")));

    // A phone held as an attribute by two contacts (anyone with an integration token can
    // copy someone's phone onto a contact of their own) addresses neither: refused, not guessed.
    for who in ["vera", "spy"] {
        let id = engine.handle(says(who, "hi")).await.expect(who).contact_id.expect("id");
        let set =
            EventKind::FieldUpdated { contact: ContactRef::Id(id), field: "phone".into(), value: json!("+4930123456") };
        engine.handle(Event::new(set)).await.expect("phone");
    }
    let ambiguous = engine.handle(hook(json!({"customer": {"phone": "+4930123456"}, "order": {"id": "B-1"}}))).await;
    assert!(ambiguous.is_err_and(|e| e.to_string().contains("several contacts have this phone")));
}

const CALLER: &str = r#"
schema: 1
id: caller
name: Caller
trigger: { type: message_received, keywords: [call] }
start: start_callee
steps:
  start_callee:
    kind: trigger_workflow
    workflow: callee
    vars: { reason: '{{trigger.message.text}}' }
    next: { next: done, failure: refused }
  done: { kind: send_message, text: 'Started run {{steps.start_callee.run_id}}' }
  refused: { kind: send_message, text: 'Could not start: {{steps.start_callee.error}}' }
"#;

const CALLEE: &str = r#"
schema: 1
id: callee
name: Callee
trigger: { type: manual }
start: hello
steps:
  hello: { kind: send_message, text: 'Called because: {{trigger.vars.reason}}', next: { next: back } }
  back: { kind: trigger_workflow, workflow: callee, next: { failure: guarded } }
  guarded: { kind: add_comment, text: '{{steps.back.error}}' }
"#;

#[tokio::test]
async fn trigger_workflow_passes_variables_and_cannot_call_itself() {
    let (engine, _clock) = engine_at("2026-11-23T10:00:00Z").await;
    engine.publish(CALLER).await.expect("caller");
    let refused = engine.handle(says("ana", "call now")).await.expect("call");
    let ana = refused.contact_id.expect("contact");
    flush(&engine).await;
    assert_eq!(sent(&engine, ana).await, vec!["Could not start: workflow `callee` is not published"]);

    engine.publish(CALLEE).await.expect("callee");
    let handled = engine.handle(says("ana", "call again")).await.expect("call");
    assert_eq!(handled.started.len(), 2);
    assert_eq!(handled.loop_guarded, vec!["callee"]);
    flush(&engine).await;
    let texts = sent(&engine, ana).await;
    // The caller goes on at once; the callee runs next in the same transaction.
    assert_eq!(texts[1..], [format!("Started run {}", handled.started[1]), "Called because: call again".to_owned()]);
    let note: String = sqlx::query_scalar("SELECT text FROM messages WHERE direction = 'note'")
        .fetch_one(engine.pool())
        .await
        .expect("note");
    assert!(note.starts_with("loop guard: `callee` is already part of this chain"), "{note}");
}

#[tokio::test]
async fn pre_chat_routing_falls_back_when_the_crm_cannot_be_reached() {
    // The CRM host does not resolve here; the HTTP step leaves by `failure` and the flow
    // routes on the topic alone, to the Spanish support team.
    let (engine, _clock) = engine_at("2026-11-23T10:00:00Z").await;
    engine.publish(&reference("pre-chat-routing")).await.expect("publish");
    engine.upsert_agent(&agent("eva", &["support-es"], true)).await.expect("eva");
    let opened = engine.handle(says("ana", "hola")).await.expect("hola");
    assert_eq!(opened.started.len(), 1, "conversation opened starts the survey");
    let run = opened.started[0];
    engine.handle(says("ana", "español")).await.expect("language");
    engine.handle(presses("ana", "support", "Technical help")).await.expect("topic");
    for _ in 0..3 {
        flush(&engine).await;
    }
    let info = engine.run(run).await.expect("run");
    assert_eq!(info.status, "completed", "{info:?}");
    assert_eq!(json(&info.vars, "steps.lookup.status"), json!(null));
    assert_eq!(json(&info.vars, "steps.by_topic.branch"), json!("else"));
    assert_eq!(json(&info.vars, "steps.assign_support.agent_id"), json!("eva"));
    let language: Option<String> = sqlx::query_scalar("SELECT language FROM contacts WHERE id = $1")
        .bind(info.contact_id)
        .fetch_one(engine.pool())
        .await
        .expect("lang");
    assert_eq!(language.as_deref(), Some("es"));
}

#[tokio::test]
async fn the_http_step_refuses_private_addresses_by_default() {
    let (engine, _clock) = engine_at("2026-11-23T10:00:00Z").await;
    let (receiver, url) = Receiver::start().await;
    engine
        .publish(&format!(
            r#"
schema: 1
id: internal
name: Internal call
trigger: {{ type: message_received }}
start: crm
steps:
  crm: {{ kind: http, method: POST, url: '{url}/crm', next: {{ failure: oops, success: fine }} }}
  oops: {{ kind: send_message, text: '{{{{steps.crm.error}}}}' }}
  fine: {{ kind: send_message, text: fine }}
"#
        ))
        .await
        .expect("publish");
    let ana = engine.handle(says("ana", "hi")).await.expect("hi").contact_id.expect("contact");
    flush(&engine).await;
    flush(&engine).await;
    let texts = sent(&engine, ana).await;
    assert_eq!(texts.len(), 1);
    assert!(texts[0].contains("private address") || texts[0].contains("loopback"), "{texts:?}");
    assert!(receiver.requests().is_empty(), "nothing reached the loopback receiver");
}

const OPENS_MONDAY: &str = r#"
schema: 1
id: callback
name: Call back when open
trigger: { type: manual }
start: hours
steps:
  hours:
    kind: business_hours
    timezone: Europe/Berlin
    hours: { mon: ["09:00-17:00"], tue: ["09:00-17:00"], wed: ["09:00-17:00"], thu: ["09:00-17:00"], fri: ["09:00-17:00"] }
    wait_until_open: true
    next: { in_hours: open }
  open: { kind: send_message, text: "We're open, calling you back now." }
"#;

#[tokio::test]
async fn business_hours_wait_across_the_autumn_clock_change() {
    // Friday 2026-10-23 18:00 in Berlin (CEST, UTC+2). Clocks go back on Sunday the 25th, so
    // Monday 09:00 is 08:00 UTC, not 07:00.
    let (engine, clock) = engine_at("2026-10-23T16:00:00Z").await;
    engine.publish(OPENS_MONDAY).await.expect("publish");
    let ana = engine.handle(says("ana", "hi")).await.expect("hi").contact_id.expect("contact");
    let manual = Event::new(EventKind::Manual {
        workflow: "callback".into(),
        contact: ContactRef::Id(ana),
        vars: Default::default(),
    });
    let run = engine.handle(manual).await.expect("start").started[0];
    let due = engine.next_timer_due().await.expect("timer").expect("a timer");
    assert_eq!(due.to_rfc3339(), "2026-10-26T08:00:00+00:00");
    clock.set("2026-10-26T07:59:59Z".parse().expect("time"));
    assert_eq!(engine.fire_due_timers(10).await.expect("fire"), 0);
    clock.set("2026-10-26T08:00:00Z".parse().expect("time"));
    assert_eq!(engine.fire_due_timers(10).await.expect("fire"), 1);
    flush(&engine).await;
    assert_eq!(sent(&engine, ana).await, vec!["We're open, calling you back now."]);
    assert_eq!(engine.run(run).await.expect("run").status, "completed");
}

#[tokio::test]
async fn the_away_message_answers_only_outside_hours_and_once_per_cooldown() {
    let (engine, clock) = engine_at("2026-11-21T16:30:00Z").await; // Saturday 17:30 Berlin: closed
    engine.publish(&reference("away-message")).await.expect("publish");
    let ana = engine.handle(says("ana", "hello?")).await.expect("m").contact_id.expect("contact");
    engine.handle(says("ana", "anyone?")).await.expect("m2");
    flush(&engine).await;
    assert_eq!(sent(&engine, ana).await.len(), 1, "the cooldown drops the second trigger");
    clock.set("2026-11-23T09:00:00Z".parse().expect("time")); // Monday 10:00: open
    engine.fire_due_timers(10).await.expect("cooldown ends");
    engine.handle(says("ana", "back again")).await.expect("m3");
    flush(&engine).await;
    assert_eq!(sent(&engine, ana).await.len(), 1, "no away message in business hours");
}

#[tokio::test]
async fn a_cron_schedule_fires_for_matching_contacts_in_the_workspace_timezone() {
    let (engine, clock) = engine_at("2026-11-22T12:00:00Z").await; // Sunday
    let ana = engine.handle(says("ana", "hi")).await.expect("hi").contact_id.expect("ana");
    let bea = engine.handle(says("bea", "hi")).await.expect("hi").contact_id.expect("bea");
    engine.handle(tag(ana, "vip", true)).await.expect("vip");
    engine
        .publish(
            r#"
schema: 1
id: morning
name: Monday morning
trigger:
  type: schedule
  cron: "0 9 * * MON-FRI"
  conditions: { field: contact.tags, op: contains, value: vip }
start: hi
steps:
  hi: { kind: send_message, text: 'Good morning ({{trigger.fired_at}})' }
"#,
        )
        .await
        .expect("publish");
    let next = engine.next_schedule_due().await.expect("due").expect("scheduled");
    assert_eq!(next.to_rfc3339(), "2026-11-23T08:00:00+00:00", "09:00 in Berlin");
    assert_eq!(engine.fire_due_schedules().await.expect("early"), 0);
    clock.set("2026-11-23T08:00:00Z".parse().expect("time"));
    assert_eq!(engine.fire_due_schedules().await.expect("fire"), 1);
    assert_eq!(engine.fire_due_schedules().await.expect("again"), 0, "once per firing");
    flush(&engine).await;
    assert_eq!(sent(&engine, ana).await, vec!["Good morning (2026-11-23T08:00:00+00:00)"]);
    assert!(sent(&engine, bea).await.is_empty());
    let next = engine.next_schedule_due().await.expect("due").expect("scheduled");
    assert_eq!(next.to_rfc3339(), "2026-11-24T08:00:00+00:00");
}

#[tokio::test]
async fn the_journal_rebuilds_every_run_and_explains_waiting_runs() {
    let (engine, _clock) = engine_at("2026-11-23T10:00:00Z").await;
    engine.publish(&reference("faq-menu")).await.expect("faq");
    engine.publish(&reference("csat")).await.expect("csat");
    let mut runs = Vec::new();
    for (name, answer) in [("ana", "1"), ("bea", "talk to a person"), ("cai", "nonsense")] {
        runs.extend(engine.handle(says(name, "menu")).await.expect("menu").started);
        engine.handle(says(name, answer)).await.expect("answer");
    }
    runs.extend(engine.handle(closes("ana", "agent:x", "done")).await.expect("close").started);
    flush(&engine).await;
    for run in runs {
        let snapshot = engine.run(run).await.expect("run");
        let rebuilt = engine.rebuild(run).await.expect("rebuild");
        assert_eq!(rebuilt.status, snapshot.status, "run {run}");
        assert_eq!(rebuilt.step, snapshot.step, "run {run}");
        assert_eq!(rebuilt.vars, snapshot.vars, "run {run}");
        if snapshot.status == "waiting" {
            let why = snapshot.waiting.expect("why waiting");
            assert!(why["reason"].as_str().is_some_and(|r| r.starts_with("waiting")), "{why}");
        }
    }
}

#[tokio::test]
async fn a_cron_that_runs_out_of_firings_is_removed() {
    let (engine, clock) = engine_at("2026-12-31T10:00:00Z").await;
    engine
        .publish("schema: 1\nid: once\nname: Once\ntrigger: { type: schedule, cron: '0 0 9 1 1 * 2027' }\nstart: hi\nsteps:\n  hi: { kind: add_comment, text: x }\n")
        .await
        .expect("publish");
    assert!(engine.next_schedule_due().await.expect("due").is_some());
    clock.set("2027-01-01T09:00:00Z".parse().expect("time"));
    engine.fire_due_schedules().await.expect("fire");
    assert_eq!(engine.next_schedule_due().await.expect("due"), None, "no firing left, no schedule row");
}

#[tokio::test]
async fn trigger_conditions_see_the_weekday() {
    let (engine, _clock) = engine_at("2026-11-23T10:00:00Z").await; // a Monday
    engine
        .publish("schema: 1\nid: monday\nname: Monday\ntrigger: { type: message_received, conditions: { field: system.weekday, op: eq, value: mon } }\nstart: hi\nsteps:\n  hi: { kind: send_message, text: 'Happy Monday' }\n")
        .await
        .expect("publish");
    assert_eq!(engine.handle(says("ana", "hello")).await.expect("hello").started.len(), 1);
}

/// The system lines of a contact's history.
async fn system_lines(engine: &switchboard::runtime::Engine, contact_id: i64) -> Vec<String> {
    engine
        .transcript(contact_id)
        .await
        .expect("transcript")
        .iter()
        .filter(|m| m["direction"] == "system")
        .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The value of one line of the metrics (`name{labels}`), if present.
async fn metric(engine: &switchboard::runtime::Engine, line: &str) -> Option<f64> {
    let text = engine.metrics().await.expect("metrics");
    text.lines().find_map(|l| l.strip_prefix(line).and_then(|rest| rest.trim().parse().ok()))
}

/// A guarded start is visible where ops look: a system line in the contact's history that
/// says the workflow's own actions triggered it, and the metric by reason.
#[tokio::test]
async fn a_self_triggered_start_is_recorded_in_the_history_and_the_metrics() {
    let (engine, _clock) = engine_at("2026-11-23T10:00:00Z").await;
    engine.publish(TAG_PING).await.expect("ping");
    engine.publish(TAG_PONG).await.expect("pong");
    let ana = engine.handle(says("ana", "hi")).await.expect("hi").contact_id.expect("contact");
    assert_eq!(engine.handle(tag(ana, "ping", true)).await.expect("tag").loop_guarded, vec!["ping"]);
    let lines = system_lines(&engine, ana).await;
    assert_eq!(lines, vec!["Loop guard: `ping` was not started: its own actions triggered it (ping → pong → ping)."]);
    assert_eq!(metric(&engine, "switchboard_loop_guard_total{reason=\"self_trigger\"}").await, Some(1.0));
}

/// A chain of ten workflows, each tagging the contact for the next: the ninth is stopped by
/// the chain length limit, and says so (it used to log "its own actions triggered").
#[tokio::test]
async fn a_chain_stopped_by_the_length_limit_says_so() {
    let (engine, _clock) = engine_at("2026-11-23T10:00:00Z").await;
    for n in 1..=10 {
        let source = format!(
            "schema: 1\nid: chain{n}\nname: Chain {n}\ntrigger: {{ type: tag_updated, tag: t{n}, action: added }}\n\
             start: next\nsteps:\n  next: {{ kind: update_tags, add: [t{}] }}\n",
            n + 1
        );
        engine.publish(&source).await.expect("publish");
    }
    let ana = engine.handle(says("ana", "hi")).await.expect("hi").contact_id.expect("contact");
    let handled = engine.handle(tag(ana, "t1", true)).await.expect("tag");
    assert_eq!(handled.started.len(), 8, "eight workflows started each other");
    assert_eq!(handled.loop_guarded, vec!["chain9"]);
    let lines = system_lines(&engine, ana).await;
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with("Loop guard: `chain9` was not started: chain length limit (8 workflows"), "{lines:?}");
    assert!(!lines[0].contains("its own actions"), "{lines:?}");
    assert_eq!(metric(&engine, "switchboard_loop_guard_total{reason=\"chain_length_limit\"}").await, Some(1.0));
    assert_eq!(metric(&engine, "switchboard_loop_guard_total{reason=\"self_trigger\"}").await, None);
}
