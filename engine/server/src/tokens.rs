//! `/api/tokens`: admins create, list and revoke API tokens. A new token is shown once, in
//! the answer that creates it; the list shows names, roles and when each was last used,
//! never a token or its hash. The last admin token cannot be revoked (that would lock
//! everyone out).

use super::answers::{Agent, Created, Me, TokenCreated, TokenListed, TokenRevoked};
use super::auth::{Caller, Role};
use super::error::{ApiError, Body};
use super::page::{PageParams, Paged};
use super::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::Json;
use runtime::clock::{from_millis, to_millis};
use runtime::tokens::Revoked;
use serde::Deserialize;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// What the token is for ("CRM integration", "Ana's console").
    name: String,
    role: Role,
    /// For `agent` tokens: the agent the token acts as (required for agents, refused otherwise).
    #[serde(default)]
    agent_id: Option<String>,
}

pub async fn create(
    State(s): State<AppState>,
    caller: Caller,
    Body(b): Body<NewToken>,
) -> Result<Created<TokenCreated>, ApiError> {
    caller.require(&[])?;
    let name = b.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::bad_request("`name` must be 1 to 200 characters"));
    }
    match (b.role, b.agent_id.as_deref()) {
        (Role::Agent, None) => return Err(ApiError::bad_request("an `agent` token needs `agent_id`")),
        (Role::Agent, Some(agent)) => {
            if !s.engine.agents().await?.iter().any(|a| a.id == agent) {
                return Err(ApiError::not_found(format!("agent {agent}")));
            }
        }
        (role, Some(_)) => {
            return Err(ApiError::bad_request(format!("only agent tokens act as an agent; not `{}`", role.as_str())))
        }
        (_, None) => {}
    }
    let now = to_millis(s.engine.clock().now());
    let (id, token) = s.engine.issue_token(name, b.role, b.agent_id.as_deref()).await?;
    tracing::info!(token_id = id, role = b.role.as_str(), by = %caller.name, "API token created");
    Ok(Created(TokenCreated {
        id,
        name: name.to_owned(),
        role: b.role,
        agent_id: b.agent_id,
        created_at: from_millis(now).to_rfc3339(),
        token,
    }))
}

/// A page of the tokens list (see `page.rs`).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct TokenQuery {
    /// How many tokens a page holds (1 to 1,000; default 100).
    #[schemars(range(min = 1, max = 1000))]
    limit: Option<i64>,
    /// The `X-Next-Cursor` of the previous page.
    after: Option<String>,
}

/// API tokens in the order they were made, a page at a time; `current` marks the caller's.
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    uri: Uri,
    Query(q): Query<TokenQuery>,
) -> Result<Paged<TokenListed>, ApiError> {
    caller.require(&[])?;
    let page = PageParams::new(q.limit, q.after)?;
    let tokens = s.engine.list_tokens(page.limit, page.after()?).await?.map(|t| {
        let current = t.id == caller.token_id;
        TokenListed::new(t, current)
    });
    Ok(super::page::paged(tokens, &uri))
}

pub async fn revoke(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<TokenRevoked>, ApiError> {
    caller.require(&[])?;
    match s.engine.revoke_token(id).await? {
        Revoked::At(at) => {
            tracing::info!(token_id = id, by = %caller.name, "API token revoked");
            Ok(Json(TokenRevoked { id, revoked_at: from_millis(at).to_rfc3339() }))
        }
        Revoked::NoSuchToken => Err(ApiError::not_found(format!("token {id}"))),
        Revoked::LastAdmin => Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            "this is the last admin token; create another admin token before revoking it",
        )),
    }
}

/// Who the caller is: the token's name and role, and for agent tokens the agent (teams,
/// online status, open conversations). The agent console starts here.
pub async fn me(State(s): State<AppState>, caller: Caller) -> Result<Json<Me>, ApiError> {
    let agent = match &caller.agent_id {
        Some(id) => s.engine.agents().await?.into_iter().find(|a| &a.id == id).map(Agent::from),
        None => None,
    };
    Ok(Json(Me { name: caller.name, role: caller.role, agent_id: caller.agent_id, agent }))
}
