//! Prometheus metrics: step latency, timer lateness, effect deliveries and retries, the loop
//! guard's refusals, and, read from the store when scraped, runs by status, the depth of the
//! work waiting to be done and the dead letters (count, oldest age).

use super::{Engine, Error, LoopState};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

/// Labels of a family: `[(name, value)]`.
type Labels = Vec<(String, String)>;

/// The engine's instruments.
#[derive(Debug)]
pub(super) struct Metrics {
    registry: Registry,
    pub step_seconds: Histogram,
    pub timer_lateness_seconds: Histogram,
    pub transitions: Counter,
    pub effect_retries: Counter,
    pub deliveries: Family<Vec<(String, String)>, Counter>,
    pub leases_taken_over: Counter,
    pub leases_lost: Counter,
    pub contention_retries: Counter,
    /// Starts the loop guard refused, by reason (`self_trigger`, `chain_length_limit`).
    pub loop_guard: Family<Vec<(String, String)>, Counter>,
    dead_letters: Gauge,
    dead_letter_oldest_age_seconds: Gauge<f64, std::sync::atomic::AtomicU64>,
    runs: Family<Vec<(String, String)>, Gauge>,
    ready: Family<Vec<(String, String)>, Gauge>,
    /// Restarts of a background loop after a panic or an error, by loop.
    pub loop_restarts: Family<Labels, Counter>,
    loop_up: Family<Labels, Gauge>,
    loop_busy_seconds: Family<Labels, Gauge<f64, AtomicU64>>,
    oldest_seconds: Family<Labels, Gauge<f64, AtomicU64>>,
    process_ready: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        // 10 µs to about 2.6 s.
        let step_seconds = Histogram::new(exponential_buckets(0.00001, 4.0, 10));
        // 1 ms to about 4 minutes.
        let timer_lateness_seconds = Histogram::new(exponential_buckets(0.001, 4.0, 10));
        let transitions = Counter::default();
        let effect_retries = Counter::default();
        let deliveries = Family::<Vec<(String, String)>, Counter>::default();
        let leases_taken_over = Counter::default();
        let leases_lost = Counter::default();
        let contention_retries = Counter::default();
        registry.register(
            "switchboard_leases_taken_over",
            "Outbox leases freed because their process stopped renewing them",
            leases_taken_over.clone(),
        );
        registry.register(
            "switchboard_leases_lost",
            "Outcomes dropped because their lease had passed to another process (fencing)",
            leases_lost.clone(),
        );
        registry.register(
            "switchboard_contention_retries",
            "Transactions tried again after losing a race with another process",
            contention_retries.clone(),
        );
        let loop_guard = Family::<Vec<(String, String)>, Counter>::default();
        registry.register(
            "switchboard_loop_guard",
            "Workflow starts the loop guard refused, by reason: a workflow its own actions triggered \
             (self_trigger) or a chain of workflows starting each other grown too long (chain_length_limit)",
            loop_guard.clone(),
        );
        let dead_letters = Gauge::default();
        let dead_letter_oldest_age_seconds = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
        registry.register(
            "switchboard_dead_letters",
            "Events that could not be processed, kept with their reason (GET /api/dead-letters)",
            dead_letters.clone(),
        );
        registry.register(
            "switchboard_dead_letter_oldest_age_seconds",
            "How long ago the oldest dead letter failed (0 when there is none)",
            dead_letter_oldest_age_seconds.clone(),
        );
        let runs = Family::<Vec<(String, String)>, Gauge>::default();
        let ready = Family::<Vec<(String, String)>, Gauge>::default();
        registry.register(
            "switchboard_step_seconds",
            "Time to run one step transition, effects applied",
            step_seconds.clone(),
        );
        registry.register(
            "switchboard_timer_lateness_seconds",
            "How late timers fire after their due time",
            timer_lateness_seconds.clone(),
        );
        registry.register("switchboard_step_transitions", "Step transitions made", transitions.clone());
        registry.register(
            "switchboard_effect_retries",
            "Outbound deliveries put back for a retry",
            effect_retries.clone(),
        );
        registry.register(
            "switchboard_effect_deliveries",
            "Outbound effects performed, by kind and result",
            deliveries.clone(),
        );
        registry.register("switchboard_runs", "Runs by status", runs.clone());
        registry.register(
            "switchboard_ready",
            "Work waiting to be done: queued events, due timers, due outbox rows",
            ready.clone(),
        );
        let loop_restarts = Family::<Labels, Counter>::default();
        let loop_up = Family::<Labels, Gauge>::default();
        let loop_busy_seconds = Family::<Labels, Gauge<f64, AtomicU64>>::default();
        let oldest_seconds = Family::<Labels, Gauge<f64, AtomicU64>>::default();
        let process_ready = Gauge::default();
        registry.register(
            "switchboard_loop_restarts",
            "Background loops started again after a panic or an error, by loop",
            loop_restarts.clone(),
        );
        registry.register(
            "switchboard_loop_up",
            "1 while a background loop runs (working or waiting for work), 0 while it restarts or is stopped",
            loop_up.clone(),
        );
        registry.register(
            "switchboard_loop_busy_seconds",
            "How long a background loop has been working on its current iteration (0 while it waits for work)",
            loop_busy_seconds.clone(),
        );
        registry.register(
            "switchboard_oldest_seconds",
            "Age of the oldest waiting work: queued event, due outbox row, overdue timer",
            oldest_seconds.clone(),
        );
        registry.register("switchboard_process_ready", "1 when /readyz answers 200, else 0", process_ready.clone());
        Metrics {
            registry,
            step_seconds,
            timer_lateness_seconds,
            transitions,
            effect_retries,
            deliveries,
            leases_taken_over,
            leases_lost,
            contention_retries,
            loop_guard,
            dead_letters,
            dead_letter_oldest_age_seconds,
            runs,
            ready,
            loop_restarts,
            loop_up,
            loop_busy_seconds,
            oldest_seconds,
            process_ready,
        }
    }
}

impl Engine {
    /// The metrics in Prometheus' text format.
    pub async fn metrics(&self) -> Result<String, Error> {
        let m = &self.inner.metrics;
        let by_status = store::runs::count_by_status(&self.inner.pool).await?;
        for status in store::runs::RunStatus::ALL {
            let n = by_status.iter().find(|r| r.status == status).map(|r| r.count).unwrap_or(0);
            m.runs.get_or_create(&vec![("status".to_owned(), status.as_str().to_owned())]).set(n);
        }
        let now = self.now_ms();
        let ready = store::backlog::ready(&self.inner.pool, now).await?;
        for (what, n) in [("events", ready.events), ("timers", ready.timers), ("outbox", ready.outbox)] {
            m.ready.get_or_create(&vec![("queue".to_owned(), what.to_owned())]).set(n);
        }
        let (dead, oldest) = self.dead_letter_stats().await?;
        m.dead_letters.set(dead);
        m.dead_letter_oldest_age_seconds.set(oldest.map_or(0.0, |at| (now - at).max(0) as f64 / 1000.0));
        let readiness = self.readiness().await?;
        for l in &readiness.loops {
            let labels = vec![("loop".to_owned(), l.health.name.as_str().to_owned())];
            let up = matches!(l.health.state, LoopState::Busy | LoopState::Idle);
            m.loop_up.get_or_create(&labels).set(i64::from(up));
            let busy = if l.health.state == LoopState::Busy { l.for_seconds } else { 0.0 };
            m.loop_busy_seconds.get_or_create(&labels).set(busy);
            // Every loop is listed, restarted or not.
            let _ = m.loop_restarts.get_or_create(&labels);
        }
        let b = &readiness.backlog;
        for (what, age) in [
            ("events", b.oldest_queued_event_seconds),
            ("outbox", b.oldest_due_outbox_seconds),
            ("timers", b.most_overdue_timer_seconds),
        ] {
            m.oldest_seconds.get_or_create(&vec![("queue".to_owned(), what.to_owned())]).set(age);
        }
        m.process_ready.set(i64::from(readiness.ready));
        let mut out = String::new();
        encode(&mut out, &m.registry).map_err(|e| Error::Refused(format!("metrics: {e}")))?;
        Ok(out)
    }
}
