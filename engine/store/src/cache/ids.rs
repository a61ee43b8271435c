//! Ids and locks of the unit of work: new contacts, conversations and runs get their ids here
//! (`MAX(id) + 1` under SQLite's writer lock, blocks drawn from sequences on PostgreSQL), and on
//! PostgreSQL the transaction takes each contact's (and the agent roster's) advisory lock
//! before reading its rows.

use super::{Cache, CHUNK};
use crate::Error;
use crate::{Backend, Conn, Sql};

/// The tables whose ids the cache hands out.
#[derive(Debug, Clone, Copy)]
pub(super) enum IdKind {
    Contact,
    Conversation,
    Run,
}

impl IdKind {
    fn table(self) -> &'static str {
        match self {
            IdKind::Contact => "contacts",
            IdKind::Conversation => "conversations",
            IdKind::Run => "runs",
        }
    }
}

/// Ids not yet used, per kind (`contacts`, `conversations`, `runs`).
#[derive(Debug, Default)]
pub(super) struct NextIds {
    /// SQLite: the next id of each kind (the writer lock makes `MAX(id) + 1` safe).
    next: Option<[i64; 3]>,
    /// PostgreSQL: ids drawn from each table's sequence in blocks, so processes sharing the
    /// database never hand out the same one.
    drawn: [Vec<i64>; 3],
}

/// The advisory lock key of the agent roster (assignment counters); contacts use their id.
pub(super) const AGENTS_LOCK: i64 = -1;

/// Ids drawn from a PostgreSQL sequence at a time.
const ID_BLOCK: i64 = 32;

impl Cache {
    pub(super) async fn next_id(&mut self, c: &mut Conn, kind: IdKind) -> Result<i64, Error> {
        let k = kind as usize;
        if Backend::of_conn(c) == Backend::Postgres {
            if self.next_ids.drawn[k].is_empty() {
                let mut ids: Vec<i64> =
                    sqlx::query_scalar("SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2)")
                        .bind(kind.table())
                        .bind(ID_BLOCK)
                        .fetch_all(&mut *c)
                        .await?;
                ids.reverse();
                self.next_ids.drawn[k] = ids;
            }
            return self.next_ids.drawn[k].pop().ok_or_else(|| Error::Refused("id allocation failed".into()));
        }
        if self.next_ids.next.is_none() {
            let (contact, conversation, run): (i64, i64, i64) = sqlx::query_as(
                "SELECT (SELECT COALESCE(MAX(id), 0) FROM contacts), (SELECT COALESCE(MAX(id), 0) FROM conversations),
                        (SELECT COALESCE(MAX(id), 0) FROM runs)",
            )
            .fetch_one(&mut *c)
            .await?;
            self.next_ids.next = Some([contact + 1, conversation + 1, run + 1]);
        }
        let next = self.next_ids.next.as_mut().ok_or_else(|| Error::Refused("id allocation failed".into()))?;
        let id = next[k];
        next[k] += 1;
        Ok(id)
    }

    /// PostgreSQL: takes the transaction's advisory lock of each key not held yet (a
    /// contact id, or [`AGENTS_LOCK`]), in key order. Every read of a contact's rows goes
    /// after its lock, so two processes never change one contact at once: the second waits
    /// for the first to commit and then reads what it wrote. A wait that closes a cycle is
    /// broken by PostgreSQL's deadlock detector and the transaction retried (see
    /// `Error::is_contention`). SQLite has one writer and needs none of this.
    pub(super) async fn lock(&mut self, c: &mut Conn, keys: &[i64]) -> Result<(), Error> {
        if Backend::of_conn(c) != Backend::Postgres {
            return Ok(());
        }
        let mut todo: Vec<i64> = keys.iter().copied().filter(|k| !self.locked.contains(k)).collect();
        if todo.is_empty() {
            return Ok(());
        }
        todo.sort_unstable();
        todo.dedup();
        for chunk in todo.chunks(CHUNK) {
            let mut q = Sql::new(Backend::of_conn(c), "SELECT v.id, pg_advisory_xact_lock(v.id)::text FROM (VALUES ");
            let mut sep = q.separated(", ");
            for key in chunk {
                sep.push("(").push_bind_unseparated(*key).push_unseparated("::bigint)");
            }
            q.push(") AS v(id) ORDER BY v.id");
            let _: Vec<(i64, String)> = q.build_query_as().fetch_all(&mut *c).await?;
        }
        self.locked.extend(todo);
        Ok(())
    }
}
