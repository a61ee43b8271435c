//! `channel_connections`: the connected channel accounts (WhatsApp, LINE, Telegram), their
//! settings and their secrets as stored (sealed by the runtime's keyring, or plaintext from
//! before). Sealing and the in-memory set are the runtime's (`engine/runtime/src/connections.rs`).

use crate::{Error, Pool};

/// A connection as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConnectionRow {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub api_base: String,
    /// JSON text.
    pub settings: String,
    /// Sealed text (or JSON text from before secrets were sealed).
    pub secrets: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Every connection.
pub async fn all(pool: &Pool) -> Result<Vec<ConnectionRow>, Error> {
    Ok(sqlx::query_as(
        "SELECT id, kind, name, api_base, settings, secrets, created_at, updated_at FROM channel_connections",
    )
    .fetch_all(pool)
    .await?)
}

/// Stores a connection, new or changed (its creation time stays).
pub async fn upsert(pool: &Pool, c: &ConnectionRow) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO channel_connections (id, kind, name, api_base, settings, secrets, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, api_base = excluded.api_base,
             settings = excluded.settings, secrets = excluded.secrets, updated_at = excluded.updated_at",
    )
    .bind(&c.id)
    .bind(&c.kind)
    .bind(&c.name)
    .bind(&c.api_base)
    .bind(&c.settings)
    .bind(&c.secrets)
    .bind(c.created_at)
    .bind(c.updated_at)
    .execute(pool)
    .await?;
    Ok(())
}

/// Removes a connection; returns whether there was one.
pub async fn delete(pool: &Pool, id: &str) -> Result<bool, Error> {
    let gone = sqlx::query("DELETE FROM channel_connections WHERE id = $1").bind(id).execute(pool).await?;
    Ok(gone.rows_affected() > 0)
}

/// How many connections keep their secrets in plaintext (not sealed: `sb1:` prefix).
pub async fn count_plaintext(pool: &Pool) -> Result<i64, Error> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM channel_connections WHERE secrets NOT LIKE 'sb1:%'")
        .fetch_one(pool)
        .await?)
}
