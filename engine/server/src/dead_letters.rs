//! `/api/dead-letters`: events that could not be processed, with their reason and payload.
//! Ops and admins list them (newest first, cursor pages), retry one (queued again as it came)
//! or discard it. The engine side is `engine/runtime/src/dead_letters.rs`.
//!
//! Pages follow the shared list convention (issue 16, item 9): a JSON array, `limit` 1 to
//! 1,000 (100 by default), `after` an opaque cursor from the previous page, and when there is
//! another page the `X-Next-Cursor` and `Link: <…>; rel="next"` headers. (Written here until
//! the shared `page.rs` exists.)

use super::auth::{Caller, Role};
use super::error::ApiError;
use super::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use runtime::DeadLetter;
use serde::Deserialize;

/// The most dead letters one page may hold.
const MAX_LIMIT: i64 = 1000;

/// The query of `GET /api/dead-letters`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct DeadLetterQuery {
    /// Dead letters per page (1 to 1,000; 100 by default).
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = 1000))]
    limit: i64,
    /// The cursor of the next page (the `X-Next-Cursor` header of the previous answer).
    #[serde(default)]
    after: Option<String>,
}

fn default_limit() -> i64 {
    100
}

/// Dead letters, newest first.
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<DeadLetterQuery>,
) -> Result<Response, ApiError> {
    caller.require(&[Role::Ops])?;
    if !(1..=MAX_LIMIT).contains(&q.limit) {
        return Err(ApiError::bad_request(format!("`limit` must be 1 to {MAX_LIMIT} (got {})", q.limit)));
    }
    let before = match q.after.as_deref() {
        None => None,
        Some(cursor) => Some(
            cursor
                .parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .ok_or_else(|| ApiError::bad_request("`after` is not a cursor this endpoint gave"))?,
        ),
    };
    let page = s.engine.dead_letters(q.limit, before).await?;
    let mut res = Json::<Vec<DeadLetter>>(page.items).into_response();
    if let Some(next) = page.next {
        let link = format!("</api/dead-letters?limit={}&after={next}>; rel=\"next\"", q.limit);
        let headers = res.headers_mut();
        if let (Ok(cursor), Ok(link)) = (HeaderValue::from_str(&next.to_string()), HeaderValue::from_str(&link)) {
            headers.insert(HeaderName::from_static("x-next-cursor"), cursor);
            headers.insert(axum::http::header::LINK, link);
        }
    }
    Ok(res)
}

/// Queues the dead letter's event again and removes the dead letter.
pub async fn retry(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<super::answers::DeadLetterRequeued>, ApiError> {
    caller.require(&[Role::Ops])?;
    s.engine.retry_dead_letter(id).await?;
    Ok(Json(super::answers::DeadLetterRequeued { id, queued: true }))
}

/// Removes the dead letter for good.
pub async fn discard(State(s): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    caller.require(&[Role::Ops])?;
    s.engine.discard_dead_letter(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
