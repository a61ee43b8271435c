//! Crash and recovery. One test crashes the engine in-process before each durable step in
//! turn (every commit, every outbound call) and shows that a restarted engine finishes the
//! flow exactly as an uncrashed one, with every effect's idempotency key seen by the
//! receiver. The other kills a real `switchboard run` process with SIGKILL under load.

mod common;

use common::*;
use std::collections::BTreeSet;
use std::sync::Arc;
use switchboard::clock::ManualClock;
use switchboard::runtime::{Engine, Options};

struct Outcome {
    journal: Vec<(Option<String>, String)>,
    keys: BTreeSet<String>,
    messages: Vec<String>,
    status: String,
}

/// Runs the whole scenario against the database at `url`; every operation is safe to repeat
/// (events carry ids; the rest drains what the store says is due), so "restart" is "run it
/// again". Stops at the first simulated crash.
async fn scenario(
    url: &str,
    receiver: &str,
    clock: &ManualClock,
    crash_after: Option<i64>,
) -> Result<(), switchboard::runtime::Error> {
    let options = Options {
        database_url: url.into(),
        webhook_url: Some(format!("{receiver}/channel")),
        http_allow: vec!["127.0.0.1/32".into()],
        crash_after,
        ..Options::default()
    };
    let engine = Engine::open(options, Arc::new(clock.clone())).await?;
    engine.publish_if_changed(&DURABLE_FLOW.replace("{{URL}}", receiver).replace("PAUSE", "1h")).await?;
    engine.enqueue(&[webhook_says("ana", "start please", "e1")]).await?;
    while engine.process_queue(10).await? > 0 {}
    while engine.process_outbox(10).await? > 0 {}
    clock.set("2026-11-23T11:00:00Z".parse().expect("time"));
    engine.fire_due_timers(10).await?;
    while engine.process_outbox(10).await? > 0 {}
    Ok(())
}

async fn outcome(url: &str, receiver: &Receiver) -> Outcome {
    let clock = ManualClock::at("2026-11-23T11:00:00Z".parse().expect("time"));
    let engine =
        Engine::open(Options { database_url: url.into(), ..Options::default() }, Arc::new(clock)).await.expect("open");
    let run = engine.runs_of_contact(1).await.expect("runs").into_iter().next().expect("a run");
    let journal = engine.journal(run.id).await.expect("journal").into_iter().map(|e| (e.step, e.kind)).collect();
    let messages = sqlx::query_scalar("SELECT text FROM messages WHERE direction = 'out' ORDER BY id")
        .fetch_all(engine.pool())
        .await
        .expect("messages");
    // Keys embed run ids, the same in every database; the installation id in front of them
    // is each database's own.
    let installation = format!("{}:", engine.installation_id());
    let keys = receiver.keys().into_iter().map(|k| k.strip_prefix(&installation).unwrap_or(&k).to_owned()).collect();
    Outcome { journal, keys, messages, status: run.status.to_string() }
}

#[tokio::test]
async fn a_crash_before_any_durable_step_loses_nothing_and_repeats_nothing() {
    let dir = tempdir();
    let (reference_receiver, reference_url) = Receiver::start().await;
    let clock = ManualClock::at("2026-11-23T10:00:00Z".parse().expect("time"));
    let reference_db = format!("sqlite://{}/reference.db", dir.display());
    scenario(&reference_db, &reference_url, &clock, None).await.expect("uncrashed run");
    let expected = outcome(&reference_db, &reference_receiver).await;
    assert_eq!(expected.status, "completed");
    assert_eq!(expected.messages, vec!["Hello ana", "Bye ana"]);
    assert_eq!(expected.keys.len(), 3, "two messages and one HTTP call");

    let mut crash_points = 0;
    for k in 0.. {
        let (receiver, url) = Receiver::start().await;
        let db = format!("sqlite://{}/crash-{k}.db", dir.display());
        let clock = ManualClock::at("2026-11-23T10:00:00Z".parse().expect("time"));
        match scenario(&db, &url, &clock, Some(k)).await {
            Ok(()) => break, // k is past the last durable step: no crash happened.
            Err(switchboard::runtime::Error::Crashed) => {}
            Err(other) => panic!("crash point {k}: an error that is not the simulated crash: {other}"),
        }
        crash_points += 1;
        scenario(&db, &url, &clock, None).await.expect("the restarted engine finishes");
        let got = outcome(&db, &receiver).await;
        assert_eq!(got.status, "completed", "crash before step {k}");
        assert_eq!(got.journal.len(), expected.journal.len(), "crash before step {k}: no step skipped or repeated");
        assert_eq!(
            got.journal.iter().map(|(s, k)| (s.clone(), k.clone())).collect::<Vec<_>>(),
            expected.journal,
            "crash before step {k}"
        );
        assert_eq!(got.messages, expected.messages, "crash before step {k}: each message once");
        // Keys embed run ids, which are the same in every database: the very same keys arrive.
        assert_eq!(got.keys, expected.keys, "crash before step {k}: every effect reached the receiver");
    }
    assert!(crash_points >= 8, "the scenario has {crash_points} durable steps");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_load_then_restart_completes_every_run_exactly() {
    const RUNS: usize = 300;
    let dir = tempdir();
    let (receiver, url) = Receiver::start().await;
    std::fs::create_dir_all(dir.join("workflows")).expect("dir");
    std::fs::write(dir.join("workflows/durable.yaml"), DURABLE_FLOW.replace("{{URL}}", &url).replace("PAUSE", "1s"))
        .expect("workflow");
    let db = format!("sqlite://{}", dir.join("switchboard.db").display());

    let mut child = spawn_run(&dir, &dir.join("switchboard.db").display().to_string(), &url);
    // Wait for the child to create, migrate and publish (reading only: a second process
    // migrating the same new file at the same moment would race it).
    let file = dir.join("switchboard.db");
    eventually(std::time::Duration::from_secs(30), "the engine to publish", async || {
        if !file.exists() {
            return false;
        }
        let Ok(pool) = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", file.display())).await else {
            return false;
        };
        let published =
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM workflows").fetch_one(&pool).await.unwrap_or(0) == 1;
        pool.close().await;
        published
    })
    .await;
    let client = Engine::open(
        Options { database_url: db.clone(), ..Options::default() },
        Arc::new(switchboard::clock::SystemClock),
    )
    .await
    .expect("client engine");
    for chunk in (0..RUNS).collect::<Vec<_>>().chunks(50) {
        let events: Vec<_> =
            chunk.iter().map(|i| webhook_says(&format!("c{i}"), "start", &format!("start-{i}"))).collect();
        client.enqueue(&events).await.expect("enqueue");
    }
    // Kill it while flows are mid-way: some effects delivered, most runs unfinished.
    eventually(std::time::Duration::from_secs(60), "the first effects", async || receiver.requests().len() >= RUNS / 2)
        .await;
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    let completed_at_kill: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM runs WHERE status = 'completed'")
        .fetch_one(client.pool())
        .await
        .expect("count");
    assert!((completed_at_kill as usize) < RUNS, "the kill came too late to prove anything");

    let mut child = spawn_run(&dir, &dir.join("switchboard.db").display().to_string(), &url);
    let keys = assert_durable_runs_completed_once(&client, &receiver, RUNS).await;
    child.kill().expect("stop");
    child.wait().expect("reaped");
    let redelivered = receiver.requests().len() - keys.len();
    eprintln!("kill -9 test: {RUNS} runs, {completed_at_kill} complete at the kill, {redelivered} effects redelivered with their key");
    // Issue 16, item 5: outcomes are recorded as they arrive, so the restarted process
    // performs again only what was in flight at the kill: at most the pool's size.
    let pool = switchboard::runtime::PoolLimits::default().total();
    assert!(redelivered <= pool, "{redelivered} effects performed again; at most {pool} were in flight");
}
