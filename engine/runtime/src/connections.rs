//! The channel connections a workspace has, read from `channel_connections` at start and after
//! every change, and held in memory for the send path. At rest their secrets are sealed with the
//! server's secret key (`crate::keyring`); a row from before that is read as plaintext and
//! sealed at the next start.

use crate::Error;
use channels::{Connection, Kind};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use store::Pool;

/// The associated-data prefix a connection's secrets are sealed with (`channel:<id>`).
pub const SEAL_CONTEXT: &str = "channel:";

/// The connections, read from the store at start and after every change.
#[derive(Debug, Default)]
pub struct Connections {
    by_id: RwLock<HashMap<String, Arc<Connection>>>,
    /// Seals and opens the secrets column; without a key, new secrets are refused.
    keys: Option<crate::keyring::Keyring>,
}

impl Connections {
    pub fn new(keys: Option<crate::keyring::Keyring>) -> Connections {
        Connections { by_id: RwLock::default(), keys }
    }

    pub fn get(&self, id: &str) -> Option<Arc<Connection>> {
        self.by_id.read().unwrap_or_else(|e| e.into_inner()).get(id).cloned()
    }

    /// Every connection, by id.
    pub fn all(&self) -> Vec<Arc<Connection>> {
        let mut all: Vec<_> = self.by_id.read().unwrap_or_else(|e| e.into_inner()).values().cloned().collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        all
    }

    /// Reads every connection from the store.
    pub async fn load(&self, pool: &Pool) -> Result<(), Error> {
        let rows = store::channel_connections::all(pool).await?;
        let mut by_id = HashMap::new();
        for row in rows {
            let store::channel_connections::ConnectionRow {
                id,
                kind,
                name,
                api_base,
                settings,
                secrets,
                created_at,
                updated_at,
            } = row;
            let Some(kind) = Kind::parse(&kind) else {
                tracing::warn!(connection = %id, %kind, "skipping a connection of an unknown kind");
                continue;
            };
            let secrets = match (crate::keyring::sealed_text_key(&secrets), &self.keys) {
                (None, _) => secrets,
                (Some(_), Some(keys)) => keys.open_text(&format!("{SEAL_CONTEXT}{id}"), &secrets)?,
                (Some(key_id), None) => return Err(crate::keyring::Error::UnknownKey(key_id).into()),
            };
            let conn =
                Connection::stored(id.clone(), kind, name, api_base, &settings, &secrets, created_at, updated_at);
            by_id.insert(id, Arc::new(conn));
        }
        *self.by_id.write().unwrap_or_else(|e| e.into_inner()) = by_id;
        Ok(())
    }

    /// Stores a connection (new or changed), its secrets sealed, and reloads.
    pub async fn save(&self, pool: &Pool, conn: &Connection) -> Result<(), Error> {
        let keys = self.keys.as_ref().ok_or(crate::keyring::Error::NoKey)?;
        let secrets = keys.seal_text(&format!("{SEAL_CONTEXT}{}", conn.id), &conn.secrets_json())?;
        let row = store::channel_connections::ConnectionRow {
            id: conn.id.clone(),
            kind: conn.kind.as_str().to_owned(),
            name: conn.name.clone(),
            api_base: conn.api_base.clone(),
            settings: Value::Object(conn.settings.clone()).to_string(),
            secrets,
            created_at: conn.created_at,
            updated_at: conn.updated_at,
        };
        store::channel_connections::upsert(pool, &row).await?;
        self.load(pool).await
    }

    /// Removes a connection; `false` when there was none.
    pub async fn delete(&self, pool: &Pool, id: &str) -> Result<bool, Error> {
        let gone = store::channel_connections::delete(pool, id).await?;
        self.load(pool).await?;
        Ok(gone)
    }
}
