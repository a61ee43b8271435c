//! `secrets` and `webhook_secrets`, and every other column holding a sealed text: the
//! workspace's named secrets (sealed values) and webhook workflows' signing secrets. Sealing
//! and re-sealing are the runtime's (`engine/runtime/src/secrets.rs`, `keyring.rs`); this
//! file only reads and writes rows.

use crate::{Error, Pool};

/// A secret's name and dates.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SecretDates {
    pub name: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Every secret's name and dates, by name.
pub async fn list(pool: &Pool) -> Result<Vec<SecretDates>, Error> {
    Ok(sqlx::query_as("SELECT name, created_at, updated_at FROM secrets ORDER BY name").fetch_all(pool).await?)
}

/// A sealed value as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SealedRow {
    pub key_id: String,
    pub nonce: String,
    pub ciphertext: String,
}

/// Sets a secret (new or replaced); returns when it was first created.
pub async fn put(pool: &Pool, name: &str, sealed: &SealedRow, now: i64) -> Result<i64, Error> {
    Ok(sqlx::query_scalar(
        "INSERT INTO secrets (name, key_id, nonce, ciphertext, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5)
         ON CONFLICT (name) DO UPDATE SET key_id = excluded.key_id, nonce = excluded.nonce,
             ciphertext = excluded.ciphertext, updated_at = excluded.updated_at
         RETURNING created_at",
    )
    .bind(name)
    .bind(&sealed.key_id)
    .bind(&sealed.nonce)
    .bind(&sealed.ciphertext)
    .bind(now)
    .fetch_one(pool)
    .await?)
}

/// Removes a secret; returns whether there was one.
pub async fn delete(pool: &Pool, name: &str) -> Result<bool, Error> {
    let gone = sqlx::query("DELETE FROM secrets WHERE name = $1").bind(name).execute(pool).await?;
    Ok(gone.rows_affected() > 0)
}

/// The sealed value of the secret `name`.
pub async fn sealed(pool: &Pool, name: &str) -> Result<Option<SealedRow>, Error> {
    Ok(sqlx::query_as("SELECT key_id, nonce, ciphertext FROM secrets WHERE name = $1")
        .bind(name)
        .fetch_optional(pool)
        .await?)
}

/// A secret with its sealed value.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NamedSealed {
    pub name: String,
    #[sqlx(flatten)]
    pub sealed: SealedRow,
}

/// Every secret with its sealed value.
pub async fn all_sealed(pool: &Pool) -> Result<Vec<NamedSealed>, Error> {
    Ok(sqlx::query_as("SELECT name, key_id, nonce, ciphertext FROM secrets").fetch_all(pool).await?)
}

/// Replaces the sealed value of the secret `name` (same value, sealed again).
pub async fn reseal(pool: &Pool, name: &str, sealed: &SealedRow) -> Result<(), Error> {
    sqlx::query("UPDATE secrets SET key_id = $1, nonce = $2, ciphertext = $3 WHERE name = $4")
        .bind(&sealed.key_id)
        .bind(&sealed.nonce)
        .bind(&sealed.ciphertext)
        .bind(name)
        .execute(pool)
        .await?;
    Ok(())
}

/// Stores a webhook workflow's signing secret (sealed text), replacing the previous one.
pub async fn set_webhook_secret(pool: &Pool, workflow: &str, sealed: &str, now: i64) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO webhook_secrets (workflow_id, secret, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (workflow_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at",
    )
    .bind(workflow)
    .bind(sealed)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(())
}

/// A webhook workflow's signing secret as stored, if it has one.
pub async fn webhook_secret(pool: &Pool, workflow: &str) -> Result<Option<String>, Error> {
    Ok(sqlx::query_scalar("SELECT secret FROM webhook_secrets WHERE workflow_id = $1")
        .bind(workflow)
        .fetch_optional(pool)
        .await?)
}

/// A column holding one sealed text per row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealedColumn {
    /// `channel_connections.secrets`, by `id`.
    ChannelSecrets,
    /// `webhook_secrets.secret`, by `workflow_id`.
    WebhookSecret,
}

impl SealedColumn {
    /// Table, id column, sealed column.
    fn names(self) -> (&'static str, &'static str, &'static str) {
        match self {
            SealedColumn::ChannelSecrets => ("channel_connections", "id", "secrets"),
            SealedColumn::WebhookSecret => ("webhook_secrets", "workflow_id", "secret"),
        }
    }
}

/// A row's id and its sealed text.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SealedText {
    pub id: String,
    pub stored: String,
}

/// Every row's id and stored text of the column.
pub async fn sealed_texts(pool: &Pool, column: SealedColumn) -> Result<Vec<SealedText>, Error> {
    let (table, id, col) = column.names();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {id} AS id, {col} AS stored FROM {table}")))
        .fetch_all(pool)
        .await?)
}

/// Replaces the stored text of the row `id` in the column.
pub async fn set_sealed_text(pool: &Pool, column: SealedColumn, id: &str, stored: &str) -> Result<(), Error> {
    let (table, id_column, col) = column.names();
    sqlx::query(sqlx::AssertSqlSafe(format!("UPDATE {table} SET {col} = $1 WHERE {id_column} = $2")))
        .bind(stored)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}
