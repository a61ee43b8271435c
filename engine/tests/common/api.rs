//! The HTTP API through its router (`tower::ServiceExt::oneshot`), with a token per role.

use super::{agent, engine_at};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use switchboard::server::auth::{create_token, ensure_admin, Role};
use switchboard::server::{app, AppState};
use tower::ServiceExt;

pub struct Api {
    pub app: axum::Router,
    pub engine: switchboard::runtime::Engine,
    pub clock: switchboard::clock::ManualClock,
    pub admin: String,
    pub ops: String,
    pub agent: String,
    pub integration: String,
}

pub async fn api() -> Api {
    let (engine, clock) = engine_at("2026-11-23T10:00:00Z").await;
    api_on(engine, clock).await
}

/// The API over an engine with these options (at the same time as [`api`]).
pub async fn api_with(options: switchboard::runtime::Options) -> Api {
    let (engine, clock) = super::engine_with("2026-11-23T10:00:00Z", options).await;
    api_on(engine, clock).await
}

async fn api_on(engine: switchboard::runtime::Engine, clock: switchboard::clock::ManualClock) -> Api {
    let pool = engine.pool().clone();
    let now = switchboard::clock::to_millis(engine.clock().now());
    let admin = ensure_admin(&pool, None, now).await.expect("admin").expect("a new admin token");
    engine.upsert_agent(&agent("bob", &["support"], true)).await.expect("bob");
    let ops = create_token(&pool, "ops", Role::Ops, None, now).await.expect("ops");
    let agent = create_token(&pool, "bob", Role::Agent, Some("bob"), now).await.expect("agent");
    let integration = create_token(&pool, "crm", Role::Integration, None, now).await.expect("integration");
    Api { app: app(AppState { engine: engine.clone() }), engine, clock, admin, ops, agent, integration }
}

impl Api {
    /// A new token acting as agent `agent_id` (who must exist).
    pub async fn agent_token(&self, agent_id: &str) -> String {
        let now = switchboard::clock::to_millis(self.engine.clock().now());
        create_token(self.engine.pool(), agent_id, Role::Agent, Some(agent_id), now).await.expect("agent token")
    }

    pub async fn call(&self, method: &str, uri: &str, token: Option<&str>, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req.header("content-type", "application/json").body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .expect("request");
        let res = self.app.clone().oneshot(req).await.expect("response");
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.expect("body");
        (
            status,
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned())),
        )
    }

    pub async fn raw(&self, req: Request<Body>) -> (StatusCode, Value) {
        let res = self.app.clone().oneshot(req).await.expect("response");
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.expect("body");
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }
}
