//! W1 (issue 19): the hot path from a signed webhook to a reply, measured from outside a real
//! `switchboard serve` process, as a peer product would be measured.
//!
//! Another system POSTs `{id, language, tier, ref}` to a signed webhook trigger
//! (`/api/webhooks/w1`); the flow branches on the language, sets a greeting field, GETs a lookup
//! service on 127.0.0.1, sets a field from its answer and sends a reply through the webhook
//! channel to a receiver on 127.0.0.1. Latency runs from the POST to the reply received.
//!
//! - Closed loop (default): `--clients` clients, each posting its next event once its reply has
//!   arrived. Flows per second, p50/p99/max latency.
//! - Open loop (`--open`): `--clients` posters post as fast as events are accepted, without
//!   waiting for replies; acceptances and completions per second while posting, then the time
//!   to drain.
//!
//! Engine figures come from `/proc/<pid>` over the measured window: CPU (100 % = one core),
//! context switches per flow (all threads), RSS at the end.
//!
//! The database is an SQLite file in a scratch folder (`synchronous=FULL`, as shipped), or
//! with `--postgres URL` a scratch PostgreSQL database shared by `--processes` servers (the
//! clients spread over them).
//!
//! `cargo bench -p switchboard --bench w1 -- --clients 16 --seconds 20`
//! `--list` prints nothing (nextest lists bench targets).

#[path = "../tests/common/serve.rs"]
#[allow(dead_code)]
mod serve;

use clap::Parser;
use serde_json::{json, Value};
use serve::{ServeConfig, ServeProcess};
use sqlx::Connection;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ADMIN_TOKEN: &str = "w1-admin-token-0123456789abcdef0123456789abcdef0";
const SECRET_KEY_BYTE: u8 = 19;
/// Contacts the events are spread over (phone numbers); a client's events go to its own ones,
/// so a contact's next event never waits behind its previous flow.
const CONTACTS: u64 = 100_000;

#[derive(Parser, Debug)]
#[command(about = "W1: signed webhook → branch → field → HTTP lookup → field → reply, from outside")]
struct Args {
    /// The `switchboard` binary [default: the one built with this bench].
    #[arg(long, env = "SWITCHBOARD_BIN")]
    binary: Option<PathBuf>,
    /// Concurrent clients (closed loop) or posters (open loop).
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Seconds measured.
    #[arg(long, default_value_t = 20.0)]
    seconds: f64,
    /// Seconds of load before measuring.
    #[arg(long, default_value_t = 3.0)]
    warmup: f64,
    /// Open loop: post as fast as events are accepted.
    #[arg(long)]
    open: bool,
    /// A PostgreSQL server (a scratch database is made on it and dropped) instead of SQLite.
    #[arg(long, env = "SWITCHBOARD_W1_POSTGRES")]
    postgres: Option<String>,
    /// Server processes sharing the PostgreSQL database.
    #[arg(long, default_value_t = 1)]
    processes: usize,
    /// Keep the scratch folder (database, server log) afterwards.
    #[arg(long)]
    keep: bool,
    /// The servers' `RUST_LOG` (their log is `p<N>/server.log` in the scratch folder).
    #[arg(long, default_value = "warn")]
    server_log: String,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

fn main() -> std::process::ExitCode {
    if std::env::args().any(|a| a == "--list") {
        return std::process::ExitCode::SUCCESS;
    }
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    match runtime.block_on(w1(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("w1 FAILED: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn workflow(lookup: &str) -> String {
    format!(
        r#"schema: 1
id: w1
name: W1
trigger: {{ type: webhook, contact_key: phone, contact_path: $.id }}
start: language
steps:
  language:
    kind: branch
    branches:
      - name: german
        when: {{ field: trigger.payload.language, op: eq, value: de }}
    next: {{ german: greet_de, else: greet_en }}
  greet_de: {{ kind: update_fields, set: {{ fields.greeting: Hallo }}, next: {{ next: lookup }} }}
  greet_en: {{ kind: update_fields, set: {{ fields.greeting: Hello }}, next: {{ next: lookup }} }}
  lookup:
    kind: http
    method: GET
    url: '{lookup}/tier/{{{{trigger.payload.tier}}}}'
    save: {{ discount: $.discount }}
    next: {{ success: remember, failure: reply }}
  remember: {{ kind: update_fields, set: {{ fields.discount: '{{{{steps.lookup.discount}}}}' }}, next: {{ next: reply }} }}
  reply: {{ kind: send_message, channel: webhook, text: '{{{{contact.fields.greeting}}}}! Your discount is {{{{contact.fields.discount}}}}%. Ref {{{{trigger.payload.ref}}}}.' }}
"#
    )
}

async fn w1(args: Args) -> Result<(), String> {
    let binary = args.binary.clone().unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_switchboard")));
    let dir = std::env::temp_dir().join(format!("switchboard-w1-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("workflows")).map_err(|e| format!("{}: {e}", dir.display()))?;
    let receiver = Receiver::start().await?;
    std::fs::write(dir.join("workflows/w1.yaml"), workflow(&receiver.url)).map_err(|e| e.to_string())?;

    let scratch = match &args.postgres {
        Some(url) => Some(Scratch::create(url).await?),
        None => None,
    };
    let db = match &scratch {
        Some(s) => s.url.clone(),
        None => format!("sqlite://{}/w1.db", dir.display()),
    };
    let processes = if scratch.is_some() { args.processes.max(1) } else { 1 };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(args.clients * 2)
        .build()
        .map_err(|e| e.to_string())?;
    let mut servers = Vec::new();
    for i in 0..processes {
        let process_dir = dir.join(format!("p{i}"));
        std::fs::create_dir_all(&process_dir).map_err(|e| e.to_string())?;
        let workflows = dir.join("workflows");
        std::os::unix::fs::symlink(&workflows, process_dir.join("workflows")).map_err(|e| e.to_string())?;
        let mut server = ServeProcess::start(&ServeConfig {
            binary: &binary,
            dir: &process_dir,
            db: &db,
            receiver: &receiver.url,
            admin_token: ADMIN_TOKEN,
            secret_key_byte: SECRET_KEY_BYTE,
            env: vec![("RUST_LOG", Some(&args.server_log))],
        })
        .map_err(|e| format!("starting {}: {e}", binary.display()))?;
        server.wait_up(&http, Duration::from_secs(60)).await?;
        servers.push(server);
    }
    let result = measure(&args, &http, &servers, &receiver).await;
    for server in &mut servers {
        server.kill();
    }
    if let Some(scratch) = scratch {
        scratch.drop_database().await;
    }
    if args.keep || result.is_err() {
        eprintln!("w1: scratch folder kept: {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

async fn measure(
    args: &Args,
    http: &reqwest::Client,
    servers: &[ServeProcess],
    receiver: &Receiver,
) -> Result<(), String> {
    let secret: Value = http
        .post(format!("{}/api/workflows/w1/webhook-secret", servers[0].base))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .map_err(|e| format!("webhook-secret: {e}"))?
        .json()
        .await
        .map_err(|e| format!("webhook-secret: {e}"))?;
    let secret = secret["secret"].as_str().ok_or(format!("webhook-secret: {secret}"))?.to_owned();
    let shared = Arc::new(Shared {
        http: http.clone(),
        bases: servers.iter().map(|s| s.base.clone()).collect(),
        secret,
        receiver: receiver.state.clone(),
        next_ref: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        measuring: Mutex::new(None),
        latencies: Mutex::new(Vec::new()),
        accepted: AtomicU64::new(0),
        failed: AtomicU64::new(0),
    });
    let pids: Vec<u32> = servers.iter().map(ServeProcess::pid).collect();

    // One flow first: the path works end to end (and the first lookups warm up).
    shared.flow(0, 0).await.map_err(|e| format!("the first flow: {e}"))?;

    let mut tasks = Vec::new();
    for client in 0..args.clients {
        let shared = shared.clone();
        let open = args.open;
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while !shared.stop.load(Ordering::Relaxed) {
                let contact = (client as u64 + n * 1024) % CONTACTS;
                n += 1;
                let outcome =
                    if open { shared.post_only(client, contact).await } else { shared.flow(client, contact).await };
                if let Err(e) = outcome {
                    if shared.failed.fetch_add(1, Ordering::Relaxed) < 5 {
                        eprintln!("w1: client {client}: {e}");
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs_f64(args.warmup)).await;
    let before = Figures::read(&pids, &shared);
    *shared.measuring.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
    tokio::time::sleep(Duration::from_secs_f64(args.seconds)).await;
    let after = Figures::read(&pids, &shared);
    let window = after.at.duration_since(before.at).as_secs_f64();
    shared.stop.store(true, Ordering::Relaxed);
    for task in tasks {
        let _ = task.await;
    }
    // Open loop: how long the flows accepted take to finish once posting stops.
    let drain_started = Instant::now();
    let drained = loop {
        let accepted = shared.accepted.load(Ordering::Relaxed);
        let completed = shared.receiver.completed();
        if completed >= accepted {
            break Some(drain_started.elapsed());
        }
        if drain_started.elapsed() > Duration::from_secs(300) {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };

    let flows = (after.completed - before.completed) as f64;
    let accepted = (after.accepted - before.accepted) as f64;
    let mut latencies = std::mem::take(&mut *shared.latencies.lock().unwrap_or_else(|e| e.into_inner()));
    latencies.sort_by(f64::total_cmp);
    let cpu = (after.cpu_ticks - before.cpu_ticks) as f64 / TICKS_PER_SECOND / window * 100.0;
    let switches = (after.switches - before.switches) as f64 / flows.max(1.0);
    let backend = match &args.postgres {
        Some(_) => format!("PostgreSQL, {} process(es)", servers.len()),
        None => "SQLite".into(),
    };
    println!(
        "W1 {} loop, {} clients, {backend}, {:.1} s measured ({:.1} s warm-up)",
        if args.open { "open" } else { "closed" },
        args.clients,
        window,
        args.warmup
    );
    println!("  flows completed/s   {:.0}", flows / window);
    if args.open {
        println!("  events accepted/s   {:.0}", accepted / window);
        println!("  completed/accepted  {:.0} %", flows / accepted.max(1.0) * 100.0);
        match drained {
            Some(d) => println!("  drained after       {:.2} s", d.as_secs_f64()),
            None => println!("  NOT drained within 300 s"),
        }
    } else if !latencies.is_empty() {
        println!(
            "  latency p50/p99/max {:.1} / {:.1} / {:.1} ms ({} flows)",
            percentile(&latencies, 0.50),
            percentile(&latencies, 0.99),
            latencies[latencies.len() - 1],
            latencies.len()
        );
    }
    println!("  engine CPU          {cpu:.0} % (100 % = one core)");
    println!("  context switches    {switches:.1} per flow");
    println!("  engine RSS          {:.1} MB (sum over processes)", after.rss_kb as f64 / 1024.0);
    println!("  failed requests     {}", shared.failed.load(Ordering::Relaxed));
    if shared.failed.load(Ordering::Relaxed) > 0 {
        return Err(format!("{} requests failed", shared.failed.load(Ordering::Relaxed)));
    }
    if drained.is_none() {
        return Err("the flows did not all finish".into());
    }
    Ok(())
}

/// What the clients share.
struct Shared {
    http: reqwest::Client,
    bases: Vec<String>,
    secret: String,
    receiver: ReceiverState,
    next_ref: AtomicU64,
    stop: AtomicBool,
    /// When the measured window started (`None` during the warm-up).
    measuring: Mutex<Option<Instant>>,
    latencies: Mutex<Vec<f64>>,
    accepted: AtomicU64,
    failed: AtomicU64,
}

impl Shared {
    /// Posts one event: its reference, to wait for its reply.
    async fn post(&self, client: usize, contact: u64) -> Result<(String, oneshot::Receiver<Instant>), String> {
        let reference = format!("r{}", self.next_ref.fetch_add(1, Ordering::Relaxed));
        let waiter = self.receiver.expect(&reference);
        let language = if contact % 2 == 0 { "de" } else { "en" };
        let tier = ["gold", "silver", "bronze"][(contact % 3) as usize];
        let body = json!({"id": format!("+1555{contact:07}"), "language": language, "tier": tier, "ref": reference})
            .to_string();
        let timestamp = chrono::Utc::now().timestamp().to_string();
        let signature = switchboard::server::events_sign(&self.secret, &timestamp, body.as_bytes());
        let base = &self.bases[client % self.bases.len()];
        let response = self
            .http
            .post(format!("{base}/api/webhooks/w1"))
            .header("content-type", "application/json")
            .header("x-switchboard-timestamp", timestamp)
            .header("x-switchboard-signature", signature)
            .body(body)
            .send()
            .await
            .map_err(|e| format!("POST: {e}"))?;
        let status = response.status();
        if !status.is_success() {
            self.receiver.forget(&reference);
            let text = response.text().await.unwrap_or_default();
            return Err(format!("POST: HTTP {status}: {}", text.chars().take(200).collect::<String>()));
        }
        self.accepted.fetch_add(1, Ordering::Relaxed);
        Ok((reference, waiter))
    }

    /// Closed loop: post and wait for the reply; the latency is kept once measuring.
    async fn flow(&self, client: usize, contact: u64) -> Result<(), String> {
        let posted = Instant::now();
        let (reference, waiter) = self.post(client, contact).await?;
        let arrived = tokio::time::timeout(Duration::from_secs(30), waiter)
            .await
            .map_err(|_| format!("no reply to {reference} within 30 s"))?
            .map_err(|_| format!("{reference}: the receiver stopped"))?;
        let measuring = *self.measuring.lock().unwrap_or_else(|e| e.into_inner());
        if measuring.is_some_and(|m| posted >= m) && !self.stop.load(Ordering::Relaxed) {
            let ms = arrived.duration_since(posted).as_secs_f64() * 1000.0;
            self.latencies.lock().unwrap_or_else(|e| e.into_inner()).push(ms);
        }
        Ok(())
    }

    /// Open loop: post, and count the reply when it comes.
    async fn post_only(&self, client: usize, contact: u64) -> Result<(), String> {
        self.post(client, contact).await.map(|_| ())
    }
}

/// Counters read at the start and the end of the measured window.
struct Figures {
    at: Instant,
    completed: u64,
    accepted: u64,
    cpu_ticks: u64,
    switches: u64,
    rss_kb: u64,
}

impl Figures {
    fn read(pids: &[u32], shared: &Shared) -> Figures {
        let mut figures = Figures {
            at: Instant::now(),
            completed: shared.receiver.completed(),
            accepted: shared.accepted.load(Ordering::Relaxed),
            cpu_ticks: 0,
            switches: 0,
            rss_kb: 0,
        };
        for pid in pids {
            // utime and stime, fields 14 and 15, after the parenthesised command name.
            if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) {
                let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
                let fields: Vec<&str> = rest.split_whitespace().collect();
                let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
                figures.cpu_ticks += field(14) + field(15);
            }
            if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
                figures.rss_kb += status_field(&status, "VmRSS:");
            }
            if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
                for task in tasks.flatten() {
                    if let Ok(status) = std::fs::read_to_string(task.path().join("status")) {
                        figures.switches += status_field(&status, "voluntary_ctxt_switches:")
                            + status_field(&status, "nonvoluntary_ctxt_switches:");
                    }
                }
            }
        }
        figures
    }
}

fn status_field(status: &str, name: &str) -> u64 {
    status
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// `/proc`'s clock ticks per second: Linux's `USER_HZ`, 100 on every architecture it runs on.
const TICKS_PER_SECOND: f64 = 100.0;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

// ---------------------------------------------------------------------------------------
// The lookup service and the channel receiver, on 127.0.0.1.

#[derive(Clone, Default)]
struct ReceiverState(Arc<ReceiverInner>);

#[derive(Default)]
struct ReceiverInner {
    waiting: Mutex<HashMap<String, oneshot::Sender<Instant>>>,
    completed: AtomicU64,
}

impl ReceiverState {
    fn expect(&self, reference: &str) -> oneshot::Receiver<Instant> {
        let (tx, rx) = oneshot::channel();
        self.0.waiting.lock().unwrap_or_else(|e| e.into_inner()).insert(reference.to_owned(), tx);
        rx
    }

    fn forget(&self, reference: &str) {
        self.0.waiting.lock().unwrap_or_else(|e| e.into_inner()).remove(reference);
    }

    fn arrived(&self, text: &str) {
        let now = Instant::now();
        let Some(reference) = text.rsplit_once("Ref ").map(|(_, r)| r.trim_end_matches('.')) else {
            return;
        };
        if let Some(tx) = self.0.waiting.lock().unwrap_or_else(|e| e.into_inner()).remove(reference) {
            self.0.completed.fetch_add(1, Ordering::Relaxed);
            let _ = tx.send(now);
        }
    }

    fn completed(&self) -> u64 {
        self.0.completed.load(Ordering::Relaxed)
    }
}

struct Receiver {
    url: String,
    state: ReceiverState,
}

impl Receiver {
    async fn start() -> Result<Receiver, String> {
        use axum::extract::{Path, State};
        use axum::routing::{get, post};
        async fn channel(State(s): State<ReceiverState>, axum::Json(body): axum::Json<Value>) -> axum::Json<Value> {
            s.arrived(body["message"]["text"].as_str().unwrap_or_default());
            axum::Json(json!({"id": body["idempotency_key"]}))
        }
        async fn tier(Path(name): Path<String>) -> axum::Json<Value> {
            let discount = match name.as_str() {
                "gold" => 20,
                "silver" => 10,
                _ => 5,
            };
            axum::Json(json!({"tier": name, "discount": discount}))
        }
        let state = ReceiverState::default();
        let app = axum::Router::new()
            .route("/channel", post(channel))
            .route("/tier/{name}", get(tier))
            .with_state(state.clone());
        let url = serve::serve_on_loopback(app).await.map_err(|e| format!("receiver: {e}"))?;
        Ok(Receiver { url, state })
    }
}

// ---------------------------------------------------------------------------------------
// A scratch PostgreSQL database.

struct Scratch {
    server: String,
    name: String,
    url: String,
}

impl Scratch {
    async fn create(server: &str) -> Result<Scratch, String> {
        let name = format!("switchboard_w1_{}", std::process::id());
        let mut admin = sqlx::PgConnection::connect(server).await.map_err(|e| format!("{server}: {e}"))?;
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}")))
            .execute(&mut admin)
            .await
            .map_err(|e| e.to_string())?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .map_err(|e| e.to_string())?;
        let base = server.rsplit_once('/').map(|(b, _)| b).unwrap_or(server);
        Ok(Scratch { server: server.to_owned(), url: format!("{base}/{name}"), name })
    }

    async fn drop_database(self) {
        if let Ok(mut admin) = sqlx::PgConnection::connect(&self.server).await {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)))
                .execute(&mut admin)
                .await;
        }
    }
}
