//! `schedules`: a schedule-triggered workflow's next firing and, while a firing walks the
//! contacts, where it stands (`firing_at`, `cursor`). When a cron fires and whom it starts
//! are the runtime's (`engine/runtime/src/schedule.rs`).

use crate::{Backend, Conn, Error, Pool};

/// Sets the next firing of `workflow` (a firing under way is forgotten).
pub async fn set_next(c: &mut Conn, workflow: &str, next_at: i64) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO schedules (workflow_id, next_at) VALUES ($1, $2)
         ON CONFLICT (workflow_id) DO UPDATE SET next_at = excluded.next_at, firing_at = NULL, cursor = 0",
    )
    .bind(workflow)
    .bind(next_at)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Removes the schedule of `workflow`.
pub async fn delete(c: &mut Conn, workflow: &str) -> Result<(), Error> {
    sqlx::query("DELETE FROM schedules WHERE workflow_id = $1").bind(workflow).execute(&mut *c).await?;
    Ok(())
}

/// Removes the schedule of `workflow`, outside a transaction.
pub async fn delete_now(pool: &Pool, workflow: &str) -> Result<(), Error> {
    sqlx::query("DELETE FROM schedules WHERE workflow_id = $1").bind(workflow).execute(pool).await?;
    Ok(())
}

/// The workflows whose schedule is due at `now` or whose firing is under way.
pub async fn due(pool: &Pool, now: i64) -> Result<Vec<String>, Error> {
    Ok(sqlx::query_scalar("SELECT workflow_id FROM schedules WHERE next_at <= $1 OR firing_at IS NOT NULL")
        .bind(now)
        .fetch_all(pool)
        .await?)
}

/// Where a schedule's firing stands.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct Firing {
    pub next_at: i64,
    /// The firing under way (`None`: it starts at `next_at`).
    pub firing_at: Option<i64>,
    /// The last contact id the firing started.
    pub cursor: i64,
}

/// Claims the schedule of `workflow` for this transaction if it is due or firing, and reads
/// where the firing stands. On PostgreSQL a row another process is firing is skipped, so
/// processes sharing the store never fire one page twice.
pub async fn claim(c: &mut Conn, backend: Backend, workflow: &str, now: i64) -> Result<Option<Firing>, Error> {
    let claim = format!(
        "SELECT next_at, firing_at, cursor FROM schedules
         WHERE workflow_id = $1 AND (next_at <= $2 OR firing_at IS NOT NULL){}",
        backend.skip_locked()
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(claim)).bind(workflow).bind(now).fetch_optional(&mut *c).await?)
}

/// Ends a firing: the next one is at `next_at`.
pub async fn fired(c: &mut Conn, workflow: &str, next_at: i64) -> Result<(), Error> {
    sqlx::query("UPDATE schedules SET next_at = $1, firing_at = NULL, cursor = 0 WHERE workflow_id = $2")
        .bind(next_at)
        .bind(workflow)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Saves where the firing `firing_at` stands.
pub async fn advance(c: &mut Conn, workflow: &str, firing_at: i64, cursor: i64) -> Result<(), Error> {
    sqlx::query("UPDATE schedules SET firing_at = $1, cursor = $2 WHERE workflow_id = $3")
        .bind(firing_at)
        .bind(cursor)
        .bind(workflow)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// When the next schedule fires, if any.
pub async fn next_due(pool: &Pool) -> Result<Option<i64>, Error> {
    Ok(sqlx::query_scalar("SELECT MIN(next_at) FROM schedules").fetch_one(pool).await?)
}
