//! `timers`: the due times runs wait for (one per waiting run). The unit of work sets and
//! clears them (`cache/`); this file claims the due ones. Firing them is the runtime's
//! (`engine/runtime/src/timers.rs`).

use crate::{Backend, Conn, Error, Pool};

/// A due timer.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct DueTimer {
    pub run_id: i64,
    /// The wait the timer belongs to (a run that moved on has another).
    pub token: i64,
    pub due_at: i64,
}

/// Up to `limit` timers due at `now`, earliest first. On PostgreSQL each is claimed with
/// `FOR UPDATE SKIP LOCKED`, so a timer fires in exactly one process.
pub async fn claim_due(c: &mut Conn, backend: Backend, now: i64, limit: i64) -> Result<Vec<DueTimer>, Error> {
    let sql = format!(
        "SELECT run_id, token, due_at FROM timers WHERE due_at <= $1 ORDER BY due_at LIMIT $2{}",
        backend.skip_locked()
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(now).bind(limit).fetch_all(&mut *c).await?)
}

/// When the next timer is due, if any.
pub async fn next_due(pool: &Pool) -> Result<Option<i64>, Error> {
    Ok(sqlx::query_scalar("SELECT MIN(due_at) FROM timers").fetch_one(pool).await?)
}
