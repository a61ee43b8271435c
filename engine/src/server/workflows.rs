//! `/api/workflows`: list, drafts, publishing, versions, diff, rollback, stop and start,
//! import and export. Reading is for `ops` (and admins); so is every change.

use super::auth::{Caller, Role};
use super::error::{ApiError, Body};
use super::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

const READ: &[Role] = &[Role::Ops];

pub async fn list(State(s): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    caller.require(READ)?;
    Ok(Json(json!(s.engine.workflows().await?)))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct Format {
    format: Option<String>,
}

pub async fn detail(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(f): Query<Format>,
) -> Result<Response, ApiError> {
    caller.require(READ)?;
    let wf = s.engine.workflow(&id).await?;
    if f.format.as_deref() == Some("yaml") {
        return Ok(yaml(wf.draft));
    }
    Ok(Json(json!(wf)).into_response())
}

fn yaml(text: String) -> Response {
    ([(header::CONTENT_TYPE, "application/yaml; charset=utf-8")], text).into_response()
}

/// A draft as the editor sends it.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct DraftBody {
    /// The workflow file (YAML or JSON text).
    source: String,
    /// The revision this edit started from; omit only to create.
    #[serde(default)]
    base_revision: Option<i64>,
}

pub async fn create(
    State(s): State<AppState>,
    caller: Caller,
    Body(body): Body<DraftBody>,
) -> Result<Response, ApiError> {
    caller.require(READ)?;
    let saved = s.engine.save_draft(&body.source, body.base_revision, &caller.name).await?;
    Ok((StatusCode::CREATED, Json(json!(saved))).into_response())
}

pub async fn save_draft(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body<DraftBody>,
) -> Result<Json<Value>, ApiError> {
    caller.require(READ)?;
    let named =
        steps::source::load(&body.source).value.and_then(|v| v.get("id").and_then(Value::as_str).map(str::to_owned));
    if named.as_deref().is_some_and(|n| n != id) {
        return Err(ApiError::bad_request(format!("the file's `id` ({}) is not `{id}`", named.unwrap_or_default())));
    }
    Ok(Json(json!(s.engine.save_draft(&body.source, body.base_revision, &caller.name).await?)))
}

pub async fn publish(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(READ)?;
    let version = s.engine.publish_draft(&id).await?;
    Ok(Json(json!({"id": id, "version": version})))
}

pub async fn versions(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(READ)?;
    Ok(Json(json!(s.engine.versions(&id).await?)))
}

pub async fn version(
    State(s): State<AppState>,
    caller: Caller,
    Path((id, version)): Path<(String, i64)>,
    Query(f): Query<Format>,
) -> Result<Response, ApiError> {
    caller.require(READ)?;
    let v = s.engine.version(&id, version).await?;
    if f.format.as_deref() == Some("yaml") {
        return Ok(yaml(v.source.unwrap_or_default()));
    }
    Ok(Json(json!(v)).into_response())
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct DiffQuery {
    from: i64,
    to: i64,
}

pub async fn diff(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<DiffQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.require(READ)?;
    let from = s.engine.version(&id, q.from).await?.source.unwrap_or_default();
    let to = s.engine.version(&id, q.to).await?.source.unwrap_or_default();
    Ok(Json(crate::runtime::diff(&from, &to)))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct RollbackBody {
    version: i64,
}

pub async fn rollback(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body<RollbackBody>,
) -> Result<Json<Value>, ApiError> {
    caller.require(READ)?;
    let version = s.engine.rollback(&id, body.version).await?;
    Ok(Json(json!({"id": id, "version": version, "from": body.version})))
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct StopBody {
    /// Cancel the runs under way too (by default they finish).
    #[serde(default)]
    eject: bool,
}

pub async fn stop(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.require(READ)?;
    // The body is optional: no body means "let the runs under way finish".
    let eject = if body.is_empty() {
        false
    } else {
        serde_json::from_slice::<StopBody>(&body).map_err(|e| ApiError::bad_request(format!("bad JSON: {e}")))?.eject
    };
    let ejected = s.engine.stop(&id, eject).await?;
    Ok(Json(json!({"id": id, "status": "stopped", "cancelled_runs": ejected})))
}

pub async fn start(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    caller.require(READ)?;
    let version = s.engine.start(&id).await?;
    Ok(Json(json!({"id": id, "status": "published", "version": version})))
}

/// The current published version as YAML (the draft when nothing is published yet).
pub async fn export(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Response, ApiError> {
    caller.require(READ)?;
    let wf = s.engine.workflow(&id).await?;
    let text = match wf.summary.current_version {
        Some(v) => s.engine.version(&id, v).await?.source.unwrap_or_default(),
        None => wf.draft,
    };
    Ok(yaml(text))
}

/// Imports a YAML file (the request body) as the draft; `?publish=true` publishes it too.
pub async fn import(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<ImportQuery>,
    text: String,
) -> Result<Response, ApiError> {
    caller.require(READ)?;
    let current = steps::source::load(&text).value.and_then(|v| v.get("id").and_then(Value::as_str).map(str::to_owned));
    let base = match current {
        Some(id) => s.engine.workflow(&id).await.ok().map(|w| w.summary.draft_revision),
        None => None,
    };
    let saved = s.engine.save_draft(&text, base, &caller.name).await?;
    let version = if q.publish { Some(s.engine.publish_draft(&saved.id).await?) } else { None };
    Ok((StatusCode::CREATED, Json(json!({"draft": saved, "version": version}))).into_response())
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct ImportQuery {
    #[serde(default)]
    publish: bool,
}
