//! End to end against a real server on 127.0.0.1: publish the CSAT workflow over the API, a
//! contact writes, an agent closes the conversation, the contact answers the rating, and the
//! transcript shows the whole exchange. The engine's own background loops do the work.

mod common;

use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};
use switchboard::clock::SystemClock;
use switchboard::runtime::{Engine, Options};
use switchboard::server::auth::{create_token, ensure_admin, Role};
use switchboard::server::{app, AppState};

async fn until(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csat_over_http_from_close_to_transcript() {
    let dir = std::env::temp_dir().join(format!("switchboard-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let options = Options {
        database_url: format!("sqlite://{}/e2e.db", dir.display()),
        timezone: chrono_tz::Europe::Berlin,
        ..Options::default()
    };
    let engine = Engine::open(options, Arc::new(SystemClock)).await.expect("engine");
    let now = switchboard::clock::to_millis(engine.clock().now());
    let admin = ensure_admin(engine.pool(), None, now).await.expect("admin").expect("token");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let server = app(AppState { engine: engine.clone() });
    tokio::spawn(async move {
        let _ = axum::serve(listener, server).await;
    });
    let background = engine.clone();
    tokio::spawn(async move { background.run_background(std::future::pending()).await });
    let http = reqwest::Client::new();
    let call = |method: reqwest::Method, path: &str, token: &str, body: Option<Value>| {
        let mut req = http.request(method, format!("{base}{path}")).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        req
    };

    // Ops publish the CSAT workflow; an admin adds a supervisor; tokens for an agent and a channel.
    let res = call(reqwest::Method::POST, "/api/workflows", &admin, Some(json!({"source": common::reference("csat")})))
        .send()
        .await
        .expect("create");
    assert_eq!(res.status(), 201);
    let res = call(reqwest::Method::POST, "/api/workflows/csat/publish", &admin, None).send().await.expect("publish");
    assert_eq!(res.status(), 200);
    for (id, team) in [("sam", "supervisors"), ("bob", "support")] {
        let spec = json!({"id": id, "name": id.to_uppercase(), "teams": [team], "online": true});
        let res =
            call(reqwest::Method::PUT, &format!("/api/agents/{id}"), &admin, Some(spec)).send().await.expect("agent");
        assert_eq!(res.status(), 200);
    }
    let agent = create_token(engine.pool(), "bob", Role::Agent, Some("bob"), now).await.expect("agent token");
    let channel =
        create_token(engine.pool(), "channel", Role::Integration, None, now).await.expect("integration token");
    let says = |id: &str, text: &str| {
        json!({"source": "channel", "id": id, "type": "message_received", "channel": "simulator",
               "contact": {"address": {"channel": "simulator", "address": "ana"}}, "message": {"text": text},
               "profile": {"name": "Ana Example", "first_name": "Ana"}})
    };

    let res = call(reqwest::Method::POST, "/api/events", &channel, Some(says("m1", "My parcel is late")))
        .send()
        .await
        .expect("event");
    assert_eq!(res.status(), 202);
    let mut contact = 0;
    until("the contact to exist", async || {
        let list: Value = call(reqwest::Method::GET, "/api/contacts", &agent, None)
            .send()
            .await
            .expect("contacts")
            .json()
            .await
            .expect("json");
        contact = list[0]["id"].as_i64().unwrap_or(0);
        contact > 0
    })
    .await;
    let res = call(
        reqwest::Method::POST,
        &format!("/api/contacts/{contact}/messages"),
        &agent,
        Some(json!({"text": "Sorry! It ships today."})),
    )
    .send()
    .await
    .expect("reply");
    assert_eq!(res.status(), 201);
    let res = call(
        reqwest::Method::POST,
        &format!("/api/contacts/{contact}/close"),
        &agent,
        Some(json!({"category": "resolved"})),
    )
    .send()
    .await
    .expect("close");
    assert_eq!(res.status(), 200);
    let started: Value = res.json().await.expect("json");
    assert_eq!(started["started"].as_array().map(Vec::len), Some(1), "CSAT starts on close");

    // Read as the admin: after a low rating the conversation moves to a supervisor, out of
    // bob's sight (checked at the end).
    let transcript = async || -> Vec<Value> {
        call(reqwest::Method::GET, &format!("/api/contacts/{contact}/messages"), &admin, None)
            .send()
            .await
            .expect("transcript")
            .json()
            .await
            .expect("json")
    };
    until("the rating question to be delivered", async || {
        transcript()
            .await
            .iter()
            .any(|m| m["text"].as_str().is_some_and(|t| t.contains("How would you rate")) && m["status"] == "sent")
    })
    .await;
    // Live updates for this contact: the run's progress arrives as server-sent events. (Read
    // as the admin: the low rating moves the conversation, and its live events, away from bob.)
    let mut live = call(reqwest::Method::GET, &format!("/api/live?contact_id={contact}"), &admin, None)
        .send()
        .await
        .expect("live");
    assert_eq!(live.status(), 200);
    let res =
        call(reqwest::Method::POST, "/api/events", &channel, Some(says("m2", "★★"))).send().await.expect("rating");
    assert_eq!(res.status(), 202);
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !seen.contains("\"status\":\"completed\"") {
        assert!(Instant::now() < deadline, "no completion event in: {seen}");
        match tokio::time::timeout(Duration::from_secs(5), live.chunk()).await {
            Ok(Ok(Some(chunk))) => seen.push_str(&String::from_utf8_lossy(&chunk)),
            other => panic!("the live stream ended: {other:?}; so far: {seen}"),
        }
    }
    assert!(seen.contains("event: run"), "{seen}");
    until("the thank-you message", async || {
        transcript().await.iter().any(|m| m["text"] == "Thank you for your feedback!" && m["status"] == "sent")
    })
    .await;
    until("the escalation", async || transcript().await.iter().any(|m| m["direction"] == "system")).await;

    let lines: Vec<(String, String)> = transcript()
        .await
        .iter()
        .map(|m| (m["direction"].as_str().unwrap_or("").to_owned(), m["text"].as_str().unwrap_or("").to_owned()))
        .collect();
    let expect = [
        ("in", "My parcel is late"),
        ("out", "Sorry! It ships today."),
        ("out", "Thanks for chatting with us, Ana! How would you rate our help?"),
        ("in", "★★"),
        ("out", "Thank you for your feedback!"),
        ("note", "Low CSAT: 2/5 from Ana Example (closed as resolved). Please follow up."),
        ("system", "Assigned to SAM by a workflow"),
    ];
    for (direction, text) in expect {
        assert!(lines.iter().any(|(d, t)| d == direction && t == text), "missing {direction}: {text} in {lines:?}");
    }
    let inbox = async |token: &str| -> Value {
        call(reqwest::Method::GET, "/api/conversations?status=open", token, None)
            .send()
            .await
            .expect("inbox")
            .json()
            .await
            .expect("json")
    };
    let sam = create_token(engine.pool(), "sam", Role::Agent, Some("sam"), now).await.expect("sam's token");
    let conversations = inbox(&sam).await;
    assert_eq!(conversations[0]["assignee_id"], json!("sam"), "{conversations}");
    assert_eq!(conversations[0]["priority"], json!("high"), "{conversations}");
    assert_eq!(inbox(&agent).await, json!([]), "escalated out of bob's inbox");
    let res = call(reqwest::Method::GET, &format!("/api/contacts/{contact}/messages"), &agent, None)
        .send()
        .await
        .expect("transcript");
    assert_eq!(res.status(), 403);
}
