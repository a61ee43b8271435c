//! Load through the HTTP API on loopback: how many events per second the server accepts
//! (each request is stored durably before its 202), with the runs they start completing, and
//! the latency from a contact's reply (POST /api/events) to the next outbound message
//! arriving at a channel receiver on 127.0.0.1 (p50, p99).
//!
//! `cargo bench -p switchboard --bench http_load -- 2000` (contacts; default 2,000)

use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use switchboard::clock::SystemClock;
use switchboard::runtime::{Engine, Options};
use switchboard::server::auth::{create_token, Role};
use switchboard::server::{app, AppState};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const FLOW: &str = r#"
schema: 1
id: survey
name: Survey
trigger: { type: message_received, keywords: [start] }
start: ask
steps:
  ask: { kind: ask, type: text, text: 'What is your order number?', next: { answered: thanks } }
  thanks: { kind: send_message, text: 'Thanks, looking up {{steps.ask.answer}}.' }
"#;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    let contacts: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(if args.iter().any(|a| a == "--bench") {
        2000
    } else {
        100
    });
    let concurrency = 16;

    // The channel receiver: when did each contact's "Thanks" arrive?
    let arrivals: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let seen = arrivals.clone();
    let receiver = axum::Router::new().route(
        "/channel",
        axum::routing::post(move |axum::Json(body): axum::Json<serde_json::Value>| {
            let seen = seen.clone();
            async move {
                let text = body["message"]["text"].as_str().unwrap_or("");
                if let Some(order) = text.strip_prefix("Thanks, looking up ") {
                    seen.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(order.trim_end_matches('.').to_owned(), Instant::now());
                }
                axum::Json(json!({"id": "ok"}))
            }
        }),
    );
    let rl = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let channel_url = format!("http://{}/channel", rl.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(rl, receiver).await;
    });

    let dir = std::env::temp_dir().join(format!("switchboard-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let options = Options {
        database_url: format!("sqlite://{}/load.db", dir.display()),
        webhook_url: Some(channel_url),
        ..Options::default()
    };
    let engine = Engine::open(options, Arc::new(SystemClock)).await.expect("engine");
    engine.publish(FLOW).await.expect("publish");
    let token = create_token(engine.pool(), "load", Role::Integration, None, 0).await.expect("token");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let server = app(AppState { engine: engine.clone() });
    tokio::spawn(async move {
        let _ = axum::serve(listener, server).await;
    });
    let background = engine.clone();
    tokio::spawn(async move { background.run_background(std::future::pending()).await });
    let http = reqwest::Client::new();

    let event = |i: usize, id: &str, text: &str| {
        json!({"source": "load", "id": id, "type": "message_received", "channel": "webhook",
               "contact": {"address": {"channel": "webhook", "address": format!("c{i}")}}, "message": {"text": text}})
    };

    // Phase 1: every contact writes "start", one request per event, 16 clients at a time.
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..concurrency {
        let (http, base, token) = (http.clone(), base.clone(), token.clone());
        let events: Vec<serde_json::Value> =
            (worker..contacts).step_by(concurrency).map(|i| event(i, &format!("s{i}"), "start")).collect();
        tasks.spawn(async move {
            for e in events {
                let res =
                    http.post(format!("{base}/api/events")).bearer_auth(&token).json(&e).send().await.expect("post");
                assert_eq!(res.status(), 202);
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let accepted = started.elapsed();
    let waiting = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM runs WHERE status = 'waiting'")
            .fetch_one(engine.pool())
            .await
            .unwrap_or(0)
    };
    let deadline = Instant::now() + Duration::from_secs(300);
    while (waiting().await as usize) < contacts {
        assert!(Instant::now() < deadline, "runs did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let parked = started.elapsed();
    println!(
        "accepted {contacts} events in {:.2}s ({:.0} events/s over HTTP, {concurrency} clients); all runs waiting after {:.2}s",
        accepted.as_secs_f64(),
        contacts as f64 / accepted.as_secs_f64(),
        parked.as_secs_f64()
    );

    // Phase 2: every contact replies; latency until the next message reaches the receiver.
    let sent_at: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..concurrency {
        let (http, base, token, sent_at) = (http.clone(), base.clone(), token.clone(), sent_at.clone());
        let replies: Vec<(String, serde_json::Value)> = (worker..contacts)
            .step_by(concurrency)
            .map(|i| (format!("order-{i}"), event(i, &format!("r{i}"), &format!("order-{i}"))))
            .collect();
        tasks.spawn(async move {
            for (order, e) in replies {
                sent_at.lock().unwrap_or_else(|e| e.into_inner()).insert(order, Instant::now());
                let res =
                    http.post(format!("{base}/api/events")).bearer_auth(&token).json(&e).send().await.expect("post");
                assert_eq!(res.status(), 202);
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let deadline = Instant::now() + Duration::from_secs(300);
    while arrivals.lock().unwrap_or_else(|e| e.into_inner()).len() < contacts {
        assert!(Instant::now() < deadline, "not every reply was answered");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let total = started.elapsed();
    let sent_at = sent_at.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let arrivals = arrivals.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let mut latencies: Vec<f64> = sent_at
        .iter()
        .filter_map(|(order, sent)| arrivals.get(order).map(|a| a.duration_since(*sent).as_secs_f64() * 1000.0))
        .collect();
    latencies.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "replies: {contacts} answered in {:.2}s; reply → next message at the channel: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        total.as_secs_f64(),
        pct(0.50),
        pct(0.99),
        pct(1.0)
    );
    let _ = std::fs::remove_dir_all(dir);
}
