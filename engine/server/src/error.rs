//! API errors: every failure is `{"code", "message", "details"}` with the right status.
//! Server errors are logged with their detail and answered with a generic message, so no
//! internal detail (or secret) leaks to the caller.

use axum::extract::rejection::JsonRejection;
use axum::extract::FromRequest;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use runtime::Error as EngineError;
use serde_json::{json, Value};

/// An error as the API returns it.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Value,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), details: Value::Null }
    }

    pub fn with_details(mut self, details: Value) -> ApiError {
        self.details = details;
        self
    }

    pub fn not_found(what: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("{} not found", what.into()))
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// A well-formed body whose content breaks a rule (422 `invalid_body`): `path` names the
    /// field (`[2].contact.address`, empty for the whole body) and is repeated in `details`.
    pub fn invalid(path: impl Into<String>, message: impl Into<String>) -> ApiError {
        let path = path.into();
        let message = message.into();
        let text = if path.is_empty() { message.clone() } else { format!("{path}: {message}") };
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", text)
            .with_details(json!({"path": path, "problem": message}))
    }

    /// A body larger than the server takes (413 `too_large`), with the limit in the message.
    pub fn too_large() -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!(
                "the request body is larger than {} bytes (1 MiB), the most any request may carry",
                super::MAX_BODY
            ),
        )
    }
}

/// What kind of JSON value this is, in the words of the API's documentation.
pub fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true or false",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// serde's messages name Rust types (`i64`, `a sequence`, `untagged enum OneOrMany`); callers
/// of the API think in JSON. This rewrites the words, keeping serde's precise content.
pub fn plain_serde_message(message: &str) -> String {
    let message = message.strip_prefix("Failed to deserialize the JSON body into the target type: ").unwrap_or(message);
    let mut out = message.to_owned();
    for (rust, json) in [
        ("expected i64", "expected an integer"),
        ("expected i32", "expected an integer"),
        ("expected u64", "expected a whole number of 0 or more"),
        ("expected u32", "expected a whole number of 0 or more"),
        ("expected u16", "expected a whole number of 0 or more"),
        ("expected usize", "expected a whole number of 0 or more"),
        ("expected f64", "expected a number"),
        ("expected a sequence", "expected a list"),
        ("expected a map", "expected an object"),
        ("expected a borrowed string", "expected a string"),
        ("integer `", "the number `"),
        ("invalid type: map", "invalid type: an object"),
        ("invalid value: map", "invalid value: an object"),
        ("expected map with a single key", "expected an object with a single key"),
        ("invalid type: sequence", "invalid type: a list"),
        ("invalid type: unit value", "invalid type: null"),
    ] {
        out = out.replace(rust, json);
    }
    // `expected struct Foo` / `expected enum Bar` / `... untagged enum Baz` name our types.
    for prefix in ["expected struct ", "expected enum ", "expected internally tagged enum "] {
        if let Some(i) = out.find(prefix) {
            let end = out[i + prefix.len()..]
                .find(|c: char| !c.is_alphanumeric() && c != '_')
                .map_or(out.len(), |e| i + prefix.len() + e);
            out.replace_range(i..end, "expected an object");
        }
    }
    if out.starts_with("data did not match any variant of untagged enum") {
        out = "the body does not have any of the accepted shapes (see the OpenAPI document)".to_owned();
    }
    out
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(code = self.code, message = %self.message, details = %self.details, "request failed");
            let body = json!({"code": self.code, "message": "internal error; see the server log", "details": null});
            return (self.status, axum::Json(body)).into_response();
        }
        (self.status, axum::Json(json!({"code": self.code, "message": self.message, "details": self.details})))
            .into_response()
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> ApiError {
        match e {
            EngineError::NotFound(what) => ApiError::not_found(what),
            EngineError::Invalid(diagnostics) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_workflow", "the workflow has errors")
                    .with_details(json!({"diagnostics": diagnostics}))
            }
            EngineError::Refused(message) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "refused", message),
            EngineError::Field(e) => ApiError::invalid(e.path, e.message),
            EngineError::Conflict { message, details } => {
                ApiError::new(StatusCode::CONFLICT, "conflict", message).with_details(details)
            }
            other => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", other.to_string()),
        }
    }
}

/// A JSON body whose rejection (bad JSON, wrong type, too large) uses the API's error format.
#[derive(Debug, Clone, Copy, Default)]
pub struct Body<T>(pub T);

impl<S, T> FromRequest<S> for Body<T>
where
    axum::Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Body(v)),
            Err(rejection) => Err(match rejection {
                // Each status has its own code; the message says what was expected.
                JsonRejection::JsonDataError(e) => {
                    let text = e.body_text();
                    // axum writes `...: path: problem`; keep the path apart for `details`.
                    let plain = plain_serde_message(&text);
                    match plain.split_once(": ") {
                        Some((path, problem)) if !path.contains(' ') => ApiError::invalid(path, problem),
                        _ => ApiError::invalid("", plain),
                    }
                }
                JsonRejection::JsonSyntaxError(e) => ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_json",
                    format!("the body is not valid JSON: {}", plain_serde_message(&e.body_text())),
                ),
                JsonRejection::MissingJsonContentType(_) => ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "the body must be JSON, sent with `Content-Type: application/json`",
                ),
                other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::too_large(),
                other => ApiError::new(other.status(), "bad_body", other.body_text()),
            }),
        }
    }
}
