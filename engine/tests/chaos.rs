//! The chaos test (issue 16, "Done when"): one bad event, one slow endpoint or one crash never
//! holds up everyone else.
//!
//! A real `switchboard serve` process on 127.0.0.1 (an SQLite file; a scratch PostgreSQL
//! database with `SWITCHBOARD_TEST_BACKEND=postgres`) runs a flow for [`CONTACTS`] contacts: a
//! message, an HTTP call, a short wait, a second message. Meanwhile the test injects what an
//! operator meets in production, all in one run:
//!
//! - poisoned events: a message whose text holds a NUL (`\u0000`) through a channel's webhook
//!   (Telegram) and through `/api/events`, and an event about a contact that does not exist;
//! - an HTTP endpoint that answers after [`SLOW_ANSWER`] for some contacts;
//! - a panic in the queue loop (`SWITCHBOARD_CHAOS_PANIC=queue`, a test-only switch);
//! - `kill -9` in the middle, then a restart on the same database.
//!
//! Afterwards it proves what a user relies on:
//!
//! 1. every event the API accepted (2xx) was processed or dead-lettered with a reason, and the
//!    event queue is empty (an event refused at intake with a 4xx was never accepted);
//! 2. every run completed;
//! 3. no effect was performed under two different idempotency keys (per contact and step, at
//!    the receiver); the same key performed twice is allowed (a crash re-performs what was in
//!    flight) and counted;
//! 4. no timer fired more than [`MAX_LATENESS_MS`] late, measured from the journal (the time a
//!    `wait` was due against the time it fired), not counting the time no process was running.
//!
//! Every broken promise is reported together at the end, after the figures (printed for
//! BENCHMARKS.md). Waiting is on observed state (`common::eventually` style), never a sleep.
//!
//! Long on purpose (over 600 lines): one scenario with its process harness, mock endpoint and
//! figures, which only make sense together.

mod common;

use common::serve::{ServeConfig, ServeProcess};
use common::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use switchboard::runtime::{Engine, Options};

/// Contacts that run the flow (the issue's figure).
const CONTACTS: usize = 1_000;
/// One contact in this many calls the slow endpoint.
const SLOW_EVERY: usize = 100;
/// How long the slow endpoint takes to answer.
const SLOW_ANSWER: Duration = Duration::from_secs(10);
/// The flow's wait step.
const WAIT: &str = "3s";
/// The latest a timer may fire after it is due.
const MAX_LATENESS_MS: i64 = 1_000;
/// How long the engine has, after the restart, to finish everything.
const SETTLE_LIMIT: Duration = Duration::from_secs(120);
/// `SWITCHBOARD_CHAOS_PANIC` for the first process: the queue loop panics once, two seconds
/// in, when the first two waves of contacts are queued.
const PANIC_FIRST: &str = "queue@2s";
/// ... and for the restarted one: one second in, while it drains the backlog.
const PANIC_AFTER_RESTART: &str = "queue@1s";
/// The admin token the server is configured with.
const ADMIN_TOKEN: &str = "chaos-admin-token-0123456789abcdef0123456789";
/// Telegram's webhook secret for the connection the poisoned delivery comes through.
const TG_SECRET: &str = "chaos-telegram-secret";

/// Each contact: greeted, looked up (the HTTP call), a wait, then a goodbye. The HTTP step's
/// timeout is above [`SLOW_ANSWER`]: the slow endpoint is slow but successful.
const FLOW: &str = r#"
schema: 1
id: chaos
name: Chaos
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
    url: '{{URL}}/crm/{{contact.first_name}}'
    json: { contact: '{{contact.id}}' }
    timeout: 15s
    save: { tier: $.tier }
    next: { success: pause, failure: pause }
  pause:
    kind: wait
    for: WAIT
    next: { done: bye }
  bye:
    kind: send_message
    text: 'Bye {{contact.first_name}}'
"#;

/// The three effects each contact's run performs, as the receiver names them.
const EFFECTS: [&str; 3] = ["Hello", "lookup", "Bye"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_every_event_every_run_every_effect_once_every_timer_on_time() {
    let began = Instant::now();
    let dir = tempdir();
    let (receiver, receiver_url) = Receiver::start().await;
    std::fs::create_dir_all(dir.join("workflows")).expect("dir");
    std::fs::write(dir.join("workflows/chaos.yaml"), FLOW.replace("{{URL}}", &receiver_url).replace("WAIT", WAIT))
        .expect("workflow");
    let db = durable_database_url().await;
    eprintln!(
        "chaos: {CONTACTS} contacts on {}; server logs in {}",
        backend_name(&db),
        dir.join("server.log").display()
    );

    // The first process, with a loop that will panic once.
    let mut server = Server::start(&dir, &db, &receiver_url, Some(PANIC_FIRST));
    server.wait_up().await;
    let store = Engine::open(
        Options { database_url: db.clone(), secret_keys: Some(test_keys(SECRET_KEY_BYTE, &[])), ..Options::default() },
        Arc::new(switchboard::clock::SystemClock),
    )
    .await
    .expect("a second connection to the store");
    let api = Api::new();
    let (status, answer) =
        api.call(&server, "PUT", "/api/channels/telegram", Some(telegram_connection(&receiver_url))).await;
    assert_eq!(status, 200, "the Telegram connection: {answer}");

    // Contacts start in three waves: two before the kill with the poisoned events between
    // them (so good events queue behind bad ones), one after the restart.
    let waves = [0..CONTACTS * 4 / 10, CONTACTS * 4 / 10..CONTACTS * 7 / 10, CONTACTS * 7 / 10..CONTACTS];
    let mut accepted = api.start_contacts(&server, waves[0].clone()).await;
    let poisoned = api.inject_poison(&server).await;
    accepted.extend(api.start_contacts(&server, waves[1].clone()).await);

    // kill -9 once a third of the effects so far reached the receiver: effects in flight
    // (the slow endpoint's for certain), timers set, most runs unfinished.
    let before_kill = waves[1].end;
    eventually(Duration::from_secs(90), "a third of the effects before the kill", async || {
        receiver.count() >= before_kill
    })
    .await;
    let completed_at_kill = count(&store, "SELECT COUNT(*) FROM runs WHERE status = 'completed'").await;
    let pending_at_kill = count(&store, "SELECT COUNT(*) FROM outbox WHERE status = 'pending'").await;
    let killed_at = now_ms();
    server.kill();
    assert!((completed_at_kill as usize) < before_kill, "the kill came too late to prove anything");

    // The restart, again with a loop that will panic once, and the last wave.
    let mut server = Server::start(&dir, &db, &receiver_url, Some(PANIC_AFTER_RESTART));
    server.wait_up().await;
    let up_at = now_ms();
    let downtime = (killed_at, up_at);
    accepted.extend(api.start_contacts(&server, waves[2].clone()).await);

    let restarted = Instant::now();
    let settled = settles(SETTLE_LIMIT, async || {
        server.revive_if_exited();
        count(&store, "SELECT COUNT(*) FROM runs WHERE status = 'completed'").await as usize == CONTACTS
            && count(&store, "SELECT COUNT(*) FROM event_queue").await == 0
            && count(&store, "SELECT COUNT(*) FROM outbox WHERE status = 'pending'").await == 0
    })
    .await;
    let settle_time = restarted.elapsed();

    // What the user would see.
    let ready = api.call(&server, "GET", "/readyz", None).await;
    let lateness_metric = api.metric(&server, "switchboard_timer_lateness_seconds").await;
    let dead_letters = DeadLetters::read(&api, &server, &store).await;
    let events = EventReport::read(&store, &accepted, &poisoned, &dead_letters).await;
    let runs = RunReport::read(&store).await;
    let effects = EffectReport::from(&receiver.deliveries());
    let timers = TimerReport::read(&store, downtime).await;
    // The panic hook's line (or the loop's own warning if the hook is quiet), and the
    // server's own word that it honours the switch.
    let panics = server.log_lines_with("panicked").max(server.log_lines_with("panics now"));
    let injecting = server.log_lines_with("SWITCHBOARD_CHAOS_PANIC") > 0;
    let exits = server.exits;
    server.kill();

    eprintln!("chaos figures ({CONTACTS} contacts, {} backend):", backend_name(&db));
    eprintln!("  total {:.1?}; after the restart everything settled: {settled} in {settle_time:.1?}", began.elapsed());
    eprintln!(
        "  kill -9 at {completed_at_kill} runs completed and {pending_at_kill} effects pending; down for {} ms",
        downtime.1 - downtime.0
    );
    eprintln!("  injected panics: {panics} logged (fault injection announced: {injecting}); {exits} self-exits");
    eprintln!("  {events}");
    eprintln!("  {runs}");
    eprintln!("  {effects}");
    eprintln!("  {timers}");
    eprintln!("  /metrics of the restarted process: {lateness_metric}");
    eprintln!("  dead letters: {} ({})", dead_letters.items.len(), dead_letters.source);
    eprintln!("  /readyz at the end: {} {}", ready.0, ready.1);

    let mut broken = Vec::new();
    if !settled {
        broken.push(format!("the engine did not finish within {SETTLE_LIMIT:?} of the restart"));
    }
    broken.extend(events.problems());
    broken.extend(runs.problems());
    broken.extend(effects.problems());
    broken.extend(timers.problems());
    if injecting && panics < 2 {
        broken.push(format!("fault injection was announced but {panics} of the 2 injected panics happened"));
    }
    // `/readyz` tells the truth: ready once all is done, not ready while work is stuck.
    if settled && ready.0 != 200 {
        broken.push(format!("/readyz answers {} once everything is done: {}", ready.0, ready.1));
    }
    if !settled && ready.0 == 200 {
        broken.push(format!("/readyz says ready though work is stuck: {}", ready.1));
    }
    assert!(broken.is_empty(), "the engine broke its promises:\n- {}", broken.join("\n- "));
}

// ---------------------------------------------------------------------------------------
// The server process.

/// The byte the secret key is made of (`common::test_keys`): the server and the test's own
/// connection must seal and open the channel's secrets with the same key.
const SECRET_KEY_BYTE: u8 = 7;

/// A `switchboard serve` process (`common::serve`) and what it takes to start it again.
struct Server {
    process: ServeProcess,
    base: String,
    dir: PathBuf,
    db: String,
    receiver: String,
    /// Times the process exited by itself (a supervisor that chose to exit on a loop's
    /// panic); the test then plays the process supervisor and starts it again.
    exits: usize,
}

impl Server {
    /// Starts the server; `panic_loop` names a background loop that panics once.
    fn start(dir: &Path, db: &str, receiver: &str, panic_loop: Option<&str>) -> Server {
        let process = ServeProcess::start(&ServeConfig {
            binary: Path::new(env!("CARGO_BIN_EXE_switchboard")),
            dir,
            db,
            receiver,
            admin_token: ADMIN_TOKEN,
            secret_key_byte: SECRET_KEY_BYTE,
            env: vec![("SWITCHBOARD_CHAOS_PANIC", panic_loop)],
        })
        .expect("switchboard serve starts");
        Server {
            base: process.base.clone(),
            process,
            dir: dir.to_owned(),
            db: db.to_owned(),
            receiver: receiver.to_owned(),
            exits: 0,
        }
    }

    async fn wait_up(&mut self) {
        self.process.wait_up(&http_client(), Duration::from_secs(60)).await.unwrap_or_else(|e| panic!("{e}"));
    }

    /// Starts the process again if it exited by itself (without the panic switch).
    fn revive_if_exited(&mut self) {
        if self.process.exited() {
            let exits = self.exits + 1;
            *self = Server::start(&self.dir, &self.db, &self.receiver, None);
            self.exits = exits;
        }
    }

    fn kill(&mut self) {
        self.process.kill();
    }

    fn log_lines_with(&self, needle: &str) -> usize {
        self.process.log_lines_with(needle)
    }
}

// ---------------------------------------------------------------------------------------
// Talking to the server as an integration and an operator would.

/// An event the API was given: what it was, how it was sent, what the API answered, and a
/// marker to find it again (in messages or dead letters).
#[derive(Debug, Clone)]
struct Sent {
    what: String,
    status: u16,
    marker: String,
}

impl Sent {
    fn accepted(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

struct Api {
    http: reqwest::Client,
}

impl Api {
    fn new() -> Api {
        Api { http: http_client() }
    }

    /// One call with the admin token; the answer's status and body (JSON, or the text).
    async fn call(&self, server: &Server, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.http.request(method, format!("{}{path}", server.base)).bearer_auth(ADMIN_TOKEN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// Starts the flow for these contacts through `/api/events`, 100 per request. Contact
    /// `i` is `c<i>`, or `slow<i>` for one in [`SLOW_EVERY`] (its HTTP call is slow).
    async fn start_contacts(&self, server: &Server, contacts: std::ops::Range<usize>) -> Vec<Sent> {
        let mut sent = Vec::new();
        let names: Vec<String> = contacts.map(contact_name).collect();
        for chunk in names.chunks(100) {
            let events: Vec<Value> =
                chunk.iter().map(|name| message_event(name, "start", &format!("start-{name}"))).collect();
            let (status, answer) = self.call(server, "POST", "/api/events", Some(Value::Array(events))).await;
            assert_eq!(status, 202, "starting contacts: {answer}");
            sent.extend(chunk.iter().map(|name| Sent {
                what: format!("start of {name}"),
                status,
                marker: name.clone(),
            }));
        }
        sent
    }

    /// The poisoned events: a NUL in a text through Telegram's webhook and through
    /// `/api/events`, and an event about a contact id that does not exist. Each may be
    /// refused at intake (4xx); what is accepted must not be lost.
    async fn inject_poison(&self, server: &Server) -> Vec<Sent> {
        let mut sent = Vec::new();
        let update = json!({"update_id": 70001, "message": {"message_id": 1, "date": 1764633600,
            "from": {"id": 5550001, "is_bot": false, "first_name": "Poison"},
            "chat": {"id": 5550001, "type": "private", "first_name": "Poison"},
            "text": "poison-telegram \u{0} after the NUL"}});
        let response = self
            .http
            .post(format!("{}/api/channels/telegram/webhook", server.base))
            .header("x-telegram-bot-api-secret-token", TG_SECRET)
            .json(&update)
            .send()
            .await
            .expect("telegram delivery");
        sent.push(Sent {
            what: "a NUL in a text, through Telegram's webhook".into(),
            status: response.status().as_u16(),
            marker: "poison-telegram".into(),
        });

        let nul = message_event("poison-api", "poison-api \u{0} after the NUL", "poison-api");
        let (status, _) = self.call(server, "POST", "/api/events", Some(nul)).await;
        sent.push(Sent { what: "a NUL in a text, through /api/events".into(), status, marker: "poison-api".into() });

        let unknown = json!({"source": "chaos", "id": "poison-unknown-contact", "type": "message_received",
            "contact": {"id": 987_654_321}, "channel": "webhook", "message": {"text": "poison-unknown-contact"}});
        let (status, _) = self.call(server, "POST", "/api/events", Some(unknown)).await;
        sent.push(Sent {
            what: "a message for a contact id that does not exist, through /api/events".into(),
            status,
            marker: "poison-unknown-contact".into(),
        });
        sent
    }

    /// A histogram's count and how many observations were above 1 s (the `le="1.024"`
    /// bucket is the first at or above it), from `/metrics`.
    async fn metric(&self, server: &Server, name: &str) -> String {
        let Ok(response) = self.http.get(format!("{}/metrics", server.base)).bearer_auth(ADMIN_TOKEN).send().await
        else {
            return "unreachable".into();
        };
        let text = response.text().await.unwrap_or_default();
        let value = |prefix: &str| {
            text.lines().find_map(|l| l.strip_prefix(prefix)).and_then(|v| v.trim().parse::<f64>().ok()).unwrap_or(-1.0)
        };
        let total = value(&format!("{name}_count "));
        let within = value(&format!("{name}_bucket{{le=\"1.024\"}} "));
        format!("{name}: {total} observed, {} above 1.024 s", total - within)
    }
}

fn contact_name(i: usize) -> String {
    if i % SLOW_EVERY == SLOW_EVERY / 2 {
        format!("slow{i}")
    } else {
        format!("c{i}")
    }
}

/// A message from `name` on the webhook channel, as `/api/events` takes it.
fn message_event(name: &str, text: &str, id: &str) -> Value {
    json!({"source": "chaos", "id": id, "type": "message_received",
        "contact": {"address": {"channel": "webhook", "address": name}},
        "channel": "webhook", "message": {"text": text}, "profile": {"first_name": name}})
}

fn telegram_connection(receiver: &str) -> Value {
    json!({"kind": "telegram", "api_base": receiver,
        "secrets": {"bot_token": "123:chaos-bot-token", "secret_token": TG_SECRET}})
}

// ---------------------------------------------------------------------------------------
// The mock receiver: a channel (the webhook channel's POSTs) and a CRM (the HTTP step).

/// An effect as it reached the receiver.
#[derive(Debug, Clone)]
struct Delivery {
    contact: String,
    effect: String,
    key: String,
    at: Instant,
}

/// Records every effect with its contact, kind and `Idempotency-Key`. `/crm/slow…` answers
/// after [`SLOW_ANSWER`]; an effect counts as performed when it arrives.
#[derive(Clone, Default)]
struct Receiver {
    seen: Arc<Mutex<Vec<Delivery>>>,
}

impl Receiver {
    async fn start() -> (Receiver, String) {
        use axum::extract::{Path, State};
        use axum::http::HeaderMap;
        use axum::routing::post;
        async fn channel(
            State(r): State<Receiver>,
            headers: HeaderMap,
            axum::Json(body): axum::Json<Value>,
        ) -> axum::Json<Value> {
            let key = idempotency_key(&headers);
            // "Hello c17" / "Bye c17": the step, then the contact's name.
            let text = body["message"]["text"].as_str().unwrap_or_default();
            let (effect, contact) = text.split_once(' ').unwrap_or((text, ""));
            r.record(contact, effect, &key);
            axum::Json(json!({"id": key}))
        }
        async fn crm(State(r): State<Receiver>, Path(name): Path<String>, headers: HeaderMap) -> axum::Json<Value> {
            r.record(&name, "lookup", &idempotency_key(&headers));
            if name.starts_with("slow") {
                tokio::time::sleep(SLOW_ANSWER).await;
            }
            axum::Json(json!({"tier": "gold"}))
        }
        let receiver = Receiver::default();
        let app = axum::Router::new()
            .route("/channel", post(channel))
            .route("/crm/{name}", post(crm))
            .with_state(receiver.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (receiver, url)
    }

    fn record(&self, contact: &str, effect: &str, key: &str) {
        let delivery = Delivery {
            contact: contact.to_owned(),
            effect: effect.to_owned(),
            key: key.to_owned(),
            at: Instant::now(),
        };
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).push(delivery);
    }

    fn count(&self) -> usize {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    fn deliveries(&self) -> Vec<Delivery> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

fn idempotency_key(headers: &axum::http::HeaderMap) -> String {
    headers.get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()
}

// ---------------------------------------------------------------------------------------
// What happened, read back from the store, the API and the receiver.

/// The dead letters, from `GET /api/dead-letters` when the server has it, else from the
/// store's `event_failures` table (where a refused event is kept with its reason).
struct DeadLetters {
    /// Each dead letter as JSON text, and its reason.
    items: Vec<(String, String)>,
    source: &'static str,
}

impl DeadLetters {
    async fn read(api: &Api, server: &Server, store: &Engine) -> DeadLetters {
        let (status, answer) = api.call(server, "GET", "/api/dead-letters?limit=1000", None).await;
        if status == 200 {
            let items = answer.as_array().cloned().unwrap_or_default();
            let reason =
                |v: &Value| ["reason", "error"].iter().find_map(|k| v[*k].as_str()).unwrap_or_default().to_owned();
            return DeadLetters {
                items: items.iter().map(|v| (v.to_string(), reason(v))).collect(),
                source: "GET /api/dead-letters",
            };
        }
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT body, error FROM event_failures").fetch_all(store.pool()).await.unwrap_or_default();
        DeadLetters { items: rows, source: "the event_failures table: the API has no dead letters yet" }
    }

    /// The reason the dead letter holding `marker` gives, if there is one.
    fn reason_for(&self, marker: &str) -> Option<&str> {
        self.items.iter().find(|(item, _)| item.contains(marker)).map(|(_, reason)| reason.as_str())
    }
}

/// What became of every event the API was given.
struct EventReport {
    accepted: usize,
    refused: Vec<Sent>,
    dead_lettered: Vec<(Sent, String)>,
    /// Accepted, then neither processed nor dead-lettered with a reason.
    lost: Vec<Sent>,
    queued: i64,
}

impl EventReport {
    async fn read(store: &Engine, starts: &[Sent], poisoned: &[Sent], dead: &DeadLetters) -> EventReport {
        // A start was processed if its contact has a run; a poisoned message if its text
        // reached the contact's messages.
        let with_runs: BTreeSet<String> = sqlx::query_scalar(
            "SELECT a.address FROM runs r JOIN contact_addresses a ON a.contact_id = r.contact_id WHERE a.channel = 'webhook'",
        )
        .fetch_all(store.pool())
        .await
        .expect("runs by address")
        .into_iter()
        .collect();
        let mut report = EventReport {
            accepted: 0,
            refused: Vec::new(),
            dead_lettered: Vec::new(),
            lost: Vec::new(),
            queued: count(store, "SELECT COUNT(*) FROM event_queue").await,
        };
        for sent in starts.iter().chain(poisoned) {
            if !sent.accepted() {
                report.refused.push(sent.clone());
                continue;
            }
            report.accepted += 1;
            let processed = if sent.what.starts_with("start of") {
                with_runs.contains(&sent.marker)
            } else {
                sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM messages WHERE direction = 'in' AND text LIKE $1")
                    .bind(format!("%{}%", sent.marker))
                    .fetch_one(store.pool())
                    .await
                    .unwrap_or(0)
                    > 0
            };
            // A start's marker is a contact's name: quoted, so `c1` does not find `c10`.
            let needle =
                if sent.what.starts_with("start of") { format!("\"{}\"", sent.marker) } else { sent.marker.clone() };
            match dead.reason_for(&needle) {
                _ if processed => {}
                Some(reason) if !reason.trim().is_empty() => {
                    report.dead_lettered.push((sent.clone(), reason.to_owned()))
                }
                _ => report.lost.push(sent.clone()),
            }
        }
        report
    }

    fn problems(&self) -> Vec<String> {
        // The starts are many and alike: one line for them.
        let (starts, others): (Vec<&Sent>, Vec<&Sent>) = self.lost.iter().partition(|s| s.what.starts_with("start of"));
        let mut out: Vec<String> = others
            .iter()
            .map(|s| format!("accepted ({}) but neither processed nor dead-lettered: {}", s.status, s.what))
            .collect();
        if let Some(first) = starts.first() {
            out.push(format!(
                "{} starts accepted but neither processed nor dead-lettered, e.g. the {}",
                starts.len(),
                first.what
            ));
        }
        if self.queued != 0 {
            out.push(format!("{} events still queued", self.queued));
        }
        out
    }
}

impl std::fmt::Display for EventReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "events: {} accepted, {} still queued, {} lost", self.accepted, self.queued, self.lost.len())?;
        for s in &self.refused {
            write!(f, "; refused at intake ({}): {}", s.status, s.what)?;
        }
        for (s, reason) in &self.dead_lettered {
            write!(f, "; dead-lettered: {} ({reason})", s.what)?;
        }
        Ok(())
    }
}

/// Runs by status.
struct RunReport {
    by_status: BTreeMap<String, i64>,
}

impl RunReport {
    async fn read(store: &Engine) -> RunReport {
        let rows: Vec<(String, i64)> = sqlx::query_as("SELECT status, COUNT(*) FROM runs GROUP BY status")
            .fetch_all(store.pool())
            .await
            .expect("runs");
        RunReport { by_status: rows.into_iter().collect() }
    }

    fn problems(&self) -> Vec<String> {
        let completed = self.by_status.get("completed").copied().unwrap_or(0);
        let total: i64 = self.by_status.values().sum();
        if completed as usize == CONTACTS && total as usize == CONTACTS {
            return Vec::new();
        }
        vec![format!("{completed} of {CONTACTS} runs completed ({total} runs in all: {:?})", self.by_status)]
    }
}

impl std::fmt::Display for RunReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "runs: {:?}", self.by_status)
    }
}

/// The receiver's deliveries per contact and effect.
struct EffectReport {
    /// (contact, effect) → key → times performed.
    keys: BTreeMap<(String, String), BTreeMap<String, usize>>,
    /// (contact, effect) → when it first arrived.
    first: BTreeMap<(String, String), Instant>,
    deliveries: usize,
}

impl EffectReport {
    fn from(deliveries: &[Delivery]) -> EffectReport {
        let mut keys: BTreeMap<(String, String), BTreeMap<String, usize>> = BTreeMap::new();
        let mut first = BTreeMap::new();
        for d in deliveries {
            let pair = (d.contact.clone(), d.effect.clone());
            first.entry(pair.clone()).or_insert(d.at);
            *keys.entry(pair).or_default().entry(d.key.clone()).or_default() += 1;
        }
        EffectReport { keys, first, deliveries: deliveries.len() }
    }

    /// For the contacts whose HTTP call is fast: milliseconds from their greeting to their
    /// HTTP call at the receiver, sorted. Both are performed by the outbox, so this shows
    /// whether the slow endpoint held up other contacts' effects.
    fn greeting_to_call_ms(&self) -> Vec<u128> {
        let mut out: Vec<u128> = (0..CONTACTS)
            .map(contact_name)
            .filter(|c| !c.starts_with("slow"))
            .filter_map(|c| {
                let hello = self.first.get(&(c.clone(), "Hello".to_owned()))?;
                let call = self.first.get(&(c, "lookup".to_owned()))?;
                Some(call.saturating_duration_since(*hello).as_millis())
            })
            .collect();
        out.sort_unstable();
        out
    }

    /// Effects performed more than once under their one key.
    fn repeated(&self) -> usize {
        self.keys.values().flat_map(|k| k.values()).map(|n| n - 1).sum()
    }

    fn under_two_keys(&self) -> Vec<String> {
        self.keys.iter().filter(|(_, k)| k.len() > 1).map(|((c, e), k)| format!("{e} for {c}: {:?}", k)).collect()
    }

    fn missing(&self) -> Vec<String> {
        (0..CONTACTS)
            .map(contact_name)
            .flat_map(|c| EFFECTS.iter().map(move |e| (c.clone(), (*e).to_owned())))
            .filter(|ce| !self.keys.contains_key(ce))
            .map(|(c, e)| format!("{e} for {c}"))
            .collect()
    }

    fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let twice = self.under_two_keys();
        if !twice.is_empty() {
            out.push(format!(
                "{} effects performed under two keys, e.g. {:?}",
                twice.len(),
                &twice[..twice.len().min(3)]
            ));
        }
        let missing = self.missing();
        if !missing.is_empty() {
            out.push(format!("{} effects never performed, e.g. {:?}", missing.len(), &missing[..missing.len().min(3)]));
        }
        let strays: Vec<_> = self.keys.keys().filter(|(c, e)| c.is_empty() || !EFFECTS.contains(&e.as_str())).collect();
        if !strays.is_empty() {
            out.push(format!("{} unexpected kinds of effect, e.g. {:?}", strays.len(), &strays[..strays.len().min(3)]));
        }
        out
    }
}

impl std::fmt::Display for EffectReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "effects: {} deliveries of {} (contact, step) pairs; {} re-performed with their key; {} under two keys",
            self.deliveries,
            self.keys.len(),
            self.repeated(),
            self.under_two_keys().len()
        )?;
        let gaps = self.greeting_to_call_ms();
        let at = |p: f64| gaps.get(((gaps.len().max(1) - 1) as f64 * p).round() as usize).copied().unwrap_or(0);
        write!(
            f,
            "; greeting to HTTP call (contacts with a fast endpoint): p50 {} ms, p99 {} ms, max {} ms",
            at(0.5),
            at(0.99),
            at(1.0)
        )
    }
}

/// How late each `wait` fired, from the journal: the transition entering the step records
/// when it is due (`next.wait.at`), the one resuming it with `timer_fired` when it fired.
struct TimerReport {
    /// Per fired timer, milliseconds late, with the time no process ran taken out.
    late_ms: Vec<i64>,
    /// The largest lateness including the downtime.
    raw_max_ms: i64,
    unfired: usize,
}

impl TimerReport {
    async fn read(store: &Engine, (down_from, down_to): (i64, i64)) -> TimerReport {
        let rows: Vec<(i64, i64, String)> = sqlx::query_as(
            "SELECT run_id, at, data FROM run_journal WHERE kind = 'transition' AND step = 'pause' ORDER BY run_id, seq",
        )
        .fetch_all(store.pool())
        .await
        .expect("journal");
        let mut due: BTreeMap<i64, i64> = BTreeMap::new();
        let mut fired: BTreeMap<i64, i64> = BTreeMap::new();
        for (run, at, data) in rows {
            let data: Value = serde_json::from_str(&data).expect("a journal entry is JSON");
            if data["input"]["input"] == "timer_fired" {
                fired.insert(run, at);
            } else if let Some(when) = data["next"]["wait"]["at"].as_str() {
                let when: chrono::DateTime<chrono::Utc> = when.parse().expect("a due time");
                due.insert(run, when.timestamp_millis());
            }
        }
        let mut late_ms = Vec::new();
        let mut raw_max_ms = 0;
        for (run, due_at) in &due {
            let Some(fired_at) = fired.get(run) else { continue };
            let raw = fired_at - due_at;
            // The part of [due, fired] when no process was running is no engine's fault.
            let down = (fired_at.min(&down_to) - due_at.max(&down_from)).max(0);
            raw_max_ms = raw_max_ms.max(raw);
            late_ms.push(raw - down);
        }
        late_ms.sort_unstable();
        TimerReport { unfired: due.len() - late_ms.len(), late_ms, raw_max_ms }
    }

    fn percentile(&self, p: f64) -> i64 {
        if self.late_ms.is_empty() {
            return 0;
        }
        let i = ((self.late_ms.len() as f64 - 1.0) * p).round() as usize;
        self.late_ms[i]
    }

    fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let too_late = self.late_ms.iter().filter(|ms| **ms > MAX_LATENESS_MS).count();
        if too_late > 0 {
            out.push(format!(
                "{too_late} timers fired more than {MAX_LATENESS_MS} ms late (the latest {} ms, downtime excluded)",
                self.percentile(1.0)
            ));
        }
        if self.late_ms.len() != CONTACTS {
            out.push(format!("{} of {CONTACTS} timers fired ({} set and not fired)", self.late_ms.len(), self.unfired));
        }
        out
    }
}

impl std::fmt::Display for TimerReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "timers: {} fired, lateness p50 {} ms, p99 {} ms, max {} ms (downtime excluded; {} ms with it), {} over {MAX_LATENESS_MS} ms",
            self.late_ms.len(),
            self.percentile(0.5),
            self.percentile(0.99),
            self.percentile(1.0),
            self.raw_max_ms,
            self.late_ms.iter().filter(|ms| **ms > MAX_LATENESS_MS).count()
        )
    }
}

// ---------------------------------------------------------------------------------------
// Small helpers.

/// Polls `check` every 50 ms until it holds (true) or `limit` passes (false). Like
/// `common::eventually`, but an injected fault may keep the condition from ever holding, and
/// the test goes on to report every broken promise rather than only this one.
async fn settles(limit: Duration, mut check: impl AsyncFnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while !check().await {
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    true
}

async fn count(store: &Engine, sql: &'static str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql).fetch_one(store.pool()).await.unwrap_or(-1)
}

/// An HTTP client for the test's calls (reqwest is built without a default TLS provider; the
/// engine installs ring, and so does the test).
fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("an HTTP client")
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn backend_name(db: &str) -> &'static str {
    if db.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    }
}
