//! Supervision of the background loops. Each loop (queue, outbox, timers, schedules, leases,
//! peers) runs as its own task; when one panics or returns, the panic or error is logged and
//! the loop is started again after a bounded exponential backoff while the others keep
//! running. Each loop keeps a liveness record (`LoopHealth`): whether it is working, waiting
//! for work, restarting or stopped, since when, how often it was restarted and why.
//!
//! A loop's body reports through its [`Pulse`]: `beat` when an iteration starts, `idle` around
//! the wait for more work. A loop that is busy (beat, not idle) for longer than the readiness
//! threshold is silent (stuck); one that waits for work is alive however long it waits.
//!
//! Backoff is measured on the engine's clock (in steps of at most [`RESTART_POLL`] of real
//! time), so tests with a manual clock decide when a dead loop comes back.
//!
//! Fault injection, for tests only: [`Engine::inject_panic`] makes a named loop panic once, at
//! its next beat (a waiting loop is woken for it); `switchboard run` and `serve` call it for
//! `SWITCHBOARD_CHAOS_PANIC`.

use super::{Engine, Error};
use crate::clock::{to_millis, Clock};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// The background loops, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Loop {
    /// Processes queued events.
    Queue,
    /// Performs messages and HTTP calls.
    Outbox,
    /// Fires due timers.
    Timers,
    /// Fires cron schedules.
    Schedules,
    /// Renews this process's leases, frees expired ones.
    Leases,
    /// PostgreSQL: listens for other processes' notifications.
    Peers,
    /// Deletes history past its retention (`retention.rs`).
    Retention,
}

impl Loop {
    /// Every loop, in the order they are reported.
    pub const ALL: [Loop; 7] =
        [Loop::Queue, Loop::Outbox, Loop::Timers, Loop::Schedules, Loop::Leases, Loop::Peers, Loop::Retention];

    pub fn as_str(self) -> &'static str {
        match self {
            Loop::Queue => "queue",
            Loop::Outbox => "outbox",
            Loop::Timers => "timers",
            Loop::Schedules => "schedules",
            Loop::Leases => "leases",
            Loop::Peers => "peers",
            Loop::Retention => "retention",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for Loop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Loop {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Loop::ALL.into_iter().find(|l| l.as_str() == s).ok_or_else(|| {
            let names: Vec<&str> = Loop::ALL.iter().map(|l| l.as_str()).collect();
            format!("`{s}` is not a background loop (one of {})", names.join(", "))
        })
    }
}

/// What a loop is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LoopState {
    /// The background loops were never started in this process.
    NotStarted,
    /// Working on an iteration (since `since`).
    Busy,
    /// Waiting for work (since `since`); alive however long it waits.
    Idle,
    /// It panicked or returned; it is started again at `restart_at`.
    Restarting,
    /// The background loops were stopped (shutdown).
    Stopped,
}

/// One loop's liveness record.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct LoopHealth {
    pub name: Loop,
    pub state: LoopState,
    /// When the loop last reported (began an iteration, started or stopped waiting), or
    /// entered its current state; RFC 3339.
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    /// How many times it was started again after a panic or an error.
    pub restarts: u64,
    /// When it panicked or returned last.
    pub last_failure_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The last panic's message or the last error (logged too). Not in `/readyz`, which
    /// anyone may read.
    #[serde(skip)]
    pub last_failure: Option<String>,
    /// When a restarting loop is started again.
    pub restart_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The first wait before a failed loop is started again; it doubles with each failure that
/// follows within [`RESTART_RESET`] of the loop's start, up to [`RESTART_MAX`].
pub const RESTART_MIN: Duration = Duration::from_millis(100);
/// The longest wait before a restart.
pub const RESTART_MAX: Duration = Duration::from_secs(30);
/// A loop that ran this long before failing starts again after [`RESTART_MIN`].
pub const RESTART_RESET: Duration = Duration::from_secs(60);
/// How often a waiting restart looks at the engine's clock.
const RESTART_POLL: Duration = Duration::from_millis(50);

/// The liveness records of every loop, and the fault-injection switches.
#[derive(Debug)]
pub(super) struct Loops {
    cells: [Arc<Cell>; 7],
}

impl Default for Loops {
    fn default() -> Self {
        Loops { cells: Loop::ALL.map(|name| Arc::new(Cell::new(name))) }
    }
}

#[derive(Debug)]
struct Cell {
    record: Mutex<LoopHealth>,
    /// Set by [`Engine::inject_panic`]; taken by the loop's next beat.
    chaos: AtomicBool,
    /// Wakes a waiting loop so it takes its injected panic at once.
    chaos_wake: Notify,
}

impl Cell {
    fn new(name: Loop) -> Cell {
        Cell {
            record: Mutex::new(LoopHealth {
                name,
                state: LoopState::NotStarted,
                since: None,
                restarts: 0,
                last_failure_at: None,
                last_failure: None,
                restart_at: None,
            }),
            chaos: AtomicBool::new(false),
            chaos_wake: Notify::new(),
        }
    }

    fn update(&self, f: impl FnOnce(&mut LoopHealth)) {
        f(&mut self.record.lock().unwrap_or_else(|e| e.into_inner()));
    }

    fn get(&self) -> LoopHealth {
        self.record.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Loops {
    fn cell(&self, which: Loop) -> &Arc<Cell> {
        &self.cells[which.index()]
    }

    /// Every loop's record, in [`Loop::ALL`] order.
    pub fn health(&self) -> Vec<LoopHealth> {
        self.cells.iter().map(|c| c.get()).collect()
    }
}

/// A loop body's line to its liveness record. Cheap to clone.
#[derive(Debug, Clone)]
pub(super) struct Pulse {
    cell: Arc<Cell>,
    clock: Arc<dyn Clock>,
}

impl Pulse {
    /// Says an iteration starts. Takes an injected panic here, inside the loop's own task.
    pub fn beat(&self) {
        if self.cell.chaos.swap(false, Ordering::SeqCst) {
            let name = self.cell.get().name;
            tracing::warn!(loop_name = %name, "fault injection: the loop panics now");
            // Test-only fault injection (SWITCHBOARD_CHAOS_PANIC, `Engine::inject_panic`).
            std::panic::panic_any(format!("injected panic in the {name} loop (fault injection)"));
        }
        let now = self.clock.now();
        self.cell.update(|r| {
            r.state = LoopState::Busy;
            r.since = Some(now);
        });
    }

    /// Waits for `wait` (more work, a wake-up, a timeout) as an idle loop: alive however long
    /// it takes. An injected panic wakes it and is taken at once.
    pub async fn idle<F: Future>(&self, wait: F) -> F::Output {
        let now = self.clock.now();
        self.cell.update(|r| {
            r.state = LoopState::Idle;
            r.since = Some(now);
        });
        tokio::pin!(wait);
        let out = loop {
            tokio::select! {
                out = &mut wait => break out,
                _ = self.cell.chaos_wake.notified() => {
                    if self.cell.chaos.load(Ordering::SeqCst) {
                        self.beat();
                    }
                }
            }
        };
        self.beat();
        out
    }
}

/// What happens when a supervisor is dropped (shutdown): the loop's task, if it runs, is
/// aborted, so no loop outlives `run_background`, and the loop is recorded as stopped.
struct StopOnDrop {
    task: Option<tokio::task::AbortHandle>,
    cell: Arc<Cell>,
    clock: Arc<dyn Clock>,
}

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
        let now = self.clock.now();
        self.cell.update(|r| {
            r.state = LoopState::Stopped;
            r.since = Some(now);
            r.restart_at = None;
        });
    }
}

impl Engine {
    /// Runs the loop `which` as its own task, started again with backoff whenever it panics
    /// or returns, until this future is dropped. `body` makes the loop's future; it gets the
    /// loop's [`Pulse`] to report with.
    pub(super) async fn supervise<F, Fut>(&self, which: Loop, body: F)
    where
        F: Fn(Pulse) -> Fut,
        Fut: Future<Output = Result<(), Error>> + Send + 'static,
    {
        let cell = self.inner.loops.cell(which).clone();
        let clock = self.inner.clock.clone();
        let mut delay = RESTART_MIN;
        let mut guard = StopOnDrop { task: None, cell: cell.clone(), clock: clock.clone() };
        loop {
            let pulse = Pulse { cell: cell.clone(), clock: clock.clone() };
            let now = clock.now();
            cell.update(|r| {
                r.state = LoopState::Busy;
                r.since = Some(now);
                r.restart_at = None;
            });
            let started = std::time::Instant::now();
            let task = tokio::spawn(body(pulse));
            guard.task = Some(task.abort_handle());
            let outcome = task.await;
            guard.task = None;
            let failure = match outcome {
                Ok(Ok(())) => "the loop returned".to_owned(),
                Ok(Err(e)) => format!("the loop failed: {e}"),
                Err(e) if e.is_panic() => format!("the loop panicked: {}", panic_message(e.into_panic())),
                Err(e) => format!("the loop was cancelled: {e}"),
            };
            if started.elapsed() >= RESTART_RESET {
                delay = RESTART_MIN;
            }
            let now = clock.now();
            let restart_at = now + chrono::Duration::from_std(delay).unwrap_or_default();
            tracing::error!(loop_name = %which, failure = %failure, restart_in_ms = delay.as_millis() as u64,
                "a background loop stopped; it is started again after a backoff, the others keep running");
            self.inner.metrics.loop_restarts.get_or_create(&vec![("loop".to_owned(), which.as_str().to_owned())]).inc();
            cell.update(|r| {
                r.state = LoopState::Restarting;
                r.since = Some(now);
                r.restarts += 1;
                r.last_failure_at = Some(now);
                r.last_failure = Some(failure);
                r.restart_at = Some(restart_at);
            });
            while let Ok(left) = (restart_at - clock.now()).to_std() {
                if left.is_zero() {
                    break;
                }
                tokio::time::sleep(left.min(RESTART_POLL)).await;
            }
            delay = (delay * 2).min(RESTART_MAX);
        }
    }

    /// Every background loop's liveness record, in [`Loop::ALL`] order.
    pub fn loop_health(&self) -> Vec<LoopHealth> {
        self.inner.loops.health()
    }

    /// Fault injection, for tests only: the loop `which` panics once, at its next iteration
    /// (a waiting loop is woken for it). Its supervisor logs the panic and starts it again.
    pub fn inject_panic(&self, which: Loop) {
        let cell = self.inner.loops.cell(which);
        cell.chaos.store(true, Ordering::SeqCst);
        cell.chaos_wake.notify_one();
    }
}

/// The environment variable that injects a panic into background loops, for tests only
/// (read by `switchboard run` and `serve`; see [`chaos_plan`]).
pub const CHAOS_ENV: &str = "SWITCHBOARD_CHAOS_PANIC";

/// Parses [`CHAOS_ENV`]: a comma-separated list of loop names, each optionally followed by
/// `@` and a delay in `ms` or `s` from the start (`queue`, `queue@5s,outbox@1500ms`). Each named
/// loop panics once, at its first iteration after the delay. Spaces around items are ignored;
/// an empty value injects nothing.
pub fn chaos_plan(text: &str) -> Result<Vec<(Loop, Duration)>, String> {
    let mut plan = Vec::new();
    for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (name, delay) = match item.split_once('@') {
            Some((name, delay)) => (name.trim(), Some(delay.trim())),
            None => (item, None),
        };
        let which: Loop = name.parse().map_err(|e| format!("{CHAOS_ENV}: {e}"))?;
        let delay = match delay {
            None => Duration::ZERO,
            Some(d) => {
                let (n, unit) = match d.strip_suffix("ms") {
                    Some(n) => (n, 1),
                    None => (d.strip_suffix('s').unwrap_or("x"), 1000),
                };
                let n: u64 = n
                    .trim()
                    .parse()
                    .map_err(|_| format!("{CHAOS_ENV}: `{d}` is not a delay like `500ms` or `5s` (in `{item}`)"))?;
                Duration::from_millis(n.saturating_mul(unit))
            }
        };
        plan.push((which, delay));
    }
    Ok(plan)
}

/// The text of a panic's payload (`panic!` gives a `&str` or a `String`).
fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => match payload.downcast::<&'static str>() {
            Ok(s) => (*s).to_owned(),
            Err(_) => "a panic without a message".to_owned(),
        },
    }
}

/// Milliseconds of `since` before `now` (never negative).
pub(super) fn age_ms(now: chrono::DateTime<chrono::Utc>, since: Option<chrono::DateTime<chrono::Utc>>) -> i64 {
    since.map(|s| (to_millis(now) - to_millis(s)).max(0)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chaos_plans_name_loops_and_delays() {
        let ms = Duration::from_millis;
        assert_eq!(chaos_plan("queue"), Ok(vec![(Loop::Queue, Duration::ZERO)]));
        assert_eq!(
            chaos_plan(" queue@5s , outbox@1500ms,timers"),
            Ok(vec![(Loop::Queue, ms(5000)), (Loop::Outbox, ms(1500)), (Loop::Timers, Duration::ZERO)])
        );
        assert_eq!(chaos_plan(""), Ok(vec![]));
        let bad = chaos_plan("queeu").expect_err("unknown loop");
        assert!(bad.contains("`queeu` is not a background loop") && bad.contains("queue, outbox"), "{bad}");
        let bad = chaos_plan("queue@soon").expect_err("bad delay");
        assert!(bad.contains("`soon` is not a delay"), "{bad}");
        assert!(chaos_plan("queue@5").is_err(), "a delay needs its unit");
    }
}
