//! Timer lateness: 10,000 timers due over one minute, and how late each fires.
//!
//! 10,000 contacts each start one of 60 workflows whose only step is a `wait` of 15 s to 74 s
//! (contact i: workflow i mod 60), so their timers fall due over one minute once every run is
//! waiting. The engine's background loops run as in `switchboard run`; a timer's lateness is
//! the moment its run's completion is announced (after the firing transaction commits) minus
//! the timer's `due_at`. Prints p50, p99 and max per backend: SQLite (a file, `synchronous=FULL`)
//! always, PostgreSQL when `SWITCHBOARD_BENCH_DATABASE_URL` or `SWITCHBOARD_TEST_DATABASE_URL`
//! names a server (a scratch database is created and dropped). Takes a little over a minute per
//! backend. Run with `cargo bench -p switchboard --bench timers`; figures go to BENCHMARKS.md
//! by hand, with the machine and date. Targets: p99 ≤ 50 ms on SQLite, ≤ 250 ms on PostgreSQL.

use sqlx::Connection;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use steps::message::InboundMessage;
use switchboard::runtime::{ContactRef, Engine, Event, EventKind, LiveEvent, Options};

const TIMERS: usize = 10_000;
const WORKFLOWS: usize = 60;
/// The shortest wait: every run is waiting before the first timer falls due.
const FIRST_DUE_S: usize = 15;

fn workflow(k: usize) -> String {
    format!(
        "schema: 1\nid: t{k}\nname: Timer {k}\ntrigger: {{ type: message_received, keywords: [t{k}] }}\nstart: pause\nsteps:\n  pause: {{ kind: wait, for: {}s }}\n",
        FIRST_DUE_S + k
    )
}

fn start(i: usize) -> Event {
    Event::with_id(
        "bench",
        &format!("t-{i}"),
        EventKind::MessageReceived {
            contact: ContactRef::Address { channel: "simulator".into(), address: format!("c{i}") },
            channel: "simulator".into(),
            message: InboundMessage::text(format!("t{}", i % WORKFLOWS)),
            profile: Default::default(),
        },
    )
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn scalar(engine: &Engine, sql: &'static str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql).fetch_one(engine.pool()).await.unwrap_or(-1)
}

/// Runs the benchmark on one store; prints and returns (p50, p99, max) lateness in ms.
async fn one(label: &str, database_url: String) -> (i64, i64, i64) {
    let engine =
        Engine::open(Options { database_url, ..Options::default() }, Arc::new(switchboard::clock::SystemClock))
            .await
            .expect("engine");
    for k in 0..WORKFLOWS {
        engine.publish(&workflow(k)).await.expect("publish");
    }
    let setup = Instant::now();
    for chunk in (0..TIMERS).collect::<Vec<_>>().chunks(1000) {
        let events: Vec<Event> = chunk.iter().map(|i| start(*i)).collect();
        engine.enqueue(&events).await.expect("enqueue");
    }
    // Everything announced from here on is seen; the firing phase is what counts.
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let background = {
        let engine = engine.clone();
        tokio::spawn(async move {
            engine
                .run_background(async {
                    let _ = stopped.await;
                })
                .await
        })
    };
    while scalar(&engine, "SELECT COUNT(*) FROM timers").await < TIMERS as i64 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let set_up_in = setup.elapsed();
    let due: HashMap<i64, i64> = sqlx::query_as::<_, (i64, i64)>("SELECT run_id, due_at FROM timers")
        .fetch_all(engine.pool())
        .await
        .expect("timers")
        .into_iter()
        .collect();
    let first_due = due.values().min().copied().unwrap_or_default();
    let last_due = due.values().max().copied().unwrap_or_default();
    let now = chrono::Utc::now().timestamp_millis();
    assert!(first_due > now, "the setup took longer than {FIRST_DUE_S} s: the first timer was due before it ended");
    println!(
        "{label}: {} timers set in {:.1} s, due from {:.1} s to {:.1} s from now",
        due.len(),
        set_up_in.as_secs_f64(),
        (first_due - now) as f64 / 1000.0,
        (last_due - now) as f64 / 1000.0
    );

    let mut live = engine.subscribe();
    let mut fired: HashMap<i64, i64> = HashMap::new();
    let mut lagged = 0u64;
    let deadline = Instant::now() + Duration::from_millis((last_due - now).max(0) as u64) + Duration::from_secs(60);
    while fired.len() < due.len() && Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(1), live.recv()).await {
            Ok(Ok(LiveEvent::Run { run_id, status, .. })) if status == "completed" => {
                fired.entry(run_id).or_insert_with(|| chrono::Utc::now().timestamp_millis());
            }
            Ok(Ok(_)) | Err(_) => {}
            Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(n))) => lagged += n,
            Ok(Err(tokio::sync::broadcast::error::RecvError::Closed)) => break,
        }
        if lagged > 0 && scalar(&engine, "SELECT COUNT(*) FROM timers").await == 0 {
            break;
        }
    }
    // Announcements missed by a lagging receiver: the run's end as recorded (the firing
    // transaction's time, before its commit).
    if fired.len() < due.len() {
        let ended: Vec<(i64, i64)> =
            sqlx::query_as("SELECT id, ended_at FROM runs WHERE status = 'completed' AND ended_at IS NOT NULL")
                .fetch_all(engine.pool())
                .await
                .expect("runs");
        for (id, at) in ended {
            fired.entry(id).or_insert(at);
        }
    }
    let _ = stop.send(());
    let _ = background.await;
    let mut lateness: Vec<i64> =
        due.iter().filter_map(|(run, due_at)| fired.get(run).map(|at| (at - due_at).max(0))).collect();
    lateness.sort_unstable();
    let (p50, p99, max) =
        (percentile(&lateness, 0.5), percentile(&lateness, 0.99), lateness.last().copied().unwrap_or(0));
    println!(
        "{label}: {} of {} timers fired{}; lateness p50 {p50} ms, p99 {p99} ms, max {max} ms",
        lateness.len(),
        due.len(),
        if lagged > 0 {
            format!(" ({lagged} announcements missed, their runs' end times used)")
        } else {
            String::new()
        }
    );
    (p50, p99, max)
}

async fn scratch_postgres(server: &str) -> (String, String) {
    let name = format!("sb_bench_timers_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(server).await.expect("PostgreSQL");
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
        .execute(&mut admin)
        .await
        .expect("drop");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut admin).await.expect("create");
    let db = format!("{}/{name}", server.rsplit_once('/').expect("a database in the URL").0);
    (name, db)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo nextest` lists every target; this one has no tests, and runs only as a benchmark.
    if args.iter().any(|a| a == "--list") || !args.iter().any(|a| a == "--bench") {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let dir = std::env::temp_dir().join(format!("switchboard-bench-timers-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let (_, p99, _) = one("SQLite", format!("sqlite://{}/timers.db", dir.display())).await;
        println!("SQLite: target p99 ≤ 50 ms: {}", if p99 <= 50 { "met" } else { "MISSED" });
        let _ = std::fs::remove_dir_all(&dir);
        let server = std::env::var("SWITCHBOARD_BENCH_DATABASE_URL")
            .or_else(|_| std::env::var("SWITCHBOARD_TEST_DATABASE_URL"))
            .ok();
        match server {
            Some(server) => {
                let (name, db) = scratch_postgres(&server).await;
                let (_, p99, _) = one("PostgreSQL", db).await;
                println!("PostgreSQL: target p99 ≤ 250 ms: {}", if p99 <= 250 { "met" } else { "MISSED" });
                if let Ok(mut admin) = sqlx::PgConnection::connect(&server).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                        .execute(&mut admin)
                        .await;
                }
            }
            None => {
                println!("PostgreSQL: skipped (set SWITCHBOARD_BENCH_DATABASE_URL or SWITCHBOARD_TEST_DATABASE_URL)")
            }
        }
    });
}
