//! `test_sessions`: the editor's test chats — the draft under test, and each session's clock
//! (an offset from the real time) with the timers of its waiting runs, which move with it.
//! The offset is read by `records::test_clock_offset`.

use crate::{Conn, Error, Pool};

/// Records a new session for its (already created) contact.
pub async fn create(
    c: &mut Conn,
    contact_id: i64,
    workflow: &str,
    source: &str,
    now: i64,
    clock_offset_ms: i64,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO test_sessions (contact_id, workflow_id, source, created_at, clock_offset_ms)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(contact_id)
    .bind(workflow)
    .bind(source)
    .bind(now)
    .bind(clock_offset_ms)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// The workflow a session tests; `None` if `contact_id` is no session.
pub async fn workflow_of(pool: &Pool, contact_id: i64) -> Result<Option<String>, Error> {
    Ok(sqlx::query_scalar("SELECT workflow_id FROM test_sessions WHERE contact_id = $1")
        .bind(contact_id)
        .fetch_optional(pool)
        .await?)
}

/// Sets the session's clock offset.
pub async fn set_clock_offset(c: &mut Conn, contact_id: i64, offset_ms: i64) -> Result<(), Error> {
    sqlx::query("UPDATE test_sessions SET clock_offset_ms = $1 WHERE contact_id = $2")
        .bind(offset_ms)
        .bind(contact_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Moves the session's clock on by `ms`.
pub async fn move_clock_on(c: &mut Conn, contact_id: i64, ms: i64) -> Result<(), Error> {
    sqlx::query("UPDATE test_sessions SET clock_offset_ms = clock_offset_ms + $1 WHERE contact_id = $2")
        .bind(ms)
        .bind(contact_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Moves the due times of the session's waiting runs (their timers and `runs.due_at`)
/// `ms` earlier.
pub async fn move_timers_earlier(c: &mut Conn, contact_id: i64, ms: i64) -> Result<(), Error> {
    sqlx::query(
        "UPDATE timers SET due_at = due_at - $1
          WHERE run_id IN (SELECT id FROM runs WHERE contact_id = $2 AND status = 'waiting')",
    )
    .bind(ms)
    .bind(contact_id)
    .execute(&mut *c)
    .await?;
    sqlx::query(
        "UPDATE runs SET due_at = due_at - $1 WHERE contact_id = $2 AND status = 'waiting' AND due_at IS NOT NULL",
    )
    .bind(ms)
    .bind(contact_id)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// The latest timer of the session's waiting runs still due after `now`.
pub async fn latest_timer_after(c: &mut Conn, contact_id: i64, now: i64) -> Result<Option<i64>, Error> {
    Ok(sqlx::query_scalar(
        "SELECT MAX(due_at) FROM timers WHERE due_at > $1
           AND run_id IN (SELECT id FROM runs WHERE contact_id = $2 AND status = 'waiting')",
    )
    .bind(now)
    .bind(contact_id)
    .fetch_one(&mut *c)
    .await?)
}

/// Makes every timer of the session's waiting runs due after `now` due at `now`; how many
/// timers moved.
pub async fn make_timers_due(c: &mut Conn, contact_id: i64, now: i64) -> Result<u64, Error> {
    let moved = sqlx::query(
        "UPDATE timers SET due_at = $1 WHERE due_at > $2
           AND run_id IN (SELECT id FROM runs WHERE contact_id = $3 AND status = 'waiting')",
    )
    .bind(now)
    .bind(now)
    .bind(contact_id)
    .execute(&mut *c)
    .await?
    .rows_affected();
    sqlx::query("UPDATE runs SET due_at = $1 WHERE contact_id = $2 AND status = 'waiting' AND due_at > $3")
        .bind(now)
        .bind(contact_id)
        .bind(now)
        .execute(&mut *c)
        .await?;
    Ok(moved)
}

/// The earliest timer of the session's waiting runs.
pub async fn next_timer(pool: &Pool, contact_id: i64) -> Result<Option<i64>, Error> {
    Ok(sqlx::query_scalar(
        "SELECT MIN(t.due_at) FROM timers t JOIN runs r ON r.id = t.run_id WHERE r.contact_id = $1 AND r.status = 'waiting'",
    )
    .bind(contact_id)
    .fetch_one(pool)
    .await?)
}
