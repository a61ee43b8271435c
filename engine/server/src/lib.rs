//! The HTTP API (axum). Handlers are thin: authenticate, extract, call the engine, map the
//! result. `app` builds the router so tests can drive it with `tower::ServiceExt::oneshot`.
//!
//! Routes so far: workflows (list, get, drafts with optimistic concurrency, publish,
//! versions, diff, rollback, stop, start, export, import), events in (batch, signed
//! webhooks, shortcuts), the inbox (contacts, transcripts, replies, close, open, assign,
//! conversations, agents and their status, shortcuts), runs (list, detail with journal and
//! why-waiting, cancel, bulk cancel), API tokens (create, list, revoke), live updates (server-sent events), step kinds, health,
//! Prometheus metrics, a compile endpoint for the editor (diagnostics and each step's ports),
//! the editor's test chat (`testchat.rs`), the contact's side of the simulator channel
//! (`simulator.rs`), who the caller is (`/api/me`),
//! channel connections and each channel's inbound webhook (`channels.rs`), workspace
//! secrets (`secrets.rs`, write-only), dead letters (`dead_letters.rs`: list, retry, discard),
//! the OpenAPI 3.1 document describing all of it (`openapi/`, with every answer's type from
//! `answers/`), and the editor's web app at
//! `/` (`editor.rs`). Every answer carries `X-Content-Type-Options: nosniff`, `Referrer-Policy:
//! no-referrer` and a Content-Security-Policy (`security_headers`).

pub mod answers;
pub mod auth;
mod channels;
mod dead_letters;
mod editor;
pub mod error;
mod events;
pub mod idempotency;
mod inbox;
mod live;
pub mod openapi;
mod outbox;
pub mod page;
mod runs;
mod secrets;
mod simulator;
mod testchat;
mod tokens;
mod workflows;

pub use events::sign as events_sign;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use runtime::Engine;

/// The largest request body accepted (workflow files and event batches).
pub const MAX_BODY: usize = 1024 * 1024;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub engine: Engine,
}

/// The API router.
pub fn app(state: AppState) -> Router {
    // The routes that act take an `Idempotency-Key` (see `idempotency.rs`).
    let idem = axum::middleware::from_fn_with_state(state.clone(), idempotency::layer);
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/api/openapi.json", get(openapi_document))
        .route("/api/kinds", get(kinds))
        .route("/api/schema", get(workflow_file_schema))
        .route("/api/workflows", get(workflows::list).post(workflows::create))
        .route("/api/workflows/import", post(workflows::import))
        .route("/api/workflows/{id}", get(workflows::detail))
        .route("/api/workflows/{id}/draft", axum::routing::put(workflows::save_draft))
        .route("/api/workflows/{id}/publish", post(workflows::publish))
        .route("/api/workflows/{id}/versions", get(workflows::versions))
        .route("/api/workflows/{id}/versions/{version}", get(workflows::version))
        .route("/api/workflows/{id}/diff", get(workflows::diff))
        .route("/api/workflows/{id}/figures", get(workflows::figures))
        .route("/api/workflows/{id}/rollback", post(workflows::rollback))
        .route("/api/workflows/{id}/stop", post(workflows::stop))
        .route("/api/workflows/{id}/start", post(workflows::start))
        .route("/api/workflows/{id}/export", get(workflows::export))
        .route("/api/workflows/{id}/webhook-secret", post(events::webhook_secret))
        .route("/api/events", post(events::ingest))
        .route("/api/webhooks/{workflow}", post(events::webhook))
        .route("/api/shortcuts/{workflow}", post(events::shortcut).route_layer(idem.clone()))
        .route("/api/contacts", get(inbox::contacts))
        .route("/api/contacts/{id}", get(inbox::contact))
        .route("/api/contacts/{id}/messages", get(inbox::transcript).post(inbox::reply).route_layer(idem.clone()))
        .route("/api/contacts/{id}/close", post(inbox::close).route_layer(idem.clone()))
        .route("/api/contacts/{id}/open", post(inbox::open).route_layer(idem.clone()))
        .route("/api/contacts/{id}/assign", post(inbox::assign).route_layer(idem.clone()))
        .route("/api/conversations", get(inbox::conversations))
        .route("/api/queue", get(inbox::queue))
        .route("/api/agents", get(inbox::agents))
        .route("/api/agents/{id}", axum::routing::put(inbox::put_agent))
        .route("/api/agents/{id}/online", post(inbox::online))
        .route("/api/shortcuts", get(inbox::shortcuts))
        .route("/api/live", get(live::live))
        .route("/api/runs", get(runs::list))
        .route("/api/runs/cancel", post(runs::cancel_many))
        .route("/api/runs/{id}", get(runs::detail))
        .route("/api/runs/{id}/cancel", post(runs::cancel))
        .route("/api/runs/{id}/retry", post(runs::retry))
        .route("/api/messages/{id}/resend", post(outbox::resend))
        .route("/api/me", get(tokens::me))
        .route("/api/simulator/messages", post(simulator::say).route_layer(idem.clone()))
        .route("/api/simulator/contacts/{address}", get(simulator::conversation))
        .route("/api/tokens", get(tokens::list).post(tokens::create))
        .route("/api/tokens/{id}", axum::routing::delete(tokens::revoke))
        .route("/api/compile", post(workflows::compile))
        .route("/api/test-sessions", post(testchat::start))
        .route("/api/test-sessions/{id}", get(testchat::detail).delete(testchat::end))
        .route("/api/test-sessions/{id}/messages", post(testchat::say))
        .route("/api/test-sessions/{id}/close", post(testchat::close))
        .route("/api/test-sessions/{id}/fast-forward", post(testchat::fast_forward))
        .route("/api/test-sessions/{id}/clock", axum::routing::put(testchat::clock))
        .route("/api/channels", get(channels::list))
        .route("/api/channels/preview", post(channels::preview))
        .route("/api/channels/{id}", get(channels::detail).put(channels::put).delete(channels::delete))
        .route("/api/channels/{id}/webhook", get(channels::handshake).post(channels::inbound))
        .route("/api/dead-letters", get(dead_letters::list))
        .route("/api/dead-letters/{id}", axum::routing::delete(dead_letters::discard))
        .route("/api/dead-letters/{id}/retry", post(dead_letters::retry))
        .route("/api/secrets", get(secrets::list))
        .route("/api/secrets/{name}", axum::routing::put(secrets::put).delete(secrets::delete))
        .fallback(editor::serve)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::map_response(json_rejections))
        // Outermost, so it also sees the answers the layers inside make (rejections, 413s).
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

/// What an answer that sets no Content-Security-Policy of its own (everything but the editor's
/// pages) allows: nothing. An API answer is data; should a browser ever render one (an error
/// echoing a name, an attachment), it runs nothing, loads nothing and cannot be framed.
const API_CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Headers on every answer, API and editor, errors included: `nosniff` so a browser never
/// reads JSON or text as HTML or script; no `Referer` when the editor links or loads anywhere
/// (its URLs name workflows and runs); and a Content-Security-Policy when the handler set none.
async fn security_headers(mut res: axum::response::Response) -> axum::response::Response {
    use axum::http::header::{CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS};
    use axum::http::HeaderValue;
    let headers = res.headers_mut();
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.entry(CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(API_CONTENT_SECURITY_POLICY));
    res
}

/// axum's own rejections (a bad path or query parameter, a body that is not UTF-8, an
/// unknown route) are plain text; this gives them the API's JSON error shape too.
async fn json_rejections(res: axum::response::Response) -> axum::response::Response {
    use axum::response::IntoResponse;
    let plain = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|ct| ct.starts_with("text/plain"));
    if !res.status().is_client_error() || !plain {
        return res;
    }
    let status = res.status();
    if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        return error::ApiError::too_large().into_response();
    }
    let text = match axum::body::to_bytes(res.into_body(), 16 * 1024).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => String::new(),
    };
    let code = match status {
        axum::http::StatusCode::NOT_FOUND => "not_found",
        axum::http::StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        axum::http::StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        _ => "bad_request",
    };
    let message = if text.is_empty() { status.canonical_reason().unwrap_or("bad request").to_owned() } else { text };
    error::ApiError::new(status, code, message).into_response()
}

async fn healthz() -> axum::Json<answers::Health> {
    axum::Json(answers::Health { status: "ok".to_owned() })
}

/// The step kinds, their ports, settings and outputs.
async fn kinds() -> Result<axum::Json<Vec<answers::KindInfo>>, error::ApiError> {
    Ok(axum::Json(answers::transcode(runtime::steps::schema::kinds_catalog())?))
}

/// A JSON Schema or an OpenAPI document: an object, whatever it holds.
pub type JsonObject = serde_json::Map<String, serde_json::Value>;

/// The JSON Schema of the workflow file format.
async fn workflow_file_schema() -> Result<axum::Json<JsonObject>, error::ApiError> {
    Ok(axum::Json(answers::transcode(runtime::steps::schema::workflow_schema())?))
}

async fn openapi_document() -> axum::Json<JsonObject> {
    static DOCUMENT: std::sync::LazyLock<JsonObject> =
        std::sync::LazyLock::new(|| openapi::document().as_object().cloned().unwrap_or_default());
    axum::Json(DOCUMENT.clone())
}

async fn metrics(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Result<axum::response::Response, error::ApiError> {
    use axum::response::IntoResponse;
    let text = state.engine.metrics().await?;
    Ok(([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response())
}

/// Ready: the database answers, every background loop runs, and the oldest waiting work is
/// within its threshold. Otherwise 503 in the error shape, the problems in `message` and the
/// whole report in `details`.
async fn readyz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Result<axum::response::Response, error::ApiError> {
    use axum::response::IntoResponse;
    let report = state.engine.readiness().await.map_err(|e| {
        error::ApiError::new(axum::http::StatusCode::SERVICE_UNAVAILABLE, "not_ready", format!("database: {e}"))
    })?;
    if report.ready {
        return Ok(axum::Json(answers::Ready { report, status: "ready".to_owned() }).into_response());
    }
    // Built here rather than through `ApiError`, which keeps a 5xx's details out of the answer:
    // these are the point of the endpoint, and hold no data (failure messages stay in the log).
    let body = answers::NotReady { code: "not_ready".to_owned(), message: report.problems.join("; "), details: report };
    Ok((axum::http::StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response())
}
