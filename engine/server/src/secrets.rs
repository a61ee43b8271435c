//! `/api/secrets`: workspace secrets that HTTP steps read as `{{ secrets.NAME }}`. Admins
//! set and remove them; ops and admins list their names. A value goes in and never comes
//! back out: no route, answer, log line or export carries it.

use super::auth::{Caller, Role};
use super::error::{ApiError, Body};
use super::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use runtime::SecretInfo;
use serde::{Deserialize, Serialize};

/// The body of `PUT /api/secrets/{name}`.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretValue {
    /// The secret's value (8 bytes to 64 KiB); write-only.
    value: String,
}

impl std::fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretValue(***)")
    }
}

/// The answer of `GET /api/secrets`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SecretList {
    secrets: Vec<SecretInfo>,
}

pub async fn list(State(s): State<AppState>, caller: Caller) -> Result<Json<SecretList>, ApiError> {
    caller.require(&[Role::Ops])?;
    Ok(Json(SecretList { secrets: s.engine.secrets().await? }))
}

pub async fn put(
    State(s): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Body(body): Body<SecretValue>,
) -> Result<Json<SecretInfo>, ApiError> {
    caller.require(&[Role::Admin])?;
    runtime::keyring::check_name(&name).map_err(ApiError::bad_request)?;
    Ok(Json(s.engine.put_secret(&name, &body.value).await?))
}

pub async fn delete(
    State(s): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(&[Role::Admin])?;
    s.engine.delete_secret(&name).await?;
    Ok(StatusCode::NO_CONTENT)
}
