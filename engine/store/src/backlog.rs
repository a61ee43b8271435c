//! `event_queue`, `timers`, `outbox` counted together: how much work is ready now, for the
//! metrics (`engine/runtime/src/metrics.rs`).

use crate::{Error, Pool};

/// Work ready now: queued events, due timers, due outbox rows.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct Ready {
    pub events: i64,
    pub timers: i64,
    pub outbox: i64,
}

/// Work ready at `now`.
pub async fn ready(pool: &Pool, now: i64) -> Result<Ready, Error> {
    Ok(sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM event_queue) AS events,
                (SELECT COUNT(*) FROM timers WHERE due_at <= $1) AS timers,
                (SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND next_attempt_at <= $2) AS outbox",
    )
    .bind(now)
    .bind(now)
    .fetch_one(pool)
    .await?)
}
