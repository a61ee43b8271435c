//! The soak (issue 18): a real `switchboard serve` process on an SQLite file under an open-loop
//! mixed workload for a long time, sampled from outside, with checks that fail on drift.
//!
//! The workload, at `--rate` requests per second (each one event): contacts write `order`
//! through `/api/events` or Telegram's webhook (with its secret), get a question, answer it;
//! the answer resumes an HTTP call to a mock lookup on 127.0.0.1 and a last message. Others
//! write `remind` (a message, a wait of `--wait`, a message). Finished contacts have their
//! conversation closed (a workflow answers the close), an agent's shortcut pressed for them,
//! or chat on without starting anything. Every message out reaches a receiver on 127.0.0.1
//! (the webhook channel's `/channel`, Telegram's `sendMessage`), which measures latency: from
//! posting a contact's event to the next message for that contact arriving.
//!
//! Every `--sample-secs`, from outside the process: RSS and open descriptors
//! (`/proc/<pid>/status`, `/proc/<pid>/fd`), table sizes (the SQLite file opened read-only),
//! queue, outbox and timer age and timer lateness (`/metrics`), the driver's latency
//! percentiles for the interval. One CSV row per sample (`--out`); `soak_chart.py` draws it.
//!
//! Without `--rate` a ramp measures the peak first (doubling steps until a step misses its
//! rate, fails requests, or its p99 passes a second) and soaks at half of it.
//!
//! The server runs with a short retention (`--retain`, 5 minutes; 15 s for a short soak), so
//! finished outbox rows, ended runs, journals and transcripts are pruned as it goes.
//!
//! The checks at the end (after the warm-up samples), each failing with its figures: RSS
//! drift, descriptors, working tables bounded, pruned history steady, the rest of history in
//! proportion to the work, latency flat and under a ceiling, queue/outbox/timer age bounded,
//! no request failed or lost.
//!
//! The long run (release): `cargo build --release -p switchboard && cargo bench -p switchboard
//! --bench soak -- --minutes 60 --sample-secs 60 --out soak.csv`. The CI run (debug):
//! `cargo test -p switchboard --bench soak -- --minutes 2 --sample-secs 5 --rate 20`.
//! `--list` prints nothing (nextest lists bench targets).

#[path = "../tests/common/serve.rs"]
#[allow(dead_code)]
mod serve;

use clap::Parser;
use serde_json::{json, Value};
use serve::{ServeConfig, ServeProcess};
use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ADMIN_TOKEN: &str = "soak-admin-token-0123456789abcdef0123456789abcdef";
const TG_SECRET: &str = "soak-telegram-secret";
const SECRET_KEY_BYTE: u8 = 9;
const AGENT: &str = "soak-agent";
/// Requests in flight at most; an action due while this many are open is counted as skipped
/// (the driver is open-loop: it does not slow down to the server's pace).
const MAX_IN_FLIGHT: usize = 512;
/// Contacts kept for closes, shortcuts and chat; older ones are forgotten.
const FINISHED_KEPT: usize = 5_000;

#[derive(Parser, Debug)]
#[command(about = "The soak: a mixed workload against `switchboard serve`, sampled and checked")]
struct Args {
    /// The `switchboard` binary [default: the one built with this bench].
    #[arg(long, env = "SWITCHBOARD_BIN")]
    binary: Option<PathBuf>,
    /// How long to soak, in minutes.
    #[arg(long, default_value_t = 60.0)]
    minutes: f64,
    /// Requests (events) per second; without it, half the peak a ramp measures first.
    #[arg(long)]
    rate: Option<f64>,
    /// Seconds between samples.
    #[arg(long, default_value_t = 60)]
    sample_secs: u64,
    /// The CSV of samples.
    #[arg(long, default_value = "soak.csv")]
    out: PathBuf,
    /// The remind workflow's wait.
    #[arg(long, default_value = "15s")]
    wait: String,
    /// Seconds per ramp step (without `--rate`).
    #[arg(long, default_value_t = 15)]
    ramp_step_secs: u64,
    /// The latency ceiling: no interval's p99 above it (ms).
    #[arg(long, default_value_t = 2_000.0)]
    max_p99_ms: f64,
    /// The largest queue, outbox or overdue-timer age allowed (s).
    #[arg(long, default_value_t = 10.0)]
    max_age_secs: f64,
    /// The server's retention of finished outbox rows, ended runs and transcripts
    /// (`SWITCHBOARD_RETAIN_*`), so the soak sees history pruned as it goes [default: 5m, or
    /// 15s for a soak shorter than 10 minutes].
    #[arg(long)]
    retain: Option<String>,
    /// Keep the scratch folder (database, server log) afterwards.
    #[arg(long)]
    keep: bool,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

impl Args {
    fn retain_text(&self) -> String {
        self.retain.clone().unwrap_or_else(|| if self.minutes >= 10.0 { "5m" } else { "15s" }.into())
    }

    /// The retention as a duration (checked by the server too; the soak needs its length).
    fn retain_duration(&self) -> Result<Duration, String> {
        humantime::parse_duration(&self.retain_text()).map_err(|e| format!("--retain {}: {e}", self.retain_text()))
    }
}

fn main() -> std::process::ExitCode {
    if std::env::args().any(|a| a == "--list") {
        return std::process::ExitCode::SUCCESS;
    }
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    match runtime.block_on(soak(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("soak FAILED: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn soak(args: Args) -> Result<(), String> {
    let binary = args.binary.clone().unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_switchboard")));
    let dir = std::env::temp_dir().join(format!("switchboard-soak-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("workflows")).map_err(|e| format!("{}: {e}", dir.display()))?;
    let receiver = Receiver::start().await?;
    for (name, text) in workflows(&receiver.url, &args.wait) {
        std::fs::write(dir.join("workflows").join(name), text).map_err(|e| format!("workflow {name}: {e}"))?;
    }
    let db_path = dir.join("soak.db");
    let db = format!("sqlite://{}", db_path.display());
    let retain = args.retain_text();
    let mut server = ServeProcess::start(&ServeConfig {
        binary: &binary,
        dir: &dir,
        db: &db,
        receiver: &receiver.url,
        admin_token: ADMIN_TOKEN,
        secret_key_byte: SECRET_KEY_BYTE,
        env: ["SWITCHBOARD_RETAIN_OUTBOX", "SWITCHBOARD_RETAIN_RUNS", "SWITCHBOARD_RETAIN_MESSAGES"]
            .into_iter()
            .map(|name| (name, Some(retain.as_str())))
            .collect(),
    })
    .map_err(|e| format!("starting {}: {e}", binary.display()))?;
    let http = http_client();
    server.wait_up(&http, Duration::from_secs(60)).await?;
    eprintln!("soak: {} (pid {}) on {}; scratch folder {}", binary.display(), server.pid(), db, dir.display());
    let result = soak_against(&args, &server, &receiver, &db_path, http).await;
    let exited = server.exited();
    server.kill();
    if args.keep || result.is_err() {
        eprintln!("soak: kept {} (database, server.log)", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    if exited {
        return Err(format!("the server exited during the soak; see {}", server.log.display()));
    }
    result
}

async fn soak_against(
    args: &Args,
    server: &ServeProcess,
    receiver: &Receiver,
    db_path: &Path,
    http: reqwest::Client,
) -> Result<(), String> {
    let api = Api { http, base: server.base.clone() };
    api.setup(&receiver.url).await?;
    let tables = Tables::open(db_path).await?;
    let workload = Workload::new(api.clone(), receiver.state.clone(), tables.clone());

    let rate = match args.rate {
        Some(rate) => rate,
        None => {
            let peak = ramp(&workload, &tables, Duration::from_secs(args.ramp_step_secs)).await?;
            eprintln!("soak: measured peak {peak:.0} requests/s; soaking at half of it");
            peak / 2.0
        }
    };
    let duration = Duration::from_secs_f64(args.minutes * 60.0);
    eprintln!("soak: {rate:.0} requests/s for {duration:?}, a sample every {} s", args.sample_secs);

    let mut sampler = Sampler::new(server.pid(), db_path, api.clone(), tables.clone(), workload.clone());
    let mut csv = String::from(Sample::HEADER);
    csv.push('\n');
    let mut samples = Vec::new();
    let began = Instant::now();
    let driving = workload.drive(rate, duration);
    let sampling = async {
        let mut next = began + Duration::from_secs(args.sample_secs);
        while next <= began + duration + Duration::from_millis(500) {
            tokio::time::sleep_until(next.into()).await;
            let sample = sampler.take(began.elapsed()).await?;
            eprintln!("soak: {}", sample.summary());
            csv.push_str(&sample.csv_row());
            csv.push('\n');
            std::fs::write(&args.out, &csv).map_err(|e| format!("{}: {e}", args.out.display()))?;
            samples.push(sample);
            next += Duration::from_secs(args.sample_secs);
        }
        Ok::<(), String>(())
    };
    let (driven, sampled) = tokio::join!(driving, sampling);
    sampled?;
    let drained = tables.drained(Duration::from_secs(120)).await;
    let lost = receiver.state.overdue(Duration::from_secs(30));
    eprintln!(
        "soak: {} requests, {} failed, {} skipped; drained afterwards: {drained}; replies never seen: {lost}",
        driven.issued, driven.failed, driven.skipped
    );
    let report = Checks::new(args, rate, &samples, &driven, lost, drained, args.retain_duration()?);
    eprintln!("{}", report.figures);
    eprintln!("soak: samples in {}", args.out.display());
    if report.failed.is_empty() {
        eprintln!("soak: every check passed");
        Ok(())
    } else {
        for message in &report.failed {
            eprintln!("soak: check FAILED: {message}");
        }
        Err(format!("{} of the checks failed: {}", report.failed.len(), report.failed.join("; ")))
    }
}

/// The soak's workflows, with the receiver's URL and the wait filled in. Every message names
/// its contact first (`[a17] ...`), so the receiver knows whose reply it is.
fn workflows(receiver: &str, wait: &str) -> Vec<(&'static str, String)> {
    let survey = r#"
schema: 1
id: soak-survey
name: Soak survey
trigger: { type: message_received, keywords: [order] }
start: ask
steps:
  ask: { kind: ask, type: text, text: '[{{contact.first_name}}] What is your order number?', next: { answered: lookup } }
  lookup:
    kind: http
    method: POST
    url: 'RECEIVER/lookup/{{contact.first_name}}'
    json: { order: '{{steps.ask.answer}}' }
    timeout: 10s
    save: { tier: $.tier }
    next: { success: found, failure: found }
  found: { kind: send_message, text: '[{{contact.first_name}}] Order {{steps.ask.answer}} found' }
"#;
    let remind = r#"
schema: 1
id: soak-remind
name: Soak reminder
trigger: { type: message_received, keywords: [remind] }
start: ack
steps:
  ack: { kind: send_message, text: '[{{contact.first_name}}] Reminder set', next: { next: pause, failure: pause } }
  pause: { kind: wait, for: WAIT, next: { done: due } }
  due: { kind: send_message, text: '[{{contact.first_name}}] Reminder due' }
"#;
    let closed = r#"
schema: 1
id: soak-closed
name: Soak closed
trigger: { type: conversation_closed }
start: bye
steps:
  bye: { kind: send_message, text: '[{{contact.first_name}}] Thanks for contacting us' }
"#;
    let shortcut = r#"
schema: 1
id: soak-escalate
name: Soak escalate
trigger: { type: shortcut, label: Escalate }
start: note
steps:
  note: { kind: send_message, text: '[{{contact.first_name}}] An agent will follow up' }
"#;
    vec![
        ("soak-survey.yaml", survey.replace("RECEIVER", receiver)),
        ("soak-remind.yaml", remind.replace("WAIT", wait)),
        ("soak-closed.yaml", closed.to_owned()),
        ("soak-escalate.yaml", shortcut.to_owned()),
    ]
}

// ---------------------------------------------------------------------------------------
// The receiver: the webhook channel, Telegram's Bot API and the lookup, on 127.0.0.1.

/// A contact of the soak: `a<n>` writes through `/api/events`, `t<n>` through Telegram.
#[derive(Debug, Clone)]
struct Contact {
    name: String,
}

impl Contact {
    fn telegram(&self) -> Option<i64> {
        self.name.strip_prefix('t').and_then(|n| n.parse::<i64>().ok()).map(|n| 6_000_000 + n)
    }
}

/// What the receiver saw, shared with the driver.
#[derive(Default)]
struct Seen {
    /// Per contact, when its last event was posted, until its next message arrives.
    expecting: HashMap<String, Instant>,
    /// Latencies (ms) of this interval.
    latencies: Vec<f64>,
    /// Contacts whose question arrived, to answer.
    asked: VecDeque<Contact>,
    /// Contacts whose survey finished, to close, press a shortcut for, or chat with.
    finished: VecDeque<Contact>,
    replies: u64,
    lookups: u64,
    reminders_due: u64,
}

#[derive(Clone, Default)]
struct ReceiverState(Arc<Mutex<Seen>>);

impl ReceiverState {
    fn with<T>(&self, f: impl FnOnce(&mut Seen) -> T) -> T {
        f(&mut self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn expect(&self, contact: &str) {
        self.with(|s| s.expecting.insert(contact.to_owned(), Instant::now()));
    }

    /// A message arrived: `[name] text`.
    fn message(&self, text: &str) {
        let Some((name, text)) = text.strip_prefix('[').and_then(|t| t.split_once("] ")) else { return };
        let contact = Contact { name: name.to_owned() };
        self.with(|s| {
            s.replies += 1;
            if let Some(sent) = s.expecting.remove(name) {
                s.latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
            }
            if text.starts_with("What is your order number") {
                s.asked.push_back(contact);
            } else if text.starts_with("Order ") {
                s.finished.push_back(contact);
                if s.finished.len() > FINISHED_KEPT {
                    s.finished.pop_front();
                }
            } else if text == "Reminder due" {
                s.reminders_due += 1;
            }
        });
    }

    /// Contacts still waiting for a message posted more than `after` ago.
    fn overdue(&self, after: Duration) -> usize {
        self.with(|s| s.expecting.values().filter(|at| at.elapsed() > after).count())
    }
}

struct Receiver {
    url: String,
    state: ReceiverState,
}

impl Receiver {
    async fn start() -> Result<Receiver, String> {
        use axum::extract::State;
        use axum::routing::post;
        async fn channel(State(s): State<ReceiverState>, axum::Json(body): axum::Json<Value>) -> axum::Json<Value> {
            s.message(body["message"]["text"].as_str().unwrap_or_default());
            axum::Json(json!({"id": body["idempotency_key"]}))
        }
        async fn lookup(State(s): State<ReceiverState>) -> axum::Json<Value> {
            s.with(|s| s.lookups += 1);
            axum::Json(json!({"tier": "gold"}))
        }
        // Telegram's Bot API: `/bot<token>/sendMessage`.
        async fn telegram(
            State(s): State<ReceiverState>,
            uri: axum::http::Uri,
            axum::Json(body): axum::Json<Value>,
        ) -> (axum::http::StatusCode, axum::Json<Value>) {
            if !uri.path().ends_with("/sendMessage") {
                return (axum::http::StatusCode::NOT_FOUND, axum::Json(json!({"ok": false})));
            }
            s.message(body["text"].as_str().unwrap_or_default());
            static ID: AtomicU64 = AtomicU64::new(1);
            let id = ID.fetch_add(1, Ordering::Relaxed);
            (axum::http::StatusCode::OK, axum::Json(json!({"ok": true, "result": {"message_id": id}})))
        }
        let state = ReceiverState::default();
        let app = axum::Router::new()
            .route("/channel", post(channel))
            .route("/lookup/{name}", post(lookup))
            .fallback(telegram)
            .with_state(state.clone());
        let url = serve::serve_on_loopback(app).await.map_err(|e| format!("receiver: {e}"))?;
        Ok(Receiver { url, state })
    }
}

// ---------------------------------------------------------------------------------------
// The API as an integration, a channel and an agent use it.

#[derive(Clone)]
struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    /// The Telegram connection (pointed at the receiver) and the agent who closes and
    /// presses shortcuts.
    async fn setup(&self, receiver: &str) -> Result<(), String> {
        let telegram = json!({"kind": "telegram", "api_base": receiver,
            "secrets": {"bot_token": "123:soak-bot-token", "secret_token": TG_SECRET}});
        self.call(reqwest::Method::PUT, "/api/channels/telegram", &telegram).await?;
        let agent = json!({"id": AGENT, "name": "Soak Agent", "teams": [], "online": true});
        self.call(reqwest::Method::PUT, &format!("/api/agents/{AGENT}"), &agent).await?;
        Ok(())
    }

    /// One call with the admin token; an error for anything but 2xx.
    async fn call(&self, method: reqwest::Method, path: &str, body: &Value) -> Result<(), String> {
        self.send(self.http.request(method, format!("{}{path}", self.base)), path, body).await
    }

    /// An agent's action (a close, a shortcut) under an `Idempotency-Key`, as the console
    /// sends it: the key is kept for its retention (`idempotency_keys`).
    async fn act(&self, path: &str, body: &Value, key: u64) -> Result<(), String> {
        let request = self.http.post(format!("{}{path}", self.base)).header("Idempotency-Key", format!("soak-{key}"));
        self.send(request, path, body).await
    }

    async fn send(&self, request: reqwest::RequestBuilder, path: &str, body: &Value) -> Result<(), String> {
        let response = request.bearer_auth(ADMIN_TOKEN).json(body).send().await.map_err(|e| format!("{path}: {e}"))?;
        answer(path, response).await
    }

    /// A message from a contact, through its channel.
    async fn says(&self, contact: &Contact, text: &str, id: u64) -> Result<(), String> {
        let Some(chat) = contact.telegram() else {
            let event = json!({"source": "soak", "id": format!("m{id}"), "type": "message_received",
                "contact": {"address": {"channel": "webhook", "address": contact.name}},
                "channel": "webhook", "message": {"text": text}, "profile": {"first_name": contact.name}});
            return self.call(reqwest::Method::POST, "/api/events", &event).await;
        };
        let update = json!({"update_id": id, "message": {"message_id": id, "date": 1764633600,
            "from": {"id": chat, "is_bot": false, "first_name": contact.name},
            "chat": {"id": chat, "type": "private", "first_name": contact.name}, "text": text}});
        let path = "/api/channels/telegram/webhook";
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("x-telegram-bot-api-secret-token", TG_SECRET)
            .json(&update)
            .send()
            .await
            .map_err(|e| format!("{path}: {e}"))?;
        answer(path, response).await
    }

    async fn metrics(&self) -> Result<String, String> {
        let response = self
            .http
            .get(format!("{}/metrics", self.base))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .map_err(|e| format!("/metrics: {e}"))?;
        response.text().await.map_err(|e| format!("/metrics: {e}"))
    }
}

async fn answer(path: &str, response: reqwest::Response) -> Result<(), String> {
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let body = response.text().await.unwrap_or_default();
    Err(format!("{path}: HTTP {status}: {}", body.chars().take(200).collect::<String>()))
}

fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("an HTTP client")
}

// ---------------------------------------------------------------------------------------
// The open-loop driver.

/// What one action does.
#[derive(Debug, Clone, Copy)]
enum Action {
    /// A new contact writes `order` (through `/api/events`, or Telegram).
    Order { telegram: bool },
    /// A contact that was asked answers (else: a reminder).
    Answer,
    /// A new contact writes `remind`.
    Remind,
    /// A finished contact's conversation is closed by the agent (else: an order).
    Close,
    /// The agent presses the shortcut for a finished contact (else: an order).
    Shortcut,
    /// A finished contact writes something that starts nothing (else: an order).
    Chat,
}

/// The mix, one action per request, in this order round and round.
const MIX: [Action; 12] = [
    Action::Order { telegram: false },
    Action::Answer,
    Action::Remind,
    Action::Order { telegram: true },
    Action::Answer,
    Action::Close,
    Action::Order { telegram: false },
    Action::Answer,
    Action::Shortcut,
    Action::Chat,
    Action::Order { telegram: false },
    Action::Answer,
];

/// Requests of one stretch of driving.
#[derive(Debug, Default, Clone)]
struct Driven {
    issued: u64,
    failed: u64,
    skipped: u64,
    /// The first failures, for the report.
    errors: Vec<String>,
}

#[derive(Default)]
struct Counters {
    issued: AtomicU64,
    failed: AtomicU64,
    skipped: AtomicU64,
    errors: Mutex<Vec<String>>,
}

struct Workload {
    api: Api,
    seen: ReceiverState,
    tables: Tables,
    /// Numbers contacts and event ids across ramp steps and the soak.
    next_id: AtomicU64,
    in_flight: Arc<tokio::sync::Semaphore>,
    counters: Arc<Counters>,
}

impl Workload {
    fn new(api: Api, seen: ReceiverState, tables: Tables) -> Arc<Workload> {
        Arc::new(Workload {
            api,
            seen,
            tables,
            next_id: AtomicU64::new(1),
            in_flight: Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT)),
            counters: Arc::default(),
        })
    }

    /// Issues actions at `rate` per second for `duration` without waiting for answers (each
    /// in a task of its own), then waits for those in flight.
    async fn drive(self: &Arc<Self>, rate: f64, duration: Duration) -> Driven {
        let before = self.snapshot();
        let began = Instant::now();
        let mut done = 0u64;
        let mut tick = tokio::time::interval(Duration::from_millis(5));
        let mut tasks = tokio::task::JoinSet::new();
        while began.elapsed() < duration {
            tick.tick().await;
            let due = (began.elapsed().as_secs_f64() * rate) as u64;
            while done < due {
                let action = MIX[(done % MIX.len() as u64) as usize];
                done += 1;
                self.counters.issued.fetch_add(1, Ordering::Relaxed);
                let Ok(permit) = self.in_flight.clone().try_acquire_owned() else {
                    self.counters.skipped.fetch_add(1, Ordering::Relaxed);
                    continue;
                };
                let this = self.clone();
                tasks.spawn(async move {
                    let result = this.perform(action).await;
                    drop(permit);
                    if let Err(e) = result {
                        this.counters.failed.fetch_add(1, Ordering::Relaxed);
                        let mut errors = this.counters.errors.lock().unwrap_or_else(|e| e.into_inner());
                        if errors.len() < 5 {
                            errors.push(e);
                        }
                    }
                });
            }
            while tasks.try_join_next().is_some() {}
        }
        while tasks.join_next().await.is_some() {}
        let after = self.snapshot();
        Driven {
            issued: after.issued - before.issued,
            failed: after.failed - before.failed,
            skipped: after.skipped - before.skipped,
            errors: after.errors,
        }
    }

    fn snapshot(&self) -> Driven {
        let c = &self.counters;
        Driven {
            issued: c.issued.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
            skipped: c.skipped.load(Ordering::Relaxed),
            errors: c.errors.lock().unwrap_or_else(|e| e.into_inner()).clone(),
        }
    }

    async fn perform(&self, action: Action) -> Result<(), String> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let new_contact = |telegram: bool| Contact { name: format!("{}{id}", if telegram { 't' } else { 'a' }) };
        let asked = || self.seen.with(|s| s.asked.pop_front());
        let finished = || self.seen.with(|s| s.finished.pop_front());
        match action {
            Action::Order { telegram } => self.order(&new_contact(telegram), id).await,
            Action::Answer => match asked() {
                Some(contact) => {
                    self.seen.expect(&contact.name);
                    self.api.says(&contact, &format!("ord-{id}"), id).await
                }
                None => self.remind(&new_contact(false), id).await,
            },
            Action::Remind => self.remind(&new_contact(id % 2 == 0), id).await,
            Action::Close | Action::Shortcut => {
                let Some(contact) = finished() else { return self.order(&new_contact(false), id).await };
                let contact_id = self.tables.contact_id(&contact).await?;
                self.seen.expect(&contact.name);
                let (path, body) = if matches!(action, Action::Close) {
                    (format!("/api/contacts/{contact_id}/close"), json!({"agent_id": AGENT, "category": "resolved"}))
                } else {
                    ("/api/shortcuts/soak-escalate".to_owned(), json!({"contact_id": contact_id, "agent_id": AGENT}))
                };
                self.api.act(&path, &body, id).await
            }
            Action::Chat => match finished() {
                Some(contact) => self.api.says(&contact, "just saying thanks", id).await,
                None => self.order(&new_contact(false), id).await,
            },
        }
    }

    async fn order(&self, contact: &Contact, id: u64) -> Result<(), String> {
        self.seen.expect(&contact.name);
        self.api.says(contact, "order", id).await
    }

    async fn remind(&self, contact: &Contact, id: u64) -> Result<(), String> {
        self.seen.expect(&contact.name);
        self.api.says(contact, "remind", id).await
    }
}

/// Doubles the rate from 25/s, a step of `step` each, until a step falls short: requests
/// failed or skipped, p99 above a second, or the queue's oldest event older than 2 s. The
/// peak is the last step that held. The engine drains between steps.
async fn ramp(workload: &Arc<Workload>, tables: &Tables, step: Duration) -> Result<f64, String> {
    let mut peak = 0.0;
    let mut rate = 25.0;
    loop {
        workload.seen.with(|s| s.latencies.clear());
        let driven = workload.drive(rate, step).await;
        let drained = tables.drained(Duration::from_secs(120)).await;
        let mut latencies = workload.seen.with(|s| std::mem::take(&mut s.latencies));
        let p99 = percentile(&mut latencies, 0.99);
        let held = driven.failed == 0 && driven.skipped * 100 <= driven.issued && p99 <= 1_000.0 && drained;
        eprintln!(
            "soak ramp: {rate:.0}/s for {step:?}: {} requests, {} failed, {} skipped, p99 {p99:.0} ms, drained {drained}: {}",
            driven.issued,
            driven.failed,
            driven.skipped,
            if held { "held" } else { "fell short" }
        );
        if !held || rate >= 6_400.0 {
            break;
        }
        peak = rate;
        rate *= 2.0;
    }
    if peak == 0.0 {
        return Err("the ramp's first step (25/s) fell short; see server.log".into());
    }
    Ok(peak)
}

// ---------------------------------------------------------------------------------------
// The store, read-only from outside.

#[derive(Clone)]
struct Tables {
    pool: sqlx::SqlitePool,
}

/// The table figures a sample holds, by CSV column.
const TABLES: [(&str, &str); 13] = [
    ("event_queue", "SELECT COUNT(*) FROM event_queue"),
    ("outbox_pending", "SELECT COUNT(*) FROM outbox WHERE status = 'pending'"),
    ("outbox", "SELECT COUNT(*) FROM outbox"),
    ("timers", "SELECT COUNT(*) FROM timers"),
    ("runs_active", "SELECT COUNT(*) FROM runs WHERE status IN ('running', 'waiting')"),
    ("runs_ended", "SELECT COUNT(*) FROM runs WHERE status NOT IN ('running', 'waiting')"),
    ("messages", "SELECT COUNT(*) FROM messages"),
    ("run_journal", "SELECT COUNT(*) FROM run_journal"),
    ("inbox", "SELECT COUNT(*) FROM inbox"),
    ("idempotency_keys", "SELECT COUNT(*) FROM idempotency_keys"),
    ("contacts", "SELECT COUNT(*) FROM contacts"),
    ("conversations", "SELECT COUNT(*) FROM conversations"),
    ("event_failures", "SELECT COUNT(*) FROM event_failures"),
];

/// Working tables: bounded by the work in flight, whatever the run's length.
const WORKING: [&str; 4] = ["event_queue", "outbox_pending", "timers", "runs_active"];
/// History the server prunes after `--retain`: once the soak has run longer than that, these
/// stop growing.
const RETAINED: [&str; 4] = ["outbox", "runs_ended", "messages", "run_journal"];
/// History tables: growing with finished work (`inbox` and `idempotency_keys` are kept for
/// their fixed retentions, 7 days and 24 hours, longer than any soak; contacts and their
/// conversations are the workspace's data, never pruned).
const HISTORY: [&str; 4] = ["inbox", "idempotency_keys", "contacts", "conversations"];

impl Tables {
    async fn open(path: &Path) -> Result<Tables, String> {
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path).read_only(true);
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(options)
            .await
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Tables { pool })
    }

    async fn counts(&self) -> Result<Vec<i64>, String> {
        let mut out = Vec::with_capacity(TABLES.len());
        for (name, sql) in TABLES {
            let n: i64 = sqlx::query_scalar(sql).fetch_one(&self.pool).await.map_err(|e| format!("{name}: {e}"))?;
            out.push(n);
        }
        Ok(out)
    }

    async fn contact_id(&self, contact: &Contact) -> Result<i64, String> {
        let (channel, address) = match contact.telegram() {
            Some(chat) => ("telegram", chat.to_string()),
            None => ("webhook", contact.name.clone()),
        };
        sqlx::query_scalar("SELECT contact_id FROM contact_addresses WHERE channel = $1 AND address = $2")
            .bind(channel)
            .bind(&address)
            .fetch_one(&self.pool)
            .await
            .map_err(|e| format!("the contact {channel}:{address}: {e}"))
    }

    /// Polls every 100 ms until no event is queued and no effect pending (true) or `limit`
    /// passes (false).
    async fn drained(&self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            let busy: Result<i64, _> = sqlx::query_scalar(
                "SELECT (SELECT COUNT(*) FROM event_queue) + (SELECT COUNT(*) FROM outbox WHERE status = 'pending')",
            )
            .fetch_one(&self.pool)
            .await;
            if busy.is_ok_and(|n| n == 0) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

// ---------------------------------------------------------------------------------------
// Samples.

#[derive(Debug, Clone)]
struct Sample {
    elapsed_s: f64,
    rss_mb: f64,
    fds: i64,
    /// The database file and its write-ahead log.
    db_mb: f64,
    /// In the order of [`TABLES`].
    tables: Vec<i64>,
    queue_age_s: f64,
    outbox_age_s: f64,
    timer_overdue_s: f64,
    /// Timers fired in the interval: mean lateness, and the histogram bucket bound holding
    /// their 99th percentile (ms).
    timers_fired: f64,
    timer_late_mean_ms: f64,
    timer_late_p99_ms: f64,
    requests: u64,
    failed: u64,
    skipped: u64,
    replies: u64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

impl Sample {
    const HEADER: &str = "elapsed_s,rss_mb,fds,db_mb,event_queue,outbox_pending,outbox,timers,runs_active,runs_ended,\
        messages,run_journal,inbox,idempotency_keys,contacts,conversations,event_failures,queue_age_s,outbox_age_s,\
        timer_overdue_s,timers_fired,timer_late_mean_ms,timer_late_p99_ms,requests,failed,skipped,replies,p50_ms,\
        p99_ms,max_ms";

    fn table(&self, name: &str) -> i64 {
        TABLES.iter().position(|(n, _)| *n == name).map_or(0, |i| self.tables[i])
    }

    fn csv_row(&self) -> String {
        let mut row = format!("{:.0},{:.1},{},{:.1}", self.elapsed_s, self.rss_mb, self.fds, self.db_mb);
        for n in &self.tables {
            let _ = write!(row, ",{n}");
        }
        let _ = write!(
            row,
            ",{:.3},{:.3},{:.3},{},{:.1},{:.1},{},{},{},{},{:.1},{:.1},{:.1}",
            self.queue_age_s,
            self.outbox_age_s,
            self.timer_overdue_s,
            self.timers_fired,
            self.timer_late_mean_ms,
            self.timer_late_p99_ms,
            self.requests,
            self.failed,
            self.skipped,
            self.replies,
            self.p50_ms,
            self.p99_ms,
            self.max_ms
        );
        row
    }

    fn summary(&self) -> String {
        format!(
            "{:>5.0}s rss {:.1} MB, {} fds, db {:.1} MB, queue {} (oldest {:.2}s), outbox pending {} (oldest {:.2}s), timers {}, \
             runs active {}, ended {}; {} requests ({} failed, {} skipped), p50 {:.1} ms p99 {:.1} ms; \
             timers fired {} late mean {:.1} ms",
            self.elapsed_s,
            self.rss_mb,
            self.fds,
            self.db_mb,
            self.table("event_queue"),
            self.queue_age_s,
            self.table("outbox_pending"),
            self.outbox_age_s,
            self.table("timers"),
            self.table("runs_active"),
            self.table("runs_ended"),
            self.requests,
            self.failed,
            self.skipped,
            self.p50_ms,
            self.p99_ms,
            self.timers_fired,
            self.timer_late_mean_ms
        )
    }
}

struct Sampler {
    pid: u32,
    db_path: PathBuf,
    api: Api,
    tables: Tables,
    workload: Arc<Workload>,
    /// At the last sample: the timer-lateness histogram, the driver's counters, the replies.
    lateness: Histogram,
    driven: Driven,
    replies: u64,
}

impl Sampler {
    fn new(pid: u32, db_path: &Path, api: Api, tables: Tables, workload: Arc<Workload>) -> Sampler {
        let driven = workload.snapshot();
        let replies = workload.seen.with(|s| s.replies);
        Sampler {
            pid,
            db_path: db_path.to_owned(),
            api,
            tables,
            workload,
            lateness: Histogram::default(),
            driven,
            replies,
        }
    }

    async fn take(&mut self, elapsed: Duration) -> Result<Sample, String> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))
            .map_err(|e| format!("/proc/{}/status: {e}", self.pid))?;
        let rss_kb: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .ok_or("no VmRSS in /proc/<pid>/status")?;
        let fds = std::fs::read_dir(format!("/proc/{}/fd", self.pid))
            .map_err(|e| format!("/proc/{}/fd: {e}", self.pid))?
            .count() as i64;
        let file_mb = |suffix: &str| {
            let path = format!("{}{suffix}", self.db_path.display());
            std::fs::metadata(path).map_or(0.0, |m| m.len() as f64 / 1_048_576.0)
        };
        let db_mb = file_mb("") + file_mb("-wal");
        let tables = self.tables.counts().await?;
        let metrics = self.api.metrics().await?;
        let gauge = |name: &str| metric(&metrics, name).unwrap_or(-1.0);
        let lateness = Histogram::read(&metrics, "switchboard_timer_lateness_seconds");
        let (timers_fired, timer_late_mean_ms, timer_late_p99_ms) = lateness.since(&self.lateness);
        let (mut latencies, replies) = self.workload.seen.with(|s| (std::mem::take(&mut s.latencies), s.replies));
        let driven = self.workload.snapshot();
        let sample = Sample {
            elapsed_s: elapsed.as_secs_f64(),
            rss_mb: rss_kb / 1024.0,
            fds,
            db_mb,
            tables,
            queue_age_s: gauge("switchboard_oldest_seconds{queue=\"events\"}"),
            outbox_age_s: gauge("switchboard_oldest_seconds{queue=\"outbox\"}"),
            timer_overdue_s: gauge("switchboard_oldest_seconds{queue=\"timers\"}"),
            timers_fired,
            timer_late_mean_ms,
            timer_late_p99_ms,
            requests: driven.issued - self.driven.issued,
            failed: driven.failed - self.driven.failed,
            skipped: driven.skipped - self.driven.skipped,
            replies: replies - self.replies,
            p50_ms: percentile(&mut latencies, 0.5),
            p99_ms: percentile(&mut latencies, 0.99),
            max_ms: percentile(&mut latencies, 1.0),
        };
        (self.lateness, self.driven, self.replies) = (lateness, driven, replies);
        Ok(sample)
    }
}

/// A metric's value from Prometheus' text: the line starting with `name` (labels included).
fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

/// A Prometheus histogram: cumulative bucket counts by upper bound, sum and count.
#[derive(Debug, Default, Clone)]
struct Histogram {
    buckets: Vec<(f64, f64)>,
    sum: f64,
    count: f64,
}

impl Histogram {
    fn read(text: &str, name: &str) -> Histogram {
        let prefix = format!("{name}_bucket{{le=\"");
        let buckets = text
            .lines()
            .filter_map(|l| {
                let (le, n) = l.strip_prefix(prefix.as_str())?.split_once("\"} ")?;
                let le = if le == "+Inf" { f64::INFINITY } else { le.parse().ok()? };
                Some((le, n.trim().parse().ok()?))
            })
            .collect();
        Histogram {
            buckets,
            sum: metric(text, &format!("{name}_sum")).unwrap_or(0.0),
            count: metric(text, &format!("{name}_count")).unwrap_or(0.0),
        }
    }

    /// Observations since `earlier`: how many, their mean (ms), and the upper bound (ms) of
    /// the bucket that holds their 99th percentile.
    fn since(&self, earlier: &Histogram) -> (f64, f64, f64) {
        let count = self.count - earlier.count;
        if count <= 0.0 {
            return (0.0, 0.0, 0.0);
        }
        let mean_ms = (self.sum - earlier.sum) / count * 1000.0;
        let before = |le: f64| earlier.buckets.iter().find(|(l, _)| *l == le).map_or(0.0, |(_, n)| *n);
        let p99_ms = self
            .buckets
            .iter()
            .find(|(le, n)| n - before(*le) >= 0.99 * count)
            .map_or(f64::INFINITY, |(le, _)| le * 1000.0);
        (count, mean_ms, p99_ms)
    }
}

/// The `p` quantile (0..=1) of `values` (sorted here); 0 for none.
fn percentile(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    values[((values.len() - 1) as f64 * p).round() as usize]
}

// ---------------------------------------------------------------------------------------
// The checks.

/// What the checks allow; figures for a loaded shared machine (see TESTING.md).
mod limits {
    /// RSS after the warm-up may drift by less than this fraction.
    pub const RSS_DRIFT: f64 = 0.10;
    /// Open descriptors: the last third's median at most this many above the first third's most.
    pub const FD_SLACK: i64 = 8;
    /// A working table's last-third peak may be this many times its first-third peak, plus
    /// [`WORKING_SLACK_SECONDS`] of requests.
    pub const WORKING_GROWTH: f64 = 1.5;
    pub const WORKING_SLACK_SECONDS: f64 = 2.0;
    /// A history table's rows per request, second half against first half, within this
    /// factor either way.
    pub const HISTORY_RATIO: f64 = 1.3;
    /// A pruned table's last-third peak may be this many times its first-third peak.
    pub const RETAINED_GROWTH: f64 = 1.3;
    /// The last third's median p99 at most this many times the first third's, plus
    /// [`LATENCY_SLACK_MS`] (a few ms of noise when p99 is small).
    pub const LATENCY_GROWTH: f64 = 1.5;
    pub const LATENCY_SLACK_MS: f64 = 20.0;
    /// Timers fired in an interval: mean lateness at most this (ms).
    pub const TIMER_LATE_MEAN_MS: f64 = 1_000.0;
    /// Requests the driver could not issue (too many in flight) at most this fraction.
    pub const SKIPPED: f64 = 0.01;
}

/// The checks over the samples after the warm-up (the first 20 %, at least two samples).
struct Checks {
    figures: String,
    failed: Vec<String>,
}

impl Checks {
    fn new(
        args: &Args,
        rate: f64,
        samples: &[Sample],
        driven: &Driven,
        lost: usize,
        drained: bool,
        retain: Duration,
    ) -> Checks {
        let mut failed = Vec::new();
        let mut figures = String::new();
        let warm = (samples.len() / 5).max(2);
        if samples.len() < warm + 3 {
            failed.push(format!("{} samples: too few to judge drift (need {}); run longer", samples.len(), warm + 3));
            return Checks { figures, failed };
        }
        let post = &samples[warm..];
        let third = (post.len() / 3).max(1);
        let (first, last) = (&post[..third], &post[post.len() - third..]);
        let max_of = |s: &[Sample], f: &dyn Fn(&Sample) -> f64| s.iter().map(f).fold(f64::MIN, f64::max);
        let median_of = |s: &[Sample], f: &dyn Fn(&Sample) -> f64| {
            let mut v: Vec<f64> = s.iter().map(f).collect();
            percentile(&mut v, 0.5)
        };
        let (start, end) = (&post[0], &post[post.len() - 1]);
        let _ = writeln!(
            figures,
            "soak figures: {rate:.0} requests/s for {:.0} s ({} samples, warm-up {warm}); {} requests, {} failed, {} skipped",
            end.elapsed_s,
            samples.len(),
            driven.issued,
            driven.failed,
            driven.skipped
        );

        // Memory and descriptors.
        let drift = (end.rss_mb - start.rss_mb) / start.rss_mb;
        let peak_rss = max_of(post, &|s| s.rss_mb);
        let _ = writeln!(
            figures,
            "  RSS {:.1} MB after the warm-up ({:.1} MB at the first sample), {:.1} MB at the end ({:+.1} %), peak {peak_rss:.1} MB",
            start.rss_mb,
            samples[0].rss_mb,
            end.rss_mb,
            drift * 100.0
        );
        if drift >= limits::RSS_DRIFT {
            failed.push(format!(
                "RSS drifted {:+.1} % after the warm-up ({:.1} → {:.1} MB; limit {:.0} %)",
                drift * 100.0,
                start.rss_mb,
                end.rss_mb,
                limits::RSS_DRIFT * 100.0
            ));
        }
        // Descriptors follow the connections open at the moment (a burst of load opens more
        // for a while): a leak raises the last third's median, a burst only its peak.
        let (fd_first, fd_last) = (max_of(first, &|s| s.fds as f64) as i64, median_of(last, &|s| s.fds as f64) as i64);
        let _ = writeln!(
            figures,
            "  open descriptors: {} → {} (first third's most {fd_first}, last third's median {fd_last}, peak {})",
            start.fds,
            end.fds,
            max_of(post, &|s| s.fds as f64)
        );
        if fd_last > fd_first + limits::FD_SLACK {
            failed.push(format!(
                "open descriptors grew: the last third's median {fd_last} against the first third's most {fd_first} (slack {})",
                limits::FD_SLACK
            ));
        }

        // Tables.
        let _ = writeln!(figures, "  database (file + WAL): {:.1} MB → {:.1} MB", start.db_mb, end.db_mb);
        for name in WORKING {
            let (a, b) = (max_of(first, &|s| s.table(name) as f64), max_of(last, &|s| s.table(name) as f64));
            let bound = a * limits::WORKING_GROWTH + rate * limits::WORKING_SLACK_SECONDS;
            let _ = writeln!(
                figures,
                "  {name} (working): most {a:.0} in the first third, {b:.0} in the last (bound {bound:.0})"
            );
            if b > bound {
                failed.push(format!("the working table {name} grew: most {a:.0} in the first third, {b:.0} in the last (bound {bound:.0})"));
            }
        }
        // Pruned history: steady once the soak is past its retention (the warm-up must be
        // longer than the retention plus the pruning's interval, a tenth of it).
        let warm_s = samples[warm - 1].elapsed_s;
        let retain_s = retain.as_secs_f64() * 1.1;
        if warm_s < retain_s {
            failed.push(format!(
                "the retention ({retain_s:.0} s with the pruning's interval) is longer than the warm-up ({warm_s:.0} s): \
                 pruned tables cannot be judged; give a shorter --retain or soak longer"
            ));
        }
        for name in RETAINED {
            let (a, b) = (max_of(first, &|s| s.table(name) as f64), max_of(last, &|s| s.table(name) as f64));
            let bound = a * limits::RETAINED_GROWTH;
            let _ = writeln!(
                figures,
                "  {name} (pruned after {:.0} s): most {a:.0} in the first third, {b:.0} in the last (bound {bound:.0})",
                retain.as_secs_f64()
            );
            if b > bound {
                failed.push(format!(
                    "the pruned table {name} grew: most {a:.0} in the first third, {b:.0} in the last (bound {bound:.0})"
                ));
            }
        }
        let half = post.len() / 2;
        let middle = &post[half];
        // Work done in each half: the requests issued (ended runs themselves are pruned).
        let issued = |from: usize, to: usize| post[from + 1..=to].iter().map(|s| s.requests as f64).sum::<f64>();
        let (ended_1, ended_2) = (issued(0, half), issued(half, post.len() - 1));
        for name in HISTORY {
            let grew = |a: &Sample, b: &Sample| (b.table(name) - a.table(name)) as f64;
            let (per_1, per_2) = (grew(start, middle) / ended_1.max(1.0), grew(middle, end) / ended_2.max(1.0));
            let _ = writeln!(
                figures,
                "  {name} (history): {} → {} rows; per request {per_1:.2} in the first half, {per_2:.2} in the second",
                start.table(name),
                end.table(name)
            );
            let ratio = if per_1 > 0.0 { per_2 / per_1 } else { 1.0 };
            if ended_1 < 1.0 || ended_2 < 1.0 {
                failed.push(format!("no request in half of the soak ({ended_1:.0}, {ended_2:.0})"));
                break;
            }
            if !(1.0 / limits::HISTORY_RATIO..=limits::HISTORY_RATIO).contains(&ratio) {
                failed.push(format!(
                    "the history table {name} grew out of proportion to the work: {per_1:.2} rows per request in the \
                     first half, {per_2:.2} in the second (allowed factor {})",
                    limits::HISTORY_RATIO
                ));
            }
        }
        if end.table("event_failures") > 0 {
            failed.push(format!("{} events were dead-lettered", end.table("event_failures")));
        }

        // Latency.
        let (p99_first, p99_last) = (median_of(first, &|s| s.p99_ms), median_of(last, &|s| s.p99_ms));
        let worst = max_of(post, &|s| s.p99_ms);
        let _ = writeln!(
            figures,
            "  post → next message: p50 {:.1} ms first, {:.1} ms last; p99 (median of intervals) {p99_first:.1} ms in the first third, \
             {p99_last:.1} ms in the last; worst interval p99 {worst:.1} ms",
            median_of(first, &|s| s.p50_ms),
            median_of(last, &|s| s.p50_ms)
        );
        if p99_last > p99_first * limits::LATENCY_GROWTH + limits::LATENCY_SLACK_MS {
            failed.push(format!(
                "latency is not flat: p99 {p99_first:.1} ms in the first third, {p99_last:.1} ms in the last (allowed {}x + {} ms)",
                limits::LATENCY_GROWTH,
                limits::LATENCY_SLACK_MS
            ));
        }
        if worst > args.max_p99_ms {
            failed.push(format!("an interval's p99 was {worst:.1} ms, above the ceiling of {} ms", args.max_p99_ms));
        }

        // Ages.
        for (what, age) in [
            ("the oldest queued event", max_of(post, &|s| s.queue_age_s)),
            ("the oldest due outbox row", max_of(post, &|s| s.outbox_age_s)),
            ("the most overdue timer", max_of(post, &|s| s.timer_overdue_s)),
        ] {
            let _ = writeln!(figures, "  {what}: at most {age:.2} s");
            if age > args.max_age_secs {
                failed.push(format!("{what} was {age:.2} s old (limit {} s)", args.max_age_secs));
            }
        }
        let fired: f64 = post.iter().map(|s| s.timers_fired).sum();
        let late = max_of(post, &|s| s.timer_late_mean_ms);
        let late_p99 = max_of(post, &|s| s.timer_late_p99_ms);
        let _ = writeln!(
            figures,
            "  timers: {fired:.0} fired after the warm-up; worst interval mean lateness {late:.1} ms, p99 within {late_p99:.0} ms (bucket bound)"
        );
        if fired < 1.0 {
            failed.push("no timer fired after the warm-up".into());
        }
        if late > limits::TIMER_LATE_MEAN_MS {
            failed.push(format!(
                "timers fired {late:.1} ms late on average in an interval (limit {} ms)",
                limits::TIMER_LATE_MEAN_MS
            ));
        }

        // The driver's own view.
        if driven.failed > 0 {
            failed.push(format!("{} requests failed, e.g. {:?}", driven.failed, driven.errors));
        }
        if driven.skipped as f64 > driven.issued as f64 * limits::SKIPPED {
            failed.push(format!(
                "{} of {} requests were skipped ({MAX_IN_FLIGHT} in flight): the server did not keep up with {rate:.0}/s",
                driven.skipped, driven.issued
            ));
        }
        if lost > 0 {
            failed.push(format!("{lost} contacts never got the message their last event should have caused"));
        }
        if !drained {
            failed.push("events or effects were still waiting two minutes after the driver stopped".into());
        }
        Checks { figures, failed }
    }
}
