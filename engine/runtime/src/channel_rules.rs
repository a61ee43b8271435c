//! The engine's side of messaging channels: managing connections (shared with other
//! processes through the store), their monthly usage, and giving back quota a message that
//! never went out took. The rules a message must pass before it is queued are the batch's
//! (`batch/channel_rules.rs`).

use super::{Engine, Error, Wake};
use channels::{Connection, ConnectionInput};
use std::sync::Arc;
use store::outbox_payload::OutboxPayload;

impl Engine {
    /// Every channel connection, by id.
    pub fn connections(&self) -> Vec<Arc<Connection>> {
        self.inner.connections.all()
    }

    pub fn connection(&self, id: &str) -> Result<Arc<Connection>, Error> {
        self.inner.connections.get(id).ok_or_else(|| Error::NotFound(format!("channel connection {id}")))
    }

    /// Creates or changes a connection (secrets left out keep their value).
    pub async fn put_connection(&self, id: &str, input: ConnectionInput) -> Result<Arc<Connection>, Error> {
        let previous = self.inner.connections.get(id);
        let conn = Connection::build(id, input, previous.as_deref(), self.now_ms()).map_err(Error::Refused)?;
        self.inner.connections.save(&self.inner.pool, &conn).await?;
        self.notify_peers(Wake::Channels);
        tracing::info!(connection = %conn.id, kind = conn.kind.as_str(), "channel connection saved");
        self.connection(id)
    }

    pub async fn delete_connection(&self, id: &str) -> Result<(), Error> {
        if !self.inner.connections.delete(&self.inner.pool, id).await? {
            return Err(Error::NotFound(format!("channel connection {id}")));
        }
        self.notify_peers(Wake::Channels);
        tracing::info!(connection = %id, "channel connection removed");
        Ok(())
    }

    /// How many messages a connection has counted against its quota this month (UTC).
    pub async fn channel_usage(&self, id: &str) -> Result<i64, Error> {
        Ok(store::channel_usage::sent(&self.inner.pool, id, &month_of(self.now_ms())).await?)
    }
}

/// Gives back the quota a queued message took when it will never be delivered (the channel
/// refused it for good, or the contact opted out before it went). Only messages that were
/// counted carry `quota_month`.
pub(super) async fn give_back_quota(conn: &mut store::Conn, payloads: &[OutboxPayload]) -> Result<(), Error> {
    for p in payloads {
        if let Some(month) = &p.quota_month {
            store::channel_usage::give_back(conn, &p.channel, month).await?;
        }
    }
    Ok(())
}

/// The month (`2026-11`, UTC) of a time, as quotas count it.
pub(crate) fn month_of(ms: i64) -> String {
    crate::clock::from_millis(ms).format("%Y-%m").to_string()
}
