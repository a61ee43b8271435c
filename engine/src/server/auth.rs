//! API tokens with roles. A token is 32 random bytes shown once; only its SHA-256 is stored
//! (a token has full entropy, so a fast hash is enough and lookups stay one index probe).
//! Roles: `admin` (everything), `ops` (workflows, runs), `agent` (conversations, shortcuts),
//! `integration` (events in).

use super::error::ApiError;
use super::AppState;
use crate::store::Pool;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Ops,
    Agent,
    Integration,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Ops => "ops",
            Role::Agent => "agent",
            Role::Integration => "integration",
        }
    }

    fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "ops" => Some(Role::Ops),
            "agent" => Some(Role::Agent),
            "integration" => Some(Role::Integration),
            _ => None,
        }
    }
}

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

/// A live token as the extractor reads it: id, name, role, agent, last used.
type TokenRow = (i64, String, String, Option<String>, Option<i64>);

/// How stale a token's `last_used_at` may get before a request refreshes it.
const LAST_USED_PRECISION_MS: i64 = 60_000;

/// The stored form of a token.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Creates a token and returns it (the only time it is visible).
pub async fn create_token(
    pool: &Pool,
    name: &str,
    role: Role,
    agent_id: Option<&str>,
    now: i64,
) -> Result<String, ApiError> {
    Ok(issue_token(pool, name, role, agent_id, now).await?.1)
}

/// Creates a token; returns its row id and the token.
pub async fn issue_token(
    pool: &Pool,
    name: &str,
    role: Role,
    agent_id: Option<&str>,
    now: i64,
) -> Result<(i64, String), ApiError> {
    let token = new_token()?;
    let id = store_token(pool, name, role, agent_id, &token, Origin::Api, now).await?;
    Ok((id, token))
}

/// 32 random bytes, hex, with a prefix that secret scanners can recognise.
fn new_token() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    Ok(format!("sb_{}", hex::encode(bytes)))
}

/// Where a token came from (`api_tokens.origin`), which decides what replaces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// Created by an admin through the API; only an admin revokes it.
    Api,
    /// `SWITCHBOARD_ADMIN_TOKEN`: a newly configured token replaces it.
    Configured,
    /// The first admin token, printed once on first start.
    Generated,
}

impl Origin {
    fn as_str(self) -> &'static str {
        match self {
            Origin::Api => "api",
            Origin::Configured => "configured",
            Origin::Generated => "generated",
        }
    }
}

async fn store_token(
    pool: &Pool,
    name: &str,
    role: Role,
    agent_id: Option<&str>,
    token: &str,
    origin: Origin,
    now: i64,
) -> Result<i64, ApiError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO api_tokens (name, role, hash, agent_id, created_at, origin) VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING id",
    )
    .bind(name)
    .bind(role.as_str())
    .bind(hash(token))
    .bind(agent_id)
    .bind(now)
    .bind(origin.as_str())
    .fetch_one(pool)
    .await
    .map_err(internal)?;
    Ok(id)
}

/// Whether the token is still valid (not revoked), for requests that outlive their
/// authentication (live streams).
pub(super) async fn token_is_live(pool: &Pool, token_id: i64) -> Result<bool, ApiError> {
    let live: Option<i64> = sqlx::query_scalar("SELECT id FROM api_tokens WHERE id = $1 AND revoked_at IS NULL")
        .bind(token_id)
        .fetch_optional(pool)
        .await
        .map_err(internal)?;
    Ok(live.is_some())
}

pub(super) fn internal(e: sqlx::Error) -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
}

/// Makes sure an admin token exists. Returns a token to print when one was created here.
///
/// With `configured` (`SWITCHBOARD_ADMIN_TOKEN` or the config file) that token is registered
/// and *replaces* the previously configured one: changing the setting and restarting is how
/// the configured token is rotated, and the old one answers 401 from then on. A generated
/// first admin token that was never used is revoked too (nobody relies on it, and a token
/// printed once to a terminal long ago should not stay valid unseen); one that was used is
/// kept, since someone holds it, and a warning says how to revoke it
/// (`DELETE /api/tokens/{id}` by an admin). Tokens created through the API are untouched.
///
/// Without `configured`, a first admin token is generated when no admin token is live.
pub async fn ensure_admin(pool: &Pool, configured: Option<&str>, now: i64) -> Result<Option<String>, ApiError> {
    if let Some(token) = configured {
        let token = token.trim();
        if token.len() < 32 {
            return Err(ApiError::bad_request("the configured admin token must be at least 32 characters"));
        }
        let known: Option<(String, Option<i64>)> =
            sqlx::query_as("SELECT role, revoked_at FROM api_tokens WHERE hash = $1")
                .bind(hash(token))
                .fetch_optional(pool)
                .await
                .map_err(internal)?;
        match known {
            None => {
                store_token(pool, "admin (from the environment)", Role::Admin, None, token, Origin::Configured, now)
                    .await?;
            }
            Some((role, None)) if role == "admin" => {}
            Some(_) => {
                return Err(ApiError::bad_request("the configured admin token is revoked or is not an admin token"))
            }
        }
        let replaced = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE origin = 'configured' AND hash <> $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(hash(token))
        .execute(pool)
        .await
        .map_err(internal)?
        .rows_affected();
        if replaced > 0 {
            tracing::info!(revoked = replaced, "the previously configured admin token was replaced and revoked");
        }
        let unused = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1
             WHERE origin = 'generated' AND last_used_at IS NULL AND revoked_at IS NULL",
        )
        .bind(now)
        .execute(pool)
        .await
        .map_err(internal)?
        .rows_affected();
        if unused > 0 {
            tracing::info!(
                "the generated first admin token was never used and is revoked: an admin token is configured"
            );
        }
        let kept: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM api_tokens WHERE origin = 'generated' AND revoked_at IS NULL")
                .fetch_all(pool)
                .await
                .map_err(internal)?;
        for id in kept {
            tracing::warn!(
                token_id = id,
                "the generated first admin token is still valid because it was used; \
                 revoke it with DELETE /api/tokens/{id} when nobody needs it"
            );
        }
        return Ok(None);
    }
    let admins: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens WHERE role = 'admin' AND revoked_at IS NULL")
        .fetch_one(pool)
        .await
        .map_err(internal)?;
    if admins > 0 {
        return Ok(None);
    }
    let token = new_token()?;
    store_token(pool, "first admin", Role::Admin, None, &token, Origin::Generated, now).await?;
    Ok(Some(token))
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
        let row: Option<TokenRow> = sqlx::query_as(
            "SELECT id, name, role, agent_id, last_used_at FROM api_tokens WHERE hash = $1 AND revoked_at IS NULL",
        )
        .bind(hash(token.trim()))
        .fetch_optional(state.engine.pool())
        .await
        .map_err(internal)?;
        let (token_id, name, role, agent_id, last_used) =
            row.ok_or_else(|| unauthorized("unknown or revoked token"))?;
        let role = Role::parse(&role).ok_or_else(|| unauthorized("token with an unknown role"))?;
        // "Last used" to the minute: one write per token per minute, not one per request.
        let now = crate::clock::to_millis(state.engine.clock().now());
        if last_used.is_none_or(|at| now - at >= LAST_USED_PRECISION_MS) {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now)
                .bind(token_id)
                .execute(state.engine.pool())
                .await
                .map_err(internal)?;
        }
        Ok(Caller { role, token_id, name, agent_id })
    }
}
