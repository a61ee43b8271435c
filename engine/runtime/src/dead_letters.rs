//! Dead letters: queued events that could not be processed (`event_failures`), each kept with
//! its reason instead of being dropped (see `queue.rs` for what sends an event here). Ops
//! list them, retry one (it is queued again exactly as it came, channel-verified identifiers
//! included) or discard it. Also what the API can check at intake instead: whether contacts
//! exist and whether a workflow is live.

use super::events::EventKind;
use super::{Engine, Error};
use crate::clock::from_millis;
use serde::Serialize;
use serde_json::Value;

/// One dead letter, as the API lists it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct DeadLetter {
    /// The dead letter's id (for retry and discard).
    pub id: i64,
    /// Who sent the event (`api:crm`, `channel:wa-main`, `webhook:lead-form`).
    pub source: String,
    /// The sender's id of the event, if it had one.
    pub event_id: Option<String>,
    /// Why the event could not be processed.
    pub reason: String,
    /// The event as it was queued; a string when it could not be read as JSON.
    pub payload: Value,
    /// How many times processing it failed for an unclear reason before it was given up.
    pub attempts: i64,
    /// When it was moved here (RFC 3339).
    pub failed_at: String,
}

/// A page of dead letters, newest first, and the cursor of the next page if there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetterPage {
    pub items: Vec<DeadLetter>,
    pub next: Option<i64>,
}

impl Engine {
    /// Dead letters, newest first: at most `limit`, those older than `before` (the id the
    /// previous page ended at) when given.
    pub async fn dead_letters(&self, limit: i64, before: Option<i64>) -> Result<DeadLetterPage, Error> {
        let rows = store::dead_letters::page(&self.inner.pool, before.unwrap_or(i64::MAX), limit + 1).await?;
        let more = rows.len() as i64 > limit;
        let items: Vec<DeadLetter> = rows
            .into_iter()
            .take(limit.max(0) as usize)
            .map(|r| DeadLetter {
                id: r.id,
                source: r.source,
                event_id: r.event_id,
                reason: r.error,
                payload: serde_json::from_str(&r.body).unwrap_or(Value::String(r.body)),
                attempts: r.attempts,
                failed_at: from_millis(r.failed_at).to_rfc3339(),
            })
            .collect();
        let next = if more { items.last().map(|d| d.id) } else { None };
        Ok(DeadLetterPage { items, next })
    }

    /// Queues a dead letter's event again, as it came, and removes the dead letter (one
    /// transaction). Its sender's id is not checked against the deduplication inbox again: a
    /// retry is a deliberate second try of the same event.
    pub async fn retry_dead_letter(&self, id: i64) -> Result<(), Error> {
        let mut tx = self.begin().await?;
        let row = store::dead_letters::event(tx.conn(), id).await?;
        let Some(store::dead_letters::EventRow { source, event_id, body, verified }) = row else {
            return Err(Error::NotFound(format!("dead letter {id}")));
        };
        let contact_key = serde_json::from_str::<EventKind>(&body)
            .ok()
            .and_then(|kind| kind.contact().map(super::queue::contact_key));
        let event = store::queue::NewEvent { source: source.clone(), event_id, body, contact_key, verified };
        store::queue::insert(tx.conn(), self.inner.backend, &[event], self.now_ms()).await?;
        store::dead_letters::delete(tx.conn(), id).await?;
        self.commit(tx).await?;
        tracing::info!(dead_letter = id, %source, "dead letter queued again");
        self.inner.queue_wake.notify_one();
        self.notify_peers(super::Wake::Queue);
        Ok(())
    }

    /// Removes a dead letter for good.
    pub async fn discard_dead_letter(&self, id: i64) -> Result<(), Error> {
        let mut tx = self.begin().await?;
        if !store::dead_letters::delete(tx.conn(), id).await? {
            return Err(Error::NotFound(format!("dead letter {id}")));
        }
        self.commit(tx).await?;
        tracing::info!(dead_letter = id, "dead letter discarded");
        Ok(())
    }

    /// How many dead letters there are and when the oldest failed (ms), for the metrics.
    pub(super) async fn dead_letter_stats(&self) -> Result<(i64, Option<i64>), Error> {
        let stats = store::dead_letters::stats(&self.inner.pool).await?;
        Ok((stats.count, stats.oldest))
    }

    /// Which of these contact ids name no contact (so intake can refuse events for them).
    pub async fn unknown_contacts(&self, ids: &[i64]) -> Result<Vec<i64>, Error> {
        let mut unknown = Vec::new();
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        for chunk in ids.chunks(400) {
            let found = store::records::existing_contacts(&self.inner.pool, self.inner.backend, chunk).await?;
            unknown.extend(chunk.iter().filter(|id| !found.contains(id)));
        }
        Ok(unknown)
    }

    /// Is this workflow published and not stopped (so events can start it)? Asked of the
    /// store, which every process shares, rather than of this process's registry.
    pub async fn is_live(&self, workflow: &str) -> Result<bool, Error> {
        let status = store::workflows::status(&self.inner.pool, workflow).await?;
        Ok(status.as_deref() == Some("published"))
    }
}
