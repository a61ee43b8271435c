//! The event queue: events accepted (`intake.rs`) are processed many in one transaction —
//! group commit — so the cost of a synchronous commit is shared. If anything in such a batch fails, it is rolled
//! back whole and its events are applied one by one under a savepoint each: an event that
//! fails for a reason of its own leaves no trace and moves to the dead letters
//! (`event_failures`, see `dead_letters.rs`) with the reason, and the others commit. An event
//! that fails for an unclear reason is tried again up to [`MAX_ATTEMPTS`] times, the same
//! contact's later events waiting behind it, before it is dead-lettered too.

use super::batch::Batch;
use super::events::{ContactRef, EventKind, Identifier};
use super::{Engine, Error, WriteTx};
use crate::batch::OutboxLanes;
use std::collections::HashSet;
use std::sync::atomic::Ordering;
use store::queue::QueuedRow;
use store::{Conn, Fault};

impl Engine {
    /// Processes up to `limit` queued events in one transaction. Returns how many it took.
    ///
    /// The fast path handles them all in one batch (bulk reads, bulk writes). If any event
    /// fails (an unknown contact, a stopped workflow, a database constraint), the
    /// transaction is rolled back and the events are handled one by one, each under a
    /// savepoint, so the good ones commit and the bad one leaves no trace but a dead letter.
    pub async fn process_queue(&self, limit: i64) -> Result<usize, Error> {
        self.retry_contention(|| self.process_queue_once(limit)).await
    }

    /// Claims queued events for this transaction (by contact on PostgreSQL; see
    /// `store::queue::claim`).
    async fn claim_events(&self, conn: &mut Conn, limit: i64) -> Result<Vec<QueuedRow>, Error> {
        Ok(store::queue::claim(conn, self.inner.backend, limit).await?)
    }

    /// Claims these events again (after a rolled-back attempt released them); those another
    /// process took meanwhile are left out.
    async fn reclaim_events(&self, conn: &mut Conn, rows: &[Queued]) -> Result<HashSet<i64>, Error> {
        let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
        Ok(store::queue::reclaim(conn, self.inner.backend, &ids).await?.into_iter().collect())
    }

    async fn process_queue_once(&self, limit: i64) -> Result<usize, Error> {
        let mut tx = self.begin().await?;
        self.pending_live().clear();
        let rows = self.claim_events(tx.conn(), limit).await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let claimed = rows.len();
        let mut queued = parse_rows(rows);
        let (wake, done) = match self.apply_all(tx.conn(), &queued).await {
            Ok(wake) => {
                for q in &queued {
                    if let Err(reason) = &q.parsed {
                        self.dead_letter(tx.conn(), q, reason).await?;
                    }
                }
                (wake, queued.iter().map(|q| q.id).collect::<Vec<_>>())
            }
            Err(e) if blame(&e, self.inner.backend) == Blame::Infrastructure => return Err(e),
            Err(e) => {
                self.pending_live().clear();
                // Something in the batch failed (a refusal, a constraint): nothing of the
                // batch is kept, not even the contacts and addresses it created in memory.
                // Start over, one event at a time under a savepoint each, so the event at
                // fault is told apart from the good ones and leaves no trace.
                tracing::info!(error = %e, "batch failed; processing its events one by one");
                // Rolled back now, not when the connection is next used: until then its row
                // and contact locks would make the reclaim below skip every one of these events.
                let WriteTx { _guard: guard, tx: inner } = tx;
                if let Err(rollback) = store::rollback(inner).await {
                    tracing::warn!(error = %rollback, "rolling back the failed batch failed");
                }
                drop(guard);
                tx = self.begin().await?;
                let still_ours = self.reclaim_events(tx.conn(), &queued).await?;
                queued.retain(|q| still_ours.contains(&q.id));
                self.apply_one_by_one(tx.conn(), &queued).await?
            }
        };
        store::queue::delete(tx.conn(), self.inner.backend, &done).await?;
        let committed = self.commit(tx).await;
        let changes = std::mem::take(&mut *self.pending_live());
        committed?;
        self.after_commit(wake.0, wake.1);
        self.announce(changes);
        Ok(claimed)
    }

    /// Applies every readable event in one batch. Any error fails the batch (the caller
    /// rolls it back): a refused event must leave no trace, and the batch's cache holds its
    /// changes (a new contact, an address) together with everyone else's.
    async fn apply_all(&self, conn: &mut Conn, queued: &[Queued]) -> Result<(OutboxLanes, bool), Error> {
        let events: Vec<(&EventKind, &Vec<Identifier>)> =
            queued.iter().filter_map(|q| q.parsed.as_ref().ok().map(|(k, v)| (k, v))).collect();
        let mut batch = Batch::new(self.batch_env(), conn);
        let addresses: Vec<(String, String)> = events
            .iter()
            .filter_map(|(e, _)| match e.contact() {
                Some(ContactRef::Address { channel, address }) => Some((channel.clone(), address.clone())),
                _ => None,
            })
            .collect();
        batch.cache.prefetch_addresses(batch.conn, &addresses).await?;
        let identifiers: Vec<Identifier> = events.iter().flat_map(|(_, v)| v.iter().cloned()).collect();
        batch.cache.prefetch_identifiers(batch.conn, &identifiers).await?;
        let mut ids: Vec<i64> = Vec::with_capacity(events.len());
        for (e, _) in &events {
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
        for (kind, verified) in events {
            batch.apply_event(kind.clone(), verified).await?;
            batch.drain().await?;
        }
        batch.finish().await?;
        self.announce_later(batch.cache.changes());
        Ok((batch.wake_outbox, batch.wake_timers))
    }

    /// Applies the events one at a time, each under a savepoint. Returns the wake-ups and
    /// the ids of the queue rows that are done with (applied or dead-lettered).
    ///
    /// An event that fails for a reason of its own (a refusal, a data error) is rolled back
    /// and moved to the dead letters at once. One that fails otherwise, though its savepoint
    /// could be rolled back (so the connection is fine), is counted an attempt and stays
    /// queued, and the same contact's later events wait behind it so they keep their order;
    /// after [`MAX_ATTEMPTS`] it is dead-lettered too. Other contacts' events go on either way.
    /// A lost connection is nobody's fault: the whole transaction fails and is tried again.
    async fn apply_one_by_one(
        &self,
        conn: &mut Conn,
        queued: &[Queued],
    ) -> Result<((OutboxLanes, bool), Vec<i64>), Error> {
        let (mut wake_outbox, mut wake_timers) = (OutboxLanes::NONE, false);
        let mut done = Vec::with_capacity(queued.len());
        let mut held_back: HashSet<&str> = HashSet::new();
        for q in queued {
            if q.contact_key.as_deref().is_some_and(|k| held_back.contains(k)) {
                continue;
            }
            let (kind, verified) = match &q.parsed {
                Ok(parsed) => parsed,
                Err(reason) => {
                    self.dead_letter(conn, q, reason).await?;
                    done.push(q.id);
                    continue;
                }
            };
            store::queue::savepoint(conn).await?;
            let mut batch = Batch::new(self.batch_env(), &mut *conn);
            let result = async {
                batch.apply_event(kind.clone(), verified).await?;
                batch.finish().await
            }
            .await;
            let (outbox, timers) = (batch.wake_outbox, batch.wake_timers);
            let changes = batch.cache.changes();
            let e = match result {
                Ok(()) => {
                    store::queue::release_savepoint(conn).await?;
                    wake_outbox |= outbox;
                    wake_timers |= timers;
                    self.announce_later(changes);
                    done.push(q.id);
                    continue;
                }
                Err(e) => e,
            };
            let blamed = blame(&e, self.inner.backend);
            if blamed == Blame::Infrastructure {
                return Err(e);
            }
            // If even the rollback fails, the connection is gone: the original error says why.
            if store::queue::rollback_to_savepoint(conn).await.is_err() {
                return Err(e);
            }
            store::queue::release_savepoint(conn).await?;
            let attempts = q.attempts + 1;
            if blamed == Blame::Event {
                // Refused at once: only earlier tries that failed for an unclear reason count.
                self.dead_letter(conn, q, &e.to_string()).await?;
                done.push(q.id);
            } else if attempts >= MAX_ATTEMPTS {
                let reason = format!("failed {attempts} times; the last time: {e}");
                self.dead_letter(conn, &Queued { attempts, ..q.clone() }, &reason).await?;
                done.push(q.id);
            } else {
                tracing::warn!(source = %q.source, event = q.event_id.as_deref().unwrap_or(""), attempts,
                    error = %e, "event failed; it is tried again, and the contact's later events wait behind it");
                store::queue::record_attempt(conn, q.id, attempts, &scrub(&e.to_string())).await?;
                if let Some(key) = q.contact_key.as_deref() {
                    held_back.insert(key);
                }
            }
        }
        Ok(((wake_outbox, wake_timers), done))
    }

    /// Moves a queued event to the dead letters (`event_failures`) with the reason.
    async fn dead_letter(&self, conn: &mut Conn, q: &Queued, reason: &str) -> Result<(), Error> {
        tracing::warn!(source = %q.source, event = q.event_id.as_deref().unwrap_or(""), error = %reason,
            "event moved to the dead letters");
        let error = scrub(reason);
        let letter = store::dead_letters::NewDeadLetter {
            source: &q.source,
            event_id: q.event_id.as_deref(),
            body: &q.body,
            error: &error,
            failed_at: self.now_ms(),
            verified: q.verified.as_deref(),
            attempts: q.attempts,
        };
        store::dead_letters::insert(conn, letter).await?;
        Ok(())
    }

    /// Processes events just accepted, in the transaction that accepts them, when that is as
    /// good as queueing them: on SQLite (one writer, so nobody processes a contact's events
    /// meanwhile), in the engine whose loops perform the outbox (`Options::process_on_accept`),
    /// and with the queue idle (nothing of anyone's waits to go first). Under a
    /// savepoint: `None` (nothing kept) when they must be queued after all — the queue is not
    /// idle, or one of them fails, which the queue's loop then handles as usual (blame, dead
    /// letters, attempts). The changes to announce are kept for after the commit.
    pub(super) async fn process_accepted(
        &self,
        conn: &mut Conn,
        events: &[&super::events::Event],
    ) -> Result<Option<(OutboxLanes, bool)>, Error> {
        let here = self.inner.process_on_accept.unwrap_or_else(|| self.inner.background.load(Ordering::SeqCst));
        if self.inner.backend != store::Backend::Sqlite
            || !here
            || events.is_empty()
            || !store::queue::is_idle(conn).await?
        {
            return Ok(None);
        }
        self.pending_live().clear();
        let queued: Vec<Queued> = events
            .iter()
            .map(|e| Queued {
                id: 0,
                source: e.source.clone(),
                event_id: e.id.clone(),
                body: String::new(),
                verified: None,
                contact_key: None,
                attempts: 0,
                parsed: Ok((e.kind.clone(), e.verified.clone())),
            })
            .collect();
        store::queue::savepoint(conn).await?;
        match self.apply_all(conn, &queued).await {
            Ok(wake) => {
                store::queue::release_savepoint(conn).await?;
                Ok(Some(wake))
            }
            Err(e) if blame(&e, self.inner.backend) == Blame::Infrastructure => Err(e),
            Err(e) => {
                tracing::debug!(error = %e, "events processed at once failed; queued instead");
                self.pending_live().clear();
                store::queue::rollback_to_savepoint(conn).await?;
                store::queue::release_savepoint(conn).await?;
                Ok(None)
            }
        }
    }

    /// Takes the changes a transaction of [`Engine::process_accepted`] kept, to announce.
    pub(super) fn take_pending_live(&self) -> Vec<super::LiveEvent> {
        std::mem::take(&mut *self.pending_live())
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
        Ok(store::queue::depth(&self.inner.pool).await?)
    }
}

/// Tries of an event that fails for a reason neither its own nor the connection's before it
/// is moved to the dead letters.
pub const MAX_ATTEMPTS: i64 = 5;

/// A claimed queued event, as stored and as parsed (or why it cannot be read).
#[derive(Debug, Clone)]
struct Queued {
    id: i64,
    source: String,
    event_id: Option<String>,
    body: String,
    verified: Option<String>,
    contact_key: Option<String>,
    attempts: i64,
    parsed: Result<(EventKind, Vec<Identifier>), String>,
}

/// Parses claimed rows. A NUL character in a text (which PostgreSQL cannot store, and which
/// intake now refuses or replaces) becomes U+FFFD here too, so an event queued before that
/// rule is processed the same way on both backends instead of failing forever.
fn parse_rows(rows: Vec<QueuedRow>) -> Vec<Queued> {
    rows.into_iter()
        .map(|QueuedRow { id, source, event_id, body, verified, contact_key, attempts }| {
            let identifiers = match &verified {
                Some(v) => serde_json::from_str::<Vec<Identifier>>(v),
                None => Ok(Vec::new()),
            };
            let parsed = match (serde_json::from_str::<EventKind>(&body), identifiers) {
                (Ok(mut kind), Ok(identifiers)) => {
                    kind.replace_nul();
                    Ok((kind, identifiers))
                }
                (Err(e), _) | (_, Err(e)) => Err(format!("unreadable event: {e}")),
            };
            Queued { id, source, event_id, body, verified, contact_key, attempts, parsed }
        })
        .collect()
}

/// The key that orders a contact's queued events (see `claim_events`).
pub(super) fn contact_key(contact: &ContactRef) -> String {
    match contact {
        ContactRef::Id(id) => format!("id:{id}"),
        ContactRef::Address { channel, address } => format!("{channel}:{address}"),
    }
}

/// A text as PostgreSQL can store it (no NUL).
fn scrub(text: &str) -> String {
    text.replace('\0', "\u{FFFD}")
}

/// Whose fault an error in processing an event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Blame {
    /// The event's own: refused, or data the database will never take (SQLSTATE classes 22
    /// and 23; SQLite's constraint, mismatch and too-big errors). Dead-lettered at once.
    Event,
    /// Not known to be the event's, but seen while applying it alone with the connection
    /// intact: counted as an attempt, dead-lettered after [`MAX_ATTEMPTS`].
    Attempt,
    /// The connection, the server or a race (lost connection, shutdown, out of resources,
    /// deadlock, the crash hook): the transaction fails and is tried again; no event is blamed.
    Infrastructure,
}

fn blame(e: &Error, backend: store::Backend) -> Blame {
    match e {
        Error::Refused(_) | Error::NotFound(_) | Error::Invalid(_) | Error::Conflict { .. } | Error::Field(_) => {
            Blame::Event
        }
        Error::Crashed | Error::Injected(_) => Blame::Infrastructure,
        Error::Db(db) => match db.fault(backend) {
            Some(Fault::Data) => Blame::Event,
            Some(Fault::Infrastructure) => Blame::Infrastructure,
            // A decoding problem, an unclassified error: something about this event's data.
            Some(Fault::Unknown) | None => Blame::Attempt,
        },
    }
}
