//! `api_tokens`: the stored form of API tokens (a SHA-256 of the token, never the token), their
//! role, origin and use. The rules (who may hold which role, what a configured token replaces)
//! are the runtime's (`engine/runtime/src/tokens.rs`); this file only reads and writes rows.

use crate::{Conn, Error, Pool};

/// A live token as authentication reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LiveToken {
    pub id: i64,
    pub name: String,
    /// As stored (`admin`, `ops`, `agent`, `integration`).
    pub role: String,
    pub agent_id: Option<String>,
    pub last_used_at: Option<i64>,
}

/// A token to store.
#[derive(Debug, Clone, Copy)]
pub struct NewTokenRow<'a> {
    pub name: &'a str,
    pub role: &'a str,
    pub hash: &'a str,
    pub agent_id: Option<&'a str>,
    pub origin: &'a str,
    pub created_at: i64,
}

/// Stores a token; returns its id.
pub async fn insert(pool: &Pool, t: NewTokenRow<'_>) -> Result<i64, Error> {
    Ok(sqlx::query_scalar(
        "INSERT INTO api_tokens (name, role, hash, agent_id, created_at, origin) VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING id",
    )
    .bind(t.name)
    .bind(t.role)
    .bind(t.hash)
    .bind(t.agent_id)
    .bind(t.created_at)
    .bind(t.origin)
    .fetch_one(pool)
    .await?)
}

/// Whether the token `id` exists and is not revoked.
pub async fn is_live(pool: &Pool, id: i64) -> Result<bool, Error> {
    let live: Option<i64> = sqlx::query_scalar("SELECT id FROM api_tokens WHERE id = $1 AND revoked_at IS NULL")
        .bind(id)
        .fetch_optional(pool)
        .await?;
    Ok(live.is_some())
}

/// The live token with this hash.
pub async fn live_by_hash(pool: &Pool, hash: &str) -> Result<Option<LiveToken>, Error> {
    Ok(sqlx::query_as(
        "SELECT id, name, role, agent_id, last_used_at FROM api_tokens WHERE hash = $1 AND revoked_at IS NULL",
    )
    .bind(hash)
    .fetch_optional(pool)
    .await?)
}

/// The role and revocation time of the token with this hash, live or not.
pub async fn role_by_hash(pool: &Pool, hash: &str) -> Result<Option<(String, Option<i64>)>, Error> {
    Ok(sqlx::query_as("SELECT role, revoked_at FROM api_tokens WHERE hash = $1")
        .bind(hash)
        .fetch_optional(pool)
        .await?)
}

/// Records a use of the token.
pub async fn touch(c: &mut Conn, id: i64, now: i64) -> Result<(), Error> {
    sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2").bind(now).bind(id).execute(&mut *c).await?;
    Ok(())
}

/// Revokes every live token of `origin` but the one with `keep_hash`; returns how many.
pub async fn revoke_origin_except(pool: &Pool, origin: &str, keep_hash: &str, now: i64) -> Result<u64, Error> {
    Ok(sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE origin = $2 AND hash <> $3 AND revoked_at IS NULL")
        .bind(now)
        .bind(origin)
        .bind(keep_hash)
        .execute(pool)
        .await?
        .rows_affected())
}

/// Revokes every live, never used token of `origin`; returns how many.
pub async fn revoke_unused(pool: &Pool, origin: &str, now: i64) -> Result<u64, Error> {
    Ok(sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE origin = $2 AND last_used_at IS NULL AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(origin)
    .execute(pool)
    .await?
    .rows_affected())
}

/// The ids of the live tokens of `origin`.
pub async fn live_of_origin(pool: &Pool, origin: &str) -> Result<Vec<i64>, Error> {
    Ok(sqlx::query_scalar("SELECT id FROM api_tokens WHERE origin = $1 AND revoked_at IS NULL")
        .bind(origin)
        .fetch_all(pool)
        .await?)
}

/// How many live tokens have `role`.
pub async fn count_live_with_role(pool: &Pool, role: &str) -> Result<i64, Error> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens WHERE role = $1 AND revoked_at IS NULL")
        .bind(role)
        .fetch_one(pool)
        .await?)
}

/// Revokes the token `id` unless it is the last live admin token, in one statement (so two
/// admins revoking each other's tokens at once cannot both succeed). Returns whether it did.
pub async fn revoke_unless_last_admin(pool: &Pool, id: i64, now: i64) -> Result<bool, Error> {
    let revoked = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL
           AND (role <> 'admin' OR (SELECT COUNT(*) FROM api_tokens WHERE role = 'admin' AND revoked_at IS NULL) > 1)",
    )
    .bind(now)
    .bind(id)
    .execute(pool)
    .await?
    .rows_affected();
    Ok(revoked == 1)
}

/// When the token `id` was revoked: `None` if there is no such token, `Some(None)` if it is live.
pub async fn revoked_at(pool: &Pool, id: i64) -> Result<Option<Option<i64>>, Error> {
    Ok(sqlx::query_scalar("SELECT revoked_at FROM api_tokens WHERE id = $1").bind(id).fetch_optional(pool).await?)
}

/// A token as admins list it (never the token or its hash).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ListedToken {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub agent_id: Option<String>,
    pub created_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// Up to `limit` tokens in the order they were made, after the token `after` when given.
pub async fn list(pool: &Pool, after: Option<i64>, limit: i64) -> Result<Vec<ListedToken>, Error> {
    Ok(sqlx::query_as(
        "SELECT id, name, role, agent_id, created_at, last_used_at, revoked_at FROM api_tokens
         WHERE ($1 IS NULL OR id > $1) ORDER BY id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}
