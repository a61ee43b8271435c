//! One, two and three `switchboard run` processes on one PostgreSQL database.
//!
//! For each count: a backlog of contacts each starting a three-step flow (message, tags,
//! message; every message a round trip through the outbox) is drained, giving step
//! transitions per second; then events arrive at a steady rate and the time from an event
//! being accepted to its run starting (the claim latency a contact feels) is measured, p50 and
//! p99. Run with `cargo bench -p switchboard --bench processes`; needs
//! `SWITCHBOARD_TEST_DATABASE_URL` (a PostgreSQL server; scratch databases are created and
//! dropped). Figures go to BENCHMARKS.md by hand, with the machine and date.

use sqlx::Connection;
use std::sync::Arc;
use std::time::{Duration, Instant};
use steps::message::InboundMessage;
use switchboard::runtime::{ContactRef, Engine, Event, EventKind, Options};

const FLOW: &str = r#"
schema: 1
id: bench
name: Bench
trigger: { type: message_received, keywords: [start] }
start: greet
steps:
  greet: { kind: send_message, text: 'Hello {{contact.first_name}}', next: { next: tag, failure: tag } }
  tag: { kind: update_tags, add: [benched], next: { next: bye } }
  bye: { kind: send_message, text: 'Bye' }
"#;

const BACKLOG: usize = 6000;
const STEADY_RATE: usize = 200; // events per second
const STEADY_SECONDS: usize = 10;

fn start(i: usize, prefix: &str) -> Event {
    Event::with_id(
        "bench",
        &format!("{prefix}-{i}"),
        EventKind::MessageReceived {
            contact: ContactRef::Address { channel: "simulator".into(), address: format!("{prefix}{i}") },
            channel: "simulator".into(),
            message: InboundMessage::text("start"),
            profile: Default::default(),
        },
    )
}

async fn scalar(engine: &Engine, sql: &'static str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql).fetch_one(engine.pool()).await.unwrap_or(-1)
}

async fn wait_for(engine: &Engine, sql: &'static str, target: i64) {
    while scalar(engine, sql).await < target {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn one(server: &str, processes: usize) -> (f64, i64, i64, f64) {
    let name = format!("sb_bench_{}_{processes}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(server).await.expect("PostgreSQL");
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
        .execute(&mut admin)
        .await
        .expect("drop");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut admin).await.expect("create");
    let db = format!("{}/{name}", server.rsplit_once('/').expect("a database in the URL").0);
    let dir = std::env::temp_dir().join(format!("switchboard-bench-{}-{processes}", std::process::id()));
    std::fs::create_dir_all(dir.join("workflows")).expect("dir");
    std::fs::write(dir.join("workflows/bench.yaml"), FLOW).expect("flow");
    let client = Engine::open(
        Options { database_url: db.clone(), ..Options::default() },
        Arc::new(switchboard::clock::SystemClock),
    )
    .await
    .expect("client");
    client.publish_if_changed(FLOW).await.expect("publish");
    let spawn = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .args(["run", "--db", &db, "--workflows"])
            .arg(dir.join("workflows"))
            .env("RUST_LOG", "error")
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("switchboard run")
    };

    // Saturation: accept the backlog first, then let the processes drain it.
    for chunk in (0..BACKLOG).collect::<Vec<_>>().chunks(500) {
        let events: Vec<Event> = chunk.iter().map(|i| start(*i, "b")).collect();
        client.enqueue(&events).await.expect("enqueue");
    }
    let started = Instant::now();
    let mut children: Vec<_> = (0..processes).map(|_| spawn()).collect();
    wait_for(&client, "SELECT COUNT(*) FROM runs WHERE status = 'completed'", BACKLOG as i64).await;
    let drained = started.elapsed().as_secs_f64();
    let transitions = scalar(&client, "SELECT COUNT(*) FROM run_journal WHERE kind = 'transition'").await;
    let per_second = transitions as f64 / drained;

    // Steady arrivals: accepted → run started.
    let ticks = STEADY_RATE * STEADY_SECONDS / 10;
    let mut interval = tokio::time::interval(Duration::from_millis(100));
    for tick in 0..ticks {
        interval.tick().await;
        let events: Vec<Event> = (0..STEADY_RATE / 10).map(|i| start(tick * 1000 + i, "s")).collect();
        client.enqueue(&events).await.expect("enqueue");
    }
    let total = (BACKLOG + ticks * (STEADY_RATE / 10)) as i64;
    wait_for(&client, "SELECT COUNT(*) FROM runs", total).await;
    let mut latencies: Vec<i64> = sqlx::query_scalar(
        "SELECT r.created_at - i.received_at FROM runs r
         JOIN contact_addresses a ON a.contact_id = r.contact_id AND a.channel = 'simulator'
         JOIN inbox i ON i.source = 'bench' AND i.event_id = 's-' || substr(a.address, 2)
         WHERE a.address LIKE 's%'",
    )
    .fetch_all(client.pool())
    .await
    .expect("latencies");
    latencies.sort_unstable();
    for child in &mut children {
        let _ = child.kill();
        let _ = child.wait();
    }
    client.pool().close().await;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
        .execute(&mut admin)
        .await
        .expect("drop");
    let _ = std::fs::remove_dir_all(&dir);
    (per_second, percentile(&latencies, 0.5), percentile(&latencies, 0.99), drained)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo nextest` lists every target; this one has no tests, and runs only as a benchmark.
    if args.iter().any(|a| a == "--list") || !args.iter().any(|a| a == "--bench") {
        return;
    }
    let Ok(server) = std::env::var("SWITCHBOARD_TEST_DATABASE_URL") else {
        eprintln!("SKIPPED: set SWITCHBOARD_TEST_DATABASE_URL to a PostgreSQL server to run this benchmark");
        return;
    };
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    println!("processes | transitions/s (backlog of {BACKLOG}) | drain s | accepted→started p50 ms | p99 ms ({STEADY_RATE}/s)");
    for processes in 1..=3 {
        let (tps, p50, p99, drained) = runtime.block_on(one(&server, processes));
        println!("{processes} | {tps:.0} | {drained:.1} | {p50} | {p99}");
    }
}
