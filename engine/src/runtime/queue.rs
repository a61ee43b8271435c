//! The event queue: accepting an event is one durable insert (deduplicated by the sender's
//! id), and processing takes many queued events in one transaction — group commit — so the
//! cost of a synchronous commit is shared. An event that cannot be processed is rolled back
//! to its own savepoint and kept in `event_failures` with the reason; the others commit.

use super::advance::Batch;
use super::events::{ContactRef, Event, EventKind, Identifier};
use super::{Engine, Error};
use crate::store::{Conn, Sql};
use std::collections::HashSet;

/// The advisory lock space (first key of the two-key form) of contacts' queued events.
const EVENT_KEY_LOCKS: i32 = 7;

/// Rows per multi-row statement.
const CHUNK: usize = 400;

/// How long a sender's event id is remembered, so that a redelivery within it is recognised
/// as a duplicate. Channels redeliver for hours to days (Meta retries webhooks for up to 7
/// days); a week keeps every such retry out while the table stays bounded.
pub const DEDUP_RETENTION: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

/// Event ids forgotten per statement when pruning, so a large backlog never holds the writer
/// for long.
const PRUNE_PAGE: i64 = 5_000;

/// What accepting an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Accepted {
    /// The sender's id was seen before; nothing was queued.
    pub duplicate: bool,
}

impl Engine {
    /// Accepts events durably, in one transaction and a few statements. Returns, per event,
    /// whether it was a duplicate (same source and id as an event accepted before, or earlier
    /// in the same call).
    pub async fn enqueue(&self, events: &[Event]) -> Result<Vec<Accepted>, Error> {
        // An oversized event is refused whole before anything is stored. A channel's delivery
        // is exempt: it is verified, bounded by the channel itself, and may carry many
        // contacts' messages, which one refusal would hold back (and the channel retry).
        for event in events.iter().filter(|e| !e.source.starts_with("channel:")) {
            event.check_limits()?;
        }
        let mut tx = self.begin().await?;
        let now = self.now_ms();
        let mut fresh: HashSet<(String, String)> = HashSet::new();
        let with_ids: Vec<(&str, &str)> =
            events.iter().filter_map(|e| e.id.as_deref().map(|id| (e.source.as_str(), id))).collect();
        for chunk in with_ids.chunks(CHUNK) {
            let mut q = Sql::new(self.inner.backend, "INSERT INTO inbox (source, event_id, received_at) ");
            q.push_values(chunk.iter(), |mut b, (source, id)| {
                b.push_bind(*source).push_bind(*id).push_bind(now);
            });
            q.push(" ON CONFLICT DO NOTHING RETURNING source, event_id");
            let inserted: Vec<(String, String)> = q.build_query_as().fetch_all(tx.conn()).await?;
            fresh.extend(inserted);
        }
        let mut out = Vec::with_capacity(events.len());
        let mut queued: Vec<(&Event, String, Option<String>)> = Vec::with_capacity(events.len());
        for event in events {
            let accept = match &event.id {
                // The first occurrence takes the fresh slot; a repeat in the same call is a duplicate.
                Some(id) => fresh.remove(&(event.source.clone(), id.clone())),
                None => true,
            };
            if accept {
                let body = serde_json::to_string(&event.kind).map_err(|e| Error::Refused(e.to_string()))?;
                let verified = match event.verified.is_empty() {
                    true => None,
                    false => Some(serde_json::to_string(&event.verified).map_err(|e| Error::Refused(e.to_string()))?),
                };
                queued.push((event, body, verified));
            }
            out.push(Accepted { duplicate: !accept });
        }
        for chunk in queued.chunks(CHUNK) {
            let mut q = Sql::new(
                self.inner.backend,
                "INSERT INTO event_queue (source, event_id, body, received_at, contact_key, verified) ",
            );
            q.push_values(chunk.iter(), |mut b, (event, body, verified)| {
                b.push_bind(event.source.clone())
                    .push_bind(event.id.clone())
                    .push_bind(body.clone())
                    .push_bind(now)
                    .push_bind(event.kind.contact().map(contact_key))
                    .push_bind(verified.clone());
            });
            q.build().execute(tx.conn()).await?;
        }
        self.commit(tx).await?;
        self.inner.queue_wake.notify_one();
        self.notify_peers(super::Wake::Queue);
        Ok(out)
    }

    /// Forgets event ids received longer than [`DEDUP_RETENTION`] ago, a page at a time.
    /// Returns how many were forgotten.
    pub async fn prune_dedup(&self) -> Result<u64, Error> {
        let cutoff = self.now_ms() - DEDUP_RETENTION.as_millis() as i64;
        let mut forgotten = 0;
        loop {
            let mut tx = self.begin().await?;
            let done = sqlx::query(
                "DELETE FROM inbox WHERE (source, event_id) IN
                     (SELECT source, event_id FROM inbox WHERE received_at < $1 LIMIT $2)",
            )
            .bind(cutoff)
            .bind(PRUNE_PAGE)
            .execute(tx.conn())
            .await?
            .rows_affected();
            self.commit(tx).await?;
            forgotten += done;
            if done < PRUNE_PAGE as u64 {
                return Ok(forgotten);
            }
        }
    }

    /// Processes up to `limit` queued events in one transaction. Returns how many it took.
    ///
    /// The fast path handles them all in one batch (bulk reads, bulk writes). If any event
    /// is refused (an unknown contact, a stopped workflow), the transaction is rolled back
    /// and the events are handled one by one, each under a savepoint, so the good ones
    /// commit and the bad one is kept in `event_failures` with its reason.
    pub async fn process_queue(&self, limit: i64) -> Result<usize, Error> {
        self.retry_contention(|| self.process_queue_once(limit)).await
    }

    /// Claims queued events for this transaction. SQLite (one process) takes them in order.
    /// On PostgreSQL, processes share the queue by contact: among the oldest events, this
    /// transaction takes the advisory lock of up to `limit` contacts that no other process
    /// holds (`pg_try_advisory_xact_lock`, never waiting) and claims those contacts' events
    /// (and events about no contact) with `FOR UPDATE SKIP LOCKED`. A contact's events are
    /// so handled in order and by one process at a time; a process that dies releases its
    /// locks and claims with its transaction.
    async fn claim_events(&self, conn: &mut Conn, limit: i64) -> Result<Vec<QueuedRow>, Error> {
        let rows = match self.inner.backend {
            crate::store::Backend::Sqlite => {
                sqlx::query_as("SELECT id, source, event_id, body, verified FROM event_queue ORDER BY id LIMIT $1")
                    .bind(limit)
                    .fetch_all(&mut *conn)
                    .await?
            }
            crate::store::Backend::Postgres => {
                sqlx::query_as(
                    "WITH window_ AS MATERIALIZED (
                         SELECT id, contact_key FROM event_queue ORDER BY id LIMIT $1),
                     mine AS MATERIALIZED (
                         SELECT contact_key FROM (
                             SELECT contact_key, MIN(id) AS first FROM window_ WHERE contact_key IS NOT NULL
                             GROUP BY contact_key ORDER BY first) AS keys
                         WHERE pg_try_advisory_xact_lock($2, hashtext(contact_key)) LIMIT $3)
                     SELECT e.id, e.source, e.event_id, e.body, e.verified FROM event_queue e
                     WHERE e.id IN (SELECT id FROM window_ w
                                    WHERE w.contact_key IS NULL OR w.contact_key IN (SELECT contact_key FROM mine))
                     ORDER BY e.id FOR UPDATE SKIP LOCKED",
                )
                .bind(limit * 4)
                .bind(EVENT_KEY_LOCKS)
                .bind(limit)
                .fetch_all(&mut *conn)
                .await?
            }
        };
        Ok(rows)
    }

    /// Claims these events again (after a rolled-back attempt released them); those another
    /// process took meanwhile are left out.
    async fn reclaim_events(&self, conn: &mut Conn, rows: &[QueuedRow]) -> Result<HashSet<i64>, Error> {
        let mut out = HashSet::new();
        for chunk in rows.chunks(CHUNK) {
            let mut q = Sql::new(self.inner.backend, "SELECT id FROM event_queue WHERE id IN (");
            let mut sep = q.separated(", ");
            for row in chunk {
                sep.push_bind(row.0);
            }
            q.push(")").push(self.inner.backend.skip_locked());
            let ids: Vec<i64> = q.build_query_scalar().fetch_all(&mut *conn).await?;
            out.extend(ids);
        }
        Ok(out)
    }

    async fn process_queue_once(&self, limit: i64) -> Result<usize, Error> {
        let mut tx = self.begin().await?;
        self.pending_live().clear();
        let mut rows = self.claim_events(tx.conn(), limit).await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let (mut events, mut unreadable) = parse_rows(&rows);
        let wake = match self.apply_all(tx.conn(), &events).await {
            Ok((wake, refused)) => {
                for (source, event_id, body, error) in unreadable.iter().chain(refused.iter()) {
                    self.failed(tx.conn(), source, event_id.as_deref(), body, error).await?;
                }
                wake
            }
            Err(Error::Crashed) => return Err(Error::Crashed),
            Err(e) => {
                self.pending_live().clear();
                // A database error (a constraint) in one event spoils the whole batch: start
                // over, one event at a time, so it can be told apart from the good ones.
                tracing::warn!(error = %e, "batch failed; processing its events one by one");
                drop(tx);
                tx = self.begin().await?;
                let still_ours = self.reclaim_events(tx.conn(), &rows).await?;
                rows.retain(|r| still_ours.contains(&r.0));
                (events, unreadable) = parse_rows(&rows);
                for (source, event_id, body, error) in &unreadable {
                    self.failed(tx.conn(), source, event_id.as_deref(), body, error).await?;
                }
                self.apply_one_by_one(tx.conn(), &events).await?
            }
        };
        for chunk in rows.chunks(CHUNK) {
            let mut q = Sql::new(self.inner.backend, "DELETE FROM event_queue WHERE id IN (");
            let mut sep = q.separated(", ");
            for row in chunk {
                sep.push_bind(row.0);
            }
            q.push(")");
            q.build().execute(tx.conn()).await?;
        }
        let committed = self.commit(tx).await;
        let changes = std::mem::take(&mut *self.pending_live());
        committed?;
        self.after_commit(wake.0, wake.1);
        self.announce(changes);
        Ok(rows.len())
    }

    /// Applies every event in one batch. An event refused for a reason of its own (an
    /// unknown workflow, a contact without a conversation) is returned with the reason and
    /// the others go on; a database error fails the batch.
    async fn apply_all(&self, conn: &mut Conn, events: &[QueuedEvent]) -> Result<((bool, bool), Vec<Failure>), Error> {
        let mut batch = Batch::new(self, conn);
        let addresses: Vec<(String, String)> = events
            .iter()
            .filter_map(|(_, _, _, e, _)| match e.contact() {
                Some(ContactRef::Address { channel, address }) => Some((channel.clone(), address.clone())),
                _ => None,
            })
            .collect();
        batch.cache.prefetch_addresses(batch.conn, &addresses).await?;
        let identifiers: Vec<Identifier> = events.iter().flat_map(|(_, _, _, _, v)| v.iter().cloned()).collect();
        batch.cache.prefetch_identifiers(batch.conn, &identifiers).await?;
        let mut ids: Vec<i64> = Vec::with_capacity(events.len());
        for (_, _, _, e, _) in events {
            match e.contact() {
                Some(ContactRef::Id(id)) => ids.push(*id),
                Some(ContactRef::Address { channel, address }) => {
                    if let Some(id) = batch.cache.address(batch.conn, channel, address).await? {
                        ids.push(id);
                    }
                }
                None => {}
            }
        }
        ids.sort_unstable();
        ids.dedup();
        batch.cache.prefetch(batch.conn, &ids).await?;
        let mut refused = Vec::new();
        for (source, event_id, body, kind, verified) in events {
            let applied = match batch.apply_event(kind.clone(), verified).await {
                Ok(()) => batch.drain().await,
                Err(e) => Err(e),
            };
            match applied {
                Ok(()) => {}
                Err(e @ (Error::Refused(_) | Error::NotFound(_) | Error::Invalid(_) | Error::Conflict { .. })) => {
                    batch.work.clear();
                    refused.push((source.clone(), event_id.clone(), body.clone(), e.to_string()));
                }
                Err(e) => return Err(e),
            }
        }
        batch.finish().await?;
        self.announce_later(batch.cache.changes());
        Ok(((batch.wake_outbox, batch.wake_timers), refused))
    }

    async fn apply_one_by_one(&self, conn: &mut Conn, events: &[QueuedEvent]) -> Result<(bool, bool), Error> {
        let (mut wake_outbox, mut wake_timers) = (false, false);
        for (source, event_id, body, kind, verified) in events {
            sqlx::query("SAVEPOINT event").execute(&mut *conn).await?;
            let mut batch = Batch::new(self, &mut *conn);
            let result = async {
                batch.apply_event(kind.clone(), verified).await?;
                batch.finish().await
            }
            .await;
            wake_outbox |= batch.wake_outbox;
            wake_timers |= batch.wake_timers;
            let changes = batch.cache.changes();
            match result {
                Ok(()) => {
                    sqlx::query("RELEASE SAVEPOINT event").execute(&mut *conn).await?;
                    self.announce_later(changes);
                }
                Err(e) if !event_level(&e) => return Err(e),
                Err(e) => {
                    sqlx::query("ROLLBACK TO SAVEPOINT event").execute(&mut *conn).await?;
                    sqlx::query("RELEASE SAVEPOINT event").execute(&mut *conn).await?;
                    self.failed(conn, source, event_id.as_deref(), body, &e.to_string()).await?;
                }
            }
        }
        Ok((wake_outbox, wake_timers))
    }

    async fn failed(
        &self,
        conn: &mut Conn,
        source: &str,
        event_id: Option<&str>,
        body: &str,
        error: &str,
    ) -> Result<(), Error> {
        tracing::warn!(%source, event = event_id.unwrap_or(""), %error, "event could not be processed");
        sqlx::query(
            "INSERT INTO event_failures (source, event_id, body, error, failed_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(source)
        .bind(event_id)
        .bind(body)
        .bind(error)
        .bind(self.now_ms())
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Changes of this queue transaction, announced once it commits. Only the writer (who
    /// holds the write lock) touches them.
    fn pending_live(&self) -> std::sync::MutexGuard<'_, Vec<super::LiveEvent>> {
        self.inner.pending_live.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn announce_later(&self, changes: Vec<super::LiveEvent>) {
        self.pending_live().extend(changes);
    }

    /// Events waiting to be processed.
    pub async fn queue_depth(&self) -> Result<i64, Error> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM event_queue").fetch_one(&self.inner.pool).await?)
    }
}

/// A claimed `event_queue` row: id, source, sender's id, body, verified identifiers (JSON).
type QueuedRow = (i64, String, Option<String>, String, Option<String>);

/// Parses claimed rows into events, and the unreadable ones into failures.
fn parse_rows(rows: &[QueuedRow]) -> (Vec<QueuedEvent>, Vec<Failure>) {
    let mut events = Vec::with_capacity(rows.len());
    let mut unreadable = Vec::new();
    for (_, source, event_id, body, verified) in rows {
        let verified = match verified {
            Some(v) => serde_json::from_str::<Vec<Identifier>>(v),
            None => Ok(Vec::new()),
        };
        match (serde_json::from_str::<EventKind>(body), verified) {
            (Ok(kind), Ok(verified)) => events.push((source.clone(), event_id.clone(), body.clone(), kind, verified)),
            (Err(e), _) | (_, Err(e)) => {
                unreadable.push((source.clone(), event_id.clone(), body.clone(), format!("unreadable event: {e}")))
            }
        }
    }
    (events, unreadable)
}

/// The key that orders a contact's queued events (see `claim_events`).
fn contact_key(contact: &ContactRef) -> String {
    match contact {
        ContactRef::Id(id) => format!("id:{id}"),
        ContactRef::Address { channel, address } => format!("{channel}:{address}"),
    }
}

/// A queued event: source, sender's id, the stored body, the parsed event and the
/// identifiers its channel verified.
type QueuedEvent = (String, Option<String>, String, EventKind, Vec<Identifier>);
/// An event that could not be processed: source, id, body and why.
type Failure = (String, Option<String>, String, String);

/// Is this error the event's own fault (kept as a failure) rather than the database's (retried)?
fn event_level(e: &Error) -> bool {
    match e {
        Error::Refused(_) | Error::NotFound(_) | Error::Invalid(_) | Error::Conflict { .. } => true,
        Error::Db(sqlx::Error::Database(db)) => {
            db.is_unique_violation() || db.is_foreign_key_violation() || db.is_check_violation()
        }
        _ => false,
    }
}
