//! `/api/runs`: list with filters, detail with the journal, the path and why it waits, cancel one,
//! cancel many, retry a failed one.

use super::auth::{Caller, Role};
use super::error::{ApiError, Body};
use super::AppState;
use crate::runtime::CancelFilter;
use crate::store::Sql;
use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct RunQuery {
    workflow: Option<String>,
    version: Option<i64>,
    contact: Option<i64>,
    status: Option<String>,
    /// Include the editor's test-chat runs (left out by default).
    #[serde(default)]
    test: bool,
    #[serde(default = "default_limit")]
    limit: i64,
}

fn default_limit() -> i64 {
    100
}

pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<RunQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Ops])?;
    let mut sql = Sql::new(
        s.engine.backend(),
        "SELECT id, workflow_id, version, contact_id, status, step, wait_kind, due_at, last_error, created_at FROM runs WHERE 1 = 1",
    );
    if let Some(w) = &q.workflow {
        sql.push(" AND workflow_id = ").push_bind(w.clone());
    }
    if let Some(v) = q.version {
        sql.push(" AND version = ").push_bind(v);
    }
    if let Some(c) = q.contact {
        sql.push(" AND contact_id = ").push_bind(c);
    }
    if let Some(st) = &q.status {
        sql.push(" AND status = ").push_bind(st.clone());
    }
    if !q.test {
        sql.push(" AND version > 0");
    }
    sql.push(" ORDER BY id DESC LIMIT ").push_bind(q.limit.clamp(1, 1000));
    type Row = (i64, String, i64, i64, String, Option<String>, Option<String>, Option<i64>, Option<String>, i64);
    let rows: Vec<Row> = sql
        .build_query_as()
        .fetch_all(s.engine.pool())
        .await
        .map_err(|e| ApiError::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    let runs: Vec<Value> = rows
        .into_iter()
        .map(|(id, workflow, version, contact, status, step, wait, due, error, created)| {
            json!({
                "id": id, "workflow_id": workflow, "version": version, "contact_id": contact, "status": status,
                "step": step, "waiting_for": wait, "due_at": due.map(|t| crate::clock::from_millis(t).to_rfc3339()),
                "last_error": error, "created_at": crate::clock::from_millis(created).to_rfc3339(),
            })
        })
        .collect();
    Ok(Json(json!(runs)))
}

pub async fn detail(State(s): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Ops])?;
    let run = s.engine.run(id).await?;
    let journal = s.engine.journal(id).await?;
    let path = crate::runtime::path_of(&journal);
    Ok(Json(json!({"run": run, "journal": journal, "path": path})))
}

pub async fn cancel(State(s): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Ops])?;
    s.engine.run(id).await?;
    let n = s.engine.cancel(CancelFilter::Run(id)).await?;
    Ok(Json(json!({"cancelled": n})))
}

/// Retries a failed run from the step it failed in.
pub async fn retry(State(s): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Ops])?;
    Ok(Json(json!(s.engine.retry(id).await?)))
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
) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Ops])?;
    if b.status.as_deref().is_some_and(|st| st != "waiting" && st != "running") {
        return Err(ApiError::bad_request("`status` is `waiting` or `running`"));
    }
    let n =
        s.engine.cancel(CancelFilter::Workflow { workflow: b.workflow, version: b.version, status: b.status }).await?;
    Ok(Json(json!({"cancelled": n})))
}
