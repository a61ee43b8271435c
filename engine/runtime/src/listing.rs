//! Lists read a page at a time: a [`Page`] is at most `limit` items after a sort key, and the
//! sort key of its last item when more follow. Keyset pagination (not `OFFSET`): a page costs
//! the same however deep it is, and rows added meanwhile neither repeat nor skip one. Also the
//! runs and API tokens lists, whose SQL lived in the server.

use super::{Engine, Error};
use crate::clock::from_millis;

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

pub use store::runs::RunStatus;

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
    pub status: RunStatus,
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
        let f = store::runs::ListFilter {
            workflow: filter.workflow.as_deref(),
            version: filter.version,
            contact: filter.contact,
            status: filter.status,
            test: filter.test,
        };
        let rows = store::runs::list(&self.inner.pool, f, after, limit.clamp(1, MAX_PAGE) + 1).await?;
        let rows: Vec<RunRow> = rows
            .into_iter()
            .map(|r| RunRow {
                id: r.id,
                workflow_id: r.workflow_id,
                version: r.version,
                contact_id: r.contact_id,
                status: r.status,
                step: r.step,
                waiting_for: r.wait_kind,
                due_at: r.due_at.map(|t| from_millis(t).to_rfc3339()),
                last_error: r.last_error,
                created_at: from_millis(r.created_at).to_rfc3339(),
            })
            .collect();
        Ok(Page::cut(rows, limit, |r| r.id))
    }

    /// API tokens in the order they were made, `limit` after the token `after`.
    pub async fn list_tokens(&self, limit: i64, after: Option<i64>) -> Result<Page<TokenRow, i64>, Error> {
        let rows = store::tokens::list(&self.inner.pool, after, limit.clamp(1, MAX_PAGE) + 1).await?;
        let time = |ms: Option<i64>| ms.map(|ms| from_millis(ms).to_rfc3339());
        let rows: Vec<TokenRow> = rows
            .into_iter()
            .map(|r| TokenRow {
                id: r.id,
                name: r.name,
                role: r.role,
                agent_id: r.agent_id,
                created_at: time(r.created_at),
                last_used_at: time(r.last_used_at),
                revoked_at: time(r.revoked_at),
            })
            .collect();
        Ok(Page::cut(rows, limit, |t| t.id))
    }
}
