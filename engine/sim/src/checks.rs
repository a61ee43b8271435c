//! The promises, checked against the store and against what the world saw. Read-only SQL
//! over the engine's pool (the simulator is a test tool; the engine's own SQL stays in the
//! store crate).
//!
//! As it runs: assignment caps hold; nothing goes to a contact after their opt-out (the
//! world checks that, and that each effect keeps one key). At the end, after the drain:
//! the queue is empty and each dead letter says why; each contact's accepted messages were
//! each handled once, in the order accepted; every effect the outbox recorded as done was
//! performed, and nothing is left pending; no journal entry is repeated; each run only ever
//! visited steps of its own version; every waiting run has something that will wake it;
//! no timer fired early, nor after a moment when the engine fired due timers and skipped it.

use crate::driver::Model;
use crate::world::World;
use runtime::Engine;
use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};

async fn rows<T>(engine: &Engine, sql: &'static str) -> Vec<T>
where
    T: Send + Unpin + for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
{
    sqlx::query_as::<_, T>(sql).fetch_all(engine.pool()).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Contacts who opted out (as committed).
pub async fn opted_out(engine: &Engine) -> BTreeSet<i64> {
    rows::<(i64,)>(engine, "SELECT id FROM contacts WHERE opted_out = 1").await.into_iter().map(|r| r.0).collect()
}

/// Failed runs (an operator may retry them).
pub async fn failed_runs(engine: &Engine) -> Vec<i64> {
    rows::<(i64,)>(engine, "SELECT id FROM runs WHERE status = 'failed' ORDER BY id")
        .await
        .into_iter()
        .map(|r| r.0)
        .collect()
}

pub async fn count_runs(engine: &Engine) -> usize {
    rows::<(i64,)>(engine, "SELECT count(*) FROM runs").await.first().map_or(0, |r| r.0 as usize)
}

/// No agent has more open conversations than their cap.
pub async fn caps(engine: &Engine) -> Vec<String> {
    let sql = "SELECT a.id, a.max_open, (SELECT count(*) FROM conversations c WHERE c.assignee_id = a.id AND c.status = 'open') \
               FROM agents a WHERE a.max_open IS NOT NULL";
    rows::<(String, i64, i64)>(engine, sql)
        .await
        .into_iter()
        .filter(|(_, cap, open)| open > cap)
        .map(|(agent, cap, open)| format!("agent {agent} has {open} open conversations, over their cap of {cap}"))
        .collect()
}

/// Every check that needs the engine to have finished.
pub async fn at_the_end(engine: &Engine, model: &Model, world: &World) -> Vec<String> {
    let mut found = Vec::new();
    found.extend(queue_drained(engine).await);
    found.extend(messages_once_in_order(engine, model).await);
    found.extend(effects_performed(engine, world).await);
    found.extend(journal_not_repeated(engine).await);
    found.extend(runs_on_their_version(engine).await);
    found.extend(waiting_runs_can_wake(engine).await);
    found.extend(timers_on_time(engine, &model.ticks).await);
    found
}

async fn queue_drained(engine: &Engine) -> Vec<String> {
    let mut found = Vec::new();
    let depth = engine.queue_depth().await.unwrap_or(-1);
    if depth != 0 {
        found.push(format!("{depth} accepted events were never processed"));
    }
    for (id, error) in rows::<(i64, String)>(engine, "SELECT id, error FROM event_failures").await {
        if error.trim().is_empty() {
            found.push(format!("dead letter {id} gives no reason"));
        }
    }
    found
}

/// Each accepted message is in the contact's history once, in the order it was accepted
/// (or was dead-lettered, with its reason).
async fn messages_once_in_order(engine: &Engine, model: &Model) -> Vec<String> {
    let dead: BTreeSet<String> = rows::<(Option<String>,)>(engine, "SELECT event_id FROM event_failures")
        .await
        .into_iter()
        .filter_map(|r| r.0)
        .collect();
    let sql = "SELECT a.address, coalesce(m.text, '') FROM messages m \
               JOIN contact_addresses a ON a.contact_id = m.contact_id AND a.channel = 'webhook' \
               WHERE m.direction = 'in' ORDER BY m.id";
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (address, text) in rows::<(String, String)>(engine, sql).await {
        seen.entry(address).or_default().push(text);
    }
    let mut found = Vec::new();
    for (contact, accepted) in &model.accepted {
        let expected: Vec<String> =
            accepted.iter().filter(|(id, _)| !dead.contains(id)).map(|(_, t)| t.clone()).collect();
        let address = format!("c{contact}");
        let got = seen.remove(&address).unwrap_or_default();
        if got != expected {
            found.push(format!(
                "contact {address}: accepted messages {expected:?}, but the history holds {got:?} (each must be handled once, in order)"
            ));
        }
    }
    for (address, got) in seen {
        found.push(format!("contact {address} has messages nobody sent: {got:?}"));
    }
    found
}

/// Every effect the outbox marked done reached the world; nothing is left pending.
async fn effects_performed(engine: &Engine, world: &World) -> Vec<String> {
    let performed = world.keys();
    let mut found = Vec::new();
    let outbox = rows::<(i64, String, String, String)>(
        engine,
        "SELECT id, kind, idempotency_key, status FROM outbox ORDER BY id",
    )
    .await;
    // The keys the engine wrote down: in the outbox, in the histories, and the keys an
    // operator's retry took over from an earlier attempt (whose outbox row it replaced).
    let mut journaled: BTreeSet<String> = outbox.iter().map(|r| r.2.clone()).collect();
    let histories = rows::<(Option<String>,)>(engine, "SELECT idempotency_key FROM messages").await;
    journaled.extend(histories.into_iter().filter_map(|r| r.0));
    for (data,) in rows::<(String,)>(engine, "SELECT data FROM run_journal WHERE kind = 'retry'").await {
        let data: serde_json::Value = serde_json::from_str(&data).unwrap_or_default();
        let reused = data["reused_keys"].as_array().cloned().unwrap_or_default();
        journaled.extend(reused.iter().filter_map(|k| k.as_str().map(str::to_owned)));
    }
    for key in performed.iter().filter(|k| !journaled.contains(k.as_str())) {
        found.push(format!("an effect was performed under key {key}, which the engine never journaled"));
    }
    for (id, kind, key, status) in outbox.iter().cloned() {
        match status.as_str() {
            "pending" => found.push(format!("outbox row {id} ({kind} {key}) is still pending after the drain")),
            // A failed HTTP call is done too (its failure is the run's outcome); a message is
            // done only once the channel took it.
            "done" if kind == "message" && !performed.contains(&key) => {
                found.push(format!("outbox row {id} ({kind} {key}) is marked done but was never performed"))
            }
            _ => {}
        }
    }
    let sql = "SELECT m.id, m.idempotency_key FROM messages m WHERE m.direction = 'out' AND m.status = 'pending' \
               AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.idempotency_key = m.idempotency_key AND o.status = 'pending')";
    for (id, key) in rows::<(i64, Option<String>)>(engine, sql).await {
        found.push(format!("message {id} ({key:?}) says pending, but nothing will send it"));
    }
    found
}

/// No journal entry is written twice (the same step, visit and decision of a run).
async fn journal_not_repeated(engine: &Engine) -> Vec<String> {
    let sql = "SELECT run_id, coalesce(step, ''), coalesce(visit, -1), kind, count(*) FROM run_journal \
               GROUP BY run_id, step, visit, kind, data HAVING count(*) > 1";
    rows::<(i64, String, i64, String, i64)>(engine, sql)
        .await
        .into_iter()
        .map(|(run, step, visit, kind, n)| {
            format!("run {run}: the same {kind} of step {step} (visit {visit}) is journaled {n} times")
        })
        .collect()
}

/// Each run only ever visited steps of the version it started on.
async fn runs_on_their_version(engine: &Engine) -> Vec<String> {
    let mut steps_of: BTreeMap<(String, i64), BTreeSet<String>> = BTreeMap::new();
    for (workflow, version, source) in
        rows::<(String, i64, String)>(engine, "SELECT workflow_id, version, source FROM workflow_versions").await
    {
        let compiled = steps::compile::compile(&source);
        let ids = compiled.workflow.map(|w| w.steps.keys().cloned().collect()).unwrap_or_default();
        steps_of.insert((workflow, version), ids);
    }
    let sql =
        "SELECT DISTINCT r.id, r.workflow_id, r.version, j.step FROM run_journal j JOIN runs r ON r.id = j.run_id \
               WHERE j.step IS NOT NULL ORDER BY r.id";
    let mut found = Vec::new();
    for (run, workflow, version, step) in rows::<(i64, String, i64, String)>(engine, sql).await {
        let known = steps_of.get(&(workflow.clone(), version));
        if !known.is_some_and(|s| s.contains(&step)) {
            found.push(format!(
                "run {run} of {workflow} v{version} journaled step {step}, which that version does not have"
            ));
        }
    }
    found
}

/// A waiting run waits on something that can wake it: a timer, an effect in the outbox, a
/// reply, an agent; and no run is left mid-step.
async fn waiting_runs_can_wake(engine: &Engine) -> Vec<String> {
    let sql = "SELECT r.id, r.status, coalesce(r.wait_kind, ''), \
               (SELECT count(*) FROM timers t WHERE t.run_id = r.id), \
               (SELECT count(*) FROM outbox o WHERE o.run_id = r.id AND o.status = 'pending' AND o.awaited = 1) \
               FROM runs r WHERE r.status IN ('running', 'waiting')";
    let mut found = Vec::new();
    for (run, status, wait, timers, effects) in rows::<(i64, String, String, i64, i64)>(engine, sql).await {
        let wakes = match (status.as_str(), wait.as_str()) {
            ("waiting", "timer") => timers > 0,
            ("waiting", "effect") => effects > 0,
            ("waiting", "reply" | "agent") => true,
            _ => false,
        };
        if !wakes {
            found.push(format!(
                "run {run} is {status} (on {wait:?}) with nothing that can wake it ({timers} timers, {effects} effects awaited)"
            ));
        }
    }
    found
}

/// No timer fired before it was due, nor after a moment (a tick) when the engine fired due
/// timers and left it.
async fn timers_on_time(engine: &Engine, ticks: &[i64]) -> Vec<String> {
    let sql = "SELECT run_id, at, data FROM run_journal WHERE kind = 'transition' ORDER BY run_id, seq";
    let mut found = Vec::new();
    let mut due: Option<(i64, i64)> = None;
    for (run, at, data) in rows::<(i64, i64, String)>(engine, sql).await {
        let data: serde_json::Value = serde_json::from_str(&data).unwrap_or_default();
        if let Some((of, due_at)) = due.take() {
            if of == run && data["input"]["input"] == "timer_fired" {
                if at < due_at {
                    found.push(format!("run {run}: a timer due at {due_at} fired early, at {at}"));
                } else if let Some(tick) = ticks.iter().find(|t| **t >= due_at && **t < at) {
                    found.push(format!(
                        "run {run}: a timer due at {due_at} was left when the engine fired due timers at {tick}; it fired at {at} ({} ms late)",
                        at - due_at
                    ));
                }
            }
        }
        let wait_at = data["next"]["wait"]["at"].as_str().or(data["next"]["wait"]["timeout_at"].as_str());
        if let Some(when) = wait_at.and_then(|w| chrono::DateTime::parse_from_rfc3339(w).ok()) {
            due = Some((run, when.timestamp_millis()));
        }
    }
    found
}

/// A fingerprint of what was observable: the world's log in order, and the final histories
/// and runs.
/// With `verbose`, prints them.
pub async fn fingerprint(engine: &Engine, world: &World, verbose: bool) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let trace = world.trace();
    trace.hash(&mut h);
    let messages = "SELECT contact_id, direction, coalesce(text, ''), status FROM messages ORDER BY id";
    let messages = rows::<(i64, String, String, String)>(engine, messages).await;
    messages.hash(&mut h);
    let runs = "SELECT workflow_id, version, status, coalesce(step, '') FROM runs ORDER BY id";
    let runs = rows::<(String, i64, String, String)>(engine, runs).await;
    runs.hash(&mut h);
    if verbose {
        for line in &trace {
            eprintln!("world: {line}");
        }
        for m in &messages {
            eprintln!("message: {m:?}");
        }
        for r in &runs {
            eprintln!("run: {r:?}");
        }
    }
    h.finish()
}
