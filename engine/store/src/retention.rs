//! History past its retention, deleted a page at a time: finished outbox rows, ended runs
//! with their journals, transcript lines, expired idempotency keys and delivery statuses that
//! never found their message. How long each is kept, and when pruning runs, are the runtime's
//! (`engine/runtime/src/retention.rs`). Each function deletes at most `page` rows of its kind
//! (oldest first) and returns how many it deleted, so a caller's transaction stays short.

use crate::{Backend, Conn, Error, Sql};

/// Deletes up to `page` outbox rows performed (`done`) or given up (`dead`) before `cutoff`.
/// Pending rows and rows whose outcome is `unknown` (they wait for an operator) are kept.
pub async fn outbox_finished(c: &mut Conn, cutoff: i64, page: i64) -> Result<u64, Error> {
    Ok(sqlx::query(
        "DELETE FROM outbox WHERE id IN
             (SELECT id FROM outbox WHERE status IN ('done', 'dead') AND done_at < $1 ORDER BY done_at LIMIT $2)",
    )
    .bind(cutoff)
    .bind(page)
    .execute(&mut *c)
    .await?
    .rows_affected())
}

/// What pruning a page of ended runs deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunsPruned {
    pub runs: u64,
    pub journal: u64,
}

/// Deletes up to `page` runs that ended (completed, failed, cancelled, exited) before
/// `cutoff`, with their journals. A run that is running or waiting is never touched.
pub async fn runs_ended(c: &mut Conn, backend: Backend, cutoff: i64, page: i64) -> Result<RunsPruned, Error> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM runs WHERE ended_at IS NOT NULL AND ended_at < $1 AND status NOT IN ('running', 'waiting')
         ORDER BY ended_at LIMIT $2",
    )
    .bind(cutoff)
    .bind(page)
    .fetch_all(&mut *c)
    .await?;
    let mut pruned = RunsPruned::default();
    for chunk in ids.chunks(400) {
        for (table, column) in [("run_journal", "run_id"), ("runs", "id")] {
            let mut q = Sql::new(backend, format!("DELETE FROM {table} WHERE {column} IN ("));
            let mut sep = q.separated(", ");
            for id in chunk {
                sep.push_bind(*id);
            }
            q.push(")");
            let n = q.build().execute(&mut *c).await?.rows_affected();
            match table {
                "runs" => pruned.runs += n,
                _ => pruned.journal += n,
            }
        }
    }
    Ok(pruned)
}

/// Deletes up to `page` transcript lines (`messages`) written before `cutoff`, except
/// outbound ones not yet settled (`pending`, `unknown`): the outbox still reports on those.
pub async fn messages(c: &mut Conn, cutoff: i64, page: i64) -> Result<u64, Error> {
    Ok(sqlx::query(
        "DELETE FROM messages WHERE id IN
             (SELECT id FROM messages WHERE created_at < $1 AND status NOT IN ('pending', 'unknown')
              ORDER BY created_at LIMIT $2)",
    )
    .bind(cutoff)
    .bind(page)
    .execute(&mut *c)
    .await?
    .rows_affected())
}

/// Deletes up to `page` of the API's idempotency keys made before `cutoff`.
pub async fn idempotency_keys(c: &mut Conn, cutoff: i64, page: i64) -> Result<u64, Error> {
    Ok(sqlx::query(
        "DELETE FROM idempotency_keys WHERE (token_id, idempotency_key) IN
             (SELECT token_id, idempotency_key FROM idempotency_keys WHERE created_at < $1 LIMIT $2)",
    )
    .bind(cutoff)
    .bind(page)
    .execute(&mut *c)
    .await?
    .rows_affected())
}

/// Deletes up to `page` parked delivery statuses received before `cutoff` (their message
/// never became known: a status for a message of another system, or one long gone).
pub async fn parked_statuses(c: &mut Conn, cutoff: i64, page: i64) -> Result<u64, Error> {
    Ok(sqlx::query(
        "DELETE FROM channel_statuses WHERE (channel, external_id, status) IN
             (SELECT channel, external_id, status FROM channel_statuses WHERE received_at < $1 LIMIT $2)",
    )
    .bind(cutoff)
    .bind(page)
    .execute(&mut *c)
    .await?
    .rows_affected())
}
