//! Workspace secrets: values an admin sets (`PUT /api/secrets/{name}`), stored sealed in
//! `secrets`, never shown again, and filled into an HTTP step's request only when the engine
//! performs it ([`Engine::fill_secrets`]). Also re-sealing at start: every sealed value
//! (secrets, channel connections, webhook signing secrets) written under a previous key, or
//! written in plaintext before secrets were encrypted, is sealed again under the current key.

use super::{Engine, Error};
use crate::keyring::{self, Keyring, Sealed};
use serde::Serialize;
use steps::machine::HttpRequest;
use store::Pool;

/// A secret as the API lists it: its name and dates, never its value.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct SecretInfo {
    pub name: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl From<keyring::Error> for Error {
    fn from(e: keyring::Error) -> Error {
        Error::Refused(e.to_string())
    }
}

/// The associated data a secret is sealed with: its row.
fn context(name: &str) -> String {
    format!("secret:{name}")
}

/// name, key_id, nonce, ciphertext, created_at, updated_at.
type SecretRow = (String, String, String, String, i64, i64);

impl Engine {
    /// The keyring, or the reason there is none.
    pub(super) fn keys(&self) -> Result<&Keyring, Error> {
        self.inner.keys.as_ref().ok_or_else(|| keyring::Error::NoKey.into())
    }

    /// Every secret's name and dates, by name.
    pub async fn secrets(&self) -> Result<Vec<SecretInfo>, Error> {
        let rows: Vec<(String, i64, i64)> =
            sqlx::query_as("SELECT name, created_at, updated_at FROM secrets ORDER BY name")
                .fetch_all(&self.inner.pool)
                .await?;
        Ok(rows.into_iter().map(|(name, c, u)| info(name, c, u)).collect())
    }

    /// Sets a secret (new or replaced).
    pub async fn put_secret(&self, name: &str, value: &str) -> Result<SecretInfo, Error> {
        keyring::check_name(name).map_err(Error::Refused)?;
        // Short values could not be told apart from ordinary text when answers are redacted.
        if value.len() < 8 || value.len() > 64 * 1024 {
            return Err(Error::Refused("`value` must be 8 bytes to 64 KiB".into()));
        }
        let sealed = self.keys()?.seal(&context(name), value.as_bytes())?;
        let now = self.now_ms();
        let (created_at,): (i64,) = sqlx::query_as(
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
        .fetch_one(&self.inner.pool)
        .await?;
        tracing::info!(secret = name, "workspace secret set");
        Ok(info(name.to_owned(), created_at, now))
    }

    pub async fn delete_secret(&self, name: &str) -> Result<(), Error> {
        let gone = sqlx::query("DELETE FROM secrets WHERE name = $1").bind(name).execute(&self.inner.pool).await?;
        if gone.rows_affected() == 0 {
            return Err(Error::NotFound(format!("secret {name}")));
        }
        tracing::info!(secret = name, "workspace secret removed");
        Ok(())
    }

    /// The request as it goes out, with the values of the secrets it names, and those values
    /// (to redact them from whatever comes back). An unknown secret or a missing key is an
    /// `Err` with a sentence for the workflow's author.
    pub(super) async fn fill_secrets(&self, request: &HttpRequest) -> Result<(HttpRequest, Vec<String>), String> {
        if request.secrets.is_empty() {
            return Ok((request.clone(), Vec::new()));
        }
        let keys = self.keys().map_err(|e| e.to_string())?;
        let mut values = std::collections::BTreeMap::new();
        for name in &request.secrets {
            let row: Option<(String, String, String)> =
                sqlx::query_as("SELECT key_id, nonce, ciphertext FROM secrets WHERE name = $1")
                    .bind(name)
                    .fetch_optional(&self.inner.pool)
                    .await
                    .map_err(|e| format!("could not read the workspace secret `{name}`: {e}"))?;
            if let Some((key_id, nonce, ciphertext)) = row {
                let value = keys
                    .open_string(&context(name), &Sealed { key_id, nonce, ciphertext })
                    .map_err(|e| format!("the workspace secret `{name}` cannot be read: {e}"))?;
                values.insert(name.clone(), value);
            }
        }
        let filled = request.fill_secrets(|name| values.get(name).cloned())?;
        Ok((filled, values.into_values().collect()))
    }
}

impl Engine {
    /// Stores a webhook workflow's signing secret, sealed (replacing the previous one).
    pub async fn set_webhook_secret(&self, workflow: &str, secret: &str) -> Result<(), Error> {
        let sealed = self.keys()?.seal_text(&format!("{WEBHOOK_SEAL_CONTEXT}{workflow}"), secret)?;
        sqlx::query(
            "INSERT INTO webhook_secrets (workflow_id, secret, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (workflow_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at",
        )
        .bind(workflow)
        .bind(sealed)
        .bind(self.now_ms())
        .execute(&self.inner.pool)
        .await?;
        Ok(())
    }

    /// A webhook workflow's signing secret, if it has one. A row from before secrets were
    /// sealed is read as it is (and sealed at the next start with a key).
    pub async fn webhook_secret(&self, workflow: &str) -> Result<Option<String>, Error> {
        let stored: Option<String> = sqlx::query_scalar("SELECT secret FROM webhook_secrets WHERE workflow_id = $1")
            .bind(workflow)
            .fetch_optional(&self.inner.pool)
            .await?;
        let Some(stored) = stored else { return Ok(None) };
        if keyring::sealed_text_key(&stored).is_none() {
            return Ok(Some(stored));
        }
        Ok(Some(self.keys()?.open_text(&format!("{WEBHOOK_SEAL_CONTEXT}{workflow}"), &stored)?))
    }
}

fn info(name: String, created_at: i64, updated_at: i64) -> SecretInfo {
    SecretInfo {
        name,
        created_at: crate::clock::from_millis(created_at).to_rfc3339(),
        updated_at: crate::clock::from_millis(updated_at).to_rfc3339(),
    }
}

/// Seals again, under the current key, every value sealed under a previous key, and seals
/// the channel connection and webhook secrets still stored in plaintext (written before
/// they were encrypted). Runs at start; a value whose key is not configured stops the start
/// with the key's id, since the engine could not use it anyway.
pub(super) async fn reseal(pool: &Pool, keys: Option<&Keyring>) -> Result<(), Error> {
    let Some(keys) = keys else {
        let plaintext: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM channel_connections WHERE secrets NOT LIKE 'sb1:%'")
                .fetch_one(pool)
                .await?;
        if plaintext > 0 {
            tracing::warn!(
                connections = plaintext,
                "channel connection secrets are stored in plaintext: configure {} to encrypt them",
                keyring::KEY_ENV
            );
        }
        return Ok(());
    };
    let rows: Vec<SecretRow> =
        sqlx::query_as("SELECT name, key_id, nonce, ciphertext, created_at, updated_at FROM secrets")
            .fetch_all(pool)
            .await?;
    let mut resealed = 0;
    for (name, key_id, nonce, ciphertext, _, _) in rows {
        if !keys.is_stale(&key_id) {
            continue;
        }
        let value = keys.open(&context(&name), &Sealed { key_id, nonce, ciphertext })?;
        let sealed = keys.seal(&context(&name), &value)?;
        sqlx::query("UPDATE secrets SET key_id = $1, nonce = $2, ciphertext = $3 WHERE name = $4")
            .bind(&sealed.key_id)
            .bind(&sealed.nonce)
            .bind(&sealed.ciphertext)
            .bind(&name)
            .execute(pool)
            .await?;
        resealed += 1;
    }
    for (table, id_column, column, prefix) in [
        ("channel_connections", "id", "secrets", crate::connections::SEAL_CONTEXT),
        ("webhook_secrets", "workflow_id", "secret", WEBHOOK_SEAL_CONTEXT),
    ] {
        let rows: Vec<(String, String)> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {id_column}, {column} FROM {table}")))
                .fetch_all(pool)
                .await?;
        for (id, stored) in rows {
            let context = format!("{prefix}{id}");
            let value = match keyring::sealed_text_key(&stored) {
                Some(key_id) if !keys.is_stale(&key_id) => continue,
                Some(_) => keys.open_text(&context, &stored)?,
                None => stored,
            };
            sqlx::query(sqlx::AssertSqlSafe(format!("UPDATE {table} SET {column} = $1 WHERE {id_column} = $2")))
                .bind(keys.seal_text(&context, &value)?)
                .bind(&id)
                .execute(pool)
                .await?;
            resealed += 1;
        }
    }
    if resealed > 0 {
        tracing::info!(resealed, key_id = keys.current_id(), "stored secrets sealed under the current secret key");
    }
    Ok(())
}

/// The associated-data prefix of a webhook workflow's signing secret (`webhook:<workflow>`).
pub(crate) const WEBHOOK_SEAL_CONTEXT: &str = "webhook:";
