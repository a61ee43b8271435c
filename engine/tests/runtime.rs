//! The durable interpreter, driven as the server will drive it: events in, the clock moved
//! by hand, the outbox drained. Every test runs on a fresh in-memory SQLite store.
//!
//! Long on purpose (over 600 lines): one integration binary per suite keeps the build and link
//! time of the test run down on a small machine; the tests are grouped by the promise they check.

mod common;

use common::*;
use serde_json::json;
use switchboard::runtime::{CancelFilter, ContactRef, Event, EventKind};

#[tokio::test]
async fn csat_low_score_escalates_to_a_supervisor() {
    let (engine, _clock) = engine_at("2026-11-23T10:00:00Z").await;
    engine.publish(&reference("csat")).await.expect("publish");
    engine.upsert_agent(&agent("sam", &["supervisors"], true)).await.expect("agent");
    let hello = engine.handle(says("ana", "Hi, my order is late")).await.expect("message");
    let ana = hello.contact_id.expect("contact");

    let closed = engine.handle(closes("ana", "agent:bob", "resolved")).await.expect("close");
    assert_eq!(closed.started.len(), 1, "CSAT starts on close");
    let run = closed.started[0];
    flush(&engine).await;
    assert_eq!(sent(&engine, ana).await, vec!["Thanks for chatting with us, ana! How would you rate our help?"]);
    let info = engine.run(run).await.expect("run");
    assert_eq!(info.status, "waiting");
    assert_eq!(info.waiting.as_ref().map(|w| w["kind"].clone()), Some(json!("reply")));

    let answered = engine.handle(says("ana", "★★")).await.expect("rating");
    assert_eq!(answered.resumed, vec![run]);
    flush(&engine).await;
    let info = engine.run(run).await.expect("run");
    assert_eq!(info.status, "completed", "{info:?}");
    assert_eq!(json(&info.vars, "steps.ask_rating.answer"), json!(2));
    assert_eq!(json(&info.vars, "steps.escalate.agent_name"), json!("Agent SAM"));
    assert_eq!(sent(&engine, ana).await[1], "Thank you for your feedback!");

    let runs = engine.runs_of_contact(ana).await.expect("runs");
    assert_eq!(runs.len(), 1);
    let contact = contact_row(&engine, ana).await;
    assert_eq!(contact.0, json!({"last_csat": 2}));
    assert!(contact.1.contains(&"csat-followup".to_owned()));
    let (priority, assignee, status): (String, Option<String>, String) = sqlx::query_as(
        "SELECT priority, assignee_id, status FROM conversations WHERE contact_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(ana)
    .fetch_one(engine.pool())
    .await
    .expect("conversation");
    assert_eq!((priority.as_str(), assignee.as_deref(), status.as_str()), ("high", Some("sam"), "open"));
    let notes: Vec<String> =
        sqlx::query_scalar("SELECT text FROM messages WHERE contact_id = $1 AND direction = 'note' ORDER BY id")
            .bind(ana)
            .fetch_all(engine.pool())
            .await
            .expect("notes");
    assert_eq!(notes, vec!["Low CSAT: 2/5 from ana Example (closed as resolved). Please follow up."]);
}

async fn contact_row(engine: &switchboard::runtime::Engine, id: i64) -> (serde_json::Value, Vec<String>) {
    let (fields, tags): (String, String) = sqlx::query_as("SELECT fields, tags FROM contacts WHERE id = $1")
        .bind(id)
        .fetch_one(engine.pool())
        .await
        .expect("contact");
    (serde_json::from_str(&fields).expect("fields"), serde_json::from_str(&tags).expect("tags"))
}

#[tokio::test]
async fn a_high_score_just_says_thanks() {
    let (engine, _clock) = engine_at("2026-11-23T10:00:00Z").await;
    engine.publish(&reference("csat")).await.expect("publish");
    let ana = engine.handle(says("ana", "hello")).await.expect("hello").contact_id.expect("contact");
    let run = engine.handle(closes("ana", "agent:bob", "resolved")).await.expect("close").started[0];
    engine.handle(presses("ana", "5", "★★★★★")).await.expect("rating");
    flush(&engine).await;
    let info = engine.run(run).await.expect("run");
    assert_eq!(info.status, "completed");
    assert_eq!(json(&info.vars, "steps.check_score.branch"), json!("else"));
    assert_eq!(sent(&engine, ana).await.len(), 2);
}

#[tokio::test]
async fn an_unanswered_question_times_out_on_the_injected_clock() {
    let (engine, clock) = engine_at("2026-11-23T10:00:00Z").await;
    engine.publish(&reference("csat")).await.expect("publish");
    engine.handle(says("ana", "hello")).await.expect("hello");
    let run = engine.handle(closes("ana", "agent:bob", "resolved")).await.expect("close").started[0];
    let due = engine.next_timer_due().await.expect("timer").expect("a timer is set");
    assert_eq!(due.to_rfc3339(), "2026-11-24T10:00:00+00:00", "24 hours after the question");

    clock.advance(chrono::Duration::hours(23));
    assert_eq!(engine.fire_due_timers(100).await.expect("fire"), 0, "not yet");
    clock.advance(chrono::Duration::hours(1));
    assert_eq!(engine.fire_due_timers(100).await.expect("fire"), 1);
    let info = engine.run(run).await.expect("run");
    // `timeout` is not connected in the CSAT flow: the run ends there.
    assert_eq!(info.status, "completed");
    assert_eq!(json(&info.vars, "steps.ask_rating.attempts"), json!(0));
    assert_eq!(engine.next_timer_due().await.expect("timer"), None);
}

#[tokio::test]
async fn a_reply_clears_the_question_timeout() {
    let (engine, clock) = engine_at("2026-11-23T10:00:00Z").await;
    engine.publish(&reference("csat")).await.expect("publish");
    engine.handle(says("ana", "hello")).await.expect("hello");
    let run = engine.handle(closes("ana", "agent:bob", "resolved")).await.expect("close").started[0];
    engine.handle(says("ana", "5")).await.expect("answer");
    assert_eq!(engine.next_timer_due().await.expect("timer"), None);
    clock.advance(chrono::Duration::days(2));
    assert_eq!(engine.fire_due_timers(100).await.expect("fire"), 0);
    assert_eq!(engine.run(run).await.expect("run").status, "completed");
}

#[tokio::test]
async fn duplicate_events_are_ignored() {
    let (engine, _clock) = engine_at("2026-11-23T10:00:00Z").await;
    engine.publish(&reference("faq-menu")).await.expect("publish");
    let event = |id: &str| {
        let mut e = says("ana", "menu please");
        e.source = "simulator".into();
        e.id = Some(id.into());
        e
    };
    let first = engine.handle(event("m-1")).await.expect("first");
    assert_eq!(first.started.len(), 1);
    let again = engine.handle(event("m-1")).await.expect("again");
    assert!(again.duplicate);
    assert!(again.started.is_empty());
    let messages: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE direction = 'in'")
        .fetch_one(engine.pool())
        .await
        .expect("count");
    assert_eq!(messages, 1);
}

#[tokio::test]
async fn keywords_decide_which_messages_start_the_faq() {
    let (engine, _clock) = engine_at("2026-11-23T10:00:00Z").await;
    engine.publish(&reference("faq-menu")).await.expect("publish");
    assert!(engine.handle(says("ana", "where is my parcel")).await.expect("m").started.is_empty());
    let started = engine.handle(says("ana", "Show me the MENU")).await.expect("m").started;
    assert_eq!(started.len(), 1);
    let ana = engine.run(started[0]).await.expect("run").contact_id;
    engine.handle(says("ana", "2")).await.expect("pick shipping");
    flush(&engine).await;
    let texts = sent(&engine, ana).await;
    assert_eq!(texts[1], "Orders ship within 2 working days; you get a tracking link by email.");
    assert_eq!(texts[2], "Anything else?");
    let info = engine.run(started[0]).await.expect("run");
    assert_eq!(info.step.as_deref(), Some("more"));
}

#[tokio::test]
async fn talk_to_a_person_waits_in_the_queue_until_an_agent_comes_online() {
    let (engine, clock) = engine_at("2026-11-23T10:00:00Z").await;
    engine.publish(&reference("faq-menu")).await.expect("publish");
    engine.upsert_agent(&agent("bob", &["support"], false)).await.expect("agent");
    let run = engine.handle(says("ana", "menu")).await.expect("m").started[0];
    engine.handle(presses("ana", "human", "Talk to a person")).await.expect("human");
    let info = engine.run(run).await.expect("run");
    assert_eq!(info.step.as_deref(), Some("assign_agent"));
    assert_eq!(info.waiting.as_ref().map(|w| w["kind"].clone()), Some(json!("agent")));

    clock.advance(chrono::Duration::minutes(10));
    engine.set_agent_online("bob", true).await.expect("online");
    let info = engine.run(run).await.expect("run");
    assert_eq!(info.status, "completed", "{info:?}");
    assert_eq!(json(&info.vars, "steps.assign_agent.agent_id"), json!("bob"));
    flush(&engine).await;
    assert_eq!(
        sent(&engine, info.contact_id).await.last().map(String::as_str),
        Some("Agent BOB will be with you in a moment.")
    );
}

#[tokio::test]
async fn the_assignment_queue_times_out_to_the_timeout_port() {
    let (engine, clock) = engine_at("2026-11-23T10:00:00Z").await;
    engine.publish(&reference("faq-menu")).await.expect("publish");
    let run = engine.handle(says("ana", "menu")).await.expect("m").started[0];
    engine.handle(says("ana", "talk to a person")).await.expect("human");
    clock.advance(chrono::Duration::minutes(30));
    engine.fire_due_timers(100).await.expect("fire");
    let info = engine.run(run).await.expect("run");
    assert_eq!(info.status, "completed");
    flush(&engine).await;
    let texts = sent(&engine, info.contact_id).await;
    assert!(texts.last().is_some_and(|t| t.starts_with("Everyone is busy")), "{texts:?}");
}

#[tokio::test]
async fn a_run_finishes_on_its_version_after_a_new_publish() {
    let (engine, _clock) = engine_at("2026-11-23T10:00:00Z").await;
    let v1 = reference("csat");
    engine.publish(&v1).await.expect("v1");
    engine.handle(says("ana", "hello")).await.expect("hello");
    let old_run = engine.handle(closes("ana", "agent:bob", "resolved")).await.expect("close").started[0];
    let v2 = v1.replace("Thank you for your feedback!", "Thanks a lot!");
    assert_eq!(engine.publish(&v2).await.expect("v2").1, 2);
    let ana = engine.handle(says("ana", "4")).await.expect("answer").contact_id.expect("contact");
    flush(&engine).await;
    let info = engine.run(old_run).await.expect("run");
    assert_eq!((info.version, info.status.as_str()), (1, "completed"));
    assert!(sent(&engine, ana).await.contains(&"Thank you for your feedback!".to_owned()));
    engine.handle(says("bea", "hello")).await.expect("hello");
    let new_run = engine.handle(closes("bea", "agent:bob", "resolved")).await.expect("close").started[0];
    assert_eq!(engine.run(new_run).await.expect("run").version, 2);
}

const MANUAL_WAIT: &str = r#"
schema: 1
id: nurture
name: Nurture
trigger: { type: manual }
settings: { when_active: WHEN, once_per_contact: ONCE, exit_when: [conversation_closed, agent_replied] }
start: hello
steps:
  hello: { kind: send_message, text: 'Hello {{trigger.vars.name}}', next: { next: pause } }
  pause: { kind: wait, for: 1h }
"#;

fn manual(workflow: &str, contact_id: i64) -> Event {
    Event::new(EventKind::Manual {
        workflow: workflow.into(),
        contact: ContactRef::Id(contact_id),
        vars: serde_json::from_value(json!({"name": "Ana"})).expect("vars"),
    })
}

#[tokio::test]
async fn one_active_run_per_contact_drops_or_queues() {
    let (engine, clock) = engine_at("2026-11-23T10:00:00Z").await;
    engine.publish(&MANUAL_WAIT.replace("WHEN", "drop").replace("ONCE", "false")).await.expect("publish");
    let ana = engine.handle(says("ana", "hi")).await.expect("hi").contact_id.expect("contact");
    engine.handle(manual("nurture", ana)).await.expect("first");
    let second = engine.handle(manual("nurture", ana)).await;
    assert!(second.is_err_and(|e| e.to_string().contains("already in `nurture`")));

    engine.publish(&MANUAL_WAIT.replace("WHEN", "queue").replace("ONCE", "false")).await.expect("v2");
    let queued = engine.handle(manual("nurture", ana)).await.expect("queued");
    assert_eq!(queued.queued, vec!["nurture"]);
    clock.advance(chrono::Duration::hours(1));
    engine.fire_due_timers(10).await.expect("fire");
    let runs = engine.runs_of_contact(ana).await.expect("runs");
    assert_eq!(runs.len(), 2, "the queued trigger started when the first run ended");
    assert_eq!(runs[0].status, "waiting");
    assert_eq!(runs[1].status, "completed");
}

#[tokio::test]
async fn trigger_once_per_contact_never_re_enrolls() {
    let (engine, clock) = engine_at("2026-11-23T10:00:00Z").await;
    engine.publish(&MANUAL_WAIT.replace("WHEN", "drop").replace("ONCE", "true")).await.expect("publish");
    let ana = engine.handle(says("ana", "hi")).await.expect("hi").contact_id.expect("contact");
    engine.handle(manual("nurture", ana)).await.expect("first");
    clock.advance(chrono::Duration::hours(2));
    engine.fire_due_timers(10).await.expect("fire");
    let again = engine.handle(manual("nurture", ana)).await;
    assert!(again.is_err_and(|e| e.to_string().contains("already enrolled")));
}

#[tokio::test]
async fn exit_conditions_end_runs() {
    let (engine, _clock) = engine_at("2026-11-23T10:00:00Z").await;
    engine.publish(&MANUAL_WAIT.replace("WHEN", "drop").replace("ONCE", "false")).await.expect("publish");
    engine.upsert_agent(&agent("bob", &["support"], true)).await.expect("agent");
    let ana = engine.handle(says("ana", "hi")).await.expect("hi").contact_id.expect("contact");
    let run = engine.handle(manual("nurture", ana)).await.expect("start").started[0];
    let replied = engine
        .handle(Event::new(EventKind::AgentReplied {
            contact: ContactRef::Id(ana),
            agent_id: "bob".into(),
            text: "Hi Ana!".into(),
        }))
        .await
        .expect("agent reply");
    assert_eq!(replied.exited, vec![run]);
    assert_eq!(engine.run(run).await.expect("run").status, "exited");
    assert_eq!(engine.next_timer_due().await.expect("timers"), None, "an exited run leaves no timer");

    let run = engine.handle(manual("nurture", ana)).await.expect("again").started[0];
    let closed = engine.handle(closes("ana", "agent:bob", "resolved")).await.expect("close");
    assert_eq!(closed.exited, vec![run]);
    let run = engine.handle(manual("nurture", ana)).await.expect("again").started[0];
    let out = engine.handle(Event::new(EventKind::OptedOut { contact: ContactRef::Id(ana) })).await.expect("opt out");
    assert_eq!(out.exited, vec![run], "opting out always ends runs");
}

#[tokio::test]
async fn cancel_one_run_or_all_runs_of_a_workflow() {
    let (engine, _clock) = engine_at("2026-11-23T10:00:00Z").await;
    engine.publish(&MANUAL_WAIT.replace("WHEN", "drop").replace("ONCE", "false")).await.expect("publish");
    let mut runs = Vec::new();
    for name in ["ana", "bea", "cai"] {
        let id = engine.handle(says(name, "hi")).await.expect("hi").contact_id.expect("contact");
        runs.push(engine.handle(manual("nurture", id)).await.expect("start").started[0]);
    }
    assert_eq!(engine.cancel(CancelFilter::Run(runs[0])).await.expect("cancel"), 1);
    assert_eq!(engine.run(runs[0]).await.expect("run").status, "cancelled");
    let n = engine
        .cancel(CancelFilter::Workflow { workflow: "nurture".into(), version: Some(1), status: Some("waiting".into()) })
        .await
        .expect("cancel");
    assert_eq!(n, 2);
    assert_eq!(engine.next_timer_due().await.expect("timers"), None);
}

#[tokio::test]
async fn a_refused_event_in_a_batch_is_kept_with_its_reason_and_the_rest_commit() {
    let (engine, _clock) = engine_at("2026-11-23T10:00:00Z").await;
    engine.publish(&reference("faq-menu")).await.expect("publish");
    let unknown_workflow = Event::new(EventKind::Manual {
        workflow: "no-such-flow".into(),
        contact: ContactRef::Address { channel: "simulator".into(), address: "ana".into() },
        vars: Default::default(),
    });
    let accepted =
        engine.enqueue(&[says("ana", "menu"), unknown_workflow, says("bea", "menu")]).await.expect("enqueue");
    assert!(accepted.iter().all(|a| !a.duplicate));
    assert_eq!(engine.process_queue(100).await.expect("process"), 3);
    assert_eq!(engine.queue_depth().await.expect("depth"), 0);
    let runs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM runs").fetch_one(engine.pool()).await.expect("runs");
    assert_eq!(runs, 2, "both good events started their run");
    let failures: Vec<String> =
        sqlx::query_scalar("SELECT error FROM event_failures").fetch_all(engine.pool()).await.expect("failures");
    assert_eq!(failures, vec!["workflow `no-such-flow` is not published (or is stopped)"]);
}

#[tokio::test]
async fn enqueue_deduplicates_across_and_within_calls() {
    let (engine, _clock) = engine_at("2026-11-23T10:00:00Z").await;
    let with_id = |id: &str| {
        let mut e = says("ana", "hello");
        e.id = Some(id.into());
        e
    };
    let first = engine.enqueue(&[with_id("a"), with_id("b"), with_id("a")]).await.expect("enqueue");
    assert_eq!(first.iter().map(|a| a.duplicate).collect::<Vec<_>>(), vec![false, false, true]);
    let again = engine.enqueue(&[with_id("b"), with_id("c")]).await.expect("enqueue");
    assert_eq!(again.iter().map(|a| a.duplicate).collect::<Vec<_>>(), vec![true, false]);
    drain_queue(&engine).await;
    let ana = contact_of(&engine, "ana").await.expect("ana");
    assert_eq!(inbound_texts(&engine, ana).await, vec!["hello"; 3], "a, b and c, once each");
}

/// Requests arriving together share one transaction (the intake's group commit), and each
/// still gets its own answer: a sender's id seen in another request of the same group is a
/// duplicate there, exactly as if the requests had come one after another.
#[tokio::test]
async fn concurrent_requests_are_accepted_together_each_with_its_own_answer() {
    let (engine, _clock) = engine_at("2026-11-23T10:00:00Z").await;
    engine.publish(&reference("faq-menu")).await.expect("publish");
    let request = |who: String, id: String| {
        let engine = engine.clone();
        tokio::spawn(async move {
            let mut event = says(&who, "menu");
            event.id = Some(id);
            engine.enqueue(&[event]).await.expect("accepted")
        })
    };
    // Twenty contacts, and one of them twice under the same id.
    let mut requests: Vec<_> = (0..20).map(|i| request(format!("c{i}"), format!("e{i}"))).collect();
    requests.push(request("c7".into(), "e7".into()));
    let mut fresh = 0;
    for r in requests {
        let answer = r.await.expect("request");
        assert_eq!(answer.len(), 1);
        fresh += usize::from(!answer[0].duplicate);
    }
    assert_eq!(fresh, 20, "the repeated id is a duplicate, whichever request came second");
    while engine.process_queue(100).await.expect("process") > 0 {}
    let runs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM runs").fetch_one(engine.pool()).await.expect("runs");
    assert_eq!(runs, 20, "each accepted event started its run once");
}

/// On SQLite with nothing queued, an accepted event is processed in the transaction that
/// accepts it (in the engine that performs the outbox; forced here, as no loops run): its
/// run has started (and its first message is in the outbox) when `enqueue` returns, with no
/// pass of the queue. On PostgreSQL it is queued, as before; and so it is by an engine that
/// does not run the loops (`Options::process_on_accept`'s default).
#[tokio::test]
async fn an_event_accepted_while_the_queue_is_idle_is_processed_in_the_same_commit() {
    let client = engine_at("2026-11-23T10:00:00Z").await.0;
    client.publish(&reference("faq-menu")).await.expect("publish");
    client.enqueue(&[says("bea", "menu")]).await.expect("enqueue");
    assert_eq!(client.queue_depth().await.expect("depth"), 1, "queued for the loops' process");
    let options = switchboard::runtime::Options {
        process_on_accept: Some(true),
        timezone: chrono_tz::Europe::Berlin,
        ..Default::default()
    };
    let (engine, _clock) = engine_with("2026-11-23T10:00:00Z", options).await;
    engine.publish(&reference("faq-menu")).await.expect("publish");
    engine.enqueue(&[says("ana", "menu")]).await.expect("enqueue");
    if on_postgres() {
        assert_eq!(engine.queue_depth().await.expect("depth"), 1, "queued on PostgreSQL");
        assert_eq!(engine.process_queue(10).await.expect("process"), 1);
    } else {
        assert_eq!(engine.queue_depth().await.expect("depth"), 0, "nothing left to queue");
        assert_eq!(engine.process_queue(10).await.expect("process"), 0);
    }
    let ana = contact_of(&engine, "ana").await.expect("ana");
    flush(&engine).await;
    assert!(!sent(&engine, ana).await.is_empty(), "the menu went out");
}

/// An event accepted while an earlier event of the same contact still waits in the queue
/// (here one failing and tried again) is queued behind it, not processed at once: a contact's
/// events keep their order.
#[tokio::test]
async fn an_event_accepted_behind_a_waiting_one_keeps_its_place() {
    let options = switchboard::runtime::Options {
        process_on_accept: Some(true),
        timezone: chrono_tz::Europe::Berlin,
        ..Default::default()
    };
    let (engine, _clock) = engine_with("2026-11-23T10:00:00Z", options).await;
    poison_messages(&engine).await;
    engine.handle(says("ana", "first")).await.expect("ana exists");
    engine.enqueue(&[says("ana", "poison-other")]).await.expect("accepted, though it fails");
    assert_eq!(engine.queue_depth().await.expect("depth"), 1, "the failing event waits in the queue");
    engine.process_queue(10).await.expect("an attempt");
    engine.enqueue(&[says("ana", "after")]).await.expect("enqueue");
    let ana = contact_of(&engine, "ana").await.expect("ana");
    assert_eq!(inbound_texts(&engine, ana).await, vec!["first"], "the later event waits its turn");
    assert_eq!(engine.queue_depth().await.expect("depth"), 2);
    while engine.queue_depth().await.expect("depth") > 0 {
        engine.process_queue(10).await.expect("pass");
    }
    assert_eq!(inbound_texts(&engine, ana).await, vec!["first", "after"]);
}

#[tokio::test]
async fn the_webhook_channel_retries_with_backoff_and_the_same_key() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let attempts = std::sync::Arc::new(AtomicUsize::new(0));
    let seen = attempts.clone();
    let keys = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let keys_seen = keys.clone();
    let app = axum::Router::new().route(
        "/channel",
        axum::routing::post(move |headers: axum::http::HeaderMap| {
            let seen = seen.clone();
            let keys = keys_seen.clone();
            async move {
                let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                keys.lock().unwrap_or_else(|e| e.into_inner()).push(key);
                // The first two deliveries hit a channel that is down.
                if seen.fetch_add(1, Ordering::SeqCst) < 2 {
                    axum::http::StatusCode::SERVICE_UNAVAILABLE
                } else {
                    axum::http::StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/channel", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let options = switchboard::runtime::Options { webhook_url: Some(url), ..switchboard::runtime::Options::default() };
    let (engine, clock) = engine_with("2026-11-23T10:00:00Z", options).await;
    engine.publish(&reference("faq-menu")).await.expect("publish");
    engine.handle(webhook_says("ana", "menu", "m1")).await.expect("menu");
    assert_eq!(engine.process_outbox(10).await.expect("first try"), 1);
    let status = || async {
        sqlx::query_as::<_, (String, i64)>("SELECT status, attempts FROM outbox")
            .fetch_one(engine.pool())
            .await
            .expect("outbox")
    };
    assert_eq!(status().await, ("pending".to_owned(), 1));
    assert_eq!(engine.process_outbox(10).await.expect("not due yet"), 0, "the retry waits for its backoff");
    clock.advance(chrono::Duration::seconds(1));
    engine.process_outbox(10).await.expect("second try");
    clock.advance(chrono::Duration::seconds(2));
    engine.process_outbox(10).await.expect("third try");
    assert_eq!(status().await, ("done".to_owned(), 3));
    let keys = keys.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert_eq!(keys.len(), 3);
    assert!(keys.iter().all(|k| k == &keys[0]), "every attempt carries the same key: {keys:?}");
    let message: String = sqlx::query_scalar("SELECT status FROM messages WHERE direction = 'out'")
        .fetch_one(engine.pool())
        .await
        .expect("m");
    assert_eq!(message, "sent");
}

#[tokio::test]
async fn two_agent_replies_in_one_batch_both_go_out() {
    let (engine, _clock) = engine_at("2026-11-23T10:00:00Z").await;
    engine.upsert_agent(&agent("bob", &["support"], true)).await.expect("bob");
    let ana = engine.handle(says("ana", "hi")).await.expect("hi").contact_id.expect("contact");
    let reply = |text: &str| {
        Event::new(EventKind::AgentReplied { contact: ContactRef::Id(ana), agent_id: "bob".into(), text: text.into() })
    };
    engine.enqueue(&[reply("Hi Ana"), reply("How can I help?")]).await.expect("enqueue");
    drain_queue(&engine).await;
    flush(&engine).await;
    assert_eq!(sent(&engine, ana).await, vec!["Hi Ana", "How can I help?"]);
}

#[tokio::test]
async fn a_question_that_cannot_be_delivered_fails_instead_of_waiting_forever() {
    // No channel adapter for `whatsapp` is configured, so delivering the question fails.
    let (engine, _clock) = engine_at("2026-11-23T10:00:00Z").await;
    engine.publish(&reference("csat")).await.expect("csat");
    let event = Event::new(EventKind::MessageReceived {
        contact: ContactRef::Address { channel: "whatsapp".into(), address: "+4915100000000".into() },
        channel: "whatsapp".into(),
        message: steps::message::InboundMessage::text("hello"),
        profile: Default::default(),
    });
    let ana = engine.handle(event).await.expect("hello").contact_id.expect("contact");
    let run = engine
        .handle(Event::new(EventKind::ConversationClosed {
            contact: ContactRef::Id(ana),
            closed_by: "agent:x".into(),
            category: None,
            summary: None,
            auto: false,
        }))
        .await
        .expect("close")
        .started[0];
    flush(&engine).await;
    let info = engine.run(run).await.expect("run");
    assert_eq!(info.status, "failed", "{info:?}");
    assert!(info.last_error.as_deref().is_some_and(|e| e.contains("no channel adapter")), "{info:?}");
}

#[tokio::test]
async fn a_run_exited_before_its_first_step_never_runs_it() {
    let (engine, _clock) = engine_at("2026-11-23T10:00:00Z").await;
    engine
        .publish(
            r#"
schema: 1
id: follow-up
name: Follow-up
trigger: { type: manual }
settings: { exit_when: [conversation_closed] }
start: hello
steps:
  hello: { kind: send_message, text: 'Following up' }
"#,
        )
        .await
        .expect("follow-up");
    engine
        .publish(
            r#"
schema: 1
id: wrap-up
name: Wrap up
trigger: { type: message_received, keywords: [bye] }
start: later
steps:
  later: { kind: trigger_workflow, workflow: follow-up, next: { next: close } }
  close: { kind: close_conversation, category: done }
"#,
        )
        .await
        .expect("wrap-up");
    let handled = engine.handle(says("ana", "bye")).await.expect("bye");
    let ana = handled.contact_id.expect("contact");
    let follow_up = handled.started[1];
    let info = engine.run(follow_up).await.expect("run");
    assert_eq!(info.status, "exited");
    flush(&engine).await;
    assert!(sent(&engine, ana).await.is_empty(), "the exited run sent nothing");
    let kinds: Vec<String> = engine.journal(follow_up).await.expect("journal").into_iter().map(|e| e.kind).collect();
    assert_eq!(kinds, vec!["start", "end"]);
}

#[tokio::test]
async fn stopping_with_eject_does_not_start_queued_triggers() {
    let (engine, _clock) = engine_at("2026-11-23T10:00:00Z").await;
    engine.publish(&MANUAL_WAIT.replace("WHEN", "queue").replace("ONCE", "false")).await.expect("publish");
    let ana = engine.handle(says("ana", "hi")).await.expect("hi").contact_id.expect("contact");
    engine.handle(manual("nurture", ana)).await.expect("first");
    assert_eq!(engine.handle(manual("nurture", ana)).await.expect("queued").queued, vec!["nurture"]);
    assert_eq!(engine.stop("nurture", true).await.expect("stop"), 1);
    let runs = engine.runs_of_contact(ana).await.expect("runs");
    assert_eq!(runs.len(), 1, "nothing new started");
    assert_eq!(runs[0].status, "cancelled");
}

#[tokio::test]
async fn opting_out_stops_messages_already_queued() {
    let (engine, _clock) = engine_at("2026-11-23T10:00:00Z").await;
    engine.publish(&reference("faq-menu")).await.expect("faq");
    let ana = engine.handle(says("ana", "menu")).await.expect("menu").contact_id.expect("contact");
    engine.handle(Event::new(EventKind::OptedOut { contact: ContactRef::Id(ana) })).await.expect("stop");
    flush(&engine).await;
    let statuses: Vec<String> =
        sqlx::query_scalar("SELECT status FROM outbox").fetch_all(engine.pool()).await.expect("outbox");
    assert_eq!(statuses, vec!["dead"]);
    // The contact's history says the same: the line is failed with the reason, not pending
    // forever (found by the deterministic simulator, issue 18).
    let lines: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT status, error FROM messages WHERE direction = 'out'")
            .fetch_all(engine.pool())
            .await
            .expect("history");
    assert_eq!(lines, vec![("failed".to_owned(), Some("not sent: the run was exited".to_owned()))]);
}

#[tokio::test]
async fn a_contacts_messages_keep_their_order_when_one_must_be_retried() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let calls = std::sync::Arc::new(AtomicUsize::new(0));
    let texts = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let (c, t) = (calls.clone(), texts.clone());
    let app = axum::Router::new().route(
        "/channel",
        axum::routing::post(move |axum::Json(body): axum::Json<serde_json::Value>| {
            let (c, t) = (c.clone(), t.clone());
            async move {
                if c.fetch_add(1, Ordering::SeqCst) == 0 {
                    return axum::http::StatusCode::SERVICE_UNAVAILABLE;
                }
                t.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(body["message"]["text"].as_str().unwrap_or("").to_owned());
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/channel", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let options = switchboard::runtime::Options { webhook_url: Some(url), ..switchboard::runtime::Options::default() };
    let (engine, clock) = engine_with("2026-11-23T10:00:00Z", options).await;
    engine
        .publish("schema: 1\nid: two\nname: Two\ntrigger: { type: message_received }\nstart: a\nsteps:\n  a: { kind: send_message, text: first, next: { next: b } }\n  b: { kind: send_message, text: second }\n")
        .await
        .expect("publish");
    engine.handle(webhook_says("ana", "hi", "m1")).await.expect("hi");
    engine.process_outbox(10).await.expect("pass 1");
    assert!(texts.lock().unwrap_or_else(|e| e.into_inner()).is_empty(), "the second waits behind the first");
    clock.advance(chrono::Duration::seconds(1));
    engine.process_outbox(10).await.expect("pass 2");
    assert_eq!(*texts.lock().unwrap_or_else(|e| e.into_inner()), vec!["first", "second"]);
}

// Poisoned events (issue 16, items 2 and 3). These run on both backends (the conformance
// suite): the same input must give the same result on SQLite and PostgreSQL.

/// The texts of a contact's inbound messages, in order.
async fn inbound_texts(engine: &switchboard::runtime::Engine, contact_id: i64) -> Vec<String> {
    engine
        .transcript(contact_id)
        .await
        .expect("transcript")
        .iter()
        .filter(|m| m["direction"] == "in")
        .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The reasons of the dead letters, oldest first.
async fn dead_letter_reasons(engine: &switchboard::runtime::Engine) -> Vec<String> {
    sqlx::query_scalar("SELECT error FROM event_failures ORDER BY id").fetch_all(engine.pool()).await.expect("dead")
}

async fn contact_of(engine: &switchboard::runtime::Engine, address: &str) -> Option<i64> {
    engine.contact_by_address("simulator", address).await.expect("lookup")
}

/// A channel's delivery is not refused for a NUL character (PostgreSQL cannot store one):
/// it becomes U+FFFD, the queue moves on, and both backends store the same text. On
/// PostgreSQL the insert used to fail (SQLSTATE 22021) and the batch was retried forever.
#[tokio::test]
async fn a_nul_in_a_channel_delivery_is_replaced_and_the_queue_moves_on() {
    let (engine, _clock) = engine_at("2026-11-23T10:00:00Z").await;
    let mut poisoned = says("ana", "a\u{0}b");
    poisoned.source = "channel:sim-main".into();
    poisoned.id = Some("wamid.1\u{0}".into());
    engine.enqueue(&[poisoned, says("bea", "hello")]).await.expect("a channel's delivery is accepted");
    drain_queue(&engine).await;
    assert_eq!(engine.queue_depth().await.expect("depth"), 0);
    let ana = contact_of(&engine, "ana").await.expect("ana");
    assert_eq!(inbound_texts(&engine, ana).await, vec!["a\u{FFFD}b"]);
    let bea = contact_of(&engine, "bea").await.expect("the next event was processed");
    assert_eq!(inbound_texts(&engine, bea).await, vec!["hello"]);
    assert!(dead_letter_reasons(&engine).await.is_empty());
}

/// An event with a NUL queued before intake refused it (the stuck queue of the issue, which
/// a restart did not clear) is processed once the engine is upgraded.
#[tokio::test]
async fn a_nul_queued_before_the_rule_is_processed_instead_of_blocking_the_queue() {
    let (engine, _clock) = engine_at("2026-11-23T10:00:00Z").await;
    let body = json!({"type": "message_received", "contact": {"address": {"channel": "simulator", "address": "ana"}},
        "channel": "simulator", "message": {"text": "x\u{0}y"}});
    sqlx::query(
        "INSERT INTO event_queue (source, event_id, body, received_at, contact_key) VALUES ('api:crm', 'e1', $1, 0, 'simulator:ana')",
    )
    .bind(body.to_string())
    .execute(engine.pool())
    .await
    .expect("a queued row from before");
    engine.enqueue(&[says("bea", "hello")]).await.expect("enqueue");
    assert_eq!(engine.process_queue(100).await.expect("processed"), 2);
    let ana = contact_of(&engine, "ana").await.expect("ana");
    assert_eq!(inbound_texts(&engine, ana).await, vec!["x\u{FFFD}y"]);
    assert!(contact_of(&engine, "bea").await.is_some());
}

/// Makes the database refuse inbound messages with these texts: `poison-data` with a data
/// error (PostgreSQL SQLSTATE 22023; SQLite a constraint), `poison-other` with an error that
/// is neither data nor connection (PostgreSQL P0001; SQLite "malformed JSON").
async fn poison_messages(engine: &switchboard::runtime::Engine) {
    let statements: &[&str] = if on_postgres() {
        &[
            "CREATE FUNCTION sb_poison() RETURNS trigger AS $$ BEGIN
               IF NEW.text = 'poison-data' THEN RAISE EXCEPTION 'poisoned data' USING ERRCODE = '22023'; END IF;
               IF NEW.text = 'poison-other' THEN RAISE EXCEPTION 'something else' USING ERRCODE = 'P0001'; END IF;
               RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER sb_poison BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION sb_poison()",
        ]
    } else {
        &[
            "CREATE TRIGGER poison_data BEFORE INSERT ON messages WHEN NEW.text = 'poison-data'
               BEGIN SELECT RAISE(ABORT, 'poisoned data'); END",
            "CREATE TRIGGER poison_other BEFORE INSERT ON messages WHEN NEW.text = 'poison-other'
               BEGIN SELECT json('something else'); END",
        ]
    };
    for sql in statements {
        sqlx::raw_sql(sqlx::AssertSqlSafe(*sql)).execute(engine.pool()).await.expect("poison");
    }
}

/// A data error is the event's own: it moves to the dead letters at once, leaves no trace
/// (not even the contact it would have created) and every other event commits.
#[tokio::test]
async fn a_data_error_dead_letters_its_event_and_the_others_commit() {
    let (engine, _clock) = engine_at("2026-11-23T10:00:00Z").await;
    poison_messages(&engine).await;
    engine.enqueue(&[says("ana", "poison-data"), says("bea", "hello"), says("cai", "hi")]).await.expect("enqueue");
    assert_eq!(engine.process_queue(100).await.expect("processed, not retried forever"), 3);
    assert_eq!(engine.queue_depth().await.expect("depth"), 0);
    assert_eq!(contact_of(&engine, "ana").await, None, "the poisoned event left no trace");
    for name in ["bea", "cai"] {
        assert!(contact_of(&engine, name).await.is_some(), "{name}'s event was processed");
    }
    let reasons = dead_letter_reasons(&engine).await;
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(reasons[0].contains("poisoned data"), "{reasons:?}");
}

/// An error that is neither the event's data nor the connection is tried again a few
/// times; meanwhile other contacts' events go on and the same contact's later events wait
/// behind it (their order is kept), and then it moves to the dead letters.
#[tokio::test]
async fn an_unclear_failure_is_tried_again_then_dead_lettered_without_holding_back_others() {
    let (engine, _clock) = engine_at("2026-11-23T10:00:00Z").await;
    poison_messages(&engine).await;
    engine.handle(says("ana", "first")).await.expect("ana exists");
    engine.enqueue(&[says("ana", "poison-other"), says("ana", "after"), says("bea", "hello")]).await.expect("enqueue");
    engine.process_queue(100).await.expect("first pass");
    let ana = contact_of(&engine, "ana").await.expect("ana");
    assert!(contact_of(&engine, "bea").await.is_some(), "another contact's event is not held back");
    assert_eq!(inbound_texts(&engine, ana).await, vec!["first"], "ana's later event waits behind the failing one");
    assert_eq!(engine.queue_depth().await.expect("depth"), 2);
    let mut passes = 1;
    while engine.queue_depth().await.expect("depth") > 0 {
        engine.process_queue(100).await.expect("pass");
        passes += 1;
        assert!(passes <= 10, "the failing event is given up after a few tries");
    }
    assert_eq!(passes as i64, switchboard::runtime::MAX_EVENT_ATTEMPTS);
    assert_eq!(inbound_texts(&engine, ana).await, vec!["first", "after"]);
    let reasons = dead_letter_reasons(&engine).await;
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(reasons[0].starts_with("failed 5 times; the last time: database:"), "{reasons:?}");
    let attempts: i64 =
        sqlx::query_scalar("SELECT attempts FROM event_failures").fetch_one(engine.pool()).await.expect("n");
    assert_eq!(attempts, 5);
}

/// A refusal on the batch path leaves no trace: a `conversation_closed` for a new address
/// is refused (no open conversation), and neither the contact nor the address it would have
/// created is committed with the batch's other events.
#[tokio::test]
async fn a_refused_event_in_a_batch_leaves_no_trace() {
    let (engine, _clock) = engine_at("2026-11-23T10:00:00Z").await;
    engine.enqueue(&[says("ana", "hi"), closes("zed", "agent:bob", "resolved"), says("bea", "hi")]).await.expect("q");
    assert_eq!(engine.process_queue(100).await.expect("process"), 3);
    assert_eq!(contact_of(&engine, "zed").await, None, "no address for zed");
    let contacts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contacts").fetch_one(engine.pool()).await.expect("n");
    assert_eq!(contacts, 2, "ana and bea only");
    let reasons = dead_letter_reasons(&engine).await;
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert_eq!(reasons, vec!["the contact at `zed` on simulator has no open conversation"]);
}

/// A test chat's workflow that takes whichever agent is free.
const GRAB_AN_AGENT: &str = r#"
schema: 1
id: grab-an-agent
name: Grab an agent
trigger:
  type: message_received
start: assign_agent
steps:
  assign_agent:
    kind: assign
    to: workspace
    strategy: round_robin
    online_only: true
    timeout: 30m
    next: { assigned: done, timeout: done }
  done:
    kind: send_message
    text: Done.
"#;

/// Ending a test chat closes its conversation like any close: the agent it had is free
/// again and is offered at once to a contact waiting in the assignment queue.
#[tokio::test]
async fn ending_a_test_chat_offers_its_agent_to_the_queue() {
    let (engine, _clock) = engine_at("2026-11-23T10:00:00Z").await;
    engine.publish(&reference("faq-menu")).await.expect("publish");
    let mut bob = agent("bob", &["support"], true);
    bob.max_open = Some(1);
    engine.upsert_agent(&bob).await.expect("agent");
    let session = engine.start_test(GRAB_AN_AGENT, None, None).await.expect("test chat").session;
    let test_run = engine.runs_of_contact(session).await.expect("runs")[0].id;
    let info = engine.run(test_run).await.expect("test run");
    assert_eq!(json(&info.vars, "steps.assign_agent.agent_id"), json!("bob"), "{info:?}");

    let run = engine.handle(says("ana", "menu")).await.expect("menu").started[0];
    engine.handle(presses("ana", "human", "Talk to a person")).await.expect("human");
    let info = engine.run(run).await.expect("run");
    assert_eq!(info.waiting.as_ref().map(|w| w["kind"].clone()), Some(json!("agent")), "bob is busy: {info:?}");

    engine.end_test(session).await.expect("end test chat");
    let info = engine.run(run).await.expect("run");
    assert_eq!(info.status, "completed", "bob is offered to ana when the test chat ends: {info:?}");
    assert_eq!(json(&info.vars, "steps.assign_agent.agent_id"), json!("bob"));
}

/// Issue 19: finished history is kept for its retention and then pruned — finished outbox
/// rows after a week, ended runs with their journals after 30 days, transcript lines after a
/// year — while nothing in use is touched: a run waiting on a question for over a year keeps
/// its row and journal, and its answer still resumes it.
#[tokio::test]
async fn history_past_its_retention_is_pruned_and_nothing_in_use_is() {
    let (engine, clock) = engine_at("2026-11-23T10:00:00Z").await;
    let flow = r#"
schema: 1
id: order-number
name: Order number
trigger: { type: message_received, keywords: [order] }
start: ask
steps:
  ask:
    kind: ask
    type: text
    text: Your order number?
    next: { answered: thanks }
  thanks: { kind: send_message, text: Thanks }
"#;
    engine.publish(flow).await.expect("publish");
    let ana = engine.handle(says("ana", "order")).await.expect("ana").contact_id.expect("ana");
    let bob = engine.handle(says("bob", "order")).await.expect("bob").contact_id.expect("bob");
    flush(&engine).await;
    engine.handle(says("ana", "A-1")).await.expect("ana answers");
    flush(&engine).await;
    let pool = engine.pool();
    let count =
        |sql: &'static str| async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await.expect("count") };
    let bobs_run: i64 = sqlx::query_scalar("SELECT id FROM runs WHERE contact_id = $1")
        .bind(bob)
        .fetch_one(engine.pool())
        .await
        .expect("bob's run");
    let bobs_journal = || async move {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM run_journal WHERE run_id = $1")
            .bind(bobs_run)
            .fetch_one(pool)
            .await
            .expect("journal")
    };
    let journal_before = bobs_journal().await;
    assert_eq!(count("SELECT COUNT(*) FROM outbox WHERE status = 'done'").await, 3, "two questions and a thanks");
    assert_eq!(count("SELECT COUNT(*) FROM runs").await, 2);

    // Within every retention nothing goes.
    clock.advance(chrono::Duration::days(6));
    assert_eq!(engine.prune_history(|| {}).await.expect("prune"), switchboard::runtime::Pruned::default());

    // After a week the finished outbox rows go; runs and messages stay.
    clock.advance(chrono::Duration::days(2));
    let pruned = engine.prune_history(|| {}).await.expect("prune");
    assert_eq!((pruned.outbox, pruned.runs, pruned.messages), (3, 0, 0), "{pruned:?}");
    assert_eq!(count("SELECT COUNT(*) FROM outbox").await, 0);

    // After 30 days ana's ended run and its journal go; bob's waiting run is untouched.
    clock.advance(chrono::Duration::days(23));
    let pruned = engine.prune_history(|| {}).await.expect("prune");
    assert_eq!(pruned.runs, 1, "{pruned:?}");
    assert!(pruned.journal >= 3, "ana's journal went with her run: {pruned:?}");
    let left: Vec<(i64, String)> =
        sqlx::query_as("SELECT contact_id, status FROM runs").fetch_all(engine.pool()).await.expect("runs");
    assert_eq!(left, vec![(bob, "waiting".to_owned())]);
    assert_eq!(bobs_journal().await, journal_before, "a waiting run keeps its whole journal");

    // After a year the transcript lines go, except what is still unsettled.
    clock.advance(chrono::Duration::days(340));
    let pruned = engine.prune_history(|| {}).await.expect("prune");
    assert_eq!(pruned.messages, 6, "three in and three out: {pruned:?}");
    assert_eq!(count("SELECT COUNT(*) FROM messages").await, 0);

    // Bob answers after more than a year: his run resumes as if nothing had been pruned.
    engine.handle(says("bob", "B-2")).await.expect("bob answers");
    flush(&engine).await;
    let run = engine.run(bobs_run).await.expect("bob's run");
    assert_eq!(run.status, "completed");
    let sent: Vec<String> =
        sqlx::query_scalar("SELECT text FROM messages WHERE contact_id = $1 AND direction = 'out' ORDER BY id")
            .bind(bob)
            .fetch_all(engine.pool())
            .await
            .expect("sent");
    assert_eq!(sent, vec!["Thanks".to_owned()]);
    assert_eq!(ana, 1);
}

/// Issue 19: a retention of `forever` keeps that kind of history; the pruning still forgets
/// the rest.
#[tokio::test]
async fn a_retention_of_forever_keeps_history() {
    use switchboard::runtime::{parse_retention, Options, Retention};
    assert_eq!(parse_retention("forever"), Ok(None));
    assert_eq!(parse_retention("12h"), Ok(Some(std::time::Duration::from_secs(12 * 3600))));
    let err = parse_retention("soon").expect_err("not a duration");
    assert!(err.starts_with("`soon` is not a duration"), "{err}");
    assert!(parse_retention("0s").is_err(), "a retention of nothing is refused");
    assert_eq!(Retention::default().interval(), std::time::Duration::from_secs(60));
    let short = Retention { outbox: Some(std::time::Duration::from_secs(20)), ..Retention::default() };
    assert_eq!(short.interval(), std::time::Duration::from_secs(2), "a tenth of the shortest retention");
    let retention = Retention { outbox: None, runs: None, messages: None };
    let (engine, clock) = engine_with("2026-11-23T10:00:00Z", Options { retention, ..Options::default() }).await;
    engine.publish(&reference("faq-menu")).await.expect("faq");
    engine.handle(says("ana", "menu")).await.expect("menu");
    flush(&engine).await;
    clock.advance(chrono::Duration::days(3650));
    let pruned = engine.prune_history(|| {}).await.expect("prune");
    assert_eq!((pruned.outbox, pruned.runs, pruned.messages), (0, 0, 0), "{pruned:?}");
    assert_eq!(pruned.event_ids, 0, "events handed to the engine directly carry no sender id");
}
