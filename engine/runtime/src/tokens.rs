//! API tokens with roles. A token is 32 random bytes shown once; only its SHA-256 is stored
//! (a token has full entropy, so a fast hash is enough and lookups stay one index probe).
//! Roles: `admin` (everything), `ops` (workflows, runs), `agent` (conversations, shortcuts),
//! `integration` (events in). The server's extractor (`server/src/auth.rs`) asks
//! [`Engine::authenticate`]; the rows are the store's (`store/src/tokens.rs`).

use crate::{Engine, Error};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use store::tokens::{self as rows, NewTokenRow};
use store::Pool;

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

/// Who a live token belongs to.
#[derive(Debug, Clone)]
pub struct TokenHolder {
    pub token_id: i64,
    pub name: String,
    pub role: Role,
    /// For agent tokens: the agent they act as.
    pub agent_id: Option<String>,
}

/// Why a token does not authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unauthenticated {
    UnknownOrRevoked,
    UnknownRole,
}

/// What revoking a token did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    /// Revoked now, or earlier, at this time.
    At(i64),
    /// There is no such token.
    NoSuchToken,
    /// It is the last live admin token, which cannot be revoked.
    LastAdmin,
}

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
) -> Result<String, Error> {
    Ok(issue_token(pool, name, role, agent_id, now).await?.1)
}

/// Creates a token; returns its row id and the token.
pub async fn issue_token(
    pool: &Pool,
    name: &str,
    role: Role,
    agent_id: Option<&str>,
    now: i64,
) -> Result<(i64, String), Error> {
    let token = new_token()?;
    let id = store_token(pool, name, role, agent_id, &token, Origin::Api, now).await?;
    Ok((id, token))
}

/// 32 random bytes, hex, with a prefix that secret scanners can recognise.
fn new_token() -> Result<String, Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| Error::Refused(format!("no randomness for a token: {e}")))?;
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
) -> Result<i64, Error> {
    let hash = hash(token);
    let row =
        NewTokenRow { name, role: role.as_str(), hash: &hash, agent_id, origin: origin.as_str(), created_at: now };
    Ok(rows::insert(pool, row).await?)
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
pub async fn ensure_admin(pool: &Pool, configured: Option<&str>, now: i64) -> Result<Option<String>, Error> {
    if let Some(token) = configured {
        let token = token.trim();
        if token.len() < 32 {
            return Err(Error::Refused("the configured admin token must be at least 32 characters".into()));
        }
        match rows::role_by_hash(pool, &hash(token)).await? {
            None => {
                store_token(pool, "admin (from the environment)", Role::Admin, None, token, Origin::Configured, now)
                    .await?;
            }
            Some((role, None)) if role == Role::Admin.as_str() => {}
            Some(_) => {
                return Err(Error::Refused("the configured admin token is revoked or is not an admin token".into()))
            }
        }
        let replaced = rows::revoke_origin_except(pool, Origin::Configured.as_str(), &hash(token), now).await?;
        if replaced > 0 {
            tracing::info!(revoked = replaced, "the previously configured admin token was replaced and revoked");
        }
        let unused = rows::revoke_unused(pool, Origin::Generated.as_str(), now).await?;
        if unused > 0 {
            tracing::info!(
                "the generated first admin token was never used and is revoked: an admin token is configured"
            );
        }
        for id in rows::live_of_origin(pool, Origin::Generated.as_str()).await? {
            tracing::warn!(
                token_id = id,
                "the generated first admin token is still valid because it was used; \
                 revoke it with DELETE /api/tokens/{id} when nobody needs it"
            );
        }
        return Ok(None);
    }
    if rows::count_live_with_role(pool, Role::Admin.as_str()).await? > 0 {
        return Ok(None);
    }
    let token = new_token()?;
    store_token(pool, "first admin", Role::Admin, None, &token, Origin::Generated, now).await?;
    Ok(Some(token))
}

impl Engine {
    /// The holder of a live token. "Last used" is kept to the minute: one write per token per
    /// minute, not one per request, and made on a task of its own, so a request never waits
    /// for the writer (behind a backlog that took seconds).
    pub async fn authenticate(&self, token: &str) -> Result<Result<TokenHolder, Unauthenticated>, Error> {
        let Some(row) = rows::live_by_hash(self.pool(), &hash(token.trim())).await? else {
            return Ok(Err(Unauthenticated::UnknownOrRevoked));
        };
        let Some(role) = Role::parse(&row.role) else {
            return Ok(Err(Unauthenticated::UnknownRole));
        };
        let now = self.now_ms();
        let stale = row.last_used_at.is_none_or(|at| now - at >= LAST_USED_PRECISION_MS);
        let touching = || self.inner.touching.lock().unwrap_or_else(|e| e.into_inner());
        if stale && touching().insert(row.id) {
            let engine = self.clone();
            let id = row.id;
            tokio::spawn(async move {
                let touched = async {
                    let mut tx = engine.bookkeeping().await?;
                    rows::touch(tx.conn(), id, now).await?;
                    tx.commit().await
                };
                if let Err(e) = touched.await {
                    tracing::warn!(token_id = id, error = %e, "recording when a token was last used failed");
                }
                engine.inner.touching.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
            });
        }
        Ok(Ok(TokenHolder { token_id: row.id, name: row.name, role, agent_id: row.agent_id }))
    }

    /// Whether the token is still valid (not revoked), for requests that outlive their
    /// authentication (live streams).
    pub async fn token_is_live(&self, token_id: i64) -> Result<bool, Error> {
        Ok(rows::is_live(self.pool(), token_id).await?)
    }

    /// Creates a token; returns its row id and the token (the only time it is visible).
    pub async fn issue_token(&self, name: &str, role: Role, agent_id: Option<&str>) -> Result<(i64, String), Error> {
        issue_token(self.pool(), name, role, agent_id, self.now_ms()).await
    }

    /// Revokes a token, unless it is the last admin token (that would lock everyone out).
    pub async fn revoke_token(&self, id: i64) -> Result<Revoked, Error> {
        let now = self.now_ms();
        if rows::revoke_unless_last_admin(self.pool(), id, now).await? {
            // Live streams opened with it end now, not at their next periodic check.
            self.tokens_revoked();
            return Ok(Revoked::At(now));
        }
        Ok(match rows::revoked_at(self.pool(), id).await? {
            None => Revoked::NoSuchToken,
            Some(Some(at)) => Revoked::At(at),
            Some(None) => Revoked::LastAdmin,
        })
    }
}
