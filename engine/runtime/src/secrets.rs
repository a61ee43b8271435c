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

/// A sealed value as the store keeps it.
fn row(sealed: Sealed) -> store::secrets::SealedRow {
    store::secrets::SealedRow { key_id: sealed.key_id, nonce: sealed.nonce, ciphertext: sealed.ciphertext }
}

/// A sealed value as the keyring opens it.
fn sealed(row: store::secrets::SealedRow) -> Sealed {
    Sealed { key_id: row.key_id, nonce: row.nonce, ciphertext: row.ciphertext }
}

impl Engine {
    /// The keyring, or the reason there is none.
    pub(super) fn keys(&self) -> Result<&Keyring, Error> {
        self.inner.keys.as_ref().ok_or_else(|| keyring::Error::NoKey.into())
    }

    /// Every secret's name and dates, by name.
    pub async fn secrets(&self) -> Result<Vec<SecretInfo>, Error> {
        let rows = store::secrets::list(&self.inner.pool).await?;
        Ok(rows.into_iter().map(|r| info(r.name, r.created_at, r.updated_at)).collect())
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
        let created_at = store::secrets::put(&self.inner.pool, name, &row(sealed), now).await?;
        tracing::info!(secret = name, "workspace secret set");
        Ok(info(name.to_owned(), created_at, now))
    }

    pub async fn delete_secret(&self, name: &str) -> Result<(), Error> {
        if !store::secrets::delete(&self.inner.pool, name).await? {
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
            let stored = store::secrets::sealed(&self.inner.pool, name)
                .await
                .map_err(|e| format!("could not read the workspace secret `{name}`: {e}"))?;
            if let Some(stored) = stored {
                let value = keys
                    .open_string(&context(name), &sealed(stored))
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
        Ok(store::secrets::set_webhook_secret(&self.inner.pool, workflow, &sealed, self.now_ms()).await?)
    }

    /// A webhook workflow's signing secret, if it has one. A row from before secrets were
    /// sealed is read as it is (and sealed at the next start with a key).
    pub async fn webhook_secret(&self, workflow: &str) -> Result<Option<String>, Error> {
        let stored = store::secrets::webhook_secret(&self.inner.pool, workflow).await?;
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
        let plaintext = store::channel_connections::count_plaintext(pool).await?;
        if plaintext > 0 {
            tracing::warn!(
                connections = plaintext,
                "channel connection secrets are stored in plaintext: configure {} to encrypt them",
                keyring::KEY_ENV
            );
        }
        return Ok(());
    };
    let rows = store::secrets::all_sealed(pool).await?;
    let mut resealed = 0;
    for store::secrets::NamedSealed { name, sealed: stored } in rows {
        if !keys.is_stale(&stored.key_id) {
            continue;
        }
        let value = keys.open(&context(&name), &sealed(stored))?;
        let again = keys.seal(&context(&name), &value)?;
        store::secrets::reseal(pool, &name, &row(again)).await?;
        resealed += 1;
    }
    for (column, prefix) in [
        (store::secrets::SealedColumn::ChannelSecrets, crate::connections::SEAL_CONTEXT),
        (store::secrets::SealedColumn::WebhookSecret, WEBHOOK_SEAL_CONTEXT),
    ] {
        let rows = store::secrets::sealed_texts(pool, column).await?;
        for store::secrets::SealedText { id, stored } in rows {
            let context = format!("{prefix}{id}");
            let value = match keyring::sealed_text_key(&stored) {
                Some(key_id) if !keys.is_stale(&key_id) => continue,
                Some(_) => keys.open_text(&context, &stored)?,
                None => stored,
            };
            store::secrets::set_sealed_text(pool, column, &id, &keys.seal_text(&context, &value)?).await?;
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
