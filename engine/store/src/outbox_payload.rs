//! What an outbox row of kind `message` carries ([`OutboxPayload`]), written by the batch that
//! queues the message and read by the outbox that sends it. Its JSON keeps the keys (and
//! their order) rows have always had, so rows queued before it read the same. Also the one
//! statement that drops messages not sent yet ([`drop_unsent`]).

use crate::{Conn, Error};
use serde::{Deserialize, Serialize};
use steps::message::OutboundMessage;

/// A queued message: to whom, on which channel, what, and how the channel's rules routed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxPayload {
    pub contact_id: i64,
    /// The channel connection's id (`simulator` and `webhook` are built in).
    pub channel: String,
    pub message: OutboundMessage,
    /// The contact's address on the channel; `None` for channels that address contacts by id.
    #[serde(default)]
    pub to: Option<String>,
    /// Send the step's approved template instead of its text. A flow's message always says;
    /// a person's reply has no such key (and is never a template).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<bool>,
    /// The month (`2026-11`) the message was counted against its connection's quota.
    #[serde(default)]
    pub quota_month: Option<String>,
}

impl OutboxPayload {
    /// The payload as stored.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A stored payload; `None` if it is not a message's.
    pub fn parse(stored: &str) -> Option<OutboxPayload> {
        serde_json::from_str(stored).ok()
    }

    /// A payload as read into JSON; `None` if it is not a message's.
    pub fn from_value(stored: &serde_json::Value) -> Option<OutboxPayload> {
        serde_json::from_value(stored.clone()).ok()
    }

    /// Whether it goes out as the step's template.
    pub fn is_template(&self) -> bool {
        self.template.unwrap_or(false)
    }
}

/// Whose messages not sent yet [`drop_unsent`] drops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsent {
    OfRun(i64),
    OfContact(i64),
}

/// Marks the messages of a run or a contact still waiting in the outbox as never to be sent
/// (`reason`), in the outbox and in the contact's history alike (a line left `pending` there
/// would wait forever); the payloads of those it dropped.
pub async fn drop_unsent(c: &mut Conn, of: Unsent, reason: &str) -> Result<Vec<OutboxPayload>, Error> {
    let (column, id) = match of {
        Unsent::OfRun(id) => ("run_id", id),
        Unsent::OfContact(id) => ("contact_id", id),
    };
    let sql = format!(
        "UPDATE outbox SET status = 'dead', last_error = $1
         WHERE {column} = $2 AND status = 'pending' AND kind = 'message' RETURNING idempotency_key, payload"
    );
    let dropped: Vec<(String, String)> =
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(reason).bind(id).fetch_all(&mut *c).await?;
    for (key, _) in &dropped {
        crate::messages::set_status_by_key(c, key, "failed", reason).await?;
    }
    Ok(dropped.iter().filter_map(|(_, p)| OutboxPayload::parse(p)).collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message(text: &str) -> OutboundMessage {
        serde_json::from_value(json!({"text": text, "channel": "line"})).unwrap()
    }

    #[test]
    fn a_flows_payload_is_written_as_it_always_was() {
        let message = message("Hi");
        let payload = OutboxPayload {
            contact_id: 7,
            channel: "line".into(),
            message: message.clone(),
            to: Some("U1".into()),
            template: Some(false),
            quota_month: None,
        };
        let before = json!({
            "contact_id": 7, "channel": "line", "message": message,
            "to": "U1", "template": false, "quota_month": null,
        });
        assert_eq!(payload.to_json(), before.to_string());
        assert_eq!(OutboxPayload::parse(&before.to_string()), Some(payload));
    }

    #[test]
    fn an_agents_payload_has_no_template_key() {
        let payload = OutboxPayload {
            contact_id: 7,
            channel: "line".into(),
            message: message("Hello"),
            to: None,
            template: None,
            quota_month: Some("2026-11".into()),
        };
        let before = json!({
            "contact_id": 7, "channel": "line", "message": {"text": "Hello", "channel": "line"},
            "to": null, "quota_month": "2026-11",
        });
        assert_eq!(payload.to_json(), before.to_string());
        assert!(!OutboxPayload::parse(&before.to_string()).unwrap().is_template());
    }
}
