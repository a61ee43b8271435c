//! The outbox as operators act on it: sending again a message whose delivery is unknown.

use super::auth::{Caller, Role};
use super::error::ApiError;
use super::AppState;
use axum::extract::{Path, State};
use axum::Json;

/// `POST /api/messages/{id}/resend`: the message goes out again under its original key (see
/// `Engine::resend_unknown`); 404 unless its delivery is unknown.
pub async fn resend(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<super::answers::Resent>, ApiError> {
    caller.require(&[Role::Ops])?;
    s.engine.resend_unknown(id).await?;
    Ok(Json(super::answers::Resent { resent: id }))
}
