//! The HTTP API through its router (`tower::ServiceExt::oneshot`): success and failure paths
//! — bad JSON, wrong role, unknown id, invalid workflow, stale draft, oversized body, bad
//! signature, replayed webhook.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::api::api;
use common::*;
use serde_json::{json, Value};
use switchboard::server::auth::ensure_admin;
use tower::ServiceExt;

#[tokio::test]
async fn health_and_readiness_need_no_token() {
    let api = api().await;
    assert_eq!(api.call("GET", "/healthz", None, None).await.0, StatusCode::OK);
    assert_eq!(api.call("GET", "/readyz", None, None).await.0, StatusCode::OK);
}

#[tokio::test]
async fn tokens_and_roles_are_enforced() {
    let api = api().await;
    let (status, body) = api.call("GET", "/api/workflows", None, None).await;
    assert_eq!((status, body["code"].clone()), (StatusCode::UNAUTHORIZED, json!("unauthorized")));
    let (status, _) = api.call("GET", "/api/workflows", Some("sb_not-a-token"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = api.call("GET", "/api/workflows", Some(&api.agent), None).await;
    assert_eq!((status, body["code"].clone()), (StatusCode::FORBIDDEN, json!("forbidden")));
    assert_eq!(api.call("GET", "/api/workflows", Some(&api.integration), None).await.0, StatusCode::FORBIDDEN);
    assert_eq!(api.call("GET", "/api/workflows", Some(&api.ops), None).await.0, StatusCode::OK);
    assert_eq!(api.call("GET", "/api/workflows", Some(&api.admin), None).await.0, StatusCode::OK);
    let hashes: Vec<String> =
        sqlx::query_scalar("SELECT hash FROM api_tokens").fetch_all(api.engine.pool()).await.expect("hashes");
    assert!(hashes.iter().all(|h| h.len() == 64 && !h.starts_with("sb_")), "tokens are stored hashed");
}

#[tokio::test]
async fn drafts_publish_versions_diff_and_rollback() {
    let api = api().await;
    let csat = reference("csat");
    let (status, saved) = api.call("POST", "/api/workflows", Some(&api.ops), Some(json!({"source": csat}))).await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    assert_eq!(saved["revision"], json!(1));
    let (status, published) = api.call("POST", "/api/workflows/csat/publish", Some(&api.ops), None).await;
    assert_eq!((status, published["version"].clone()), (StatusCode::OK, json!(1)));

    let v2 = csat.replace("Thank you for your feedback!", "Thanks a lot!");
    let (status, saved) = api
        .call("PUT", "/api/workflows/csat/draft", Some(&api.ops), Some(json!({"source": v2, "base_revision": 1})))
        .await;
    assert_eq!((status, saved["revision"].clone()), (StatusCode::OK, json!(2)), "{saved}");
    api.call("POST", "/api/workflows/csat/publish", Some(&api.ops), None).await;
    let (_, versions) = api.call("GET", "/api/workflows/csat/versions", Some(&api.ops), None).await;
    assert_eq!(versions.as_array().map(Vec::len), Some(2));
    let (status, diff) = api.call("GET", "/api/workflows/csat/diff?from=1&to=2", Some(&api.ops), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(diff["steps"]["changed"], json!(["thanks"]));
    assert!(diff["unified"].as_str().is_some_and(|d| d.contains("+    text: Thanks a lot!")), "{diff}");
    let (status, rolled) =
        api.call("POST", "/api/workflows/csat/rollback", Some(&api.ops), Some(json!({"version": 1}))).await;
    assert_eq!((status, rolled["version"].clone()), (StatusCode::OK, json!(3)));
    let (_, v3) = api.call("GET", "/api/workflows/csat/versions/3", Some(&api.ops), None).await;
    assert_eq!(v3["source"], json!(csat));
    let (status, list) = api.call("GET", "/api/workflows", Some(&api.ops), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list[0]["current_version"], json!(3));
}

#[tokio::test]
async fn a_stale_draft_is_refused_with_what_changed() {
    let api = api().await;
    let csat = reference("csat");
    api.call("POST", "/api/workflows", Some(&api.ops), Some(json!({"source": csat}))).await;
    let theirs = csat.replace("scale: 5", "scale: 10");
    let (status, _) = api
        .call("PUT", "/api/workflows/csat/draft", Some(&api.admin), Some(json!({"source": theirs, "base_revision": 1})))
        .await;
    assert_eq!(status, StatusCode::OK);
    let mine = csat.replace("retries: 1", "retries: 2");
    let (status, body) = api
        .call("PUT", "/api/workflows/csat/draft", Some(&api.ops), Some(json!({"source": mine, "base_revision": 1})))
        .await;
    assert_eq!((status, body["code"].clone()), (StatusCode::CONFLICT, json!("conflict")));
    assert_eq!(body["details"]["current_revision"], json!(2));
    assert_eq!(body["details"]["saved_by"], json!("first admin"));
    assert!(body["details"]["changes"]["unified"].as_str().is_some_and(|d| d.contains("+    scale: 10")), "{body}");
}

#[tokio::test]
async fn invalid_workflows_bad_json_unknown_ids_and_oversized_bodies() {
    let api = api().await;
    let (status, body) =
        api.call("POST", "/api/workflows", Some(&api.ops), Some(json!({"source": "id: [unclosed"}))).await;
    assert_eq!((status, body["code"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("invalid_workflow")));
    assert_eq!(body["details"]["diagnostics"][0]["code"], json!("E0001"));
    assert!(body["details"]["diagnostics"][0]["pos"]["line"].is_number());
    // A draft with a graph error is saved (work in progress) but cannot be published.
    let broken = reference("csat").replace("next: { low: reopen }", "next: { low: nowhere }");
    let (status, saved) = api.call("POST", "/api/workflows", Some(&api.ops), Some(json!({"source": broken}))).await;
    assert_eq!(status, StatusCode::CREATED);
    let codes: Vec<Value> =
        saved["diagnostics"].as_array().map(|d| d.iter().map(|x| x["code"].clone()).collect()).unwrap_or_default();
    assert!(codes.contains(&json!("E0300")), "{saved}");
    let (status, body) = api.call("POST", "/api/workflows/csat/publish", Some(&api.ops), None).await;
    assert_eq!((status, body["code"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("invalid_workflow")));

    let bad_json = Request::post("/api/workflows")
        .header("authorization", format!("Bearer {}", api.ops))
        .header("content-type", "application/json")
        .body(Body::from("{\"source\": "))
        .expect("request");
    let (status, body) = api.raw(bad_json).await;
    assert_eq!((status, body["code"].clone()), (StatusCode::BAD_REQUEST, json!("bad_json")));
    let (status, body) = api.call("GET", "/api/workflows/nope", Some(&api.ops), None).await;
    assert_eq!((status, body["code"].clone()), (StatusCode::NOT_FOUND, json!("not_found")));
    assert_eq!(api.call("GET", "/api/runs/999", Some(&api.ops), None).await.0, StatusCode::NOT_FOUND);
    let huge = "x".repeat(switchboard::server::MAX_BODY + 1);
    let (status, body) = api.call("POST", "/api/workflows", Some(&api.ops), Some(json!({"source": huge}))).await;
    assert_eq!((status, body["code"].clone()), (StatusCode::PAYLOAD_TOO_LARGE, json!("too_large")));
}

#[tokio::test]
async fn events_are_accepted_once_and_processed() {
    let api = api().await;
    api.engine.publish(&reference("faq-menu")).await.expect("publish");
    let event = json!({"source": "crm", "id": "evt-1", "type": "message_received",
        "contact": {"address": {"channel": "simulator", "address": "ana"}}, "channel": "simulator",
        "message": {"text": "menu"}});
    let (status, body) = api.call("POST", "/api/events", Some(&api.integration), Some(event.clone())).await;
    assert_eq!((status, body["accepted"][0]["duplicate"].clone()), (StatusCode::ACCEPTED, json!(false)));
    let (_, again) = api.call("POST", "/api/events", Some(&api.integration), Some(json!([event]))).await;
    assert_eq!(again["accepted"][0]["duplicate"], json!(true));
    assert_eq!(api.engine.process_queue(10).await.expect("process"), 1);
    let (status, runs) = api.call("GET", "/api/runs?workflow=faq-menu&status=waiting", Some(&api.ops), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(runs.as_array().map(Vec::len), Some(1));
    let id = runs[0]["id"].as_i64().expect("id");
    let (_, detail) = api.call("GET", &format!("/api/runs/{id}"), Some(&api.ops), None).await;
    assert_eq!(detail["run"]["waiting"]["kind"], json!("reply"));
    assert!(detail["journal"].as_array().is_some_and(|j| j.len() == 2));
    let (_, cancelled) = api.call("POST", &format!("/api/runs/{id}/cancel"), Some(&api.ops), None).await;
    assert_eq!(cancelled["cancelled"], json!(1));
    let malformed = json!({"source": "crm", "type": "message_received", "contact": 5});
    let (status, _) = api.call("POST", "/api/events", Some(&api.integration), Some(malformed)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(api.call("POST", "/api/events", Some(&api.ops), Some(json!([]))).await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn signed_webhooks_refuse_bad_signatures_stale_timestamps_and_replays() {
    let api = api().await;
    api.engine
        .publish("schema: 1\nid: shipped\nname: Shipped\ntrigger: { type: webhook, contact_path: $.phone }\nstart: s\nsteps:\n  s: { kind: send_message, text: 'Shipped' }\n")
        .await
        .expect("publish");
    let (status, secret) = api.call("POST", "/api/workflows/shipped/webhook-secret", Some(&api.ops), None).await;
    assert_eq!(status, StatusCode::OK);
    let secret = secret["secret"].as_str().expect("secret").to_owned();
    let now = api.engine.clock().now().timestamp().to_string();
    let body = r#"{"phone": "+4915112345678"}"#;
    let send = |ts: &str, sig: &str| {
        Request::post("/api/webhooks/shipped")
            .header("x-switchboard-timestamp", ts)
            .header("x-switchboard-signature", sig)
            .body(Body::from(body))
            .expect("request")
    };
    let good = switchboard::server::events_sign(&secret, &now, body.as_bytes());
    assert_eq!(api.raw(send(&now, &good)).await.0, StatusCode::ACCEPTED);
    let (status, b) = api.raw(send(&now, &good)).await;
    assert_eq!((status, b["code"].clone()), (StatusCode::CONFLICT, json!("replayed")));
    let (status, b) = api.raw(send(&now, "sha256=00")).await;
    assert_eq!((status, b["code"].clone()), (StatusCode::UNAUTHORIZED, json!("bad_signature")));
    let old = (api.engine.clock().now().timestamp() - 600).to_string();
    let stale = switchboard::server::events_sign(&secret, &old, body.as_bytes());
    let (status, b) = api.raw(send(&old, &stale)).await;
    assert_eq!((status, b["code"].clone()), (StatusCode::UNAUTHORIZED, json!("stale_webhook")));
    assert_eq!(api.engine.process_queue(10).await.expect("process"), 1);
}

/// The whole answer to a request: status, content type and body bytes.
async fn answer(api: &common::api::Api, req: Request<Body>) -> (StatusCode, Option<String>, Vec<u8>) {
    let res = api.app.clone().oneshot(req).await.expect("response");
    let status = res.status();
    let content_type = res.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.expect("body");
    (status, content_type, bytes.to_vec())
}

/// Probing: an unknown id, a webhook workflow without a secret and a known one with a bad
/// signature answer byte for byte alike, whatever is wrong with the request.
#[tokio::test]
async fn unknown_webhook_ids_answer_exactly_like_bad_signatures() {
    let api = api().await;
    for id in ["shipped", "unsigned"] {
        let source = format!(
            "schema: 1\nid: {id}\nname: {id}\ntrigger: {{ type: webhook, contact_path: $.phone }}\nstart: s\nsteps:\n  s: {{ kind: send_message, text: 'Shipped' }}\n"
        );
        api.engine.publish(&source).await.expect("publish");
    }
    let (status, _) = api.call("POST", "/api/workflows/shipped/webhook-secret", Some(&api.ops), None).await;
    assert_eq!(status, StatusCode::OK);
    let now = api.engine.clock().now().timestamp().to_string();
    let old = (api.engine.clock().now().timestamp() - 600).to_string();
    let body = r#"{"phone": "+4915112345678"}"#;
    let other_secret = switchboard::server::events_sign("whsec_someone_else", &now, body.as_bytes());
    let cases: [(&str, Option<&str>, Option<&str>); 7] = [
        ("no headers", None, None),
        ("no signature", Some(&now), None),
        ("no timestamp", None, Some("sha256=00")),
        ("a timestamp that is no number", Some("soon"), Some("sha256=00")),
        ("a stale timestamp", Some(&old), Some("sha256=00")),
        ("a wrong signature", Some(&now), Some("sha256=00")),
        ("another secret's signature", Some(&now), Some(&other_secret)),
    ];
    for (what, timestamp, signature) in cases {
        let request = |id: &str| {
            let mut req = Request::post(format!("/api/webhooks/{id}"));
            if let Some(ts) = timestamp {
                req = req.header("x-switchboard-timestamp", ts);
            }
            if let Some(sig) = signature {
                req = req.header("x-switchboard-signature", sig);
            }
            req.body(Body::from(body)).expect("request")
        };
        let known = answer(&api, request("shipped")).await;
        assert_eq!(known.0, StatusCode::UNAUTHORIZED, "{what}");
        for id in ["nope", "unsigned"] {
            let probe = answer(&api, request(id)).await;
            assert_eq!(
                probe,
                known,
                "{what}: {id} answered {} {}, the known workflow {} {}",
                probe.0,
                String::from_utf8_lossy(&probe.2),
                known.0,
                String::from_utf8_lossy(&known.2)
            );
        }
    }
    assert_eq!(api.engine.process_queue(10).await.expect("process"), 0, "nothing was queued");
}

#[tokio::test]
async fn agents_press_shortcuts_but_not_stopped_ones() {
    let api = api().await;
    api.engine.publish(&reference("escalation-shortcut")).await.expect("publish");
    let ana = api.engine.handle(says("ana", "hi")).await.expect("hi").contact_id.expect("contact");
    let form = json!({"contact_id": ana, "form": {"reason": "Other", "priority": "high"}});
    let (status, body) =
        api.call("POST", "/api/shortcuts/escalation-shortcut", Some(&api.agent), Some(form.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["started"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        api.call("POST", "/api/workflows/escalation-shortcut/stop", Some(&api.ops), None).await.0,
        StatusCode::OK
    );
    let (status, body) = api.call("POST", "/api/shortcuts/escalation-shortcut", Some(&api.agent), Some(form)).await;
    assert_eq!((status, body["code"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("refused")));
    assert!(body["message"].as_str().is_some_and(|m| m.contains("stopped")), "{body}");
    assert_eq!(
        api.call("POST", "/api/workflows/escalation-shortcut/start", Some(&api.ops), None).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn metrics_show_runs_steps_and_waiting_work() {
    let api = api().await;
    api.engine.publish(&reference("faq-menu")).await.expect("publish");
    api.engine.handle(says("ana", "menu")).await.expect("menu");
    let (status, body) = api.call("GET", "/metrics", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let text = body.as_str().expect("text");
    assert!(text.contains("switchboard_runs{status=\"waiting\"} 1"), "{text}");
    assert!(text.contains("switchboard_step_transitions_total 1"), "{text}");
    assert!(text.contains("switchboard_ready{queue=\"outbox\"} 1"), "{text}");
    assert!(text.contains("switchboard_step_seconds_bucket"), "{text}");
    assert!(text.contains("switchboard_timer_lateness_seconds_count 0"), "{text}");
}

#[tokio::test]
async fn a_failed_run_can_be_retried_from_its_step() {
    let api = api().await;
    // The branch reads a custom field with a Rhai method that fails while the field is missing.
    api.engine
        .publish("schema: 1\nid: fragile\nname: Fragile\ntrigger: { type: message_received }\nstart: check\nsteps:\n  check:\n    kind: branch\n    branches: [{ name: vip, when: { expression: 'contact.fields.plan.contains(\"gold\")' } }]\n    next: { vip: hi }\n  hi: { kind: send_message, text: 'Hello, gold member' }\n")
        .await
        .expect("publish");
    let handled = api.engine.handle(says("ana", "hi")).await.expect("hi");
    let (run, ana) = (handled.started[0], handled.contact_id.expect("contact"));
    let (_, detail) = api.call("GET", &format!("/api/runs/{run}"), Some(&api.ops), None).await;
    assert_eq!(detail["run"]["status"], json!("failed"));
    let (status, body) = api.call("POST", "/api/runs/999/retry", Some(&api.ops), None).await;
    assert_eq!((status, body["code"].clone()), (StatusCode::NOT_FOUND, json!("not_found")));
    let set = switchboard::runtime::Event::new(switchboard::runtime::EventKind::FieldUpdated {
        contact: switchboard::runtime::ContactRef::Id(ana),
        field: "fields.plan".into(),
        value: json!("gold"),
    });
    api.engine.handle(set).await.expect("fix the data");
    let (status, body) = api.call("POST", &format!("/api/runs/{run}/retry"), Some(&api.ops), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], json!("completed"));
    let (status, body) = api.call("POST", &format!("/api/runs/{run}/retry"), Some(&api.ops), None).await;
    assert_eq!((status, body["code"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("refused")));
}

#[tokio::test]
async fn integrations_send_only_inbound_events_and_cannot_forge_webhooks() {
    let api = api().await;
    api.engine.publish(&reference("escalation-shortcut")).await.expect("publish");
    let shortcut = json!({"source": "crm", "id": "x1", "type": "shortcut", "contact": {"id": 1},
        "workflow": "escalation-shortcut", "agent_id": "bob", "form": {}});
    let (status, body) = api.call("POST", "/api/events", Some(&api.integration), Some(shortcut)).await;
    assert_eq!((status, body["code"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("event_not_allowed")));
    let webhook = json!({"source": "webhook:shipped", "id": "sha256=00", "type": "webhook", "workflow": "shipped", "payload": {}});
    let (status, _) = api.call("POST", "/api/events", Some(&api.integration), Some(webhook)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Sources are namespaced: an integration's ids never collide with a signed webhook's.
    let sources: Vec<String> =
        sqlx::query_scalar("SELECT source FROM inbox").fetch_all(api.engine.pool()).await.expect("inbox");
    assert!(sources.iter().all(|s| s.starts_with("api:")), "{sources:?}");
    // Unknown webhooks answer like bad signatures; secrets exist only for webhook workflows.
    let req = Request::post("/api/webhooks/nope").body(Body::from("{}")).expect("request");
    assert_eq!(api.raw(req).await.0, StatusCode::UNAUTHORIZED);
    let (status, _) = api.call("POST", "/api/workflows/escalation-shortcut/webhook-secret", Some(&api.ops), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_inbox_is_for_agents_and_the_admin_token_must_be_strong() {
    let api = api().await;
    assert_eq!(api.call("GET", "/api/contacts", Some(&api.ops), None).await.0, StatusCode::FORBIDDEN);
    let (status, body) = api.call("GET", "/api/contacts", Some(&api.agent), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = api.call("POST", "/api/agents/sam/online", Some(&api.agent), Some(json!({"online": true}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an agent sets only their own status");
    let weak = ensure_admin(api.engine.pool(), Some("short"), 0).await;
    assert!(weak.is_err());
    let revoked = "sb_configured_admin_token_that_is_long_enough_0001";
    assert_eq!(ensure_admin(api.engine.pool(), Some(revoked), 0).await.expect("registered"), None);
    sqlx::query("UPDATE api_tokens SET revoked_at = 1 WHERE name LIKE 'admin (from%'")
        .execute(api.engine.pool())
        .await
        .expect("revoke");
    assert!(ensure_admin(api.engine.pool(), Some(revoked), 0).await.is_err(), "a revoked configured token is an error");
}

#[tokio::test]
async fn malformed_paths_queries_and_routes_get_json_errors() {
    let api = api().await;
    for (uri, status) in [
        ("/api/runs/abc", StatusCode::BAD_REQUEST),
        ("/api/runs?limit=lots", StatusCode::BAD_REQUEST),
        ("/api/workflows/csat/diff?from=1", StatusCode::BAD_REQUEST),
        ("/api/nothing-here", StatusCode::NOT_FOUND),
    ] {
        let (got, body) = api.call("GET", uri, Some(&api.admin), None).await;
        assert_eq!(got, status, "{uri}: {body}");
        assert!(body["code"].is_string() && body["message"].is_string(), "{uri}: {body}");
    }
}

#[tokio::test]
async fn the_openapi_document_describes_every_route_and_its_access() {
    use switchboard::server::openapi::{Access, OPERATIONS};
    let api = api().await;
    let (status, doc) = api.call("GET", "/api/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["paths"]["/api/events"]["post"]["x-roles"], json!(["integration"]));
    for operation in OPERATIONS {
        let uri: String = operation
            .path
            .split('/')
            .map(|segment| if segment.starts_with('{') { "1" } else { segment })
            .collect::<Vec<_>>()
            .join("/");
        let (status, body) = api.call(&operation.method.to_uppercase(), &uri, None, None).await;
        let what = format!("{} {uri}: {status} {body}", operation.method);
        match operation.access {
            Access::Public => assert_eq!(status, StatusCode::OK, "{what}"),
            // The route exists (not 404/405) and refuses a caller without a token.
            Access::Roles(_) => assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}"),
            Access::Signed => assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}"),
            // No such connection: refused like a bad signature (or verify token).
            Access::ChannelSigned => {
                assert!(matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN), "{what}")
            }
        }
    }
}

/// Found by schemathesis: a second agent with the same email was a 500.
#[tokio::test]
async fn a_duplicate_agent_email_is_a_conflict_and_an_empty_one_is_none() {
    let api = api().await;
    let ann = json!({"id": "x", "name": "Ann", "email": "ann@example.com", "teams": ["a", "a"]});
    let (status, body) = api.call("PUT", "/api/agents/ann", Some(&api.admin), Some(ann)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the body names another agent: {body}");
    let ann = json!({"name": "Ann", "email": "ann@example.com", "teams": ["a", "a"]});
    let (status, body) = api.call("PUT", "/api/agents/ann", Some(&api.admin), Some(ann)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = api
        .call("PUT", "/api/agents/eve", Some(&api.admin), Some(json!({"name": "Eve", "email": "ann@example.com"})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["message"].as_str().unwrap_or_default().contains("ann@example.com"), "{body}");
    for who in ["eve", "joe"] {
        let (status, body) = api
            .call(
                "PUT",
                &format!("/api/agents/{who}"),
                Some(&api.admin),
                Some(json!({"id": who, "name": who, "email": ""})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}

#[tokio::test]
async fn admins_create_list_and_revoke_tokens() {
    let api = api().await;
    let new = json!({"name": "Bob's console", "role": "agent", "agent_id": "bob"});
    let (status, created) = api.call("POST", "/api/tokens", Some(&api.admin), Some(new.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let token = created["token"].as_str().expect("the token, shown once").to_owned();
    assert!(token.starts_with("sb_") && token.len() > 60);
    assert_eq!(api.call("GET", "/api/conversations", Some(&token), None).await.0, StatusCode::OK);
    assert_eq!(api.call("GET", "/api/workflows", Some(&token), None).await.0, StatusCode::FORBIDDEN);

    let (status, listed) = api.call("GET", "/api/tokens", Some(&api.admin), None).await;
    assert_eq!(status, StatusCode::OK);
    let text = listed.to_string();
    assert!(!text.contains(&token) && !text.contains(&switchboard::server::auth::hash(&token)), "{text}");
    let mine = listed.as_array().and_then(|l| l.iter().find(|t| t["id"] == created["id"]).cloned()).expect("listed");
    assert_eq!((mine["role"].clone(), mine["agent_id"].clone()), (json!("agent"), json!("bob")));
    assert!(mine["last_used_at"].is_string(), "a used token shows when: {mine}");

    // Only admins manage tokens; an agent token names an agent that exists; others name none.
    assert_eq!(api.call("POST", "/api/tokens", Some(&api.ops), Some(new)).await.0, StatusCode::FORBIDDEN);
    let cases = [
        (json!({"name": "x", "role": "agent"}), StatusCode::BAD_REQUEST),
        (json!({"name": "x", "role": "agent", "agent_id": "ghost"}), StatusCode::NOT_FOUND),
        (json!({"name": "x", "role": "ops", "agent_id": "bob"}), StatusCode::BAD_REQUEST),
        (json!({"name": " ", "role": "ops"}), StatusCode::BAD_REQUEST),
        (json!({"name": "x", "role": "root"}), StatusCode::UNPROCESSABLE_ENTITY),
    ];
    for (body, expected) in cases {
        let (status, answer) = api.call("POST", "/api/tokens", Some(&api.admin), Some(body.clone())).await;
        assert_eq!(status, expected, "{body} -> {answer}");
    }

    let id = created["id"].as_i64().expect("id");
    let (status, revoked) = api.call("DELETE", &format!("/api/tokens/{id}"), Some(&api.admin), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(revoked["revoked_at"].is_string());
    assert_eq!(api.call("GET", "/api/conversations", Some(&token), None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(api.call("DELETE", "/api/tokens/999", Some(&api.admin), None).await.0, StatusCode::NOT_FOUND);

    // The last admin token cannot be revoked; once there is another, it can.
    let admin_id =
        listed.as_array().and_then(|l| l.iter().find(|t| t["current"] == json!(true))).expect("current")["id"].clone();
    let (status, body) = api.call("DELETE", &format!("/api/tokens/{admin_id}"), Some(&api.admin), None).await;
    assert_eq!((status, body["code"].clone()), (StatusCode::CONFLICT, json!("conflict")), "{body}");
    let second = json!({"name": "second admin", "role": "admin"});
    let (_, second) = api.call("POST", "/api/tokens", Some(&api.admin), Some(second)).await;
    let second = second["token"].as_str().expect("token").to_owned();
    assert_eq!(api.call("DELETE", &format!("/api/tokens/{admin_id}"), Some(&second), None).await.0, StatusCode::OK);
    assert_eq!(api.call("GET", "/api/tokens", Some(&api.admin), None).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn agents_see_and_work_only_their_own_their_teams_and_unassigned_conversations() {
    let api = api().await;
    api.engine.upsert_agent(&agent("carol", &["sales"], true)).await.expect("carol");
    for (address, text) in [("ana", "hi"), ("ben", "hello"), ("cy", "hey"), ("dee", "yo")] {
        api.engine.handle(says(address, text)).await.expect("message");
    }
    let id_of = |name: &str| {
        let pool = api.engine.pool().clone();
        let name = name.to_owned();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT contact_id FROM contact_addresses WHERE address = $1")
                .bind(name)
                .fetch_one(&pool)
                .await
                .expect("contact")
        }
    };
    let (ana, ben, cy, dee) = (id_of("ana").await, id_of("ben").await, id_of("cy").await, id_of("dee").await);
    // ana: assigned to carol; ben: in the sales queue; cy: in the support queue; dee: unassigned.
    let (status, _) = api
        .call("POST", &format!("/api/contacts/{ana}/assign"), Some(&api.ops), Some(json!({"agent_id": "carol"})))
        .await;
    assert_eq!(status, StatusCode::OK);
    for (contact, team) in [(ben, "sales"), (cy, "support")] {
        sqlx::query("UPDATE conversations SET team = $1 WHERE contact_id = $2")
            .bind(team)
            .bind(contact)
            .execute(api.engine.pool())
            .await
            .expect("queue");
    }

    let (_, inbox) = api.call("GET", "/api/conversations", Some(&api.agent), None).await;
    let mut seen: Vec<i64> = inbox.as_array().expect("list").iter().filter_map(|c| c["contact_id"].as_i64()).collect();
    seen.sort();
    assert_eq!(seen, vec![cy, dee], "bob (support) sees the support queue and the unassigned: {inbox}");
    let (_, contacts) = api.call("GET", "/api/contacts", Some(&api.agent), None).await;
    assert_eq!(contacts.as_array().map(Vec::len), Some(2), "{contacts}");
    let (_, all) = api.call("GET", "/api/conversations", Some(&api.admin), None).await;
    assert_eq!(all.as_array().map(Vec::len), Some(4), "admins see everything");

    for (method, path, body) in [
        ("GET", format!("/api/contacts/{ana}"), None),
        ("GET", format!("/api/contacts/{ana}/messages"), None),
        ("POST", format!("/api/contacts/{ana}/messages"), Some(json!({"text": "I'll take this"}))),
        ("POST", format!("/api/contacts/{ben}/close"), Some(json!({}))),
        ("POST", format!("/api/contacts/{ben}/assign"), Some(json!({"agent_id": "bob"}))),
    ] {
        let (status, answer) = api.call(method, &path, Some(&api.agent), body).await;
        assert_eq!((status, answer["code"].clone()), (StatusCode::FORBIDDEN, json!("forbidden")), "{method} {path}");
    }
    let (status, _) = api
        .call("POST", &format!("/api/contacts/{cy}/messages"), Some(&api.agent), Some(json!({"text": "On it"})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "bob works his team's queue");
    assert_eq!(api.call("GET", "/api/contacts/9999", Some(&api.agent), None).await.0, StatusCode::NOT_FOUND);
    let (_, transcript) = api.call("GET", &format!("/api/contacts/{ana}/messages"), Some(&api.admin), None).await;
    assert!(!transcript.to_string().contains("I'll take this"), "the refused reply was not sent");
}

#[tokio::test]
async fn creating_over_an_existing_workflow_importing_and_publishing_a_stale_draft() {
    let api = api().await;
    let csat = reference("csat");
    api.call("POST", "/api/workflows", Some(&api.ops), Some(json!({"source": csat}))).await;
    let (status, body) = api.call("POST", "/api/workflows", Some(&api.ops), Some(json!({"source": csat}))).await;
    assert_eq!((status, body["details"]["current_revision"].clone()), (StatusCode::CONFLICT, json!(1)), "{body}");
    let (status, _) = api.call("PUT", "/api/workflows/csat/draft", Some(&api.ops), Some(json!({"source": csat}))).await;
    assert_eq!(status, StatusCode::CONFLICT, "a save without a base revision does not overwrite");

    // An import replaces the draft deliberately (revision 2); with a stale base it is refused.
    let import = |uri: &str, text: String| {
        Request::post(uri)
            .header("authorization", format!("Bearer {}", api.ops))
            .header("content-type", "application/yaml")
            .body(Body::from(text))
            .expect("request")
    };
    let imported = csat.replace("Thank you for your feedback!", "Imported thanks");
    let (status, body) = api.raw(import("/api/workflows/import", imported.clone())).await;
    assert_eq!((status, body["draft"]["revision"].clone()), (StatusCode::CREATED, json!(2)), "{body}");
    let (status, _) = api.raw(import("/api/workflows/import?base_revision=1", imported)).await;
    assert_eq!(status, StatusCode::CONFLICT);

    let (status, body) =
        api.call("POST", "/api/workflows/csat/publish", Some(&api.ops), Some(json!({"revision": 1}))).await;
    assert_eq!((status, body["details"]["current_revision"].clone()), (StatusCode::CONFLICT, json!(2)));
    let (status, body) =
        api.call("POST", "/api/workflows/csat/publish", Some(&api.ops), Some(json!({"revision": 2}))).await;
    assert_eq!((status, body["version"].clone()), (StatusCode::OK, json!(1)));
    let (_, yaml) = api.call("GET", "/api/workflows/csat/export", Some(&api.ops), None).await;
    assert!(yaml.as_str().is_some_and(|y| y.contains("Imported thanks")));
}

/// Every answer — API, error, editor — tells browsers not to sniff types and to send no
/// `Referer`; the editor's page allows no `eval`, no `<base>`, no plugins, no framing.
#[tokio::test]
async fn every_answer_carries_the_browser_hardening_headers() {
    let api = api().await;
    let get = |uri: &str, token: Option<&str>| {
        let mut req = Request::get(uri);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        req.body(Body::empty()).expect("request")
    };
    let bad_json = Request::post("/api/workflows")
        .header("authorization", format!("Bearer {}", api.ops))
        .header("content-type", "application/json")
        .body(Body::from("{\"source\": "))
        .expect("request");
    let requests = [
        ("an API answer", get("/api/workflows", Some(&api.ops)), StatusCode::OK),
        ("health", get("/healthz", None), StatusCode::OK),
        ("no token", get("/api/workflows", None), StatusCode::UNAUTHORIZED),
        ("an unknown route", get("/api/nope", Some(&api.ops)), StatusCode::NOT_FOUND),
        ("a rejected body", bad_json, StatusCode::BAD_REQUEST),
        (
            "a wrong method",
            Request::delete("/api/workflows").body(Body::empty()).expect("request"),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        ("the editor", get("/", None), StatusCode::OK),
    ];
    for (what, req, expected) in requests {
        let res = api.app.clone().oneshot(req).await.expect("response");
        let status = res.status();
        // A build without Node.js has no editor and says so with a 503 page.
        let ok = status == expected || (what == "the editor" && status == StatusCode::SERVICE_UNAVAILABLE);
        assert!(ok, "{what}: {status}");
        let header = |name: &str| res.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
        assert_eq!(header("referrer-policy"), "no-referrer", "{what}");
        let csp = header("content-security-policy");
        let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
        assert!(!csp.contains("unsafe-eval"), "{what}: {csp}");
        assert!(directives.contains(&"frame-ancestors 'none'"), "{what}: {csp}");
        assert!(directives.contains(&"base-uri 'none'"), "{what}: {csp}");
        if what == "the editor" {
            for directive in ["script-src 'self'", "object-src 'none'", "form-action 'self'"] {
                assert!(directives.contains(&directive), "the editor's CSP lacks {directive}: {csp}");
            }
        } else {
            assert!(directives.contains(&"default-src 'none'"), "{what}: {csp}");
        }
    }
}

#[tokio::test]
async fn the_editor_compiles_drafts_and_is_served_at_the_root() {
    let api = api().await;
    let draft = "schema: 1\nid: menu\ntrigger: { type: message_received }\nstart: ask\nsteps:\n  ask:\n    kind: ask\n    type: choice\n    text: Topic?\n    options: [{ label: Billing }, { label: 'Sí, claro' }]\n    next: { billing: nowhere }\n  broken:\n    kind: branch\n";
    let (status, compiled) = api.call("POST", "/api/compile", Some(&api.ops), Some(json!({"source": draft}))).await;
    assert_eq!(status, StatusCode::OK, "{compiled}");
    let ports: Vec<&str> =
        compiled["ports"]["ask"].as_array().expect("ports").iter().filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(ports, ["billing", "si_claro", "invalid", "failure"], "ports follow the options as typed");
    assert_eq!(compiled["ports"]["broken"], Value::Null, "a step whose config does not parse has no ports yet");
    let codes: Vec<&str> =
        compiled["diagnostics"].as_array().expect("diagnostics").iter().filter_map(|d| d["code"].as_str()).collect();
    assert!(codes.contains(&"E0300"), "the edge to a missing step is reported: {codes:?}");
    assert_eq!(
        api.call("POST", "/api/compile", Some(&api.agent), Some(json!({"source": draft}))).await.0,
        StatusCode::FORBIDDEN
    );

    // The root answers with the editor (or, in a build without Node.js, a page saying so);
    // unknown API routes stay JSON errors.
    let page = api.app.clone().oneshot(Request::get("/").body(Body::empty()).expect("request")).await.expect("page");
    assert!(matches!(page.status(), StatusCode::OK | StatusCode::SERVICE_UNAVAILABLE));
    let html = page.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(html.starts_with("text/html"), "{html}");
    let (status, body) = api.call("GET", "/api/nope", Some(&api.ops), None).await;
    assert_eq!((status, body["code"].clone()), (StatusCode::NOT_FOUND, json!("not_found")));
}
