//! `/api/workflows`: list, drafts, publishing, versions, diff, rollback, stop and start,
//! import and export. Reading is for `ops` (and admins); so is every change.

use super::answers::{
    self, Compiled, Created, DraftSaved, Imported, Published, Restarted, RolledBack, Stopped, VersionDiff,
    VersionFigures, VersionInfo, WorkflowDetail, WorkflowSummary,
};
use super::auth::{Caller, Role};
use super::error::{ApiError, Body};
use super::AppState;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use runtime::DraftBase;
use serde::Deserialize;
use serde_json::Value;

const READ: &[Role] = &[Role::Ops];

pub async fn list(State(s): State<AppState>, caller: Caller) -> Result<Json<Vec<WorkflowSummary>>, ApiError> {
    caller.require(READ)?;
    Ok(Json(s.engine.workflows().await?.into_iter().map(WorkflowSummary::from).collect()))
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
    Ok(Json(WorkflowDetail::from(wf)).into_response())
}

fn yaml(text: String) -> Response {
    ([(header::CONTENT_TYPE, "application/yaml; charset=utf-8")], text).into_response()
}

/// A draft as the editor sends it.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct DraftBody {
    /// The workflow file (YAML or JSON text).
    source: String,
    /// The revision this edit started from; omit only to create (then an existing id is a 409).
    #[serde(default)]
    base_revision: Option<i64>,
}

/// An optional JSON body: none (or an empty one) means the defaults.
pub(super) fn optional_body<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("bad JSON: {e}")))
}

pub async fn create(
    State(s): State<AppState>,
    caller: Caller,
    Body(body): Body<DraftBody>,
) -> Result<Created<DraftSaved>, ApiError> {
    caller.require(READ)?;
    let saved = s.engine.save_draft(&body.source, DraftBase::from_revision(body.base_revision), &caller.name).await?;
    Ok(Created(saved.into()))
}

pub async fn save_draft(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body<DraftBody>,
) -> Result<Json<DraftSaved>, ApiError> {
    caller.require(READ)?;
    let named = s
        .engine
        .compile_with(&body.source, |source| {
            runtime::steps::source::load(source)
                .value
                .and_then(|v| v.get("id").and_then(Value::as_str).map(str::to_owned))
        })
        .await;
    if named.as_deref().is_some_and(|n| n != id) {
        return Err(ApiError::bad_request(format!("the file's `id` ({}) is not `{id}`", named.unwrap_or_default())));
    }
    let base = DraftBase::from_revision(body.base_revision);
    Ok(Json(s.engine.save_draft(&body.source, base, &caller.name).await?.into()))
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct PublishBody {
    /// The draft revision being published; if someone saved another since, 409.
    #[serde(default)]
    revision: Option<i64>,
}

pub async fn publish(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Published>, ApiError> {
    caller.require(READ)?;
    let body: PublishBody = optional_body(&body)?;
    let published = s.engine.publish_draft(&id, body.revision).await?;
    Ok(Json(Published { id, version: published.version, unchanged: published.unchanged }))
}

pub async fn versions(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<VersionInfo>>, ApiError> {
    caller.require(READ)?;
    Ok(Json(s.engine.versions(&id).await?.into_iter().map(VersionInfo::from).collect()))
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
    Ok(Json(VersionInfo::from(v)).into_response())
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct FiguresQuery {
    /// The published version; defaults to the live one.
    #[serde(default)]
    version: Option<i64>,
}

/// Runs on the canvas: per-step figures of a published version.
pub async fn figures(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<FiguresQuery>,
) -> Result<Json<VersionFigures>, ApiError> {
    caller.require(READ)?;
    let wf = s.engine.workflow(&id).await?;
    let version = match q.version.or(wf.summary.current_version) {
        Some(v) if v > 0 => v,
        Some(v) => return Err(ApiError::bad_request(format!("version {v} is not a published version"))),
        None => return Err(ApiError::not_found(format!("a published version of {id}"))),
    };
    Ok(Json(s.engine.version_figures(&id, version).await?.into()))
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
) -> Result<Json<VersionDiff>, ApiError> {
    caller.require(READ)?;
    let from = s.engine.version(&id, q.from).await?.source.unwrap_or_default();
    let to = s.engine.version(&id, q.to).await?.source.unwrap_or_default();
    Ok(Json(answers::transcode(runtime::diff(&from, &to))?))
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
) -> Result<Json<RolledBack>, ApiError> {
    caller.require(READ)?;
    let version = s.engine.rollback(&id, body.version).await?;
    Ok(Json(RolledBack { id, version, from: body.version }))
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
) -> Result<Json<Stopped>, ApiError> {
    caller.require(READ)?;
    // The body is optional: no body means "let the runs under way finish".
    let eject = optional_body::<StopBody>(&body)?.eject;
    let ejected = s.engine.stop(&id, eject).await?;
    Ok(Json(Stopped { id, status: "stopped".to_owned(), cancelled: ejected }))
}

pub async fn start(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Restarted>, ApiError> {
    caller.require(READ)?;
    let version = s.engine.start(&id).await?;
    Ok(Json(Restarted { id, status: "published".to_owned(), version }))
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

/// Imports a YAML file (the request body) as the draft, replacing the current one (which stays
/// in the draft history) unless `?base_revision=` names another; `?publish=true` publishes too.
pub async fn import(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<ImportQuery>,
    text: String,
) -> Result<Created<Imported>, ApiError> {
    caller.require(READ)?;
    let base = q.base_revision.map_or(DraftBase::Replace, DraftBase::Revision);
    let saved = s.engine.save_draft(&text, base, &caller.name).await?;
    let published = if q.publish { Some(s.engine.publish_draft(&saved.id, Some(saved.revision)).await?) } else { None };
    let (version, unchanged) = (published.map(|p| p.version), published.map(|p| p.unchanged));
    Ok(Created(Imported { draft: saved.into(), version, unchanged }))
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct ImportQuery {
    /// Publish the imported draft as a new version.
    #[serde(default)]
    publish: bool,
    /// Refuse (409) unless the current draft is at this revision.
    #[serde(default)]
    base_revision: Option<i64>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct CompileBody {
    /// A workflow file (YAML or JSON text).
    source: String,
}

/// Compiles a draft without saving it: every diagnostic, the ports of each step as
/// configured (`null` for a step whose config does not parse), so the editor can draw
/// handles for choice options and branches as they are typed, and `warnings` the compiler
/// cannot give because they depend on the workspace (an assignment nobody could take now),
/// shaped like diagnostics with the code `assignment`.
pub async fn compile(
    State(s): State<AppState>,
    caller: Caller,
    Body(body): Body<CompileBody>,
) -> Result<Json<Compiled>, ApiError> {
    caller.require(READ)?;
    // All of it reads the whole text: off the async threads, in one compile slot.
    let (compiled, loaded, ports) = s
        .engine
        .compile_with(&body.source, |source| {
            let compiled = runtime::steps::compile(source);
            let loaded = runtime::steps::source::load(source);
            let mut ports = indexmap::IndexMap::new();
            if let Some(step_map) = loaded.value.as_ref().and_then(|v| v.get("steps")).and_then(Value::as_object) {
                for (id, step) in step_map {
                    let step_ports = runtime::steps::compile::step_ports(step);
                    ports.insert(id.clone(), step_ports.map(|p| p.into_iter().map(answers::PortSpec::from).collect()));
                }
            }
            (compiled, loaded, ports)
        })
        .await;
    let warnings: Vec<answers::AssignmentWarning> = match &compiled.workflow {
        Some(wf) => s
            .engine
            .assignment_warnings(wf)
            .await?
            .into_iter()
            .map(|w| answers::AssignmentWarning {
                code: "assignment".to_owned(),
                severity: answers::Severity::Warning,
                message: w.message,
                pos: loaded.map.value_pos(&w.path).map(answers::Pos::from),
                path: w.path,
                step: w.step,
                help: "bring an agent of the team online in the console, add one, or set `online_only: false`"
                    .to_owned(),
            })
            .collect(),
        None => Vec::new(),
    };
    Ok(Json(Compiled { diagnostics: answers::diagnostics(&compiled.diagnostics), ports, warnings }))
}
