//! Three `switchboard run` processes share one PostgreSQL database under load; one is killed
//! with SIGKILL in the middle. Every run completes exactly once: one run per contact, each
//! step journaled once and in order, every effect's idempotency key at the receiver, and a
//! key delivered twice only if the process that first sent it died before recording it. The
//! dead process's work is taken over within 15 seconds.
//!
//! Needs `SWITCHBOARD_TEST_DATABASE_URL` (`.ci/run` always sets it); without it the test says
//! loudly that it was skipped. It uses a scratch database of its own.

mod common;

use common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
use switchboard::runtime::{Engine, Options};

async fn count(engine: &Engine, sql: &'static str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql).fetch_one(engine.pool()).await.unwrap_or(-1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_share_the_work_and_a_killed_ones_is_taken_over() {
    let Ok(server) = std::env::var("SWITCHBOARD_TEST_DATABASE_URL") else {
        eprintln!("SKIPPED: SWITCHBOARD_TEST_DATABASE_URL is unset; the multi-process test needs PostgreSQL");
        return;
    };
    const RUNS: usize = 400;
    let db = scratch_database(&server, "sb_multiprocess").await;
    let dir = tempdir();
    // Each effect takes a moment at the receiver, so the victim has some in flight.
    let (receiver, url) = Receiver::start_slow(Duration::from_millis(20)).await;
    std::fs::create_dir_all(dir.join("workflows")).expect("dir");
    std::fs::write(dir.join("workflows/durable.yaml"), DURABLE_FLOW.replace("{{URL}}", &url).replace("PAUSE", "1s"))
        .expect("workflow");

    // The first process migrates and publishes; the others join once it has.
    let mut victim = spawn_run(&dir, &db, &url);
    let client = Engine::open(
        Options { database_url: db.clone(), ..Options::default() },
        Arc::new(switchboard::clock::SystemClock),
    )
    .await
    .expect("client engine");
    eventually(Duration::from_secs(60), "the first process to publish", async || {
        count(&client, "SELECT COUNT(*) FROM workflows").await == 1
    })
    .await;
    let mut others = [spawn_run(&dir, &db, &url), spawn_run(&dir, &db, &url)];

    for chunk in (0..RUNS).collect::<Vec<_>>().chunks(50) {
        let events: Vec<_> =
            chunk.iter().map(|i| webhook_says(&format!("c{i}"), "start", &format!("start-{i}"))).collect();
        client.enqueue(&events).await.expect("enqueue");
    }

    // Watch the processes share the outbox until the kill.
    let mut owners = BTreeSet::new();
    eventually(Duration::from_secs(60), "half the effects", async || {
        let seen: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT lease_owner FROM outbox WHERE lease_owner IS NOT NULL")
                .fetch_all(client.pool())
                .await
                .unwrap_or_default();
        owners.extend(seen);
        receiver.requests().len() >= RUNS * 3 / 2
    })
    .await;

    // Freeze the victim at a moment it holds effects in flight, read what it holds, kill it.
    let pid = victim.id();
    let signal = |sig: &str| {
        let ok = std::process::Command::new("kill").args([sig, &pid.to_string()]).status().expect("kill").success();
        assert!(ok, "kill {sig}");
    };
    let victim_id: String = sqlx::query_scalar("SELECT id FROM workers WHERE pid = $1")
        .bind(i64::from(pid))
        .fetch_one(client.pool())
        .await
        .expect("the victim registered");
    let mut held: Vec<(i64, String)> = Vec::new();
    eventually(Duration::from_secs(30), "the victim to hold effects", async || {
        signal("-STOP");
        held = sqlx::query_as("SELECT id, idempotency_key FROM outbox WHERE status = 'pending' AND lease_owner = $1")
            .bind(&victim_id)
            .fetch_all(client.pool())
            .await
            .expect("leases");
        if held.is_empty() {
            signal("-CONT");
        }
        !held.is_empty()
    })
    .await;
    // On the wire each key starts with the installation's id.
    let held_keys: BTreeSet<String> = held.iter().map(|(_, k)| format!("{}:{k}", client.installation_id())).collect();
    let held: Vec<i64> = held.into_iter().map(|(id, _)| id).collect();
    let completed_at_kill = count(&client, "SELECT COUNT(*) FROM runs WHERE status = 'completed'").await;
    victim.kill().expect("SIGKILL");
    victim.wait().expect("reaped");
    let killed_at = Instant::now();
    assert!((completed_at_kill as usize) < RUNS, "the kill came too late to prove anything");

    // What the victim held is done by the others within 15 seconds.
    let mut takeover = Duration::ZERO;
    if !held.is_empty() {
        eventually(Duration::from_secs(30), "the victim's effects to be taken over", async || {
            let mut q = switchboard::store::Sql::new(
                switchboard::store::Backend::Postgres,
                "SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND id IN (",
            );
            let mut sep = q.separated(", ");
            for id in &held {
                sep.push_bind(*id);
            }
            q.push(")");
            let left: i64 = q.build_query_scalar().fetch_one(client.pool()).await.unwrap_or(-1);
            left == 0
        })
        .await;
        takeover = killed_at.elapsed();
        assert!(takeover < Duration::from_secs(15), "takeover took {takeover:?}");
    }

    assert_durable_runs_completed_once(&client, &receiver, RUNS).await;
    for child in &mut others {
        child.kill().expect("stop");
        child.wait().expect("reaped");
    }

    // A key came twice only if the process that sent it first was killed before it could
    // record the outcome.
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (_, key) in receiver.requests() {
        *seen.entry(key).or_default() += 1;
    }
    let twice: Vec<&String> = seen.iter().filter(|(_, n)| **n > 1).map(|(k, _)| k).collect();
    for key in &twice {
        assert!(held_keys.contains(*key), "{key} was delivered twice though its sender was alive");
    }
    assert!(owners.len() >= 2, "the processes shared the outbox: {owners:?}");
    eprintln!(
        "multi-process test: {RUNS} runs on 3 processes ({} seen leasing), {completed_at_kill} complete at the kill, \
         {} effects held by the victim, taken over in {takeover:?}, {} redelivered with their key",
        owners.len(),
        held.len(),
        twice.len()
    );
}
