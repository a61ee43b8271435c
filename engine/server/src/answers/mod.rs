//! What the API answers: one typed struct (or enum) per answer, deriving `Serialize` and
//! `JsonSchema`, so the handlers' return types and the OpenAPI document's response schemas
//! (and through them the editor's generated API types) are the same thing. Grouped by area:
//! `common.rs` (diagnostics, ports, timeline lines, agents), `workflows.rs`, `inbox.rs`,
//! `runs.rs` (runs and the test chat), `admin.rs` (tokens, channels, health, small receipts).
//!
//! Runtime values with typed fields convert with `From`; the few the runtime still builds as
//! JSON (a contact, a transcript line, a test session, a connection) are read into these types
//! with [`transcode`], whose types deny unknown fields: a key the runtime adds without a field
//! here fails loudly (a 500 the API tests catch) instead of silently leaving the answer.
//! Each struct's schema says which fields every answer has ([`Written`]).

mod admin;
mod common;
mod inbox;
mod runs;
mod workflows;

pub use admin::*;
pub use common::*;
pub use inbox::*;
pub use runs::*;
pub use workflows::*;

use super::error::ApiError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};

/// Reads a value the runtime built as JSON into its answer type (see the module header).
pub fn transcode<T: DeserializeOwned>(value: impl Serialize) -> Result<T, ApiError> {
    serde_json::to_value(value).and_then(serde_json::from_value).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("an answer did not have the shape the API documents ({}): {e}", std::any::type_name::<T>()),
        )
    })
}

/// For a field that some answers leave out and others give as `null`: `None` when absent,
/// `Some(None)` when `null` (with `skip_serializing_if = "Option::is_none"` it is written back
/// exactly as it came).
pub fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// An answer writes every field (`null` for nothing), so its schema marks every property
/// required, but the ones named here (those it leaves out when empty: `skip_serializing_if`).
/// schemars, which reads the types as request bodies, would take an `Option` for a field that
/// may be missing; used as `#[schemars(transform = Written(&["left_out_when_none"]))]`.
#[derive(Debug, Clone, Copy)]
pub struct Written(pub &'static [&'static str]);

impl schemars::transform::Transform for Written {
    fn transform(&mut self, schema: &mut schemars::Schema) {
        let Some(properties) = schema.get("properties").and_then(serde_json::Value::as_object) else { return };
        let required: Vec<serde_json::Value> = properties
            .keys()
            .filter(|name| !self.0.contains(&name.as_str()))
            .map(|name| serde_json::Value::String(name.clone()))
            .collect();
        schema.insert("required".into(), serde_json::Value::Array(required));
    }
}

/// A 201 Created answer.
#[derive(Debug)]
pub struct Created<T>(pub T);

impl<T: Serialize> IntoResponse for Created<T> {
    fn into_response(self) -> Response {
        (StatusCode::CREATED, Json(self.0)).into_response()
    }
}

/// A 202 Accepted answer: stored, handled later.
#[derive(Debug)]
pub struct Queued<T>(pub T);

impl<T: Serialize> IntoResponse for Queued<T> {
    fn into_response(self) -> Response {
        (StatusCode::ACCEPTED, Json(self.0)).into_response()
    }
}
