//! Parked contacts: N contacts each start a flow that asks a question and waits; then all
//! their replies arrive and drive the runs to completion. Measures resident memory while N
//! runs wait (it must not grow with N: a waiting run is a row, not a task) and step
//! transitions per second while the replies are processed, on SQLite with
//! `synchronous=FULL` (events are processed in batches that share one commit), with the
//! batch sizes the server's background loops use.
//!
//! `cargo bench -p switchboard --bench parked -- 100000 1000000`

use std::sync::Arc;

// The same allocator as the `switchboard` binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::time::Instant;
use steps::message::InboundMessage;
use switchboard::clock::SystemClock;
use switchboard::runtime::{ContactRef, Engine, Event, EventKind, Options};

const FLOW: &str = r#"
schema: 1
id: survey
name: Survey
trigger: { type: message_received, keywords: [start] }
start: ask
steps:
  ask: { kind: ask, type: number, text: 'How many?', next: { answered: thanks } }
  thanks: { kind: update_tags, add: [answered], next: { next: bye } }
  bye: { kind: send_message, text: 'Thanks, {{steps.ask.answer}} it is.' }
"#;

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn message(i: usize, text: &str, id: &str) -> Event {
    Event::with_id(
        "bench",
        id,
        EventKind::MessageReceived {
            contact: ContactRef::Address { channel: "simulator".into(), address: format!("c{i}") },
            channel: "simulator".into(),
            message: InboundMessage::text(text),
            profile: Default::default(),
        },
    )
}

async fn feed(engine: &Engine, range: std::ops::Range<usize>, text: &str, prefix: &str) -> f64 {
    let started = Instant::now();
    let (mut t_enqueue, mut t_queue, mut t_outbox) = (0.0, 0.0, 0.0);
    let chunk = 2000;
    let mut i = range.start;
    while i < range.end {
        let end = (i + chunk).min(range.end);
        let events: Vec<Event> = (i..end).map(|n| message(n, text, &format!("{prefix}-{n}"))).collect();
        let t = Instant::now();
        engine.enqueue(&events).await.expect("enqueue");
        t_enqueue += t.elapsed().as_secs_f64();
        let t = Instant::now();
        while engine.process_queue(switchboard::runtime::QUEUE_BATCH).await.expect("process") > 0 {}
        t_queue += t.elapsed().as_secs_f64();
        // Deliver what the flows sent, as the background worker would.
        let t = Instant::now();
        while engine.process_outbox(switchboard::runtime::OUTBOX_BATCH).await.expect("outbox") > 0 {}
        t_outbox += t.elapsed().as_secs_f64();
        i = end;
    }
    println!("  (enqueue {t_enqueue:.1}s, processing {t_queue:.1}s, outbox {t_outbox:.1}s)");
    started.elapsed().as_secs_f64()
}

async fn transitions(engine: &Engine) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM run_journal WHERE kind = 'transition'")
        .fetch_one(engine.pool())
        .await
        .expect("count")
}

#[tokio::main]
async fn main() {
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).init();
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        return; // Test runners list targets; this one has no test cases to list.
    }
    let sizes: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    // `cargo bench` passes `--bench`; run as a test (`cargo test --all-targets`) it is a quick smoke run.
    let default = if args.iter().any(|a| a == "--bench") { 100_000 } else { 500 };
    let sizes = if sizes.is_empty() { vec![default] } else { sizes };
    let dir = std::env::temp_dir().join(format!("switchboard-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let options = Options { database_url: format!("sqlite://{}/bench.db", dir.display()), ..Options::default() };
    let engine = Engine::open(options, Arc::new(SystemClock)).await.expect("engine");
    engine.publish(FLOW).await.expect("publish");
    println!("rss at start: {:.1} MB", rss_mb());
    let mut parked = 0;
    for &n in &sizes {
        let secs = feed(&engine, parked..n, "start", "start").await;
        parked = n;
        let waiting: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM runs WHERE status = 'waiting'")
            .fetch_one(engine.pool())
            .await
            .expect("n");
        println!(
            "parked {n} contacts ({waiting} waiting) in {secs:.1}s ({:.0} starts/s); rss {:.1} MB",
            (n as f64) / secs.max(1e-9) * (1.0),
            rss_mb()
        );
    }
    let before = transitions(&engine).await;
    let secs = feed(&engine, 0..parked, "42", "reply").await;
    let after = transitions(&engine).await;
    let completed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM runs WHERE status = 'completed'")
        .fetch_one(engine.pool())
        .await
        .expect("n");
    println!(
        "replies: {parked} in {secs:.1}s, {completed} runs completed, {} transitions, {:.0} transitions/s, {:.0} replies/s; rss {:.1} MB",
        after - before,
        (after - before) as f64 / secs,
        parked as f64 / secs,
        rss_mb()
    );
    let _ = std::fs::remove_dir_all(dir);
}
