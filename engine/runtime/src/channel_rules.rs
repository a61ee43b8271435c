//! The engine's side of messaging channels: managing connections (shared with other
//! processes through the store), and the rules a message must pass before it is queued —
//! opt-out, an address on the channel, following the account, WhatsApp's 24-hour window
//! (free text inside, the step's template outside, otherwise refused with the reason) and
//! LINE's monthly quota. A refused message never reaches the outbox; the step's failure port
//! (or the run's failure) carries the reason.

use super::advance::Batch;
use super::{Engine, Error, Wake};
use channels::{Connection, ConnectionInput, DeliveryStatus, Kind, WHATSAPP_WINDOW_MS};
use std::sync::Arc;
use steps::message::OutboundMessage;
use store::records::Contact;

/// Where and how a message that passed the rules goes out.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Route {
    /// The contact's address on a connected channel (`None` for the simulator and the
    /// generic webhook channel, which address contacts by id).
    pub to: Option<String>,
    /// Send the step's approved template instead of its text (WhatsApp, outside the window).
    pub template: bool,
    /// The month (`2026-11`) the message was counted against its connection's quota; given
    /// back if it is never delivered.
    pub quota_month: Option<String>,
}

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
        let month = month_of(self.now_ms());
        let sent: Option<i64> =
            sqlx::query_scalar("SELECT sent FROM channel_usage WHERE connection_id = $1 AND month = $2")
                .bind(id)
                .bind(&month)
                .fetch_optional(&self.inner.pool)
                .await?;
        Ok(sent.unwrap_or(0))
    }
}

/// Why a flow's message to an opted-out contact is not sent.
pub(super) const OPTED_OUT: &str = "the contact opted out of messages";

/// Gives back the quota a queued message took when it will never be delivered (the channel
/// refused it for good, or the contact opted out before it went). `payloads`: the outbox
/// payloads of those messages; only those counted carry `quota_month`.
pub(super) async fn give_back_quota(conn: &mut store::Conn, payloads: &[serde_json::Value]) -> Result<(), Error> {
    for p in payloads {
        let (Some(channel), Some(month)) = (p["channel"].as_str(), p["quota_month"].as_str()) else { continue };
        sqlx::query("UPDATE channel_usage SET sent = sent - 1 WHERE connection_id = $1 AND month = $2 AND sent > 0")
            .bind(channel)
            .bind(month)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

fn month_of(ms: i64) -> String {
    crate::clock::from_millis(ms).format("%Y-%m").to_string()
}

impl Batch<'_> {
    /// Checks a message against the channel's rules: `Ok(Err(reason))` when it must not be
    /// sent. Counts it against a LINE quota when it passes. `automated`: a flow's message
    /// (an opted-out contact gets none); a person's reply is not held back by an opt-out.
    pub(super) async fn route(
        &mut self,
        contact: &Contact,
        channel: &str,
        message: &OutboundMessage,
        automated: bool,
    ) -> Result<Result<Route, String>, Error> {
        if automated && contact.opted_out {
            return Ok(Err(OPTED_OUT.into()));
        }
        let Some(conn) = self.env.connections.get(channel) else {
            return Ok(Ok(Route::default()));
        };
        let state = contact.channels.get(channel).cloned().unwrap_or_default();
        let address = if state.address.is_empty() {
            // Known by an address the API gave (a CRM's event), before the contact wrote.
            sqlx::query_scalar("SELECT address FROM contact_addresses WHERE contact_id = $1 AND channel = $2")
                .bind(contact.id)
                .bind(channel)
                .fetch_optional(&mut *self.conn)
                .await?
        } else {
            Some(state.address.clone())
        };
        let Some(address) = address else {
            return Ok(Err(format!("the contact has no address on channel `{channel}`")));
        };
        let mut route = Route { to: Some(address), template: false, quota_month: None };
        match conn.kind {
            Kind::Whatsapp => {
                let since = state.last_inbound_at.map(|t| self.now_ms - t);
                if since.is_none_or(|ms| ms >= WHATSAPP_WINDOW_MS) {
                    if message.template.is_none() {
                        let when = match since {
                            Some(ms) => format!("the contact last wrote {} hours ago", ms / 3_600_000),
                            None => "the contact never wrote on it".to_owned(),
                        };
                        return Ok(Err(format!(
                            "outside WhatsApp's 24-hour window ({when}) and the step has no template"
                        )));
                    }
                    route.template = true;
                }
            }
            Kind::Line => {
                if state.follows != Some(true) {
                    return Ok(Err(
                        "the contact is not a friend of the LINE account (never added it, or unfollowed)".into()
                    ));
                }
            }
            Kind::Telegram => {
                if state.follows == Some(false) {
                    return Ok(Err("the contact blocked the Telegram bot".into()));
                }
            }
        }
        if let Some(quota) = conn.monthly_quota() {
            let month = month_of(self.now_ms);
            let counted: Option<i64> = sqlx::query_scalar(
                "INSERT INTO channel_usage (connection_id, month, sent) SELECT $1, $2, 1 WHERE $3 > 0
                 ON CONFLICT (connection_id, month) DO UPDATE SET sent = channel_usage.sent + 1
                 WHERE channel_usage.sent < $3
                 RETURNING sent",
            )
            .bind(&conn.id)
            .bind(&month)
            .bind(quota)
            .fetch_optional(&mut *self.conn)
            .await?;
            if counted.is_none() {
                return Ok(Err(format!(
                    "the monthly message quota of `{}` is used up ({quota} messages in {month})",
                    conn.id
                )));
            }
            route.quota_month = Some(month);
        }
        Ok(Ok(route))
    }

    /// Applies a channel's delivery status to the message it names (never backwards: a late
    /// `delivered` after `read` changes nothing). A status for a message whose id is not
    /// recorded yet is `park`ed until it is (see [`Batch::apply_parked_statuses`]).
    pub(super) async fn apply_status(
        &mut self,
        channel: &str,
        message_id: &str,
        status: DeliveryStatus,
        error: Option<String>,
        park: bool,
    ) -> Result<(), Error> {
        let rank = "CASE status WHEN 'pending' THEN 0 WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2
                    WHEN 'read' THEN 3 WHEN 'failed' THEN 4 ELSE 5 END";
        let sql = format!(
            "UPDATE messages SET status = $1, error = COALESCE($2, error)
             WHERE channel = $3 AND external_id = $4 AND direction = 'out' AND {rank} < $5
             RETURNING contact_id"
        );
        let changed: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(status.as_str())
            .bind(&error)
            .bind(channel)
            .bind(message_id)
            .bind(status.rank())
            .fetch_all(&mut *self.conn)
            .await?;
        if let Some(&contact_id) = changed.first() {
            self.handled.contact_id = Some(contact_id);
            self.cache.changed_messages(contact_id);
            return Ok(());
        }
        // Nothing changed: the message is further along already, or not known yet.
        let known: Option<i64> =
            sqlx::query_scalar("SELECT contact_id FROM messages WHERE channel = $1 AND external_id = $2 LIMIT 1")
                .bind(channel)
                .bind(message_id)
                .fetch_optional(&mut *self.conn)
                .await?;
        if let Some(contact_id) = known {
            self.handled.contact_id = Some(contact_id);
        } else if park {
            sqlx::query(
                "INSERT INTO channel_statuses (channel, external_id, status, error, received_at)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(channel)
            .bind(message_id)
            .bind(status.as_str())
            .bind(&error)
            .bind(self.now_ms)
            .execute(&mut *self.conn)
            .await?;
            // Statuses of messages someone else sent from the same number never match.
            sqlx::query("DELETE FROM channel_statuses WHERE received_at < $1")
                .bind(self.now_ms - PARKED_STATUS_MS)
                .execute(&mut *self.conn)
                .await?;
        }
        Ok(())
    }

    /// Applies the statuses that arrived before these messages' ids were recorded.
    pub(super) async fn apply_parked_statuses(&mut self, external_ids: &[String]) -> Result<(), Error> {
        if external_ids.is_empty() {
            return Ok(());
        }
        let mut q = store::Sql::new(
            self.env.backend,
            "SELECT channel, external_id, status, error FROM channel_statuses WHERE external_id IN (",
        );
        let mut sep = q.separated(", ");
        for id in external_ids {
            sep.push_bind(id.clone());
        }
        q.push(")");
        let parked: Vec<(String, String, String, Option<String>)> =
            q.build_query_as().fetch_all(&mut *self.conn).await?;
        if parked.is_empty() {
            return Ok(());
        }
        let mut parked: Vec<_> =
            parked.into_iter().filter_map(|(c, id, s, e)| Some((c, id, DeliveryStatus::parse(&s)?, e))).collect();
        parked.sort_by_key(|p| p.2.rank());
        for (channel, id, status, error) in parked {
            self.apply_status(&channel, &id, status, error, false).await?;
            sqlx::query("DELETE FROM channel_statuses WHERE channel = $1 AND external_id = $2")
                .bind(&channel)
                .bind(&id)
                .execute(&mut *self.conn)
                .await?;
        }
        Ok(())
    }
}

/// How long a status waits for its message's id before it is dropped.
const PARKED_STATUS_MS: i64 = 7 * 24 * 60 * 60 * 1000;
