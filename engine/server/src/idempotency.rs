//! The `Idempotency-Key` header on the routes that act (replies, close, open, assign, shortcut
//! presses, simulator messages): [`layer`] claims the key before the handler runs and records
//! its answer after, so a retried POST answers the same status and body and acts once; the
//! handlers only give their event the claim's id ([`Dedup::event`]), which makes the effect
//! itself a duplicate should a crashed request's claim ever be taken over. The store is
//! `engine/runtime/src/idempotency.rs`.

use super::auth::Caller;
use super::error::ApiError;
use super::AppState;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use runtime::{Claim, Claimed, Event, EventKind};
use sha2::{Digest, Sha256};

/// The request header.
pub const HEADER: &str = "idempotency-key";

/// The longest key accepted (a UUID is 36 characters).
pub const MAX_KEY_LEN: usize = 255;

/// What an answer replayed from a stored one carries.
const REPLAYED: &str = "idempotent-replayed";

/// Claims the request's `Idempotency-Key` (if it has one) for its token, answers a replay or
/// a refusal itself, and records the handler's answer. A request without the header passes
/// through untouched.
pub async fn layer(State(s): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != axum::http::Method::POST {
        return next.run(req).await;
    }
    let Some(key) = req.headers().get(HEADER) else { return next.run(req).await };
    let key = match key.to_str().ok().map(str::trim).filter(|k| !k.is_empty() && k.len() <= MAX_KEY_LEN) {
        Some(k) if k.chars().all(|c| c.is_ascii_graphic()) => k.to_owned(),
        _ => {
            return ApiError::bad_request(format!(
                "the `Idempotency-Key` header must be 1 to {MAX_KEY_LEN} visible ASCII characters (a UUID will do)"
            ))
            .into_response()
        }
    };
    let (mut parts, body) = req.into_parts();
    // Keys are per token: the caller is known before anything is claimed.
    let caller = match Caller::from_request_parts(&mut parts, &s).await {
        Ok(caller) => caller,
        Err(e) => return e.into_response(),
    };
    let bytes = match axum::body::to_bytes(body, super::MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(_) => return ApiError::too_large().into_response(),
    };
    let mut hash = Sha256::new();
    hash.update(parts.method.as_str().as_bytes());
    hash.update(b" ");
    hash.update(parts.uri.path().as_bytes());
    hash.update(b"\n");
    hash.update(&bytes);
    let fingerprint = hex::encode(hash.finalize());
    let claimed = match s.engine.claim_idempotency_key(caller.token_id, &key, &fingerprint).await {
        Ok(Claim::Claimed(claimed)) => claimed,
        Ok(Claim::Replay { status, body }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut res = (status, [(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response();
            res.headers_mut().insert(REPLAYED, HeaderValue::from_static("true"));
            return res;
        }
        Ok(Claim::InProgress) => {
            return ApiError::new(
                StatusCode::CONFLICT,
                "idempotency_key_in_use",
                "a request with this `Idempotency-Key` is being handled; try again in a moment",
            )
            .into_response()
        }
        Ok(Claim::Mismatch) => {
            return ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "this `Idempotency-Key` was used for a different request (another route or body); \
                 send a new key for a new action",
            )
            .into_response()
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    parts.extensions.insert(claimed.clone());
    parts.extensions.insert(caller);
    let res = next.run(Request::from_parts(parts, axum::body::Body::from(bytes))).await;
    let (head, body) = res.into_parts();
    // Only the handler's own JSON answers are kept: a 5xx may be retried, and axum's plain-text
    // rejections (a path that is not a number) come before anything acted.
    let json = head
        .headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    if head.status.is_server_error() || !json {
        if let Err(e) = s.engine.release_idempotency_key(&claimed).await {
            tracing::warn!(error = %e, "releasing an idempotency key failed");
        }
        return Response::from_parts(head, body);
    }
    let bytes = match axum::body::to_bytes(body, super::MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(e) => {
            let _ = s.engine.release_idempotency_key(&claimed).await;
            return ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()).into_response();
        }
    };
    if let Err(e) =
        s.engine.record_idempotent_answer(&claimed, head.status.as_u16(), &String::from_utf8_lossy(&bytes)).await
    {
        // The effect happened; the answer could not be kept. A retry finds the claim
        // unanswered (409) until it is stale, then takes it over and acts as a duplicate.
        tracing::warn!(error = %e, "recording an idempotent answer failed");
    }
    Response::from_parts(head, axum::body::Body::from(bytes))
}

/// The claim of the request being handled, if it carried an `Idempotency-Key`.
#[derive(Debug, Clone, Default)]
pub struct Dedup(Option<Claimed>);

impl Dedup {
    /// The handler's event: with the claim's id when there is one, so the engine applies it
    /// once however often the request comes.
    pub fn event(&self, kind: EventKind) -> Event {
        match &self.0 {
            Some(claimed) => {
                let (source, id) = claimed.event_id();
                Event::with_id(&source, &id, kind)
            }
            None => Event::new(kind),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Dedup {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Dedup(parts.extensions.get::<Claimed>().cloned()))
    }
}
