//! The HTTP API through its router (`tower::ServiceExt::oneshot`): success and failure paths
//! — bad JSON, wrong role, unknown id, invalid workflow, stale draft, oversized body, bad
//! signature, replayed webhook.
//!
//! Long on purpose (over 600 lines): one integration binary per suite keeps the build and link
//! time of the test run down (each binary links the whole engine); tests are grouped by route.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::api::{api, api_with, Api};
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

/// Publishing a draft that is exactly the live version makes no new version: the answer is
/// that version with `unchanged: true` (and a stopped workflow goes live on it again). A
/// rollback is a deliberate act and always makes a new version.
#[tokio::test]
async fn publishing_an_unchanged_draft_answers_the_existing_version() {
    let api = api().await;
    api.call("POST", "/api/workflows", Some(&api.ops), Some(json!({"source": reference("csat")}))).await;
    let publish = || api.call("POST", "/api/workflows/csat/publish", Some(&api.ops), None);
    let (status, first) = publish().await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!((first["version"].clone(), first["unchanged"].clone()), (json!(1), json!(false)));
    let (status, again) = publish().await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!((again["version"].clone(), again["unchanged"].clone()), (json!(1), json!(true)));
    let (_, versions) = api.call("GET", "/api/workflows/csat/versions", Some(&api.ops), None).await;
    assert_eq!(versions.as_array().map(Vec::len), Some(1), "{versions}");

    // A stopped workflow published unchanged is live again on the same version.
    api.call("POST", "/api/workflows/csat/stop", Some(&api.ops), None).await;
    let (_, again) = publish().await;
    assert_eq!((again["version"].clone(), again["unchanged"].clone()), (json!(1), json!(true)));
    let (_, detail) = api.call("GET", "/api/workflows/csat", Some(&api.ops), None).await;
    assert_eq!((detail["status"].clone(), detail["current_version"].clone()), (json!("published"), json!(1)));

    // Rolling back, even to the live version's text, is a new version.
    let (status, rolled) =
        api.call("POST", "/api/workflows/csat/rollback", Some(&api.ops), Some(json!({"version": 1}))).await;
    assert_eq!((status, rolled["version"].clone()), (StatusCode::OK, json!(2)), "{rolled}");
    let (_, after) = publish().await;
    assert_eq!((after["version"].clone(), after["unchanged"].clone()), (json!(2), json!(true)));
    let (_, versions) = api.call("GET", "/api/workflows/csat/versions", Some(&api.ops), None).await;
    assert_eq!(versions.as_array().map(Vec::len), Some(2), "{versions}");
}

/// Checks every key of an answer: no retired name, ids of contacts, conversations and runs
/// as numbers, times (`*_at`) as RFC 3339 text.
fn one_name_one_type(what: &str, value: &Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                for old in ["draft_revision", "started_runs", "exited_runs", "cancelled_runs", "workflow"] {
                    assert_ne!(key, old, "{what}: `{key}` is an old name: {value}");
                }
                if matches!(key.as_str(), "contact_id" | "conversation_id" | "run_id") {
                    assert!(v.is_i64() || v.is_null(), "{what}: `{key}` is not a number: {value}");
                }
                if key.ends_with("_at") {
                    let rfc3339 = v.as_str().is_some_and(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok());
                    assert!(rfc3339 || v.is_null(), "{what}: `{key}` is not an RFC 3339 time: {value}");
                }
                one_name_one_type(what, v);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| one_name_one_type(what, v)),
        _ => {}
    }
}

/// One name and one type per concept: a workflow's draft revision is `revision` in every
/// answer (create, save, the list, the detail), a contact's id is a number wherever it
/// appears, lists of runs are `started`/`exited`/`cancelled`, a workflow is `workflow_id`.
#[tokio::test]
async fn the_same_concept_has_one_name_and_one_type_in_every_answer() {
    let api = api().await;
    let csat = reference("csat");
    let mut answers: Vec<(String, Value)> = Vec::new();
    let (_, created) = api.call("POST", "/api/workflows", Some(&api.ops), Some(json!({"source": csat}))).await;
    assert_eq!(created["revision"], json!(1), "{created}");
    let (_, detail) = api.call("GET", "/api/workflows/csat", Some(&api.ops), None).await;
    assert_eq!(detail["revision"], json!(1), "{detail}");
    let edited = csat.replace("Thank you for your feedback!", "Thanks a lot!");
    let body = json!({"source": edited, "base_revision": detail["revision"]});
    let (status, saved) = api.call("PUT", "/api/workflows/csat/draft", Some(&api.ops), Some(body)).await;
    assert_eq!((status, saved["revision"].clone()), (StatusCode::OK, json!(2)), "{saved}");
    let (_, list) = api.call("GET", "/api/workflows", Some(&api.ops), None).await;
    assert_eq!(list[0]["revision"], json!(2), "{list}");
    let (_, detail) = api.call("GET", "/api/workflows/csat", Some(&api.ops), None).await;
    assert_eq!(detail["revision"], json!(2), "{detail}");
    answers.extend([
        ("create".into(), created),
        ("save".into(), saved),
        ("list".into(), list),
        ("detail".into(), detail),
    ]);
    api.call("POST", "/api/workflows/csat/publish", Some(&api.ops), None).await;
    api.engine.publish(&reference("escalation-shortcut")).await.expect("publish");

    let ana = api.engine.handle(says("ana", "hi")).await.expect("ana").contact_id.expect("id");
    let (_, contacts) = api.call("GET", "/api/contacts", Some(&api.admin), None).await;
    let ids: Vec<Value> = contacts.as_array().expect("contacts").iter().map(|c| c["id"].clone()).collect();
    assert_eq!(ids, vec![json!(ana)], "contact ids are numbers: {contacts}");
    let (_, contact) = api.call("GET", &format!("/api/contacts/{ana}"), Some(&api.admin), None).await;
    assert_eq!(contact["id"], json!(ana), "{contact}");
    let (_, shortcuts) = api.call("GET", "/api/shortcuts", Some(&api.agent), None).await;
    assert_eq!(shortcuts[0]["workflow_id"], json!("escalation-shortcut"), "{shortcuts}");
    let reply = json!({"text": "On it"});
    let (_, replied) = api.call("POST", &format!("/api/contacts/{ana}/messages"), Some(&api.agent), Some(reply)).await;
    assert!(replied["exited"].is_array(), "{replied}");
    let (_, closed) = api.call("POST", &format!("/api/contacts/{ana}/close"), Some(&api.agent), Some(json!({}))).await;
    assert_eq!(closed["started"].as_array().map(Vec::len), Some(1), "CSAT starts: {closed}");
    let (_, opened) = api.call("POST", &format!("/api/contacts/{ana}/open"), Some(&api.agent), None).await;
    assert!(opened["started"].is_array(), "{opened}");
    let (_, stopped) = api.call("POST", "/api/workflows/csat/stop", Some(&api.ops), Some(json!({"eject": true}))).await;
    assert_eq!(stopped["cancelled"], json!(1), "{stopped}");
    let (_, conversations) = api.call("GET", "/api/conversations", Some(&api.admin), None).await;
    let (_, runs) = api.call("GET", "/api/runs?test=true", Some(&api.ops), None).await;
    let (_, transcript) = api.call("GET", &format!("/api/contacts/{ana}/messages"), Some(&api.admin), None).await;
    let (_, contact) = api.call("GET", &format!("/api/contacts/{ana}"), Some(&api.admin), None).await;
    assert!(contact["channels"]["simulator"]["last_inbound_at"].is_string(), "{contact}");
    let shipped = "schema: 1\nid: shipped\nname: Shipped\ntrigger: { type: webhook, contact_path: $.phone }\nstart: s\nsteps:\n  s: { kind: send_message, text: 'Shipped' }\n";
    api.engine.publish(shipped).await.expect("publish");
    let (_, secret) = api.call("POST", "/api/workflows/shipped/webhook-secret", Some(&api.ops), None).await;
    assert_eq!(secret["workflow_id"], json!("shipped"), "{secret}");
    answers.push(("webhook-secret".into(), secret));
    answers.extend([
        ("contacts".into(), contacts),
        ("contact".into(), contact),
        ("shortcuts".into(), shortcuts),
        ("reply".into(), replied),
        ("close".into(), closed),
        ("open".into(), opened),
        ("stop".into(), stopped),
        ("conversations".into(), conversations),
        ("runs".into(), runs),
        ("transcript".into(), transcript),
    ]);
    for (what, answer) in &answers {
        one_name_one_type(what, answer);
    }
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
    // Processed as it was accepted (SQLite, nothing queued), or by the queue (PostgreSQL).
    while api.engine.process_queue(10).await.expect("process") > 0 {}
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

/// Hostile or careless event senders: every refusal names the event and the field, each
/// status has its own code, and a batch with one bad event stores nothing.
#[tokio::test]
async fn hostile_events_are_refused_with_the_field_and_nothing_is_stored() {
    let api = api().await;
    // Contact 1, whom the good event names (an unknown contact id is refused at intake).
    assert_eq!(api.engine.handle(says("ana", "hi")).await.expect("ana").contact_id, Some(1));
    let good = json!({"source": "crm", "id": "ok-1", "type": "tag_updated", "contact": {"id": 1}, "tag": "vip", "added": true});
    let post = |body: Value| api.call("POST", "/api/events", Some(&api.integration), Some(body));
    let big = "x".repeat(400_000);
    let mut cases = Vec::new();
    let with = |pointer: &str, value: Value| {
        let mut event = good.clone();
        let (parent, key) = pointer.rsplit_once('/').expect("pointer");
        event.pointer_mut(parent).and_then(Value::as_object_mut).expect("parent").insert(key.to_owned(), value);
        event
    };
    cases.push((with("/type", json!("tag_exploded")), "[1].type", "unknown variant `tag_exploded`"));
    cases.push((with("/colour", json!("red")), "[1]", "unknown field `colour`"));
    cases.push((with("/contact", json!({"id": 1, "name": "x"})), "[1].contact", "a single key"));
    let message = json!({"source": "crm", "type": "message_received", "channel": "sms",
        "contact": {"address": {"channel": "sms", "address": "+1"}}, "message": {"text": "hi", "colour": 1}});
    cases.push((message, "[1].message", "unknown field `colour`"));
    cases.push((with("/id", json!(big)), "[1].id", "at most 256 characters"));
    cases.push((with("/tag", json!(big)), "[1].tag", "at most 100 characters"));
    cases.push((
        with("/contact", json!({"address": {"channel": "sms", "address": big}})),
        "[1].contact.address.address",
        "at most 320",
    ));
    cases.push((with("/added", json!("yes")), "[1].added", "expected a boolean"));
    for (bad, path, problem) in cases {
        let (status, body) = post(json!([good.clone(), bad])).await;
        assert_eq!((status, body["code"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("invalid_body")), "{body}");
        let message = body["message"].as_str().unwrap_or_default();
        assert!(message.starts_with(path) && message.contains(problem), "{path} / {problem}: {message}");
        assert!(!message.contains("OneOrMany") && !message.contains("i64"), "{message}");
        assert!(body["details"]["path"].as_str().is_some_and(|p| p.starts_with(path)), "{body}");
    }
    let field = json!({"source": "crm", "type": "field_updated", "contact": {"id": 1}, "field": "plan", "value": big});
    let (status, body) = post(field).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["message"].as_str().is_some_and(|m| m.starts_with("value: at most 8192 bytes")), "{body}");
    // None of the refused batches stored its good first event.
    assert_eq!(api.engine.process_queue(100).await.expect("process"), 0);
    let (_, accepted) = post(good.clone()).await;
    assert_eq!(accepted["accepted"][0]["duplicate"], json!(false), "ok-1 was never accepted before");

    // Wrong content type and oversized bodies: their own codes, the limit in the message.
    let plain = Request::post("/api/events")
        .header("authorization", format!("Bearer {}", api.integration))
        .header("content-type", "text/plain")
        .body(Body::from(good.to_string()))
        .expect("request");
    let (status, body) = api.raw(plain).await;
    assert_eq!((status, body["code"].clone()), (StatusCode::UNSUPPORTED_MEDIA_TYPE, json!("unsupported_media_type")));
    assert!(body["message"].as_str().is_some_and(|m| m.contains("application/json")), "{body}");
    let huge = json!({"source": "crm", "type": "tag_updated", "tag": "x".repeat(switchboard::server::MAX_BODY)});
    let (status, body) = post(huge).await;
    assert_eq!((status, body["code"].clone()), (StatusCode::PAYLOAD_TOO_LARGE, json!("too_large")));
    assert!(body["message"].as_str().is_some_and(|m| m.contains("1048576 bytes")), "{body}");

    // The same limits hold on every other way in: an agent's reply, a shortcut's form.
    let contact = api.engine.handle(says("ana", "hi")).await.expect("ana").contact_id.expect("id");
    let reply = json!({"text": "x".repeat(20_000)});
    let (status, body) =
        api.call("POST", &format!("/api/contacts/{contact}/messages"), Some(&api.agent), Some(reply)).await;
    assert_eq!((status, body["code"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("invalid_body")), "{body}");
    assert!(body["message"].as_str().is_some_and(|m| m.starts_with("text: at most 16384")), "{body}");
    api.engine.publish(&reference("escalation-shortcut")).await.expect("publish");
    let form = json!({"contact_id": contact, "form": {"reason": "y".repeat(9_000)}});
    let (status, body) = api.call("POST", "/api/shortcuts/escalation-shortcut", Some(&api.agent), Some(form)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| m.starts_with("form.reason: at most 8192 bytes")), "{body}");
}

/// Event ids are remembered for a week, then forgotten, so the table stays bounded.
#[tokio::test]
async fn event_ids_are_forgotten_after_the_retention() {
    let api = api().await;
    assert_eq!(api.engine.handle(says("ana", "hi")).await.expect("ana").contact_id, Some(1));
    let event = json!({"source": "crm", "id": "evt-old", "type": "tag_updated", "contact": {"id": 1}, "tag": "vip", "added": true});
    let post = || api.call("POST", "/api/events", Some(&api.integration), Some(event.clone()));
    assert_eq!(post().await.1["accepted"][0]["duplicate"], json!(false));
    api.clock.advance(chrono::Duration::days(6));
    assert_eq!(api.engine.prune_history(|| {}).await.expect("prune").event_ids, 0);
    assert_eq!(post().await.1["accepted"][0]["duplicate"], json!(true), "within the retention it is a duplicate");
    api.clock.advance(chrono::Duration::days(2));
    assert_eq!(api.engine.prune_history(|| {}).await.expect("prune").event_ids, 1);
    assert_eq!(post().await.1["accepted"][0]["duplicate"], json!(false), "forgotten after 7 days");
}

/// Expressions cannot wait, read the clock or reach out: refused when compiled, with the
/// place, so such a workflow is never published.
#[tokio::test]
async fn expressions_that_could_block_the_engine_are_refused_at_compile_time() {
    let api = api().await;
    let source = "schema: 1\nid: slow\nname: Slow\ntrigger: { type: manual }\nstart: check\nsteps:\n  check:\n    kind: branch\n    branches:\n      - name: slow\n        when: { expression: \"sleep(15) == ()\" }\n    next: { slow: done, else: done }\n  done:\n    kind: send_message\n    text: \"{{ sleep(10) }}done\"\n";
    let (status, compiled) = api.call("POST", "/api/compile", Some(&api.ops), Some(json!({"source": source}))).await;
    assert_eq!(status, StatusCode::OK);
    let diagnostics = compiled["diagnostics"].as_array().cloned().unwrap_or_default();
    let sleeps: Vec<&Value> =
        diagnostics.iter().filter(|d| d["message"].as_str().is_some_and(|m| m.contains("`sleep`"))).collect();
    assert_eq!(sleeps.len(), 2, "{compiled}");
    assert_eq!(sleeps[0]["pos"]["line"], json!(11), "{compiled}");
    assert_eq!(sleeps[1]["pos"]["line"], json!(15), "{compiled}");
    let (status, body) = api.call("POST", "/api/workflows", Some(&api.ops), Some(json!({"source": source}))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = api.call("POST", "/api/workflows/slow/publish", Some(&api.ops), None).await;
    assert_eq!((status, body["code"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("invalid_workflow")));
}

/// The warnings `/api/compile` gives on a workflow that compiles cleanly.
async fn warnings(api: &Api, source: String) -> Vec<Value> {
    let (status, compiled) = api.call("POST", "/api/compile", Some(&api.ops), Some(json!({"source": source}))).await;
    assert_eq!(status, StatusCode::OK, "{compiled}");
    assert_eq!(compiled["diagnostics"], json!([]), "{compiled}");
    compiled["warnings"].as_array().cloned().expect("warnings")
}

/// An assignment nobody could ever take is silent at run time (the contact just waits), so
/// the editor's compile warns about it on the step, by the workspace's agents.
#[tokio::test]
async fn the_editor_is_warned_of_an_assignment_nobody_could_take() {
    let api = api().await;
    let flow = |assign: &str| {
        format!(
            "schema: 1\nid: route\nname: Route\ntrigger: {{ type: manual }}\nstart: route\nsteps:\n  route:\n    kind: {assign}\n    next: {{ timeout: sorry }}\n  sorry:\n    kind: add_comment\n    text: Nobody came\n"
        )
    };
    let none: Vec<Value> = Vec::new();
    // Bob (support) is online: the support team and the workspace can be assigned.
    assert_eq!(warnings(&api, flow("assign\n    team: support")).await, none);
    assert_eq!(warnings(&api, flow("assign\n    to: workspace")).await, none);
    // Nobody is in `billing`.
    let found = warnings(&api, flow("escalate\n    team: billing")).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (&found[0]["code"], &found[0]["severity"], &found[0]["step"], &found[0]["path"]),
        (&json!("assignment"), &json!("warning"), &json!("route"), &json!("/steps/route/team"))
    );
    assert_eq!(found[0]["pos"], json!({"line": 9, "col": 11}));
    assert!(found[0]["message"].as_str().is_some_and(|m| m.starts_with("team `billing` has no agents")), "{found:?}");
    // Bob goes away: nobody online, and assign wants online agents by default.
    api.engine.set_agent_online("bob", false).await.expect("away");
    let found = warnings(&api, flow("assign\n    team: support")).await;
    assert!(
        found[0]["message"].as_str().is_some_and(|m| m.starts_with("nobody in team `support` is online")),
        "{found:?}"
    );
    assert_eq!(found[0]["path"], json!("/steps/route/team"));
    let found = warnings(&api, flow("assign\n    to: workspace")).await;
    assert_eq!(found[0]["path"], json!("/steps/route"), "the workspace: on the step");
    assert_eq!(warnings(&api, flow("assign\n    team: support\n    online_only: false")).await, none);
    // A team filled in at run time is not checked; nor is a workflow that does not compile.
    assert_eq!(warnings(&api, flow("assign\n    team: 'support-{{contact.language}}'")).await, none);
    let broken = flow("assign\n    team: billing").replace("next: { timeout: sorry }", "next: { timeout: nowhere }");
    let (_, compiled) = api.call("POST", "/api/compile", Some(&api.ops), Some(json!({"source": broken}))).await;
    assert_eq!(compiled["warnings"], json!([]));
}

/// A YAML alias bomb made of one large string: refused by its expanded size in bytes.
#[tokio::test]
async fn yaml_aliases_are_bounded_in_bytes() {
    let api = api().await;
    let mut source = format!("schema: 1\nid: bomb\nx: &big \"{}\"\ny: [", "x".repeat(100_000));
    source.push_str(&"*big, ".repeat(3_000));
    source.push_str("]\n");
    assert!(source.len() < 130_000);
    for uri in ["/api/compile", "/api/workflows"] {
        let (_, answer) = api.call("POST", uri, Some(&api.ops), Some(json!({"source": source}))).await;
        let text = answer.to_string();
        assert!(text.contains("16 MiB"), "{uri}: {}", &text[..text.len().min(500)]);
    }
    let import = Request::post("/api/workflows/import")
        .header("authorization", format!("Bearer {}", api.ops))
        .header("content-type", "application/yaml")
        .body(Body::from(source))
        .expect("request");
    let (_, answer) = api.raw(import).await;
    assert!(answer.to_string().contains("16 MiB"), "import: {answer}");
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
    let stored: String = sqlx::query_scalar("SELECT secret FROM webhook_secrets WHERE workflow_id = 'shipped'")
        .fetch_one(api.engine.pool())
        .await
        .expect("row");
    assert!(stored.starts_with("sb1:") && !stored.contains(&secret), "sealed at rest");
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
    while api.engine.process_queue(10).await.expect("process") > 0 {}
    let runs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM runs WHERE workflow_id = 'shipped'")
        .fetch_one(api.engine.pool())
        .await
        .expect("runs");
    assert_eq!(runs, 1, "only the good webhook started a run");
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

/// A press is checked against the shortcut's own form: a select answered with something not
/// among its options, an unknown field, a wrong type or a blank required field is refused
/// with 422 naming `form.<field>`, and no run starts.
#[tokio::test]
async fn shortcut_forms_are_checked_against_their_definition() {
    let api = api().await;
    api.engine.publish(&reference("escalation-shortcut")).await.expect("publish");
    let ana = api.engine.handle(says("ana", "hi")).await.expect("hi").contact_id.expect("contact");
    let press = |form: Value| {
        api.call(
            "POST",
            "/api/shortcuts/escalation-shortcut",
            Some(&api.agent),
            Some(json!({"contact_id": ana, "form": form})),
        )
    };
    for (form, field, words) in [
        (json!({"reason": "Other", "priority": "critical"}), "form.priority", "`critical` is not one of the options"),
        (json!({"reason": "Other", "priority": "high", "mood": "grumpy"}), "form.mood", "unknown field"),
        (json!({"reason": "Other", "priority": "high", "details": 42}), "form.details", "takes a string"),
        (json!({"reason": "Other", "priority": ""}), "form.priority", "is required"),
        (json!({"reason": ["Other"], "priority": "high"}), "form.reason", "takes a string"),
    ] {
        let (status, body) = press(form.clone()).await;
        assert_eq!(
            (status, body["code"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!("invalid_body")),
            "{form}: {body}"
        );
        assert_eq!(body["details"]["path"], json!(field), "{form}: {body}");
        assert!(body["message"].as_str().is_some_and(|m| m.starts_with(field) && m.contains(words)), "{form}: {body}");
    }
    let runs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM runs").fetch_one(api.engine.pool()).await.expect("runs");
    assert_eq!(runs, 0, "a refused press starts nothing");
    let (status, body) = press(json!({"reason": "Other", "priority": "urgent", "details": ""})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
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

    // When a token was last used is written off the request path: it shows soon after.
    eventually(std::time::Duration::from_secs(10), "the token's last use to be recorded", async || {
        let (_, listed) = api.call("GET", "/api/tokens", Some(&api.admin), None).await;
        listed.as_array().is_some_and(|l| l.iter().any(|t| t["id"] == created["id"] && t["last_used_at"].is_string()))
    })
    .await;
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

/// The takeover of issue 15: an integration posts a message from a new address of its own
/// with the victim's email and phone in the profile. It must get a contact of its own, never
/// the victim's history or what agents write to the victim afterwards.
#[tokio::test]
async fn a_profile_with_someone_elses_phone_or_email_never_joins_their_contact() {
    let api = api().await;
    let victim = api.engine.handle(says("vera", "I forgot my password")).await.expect("vera").contact_id.expect("id");
    for (field, value) in [("email", "vera@example.com"), ("phone", "+4915112345678")] {
        let set = json!({"source": "crm", "type": "field_updated", "contact": {"id": victim}, "field": field, "value": value});
        assert_eq!(api.call("POST", "/api/events", Some(&api.integration), Some(set)).await.0, StatusCode::ACCEPTED);
    }
    let reply = json!({"text": "Your password reset code is 731904"});
    let (status, body) =
        api.call("POST", &format!("/api/contacts/{victim}/messages"), Some(&api.agent), Some(reply)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // The spy claims the victim's email and phone; a channel's verification cannot be claimed.
    let mut spy = json!({"source": "crm", "id": "m-1", "type": "message_received",
        "contact": {"address": {"channel": "simulator", "address": "spy"}}, "channel": "simulator",
        "message": {"text": "hi"},
        "profile": {"name": "Spy", "email": "vera@example.com", "phone": "+4915112345678"},
        "verified": [{"kind": "phone", "value": "+4915112345678"}]});
    let (status, body) = api.call("POST", "/api/events", Some(&api.integration), Some(spy.clone())).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| m.contains("unknown field `verified`")), "{body}");
    spy.as_object_mut().and_then(|o| o.remove("verified"));
    let (status, body) = api.call("POST", "/api/events", Some(&api.integration), Some(spy)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    while api.engine.process_queue(100).await.expect("queue") > 0 {}
    let later = json!({"text": "Second code: 551177"});
    let (status, _) =
        api.call("POST", &format!("/api/contacts/{victim}/messages"), Some(&api.agent), Some(later)).await;
    assert_eq!(status, StatusCode::CREATED);
    flush(&api.engine).await;

    let (status, seen) = api.call("GET", "/api/simulator/contacts/spy", Some(&api.integration), None).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_ne!(seen["contact_id"], json!(victim), "the spy's address is a contact of its own");
    let text = seen["messages"].to_string();
    assert!(!text.contains("731904") && !text.contains("551177") && !text.contains("forgot"), "{text}");
    let (_, vera) = api.call("GET", &format!("/api/contacts/{victim}"), Some(&api.admin), None).await;
    assert_eq!(
        vera["channels"].as_object().map(|c| c.keys().cloned().collect::<Vec<_>>()),
        Some(vec!["simulator".into()])
    );
    assert_eq!(vera["channels"]["simulator"]["address"], "vera", "{vera}");
    let (_, spy) = api.call("GET", &format!("/api/contacts/{}", seen["contact_id"]), Some(&api.admin), None).await;
    assert_eq!((spy["name"].clone(), spy["phone"].clone()), (json!("Spy"), json!("+4915112345678")), "{spy}");
    assert_eq!(spy["verified"], json!([]), "nothing an API event says is verified");
    let (_, history) = api.call("GET", &format!("/api/contacts/{victim}/messages"), Some(&api.admin), None).await;
    assert!(!history.to_string().contains("joined this contact"), "no merge happened: {history}");

    // The signed webhooks' addresses cannot be made up through the API either.
    let squat = json!({"source": "crm", "type": "message_received",
        "contact": {"address": {"channel": "webhook-phone", "address": "+4915112345678"}}, "channel": "simulator",
        "message": {"text": "hi"}});
    let (status, body) = api.call("POST", "/api/events", Some(&api.integration), Some(squat)).await;
    assert_eq!((status, body["code"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("event_not_allowed")));
    assert!(body["message"].as_str().is_some_and(|m| m.contains("event 0") && m.contains("webhook-phone")), "{body}");
}

/// Does `token` get past authentication (200 on `/api/me`) or not (401)?
async fn me_status(app: &axum::Router, token: &str) -> StatusCode {
    let req = Request::get("/api/me").header("authorization", format!("Bearer {token}")).body(Body::empty());
    app.clone().oneshot(req.expect("request")).await.expect("response").status()
}

#[tokio::test]
async fn a_newly_configured_admin_token_replaces_the_previous_one() {
    use switchboard::runtime::{Engine, Options};
    let url = durable_database_url().await;
    let t1 = "sb_configured_admin_token_number_one_0000000001";
    let t2 = "sb_configured_admin_token_number_two_0000000002";
    let open = |url: String| async move {
        let clock = switchboard::clock::ManualClock::at("2026-11-23T10:00:00Z".parse().expect("time"));
        let options = Options { database_url: url, secret_keys: Some(test_keys(1, &[])), ..Options::default() };
        Engine::open(options, std::sync::Arc::new(clock)).await.expect("engine")
    };
    // First start without a configured token: a generated one, never used; then one more
    // generated-and-used token stands for an operator who logged in with it.
    let engine = open(url.clone()).await;
    let generated = ensure_admin(engine.pool(), None, 0).await.expect("admin").expect("generated");
    assert_eq!(ensure_admin(engine.pool(), Some(t1), 0).await.expect("t1"), None);
    let app = switchboard::server::app(switchboard::server::AppState { engine: engine.clone() });
    assert_eq!(me_status(&app, t1).await, StatusCode::OK);
    assert_eq!(me_status(&app, &generated).await, StatusCode::UNAUTHORIZED, "an unused generated token is revoked");
    drop(app);
    drop(engine);

    // Restart with T2 configured: T1 is refused, T2 works.
    let engine = open(url.clone()).await;
    assert_eq!(ensure_admin(engine.pool(), Some(t2), 1).await.expect("t2"), None);
    let app = switchboard::server::app(switchboard::server::AppState { engine: engine.clone() });
    assert_eq!(me_status(&app, t1).await, StatusCode::UNAUTHORIZED, "the previous configured token is replaced");
    assert_eq!(me_status(&app, t2).await, StatusCode::OK);
    // Restarting with the same token changes nothing; going back to T1 is refused (revoked).
    assert_eq!(ensure_admin(engine.pool(), Some(t2), 2).await.expect("again"), None);
    assert_eq!(me_status(&app, t2).await, StatusCode::OK);
    assert!(ensure_admin(engine.pool(), Some(t1), 3).await.is_err(), "a replaced token does not come back");
    // Tokens admins created through the API are not touched by the rotation.
    let (status, made) = {
        let req = Request::post("/api/tokens")
            .header("authorization", format!("Bearer {t2}"))
            .header("content-type", "application/json")
            .body(Body::from(json!({"name": "ops", "role": "ops"}).to_string()))
            .expect("request");
        let res = app.clone().oneshot(req).await.expect("response");
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.expect("body");
        (status, serde_json::from_slice::<Value>(&bytes).expect("json"))
    };
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let ops = made["token"].as_str().expect("token").to_owned();
    let t3 = "sb_configured_admin_token_number_three_00000003";
    assert_eq!(ensure_admin(engine.pool(), Some(t3), 4).await.expect("t3"), None);
    assert_eq!(me_status(&app, &ops).await, StatusCode::OK);
    assert_eq!(me_status(&app, t2).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_generated_first_token_that_was_used_survives_a_configured_one_and_can_be_revoked() {
    let api = api().await;
    // `api()` made a generated first admin token; using it marks it as held by someone.
    assert_eq!(api.call("GET", "/api/me", Some(&api.admin), None).await.0, StatusCode::OK);
    // The use is recorded off the request path, moments later.
    eventually(std::time::Duration::from_secs(10), "the first token's use to be recorded", async || {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM api_tokens WHERE name = 'first admin' AND last_used_at IS NOT NULL",
        )
        .fetch_one(api.engine.pool())
        .await
        .is_ok_and(|n| n == 1)
    })
    .await;
    let configured = "sb_configured_admin_token_that_is_long_enough_0002";
    assert_eq!(ensure_admin(api.engine.pool(), Some(configured), 0).await.expect("configured"), None);
    assert_eq!(api.call("GET", "/api/me", Some(&api.admin), None).await.0, StatusCode::OK, "kept: it was used");
    // The documented way to revoke it: DELETE /api/tokens/{id} by an admin.
    let (_, tokens) = api.call("GET", "/api/tokens", Some(configured), None).await;
    let first = tokens
        .as_array()
        .expect("tokens")
        .iter()
        .find(|t| t["name"] == "first admin")
        .and_then(|t| t["id"].as_i64())
        .expect("the first admin token is listed");
    let (status, _) = api.call("DELETE", &format!("/api/tokens/{first}"), Some(configured), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(api.call("GET", "/api/me", Some(&api.admin), None).await.0, StatusCode::UNAUTHORIZED);
}

/// A CRM on 127.0.0.1 that records what it was sent and echoes the Authorization header
/// back (as a careless server might), so the test sees that the echo does not reach the run.
async fn echoing_crm() -> (Arc<Mutex<Vec<(String, String)>>>, String) {
    use axum::http::HeaderMap;
    let seen: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let record = seen.clone();
    let app = axum::Router::new().route(
        "/crm",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let record = record.clone();
            async move {
                let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                record.lock().unwrap_or_else(|e| e.into_inner()).push((auth.clone(), body));
                axum::Json(json!({"tier": "gold", "echo": auth}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (seen, url)
}

use std::sync::{Arc, Mutex};

const SECRET_VALUE: &str = "sk_live_4f9a8b7c6d5e3f21";

#[tokio::test]
async fn a_secret_is_write_only_sealed_and_filled_in_only_for_the_http_call() {
    use switchboard::runtime::Options;
    let (seen, crm) = echoing_crm().await;
    let api = api_with(Options {
        timezone: chrono_tz::Europe::Berlin,
        http_allow: vec!["127.0.0.1/32".into()],
        ..Options::default()
    })
    .await;
    // Write-only: admins set it, ops list names, nobody reads it back.
    let body = json!({"value": SECRET_VALUE});
    let (status, _) = api.call("PUT", "/api/secrets/crm_key", Some(&api.ops), Some(body.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, bad) = api.call("PUT", "/api/secrets/Crm-Key", Some(&api.admin), Some(body.clone())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    assert!(bad["message"].as_str().is_some_and(|m| m.contains("not a valid secret name")), "{bad}");
    let (status, empty) = api.call("PUT", "/api/secrets/crm_key", Some(&api.admin), Some(json!({"value": ""}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{empty}");
    let (status, set) = api.call("PUT", "/api/secrets/crm_key", Some(&api.admin), Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{set}");
    assert_eq!(set["name"], "crm_key");
    let (status, listed) = api.call("GET", "/api/secrets", Some(&api.ops), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["secrets"][0]["name"], "crm_key");
    assert!(listed["secrets"][0]["updated_at"].is_string());
    assert!(!set.to_string().contains(SECRET_VALUE) && !listed.to_string().contains(SECRET_VALUE));
    // Sealed at rest: no column holds the value.
    let (nonce, ciphertext): (String, String) =
        sqlx::query_as("SELECT nonce, ciphertext FROM secrets WHERE name = 'crm_key'")
            .fetch_one(api.engine.pool())
            .await
            .expect("row");
    assert!(!ciphertext.contains(SECRET_VALUE) && !nonce.contains(SECRET_VALUE));
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::STANDARD.decode(&ciphertext).expect("base64");
    assert!(!String::from_utf8_lossy(&raw).contains(SECRET_VALUE), "encrypted, not encoded");

    let flow = format!(
        r#"
schema: 1
id: crm-lookup
name: CRM lookup
trigger: {{ type: message_received }}
start: lookup
steps:
  lookup:
    kind: http
    method: POST
    url: '{crm}/crm'
    headers: {{ Authorization: 'Bearer {{{{ secrets.crm_key }}}}' }}
    json: {{ key: '{{{{ secrets.crm_key }}}}', name: '{{{{ contact.first_name }}}}' }}
    save: {{ tier: $.tier, echo: $.echo }}
    next: {{ success: done, failure: oops }}
  done: {{ kind: send_message, text: 'tier {{{{ steps.lookup.tier }}}}' }}
  oops: {{ kind: send_message, text: 'failed: {{{{ steps.lookup.error }}}}' }}
"#
    );
    api.engine.publish(&flow).await.expect("publish");
    let ana = api.engine.handle(says("ana", "hi")).await.expect("hi").contact_id.expect("contact");
    flush(&api.engine).await;
    flush(&api.engine).await;
    assert_eq!(sent(&api.engine, ana).await, ["tier gold"]);
    // The CRM got the value, in the header and JSON-escaped in the body.
    let requests = seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].0, format!("Bearer {SECRET_VALUE}"));
    let sent_body: Value = serde_json::from_str(&requests[0].1).expect("json body");
    assert_eq!(sent_body["key"], SECRET_VALUE);
    // Nothing the engine keeps or shows holds it: run view (journal, outputs), outbox, export.
    let (_, runs) = api.call("GET", "/api/runs?workflow=crm-lookup", Some(&api.ops), None).await;
    let run_id = runs[0]["id"].as_i64().expect("a run");
    let (status, run) = api.call("GET", &format!("/api/runs/{run_id}"), Some(&api.ops), None).await;
    assert_eq!(status, StatusCode::OK);
    let run = run.to_string();
    assert!(!run.contains(SECRET_VALUE), "{run}");
    assert!(run.contains("{{ secrets.crm_key }}"), "the journal keeps the placeholder: {run}");
    let payloads: Vec<String> =
        sqlx::query_scalar("SELECT payload FROM outbox").fetch_all(api.engine.pool()).await.expect("outbox");
    assert!(payloads.iter().all(|p| !p.contains(SECRET_VALUE)), "{payloads:?}");
    let journal: Vec<String> =
        sqlx::query_scalar("SELECT data FROM run_journal").fetch_all(api.engine.pool()).await.expect("journal");
    assert!(!journal.is_empty() && journal.iter().all(|j| !j.contains(SECRET_VALUE)));
    let (status, export) = api.call("GET", "/api/workflows/crm-lookup/export", Some(&api.ops), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!export.to_string().contains(SECRET_VALUE));

    // A secret that is not set fails the step with its name, and nothing is sent.
    api.engine.publish(&flow.replace("secrets.crm_key", "secrets.missing_key")).await.expect("publish v2");
    let bo = api.engine.handle(says("bo", "hi")).await.expect("hi").contact_id.expect("contact");
    flush(&api.engine).await;
    flush(&api.engine).await;
    let texts = sent(&api.engine, bo).await;
    assert!(texts[0].contains("`missing_key` is not set"), "{texts:?}");
    assert_eq!(seen.lock().unwrap_or_else(|e| e.into_inner()).len(), 1);
    // Removing it: 204, then 404.
    let (status, _) = api.call("DELETE", "/api/secrets/crm_key", Some(&api.admin), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = api.call("DELETE", "/api/secrets/crm_key", Some(&api.admin), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn channel_connection_and_webhook_secrets_are_sealed_at_rest() {
    let api = api().await;
    let input = json!({"kind": "telegram", "secrets": {"bot_token": "123:tg-bot-token-value", "secret_token": "tg_secret_token_value"}});
    let (status, body) = api.call("PUT", "/api/channels/tg", Some(&api.admin), Some(input)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let stored: String = sqlx::query_scalar("SELECT secrets FROM channel_connections WHERE id = 'tg'")
        .fetch_one(api.engine.pool())
        .await
        .expect("row");
    assert!(stored.starts_with("sb1:") && !stored.contains("tg-bot-token-value") && !stored.contains("tg_secret"));
    assert_eq!(api.engine.connection("tg").expect("loaded").secret("bot_token"), Some("123:tg-bot-token-value"));
}

#[tokio::test]
async fn a_rotated_secret_key_still_reads_everything_and_seals_it_again_at_start() {
    use switchboard::runtime::{Engine, Options};
    let url = durable_database_url().await;
    let open = |url: String, keys: switchboard::secrets::Keyring| async move {
        let clock = switchboard::clock::ManualClock::at("2026-11-23T10:00:00Z".parse().expect("time"));
        let options = Options { database_url: url, secret_keys: Some(keys), ..Options::default() };
        Engine::open(options, std::sync::Arc::new(clock)).await
    };
    let key_ids = |engine: Engine| async move {
        let mut ids: Vec<String> =
            sqlx::query_scalar("SELECT key_id FROM secrets").fetch_all(engine.pool()).await.expect("secrets");
        let conns: Vec<String> = sqlx::query_scalar("SELECT secrets FROM channel_connections")
            .fetch_all(engine.pool())
            .await
            .expect("conns");
        ids.extend(conns.iter().map(|c| switchboard::secrets::sealed_text_key(c).unwrap_or_else(|| "plain".into())));
        ids
    };
    let engine = open(url.clone(), test_keys(1, &[])).await.expect("first key");
    engine.put_secret("crm_key", SECRET_VALUE).await.expect("secret");
    let input = serde_json::from_value(
        json!({"kind": "telegram", "secrets": {"bot_token": "123:tok", "secret_token": "tg_s"}}),
    )
    .expect("input");
    engine.put_connection("tg", input).await.expect("connection");
    // A row written before connection secrets were sealed: plaintext JSON.
    sqlx::query(
        "INSERT INTO channel_connections (id, kind, name, api_base, settings, secrets, created_at, updated_at)
                 VALUES ('old', 'telegram', 'old', 'https://api.telegram.org', '{}', $1, 0, 0)",
    )
    .bind(r#"{"bot_token":"9:legacy-token","secret_token":"legacy_s"}"#)
    .execute(engine.pool())
    .await
    .expect("legacy row");
    let first = test_keys(1, &[]).current_id().to_owned();
    assert_eq!(key_ids(engine.clone()).await, [first.clone(), first.clone(), "plain".into()]);
    drop(engine);

    // Rotation: the new key, the old one as previous. Everything opens, and is sealed again.
    let engine = open(url.clone(), test_keys(2, &[1])).await.expect("rotated");
    let second = test_keys(2, &[]).current_id().to_owned();
    assert_eq!(key_ids(engine.clone()).await, [second.clone(), second.clone(), second.clone()]);
    assert_eq!(engine.connection("old").expect("legacy").secret("bot_token"), Some("9:legacy-token"));
    drop(engine);

    // The old key can go now.
    let engine = open(url.clone(), test_keys(2, &[])).await.expect("new key only");
    assert_eq!(engine.connection("tg").expect("tg").secret("bot_token"), Some("123:tok"));
    let secrets = engine.secrets().await.expect("names");
    assert_eq!(secrets.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["crm_key"]);
    let (key_id, nonce, ciphertext): (String, String, String) =
        sqlx::query_as("SELECT key_id, nonce, ciphertext FROM secrets").fetch_one(engine.pool()).await.expect("row");
    let sealed = switchboard::secrets::Sealed { key_id, nonce, ciphertext };
    assert_eq!(test_keys(2, &[]).open_string("secret:crm_key", &sealed).expect("opens"), SECRET_VALUE);
    drop(engine);

    // A key that never sealed anything here cannot start the engine, and says which key is missing.
    let err = open(url, test_keys(3, &[])).await.expect_err("unknown key refused").to_string();
    assert!(err.contains(&second) && err.contains("SWITCHBOARD_SECRET_KEY_PREVIOUS"), "{err}");
}

#[tokio::test]
async fn without_a_secret_key_secrets_are_refused_with_the_reason() {
    use switchboard::runtime::{Engine, Options};
    // PostgreSQL has no key file (several processes share it), so without a configured key
    // new secrets are refused. SQLite always has a key: its key file, or a throwaway one in memory.
    let url =
        if on_postgres() { fresh_database_url().await } else { format!("sqlite://{}/sb.db", tempdir().display()) };
    let clock = switchboard::clock::ManualClock::at("2026-11-23T10:00:00Z".parse().expect("time"));
    let engine = Engine::open(Options { database_url: url.clone(), ..Options::default() }, std::sync::Arc::new(clock))
        .await
        .expect("engine");
    let result = engine.put_secret("crm_key", SECRET_VALUE).await;
    if on_postgres() {
        let err = result.expect_err("refused").to_string();
        assert!(err.contains("no secret key is configured") && err.contains("SWITCHBOARD_SECRET_KEY"), "{err}");
        let input =
            serde_json::from_value(json!({"kind": "telegram", "secrets": {"bot_token": "1:t", "secret_token": "s"}}))
                .expect("input");
        assert!(engine.put_connection("tg", input).await.is_err(), "no channel secret is stored in plaintext");
    } else {
        result.expect("sealed with the key file");
        let key_file = switchboard::secrets::key_file_path(&url).expect("a file database");
        assert!(key_file.exists(), "the key was created next to the database");
    }
}

/// A NUL character cannot be stored by PostgreSQL: `/api/events` and the simulator refuse it
/// with the field's place (422), on both backends alike.
#[tokio::test]
async fn a_nul_character_is_refused_at_intake_with_its_place() {
    let api = api().await;
    let event = json!({"source": "crm", "type": "message_received", "channel": "sms",
        "contact": {"address": {"channel": "sms", "address": "+1555"}}, "message": {"text": "a\u{0}b"}});
    let (status, body) = api.call("POST", "/api/events", Some(&api.integration), Some(event.clone())).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["details"]["path"], json!("message.text"), "{body}");
    assert!(body["message"].as_str().unwrap_or_default().contains("NUL"), "{body}");
    let ok = json!({"source": "crm", "type": "opted_out", "contact": {"address": {"channel": "sms", "address": "+1"}}});
    let (status, body) = api.call("POST", "/api/events", Some(&api.integration), Some(json!([ok, event]))).await;
    assert_eq!(
        (status, body["details"]["path"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("[1].message.text"))
    );
    let said = json!({"address": "ana", "text": "hi\u{0}"});
    let (status, body) = api.call("POST", "/api/simulator/messages", Some(&api.integration), Some(said)).await;
    assert_eq!((status, body["details"]["path"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("message.text")));
    assert_eq!(api.engine.queue_depth().await.expect("depth"), 0, "nothing was stored");
}

/// What intake can know is refused at intake: an event for a contact id that names nobody
/// (it used to be accepted with 202 and dropped with a log line), and a signed webhook for a
/// workflow that is stopped.
#[tokio::test]
async fn unknown_contacts_and_stopped_workflows_are_refused_at_intake() {
    let api = api().await;
    let ana = api.engine.handle(says("ana", "hi")).await.expect("ana").contact_id.expect("id");
    let tag =
        |id: i64| json!({"source": "crm", "type": "tag_updated", "contact": {"id": id}, "tag": "vip", "added": true});
    let (status, body) = api.call("POST", "/api/events", Some(&api.integration), Some(tag(9999))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["details"]["path"], json!("contact.id"));
    assert!(body["message"].as_str().unwrap_or_default().contains("no contact has id 9999"), "{body}");
    let (status, body) =
        api.call("POST", "/api/events", Some(&api.integration), Some(json!([tag(ana), tag(9999)]))).await;
    assert_eq!((status, body["details"]["path"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("[1].contact.id")));
    assert_eq!(api.engine.queue_depth().await.expect("depth"), 0, "a refused batch stores nothing");
    assert_eq!(api.call("POST", "/api/events", Some(&api.integration), Some(tag(ana))).await.0, StatusCode::ACCEPTED);

    api.engine
        .publish("schema: 1\nid: shipped\nname: Shipped\ntrigger: { type: webhook, contact_path: $.phone }\nstart: s\nsteps:\n  s: { kind: send_message, text: 'Shipped' }\n")
        .await
        .expect("publish");
    let (_, secret) = api.call("POST", "/api/workflows/shipped/webhook-secret", Some(&api.ops), None).await;
    let secret = secret["secret"].as_str().expect("secret").to_owned();
    api.engine.stop("shipped", false).await.expect("stop");
    let now = api.engine.clock().now().timestamp().to_string();
    let body = r#"{"phone": "+4915112345678"}"#;
    let signature = switchboard::server::events_sign(&secret, &now, body.as_bytes());
    let request = Request::post("/api/webhooks/shipped")
        .header("x-switchboard-timestamp", &now)
        .header("x-switchboard-signature", &signature)
        .body(Body::from(body))
        .expect("request");
    let (status, answer) = api.raw(request).await;
    assert_eq!((status, answer["code"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("not_published")));
}

/// One page of dead letters: status, the `X-Next-Cursor` header and the body.
async fn dead_letters_page(api: &Api, token: &str, query: &str) -> (StatusCode, Option<String>, Value) {
    let req = Request::get(format!("/api/dead-letters{query}"))
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request");
    let res = api.app.clone().oneshot(req).await.expect("response");
    let status = res.status();
    let cursor = res.headers().get("x-next-cursor").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.expect("body");
    (status, cursor, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// Dead letters are visible to ops and admins: listed with reason and payload in cursor
/// pages, retried (queued again as they came) or discarded, and counted in the metrics.
#[tokio::test]
async fn dead_letters_are_listed_retried_and_discarded_by_ops() {
    let api = api().await;
    let close = |address: &str| {
        json!({"source": "crm", "type": "conversation_closed", "closed_by": "agent:bob",
            "contact": {"address": {"channel": "simulator", "address": address}}})
    };
    // Closing a conversation nobody opened is accepted at intake but refused when processed.
    let batch = json!([close("zed"), close("yan"), close("xia")]);
    assert_eq!(api.call("POST", "/api/events", Some(&api.integration), Some(batch)).await.0, StatusCode::ACCEPTED);
    api.engine.process_queue(100).await.expect("process");

    for token in [&api.agent, &api.integration] {
        assert_eq!(dead_letters_page(&api, token, "").await.0, StatusCode::FORBIDDEN);
    }
    let (status, cursor, all) = dead_letters_page(&api, &api.ops, "").await;
    assert_eq!((status, cursor), (StatusCode::OK, None));
    let all = all.as_array().expect("a list").clone();
    assert_eq!(all.len(), 3);
    let newest = &all[0];
    assert_eq!(newest["source"], json!("api:crm"));
    assert!(newest["reason"].as_str().unwrap_or_default().contains("no open conversation"), "{newest}");
    assert_eq!(newest["payload"]["type"], json!("conversation_closed"));
    assert_eq!(newest["attempts"], json!(0), "refused at once, not tried again");
    assert_eq!(newest["payload"]["contact"]["address"]["address"], json!("xia"), "newest first");
    assert!(newest["failed_at"].as_str().unwrap_or_default().starts_with("2026-11-23T10:00:00"), "{newest}");

    let (_, cursor, first) = dead_letters_page(&api, &api.admin, "?limit=2").await;
    let cursor = cursor.expect("a next page");
    let (_, end, second) = dead_letters_page(&api, &api.ops, &format!("?limit=2&after={cursor}")).await;
    assert_eq!(end, None);
    let walked: Vec<Value> = first.as_array().into_iter().chain(second.as_array()).flatten().cloned().collect();
    assert_eq!(walked, all, "the pages walk every dead letter once");
    for query in ["?limit=0", "?limit=1001", "?after=nonsense"] {
        assert_eq!(dead_letters_page(&api, &api.ops, query).await.0, StatusCode::BAD_REQUEST, "{query}");
    }

    api.clock.advance(chrono::Duration::seconds(90));
    let (_, metrics) = api.call("GET", "/metrics", None, None).await;
    let metrics = metrics.as_str().unwrap_or_default().to_owned();
    assert!(metrics.contains("\nswitchboard_dead_letters 3\n"), "{metrics}");
    assert!(metrics.contains("\nswitchboard_dead_letter_oldest_age_seconds 90"), "{metrics}");

    // Discard one; the second discard finds nothing.
    let id = |v: &Value| v["id"].as_i64().expect("id");
    let discard = format!("/api/dead-letters/{}", id(&all[2]));
    assert_eq!(api.call("DELETE", &discard, Some(&api.agent), None).await.0, StatusCode::FORBIDDEN);
    assert_eq!(api.call("DELETE", &discard, Some(&api.ops), None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(api.call("DELETE", &discard, Some(&api.ops), None).await.0, StatusCode::NOT_FOUND);

    // Once xia has an open conversation, retrying closes it.
    let xia = api.engine.handle(says("xia", "hello")).await.expect("xia").contact_id.expect("id");
    let retry = format!("/api/dead-letters/{}/retry", id(&all[0]));
    let (status, body) = api.call("POST", &retry, Some(&api.ops), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(api.call("POST", &retry, Some(&api.ops), None).await.0, StatusCode::NOT_FOUND);
    api.engine.process_queue(100).await.expect("process");
    let (_, _, left) = dead_letters_page(&api, &api.ops, "").await;
    assert_eq!(left.as_array().map(Vec::len), Some(1), "only yan's is left: {left}");
    let status: String = sqlx::query_scalar("SELECT status FROM conversations WHERE contact_id = $1")
        .bind(xia)
        .fetch_one(api.engine.pool())
        .await
        .expect("xia's conversation");
    assert_eq!(status, "closed", "the retried close was applied");
}

/// A request with an `Idempotency-Key`: status, the replay header and the JSON body.
async fn keyed(api: &Api, uri: &str, token: &str, key: &str, body: Value) -> (StatusCode, bool, Value) {
    let req = Request::post(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .header("idempotency-key", key)
        .body(Body::from(body.to_string()))
        .expect("request");
    let res = api.app.clone().oneshot(req).await.expect("response");
    let (status, replayed) = (res.status(), res.headers().get("idempotent-replayed").is_some());
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.expect("body");
    (status, replayed, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn agent_lines(api: &Api, contact: i64) -> Vec<String> {
    let (_, transcript) = api.call("GET", &format!("/api/contacts/{contact}/messages"), Some(&api.admin), None).await;
    transcript
        .as_array()
        .expect("transcript")
        .iter()
        .filter(|m| m["sender"].as_str().is_some_and(|s| s.starts_with("agent")))
        .filter_map(|m| m["text"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn a_reply_posted_twice_with_one_idempotency_key_is_sent_once_and_answered_alike() {
    let api = api().await;
    let ana = api.engine.handle(says("ana", "hi")).await.expect("ana").contact_id.expect("id");
    let uri = format!("/api/contacts/{ana}/messages");
    let (first, replayed_first, body1) = keyed(&api, &uri, &api.agent, "k-1", json!({"text": "On it"})).await;
    let (second, replayed_second, body2) = keyed(&api, &uri, &api.agent, "k-1", json!({"text": "On it"})).await;
    assert_eq!((first, second), (StatusCode::CREATED, StatusCode::CREATED), "{body1} {body2}");
    assert_eq!(body1, body2, "the retry gets the first answer");
    assert!(!replayed_first && replayed_second, "the retry says it is a replay");
    assert_eq!(agent_lines(&api, ana).await, ["On it"], "one message was sent");
    // The same key for another action is refused with a reason; a new key acts.
    let (status, _, refused) = keyed(&api, &uri, &api.agent, "k-1", json!({"text": "Something else"})).await;
    assert_eq!((status, refused["code"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("idempotency_key_reused")));
    assert!(refused["message"].as_str().is_some_and(|m| m.contains("different request")), "{refused}");
    let (status, _, _) = keyed(&api, &format!("/api/contacts/{ana}/close"), &api.agent, "k-1", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "another route with the same key");
    let (status, _, _) = keyed(&api, &uri, &api.agent, "k-2", json!({"text": "Something else"})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(agent_lines(&api, ana).await, ["On it", "Something else"]);
    // Keys are per token: another token's `k-1` is its own.
    let other = api.agent_token("bob").await;
    let (status, replayed, _) = keyed(&api, &uri, &other, "k-1", json!({"text": "On it"})).await;
    assert_eq!((status, replayed), (StatusCode::CREATED, false));
    // A bad key is a 400 naming the header.
    let (status, _, bad) = keyed(&api, &uri, &api.agent, "two words", json!({"text": "x"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad["message"].as_str().is_some_and(|m| m.contains("Idempotency-Key")), "{bad}");
    // A request refused before it acted (a path that is not a number) keeps no answer, and
    // every answer, replayed or not, is JSON.
    for _ in 0..2 {
        let (status, _, body) = keyed(&api, "/api/contacts/g/open", &api.agent, "k-3", json!({})).await;
        assert_eq!((status, body["code"].clone()), (StatusCode::BAD_REQUEST, json!("bad_request")), "{body}");
    }
    // A day later the key is forgotten: the same request acts again.
    api.clock.advance(chrono::Duration::hours(25));
    let (status, replayed, _) = keyed(&api, &uri, &api.agent, "k-1", json!({"text": "On it"})).await;
    assert_eq!((status, replayed), (StatusCode::CREATED, false));
}

#[tokio::test]
async fn concurrent_copies_of_one_reply_act_once() {
    let api = api().await;
    let ana = api.engine.handle(says("ana", "hi")).await.expect("ana").contact_id.expect("id");
    let uri = format!("/api/contacts/{ana}/messages");
    let copies = (0..4).map(|_| keyed(&api, &uri, &api.agent, "same", json!({"text": "Once"})));
    let answers = futures_util::future::join_all(copies).await;
    let created: Vec<&Value> = answers.iter().filter(|a| a.0 == StatusCode::CREATED).map(|a| &a.2).collect();
    assert!(!created.is_empty(), "{answers:?}");
    assert!(created.windows(2).all(|w| w[0] == w[1]), "{answers:?}");
    assert!(answers.iter().all(|a| a.0 == StatusCode::CREATED || a.0 == StatusCode::CONFLICT), "{answers:?}");
    assert_eq!(agent_lines(&api, ana).await, ["Once"]);
}

#[tokio::test]
async fn a_shortcut_pressed_twice_with_one_idempotency_key_starts_one_run() {
    let api = api().await;
    api.engine.publish(&reference("escalation-shortcut")).await.expect("publish");
    let ana = api.engine.handle(says("ana", "hi")).await.expect("hi").contact_id.expect("contact");
    let form = json!({"contact_id": ana, "form": {"reason": "Other", "priority": "high"}});
    let uri = "/api/shortcuts/escalation-shortcut";
    let (first, _, body1) = keyed(&api, uri, &api.agent, "press-1", form.clone()).await;
    let (second, replayed, body2) = keyed(&api, uri, &api.agent, "press-1", form.clone()).await;
    assert_eq!((first, second, replayed), (StatusCode::CREATED, StatusCode::CREATED, true), "{body1} {body2}");
    assert_eq!(body1, body2);
    let runs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM runs WHERE workflow_id = 'escalation-shortcut'")
        .fetch_one(api.engine.pool())
        .await
        .expect("runs");
    assert_eq!(runs, 1, "one press, one run");
    let other = json!({"contact_id": ana, "form": {"reason": "Other", "priority": "low"}});
    let (status, _, body) = keyed(&api, uri, &api.agent, "press-1", other).await;
    assert_eq!((status, body["code"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("idempotency_key_reused")));
}

/// Every item of a list, following `X-Next-Cursor` (and checking `Link` agrees).
async fn walk(api: &Api, path: &str, token: &str) -> (Vec<Value>, usize) {
    let mut items = Vec::new();
    let mut uri = path.to_owned();
    let mut pages = 0;
    loop {
        let req =
            Request::get(&uri).header("authorization", format!("Bearer {token}")).body(Body::empty()).expect("req");
        let res = api.app.clone().oneshot(req).await.expect("response");
        assert_eq!(res.status(), StatusCode::OK, "{uri}");
        let next = res.headers().get("x-next-cursor").map(|v| v.to_str().expect("ascii").to_owned());
        let link = res.headers().get("link").map(|v| v.to_str().expect("ascii").to_owned());
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.expect("body");
        let page: Vec<Value> = serde_json::from_slice(&bytes).expect("a JSON array");
        pages += 1;
        items.extend(page);
        let Some(next) = next else {
            assert!(link.is_none());
            return (items, pages);
        };
        let link = link.expect("a Link with the cursor");
        let target = link.strip_prefix('<').and_then(|l| l.split_once(">; rel=\"next\"")).expect("rel next").0;
        assert!(target.ends_with(&format!("after={next}")), "{link}");
        uri = target.to_owned();
    }
}

#[tokio::test]
async fn runs_contacts_conversations_messages_and_tokens_can_be_walked_page_by_page() {
    let api = api().await;
    api.engine
        .publish("schema: 1\nid: hello\nname: Hello\ntrigger: { type: message_received }\nstart: hi\nsteps:\n  hi: { kind: send_message, text: 'Hello' }\n")
        .await
        .expect("publish");
    const N: usize = 2_500;
    for chunk in (0..N).collect::<Vec<_>>().chunks(500) {
        let events: Vec<_> = chunk.iter().map(|i| webhook_says(&format!("c{i}"), "hi", &format!("e{i}"))).collect();
        api.engine.enqueue(&events).await.expect("enqueue");
        while api.engine.process_queue(500).await.expect("process") > 0 {}
    }
    let ids = |items: &[Value]| items.iter().map(|i| i["id"].as_i64().expect("id")).collect::<Vec<i64>>();
    let descending = |ids: &[i64]| ids.windows(2).all(|w| w[0] > w[1]);

    let (runs, pages) = walk(&api, "/api/runs?limit=1000", &api.ops).await;
    let runs = ids(&runs);
    assert_eq!((runs.len(), pages), (N, 3), "every run once, over three pages");
    assert!(descending(&runs), "newest first, no duplicates");
    let stored: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM runs ORDER BY id DESC").fetch_all(api.engine.pool()).await.expect("runs");
    assert_eq!(runs, stored, "no gaps");
    let (filtered, _) = walk(&api, "/api/runs?status=completed&workflow=hello&limit=999", &api.ops).await;
    assert_eq!(filtered.len(), N, "filters hold on every page");

    let (contacts, pages) = walk(&api, "/api/contacts?limit=1000", &api.agent).await;
    let contacts = ids(&contacts);
    assert_eq!((contacts.len(), pages), (N, 3));
    assert!(descending(&contacts));

    let closed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM conversations WHERE status = 'closed'")
        .fetch_one(api.engine.pool())
        .await
        .expect("closed");
    let (conversations, _) = walk(&api, "/api/conversations?status=closed&limit=1000", &api.admin).await;
    let conversation_ids: std::collections::BTreeSet<i64> = ids(&conversations).into_iter().collect();
    assert_eq!((conversations.len(), conversation_ids.len()), (closed as usize, closed as usize));

    let c0 = contacts[N - 1];
    let (lines, pages) = walk(&api, &format!("/api/contacts/{c0}/messages?limit=1"), &api.admin).await;
    assert_eq!(pages, lines.len(), "one message a page");
    assert!(lines.len() >= 2, "{lines:?}");
    assert!(ids(&lines).windows(2).all(|w| w[0] < w[1]), "oldest first");

    let (tokens, pages) = walk(&api, "/api/tokens?limit=2", &api.admin).await;
    assert_eq!((tokens.len(), pages), (4, 2), "{tokens:?}");
}

#[tokio::test]
async fn unknown_filter_values_and_bad_pages_are_refused_by_name() {
    let api = api().await;
    for (uri, token, words) in [
        ("/api/runs?status=bogus", &api.ops, vec!["status", "running", "failed", "cancelled"]),
        ("/api/conversations?status=bogus", &api.admin, vec!["status", "open", "closed"]),
        ("/api/runs?limit=0", &api.ops, vec!["`limit`", "1 to 1000"]),
        ("/api/contacts?limit=5000", &api.agent, vec!["`limit`"]),
        ("/api/runs?limit=many", &api.ops, vec!["limit"]),
        ("/api/runs?after=bm90LWEtY3Vyc29y", &api.ops, vec!["`after`"]),
        ("/api/conversations?after=%21%21", &api.admin, vec!["`after`"]),
        ("/api/tokens?after=xyz", &api.admin, vec!["`after`"]),
    ] {
        let (status, body) = api.call("GET", uri, Some(token), None).await;
        assert_eq!((status, body["code"].clone()), (StatusCode::BAD_REQUEST, json!("bad_request")), "{uri}: {body}");
        let message = body["message"].as_str().unwrap_or_default();
        for word in words {
            assert!(message.contains(word), "{uri}: `{word}` not in {message}");
        }
    }
}

/// A channel on 127.0.0.1 that refuses the first message (HTTP 400: not worth retrying) and
/// takes every later one; it records each request's `Idempotency-Key`.
async fn flaky_channel() -> (Arc<Mutex<Vec<String>>>, String) {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let record = seen.clone();
    let app = axum::Router::new().route(
        "/channel",
        axum::routing::post(move |headers: axum::http::HeaderMap| {
            let record = record.clone();
            async move {
                let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                let mut seen = record.lock().unwrap_or_else(|e| e.into_inner());
                seen.push(key.clone());
                let status = if seen.len() == 1 { StatusCode::BAD_REQUEST } else { StatusCode::OK };
                (status, axum::Json(json!({"id": key})))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/channel", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (seen, url)
}

#[tokio::test]
async fn a_retried_run_sends_its_failed_message_again_under_the_original_key() {
    use switchboard::runtime::Options;
    let (seen, url) = flaky_channel().await;
    let api = api_with(Options { webhook_url: Some(url), ..Options::default() }).await;
    // The question's delivery fails and it has no `failure` port: the run fails.
    api.engine
        .publish("schema: 1\nid: ask\nname: Ask\ntrigger: { type: message_received }\nstart: q\nsteps:\n  q: { kind: ask, type: email, text: 'Your email?', save_to: fields.email, next: { answered: done } }\n  done: { kind: send_message, text: 'Thanks' }\n")
        .await
        .expect("publish");
    api.engine.enqueue(&[webhook_says("ana", "hello", "e1")]).await.expect("enqueue");
    api.engine.process_queue(10).await.expect("process");
    let run: i64 = sqlx::query_scalar("SELECT id FROM runs").fetch_one(api.engine.pool()).await.expect("run");
    flush(&api.engine).await;
    let (_, detail) = api.call("GET", &format!("/api/runs/{run}"), Some(&api.ops), None).await;
    assert_eq!(detail["run"]["status"], json!("failed"), "{detail}");
    let first = seen.lock().expect("seen").clone();
    assert_eq!(first.len(), 1, "{first:?}");
    let (status, body) = api.call("POST", &format!("/api/runs/{run}/retry"), Some(&api.ops), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    flush(&api.engine).await;
    let keys = seen.lock().expect("seen").clone();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert_eq!(keys[1], keys[0], "the retried question carries its original key");
    let (_, detail) = api.call("GET", &format!("/api/runs/{run}"), Some(&api.ops), None).await;
    assert_eq!(detail["run"]["status"], json!("waiting"), "the question went out: {detail}");
    let retry = detail["journal"].as_array().expect("journal").iter().find(|e| e["kind"] == "retry").expect("retry");
    assert_eq!(retry["data"]["by"], json!("ops"), "{retry}");
    assert_eq!(retry["data"]["attempt"], json!(2), "{retry}");
    let reused = retry["data"]["reused_keys"].as_array().expect("keys").clone();
    assert_eq!(reused.len(), 1, "{retry}");
    assert!(keys[0].ends_with(reused[0].as_str().unwrap_or("?")), "{keys:?} {retry}");
    // The transcript keeps both attempts: the failed line and the one that went out.
    let ana: i64 = detail["run"]["contact_id"].as_i64().expect("contact");
    let (_, transcript) = api.call("GET", &format!("/api/contacts/{ana}/messages"), Some(&api.admin), None).await;
    let questions: Vec<&str> = transcript
        .as_array()
        .expect("transcript")
        .iter()
        .filter(|m| m["text"] == "Your email?")
        .filter_map(|m| m["status"].as_str())
        .collect();
    assert_eq!(questions, ["failed", "sent"], "{transcript}");
}

/// Issue 16, item 6: a panic in one background loop used to end all background work (one
/// task ran every loop) while `/readyz` said ready. Now the queue loop alone goes down, is
/// reported, and comes back after its backoff (on the engine's clock); the others never stop.
#[tokio::test]
async fn a_panicking_queue_loop_is_restarted_and_later_events_are_still_processed() {
    use switchboard::runtime::{Loop, LoopState};
    let api = api().await;
    api.engine.publish(&reference("faq-menu")).await.expect("publish");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let background = api.engine.clone();
    let loops = tokio::spawn(async move {
        background
            .run_background(async {
                let _ = stopped.await;
            })
            .await
    });
    let state = |which: Loop| {
        let engine = api.engine.clone();
        move || engine.loop_health().into_iter().find(|l| l.name == which).expect("every loop is listed")
    };
    let queue = state(Loop::Queue);
    eventually(std::time::Duration::from_secs(10), "the loops to start", async || {
        api.engine.loop_health().iter().all(|l| l.state != LoopState::NotStarted)
    })
    .await;
    assert_eq!(api.call("GET", "/readyz", None, None).await.0, StatusCode::OK);

    api.engine.inject_panic(Loop::Queue);
    eventually(std::time::Duration::from_secs(10), "the queue loop to panic", async || {
        queue().state == LoopState::Restarting
    })
    .await;
    assert_eq!((queue().restarts, queue().last_failure.is_some()), (1, true));
    assert!(queue().last_failure.unwrap_or_default().contains("injected panic in the queue loop"));
    // While it is down, events are still accepted, and readiness says what is wrong.
    let event = json!({"source": "crm", "id": "after-the-panic", "type": "message_received",
        "contact": {"address": {"channel": "simulator", "address": "ana"}}, "channel": "simulator",
        "message": {"text": "menu"}});
    let (status, _) = api.call("POST", "/api/events", Some(&api.integration), Some(event)).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, body) = api.call("GET", "/readyz", None, None).await;
    assert_eq!((status, body["code"].clone()), (StatusCode::SERVICE_UNAVAILABLE, json!("not_ready")));
    assert!(body["message"].as_str().is_some_and(|m| m.contains("the queue loop is down")), "{body}");
    let reported = body["details"]["loops"].as_array().expect("loops").iter().find(|l| l["name"] == "queue").cloned();
    assert_eq!(reported.map(|l| (l["state"].clone(), l["restarts"].clone())), Some((json!("restarting"), json!(1))));
    assert!(!body.to_string().contains("injected panic"), "failure messages stay in the log: {body}");

    // The backoff passes on the engine's clock: the loop is back and processes the event.
    api.clock.advance(chrono::Duration::seconds(1));
    eventually(std::time::Duration::from_secs(10), "the queued event to start a run", async || {
        let (_, runs) = api.call("GET", "/api/runs?workflow=faq-menu", Some(&api.ops), None).await;
        runs.as_array().is_some_and(|runs| runs.len() == 1)
    })
    .await;
    eventually(std::time::Duration::from_secs(10), "readiness", async || {
        api.call("GET", "/readyz", None, None).await.0 == StatusCode::OK
    })
    .await;
    for other in [Loop::Outbox, Loop::Timers, Loop::Schedules, Loop::Leases, Loop::Peers, Loop::Retention] {
        assert_eq!(state(other)().restarts, 0, "the {other} loop ran on");
    }
    let (_, metrics) = api.call("GET", "/metrics", None, None).await;
    let metrics = metrics.as_str().unwrap_or_default().to_owned();
    assert!(metrics.contains("switchboard_loop_restarts_total{loop=\"queue\"} 1"), "{metrics}");
    assert!(metrics.contains("switchboard_loop_up{loop=\"queue\"} 1"), "{metrics}");
    let _ = stop.send(());
    loops.await.expect("the background loops stop");
    assert_eq!(queue().state, LoopState::Stopped);
}

/// Issue 16, item 6: `/readyz` fails (503) while the oldest queued event or the most overdue
/// timer is older than its threshold (60 s by default), and says which; `/metrics` has the ages.
#[tokio::test]
async fn readiness_fails_while_queued_events_or_timers_are_older_than_their_thresholds() {
    let api = api_with(switchboard::runtime::Options { process_on_accept: Some(false), ..Default::default() }).await;
    let wait = "schema: 1\nid: later\nname: Later\ntrigger: { type: message_received, keywords: [later] }\nstart: pause\nsteps:\n  pause: { kind: wait, for: 10s }\n";
    api.engine.publish(wait).await.expect("publish");
    // No background loops run here: the event stays queued while the clock moves.
    let event = json!({"source": "crm", "id": "e-1", "type": "message_received",
        "contact": {"address": {"channel": "simulator", "address": "ana"}}, "channel": "simulator",
        "message": {"text": "later"}});
    assert_eq!(api.call("POST", "/api/events", Some(&api.integration), Some(event)).await.0, StatusCode::ACCEPTED);
    let (status, body) = api.call("GET", "/readyz", None, None).await;
    assert_eq!((status, body["status"].clone()), (StatusCode::OK, json!("ready")));
    assert_eq!(
        body["thresholds"],
        json!({"loop_silent": 30.0, "queued_event": 60.0, "outbox_due": 60.0, "timer_overdue": 60.0})
    );
    api.clock.advance(chrono::Duration::seconds(59));
    assert_eq!(api.call("GET", "/readyz", None, None).await.0, StatusCode::OK, "within the threshold");
    api.clock.advance(chrono::Duration::seconds(2));
    let (status, body) = api.call("GET", "/readyz", None, None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["message"], json!("the oldest queued event is 61.0 s old (threshold 60 s)"));
    assert_eq!(body["details"]["backlog"]["oldest_queued_event_seconds"], json!(61.0));
    let (_, metrics) = api.call("GET", "/metrics", None, None).await;
    let metrics = metrics.as_str().unwrap_or_default().to_owned();
    assert!(metrics.contains("switchboard_oldest_seconds{queue=\"events\"} 61"), "{metrics}");
    assert!(metrics.contains("switchboard_process_ready 0"), "{metrics}");

    // Processed: the run waits on a 10 s timer, and readiness is back.
    assert_eq!(api.engine.process_queue(10).await.expect("process"), 1);
    assert_eq!(api.call("GET", "/readyz", None, None).await.0, StatusCode::OK);
    // The timer is 10 s due, then 70 s overdue.
    api.clock.advance(chrono::Duration::seconds(20));
    let (_, body) = api.call("GET", "/readyz", None, None).await;
    assert_eq!(body["backlog"]["most_overdue_timer_seconds"], json!(10.0));
    api.clock.advance(chrono::Duration::seconds(60));
    let (status, body) = api.call("GET", "/readyz", None, None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["message"], json!("the most overdue timer is 70.0 s old (threshold 60 s)"));
    assert_eq!(api.engine.fire_due_timers(10).await.expect("fire"), 1);
    assert_eq!(api.call("GET", "/readyz", None, None).await.0, StatusCode::OK);
}

/// Thresholds are settings: a tighter one fails sooner.
#[tokio::test]
async fn readiness_thresholds_are_configurable() {
    let ready =
        switchboard::runtime::ReadyThresholds { queued_event: std::time::Duration::from_secs(5), ..Default::default() };
    let api =
        api_with(switchboard::runtime::Options { ready, process_on_accept: Some(false), ..Default::default() }).await;
    let event = json!({"source": "crm", "id": "e-1", "type": "message_received",
        "contact": {"address": {"channel": "simulator", "address": "ana"}}, "channel": "simulator",
        "message": {"text": "hi"}});
    assert_eq!(api.call("POST", "/api/events", Some(&api.integration), Some(event)).await.0, StatusCode::ACCEPTED);
    api.clock.advance(chrono::Duration::seconds(6));
    let (status, body) = api.call("GET", "/readyz", None, None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["message"], json!("the oldest queued event is 6.0 s old (threshold 5 s)"));
}

/// Issue 16, item 7: compiling ran on the async threads, so three compiles of a 780 KB
/// workflow held `/healthz` for 2.7 s. Now compiles run on the blocking pool: with every
/// worker thread's request inside a large compile, `/healthz` still answers before any of
/// them finishes. (On the old code the two workers compile and `/healthz` waits its turn.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_answers_while_large_workflows_compile() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use switchboard::server::auth::{create_token, Role};
    // One per worker thread: on the old code each held a worker for the whole compile.
    const COMPILES: usize = 2;
    let api = api().await;
    let source = steps::generate::large_workflow(2000);
    assert!(source.len() > 250_000, "a large workflow: {} bytes", source.len());
    let body = json!({"source": source}).to_string();
    assert!(body.len() < switchboard::server::MAX_BODY);
    let now = switchboard::clock::to_millis(api.engine.clock().now());
    let finished = Arc::new(AtomicUsize::new(0));
    let mut compiles = Vec::new();
    for i in 0..COMPILES {
        // A token each: its first use is recorded, which says the request is past
        // authentication and on its way into the compiler.
        let token =
            create_token(api.engine.pool(), &format!("compile-{i}"), Role::Ops, None, now).await.expect("token");
        let request = Request::post("/api/compile")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Body::from(body.clone()))
            .expect("request");
        let (app, finished) = (api.app.clone(), finished.clone());
        compiles.push(tokio::spawn(async move {
            let status = app.oneshot(request).await.expect("response").status();
            finished.fetch_add(1, Ordering::SeqCst);
            status
        }));
    }
    eventually(std::time::Duration::from_secs(30), "every compile request to be authenticated", async || {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM api_tokens WHERE name LIKE 'compile-%' AND last_used_at IS NOT NULL",
        )
        .fetch_one(api.engine.pool())
        .await
        .is_ok_and(|n| n == COMPILES as i64)
    })
    .await;
    let health = {
        let (app, finished) = (api.app.clone(), finished.clone());
        tokio::spawn(async move {
            let response = app.oneshot(Request::get("/healthz").body(Body::empty()).expect("request")).await;
            (response.expect("response").status(), finished.load(Ordering::SeqCst))
        })
    };
    let (status, compiles_finished) = health.await.expect("healthz task");
    assert_eq!(status, StatusCode::OK);
    assert_eq!(compiles_finished, 0, "/healthz waited for a compile to finish");
    for compile in compiles {
        assert_eq!(compile.await.expect("compile task"), StatusCode::OK);
    }
}
