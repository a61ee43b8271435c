//! `outbox`: the messages and HTTP calls runs decided on, waiting to be performed — their
//! leases (claim, renew, reap, fence), outcomes and retries. What to perform and when to
//! retry are the runtime's rules (`engine/runtime/src/outbox.rs`, `outbox_pool.rs`); this
//! file only reads and writes rows.

use crate::{Backend, Conn, Error, Pool, Sql};

/// A leased outbox row, as the outbox workers perform it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LeasedRow {
    pub id: i64,
    pub run_id: Option<i64>,
    pub contact_id: Option<i64>,
    /// `message` or `http`.
    pub kind: String,
    pub idempotency_key: String,
    /// The effect, as JSON text.
    pub payload: String,
    /// 0: nobody waits; 1: the run waits for the outcome; 2: only a failure concerns it.
    pub awaited: i64,
    pub token: i64,
    pub attempts: i64,
    pub lease_epoch: i64,
    pub progress: i64,
}

/// Leases up to `limit` due rows (of `kind`, or any when empty) to `worker` until
/// `lease_until`, each with a new epoch; returns them oldest first. A contact's messages go
/// out in order: a row waits while an earlier message to the same contact is still pending
/// and backing off after a failure, or is in flight. On PostgreSQL, rows another process is
/// claiming at this moment are skipped, not waited for.
pub async fn claim(
    c: &mut Conn,
    backend: Backend,
    worker: &str,
    now: i64,
    lease_until: i64,
    limit: i64,
    kind: &str,
) -> Result<Vec<LeasedRow>, Error> {
    let sql = format!(
        "UPDATE outbox SET lease_owner = $1, lease_until = $2, lease_epoch = lease_epoch + 1
         WHERE id IN (
           SELECT id FROM outbox o
           WHERE status = 'pending' AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until < $3)
             AND ($5 = '' OR kind = $5)
             AND NOT (kind = 'message' AND EXISTS (
                 SELECT 1 FROM outbox e WHERE e.status = 'pending' AND e.kind = 'message'
                   AND e.contact_id = o.contact_id AND e.id < o.id
                   AND (e.next_attempt_at > $3 OR e.lease_until >= $3)))
           ORDER BY id LIMIT $4{})
         RETURNING id, run_id, contact_id, kind, idempotency_key, payload, awaited, token, attempts, lease_epoch, progress",
        backend.skip_locked()
    );
    let mut rows: Vec<LeasedRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(worker)
        .bind(lease_until)
        .bind(now)
        .bind(limit)
        .bind(kind)
        .fetch_all(&mut *c)
        .await?;
    // RETURNING does not promise an order; messages to one contact must keep theirs.
    rows.sort_by_key(|r| r.id);
    Ok(rows)
}

/// Extends `worker`'s live leases to `lease_until`.
pub async fn renew_leases(c: &mut Conn, worker: &str, now: i64, lease_until: i64) -> Result<(), Error> {
    sqlx::query(
        "UPDATE outbox SET lease_until = $1 WHERE lease_owner = $2 AND status = 'pending' AND lease_until >= $3",
    )
    .bind(lease_until)
    .bind(worker)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Frees the leases that ran out before `now`; returns how many.
pub async fn free_expired_leases(c: &mut Conn, now: i64) -> Result<u64, Error> {
    Ok(sqlx::query(
        "UPDATE outbox SET lease_owner = NULL, lease_until = NULL
         WHERE status = 'pending' AND lease_until IS NOT NULL AND lease_until < $1",
    )
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected())
}

/// Frees every lease (an SQLite store has one process: leases of an earlier life are void).
pub async fn free_all_leases(c: &mut Conn) -> Result<(), Error> {
    sqlx::query(
        "UPDATE outbox SET lease_owner = NULL, lease_until = NULL WHERE status = 'pending' AND lease_owner IS NOT NULL",
    )
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Frees the leases `worker` holds; returns how many.
pub async fn free_leases_of(c: &mut Conn, worker: &str) -> Result<u64, Error> {
    Ok(sqlx::query(
        "UPDATE outbox SET lease_owner = NULL, lease_until = NULL WHERE status = 'pending' AND lease_owner = $1",
    )
    .bind(worker)
    .execute(&mut *c)
    .await?
    .rows_affected())
}

/// Ends the leases of `worker` on these rows (id, epoch) where the row still carries the
/// epoch; returns the ids whose lease was still ours.
pub async fn fence(c: &mut Conn, backend: Backend, worker: &str, rows: &[(i64, i64)]) -> Result<Vec<i64>, Error> {
    let mut kept = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(200) {
        let mut q = Sql::new(
            backend,
            "UPDATE outbox SET lease_owner = NULL, lease_until = NULL WHERE status = 'pending' AND lease_owner = ",
        );
        q.push_bind(worker.to_owned()).push(" AND (");
        let mut sep = q.separated(" OR ");
        for (id, epoch) in chunk {
            sep.push("(id = ").push_bind_unseparated(*id);
            sep.push_unseparated(" AND lease_epoch = ").push_bind_unseparated(*epoch).push_unseparated(")");
        }
        q.push(") RETURNING id");
        let ids: Vec<i64> = q.build_query_scalar().fetch_all(&mut *c).await?;
        kept.extend(ids);
    }
    Ok(kept)
}

/// Counts a failed attempt and sets when the row is tried again.
pub async fn retry_at(c: &mut Conn, id: i64, next_attempt_at: i64, reason: &str, progress: i64) -> Result<(), Error> {
    sqlx::query(
        "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1, last_error = $2, progress = $3
         WHERE id = $4",
    )
    .bind(next_attempt_at)
    .bind(reason)
    .bind(progress)
    .bind(id)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Gives a row up (`dead`): it will not be tried again.
pub async fn mark_dead(c: &mut Conn, id: i64, reason: &str, now: i64) -> Result<(), Error> {
    sqlx::query(
        "UPDATE outbox SET status = 'dead', attempts = attempts + 1, last_error = $1, done_at = $2 WHERE id = $3",
    )
    .bind(reason)
    .bind(now)
    .bind(id)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Marks a row whose outcome is unknown (`unknown`): not tried again unless resent.
pub async fn mark_unknown(c: &mut Conn, id: i64, reason: &str, progress: i64, now: i64) -> Result<(), Error> {
    sqlx::query(
        "UPDATE outbox SET status = 'unknown', attempts = attempts + 1, last_error = $1, progress = $2,
           done_at = $3 WHERE id = $4",
    )
    .bind(reason)
    .bind(progress)
    .bind(now)
    .bind(id)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Marks rows performed (`done`) in one statement per chunk.
pub async fn mark_done(c: &mut Conn, backend: Backend, ids: &[i64], now: i64) -> Result<(), Error> {
    for chunk in ids.chunks(400) {
        let mut q = Sql::new(backend, "UPDATE outbox SET status = 'done', attempts = attempts + 1, done_at = ");
        q.push_bind(now).push(" WHERE id IN (");
        let mut sep = q.separated(", ");
        for id in chunk {
            sep.push_bind(*id);
        }
        q.push(")");
        q.build().execute(&mut *c).await?;
    }
    Ok(())
}

/// Puts the row with `key` whose outcome is unknown back to pending (nobody waits for it);
/// returns its id, or `None` if there is no such row.
pub async fn requeue_unknown(c: &mut Conn, key: &str, now: i64) -> Result<Option<i64>, Error> {
    Ok(sqlx::query_scalar(
        "UPDATE outbox SET status = 'pending', awaited = 0, next_attempt_at = $1, done_at = NULL,
           lease_owner = NULL, lease_until = NULL
         WHERE idempotency_key = $2 AND status = 'unknown' RETURNING id",
    )
    .bind(now)
    .bind(key)
    .fetch_optional(&mut *c)
    .await?)
}

/// When the next pending row is due, if any.
pub async fn next_due(pool: &Pool) -> Result<Option<i64>, Error> {
    Ok(sqlx::query_scalar("SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'pending'").fetch_one(pool).await?)
}

/// When the next pending row backing off after a failure (due after `now`) is due, if any.
pub async fn next_retry(pool: &Pool, now: i64) -> Result<Option<i64>, Error> {
    Ok(sqlx::query_scalar("SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'pending' AND next_attempt_at > $1")
        .bind(now)
        .fetch_one(pool)
        .await?)
}

/// When the oldest row that is due and claimable (not in flight) became due, if any.
pub async fn oldest_claimable(pool: &Pool, now: i64) -> Result<Option<i64>, Error> {
    // Due, not in flight, and not held back behind an earlier message to the same contact
    // that is in flight or backing off (those wait by design; see `claim`).
    Ok(sqlx::query_scalar(
        "SELECT MIN(next_attempt_at) FROM outbox o
         WHERE status = 'pending' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until < $1)
           AND NOT (kind = 'message' AND EXISTS (
               SELECT 1 FROM outbox e WHERE e.status = 'pending' AND e.kind = 'message'
                 AND e.contact_id = o.contact_id AND e.id < o.id
                 AND (e.next_attempt_at > $1 OR e.lease_until >= $1)))",
    )
    .bind(now)
    .fetch_one(pool)
    .await?)
}

/// An idempotency key of a run's effect: from its outbox row (with the row's status) or
/// from a message line that still carries it (status `None`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EffectKey {
    pub idempotency_key: String,
    pub status: Option<String>,
}

/// Every effect key a run's outbox rows and messages carry.
pub async fn effect_keys_of_run(c: &mut Conn, run_id: i64) -> Result<Vec<EffectKey>, Error> {
    Ok(sqlx::query_as(
        "SELECT idempotency_key, status FROM outbox WHERE run_id = $1
         UNION ALL SELECT idempotency_key, NULL FROM messages WHERE run_id = $1 AND idempotency_key IS NOT NULL",
    )
    .bind(run_id)
    .fetch_all(&mut *c)
    .await?)
}

/// Frees an effect key for reuse: its outbox row goes, its message line keeps no key.
pub async fn give_up_key(c: &mut Conn, key: &str) -> Result<(), Error> {
    sqlx::query("DELETE FROM outbox WHERE idempotency_key = $1").bind(key).execute(&mut *c).await?;
    sqlx::query("UPDATE messages SET idempotency_key = NULL WHERE idempotency_key = $1")
        .bind(key)
        .execute(&mut *c)
        .await?;
    Ok(())
}
