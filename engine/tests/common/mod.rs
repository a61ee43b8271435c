//! Shared test helpers: an engine on a fresh store with a manual clock.
//!
//! The store is an in-memory SQLite, or, with `SWITCHBOARD_TEST_BACKEND=postgres`, a scratch
//! PostgreSQL database of the test's own on the server `SWITCHBOARD_TEST_DATABASE_URL` names.
//! The suites that use these helpers (runtime, triggers, api, editor_api, console_api) are
//! the conformance suite: `.ci/test` runs them once per backend.
#![allow(dead_code)]

pub mod api;
pub mod serve;

use chrono::{DateTime, Utc};
use serde_json::Value;
use std::sync::Arc;
use steps::message::InboundMessage;
use switchboard::clock::ManualClock;
use switchboard::runtime::{AgentSpec, ContactRef, Engine, Event, EventKind, Options};

/// An engine on a fresh in-memory database, its clock stopped at `now`.
pub async fn engine_at(now: &str) -> (Engine, ManualClock) {
    engine_with(now, Options { timezone: chrono_tz::Europe::Berlin, ..Options::default() }).await
}

pub async fn engine_with(now: &str, mut options: Options) -> (Engine, ManualClock) {
    if options.database_url == Options::default().database_url {
        options.database_url = fresh_database_url().await;
    }
    // PostgreSQL has no key file: the tests give it the key an operator would configure.
    if options.secret_keys.is_none() && options.database_url.starts_with("postgres") {
        options.secret_keys = Some(test_keys(1, &[]));
    }
    let clock = ManualClock::at(now.parse::<DateTime<Utc>>().expect("time"));
    let engine = Engine::open(options, Arc::new(clock.clone())).await.expect("engine opens");
    (engine, clock)
}

/// Is this test run on PostgreSQL (`SWITCHBOARD_TEST_BACKEND=postgres`)?
pub fn on_postgres() -> bool {
    std::env::var("SWITCHBOARD_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

/// A store of the test's own: `sqlite::memory:`, or a new scratch PostgreSQL database
/// (named `sb_conformance_…`; `.ci/test` drops them after the run).
pub async fn fresh_database_url() -> String {
    if !on_postgres() {
        return "sqlite::memory:".into();
    }
    let server = std::env::var("SWITCHBOARD_TEST_DATABASE_URL")
        .expect("SWITCHBOARD_TEST_BACKEND=postgres needs SWITCHBOARD_TEST_DATABASE_URL (a PostgreSQL server)");
    scratch_database(&server, "sb_conformance").await
}

/// A store that outlives its engine, for tests that reopen it: an SQLite file in a fresh
/// folder, or a scratch PostgreSQL database.
pub async fn durable_database_url() -> String {
    if on_postgres() {
        return fresh_database_url().await;
    }
    format!("sqlite://{}/sb.db", tempdir().display())
}

/// A keyring of test keys: `[current; 32]`, and `[p; 32]` for each previous `p`.
pub fn test_keys(current: u8, previous: &[u8]) -> switchboard::secrets::Keyring {
    use base64::Engine as _;
    let b64 = |b: u8| base64::engine::general_purpose::STANDARD.encode([b; 32]);
    switchboard::secrets::Keyring::from_base64(&b64(current), &previous.iter().map(|&p| b64(p)).collect::<Vec<_>>())
        .expect("test keys")
}

/// Creates an empty database on the server `server_url` names and returns its URL.
pub async fn scratch_database(server_url: &str, prefix: &str) -> String {
    use sqlx::Connection;
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let mut random = [0u8; 4];
    getrandom::fill(&mut random).expect("random");
    let name = format!("{prefix}_{}_{n}_{}", std::process::id(), hex::encode(random));
    let mut admin = sqlx::PgConnection::connect(server_url).await.expect("the PostgreSQL server answers");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("scratch database");
    match server_url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => panic!("`{server_url}` names no database"),
    }
}

/// The text of a reference workflow.
pub fn reference(name: &str) -> String {
    std::fs::read_to_string(format!("{}/../workflows/{name}.yaml", env!("CARGO_MANIFEST_DIR")))
        .expect("reference workflow")
}

pub fn contact(address: &str) -> ContactRef {
    ContactRef::Address { channel: "simulator".into(), address: address.into() }
}

/// A contact's message on the simulator channel.
pub fn says(address: &str, text: &str) -> Event {
    Event::new(EventKind::MessageReceived {
        contact: contact(address),
        channel: "simulator".into(),
        message: InboundMessage::text(text),
        profile: serde_json::from_value(
            serde_json::json!({"first_name": address, "name": format!("{address} Example")}),
        )
        .expect("profile"),
    })
}

/// A button press on the simulator channel.
pub fn presses(address: &str, payload: &str, title: &str) -> Event {
    Event::new(EventKind::MessageReceived {
        contact: contact(address),
        channel: "simulator".into(),
        message: InboundMessage::button(payload, title),
        profile: Default::default(),
    })
}

pub fn closes(address: &str, by: &str, category: &str) -> Event {
    Event::new(EventKind::ConversationClosed {
        contact: contact(address),
        closed_by: by.into(),
        category: Some(category.into()),
        summary: None,
        auto: false,
    })
}

pub fn agent(id: &str, teams: &[&str], online: bool) -> AgentSpec {
    AgentSpec {
        id: id.into(),
        name: format!("Agent {}", id.to_uppercase()),
        email: Some(format!("{id}@example.com")),
        teams: teams.iter().map(|t| (*t).to_owned()).collect(),
        online,
        max_open: None,
    }
}

/// A manual start of `workflow` for a contact, with no variables.
pub fn manual_start(workflow: &str, contact_id: i64) -> Event {
    Event::new(EventKind::Manual {
        workflow: workflow.into(),
        contact: ContactRef::Id(contact_id),
        vars: Default::default(),
    })
}

/// Starts `switchboard run` on database `db` with `dir/workflows`, its webhook channel and
/// HTTP steps pointed at the receiver on 127.0.0.1 (the kill tests).
pub fn spawn_run(dir: &std::path::Path, db: &str, receiver: &str) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["run", "--db", db, "--workflows"])
        .arg(dir.join("workflows"))
        .args(["--webhook-url", &format!("{receiver}/channel"), "--http-allow", "127.0.0.1/32"])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("switchboard run starts")
}

/// The texts of the messages sent to a contact, in order.
pub async fn sent(engine: &Engine, contact_id: i64) -> Vec<String> {
    engine
        .simulator_messages(contact_id)
        .await
        .expect("messages")
        .iter()
        .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Processes every queued event. On SQLite with nothing queued, `enqueue` has processed what
/// it accepted already (`intake.rs`); on PostgreSQL, and behind queued events, this does.
pub async fn drain_queue(engine: &Engine) {
    while engine.process_queue(100).await.expect("process the queue") > 0 {}
}

/// Delivers everything in the outbox (the simulator channel succeeds at once).
pub async fn flush(engine: &Engine) {
    while engine.process_outbox(1000).await.expect("outbox") > 0 {}
}

pub fn json(v: &Value, path: &str) -> Value {
    path.split('.').fold(v.clone(), |v, k| v.get(k).cloned().unwrap_or(Value::Null))
}

/// A receiver on 127.0.0.1 standing in for a channel and a CRM: it records every request's
/// path and `Idempotency-Key`, and answers `/crm` with `{"tier": "gold"}`.
#[derive(Clone, Default)]
pub struct Receiver {
    pub seen: Arc<std::sync::Mutex<Vec<(String, String)>>>,
}

impl Receiver {
    /// Starts the receiver; returns it and its base URL.
    pub async fn start() -> (Receiver, String) {
        Receiver::start_slow(std::time::Duration::ZERO).await
    }

    /// A receiver that takes `delay` to answer each request (effects stay in flight longer).
    pub async fn start_slow(delay: std::time::Duration) -> (Receiver, String) {
        use axum::http::HeaderMap;
        use axum::routing::post;
        let receiver = Receiver::default();
        let record = |path: &'static str, receiver: Receiver| {
            move |headers: HeaderMap| {
                let receiver = receiver.clone();
                async move {
                    tokio::time::sleep(delay).await;
                    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                    receiver.seen.lock().unwrap_or_else(|e| e.into_inner()).push((path.to_owned(), key.clone()));
                    axum::Json(serde_json::json!({"id": key, "tier": "gold"}))
                }
            }
        };
        let app = axum::Router::new()
            .route("/channel", post(record("/channel", receiver.clone())))
            .route("/crm", post(record("/crm", receiver.clone())));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (receiver, url)
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<(String, String)> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The distinct idempotency keys seen.
    pub fn keys(&self) -> std::collections::BTreeSet<String> {
        self.requests().into_iter().map(|(_, k)| k).collect()
    }
}

/// A workflow that exercises every kind of durable step: an awaited message, an HTTP call,
/// a timer, a question and a final message. `{{URL}}` is the receiver's base URL.
pub const DURABLE_FLOW: &str = r#"
schema: 1
id: durable
name: Durable
trigger: { type: message_received, keywords: [start] }
start: greet
steps:
  greet:
    kind: send_message
    text: 'Hello {{contact.first_name}}'
    next: { next: lookup, failure: lookup }
  lookup:
    kind: http
    method: POST
    url: '{{URL}}/crm'
    json: { contact: '{{contact.id}}' }
    save: { tier: $.tier }
    next: { success: pause, failure: pause }
  pause:
    kind: wait
    for: PAUSE
    next: { done: bye }
  bye:
    kind: send_message
    text: 'Bye {{contact.first_name}}'
"#;

/// A contact's message on the webhook channel, with an event id.
pub fn webhook_says(address: &str, text: &str, id: &str) -> Event {
    Event::with_id(
        "test",
        id,
        EventKind::MessageReceived {
            contact: ContactRef::Address { channel: "webhook".into(), address: address.into() },
            channel: "webhook".into(),
            message: InboundMessage::text(text),
            profile: serde_json::from_value(serde_json::json!({"first_name": address})).expect("profile"),
        },
    )
}

/// A fresh temporary folder.
pub fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("switchboard-test-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default()
}

/// Polls `check` every 50 ms until it holds or `limit` passes; the condition is observed
/// state of another process, not a guess at how long something takes.
pub async fn eventually(limit: std::time::Duration, what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = std::time::Instant::now() + limit;
    while !check().await {
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// After a load of `DURABLE_FLOW` runs with a crash in the middle: waits until every run has
/// completed and the outbox is drained, then checks each run completed exactly once — one run
/// per contact, every step journaled once and in order, every effect's idempotency key at
/// the receiver, every message recorded once. Returns the keys (for checks of redeliveries).
pub async fn assert_durable_runs_completed_once(
    engine: &Engine,
    receiver: &Receiver,
    runs: usize,
) -> std::collections::BTreeSet<String> {
    use std::time::Duration;
    let count =
        async |sql: &'static str| sqlx::query_scalar::<_, i64>(sql).fetch_one(engine.pool()).await.unwrap_or(-1);
    eventually(Duration::from_secs(120), "every run to complete", async || {
        count("SELECT COUNT(*) FROM runs WHERE status = 'completed'").await as usize == runs
    })
    .await;
    eventually(Duration::from_secs(30), "the outbox to drain", async || {
        count("SELECT COUNT(*) FROM outbox WHERE status != 'done'").await == 0
    })
    .await;

    let expected = vec!["greet", "greet", "lookup", "lookup", "pause", "pause", "bye"];
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM runs").fetch_all(engine.pool()).await.expect("runs");
    assert_eq!(ids.len(), runs, "one run per contact, none started twice");
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT run_id, step FROM run_journal WHERE kind = 'transition' ORDER BY run_id, seq")
            .fetch_all(engine.pool())
            .await
            .expect("journal");
    let mut journals: std::collections::BTreeMap<i64, Vec<String>> = Default::default();
    for (run, step) in rows {
        journals.entry(run).or_default().push(step);
    }
    for run in &ids {
        assert_eq!(journals.get(run).cloned().unwrap_or_default(), expected, "run {run}");
    }
    // On the wire each key starts with the installation's id (the store keeps it once).
    let installation = engine.installation_id();
    let keys: std::collections::BTreeSet<String> =
        sqlx::query_scalar::<_, String>("SELECT idempotency_key FROM outbox")
            .fetch_all(engine.pool())
            .await
            .expect("keys")
            .into_iter()
            .map(|k| format!("{installation}:{k}"))
            .collect();
    assert_eq!(keys.len(), runs * 3);
    assert_eq!(receiver.keys(), keys, "each idempotency key's effect was seen");
    let messages = count("SELECT COUNT(*) FROM messages WHERE direction = 'out'").await;
    assert_eq!(messages as usize, runs * 2, "no message recorded twice");
    keys
}
