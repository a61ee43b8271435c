//! `runs` and `run_journal` as listings and operators ask them: the runs list, the runs a
//! stop or cancel ends, the counts by status, a run's retries. A run's row as the
//! interpreter reads and writes it is in `records.rs` and `cache.rs`.

use crate::{Conn, Error, Pool};

/// Which runs to list (`None`: any).
#[derive(Debug, Clone, Copy, Default)]
pub struct ListFilter<'a> {
    pub workflow: Option<&'a str>,
    pub version: Option<i64>,
    pub contact: Option<i64>,
    pub status: Option<&'a str>,
    /// Include the editor's test-chat runs (version 0 and below).
    pub test: bool,
}

/// A run as the runs list shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ListedRun {
    pub id: i64,
    pub workflow_id: String,
    pub version: i64,
    pub contact_id: i64,
    pub status: String,
    pub step: Option<String>,
    pub wait_kind: Option<String>,
    pub due_at: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
}

/// Up to `limit` runs matching `f`, newest first, older than the run `before` when given.
pub async fn list(pool: &Pool, f: ListFilter<'_>, before: Option<i64>, limit: i64) -> Result<Vec<ListedRun>, Error> {
    Ok(sqlx::query_as(
        "SELECT id, workflow_id, version, contact_id, status, step, wait_kind, due_at, last_error, created_at
         FROM runs
         WHERE ($1 IS NULL OR workflow_id = $1) AND ($2 IS NULL OR version = $2) AND ($3 IS NULL OR contact_id = $3)
           AND ($4 IS NULL OR status = $4) AND ($5 = 1 OR version > 0) AND ($6 IS NULL OR id < $6)
         ORDER BY id DESC LIMIT $7",
    )
    .bind(f.workflow)
    .bind(f.version)
    .bind(f.contact)
    .bind(f.status)
    .bind(i64::from(f.test))
    .bind(before)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// The ids of the runs of `workflow` under way (running or waiting).
pub async fn under_way_of_workflow(c: &mut Conn, workflow: &str) -> Result<Vec<i64>, Error> {
    Ok(sqlx::query_scalar("SELECT id FROM runs WHERE workflow_id = $1 AND status IN ('running', 'waiting')")
        .bind(workflow)
        .fetch_all(&mut *c)
        .await?)
}

/// The ids of the runs of `workflow` under way, optionally only of one version and status.
pub async fn under_way_matching(
    c: &mut Conn,
    workflow: &str,
    version: Option<i64>,
    status: Option<&str>,
) -> Result<Vec<i64>, Error> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM runs WHERE workflow_id = $1 AND ($2 IS NULL OR version = $3) AND ($4 IS NULL OR status = $5)
           AND status IN ('running', 'waiting')",
    )
    .bind(workflow)
    .bind(version)
    .bind(version)
    .bind(status)
    .bind(status)
    .fetch_all(&mut *c)
    .await?)
}

/// How many times the run `run_id` was retried (its `retry` journal entries).
pub async fn retries(c: &mut Conn, run_id: i64) -> Result<i64, Error> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM run_journal WHERE run_id = $1 AND kind = 'retry'")
        .bind(run_id)
        .fetch_one(&mut *c)
        .await?)
}

/// How many runs have each status.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StatusCount {
    pub status: String,
    pub count: i64,
}

/// How many runs have each status.
pub async fn count_by_status(pool: &Pool) -> Result<Vec<StatusCount>, Error> {
    Ok(sqlx::query_as("SELECT status, COUNT(*) AS count FROM runs GROUP BY status").fetch_all(pool).await?)
}
