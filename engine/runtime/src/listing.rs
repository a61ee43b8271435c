//! Lists read a page at a time: a [`Page`] is at most `limit` items after a sort key, and the
//! sort key of its last item when more follow. Keyset pagination (not `OFFSET`): a page costs
//! the same however deep it is, and rows added meanwhile neither repeat nor skip one. Also the
//! runs and API tokens lists, whose SQL lived in the server.

use super::{Engine, Error};
use crate::clock::from_millis;
use sqlx::Row;

/// The most items one page holds.
pub const MAX_PAGE: i64 = 1000;

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T, K> {
    pub items: Vec<T>,
    /// The sort key of the last item, when another page follows.
    pub next: Option<K>,
}

impl<T, K> Page<T, K> {
    /// Cuts `rows` (fetched with `limit + 1`) to `limit`, remembering whether more follow.
    pub fn cut(mut rows: Vec<T>, limit: i64, key: impl Fn(&T) -> K) -> Page<T, K> {
        let limit = usize::try_from(limit.clamp(1, MAX_PAGE)).unwrap_or(1);
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next = if more { rows.last().map(key) } else { None };
        Page { items: rows, next }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U, K> {
        Page { items: self.items.into_iter().map(f).collect(), next: self.next }
    }
}

/// What the runs list may be narrowed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
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
}

/// Which runs to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunFilter {
    pub workflow: Option<String>,
    pub version: Option<i64>,
    pub contact: Option<i64>,
    pub status: Option<RunStatus>,
    /// Include the editor's test-chat runs (version 0).
    pub test: bool,
}

/// A run as the runs list shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RunRow {
    pub id: i64,
    pub workflow_id: String,
    pub version: i64,
    pub contact_id: i64,
    pub status: String,
    pub step: Option<String>,
    pub waiting_for: Option<String>,
    pub due_at: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
}

/// An API token as admins see it (never the token or its hash).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub agent_id: Option<String>,
    pub created_at: Option<String>,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl Engine {
    /// Runs, newest first, `limit` after the run `after` (an id from the previous page).
    pub async fn list_runs(
        &self,
        filter: &RunFilter,
        limit: i64,
        after: Option<i64>,
    ) -> Result<Page<RunRow, i64>, Error> {
        let rows = sqlx::query(
            "SELECT id, workflow_id, version, contact_id, status, step, wait_kind, due_at, last_error, created_at
             FROM runs
             WHERE ($1 IS NULL OR workflow_id = $1) AND ($2 IS NULL OR version = $2) AND ($3 IS NULL OR contact_id = $3)
               AND ($4 IS NULL OR status = $4) AND ($5 = 1 OR version > 0) AND ($6 IS NULL OR id < $6)
             ORDER BY id DESC LIMIT $7",
        )
        .bind(filter.workflow.as_deref())
        .bind(filter.version)
        .bind(filter.contact)
        .bind(filter.status.map(RunStatus::as_str))
        .bind(i64::from(filter.test))
        .bind(after)
        .bind(limit.clamp(1, MAX_PAGE) + 1)
        .fetch_all(&self.inner.pool)
        .await?;
        let rows = rows
            .iter()
            .map(|r| {
                Ok(RunRow {
                    id: r.try_get("id")?,
                    workflow_id: r.try_get("workflow_id")?,
                    version: r.try_get("version")?,
                    contact_id: r.try_get("contact_id")?,
                    status: r.try_get("status")?,
                    step: r.try_get("step")?,
                    waiting_for: r.try_get("wait_kind")?,
                    due_at: r.try_get::<Option<i64>, _>("due_at")?.map(|t| from_millis(t).to_rfc3339()),
                    last_error: r.try_get("last_error")?,
                    created_at: from_millis(r.try_get("created_at")?).to_rfc3339(),
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(Page::cut(rows, limit, |r| r.id))
    }

    /// API tokens in the order they were made, `limit` after the token `after`.
    pub async fn list_tokens(&self, limit: i64, after: Option<i64>) -> Result<Page<TokenRow, i64>, Error> {
        let rows = sqlx::query(
            "SELECT id, name, role, agent_id, created_at, last_used_at, revoked_at FROM api_tokens
             WHERE ($1 IS NULL OR id > $1) ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(limit.clamp(1, MAX_PAGE) + 1)
        .fetch_all(&self.inner.pool)
        .await?;
        let time = |ms: Option<i64>| ms.map(|ms| from_millis(ms).to_rfc3339());
        let rows = rows
            .iter()
            .map(|r| {
                Ok(TokenRow {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    role: r.try_get("role")?,
                    agent_id: r.try_get("agent_id")?,
                    created_at: time(r.try_get("created_at")?),
                    last_used_at: time(r.try_get("last_used_at")?),
                    revoked_at: time(r.try_get("revoked_at")?),
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(Page::cut(rows, limit, |t| t.id))
    }
}
