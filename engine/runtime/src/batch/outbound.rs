//! What leaves through the outbox. [`Batch::queue_message`] is the one way a message is
//! queued — a step's and an agent's alike: recorded in the contact's history, then (when the
//! channel's rules let it go) written to the outbox with its [`OutboxPayload`]. Also HTTP
//! calls' rows, and dropping messages that must no longer go out.

use super::channel_rules::Route;
use super::Batch;
use crate::Error;
use steps::message::OutboundMessage;
use store::cache::{MessageRow, OutboxRow};
use store::outbox_payload::{self, OutboxPayload, Unsent};
use store::records::Run;

/// Who sends a message.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Author<'r> {
    /// A run's step; `awaited` is the outbox row's flag (0: nobody waits, 1: the outcome,
    /// 2: only a failure to deliver).
    Run { run: &'r Run, awaited: i64 },
    /// An agent replying by hand, to the contact.
    Agent { id: &'r str, contact_id: i64 },
}

impl Author<'_> {
    fn contact_id(&self) -> i64 {
        match self {
            Author::Run { run, .. } => run.contact_id,
            Author::Agent { contact_id, .. } => *contact_id,
        }
    }
}

impl Batch<'_> {
    /// Records `message` in the contact's history and queues it on `channel` as `route` says.
    /// A message the channel's rules refused (`Err(reason)`) is recorded as failed, with the
    /// reason, and not queued; the reason comes back.
    pub(crate) fn queue_message(
        &mut self,
        author: Author<'_>,
        conversation_id: Option<i64>,
        channel: &str,
        message: &OutboundMessage,
        key: String,
        route: Result<Route, String>,
    ) -> Result<(), String> {
        let contact_id = author.contact_id();
        let refused = route.as_ref().err().cloned();
        let template = route.as_ref().ok().filter(|r| r.template).and(message.template.as_ref());
        let text = match template {
            Some(t) => format!("Template {} ({}) {}", t.name, t.language, t.params.join(" | ")).trim_end().to_owned(),
            None => message.text.clone(),
        };
        let (sender, run_id, awaited, token) = match author {
            // The token is the seq the run will wait at: the transition entry is already written.
            Author::Run { run, awaited } => (format!("run:{}", run.id), Some(run.id), awaited, run.seq),
            Author::Agent { id, .. } => (format!("agent:{id}"), None, 0, 0),
        };
        self.cache.message(MessageRow {
            contact_id,
            conversation_id,
            direction: "out",
            sender,
            channel: Some(channel.to_owned()),
            text: Some(text),
            body: serde_json::to_string(message).unwrap_or_default(),
            run_id,
            idempotency_key: Some(key.clone()),
            status: if refused.is_some() { "failed" } else { "pending" },
            error: refused,
            created_at: self.now_ms,
        });
        let route = route?;
        let payload = OutboxPayload {
            contact_id,
            channel: channel.to_owned(),
            message: message.clone(),
            to: route.to,
            // A person's reply never goes out as a template.
            template: matches!(author, Author::Run { .. }).then_some(route.template),
            quota_month: route.quota_month,
        };
        self.queue_row(OutboxRow {
            run_id,
            contact_id,
            kind: "message",
            idempotency_key: key,
            payload: payload.to_json(),
            awaited,
            token,
            created_at: self.now_ms,
        });
        Ok(())
    }

    /// Queues a run's HTTP call in the outbox; the run waits for its outcome.
    pub(crate) fn queue_http(&mut self, run: &Run, key: String, payload: String) {
        self.queue_row(OutboxRow {
            run_id: Some(run.id),
            contact_id: run.contact_id,
            kind: "http",
            idempotency_key: key,
            payload,
            awaited: 1,
            token: run.seq,
            created_at: self.now_ms,
        });
    }

    fn queue_row(&mut self, row: OutboxRow) {
        self.wake_outbox |= crate::batch::OutboxLanes::of_kind(row.kind);
        self.cache.outbox(row);
    }

    /// Marks the messages of a run or a contact that have not gone out yet as never to be
    /// sent (`reason`), and gives back the channel quota they took.
    pub(crate) async fn drop_queued_messages(&mut self, of: Unsent, reason: &str) -> Result<(), Error> {
        // Rows still in the cache are written first, so they are dropped too.
        self.cache.flush(self.conn, self.now_ms).await?;
        let payloads = outbox_payload::drop_unsent(self.conn, of, reason).await?;
        crate::channel_rules::give_back_quota(self.conn, &payloads).await
    }
}

/// A suffix that makes an id unique without coordination (agent messages have no run, step
/// and visit to derive their idempotency key from).
pub(crate) fn unique_suffix() -> String {
    let mut bytes = [0u8; 12];
    if getrandom::fill(&mut bytes).is_err() {
        // Without randomness, time in nanoseconds is still unique enough for one process.
        return format!("{:?}", std::time::SystemTime::now());
    }
    hex::encode(bytes)
}
