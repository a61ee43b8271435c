//! The event queue: accepting an event is one durable insert (deduplicated by the sender's
//! id), and processing takes many queued events in one transaction — group commit — so the
//! cost of a synchronous commit is shared. An event that cannot be processed is rolled back
//! to its own savepoint and kept in `event_failures` with the reason; the others commit.

use super::advance::Batch;
use super::events::Event;
use super::{Engine, Error};
use sqlx::Row;

/// What accepting an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Accepted {
    /// The sender's id was seen before; nothing was queued.
    pub duplicate: bool,
    /// The queue position, when queued.
    pub queued: Option<i64>,
}

impl Engine {
    /// Accepts events durably, in one transaction. Returns, per event, whether it was queued.
    pub async fn enqueue(&self, events: &[Event]) -> Result<Vec<Accepted>, Error> {
        let mut tx = self.begin().await?;
        let now = self.now_ms();
        let mut out = Vec::with_capacity(events.len());
        for event in events {
            if let Some(id) = &event.id {
                let fresh = sqlx::query(
                    "INSERT INTO inbox (source, event_id, received_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                )
                .bind(&event.source)
                .bind(id)
                .bind(now)
                .execute(tx.conn())
                .await?
                .rows_affected();
                if fresh == 0 {
                    out.push(Accepted { duplicate: true, queued: None });
                    continue;
                }
            }
            let body = serde_json::to_string(&event.kind).map_err(|e| Error::Refused(e.to_string()))?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO event_queue (source, event_id, body, received_at) VALUES (?, ?, ?, ?) RETURNING id",
            )
            .bind(&event.source)
            .bind(&event.id)
            .bind(body)
            .bind(now)
            .fetch_one(tx.conn())
            .await?;
            out.push(Accepted { duplicate: false, queued: Some(id) });
        }
        self.commit(tx).await?;
        self.inner.queue_wake.notify_one();
        Ok(out)
    }

    /// Processes up to `limit` queued events in one transaction. Returns how many it took.
    pub async fn process_queue(&self, limit: i64) -> Result<usize, Error> {
        let mut tx = self.begin().await?;
        let rows = sqlx::query("SELECT id, source, event_id, body FROM event_queue ORDER BY id LIMIT ?")
            .bind(limit)
            .fetch_all(tx.conn())
            .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let (mut wake_outbox, mut wake_timers) = (false, false);
        let mut last = 0;
        for row in &rows {
            let id: i64 = row.try_get("id")?;
            let body: String = row.try_get("body")?;
            last = id;
            sqlx::query("SAVEPOINT event").execute(tx.conn()).await?;
            let result = match serde_json::from_str(&body) {
                Ok(kind) => {
                    let mut batch = Batch::new(self, tx.conn());
                    let applied = async {
                        batch.apply_event(kind).await?;
                        batch.drain().await
                    }
                    .await;
                    wake_outbox |= batch.wake_outbox;
                    wake_timers |= batch.wake_timers;
                    applied
                }
                Err(e) => Err(Error::Refused(format!("unreadable event: {e}"))),
            };
            match result {
                Ok(()) => {
                    sqlx::query("RELEASE SAVEPOINT event").execute(tx.conn()).await?;
                }
                Err(Error::Db(e)) => return Err(Error::Db(e)),
                Err(e) => {
                    sqlx::query("ROLLBACK TO SAVEPOINT event").execute(tx.conn()).await?;
                    sqlx::query("RELEASE SAVEPOINT event").execute(tx.conn()).await?;
                    tracing::warn!(event = id, error = %e, "event could not be processed");
                    sqlx::query(
                        "INSERT INTO event_failures (source, event_id, body, error, failed_at) VALUES (?, ?, ?, ?, ?)",
                    )
                    .bind(row.try_get::<String, _>("source")?)
                    .bind(row.try_get::<Option<String>, _>("event_id")?)
                    .bind(&body)
                    .bind(e.to_string())
                    .bind(self.now_ms())
                    .execute(tx.conn())
                    .await?;
                }
            }
        }
        sqlx::query("DELETE FROM event_queue WHERE id <= ?").bind(last).execute(tx.conn()).await?;
        self.commit(tx).await?;
        self.after_commit(wake_outbox, wake_timers);
        Ok(rows.len())
    }

    /// Events waiting to be processed.
    pub async fn queue_depth(&self) -> Result<i64, Error> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM event_queue").fetch_one(&self.inner.pool).await?)
    }
}
