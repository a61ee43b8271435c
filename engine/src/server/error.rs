//! API errors: every failure is `{"code", "message", "details"}` with the right status.
//! Server errors are logged with their detail and answered with a generic message, so no
//! internal detail (or secret) leaks to the caller.

use crate::runtime::Error as EngineError;
use axum::extract::rejection::JsonRejection;
use axum::extract::FromRequest;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
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
            Err(rejection) => {
                let status = rejection.status();
                let code = if status == StatusCode::PAYLOAD_TOO_LARGE { "too_large" } else { "bad_json" };
                Err(ApiError::new(status, code, rejection.body_text()))
            }
        }
    }
}
