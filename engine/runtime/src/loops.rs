//! The background loops ([`Engine::run_background`]): event queue, outbox pool, timers,
//! schedules, leases (and, on PostgreSQL, reloading what other processes changed), the
//! pruning of history past its retention and the PostgreSQL listener, each a supervised task (`supervise.rs`).

use crate::{outbox, Engine, Loop};
use std::time::Duration;
use store::Backend;

/// Events taken per transaction by the background loop (and the benchmark) on SQLite.
pub const QUEUE_BATCH: i64 = 1000;
/// Events taken per transaction on PostgreSQL. A commit there costs a round trip and the
/// process's other writers (timers, outbox outcomes) wait for the batch's transaction, so
/// batches are kept short enough that a wave of new events never holds a due timer back by
/// a second (the chaos test measures it); several processes share the queue anyway.
pub const QUEUE_BATCH_POSTGRES: i64 = 200;
/// Outbox rows taken per pass.
pub const OUTBOX_BATCH: i64 = 1000;
/// Timers fired per transaction.
pub const TIMER_BATCH: i64 = 1000;
/// How long a background loop waits after an error before trying again.
pub(crate) const ERROR_BACKOFF: Duration = Duration::from_secs(1);

impl Engine {
    /// Runs the engine's background work until `shutdown` resolves: the event queue, the
    /// outbox, the timer scheduler (sleeps until the next due timer or until a new one is
    /// set, fires them in batches), cron schedules, leases and, on PostgreSQL, the listener
    /// for other processes. Each loop is its own supervised task (`supervise.rs`): one that
    /// panics or fails is logged and started again with backoff while the others run on.
    pub async fn run_background(&self, shutdown: impl std::future::Future<Output = ()>) {
        // From now on this engine's outbox pool performs what its commits queue, so events it
        // accepts may be processed at once (`intake.rs`).
        self.inner.background.store(true, std::sync::atomic::Ordering::SeqCst);
        let timers = self.supervise(Loop::Timers, |pulse| {
            let engine = self.clone();
            async move {
                loop {
                    pulse.beat();
                    if let Err(e) = engine.fire_due_timers(TIMER_BATCH).await {
                        tracing::error!(error = %e, "firing timers failed");
                        pulse.idle(tokio::time::sleep(ERROR_BACKOFF)).await;
                        continue;
                    }
                    let next = engine.next_timer_due().await.ok().flatten();
                    pulse.idle(engine.sleep_until(next, &engine.inner.timer_wake)).await;
                }
            }
        });
        // The outbox pool claims, performs and records on its own (see `outbox_pool.rs`).
        let outbox = self.supervise(Loop::Outbox, |pulse| {
            let engine = self.clone();
            async move {
                engine.run_outbox_pool(engine.inner.pool_limits, pulse).await;
                Ok(())
            }
        });
        let queue = self.supervise(Loop::Queue, |pulse| {
            let engine = self.clone();
            async move {
                loop {
                    pulse.beat();
                    let batch = match engine.inner.backend {
                        Backend::Sqlite => QUEUE_BATCH,
                        Backend::Postgres => QUEUE_BATCH_POSTGRES,
                    };
                    match engine.process_queue(batch).await {
                        // A full batch: more may be waiting. A short one took every event
                        // that could be taken; a new one wakes the loop (a permit kept by
                        // `queue_wake` if it came meanwhile), so no empty transaction follows
                        // each batch.
                        Ok(n) if n as i64 >= batch => continue,
                        Ok(_) => {}
                        Err(e) => {
                            tracing::error!(error = %e, "processing events failed");
                            pulse.idle(tokio::time::sleep(ERROR_BACKOFF)).await;
                            continue;
                        }
                    }
                    // Another process (or a crashed one's leftovers) may have queued events
                    // without waking us, so idle polling is short.
                    let wake = engine.inner.queue_wake.notified();
                    let _ = pulse.idle(tokio::time::timeout(Duration::from_millis(100), wake)).await;
                }
            }
        });
        // Schedules walk many contacts; on their own task they never hold up timers.
        let schedules = self.supervise(Loop::Schedules, |pulse| {
            let engine = self.clone();
            async move {
                loop {
                    pulse.beat();
                    if let Err(e) = engine.fire_due_schedules().await {
                        tracing::error!(error = %e, "firing schedules failed");
                        pulse.idle(tokio::time::sleep(ERROR_BACKOFF)).await;
                        continue;
                    }
                    let next = engine.next_schedule_due().await.ok().flatten();
                    pulse.idle(engine.sleep_until(next, &engine.inner.schedule_wake)).await;
                }
            }
        });
        let leases = self.supervise(Loop::Leases, |pulse| {
            let engine = self.clone();
            async move {
                loop {
                    pulse.beat();
                    if let Err(e) = engine.renew_and_reap_leases().await {
                        tracing::error!(error = %e, "renewing leases failed");
                    }
                    // A missed notification costs at most this long: the live workflows are
                    // read again (a cheap query; nothing is compiled twice).
                    if engine.inner.backend == Backend::Postgres {
                        if let Err(e) = engine.inner.registry.refresh(&engine.inner.pool).await {
                            tracing::warn!(error = %e, "reloading the live workflows failed");
                        }
                        // Likewise the channel connections (a rotated secret, a removal).
                        if let Err(e) = engine.inner.connections.load(&engine.inner.pool).await {
                            tracing::warn!(error = %e, "reloading the channel connections failed");
                        }
                    }
                    pulse.idle(tokio::time::sleep(Duration::from_millis(outbox::LEASE_MS as u64 / 4))).await;
                }
            }
        });
        // History past its retention, pruned on its own task: a large backlog of it is
        // deleted a page per transaction, beating after each page (`retention.rs`).
        let retention = self.supervise(Loop::Retention, |pulse| {
            let engine = self.clone();
            async move {
                loop {
                    pulse.beat();
                    match engine.prune_history(|| pulse.beat()).await {
                        Ok(pruned) if pruned.total() > 0 => {
                            tracing::info!(?pruned, "history past its retention pruned")
                        }
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "pruning history failed"),
                    }
                    pulse.idle(tokio::time::sleep(engine.inner.retention.interval())).await;
                }
            }
        });
        let peers = self.supervise(Loop::Peers, |pulse| {
            let engine = self.clone();
            async move {
                // Waiting for notifications is the loop's idle state.
                if engine.inner.backend == Backend::Postgres {
                    pulse.idle(engine.listen_to_peers()).await;
                } else {
                    pulse.idle(std::future::pending::<()>()).await;
                }
                Ok(())
            }
        });
        tokio::select! {
            _ = leases => {}
            _ = peers => {}
            _ = retention => {}
            _ = timers => {}
            _ = schedules => {}
            _ = outbox => {}
            _ = queue => {}
            _ = shutdown => {}
        }
    }
}
