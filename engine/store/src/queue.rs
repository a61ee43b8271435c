//! `event_queue`: events accepted and waiting to be processed — the bulk insert, the claim
//! (by contact on PostgreSQL), attempts and removal. Group commit, blame and dead-lettering
//! are the runtime's rules (`engine/runtime/src/queue.rs`); this file only reads and writes
//! rows.

use crate::{Backend, Conn, Error, Pool, Sql};

/// The advisory lock space (first key of the two-key form) of contacts' queued events.
const EVENT_KEY_LOCKS: i32 = 7;

/// Rows per multi-row statement.
const CHUNK: usize = 400;

/// An event to queue.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub source: String,
    /// The sender's id, if it gave one.
    pub event_id: Option<String>,
    /// The event, as JSON text.
    pub body: String,
    /// The key ordering a contact's events (`None`: the event is about no contact).
    pub contact_key: Option<String>,
    /// The channel-verified identifiers, as JSON text.
    pub verified: Option<String>,
}

/// Queues events (a statement per chunk).
pub async fn insert(c: &mut Conn, backend: Backend, events: &[NewEvent], received_at: i64) -> Result<(), Error> {
    for chunk in events.chunks(CHUNK) {
        let mut q =
            Sql::new(backend, "INSERT INTO event_queue (source, event_id, body, received_at, contact_key, verified) ");
        q.push_values(chunk.iter(), |mut b, e| {
            b.push_bind(e.source.clone())
                .push_bind(e.event_id.clone())
                .push_bind(e.body.clone())
                .push_bind(received_at)
                .push_bind(e.contact_key.clone())
                .push_bind(e.verified.clone());
        });
        q.build().execute(&mut *c).await?;
    }
    Ok(())
}

/// A claimed `event_queue` row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueuedRow {
    pub id: i64,
    pub source: String,
    pub event_id: Option<String>,
    pub body: String,
    pub verified: Option<String>,
    pub contact_key: Option<String>,
    pub attempts: i64,
}

/// Claims queued events for this transaction. SQLite (one process) takes them in order.
/// On PostgreSQL, processes share the queue by contact: among the oldest events, this
/// transaction takes the advisory lock of up to `limit` contacts that no other process
/// holds (`pg_try_advisory_xact_lock`, never waiting) and claims those contacts' events
/// (and events about no contact) with `FOR UPDATE SKIP LOCKED`. A contact's events are
/// so handled in order and by one process at a time; a process that dies releases its
/// locks and claims with its transaction.
pub async fn claim(c: &mut Conn, backend: Backend, limit: i64) -> Result<Vec<QueuedRow>, Error> {
    let rows = match backend {
        Backend::Sqlite => sqlx::query_as(
            "SELECT id, source, event_id, body, verified, contact_key, attempts FROM event_queue ORDER BY id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&mut *c)
        .await?,
        Backend::Postgres => {
            sqlx::query_as(
                "WITH window_ AS MATERIALIZED (
                     SELECT id, contact_key FROM event_queue ORDER BY id LIMIT $1),
                 mine AS MATERIALIZED (
                     SELECT contact_key FROM (
                         SELECT contact_key, MIN(id) AS first FROM window_ WHERE contact_key IS NOT NULL
                         GROUP BY contact_key ORDER BY first) AS keys
                     WHERE pg_try_advisory_xact_lock($2, hashtext(contact_key)) LIMIT $3)
                 SELECT e.id, e.source, e.event_id, e.body, e.verified, e.contact_key, e.attempts FROM event_queue e
                 WHERE e.id IN (SELECT id FROM window_ w
                                WHERE w.contact_key IS NULL OR w.contact_key IN (SELECT contact_key FROM mine))
                 ORDER BY e.id FOR UPDATE SKIP LOCKED",
            )
            .bind(limit * 4)
            .bind(EVENT_KEY_LOCKS)
            .bind(limit)
            .fetch_all(&mut *c)
            .await?
        }
    };
    Ok(rows)
}

/// Claims these events again (after a rolled-back attempt released them); returns those
/// still queued and not taken by another process meanwhile.
pub async fn reclaim(c: &mut Conn, backend: Backend, ids: &[i64]) -> Result<Vec<i64>, Error> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let mut q = Sql::new(backend, "SELECT id FROM event_queue WHERE id IN (");
        let mut sep = q.separated(", ");
        for id in chunk {
            sep.push_bind(*id);
        }
        q.push(")").push(backend.skip_locked());
        let found: Vec<i64> = q.build_query_scalar().fetch_all(&mut *c).await?;
        out.extend(found);
    }
    Ok(out)
}

/// Removes processed (or dead-lettered) events.
pub async fn delete(c: &mut Conn, backend: Backend, ids: &[i64]) -> Result<(), Error> {
    for chunk in ids.chunks(CHUNK) {
        let mut q = Sql::new(backend, "DELETE FROM event_queue WHERE id IN (");
        let mut sep = q.separated(", ");
        for id in chunk {
            sep.push_bind(*id);
        }
        q.push(")");
        q.build().execute(&mut *c).await?;
    }
    Ok(())
}

/// Records a failed attempt at an event that stays queued.
pub async fn record_attempt(c: &mut Conn, id: i64, attempts: i64, error: &str) -> Result<(), Error> {
    sqlx::query("UPDATE event_queue SET attempts = $1, last_error = $2 WHERE id = $3")
        .bind(attempts)
        .bind(error)
        .bind(id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Whether no event waits (in this transaction's view).
pub async fn is_idle(c: &mut Conn) -> Result<bool, Error> {
    let waiting: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT 1 FROM event_queue LIMIT 1) AS one")
        .fetch_one(&mut *c)
        .await?;
    Ok(waiting == 0)
}

/// How many events wait.
pub async fn depth(pool: &Pool) -> Result<i64, Error> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM event_queue").fetch_one(pool).await?)
}

/// When the oldest waiting event was received, if any.
pub async fn oldest_received(pool: &Pool) -> Result<Option<i64>, Error> {
    Ok(sqlx::query_scalar("SELECT MIN(received_at) FROM event_queue").fetch_one(pool).await?)
}

/// A savepoint around one event of a batch (`event`), so a failing event leaves no trace.
pub async fn savepoint(c: &mut Conn) -> Result<(), Error> {
    sqlx::query("SAVEPOINT event").execute(&mut *c).await?;
    Ok(())
}

/// Keeps what was done since [`savepoint`].
pub async fn release_savepoint(c: &mut Conn) -> Result<(), Error> {
    sqlx::query("RELEASE SAVEPOINT event").execute(&mut *c).await?;
    Ok(())
}

/// Undoes what was done since [`savepoint`] (the savepoint stays, to be released).
pub async fn rollback_to_savepoint(c: &mut Conn) -> Result<(), Error> {
    sqlx::query("ROLLBACK TO SAVEPOINT event").execute(&mut *c).await?;
    Ok(())
}
