//! `runs` and `run_journal` as listings and operators ask them, and [`RunStatus`], the words
//! `runs.status` stores, typed for every layer: the runs list, the runs a stop or cancel ends,
//! the counts by status, a run's retries. A run's row as the interpreter reads and writes it
//! is in `records.rs` and `cache/`.

use crate::{Conn, Error, Pool};

/// A run's status, as stored (`runs.status`) and as every layer above speaks of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Waiting,
    Completed,
    Failed,
    Cancelled,
    Exited,
}

impl RunStatus {
    /// Every status, in the order metrics list them.
    pub const ALL: [RunStatus; 6] = [
        RunStatus::Running,
        RunStatus::Waiting,
        RunStatus::Completed,
        RunStatus::Failed,
        RunStatus::Cancelled,
        RunStatus::Exited,
    ];

    /// The word stored in `runs.status` (and said by the API).
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Waiting => "waiting",
            RunStatus::Completed => "completed",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
            RunStatus::Exited => "exited",
        }
    }

    /// Running or waiting: the run is not over.
    pub fn is_under_way(self) -> bool {
        matches!(self, RunStatus::Running | RunStatus::Waiting)
    }
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for RunStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<RunStatus, String> {
        RunStatus::ALL.into_iter().find(|status| status.as_str() == s).ok_or_else(|| format!("`{s}` is no run status"))
    }
}

impl TryFrom<String> for RunStatus {
    type Error = String;
    fn try_from(s: String) -> Result<RunStatus, String> {
        s.parse()
    }
}

/// Compares with the stored word (what tests and the API's readers see); building a status
/// from a word goes through [`str::parse`], which can fail.
impl PartialEq<&str> for RunStatus {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// Which runs to list (`None`: any).
#[derive(Debug, Clone, Copy, Default)]
pub struct ListFilter<'a> {
    pub workflow: Option<&'a str>,
    pub version: Option<i64>,
    pub contact: Option<i64>,
    pub status: Option<RunStatus>,
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
    #[sqlx(try_from = "String")]
    pub status: RunStatus,
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
    .bind(f.status.map(RunStatus::as_str))
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
    status: Option<RunStatus>,
) -> Result<Vec<i64>, Error> {
    let status = status.map(RunStatus::as_str);
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
    #[sqlx(try_from = "String")]
    pub status: RunStatus,
    pub count: i64,
}

/// How many runs have each status.
pub async fn count_by_status(pool: &Pool) -> Result<Vec<StatusCount>, Error> {
    Ok(sqlx::query_as("SELECT status, COUNT(*) AS count FROM runs GROUP BY status").fetch_all(pool).await?)
}
