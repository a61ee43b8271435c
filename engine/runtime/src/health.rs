//! Readiness: is this process doing its background work, on time? Each loop's liveness
//! (`supervise.rs`) and the age of the oldest work waiting in the store — the oldest queued
//! event, the oldest outbox row that is due and free to perform, the most overdue timer —
//! against thresholds ([`ReadyThresholds`]). `/readyz` answers 503 past any of them, and
//! `/metrics` exposes the same figures.

use super::supervise::{age_ms, LoopHealth, LoopState};
use super::{Engine, Error};
use std::time::Duration;

/// How much delay readiness tolerates before `/readyz` fails (503).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadyThresholds {
    /// A loop busy in one iteration (not waiting for work) for longer than this is silent.
    pub loop_silent: Duration,
    /// The oldest queued event, from its acceptance.
    pub queued_event: Duration,
    /// The oldest outbox row that is due and free to perform (not leased, not behind an
    /// earlier message to its contact), from when it became due.
    pub outbox_due: Duration,
    /// The most overdue timer, from its due time.
    pub timer_overdue: Duration,
}

impl Default for ReadyThresholds {
    fn default() -> Self {
        ReadyThresholds {
            loop_silent: Duration::from_secs(30),
            queued_event: Duration::from_secs(60),
            outbox_due: Duration::from_secs(60),
            timer_overdue: Duration::from_secs(60),
        }
    }
}

/// How old the oldest waiting work is, in seconds (0 when there is none).
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, schemars::JsonSchema)]
pub struct Backlog {
    /// The oldest event accepted and not processed yet.
    pub oldest_queued_event_seconds: f64,
    /// The oldest outbox row due and free to perform, since it became due.
    pub oldest_due_outbox_seconds: f64,
    /// The most overdue timer, since its due time.
    pub most_overdue_timer_seconds: f64,
}

/// One loop in a readiness report.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct LoopReport {
    #[serde(flatten)]
    pub health: LoopHealth,
    /// Seconds in its current state.
    pub for_seconds: f64,
}

/// The thresholds, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct ThresholdSeconds {
    pub loop_silent: f64,
    pub queued_event: f64,
    pub outbox_due: f64,
    pub timer_overdue: f64,
}

/// Is the process ready, and why not.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct Readiness {
    pub ready: bool,
    /// One sentence per threshold passed or loop down; empty when ready.
    pub problems: Vec<String>,
    /// Every background loop; `not_started` where this process runs none (they are not
    /// held against readiness).
    pub loops: Vec<LoopReport>,
    pub backlog: Backlog,
    pub thresholds: ThresholdSeconds,
}

impl Engine {
    /// The age of the oldest work waiting in the store (a query per kind, each on an index).
    pub async fn backlog(&self) -> Result<Backlog, Error> {
        let now = self.now_ms();
        let oldest_event = store::queue::oldest_received(&self.inner.pool).await?;
        let oldest_timer = store::timers::next_due(&self.inner.pool).await?;
        // Due, not in flight, and not held back behind an earlier message to the same contact
        // that is in flight or backing off (those wait by design; see `claim_outbox`).
        let oldest_outbox = store::outbox::oldest_claimable(&self.inner.pool, now).await?;
        let seconds = |since: Option<i64>| since.map(|t| (now - t).max(0) as f64 / 1000.0).unwrap_or(0.0);
        Ok(Backlog {
            oldest_queued_event_seconds: seconds(oldest_event),
            oldest_due_outbox_seconds: seconds(oldest_outbox),
            most_overdue_timer_seconds: seconds(oldest_timer),
        })
    }

    /// The readiness report: every loop's liveness and the backlog against the thresholds.
    pub async fn readiness(&self) -> Result<Readiness, Error> {
        let backlog = self.backlog().await?;
        let t = self.inner.ready;
        let now = self.inner.clock.now();
        let mut problems = Vec::new();
        let loops: Vec<LoopReport> = self
            .loop_health()
            .into_iter()
            .map(|health| LoopReport { for_seconds: age_ms(now, health.since) as f64 / 1000.0, health })
            .collect();
        for l in &loops {
            let name = l.health.name;
            match l.health.state {
                LoopState::Restarting => {
                    problems.push(format!("the {name} loop is down (restart {} after a failure)", l.health.restarts))
                }
                LoopState::Stopped => problems.push(format!("the {name} loop is stopped")),
                LoopState::Busy if l.for_seconds > t.loop_silent.as_secs_f64() => problems.push(format!(
                    "the {name} loop has been silent for {:.1} s (threshold {} s)",
                    l.for_seconds,
                    t.loop_silent.as_secs_f64()
                )),
                _ => {}
            }
        }
        for (age, limit, what) in [
            (backlog.oldest_queued_event_seconds, t.queued_event, "the oldest queued event"),
            (backlog.oldest_due_outbox_seconds, t.outbox_due, "the oldest due outbox row"),
            (backlog.most_overdue_timer_seconds, t.timer_overdue, "the most overdue timer"),
        ] {
            if age > limit.as_secs_f64() {
                problems.push(format!("{what} is {age:.1} s old (threshold {} s)", limit.as_secs_f64()));
            }
        }
        Ok(Readiness {
            ready: problems.is_empty(),
            problems,
            loops,
            backlog,
            thresholds: ThresholdSeconds {
                loop_silent: t.loop_silent.as_secs_f64(),
                queued_event: t.queued_event.as_secs_f64(),
                outbox_due: t.outbox_due.as_secs_f64(),
                timer_overdue: t.timer_overdue.as_secs_f64(),
            },
        })
    }
}
