//! `event_failures`: the dead letters — queued events that could not be processed, kept
//! with their reason. What sends an event here and what a retry means are the runtime's
//! (`engine/runtime/src/queue.rs`, `dead_letters.rs`).

use crate::{Conn, Error, Pool};

/// A dead letter to keep.
#[derive(Debug, Clone, Copy)]
pub struct NewDeadLetter<'a> {
    pub source: &'a str,
    pub event_id: Option<&'a str>,
    pub body: &'a str,
    pub error: &'a str,
    pub failed_at: i64,
    pub verified: Option<&'a str>,
    pub attempts: i64,
}

/// Keeps a dead letter.
pub async fn insert(c: &mut Conn, d: NewDeadLetter<'_>) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO event_failures (source, event_id, body, error, failed_at, verified, attempts)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(d.source)
    .bind(d.event_id)
    .bind(d.body)
    .bind(d.error)
    .bind(d.failed_at)
    .bind(d.verified)
    .bind(d.attempts)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// A dead letter as listed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ListedRow {
    pub id: i64,
    pub source: String,
    pub event_id: Option<String>,
    pub body: String,
    pub error: String,
    pub attempts: i64,
    pub failed_at: i64,
}

/// Up to `limit` dead letters older than `before` (an id), newest first.
pub async fn page(pool: &Pool, before: i64, limit: i64) -> Result<Vec<ListedRow>, Error> {
    Ok(sqlx::query_as(
        "SELECT id, source, event_id, body, error, attempts, failed_at FROM event_failures
         WHERE id < $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(before)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// A dead letter's event as it was queued.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub source: String,
    pub event_id: Option<String>,
    pub body: String,
    pub verified: Option<String>,
}

/// The event of the dead letter `id`.
pub async fn event(c: &mut Conn, id: i64) -> Result<Option<EventRow>, Error> {
    Ok(sqlx::query_as("SELECT source, event_id, body, verified FROM event_failures WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *c)
        .await?)
}

/// Removes the dead letter `id`; returns whether there was one.
pub async fn delete(c: &mut Conn, id: i64) -> Result<bool, Error> {
    let removed =
        sqlx::query("DELETE FROM event_failures WHERE id = $1").bind(id).execute(&mut *c).await?.rows_affected();
    Ok(removed > 0)
}

/// How many dead letters there are and when the oldest failed.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct Stats {
    pub count: i64,
    pub oldest: Option<i64>,
}

/// How many dead letters there are and when the oldest failed.
pub async fn stats(pool: &Pool) -> Result<Stats, Error> {
    Ok(sqlx::query_as("SELECT COUNT(*) AS count, MIN(failed_at) AS oldest FROM event_failures").fetch_one(pool).await?)
}
