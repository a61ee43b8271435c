//! `/api/runs`: list with filters, detail with the journal, the path and why it waits, cancel one,
//! cancel many, retry a failed one.

use super::answers::{self, Cancelled, RunDetail, RunInfo, RunRow};
use super::auth::{Caller, Role};
use super::error::{ApiError, Body};
use super::page::{PageParams, Paged};
use super::AppState;
use axum::extract::{Path, Query, State};
use axum::http::Uri;
use axum::Json;
use runtime::{CancelFilter, RunFilter, RunStatus};
use serde::Deserialize;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct RunQuery {
    workflow: Option<String>,
    version: Option<i64>,
    contact: Option<i64>,
    status: Option<RunStatus>,
    /// Include the editor's test-chat runs (left out by default).
    #[serde(default)]
    test: bool,
    /// How many runs a page holds (1 to 1,000; default 100).
    #[schemars(range(min = 1, max = 1000))]
    limit: Option<i64>,
    /// The `X-Next-Cursor` of the previous page.
    after: Option<String>,
}

/// Runs, newest first, a page at a time (see `page.rs`).
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    uri: Uri,
    Query(q): Query<RunQuery>,
) -> Result<Paged<RunRow>, ApiError> {
    caller.require(&[Role::Ops])?;
    let page = PageParams::new(q.limit, q.after)?;
    let filter =
        RunFilter { workflow: q.workflow, version: q.version, contact: q.contact, status: q.status, test: q.test };
    let runs = s.engine.list_runs(&filter, page.limit, page.after()?).await?;
    Ok(super::page::paged(runs.map(RunRow::from), &uri))
}

pub async fn detail(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<RunDetail>, ApiError> {
    caller.require(&[Role::Ops])?;
    let run = s.engine.run(id).await?;
    let journal = s.engine.journal(id).await?;
    let path = answers::path_of(&journal)?;
    let journal = journal.into_iter().map(answers::JournalEntry::from).collect();
    Ok(Json(RunDetail { run: run.into(), journal, path }))
}

pub async fn cancel(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Cancelled>, ApiError> {
    caller.require(&[Role::Ops])?;
    s.engine.run(id).await?;
    let cancelled = s.engine.cancel(CancelFilter::Run(id)).await?;
    Ok(Json(Cancelled { cancelled }))
}

/// Retries a failed run from the step it failed in; the journal names the token that did.
pub async fn retry(State(s): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Result<Json<RunInfo>, ApiError> {
    caller.require(&[Role::Ops])?;
    Ok(Json(s.engine.retry(id, &caller.name).await?.into()))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct CancelBody {
    workflow: String,
    #[serde(default)]
    version: Option<i64>,
    #[serde(default)]
    status: Option<String>,
}

pub async fn cancel_many(
    State(s): State<AppState>,
    caller: Caller,
    Body(b): Body<CancelBody>,
) -> Result<Json<Cancelled>, ApiError> {
    caller.require(&[Role::Ops])?;
    if b.status.as_deref().is_some_and(|st| !st.parse::<RunStatus>().is_ok_and(RunStatus::is_under_way)) {
        return Err(ApiError::bad_request("`status` is `waiting` or `running`"));
    }
    let filter = CancelFilter::Workflow { workflow: b.workflow, version: b.version, status: b.status };
    Ok(Json(Cancelled { cancelled: s.engine.cancel(filter).await? }))
}
