//! One slow HTTP endpoint against everyone else's replies (issue 16, item 4): contacts parked
//! at a question reply at a steady pace, and the latency from each reply (enqueued) to the
//! next message arriving at a channel receiver on 127.0.0.1 is measured twice: idle, and while
//! other contacts' runs call an endpoint that answers after 10 s (new such calls start every
//! second, so some are always in flight). The pool keeps the two apart: p99 under the slow
//! endpoint should stay within 2x of the idle p99.
//!
//! `cargo bench -p switchboard --bench slow_endpoint -- 1000` (replies per phase; default 1,000)

use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use switchboard::clock::SystemClock;
use switchboard::runtime::{ContactRef, Engine, Event, EventKind, Options};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SURVEY: &str = r#"
schema: 1
id: survey
name: Survey
trigger: { type: message_received, keywords: [start] }
start: ask
steps:
  ask: { kind: ask, type: text, text: 'What is your order number?', next: { answered: thanks } }
  thanks: { kind: send_message, text: 'Thanks, looking up {{steps.ask.answer}}.' }
"#;

const LOOKUP: &str = r#"
schema: 1
id: lookup
name: Lookup
trigger: { type: message_received, keywords: [lookup] }
start: lookup
steps:
  lookup:
    kind: http
    method: POST
    url: '{{URL}}/slow'
    timeout: 60s
    retries: 0
    next: { success: done, failure: done }
  done: { kind: send_message, text: 'Looked up.' }
"#;

/// Replies per second during a phase.
const PACE: usize = 100;
/// Calls to the slow endpoint started per second during the slow phase.
const SLOW_PER_SECOND: usize = 10;
/// How long the slow endpoint takes to answer.
const SLOW: Duration = Duration::from_secs(10);

fn says(address: &str, id: &str, text: &str) -> Event {
    Event::with_id(
        "bench",
        id,
        EventKind::MessageReceived {
            contact: ContactRef::Address { channel: "webhook".into(), address: address.into() },
            channel: "webhook".into(),
            message: steps::message::InboundMessage::text(text),
            profile: Default::default(),
        },
    )
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    let per_phase: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(if args.iter().any(|a| a == "--bench") {
        1000
    } else {
        200
    });

    // The channel receiver (when did each "Thanks" arrive?) and the slow endpoint.
    let arrivals: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let seen = arrivals.clone();
    let slow_calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = slow_calls.clone();
    let receiver = axum::Router::new()
        .route(
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
        )
        .route(
            "/slow",
            axum::routing::post(move || {
                let counted = counted.clone();
                async move {
                    counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    tokio::time::sleep(SLOW).await;
                    axum::Json(json!({"ok": true}))
                }
            }),
        );
    let rl = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", rl.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(rl, receiver).await;
    });

    let dir = std::env::temp_dir().join(format!("switchboard-slow-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let options = Options {
        database_url: format!("sqlite://{}/slow.db", dir.display()),
        webhook_url: Some(format!("{base}/channel")),
        http_allow: vec!["127.0.0.1/32".into()],
        ..Options::default()
    };
    let engine = Engine::open(options, Arc::new(SystemClock)).await.expect("engine");
    engine.publish(SURVEY).await.expect("survey");
    engine.publish(&LOOKUP.replace("{{URL}}", &base)).await.expect("lookup");
    let background = engine.clone();
    tokio::spawn(async move { background.run_background(std::future::pending()).await });

    // Every contact of both phases waits at the question.
    let contacts = 2 * per_phase;
    let starts: Vec<Event> = (0..contacts).map(|i| says(&format!("c{i}"), &format!("s{i}"), "start")).collect();
    for chunk in starts.chunks(500) {
        engine.enqueue(chunk).await.expect("start");
    }
    let waiting = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM runs WHERE status = 'waiting' AND workflow_id = 'survey'")
            .fetch_one(engine.pool())
            .await
            .unwrap_or(0)
    };
    let deadline = Instant::now() + Duration::from_secs(300);
    while (waiting().await as usize) < contacts {
        assert!(Instant::now() < deadline, "runs did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The questions themselves are delivered before measuring.
    let pending = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
            .fetch_one(engine.pool())
            .await
            .unwrap_or(0)
    };
    while pending().await > 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let idle = phase(&engine, &arrivals, 0..per_phase, None).await;
    let slow = phase(&engine, &arrivals, per_phase..contacts, Some(&slow_calls)).await;
    println!(
        "{per_phase} replies per phase at {PACE}/s; idle: p50 {:.1} ms, p99 {:.1} ms; with a {}s endpoint \
         ({SLOW_PER_SECOND} new calls/s, {} called): p50 {:.1} ms, p99 {:.1} ms ({:.2}x idle p99)",
        idle.0,
        idle.1,
        SLOW.as_secs(),
        slow_calls.load(std::sync::atomic::Ordering::SeqCst),
        slow.0,
        slow.1,
        slow.1 / idle.1
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Contacts `range` reply at [`PACE`] per second (with calls to the slow endpoint started
/// alongside when `slow` is given); returns the reply-to-message latency p50 and p99 in ms.
async fn phase(
    engine: &Engine,
    arrivals: &Arc<Mutex<HashMap<String, Instant>>>,
    range: std::ops::Range<usize>,
    slow: Option<&Arc<std::sync::atomic::AtomicUsize>>,
) -> (f64, f64) {
    let mut sent_at: HashMap<String, Instant> = HashMap::new();
    let tick = Duration::from_millis(100);
    let per_tick = PACE / 10;
    let mut next = Instant::now();
    let ids: Vec<usize> = range.collect();
    for (n, chunk) in ids.chunks(per_tick).enumerate() {
        if slow.is_some() && n % 10 == 0 {
            // New slow calls every second, from contacts of their own.
            let calls: Vec<Event> =
                (0..SLOW_PER_SECOND).map(|k| says(&format!("slow{n}-{k}"), &format!("l{n}-{k}"), "lookup")).collect();
            engine.enqueue(&calls).await.expect("lookup");
            if n == 0 {
                // The first calls are in flight before the first reply is measured.
                while slow.is_some_and(|s| s.load(std::sync::atomic::Ordering::SeqCst) == 0) {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                next = Instant::now();
            }
        }
        let events: Vec<Event> =
            chunk.iter().map(|i| says(&format!("c{i}"), &format!("r{i}"), &format!("order-{i}"))).collect();
        let at = Instant::now();
        engine.enqueue(&events).await.expect("reply");
        for i in chunk {
            sent_at.insert(format!("order-{i}"), at);
        }
        next += tick;
        tokio::time::sleep_until(next.into()).await;
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let done = {
            let seen = arrivals.lock().unwrap_or_else(|e| e.into_inner());
            sent_at.keys().all(|k| seen.contains_key(k))
        };
        if done {
            break;
        }
        assert!(Instant::now() < deadline, "not every reply was answered");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let seen = arrivals.lock().unwrap_or_else(|e| e.into_inner());
    let mut latencies: Vec<f64> =
        sent_at.iter().map(|(k, at)| (seen[k].duration_since(*at)).as_secs_f64() * 1000.0).collect();
    latencies.sort_by(f64::total_cmp);
    let pick = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    (pick(0.50), pick(0.99))
}
