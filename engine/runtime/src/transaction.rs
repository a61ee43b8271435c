//! The one write transaction and what follows its commit: the writer lock, the crash test
//! hook (every commit and outbound call is a durable step), retries after losing a race with
//! another process, and, once committed, waking the loops and announcing the changes.

use crate::batch::OutboxLanes;
use crate::transport::{DurableStep, FaultAction};
use crate::{batch, Engine, Error, Handled, LiveEvent, Wake};
use store::Conn;

/// Attempts at a transaction that keeps losing races before its error is returned.
const CONTENTION_ATTEMPTS: usize = 8;

/// A write transaction holding the writer lock.
pub(crate) struct WriteTx<'e> {
    pub(crate) _guard: tokio::sync::MutexGuard<'e, ()>,
    pub(crate) tx: store::Tx,
}

impl WriteTx<'_> {
    pub(crate) fn conn(&mut self) -> &mut Conn {
        &mut self.tx
    }

    pub(crate) async fn commit(self) -> Result<(), Error> {
        Ok(store::commit(self.tx).await?)
    }
}

impl Engine {
    /// Starts the one write transaction; nothing else writes until it commits or drops.
    /// `BEGIN IMMEDIATE` takes SQLite's write lock at once, so a transaction never has to
    /// upgrade from reading to writing (which fails if another process wrote meanwhile).
    pub(crate) async fn begin(&self) -> Result<WriteTx<'_>, Error> {
        self.check_alive()?;
        let guard = self.inner.write.lock().await;
        let tx = store::begin(&self.inner.pool, self.inner.backend).await?;
        Ok(WriteTx { _guard: guard, tx })
    }

    /// A transaction for a small write of bookkeeping made for a request (an idempotency key,
    /// a token's last use), behind the writer lock: it waits its turn with the engine's writes
    /// instead of contending for SQLite's lock from another connection, whose busy handler a
    /// steady writer starves (9 s seen in the soak) while it holds a pooled connection. Its
    /// `WriteTx::commit` is not a durable step of the crash hooks.
    pub(crate) async fn bookkeeping(&self) -> Result<WriteTx<'_>, Error> {
        self.begin().await
    }

    /// Commits, unless the crash or fault test hook says otherwise.
    pub(crate) async fn commit(&self, tx: WriteTx<'_>) -> Result<(), Error> {
        self.durable_step(DurableStep::Commit)?;
        tx.commit().await
    }

    /// Counts a durable step against the crash test hook and asks the fault hook about it.
    pub(crate) fn durable_step(&self, step: DurableStep) -> Result<(), Error> {
        use std::sync::atomic::Ordering::SeqCst;
        self.check_alive()?;
        if let Some(left) = &self.inner.failpoint {
            if left.fetch_sub(1, SeqCst) <= 0 {
                self.inner.dead.store(true, SeqCst);
                return Err(Error::Crashed);
            }
        }
        match self.inner.faults.as_ref().map(|f| f.at(step)) {
            Some(FaultAction::Crash) => {
                self.inner.dead.store(true, SeqCst);
                Err(Error::Crashed)
            }
            Some(FaultAction::Fail) => Err(Error::Injected(match step {
                DurableStep::Commit => "commit",
                DurableStep::Call => "call",
            })),
            Some(FaultAction::Proceed) | None => Ok(()),
        }
    }

    /// Fails once the crash or fault hook has declared this process dead.
    pub(crate) fn check_alive(&self) -> Result<(), Error> {
        match self.inner.dead.load(std::sync::atomic::Ordering::SeqCst) {
            true => Err(Error::Crashed),
            false => Ok(()),
        }
    }

    /// Runs a transaction again while it loses races with another process (PostgreSQL only;
    /// SQLite's single writer never races).
    pub(crate) async fn retry_contention<T, F, Fut>(&self, mut attempt: F) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, Error>>,
    {
        let mut tries = 0;
        loop {
            match attempt().await {
                Err(e) if e.is_contention() && tries < CONTENTION_ATTEMPTS => {
                    tries += 1;
                    self.inner.metrics.contention_retries.inc();
                    tracing::debug!(error = %e, tries, "lost a race with another process; trying again");
                }
                other => return other,
            }
        }
    }

    /// Commits a concluded batch, then wakes the loops it queued work for and announces its
    /// changes.
    pub(crate) async fn commit_concluded(
        &self,
        tx: WriteTx<'_>,
        concluded: batch::Concluded,
    ) -> Result<Handled, Error> {
        self.commit(tx).await?;
        self.after_commit(concluded.wake_outbox, concluded.wake_timers);
        self.announce(concluded.changes);
        Ok(concluded.handled)
    }

    pub(crate) fn after_commit(&self, wake_outbox: OutboxLanes, wake_timers: bool) {
        self.wake_outbox(wake_outbox);
        if wake_timers {
            self.wake_timer_loops();
        }
        if wake_outbox.any() {
            self.notify_peers(Wake::Outbox);
        }
        if wake_timers {
            self.notify_peers(Wake::Timers);
        }
    }

    /// Wakes the timers loop and the schedules loop: a new or moved timer, a published
    /// schedule. Each keeps the wake-up until it next waits, so none is lost.
    pub(crate) fn wake_timer_loops(&self) {
        self.inner.timer_wake.notify_one();
        self.inner.schedule_wake.notify_one();
    }

    /// Announces committed changes (nobody listening is fine).
    pub(crate) fn announce(&self, changes: Vec<LiveEvent>) {
        for change in changes {
            let _ = self.inner.live.send(change);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::{Engine, Options};
    use std::sync::Arc;
    use std::time::Duration;

    /// A new timer (or a published schedule) must wake both the timers loop and the
    /// schedules loop. With one shared `Notify`, `notify_one` reached only one of them and a
    /// 3 s timeout fired after the other's minute-long poll (issue 16).
    #[tokio::test]
    async fn a_timer_wake_up_reaches_the_timers_and_the_schedules_loop() {
        let clock = crate::clock::ManualClock::at(chrono::Utc::now());
        let engine = Engine::open(Options::default(), Arc::new(clock)).await.unwrap();
        // Both loops are waiting, as they are between due times.
        let timers = engine.inner.timer_wake.notified();
        let schedules = engine.inner.schedule_wake.notified();
        tokio::pin!(timers, schedules);
        timers.as_mut().enable();
        schedules.as_mut().enable();
        engine.after_commit(crate::batch::OutboxLanes::NONE, true);
        let both = async {
            timers.await;
            schedules.await;
        };
        // Bounded, not a synchronisation sleep: both wake-ups are already stored.
        tokio::time::timeout(Duration::from_secs(5), both).await.expect("both loops were woken");
    }
}
