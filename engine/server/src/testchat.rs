//! `/api/test-sessions`: the editor's test chat (ops). Start a session against a draft,
//! play the contact (write, press a button), close the conversation as an agent would,
//! fast-forward waits, set the session's clock ("pretend it is …"), read the timeline and
//! each run's path, end the session. The engine side is `engine/runtime/src/testchat.rs`; live updates
//! come from `/api/live?contact_id=<session>`.

use super::answers::{self, Created, FastForwarded, TestClock, TestClosed, TestSaid, TestSession, TestStarted};
use super::auth::{Caller, Role};
use super::error::{ApiError, Body};
use super::AppState;
use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, Datelike, Utc};
use runtime::TestTrigger;
use serde::Deserialize;

/// Starts a session.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StartBody {
    /// The workflow's YAML as the editor has it (saved or not); it must compile.
    source: String,
    /// How to set it off; defaults to the workflow's own trigger type with empty inputs.
    #[serde(default)]
    trigger: Option<TestTrigger>,
    /// The time the session pretends it is, with its offset (`2026-12-05T10:00:00+09:00`);
    /// omitted, the real time.
    #[serde(default)]
    at: Option<String>,
}

/// Reads an `at` field: an RFC 3339 date and time with its offset, within the years 1970 to
/// 9999 (a 422 naming `path` otherwise).
pub(super) fn parse_at(path: &str, text: &str) -> Result<DateTime<Utc>, ApiError> {
    // Not echoed back when it cannot be a date and time (RFC 3339 needs at most 35 characters).
    if text.len() > 64 {
        return Err(ApiError::invalid(path, "too long for a date and time (like 2026-12-05T10:00:00+09:00)"));
    }
    let at = DateTime::parse_from_rfc3339(text.trim()).map_err(|e| {
        ApiError::invalid(
            path,
            format!("`{text}` is not a date and time with an offset, like 2026-12-05T10:00:00+09:00 ({e})"),
        )
    })?;
    if !(1970..=9999).contains(&at.to_utc().year()) {
        return Err(ApiError::invalid(path, format!("`{text}` is outside the years 1970 to 9999")));
    }
    Ok(at.to_utc())
}

pub async fn start(
    State(s): State<AppState>,
    caller: Caller,
    Body(b): Body<StartBody>,
) -> Result<Created<TestStarted>, ApiError> {
    caller.require(&[Role::Ops])?;
    let at = b.at.as_deref().map(|t| parse_at("at", t)).transpose()?;
    let started = s.engine.start_test(&b.source, b.trigger, at).await?;
    Ok(Created(started.into()))
}

pub async fn detail(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<TestSession>, ApiError> {
    caller.require(&[Role::Ops])?;
    Ok(Json(answers::transcode(s.engine.test_session(id).await?)?))
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
) -> Result<Created<TestSaid>, ApiError> {
    caller.require(&[Role::Ops])?;
    let message = super::simulator::contact_message(b.text, b.payload)?;
    let handled = s.engine.test_say(id, message).await?;
    Ok(Created(TestSaid { started: handled.started, resumed: handled.resumed, notes: handled.test_notes }))
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
) -> Result<Json<TestClosed>, ApiError> {
    caller.require(&[Role::Ops])?;
    let b: CloseBody = super::workflows::optional_body(&body)?;
    let handled = s.engine.test_close(id, b.category, b.summary).await?;
    Ok(Json(TestClosed { started: handled.started, exited: handled.exited, notes: handled.test_notes }))
}

pub async fn fast_forward(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<FastForwarded>, ApiError> {
    caller.require(&[Role::Ops])?;
    Ok(Json(FastForwarded { fired: s.engine.test_fast_forward(id).await? }))
}

/// Sets the session's clock: `at` is the time it is now for the session (with its offset);
/// `null` returns it to the real time.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockBody {
    at: Option<String>,
}

pub async fn clock(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Body(b): Body<ClockBody>,
) -> Result<Json<TestClock>, ApiError> {
    caller.require(&[Role::Ops])?;
    let at = b.at.as_deref().map(|t| parse_at("at", t)).transpose()?;
    Ok(Json(s.engine.set_test_clock(id, at).await?.into()))
}

pub async fn end(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<answers::Cancelled>, ApiError> {
    caller.require(&[Role::Ops])?;
    Ok(Json(answers::Cancelled { cancelled: s.engine.end_test(id).await? }))
}
