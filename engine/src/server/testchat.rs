//! `/api/test-sessions`: the editor's test chat (ops). Start a session against a draft,
//! play the contact (write, press a button), close the conversation as an agent would,
//! fast-forward waits, read the timeline and each run's path, end the session. The engine
//! side is `runtime/testchat.rs`; live updates come from `/api/live?contact_id=<session>`.

use super::auth::{Caller, Role};
use super::error::{ApiError, Body};
use super::AppState;
use crate::runtime::TestTrigger;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

/// Starts a session.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StartBody {
    /// The workflow's YAML as the editor has it (saved or not); it must compile.
    source: String,
    /// How to set it off; defaults to the workflow's own trigger type with empty inputs.
    #[serde(default)]
    trigger: Option<TestTrigger>,
}

pub async fn start(State(s): State<AppState>, caller: Caller, Body(b): Body<StartBody>) -> Result<Response, ApiError> {
    caller.require(&[Role::Ops])?;
    let started = s.engine.start_test(&b.source, b.trigger).await?;
    Ok((StatusCode::CREATED, Json(json!(started))).into_response())
}

pub async fn detail(State(s): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Ops])?;
    Ok(Json(s.engine.test_session(id).await?))
}

/// What the tester, as the contact, sends: text, or a pressed button's payload (and title).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SayBody {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    payload: Option<String>,
}

pub async fn say(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Body(b): Body<SayBody>,
) -> Result<Response, ApiError> {
    caller.require(&[Role::Ops])?;
    let message = super::simulator::contact_message(b.text, b.payload)?;
    let handled = s.engine.test_say(id, message).await?;
    let body = json!({"started": handled.started, "resumed": handled.resumed, "notes": handled.test_notes});
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseBody {
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    summary: Option<String>,
}

pub async fn close(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Ops])?;
    let b: CloseBody = super::workflows::optional_body(&body)?;
    let handled = s.engine.test_close(id, b.category, b.summary).await?;
    Ok(Json(json!({"started": handled.started, "exited": handled.exited, "notes": handled.test_notes})))
}

pub async fn fast_forward(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Ops])?;
    Ok(Json(json!({"fired": s.engine.test_fast_forward(id).await?})))
}

pub async fn end(State(s): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Ops])?;
    Ok(Json(json!({"cancelled": s.engine.end_test(id).await?})))
}
