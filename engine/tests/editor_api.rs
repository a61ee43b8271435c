//! What the editor asks of the HTTP API beyond drafts. The test chat: a session plays the
//! contact against a draft (never published), sees the flow's messages with their buttons,
//! answers by pressing one, fast-forwards a wait, and reads each run's path; the sandbox
//! holds (a session starts no other workflow and its runs stay out of the counts). Runs on
//! the canvas: per-step figures of a published version and one run's path.

mod common;

use axum::http::StatusCode;
use common::api::{api, Api};
use common::*;
use serde_json::{json, Value};

const RATING: &str = r#"
schema: 1
id: rate-us
name: Rate us
trigger: { type: conversation_closed }
start: ask
steps:
  ask:
    kind: ask
    type: rating
    text: How did we do?
    next: { answered: check }
  check:
    kind: branch
    branches:
      - name: low
        when: { field: steps.ask.answer, op: lte, value: 2 }
    next: { low: sorry, else: thanks }
  sorry:
    kind: send_message
    text: Sorry to hear that.
  thanks:
    kind: send_message
    text: Thanks!
"#;

async fn session(api: &Api, id: i64) -> Value {
    flush(&api.engine).await;
    let (status, body) = api.call("GET", &format!("/api/test-sessions/{id}"), Some(&api.ops), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn texts(session: &Value) -> Vec<String> {
    session["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .map(|m| format!("{}: {}", m["direction"].as_str().unwrap_or(""), m["text"].as_str().unwrap_or("")))
        .collect()
}

#[tokio::test]
async fn a_draft_is_played_by_pressing_a_star_and_the_path_is_reported() {
    let api = api().await;
    let (status, started) = api
        .call(
            "POST",
            "/api/test-sessions",
            Some(&api.ops),
            Some(json!({"source": RATING, "trigger": {"type": "conversation_closed", "category": "resolved"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    assert_eq!(started["started"].as_array().map(Vec::len), Some(1), "{started}");
    let id = started["session"].as_i64().expect("session id");

    let s = session(&api, id).await;
    let question = s["timeline"].as_array().and_then(|t| t.iter().find(|m| m["direction"] == "out")).expect("asked");
    assert_eq!(question["text"], "How did we do?");
    assert_eq!(question["expects"], "rating", "the chat can draw stars");
    assert_eq!(question["quick_replies"].as_array().map(Vec::len), Some(5));
    assert_eq!(s["runs"][0]["step"], "ask");
    assert_eq!(s["runs"][0]["waiting"]["kind"], "reply");
    assert!(s["runs"][0]["version"].as_i64().expect("version") < 0, "a test run is on a snapshot, not a version");

    // Two stars: the low branch.
    let (status, said) = api
        .call(
            "POST",
            &format!("/api/test-sessions/{id}/messages"),
            Some(&api.ops),
            Some(json!({"payload": "2", "text": "★★"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{said}");
    let s = session(&api, id).await;
    assert_eq!(texts(&s), ["out: How did we do?", "in: ★★", "out: Sorry to hear that."]);
    assert_eq!(s["runs"][0]["status"], "completed");
    assert_eq!(
        s["runs"][0]["path"],
        json!([{"step": "ask", "port": "answered"}, {"step": "check", "port": "low"}, {"step": "sorry", "port": "next"}])
    );

    // Nothing was published, and the workflow's own counts know nothing of the test.
    let (status, _) = api.call("GET", "/api/workflows/rate-us", Some(&api.ops), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, runs) = api.call("GET", "/api/runs?workflow=rate-us", Some(&api.ops), None).await;
    assert_eq!(runs, json!([]), "test runs are left out of the run list by default");
    let (_, runs) = api.call("GET", "/api/runs?workflow=rate-us&test=true", Some(&api.ops), None).await;
    assert_eq!(runs.as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn a_session_starts_no_other_workflow_and_says_why_its_own_did_not_start() {
    let api = api().await;
    // A published keyword workflow that would answer "menu" for any real contact.
    api.engine.publish(&reference("faq-menu")).await.expect("faq-menu");
    let draft = r#"
schema: 1
id: hello
name: Hello
trigger: { type: message_received, keywords: [hello] }
start: greet
steps:
  greet: { kind: send_message, text: Hi there }
"#;
    let start = json!({"source": draft, "trigger": {"type": "message_received", "text": "menu"}});
    let (status, started) = api.call("POST", "/api/test-sessions", Some(&api.ops), Some(start)).await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    assert_eq!(started["started"], json!([]));
    assert_eq!(started["notes"], json!(["the trigger of `hello` does not match this"]));
    let id = started["session"].as_i64().expect("session");
    assert_eq!(texts(&session(&api, id).await), ["in: menu"], "faq-menu did not answer the test contact");

    // Writing the keyword starts the draft, as it would for a real contact.
    let (_, said) = api
        .call("POST", &format!("/api/test-sessions/{id}/messages"), Some(&api.ops), Some(json!({"text": "Hello!"})))
        .await;
    assert_eq!(said["started"].as_array().map(Vec::len), Some(1), "{said}");
    assert_eq!(texts(&session(&api, id).await), ["in: menu", "in: Hello!", "out: Hi there"]);
}

#[tokio::test]
async fn waits_are_fast_forwarded_and_http_calls_show_as_system_lines() {
    let api = api().await;
    let draft = r#"
schema: 1
id: slow
name: Slow
trigger: { type: manual }
start: pause
steps:
  pause: { kind: wait, for: 2h, next: { done: lookup } }
  lookup:
    kind: http
    method: GET
    url: http://127.0.0.1:9/crm
    next: { failure: done }
  done: { kind: send_message, text: Done waiting }
"#;
    let (status, started) =
        api.call("POST", "/api/test-sessions", Some(&api.ops), Some(json!({"source": draft}))).await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    let id = started["session"].as_i64().expect("session");
    let s = session(&api, id).await;
    assert_eq!(s["runs"][0]["waiting"]["kind"], "timer");
    assert!(s["next_timer"].is_string(), "the chat can say when the wait ends: {s}");

    let (status, ff) = api.call("POST", &format!("/api/test-sessions/{id}/fast-forward"), Some(&api.ops), None).await;
    assert_eq!((status, ff["fired"].clone()), (StatusCode::OK, json!(1)));
    // The HTTP step refuses loopback (no allow-list): its failure port leads on.
    api.clock.advance(chrono::Duration::milliseconds(40));
    while api.engine.process_outbox(100).await.expect("outbox") > 0 {}
    let s = session(&api, id).await;
    let lines = texts(&s);
    assert!(lines.contains(&"system: HTTP step `lookup`: GET http://127.0.0.1:9/crm".to_owned()), "{lines:?}");
    assert!(lines.iter().any(|l| l.starts_with("system: HTTP step `lookup` failed:")), "{lines:?}");
    assert_eq!(lines.last().map(String::as_str), Some("out: Done waiting"));
    assert_eq!(s["runs"][0]["status"], "completed");
}

#[tokio::test]
async fn bad_test_requests_are_refused_clearly() {
    let api = api().await;
    // A draft with errors cannot be played; the diagnostics say where.
    let broken = "schema: 1\nid: broken\nname: Broken\ntrigger: { type: manual }\nstart: nowhere\nsteps: {}\n";
    let (status, body) = api.call("POST", "/api/test-sessions", Some(&api.ops), Some(json!({"source": broken}))).await;
    assert_eq!((status, body["code"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("invalid_workflow")));
    assert!(body["details"]["diagnostics"][0]["message"].is_string(), "{body}");
    // A trigger of another type.
    let (status, body) = api
        .call(
            "POST",
            "/api/test-sessions",
            Some(&api.ops),
            Some(json!({"source": RATING, "trigger": {"type": "manual"}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["message"].as_str().unwrap_or("").contains("starts on `conversation_closed`"), "{body}");
    // Agents cannot test workflows; a contact that is not a session is not one.
    let (status, _) = api.call("POST", "/api/test-sessions", Some(&api.agent), Some(json!({"source": RATING}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    api.engine.handle(says("ana", "hi")).await.expect("a real contact");
    let (status, _) = api.call("GET", "/api/test-sessions/1", Some(&api.ops), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a real contact is not a test session");
    let (status, _) =
        api.call("POST", "/api/test-sessions/1/messages", Some(&api.ops), Some(json!({"text": "x"}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api.call("POST", "/api/test-sessions/1/messages", Some(&api.ops), Some(json!({}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn ending_a_session_cancels_its_runs() {
    let api = api().await;
    let (_, started) = api.call("POST", "/api/test-sessions", Some(&api.ops), Some(json!({"source": RATING}))).await;
    let id = started["session"].as_i64().expect("session");
    let (status, ended) = api.call("DELETE", &format!("/api/test-sessions/{id}"), Some(&api.ops), None).await;
    assert_eq!((status, ended["cancelled"].clone()), (StatusCode::OK, json!(1)));
    assert_eq!(session(&api, id).await["runs"][0]["status"], "cancelled");
}

/// A run that jumps back visits a step twice: the step reports one run and two visits, and
/// its ports count visits.
#[tokio::test]
async fn figures_count_runs_and_visits_apart_when_a_run_jumps_back() {
    let api = api().await;
    api.engine.publish(&reference("faq-menu")).await.expect("faq-menu");
    api.engine.handle(says("ana", "menu")).await.expect("asks the menu");
    api.engine.handle(says("ana", "hours")).await.expect("answers, asks for more");
    api.engine.handle(says("ana", "Show the menu")).await.expect("jumps back to the menu");
    api.engine.handle(says("ana", "shipping")).await.expect("answers again");
    api.engine.handle(says("ben", "help")).await.expect("ben gets the menu");
    flush(&api.engine).await;
    let (status, figures) = api.call("GET", "/api/workflows/faq-menu/figures", Some(&api.ops), None).await;
    assert_eq!(status, StatusCode::OK, "{figures}");
    let menu = &figures["steps"]["menu"];
    assert_eq!((menu["runs"].clone(), menu["visits"].clone()), (json!(2), json!(3)), "{figures}");
    assert_eq!(menu["ports"], json!({"hours": 1, "shipping": 1}), "ports count visits: {figures}");
    assert_eq!(menu["waiting"], json!(1), "ben waits at the menu: {figures}");
    let more = &figures["steps"]["more"];
    assert_eq!((more["runs"].clone(), more["visits"].clone()), (json!(1), json!(2)), "{figures}");
    assert_eq!(more["ports"], json!({"again": 1}), "{figures}");
    let jump = &figures["steps"]["back_to_menu"];
    assert_eq!((jump["runs"].clone(), jump["visits"].clone()), (json!(1), json!(1)), "{figures}");
    assert_eq!(figures["steps"].get("entered"), None);
}

#[tokio::test]
async fn a_published_version_reports_per_step_figures_and_each_run_its_path() {
    let api = api().await;
    api.engine.upsert_agent(&agent("sam", &["supervisors"], true)).await.expect("supervisor");
    api.engine.publish(&reference("csat")).await.expect("csat");
    // Three contacts close a conversation: one gives 5 stars, one 2 (escalated), one is silent.
    for (who, stars) in [("ana", Some("5")), ("ben", Some("2")), ("cy", None)] {
        api.engine.handle(says(who, "hello")).await.expect("opens");
        api.engine.handle(closes(who, "agent:bob", "resolved")).await.expect("closes");
        if let Some(stars) = stars {
            api.engine.handle(presses(who, stars, "★")).await.expect("answers");
        }
    }
    flush(&api.engine).await;
    let (status, figures) = api.call("GET", "/api/workflows/csat/figures", Some(&api.ops), None).await;
    assert_eq!(status, StatusCode::OK, "{figures}");
    assert_eq!(figures["version"], 1);
    let ask = &figures["steps"]["ask_rating"];
    assert_eq!((ask["runs"].clone(), ask["visits"].clone(), ask["waiting"].clone()), (json!(3), json!(3), json!(1)));
    assert_eq!(ask["ports"], json!({"answered": 2}));
    assert_eq!(ask["rating"], json!({"average": 3.5, "answers": 2}), "the CSAT average on the rating step");
    assert_eq!(figures["steps"]["check_score"]["ports"], json!({"else": 1, "low": 1}));
    assert_eq!(figures["steps"]["escalate"]["runs"], 1);
    assert_eq!(figures["steps"]["thanks"].get("rating"), None);
    assert_eq!(figures["runs"]["completed"], 2);

    // One run's path, step by step.
    let (_, runs) = api.call("GET", "/api/runs?workflow=csat&status=completed", Some(&api.ops), None).await;
    let ben = api.engine.contact_by_address("simulator", "ben").await.expect("lookup").expect("ben");
    let escalated = runs.as_array().expect("runs").iter().find(|r| r["contact_id"] == ben).expect("ben's run");
    let (_, run) = api.call("GET", &format!("/api/runs/{}", escalated["id"]), Some(&api.ops), None).await;
    let steps: Vec<&str> = run["path"].as_array().expect("path").iter().filter_map(|p| p["step"].as_str()).collect();
    assert_eq!(steps, ["ask_rating", "thanks", "check_score", "reopen", "escalate", "tag_followup"]);

    // HTTP errors are counted with their reasons.
    let draft = "schema: 1\nid: ping\nname: Ping\ntrigger: { type: manual }\nstart: ping\nsteps:\n  ping: { kind: http, method: GET, url: 'http://127.0.0.1:9/x', next: { failure: sorry } }\n  sorry: { kind: add_comment, text: CRM down }\n";
    api.engine.publish(draft).await.expect("ping");
    let manual = switchboard::runtime::EventKind::Manual {
        workflow: "ping".into(),
        contact: contact("ana"),
        vars: Default::default(),
    };
    api.engine.handle(switchboard::runtime::Event::new(manual)).await.expect("starts");
    flush(&api.engine).await;
    let (_, figures) = api.call("GET", "/api/workflows/ping/figures?version=1", Some(&api.ops), None).await;
    let errors = &figures["steps"]["ping"]["http_errors"];
    assert_eq!(errors["count"], 1, "{figures}");
    assert!(errors["latest"][0].as_str().unwrap_or("").contains("loopback"), "{errors}");

    // Bad requests: a draft-only workflow has no figures; a version must be published.
    let (status, _) = api.call("GET", "/api/workflows/csat/figures?version=-3", Some(&api.ops), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = api.call("GET", "/api/workflows/csat/figures?version=9", Some(&api.ops), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_test_contact_stays_in_its_sandbox_and_no_real_contact_falls_into_it() {
    let api = api().await;
    api.engine.publish(&reference("escalation-shortcut")).await.expect("shortcut");
    let other = "schema: 1\nid: other\nname: Other\ntrigger: { type: manual }\nstart: hi\nsteps:\n  hi: { kind: send_message, text: Real flow }\n";
    api.engine.publish(other).await.expect("other");
    let draft = r#"
schema: 1
id: sandboxed
name: Sandboxed
trigger: { type: manual }
start: remember
steps:
  remember: { kind: update_fields, set: { email: ana@example.com }, next: { next: hand_over } }
  hand_over: { kind: trigger_workflow, workflow: other, next: { failure: done } }
  done: { kind: send_message, text: Stayed inside }
"#;
    let (_, started) = api.call("POST", "/api/test-sessions", Some(&api.ops), Some(json!({"source": draft}))).await;
    let id = started["session"].as_i64().expect("session");
    let s = session(&api, id).await;
    // The draft may not start a published workflow for its test contact.
    assert_eq!(s["runs"][0]["path"][1], json!({"step": "hand_over", "port": "failure"}), "{s}");
    assert_eq!(texts(&s), ["out: Stayed inside"]);

    // A real person with the same email is a contact of their own, not the test contact.
    let mut real = says("ana-real", "hello");
    if let switchboard::runtime::EventKind::MessageReceived { profile, .. } = &mut real.kind {
        profile.insert("email".into(), json!("ana@example.com"));
    }
    let handled = api.engine.handle(real).await.expect("real contact");
    assert_ne!(handled.contact_id, Some(id));

    // Agents neither see test chats in their inbox nor press shortcuts on them.
    let (_, inbox) = api.call("GET", "/api/conversations", Some(&api.admin), None).await;
    assert!(inbox.as_array().expect("inbox").iter().all(|c| c["contact_id"] != id), "{inbox}");
    let press = json!({"contact_id": id, "form": {"reason": "Other", "priority": "high"}});
    let (status, body) = api.call("POST", "/api/shortcuts/escalation-shortcut", Some(&api.agent), Some(press)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["message"].as_str().unwrap_or("").contains("test-chat contact"), "{body}");
    // The contact page cannot drive a test chat either.
    let say = json!({"address": format!("test-{id}"), "text": "hi"});
    let (status, _) = api.call("POST", "/api/simulator/messages", Some(&api.integration), Some(say)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// Open Monday to Friday 9:00-17:00 in Tokyo. The test engine's clock stands at Monday
/// 2026-11-23 19:00 in Tokyo: closed, so "open" can only come from a session's clock.
const HOURS: &str = r#"
schema: 1
id: hours
name: Hours
trigger: { type: message_received }
start: check
steps:
  check:
    kind: business_hours
    timezone: Asia/Tokyo
    hours: { mon: ["09:00-17:00"], tue: ["09:00-17:00"], wed: ["09:00-17:00"], thu: ["09:00-17:00"], fri: ["09:00-17:00"] }
    next: { in_hours: open, out_of_hours: closed }
  open: { kind: send_message, text: "Open on {{ system.weekday }}" }
  closed: { kind: send_message, text: "Closed on {{ system.weekday }}" }
"#;

const MONDAY_10_TOKYO: &str = "2026-11-30T10:00:00+09:00";
const SATURDAY_10_TOKYO: &str = "2026-12-05T10:00:00+09:00";

async fn start_at(api: &Api, source: &str, at: Option<&str>) -> i64 {
    let mut body = json!({"source": source});
    if let Some(at) = at {
        body["at"] = json!(at);
    }
    let (status, started) = api.call("POST", "/api/test-sessions", Some(&api.ops), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    started["session"].as_i64().expect("session")
}

fn last_out(session: &Value) -> String {
    texts(session).into_iter().rfind(|l| l.starts_with("out: ")).unwrap_or_default()
}

#[tokio::test]
async fn a_session_clock_shows_a_business_hours_flow_both_ways() {
    let api = api().await;
    // The real time (Monday evening in Tokyo): closed.
    let now = start_at(&api, HOURS, None).await;
    assert_eq!(last_out(&session(&api, now).await), "out: Closed on mon");
    // Pretend it is Monday 10:00 in Tokyo: open; Saturday 10:00: closed.
    let monday = start_at(&api, HOURS, Some(MONDAY_10_TOKYO)).await;
    let s = session(&api, monday).await;
    assert_eq!(last_out(&s), "out: Open on mon");
    assert_eq!(s["clock"]["now"], "2026-11-30T01:00:00+00:00", "{s}");
    let saturday = start_at(&api, HOURS, Some(SATURDAY_10_TOKYO)).await;
    assert_eq!(last_out(&session(&api, saturday).await), "out: Closed on sat");

    // The clock of a running session can be moved: the next message is handled at that time.
    let (status, clock) = api
        .call(
            "PUT",
            &format!("/api/test-sessions/{saturday}/clock"),
            Some(&api.ops),
            Some(json!({"at": MONDAY_10_TOKYO})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{clock}");
    assert_eq!(clock["now"], "2026-11-30T01:00:00+00:00");
    api.call("POST", &format!("/api/test-sessions/{saturday}/messages"), Some(&api.ops), Some(json!({"text": "hi"})))
        .await;
    assert_eq!(last_out(&session(&api, saturday).await), "out: Open on mon");
    // Time goes on from the pretended time; `null` is the real time again.
    api.clock.advance(chrono::Duration::hours(1));
    assert_eq!(session(&api, saturday).await["clock"]["now"], "2026-11-30T02:00:00+00:00");
    let (_, clock) = api
        .call("PUT", &format!("/api/test-sessions/{saturday}/clock"), Some(&api.ops), Some(json!({"at": null})))
        .await;
    assert_eq!((clock["offset_ms"].clone(), clock["now"].clone()), (json!(0), json!("2026-11-23T11:00:00+00:00")));
    // Real contacts and published runs never see a session's clock.
    assert_eq!(api.engine.clock().now().to_rfc3339(), "2026-11-23T11:00:00+00:00");
}

#[tokio::test]
async fn waiting_until_open_on_a_session_clock_is_fast_forwarded_to_the_opening() {
    let api = api().await;
    let draft = HOURS
        .replace(
            "next: { in_hours: open, out_of_hours: closed }",
            "wait_until_open: true\n    next: { in_hours: open }",
        )
        .replace("  closed: { kind: send_message, text: \"Closed on {{ system.weekday }}\" }\n", "");
    let id = start_at(&api, &draft, Some(SATURDAY_10_TOKYO)).await;
    let s = session(&api, id).await;
    assert_eq!(s["runs"][0]["waiting"]["kind"], "timer", "{s}");
    // The wait ends on the session's clock: Monday 9:00 in Tokyo.
    assert_eq!(s["next_timer"], "2026-12-07T00:00:00+00:00", "{s}");
    assert_eq!(s["runs"][0]["waiting"]["due_at"], "2026-12-07T00:00:00+00:00", "{s}");
    let (status, ff) = api.call("POST", &format!("/api/test-sessions/{id}/fast-forward"), Some(&api.ops), None).await;
    assert_eq!((status, ff["fired"].clone()), (StatusCode::OK, json!(1)));
    let s = session(&api, id).await;
    assert_eq!(last_out(&s), "out: Open on mon");
    assert_eq!(s["clock"]["now"], "2026-12-07T00:00:00+00:00", "the clock moved on to the opening");
    assert_eq!(s["runs"][0]["status"], "completed");

    // Moving a waiting session's clock keeps the opening where it is on that clock: a
    // minute before it, the wait ends a minute later.
    let id = start_at(&api, &draft, Some(SATURDAY_10_TOKYO)).await;
    let (status, clock) = api
        .call(
            "PUT",
            &format!("/api/test-sessions/{id}/clock"),
            Some(&api.ops),
            Some(json!({"at": "2026-12-07T08:59:00+09:00"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{clock}");
    let s = session(&api, id).await;
    assert_eq!(s["next_timer"], "2026-12-07T00:00:00+00:00", "{s}");
    assert_eq!(api.engine.fire_due_timers(100).await.expect("timers"), 0, "not open yet");
    api.clock.advance(chrono::Duration::minutes(1));
    assert_eq!(api.engine.fire_due_timers(100).await.expect("timers"), 1);
    assert_eq!(last_out(&session(&api, id).await), "out: Open on mon");
}

#[tokio::test]
async fn an_event_at_a_time_is_for_an_admin_and_a_test_contact_only() {
    let api = api().await;
    let id = start_at(&api, HOURS, None).await;
    let says_at = |contact: Value, at: &str, n: u32| {
        json!({"source": "demo", "id": format!("at-{n}"), "type": "message_received", "contact": contact,
               "channel": "simulator", "message": {"text": "hi"}, "at": at})
    };
    // An admin shows the flow at Monday 10:00, then at Saturday 10:00 in Tokyo.
    let (status, body) =
        api.call("POST", "/api/events", Some(&api.admin), Some(says_at(json!({"id": id}), MONDAY_10_TOKYO, 1))).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    api.engine.process_queue(10).await.expect("process");
    assert_eq!(last_out(&session(&api, id).await), "out: Open on mon");
    let by_address = json!({"address": {"channel": "simulator", "address": format!("test-{id}")}});
    let (status, body) = api
        .call("POST", "/api/events", Some(&api.admin), Some(json!([says_at(by_address, SATURDAY_10_TOKYO, 2)])))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    api.engine.process_queue(10).await.expect("process");
    assert_eq!(last_out(&session(&api, id).await), "out: Closed on sat");

    // The integration role cannot send `at`, not even for a test contact.
    let (status, body) = api
        .call("POST", "/api/events", Some(&api.integration), Some(says_at(json!({"id": id}), MONDAY_10_TOKYO, 3)))
        .await;
    assert_eq!((status, body["details"]["path"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("at")), "{body}");
    assert!(body["message"].as_str().unwrap_or("").contains("admin"), "{body}");
    // A real contact never takes `at`, even from an admin; the whole batch is refused.
    api.engine.handle(says("ana", "hello")).await.expect("a real contact");
    let ana = api.engine.contact_by_address("simulator", "ana").await.expect("lookup").expect("ana");
    let batch = json!([
        {"source": "demo", "id": "plain", "type": "tag_updated", "contact": {"id": ana}, "tag": "vip", "added": true},
        says_at(json!({"id": ana}), MONDAY_10_TOKYO, 4),
    ]);
    let (status, body) = api.call("POST", "/api/events", Some(&api.admin), Some(batch)).await;
    assert_eq!(
        (status, body["details"]["path"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("[1].at")),
        "{body}"
    );
    assert!(body["message"].as_str().unwrap_or("").contains("test chat's contact"), "{body}");
    assert_eq!(api.engine.process_queue(10).await.expect("process"), 0, "nothing of a refused batch is stored");
    // A time without its offset is not a time.
    let (status, body) = api
        .call("POST", "/api/events", Some(&api.admin), Some(says_at(json!({"id": id}), "2026-12-05 10:00", 5)))
        .await;
    assert_eq!((status, body["details"]["path"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("at")), "{body}");
    let long = "9".repeat(10_000);
    let (status, body) =
        api.call("POST", "/api/events", Some(&api.admin), Some(says_at(json!({"id": id}), &long, 6))).await;
    assert_eq!((status, body["details"]["path"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("at")), "{body}");
    assert!(body["message"].as_str().unwrap_or("").len() < 200, "not echoed: {body}");
    // The test chat's own endpoints say the same of a bad `at`, and know only sessions.
    let (status, body) = api
        .call("PUT", &format!("/api/test-sessions/{id}/clock"), Some(&api.ops), Some(json!({"at": "Saturday"})))
        .await;
    assert_eq!((status, body["details"]["path"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("at")), "{body}");
    let (status, _) = api
        .call("PUT", &format!("/api/test-sessions/{ana}/clock"), Some(&api.ops), Some(json!({"at": MONDAY_10_TOKYO})))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api
        .call("PUT", &format!("/api/test-sessions/{id}/clock"), Some(&api.agent), Some(json!({"at": MONDAY_10_TOKYO})))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
