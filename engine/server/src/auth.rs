//! Who calls: the `Authorization: Bearer <token>` header read into a [`Caller`], and the role
//! check each handler makes. Tokens themselves (roles, hashing, the first admin token) are the
//! runtime's (`engine/runtime/src/tokens.rs`), re-exported here.

use super::error::ApiError;
use super::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use runtime::tokens::Unauthenticated;
pub use runtime::tokens::{create_token, ensure_admin, hash, issue_token, Role};

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub role: Role,
    pub token_id: i64,
    pub name: String,
    /// For agent tokens: the agent they act as.
    pub agent_id: Option<String>,
}

impl Caller {
    /// Refuses (403) unless the caller has one of `roles`; admins may do everything.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if self.role == Role::Admin || roles.contains(&self.role) {
            Ok(())
        } else {
            let allowed: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!(
                    "a `{}` token cannot do this; it needs one of: admin, {}",
                    self.role.as_str(),
                    allowed.join(", ")
                ),
            ))
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // Already authenticated by a layer (the idempotency layer needs the token first).
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let unauthorized = |m: &str| ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", m);
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| unauthorized("send `Authorization: Bearer <token>`"))?;
        let token =
            header.strip_prefix("Bearer ").ok_or_else(|| unauthorized("send `Authorization: Bearer <token>`"))?;
        match state.engine.authenticate(token).await? {
            Ok(holder) => Ok(Caller {
                role: holder.role,
                token_id: holder.token_id,
                name: holder.name,
                agent_id: holder.agent_id,
            }),
            Err(Unauthenticated::UnknownOrRevoked) => Err(unauthorized("unknown or revoked token")),
            Err(Unauthenticated::UnknownRole) => Err(unauthorized("token with an unknown role")),
        }
    }
}
