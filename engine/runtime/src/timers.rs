//! Timers: firing the due ones (each resumes its run, in one transaction per batch), when
//! the next is due, and how a loop sleeps until then or until woken.

use crate::{batch, Engine, Error, PEER_POLL};
use std::time::Duration;
use store::Backend;
use tokio::sync::Notify;

impl Engine {
    /// Fires every timer that is due now (up to `limit`) in one transaction. Returns how many
    /// runs it resumed.
    pub async fn fire_due_timers(&self, limit: i64) -> Result<usize, Error> {
        self.retry_contention(|| self.fire_due_timers_once(limit)).await
    }

    /// One pass of [`Engine::fire_due_timers`]. On PostgreSQL each due timer is claimed with
    /// `FOR UPDATE SKIP LOCKED` and deleted in the transaction that fires it, so a timer fires
    /// in exactly one process; one that died mid-way releases its claims when its
    /// transaction is rolled back.
    pub(crate) async fn fire_due_timers_once(&self, limit: i64) -> Result<usize, Error> {
        let mut tx = self.begin().await?;
        let mut batch = batch::Batch::new(self.batch_env(), tx.conn());
        let cutoff = match self.inner.sabotage {
            Some(crate::transport::Sabotage::LateTimers) => batch.now_ms - 60_000,
            _ => batch.now_ms,
        };
        let due = store::timers::claim_due(batch.conn, self.inner.backend, cutoff, limit).await?;
        for store::timers::DueTimer { run_id, token, due_at } in &due {
            self.inner.metrics.timer_lateness_seconds.observe((batch.now_ms - due_at).max(0) as f64 / 1000.0);
            batch.work.push_back(batch::Work::Resume {
                run_id: *run_id,
                input: steps::machine::Input::TimerFired,
                expect: batch::Expect::Timer { token: *token },
            });
            // A stale timer (the run moved on) is simply dropped.
            batch.cache.clear_timer(*run_id);
        }
        let concluded = batch.conclude().await?;
        Ok(self.commit_concluded(tx, concluded).await?.resumed.len())
    }

    /// When the next timer is due, if any.
    pub async fn next_timer_due(&self) -> Result<Option<chrono::DateTime<chrono::Utc>>, Error> {
        let due = store::timers::next_due(&self.inner.pool).await?;
        Ok(due.map(crate::clock::from_millis))
    }

    /// Sleeps until `due` (at most a minute, so a clock change or a missed wake-up costs
    /// little) or until `wake` is notified, whichever comes first.
    pub(crate) async fn sleep_until(&self, due: Option<chrono::DateTime<chrono::Utc>>, wake: &Notify) {
        let limit = match self.inner.backend {
            Backend::Sqlite => Duration::from_secs(60),
            // Another process may have set an earlier timer; notifications say so, polling
            // covers a missed one.
            Backend::Postgres => PEER_POLL,
        };
        let wait =
            due.map(|d| (d - self.inner.clock.now()).to_std().unwrap_or(Duration::ZERO).min(limit)).unwrap_or(limit);
        if wait > Duration::ZERO {
            let _ = tokio::time::timeout(wait, wake.notified()).await;
        }
    }
}
