//! `idempotency_keys`: the API's idempotency keys per token — claims, stored answers,
//! expiry. When a claim is stale and what a replay answers are the runtime's
//! (`engine/runtime/src/idempotency.rs`).

use crate::{Conn, Error, Pool};

/// Forgets the token's key `key` if it is still the one made at `created_at` (expired; the
/// bulk pruning is `retention::idempotency_keys`).
pub async fn forget_expired(c: &mut Conn, token_id: i64, key: &str, created_at: i64) -> Result<(), Error> {
    sqlx::query("DELETE FROM idempotency_keys WHERE token_id = $1 AND idempotency_key = $2 AND created_at = $3")
        .bind(token_id)
        .bind(key)
        .bind(created_at)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Claims a new key; returns whether it was new.
pub async fn claim_new(c: &mut Conn, token_id: i64, key: &str, fingerprint: &str, now: i64) -> Result<bool, Error> {
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (token_id, idempotency_key, fingerprint, created_at, claimed_at)
         VALUES ($1, $2, $3, $4, $4) ON CONFLICT DO NOTHING",
    )
    .bind(token_id)
    .bind(key)
    .bind(fingerprint)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// A stored key.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyRow {
    pub fingerprint: String,
    /// The answer's HTTP status, once answered.
    pub status: Option<i64>,
    pub body: Option<String>,
    pub created_at: i64,
    pub claimed_at: i64,
}

/// The token's key `key`, if stored.
pub async fn get(pool: &Pool, token_id: i64, key: &str) -> Result<Option<KeyRow>, Error> {
    Ok(sqlx::query_as(
        "SELECT fingerprint, status, body, created_at, claimed_at FROM idempotency_keys
         WHERE token_id = $1 AND idempotency_key = $2",
    )
    .bind(token_id)
    .bind(key)
    .fetch_optional(pool)
    .await?)
}

/// Takes over an unanswered claim made at `claimed_at` (one taker only: the update matches
/// that time); returns whether this call took it.
pub async fn take_over(c: &mut Conn, token_id: i64, key: &str, claimed_at: i64, now: i64) -> Result<bool, Error> {
    let taken = sqlx::query(
        "UPDATE idempotency_keys SET claimed_at = $1
         WHERE token_id = $2 AND idempotency_key = $3 AND status IS NULL AND claimed_at = $4",
    )
    .bind(now)
    .bind(token_id)
    .bind(key)
    .bind(claimed_at)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(taken == 1)
}

/// Stores the answer to a claimed key.
pub async fn answer(c: &mut Conn, token_id: i64, key: &str, status: i64, body: &str) -> Result<(), Error> {
    sqlx::query("UPDATE idempotency_keys SET status = $1, body = $2 WHERE token_id = $3 AND idempotency_key = $4")
        .bind(status)
        .bind(body)
        .bind(token_id)
        .bind(key)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Gives an unanswered claim up.
pub async fn release(c: &mut Conn, token_id: i64, key: &str) -> Result<(), Error> {
    sqlx::query("DELETE FROM idempotency_keys WHERE token_id = $1 AND idempotency_key = $2 AND status IS NULL")
        .bind(token_id)
        .bind(key)
        .execute(&mut *c)
        .await?;
    Ok(())
}
