//! Shared test helpers: an engine on a fresh in-memory SQLite with a manual clock.
#![allow(dead_code)]

pub mod api;

use chrono::{DateTime, Utc};
use serde_json::Value;
use std::sync::Arc;
use steps::message::InboundMessage;
use switchboard::clock::ManualClock;
use switchboard::runtime::{AgentSpec, ContactRef, Engine, Event, EventKind, Options};

/// An engine on a fresh in-memory database, its clock stopped at `now`.
pub async fn engine_at(now: &str) -> (Engine, ManualClock) {
    engine_with(now, Options { timezone: chrono_tz::Europe::Berlin, ..Options::default() }).await
}

pub async fn engine_with(now: &str, options: Options) -> (Engine, ManualClock) {
    let clock = ManualClock::at(now.parse::<DateTime<Utc>>().expect("time"));
    let engine = Engine::open(options, Arc::new(clock.clone())).await.expect("engine opens");
    (engine, clock)
}

/// The text of a reference workflow.
pub fn reference(name: &str) -> String {
    std::fs::read_to_string(format!("{}/../workflows/{name}.yaml", env!("CARGO_MANIFEST_DIR")))
        .expect("reference workflow")
}

pub fn contact(address: &str) -> ContactRef {
    ContactRef::Address { channel: "simulator".into(), address: address.into() }
}

/// A contact's message on the simulator channel.
pub fn says(address: &str, text: &str) -> Event {
    Event::new(EventKind::MessageReceived {
        contact: contact(address),
        channel: "simulator".into(),
        message: InboundMessage::text(text),
        profile: serde_json::from_value(
            serde_json::json!({"first_name": address, "name": format!("{address} Example")}),
        )
        .expect("profile"),
    })
}

/// A button press on the simulator channel.
pub fn presses(address: &str, payload: &str, title: &str) -> Event {
    Event::new(EventKind::MessageReceived {
        contact: contact(address),
        channel: "simulator".into(),
        message: InboundMessage::button(payload, title),
        profile: Default::default(),
    })
}

pub fn closes(address: &str, by: &str, category: &str) -> Event {
    Event::new(EventKind::ConversationClosed {
        contact: contact(address),
        closed_by: by.into(),
        category: Some(category.into()),
        summary: None,
        auto: false,
    })
}

pub fn agent(id: &str, teams: &[&str], online: bool) -> AgentSpec {
    AgentSpec {
        id: id.into(),
        name: format!("Agent {}", id.to_uppercase()),
        email: Some(format!("{id}@example.com")),
        teams: teams.iter().map(|t| (*t).to_owned()).collect(),
        online,
        max_open: None,
    }
}

/// The texts of the messages sent to a contact, in order.
pub async fn sent(engine: &Engine, contact_id: i64) -> Vec<String> {
    engine
        .simulator_messages(contact_id)
        .await
        .expect("messages")
        .iter()
        .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Delivers everything in the outbox (the simulator channel succeeds at once).
pub async fn flush(engine: &Engine) {
    while engine.process_outbox(1000).await.expect("outbox") > 0 {}
}

pub fn json(v: &Value, path: &str) -> Value {
    path.split('.').fold(v.clone(), |v, k| v.get(k).cloned().unwrap_or(Value::Null))
}

/// A receiver on 127.0.0.1 standing in for a channel and a CRM: it records every request's
/// path and `Idempotency-Key`, and answers `/crm` with `{"tier": "gold"}`.
#[derive(Clone, Default)]
pub struct Receiver {
    pub seen: Arc<std::sync::Mutex<Vec<(String, String)>>>,
}

impl Receiver {
    /// Starts the receiver; returns it and its base URL.
    pub async fn start() -> (Receiver, String) {
        use axum::http::HeaderMap;
        use axum::routing::post;
        let receiver = Receiver::default();
        let record = |path: &'static str, receiver: Receiver| {
            move |headers: HeaderMap| {
                let receiver = receiver.clone();
                async move {
                    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                    receiver.seen.lock().unwrap_or_else(|e| e.into_inner()).push((path.to_owned(), key.clone()));
                    axum::Json(serde_json::json!({"id": key, "tier": "gold"}))
                }
            }
        };
        let app = axum::Router::new()
            .route("/channel", post(record("/channel", receiver.clone())))
            .route("/crm", post(record("/crm", receiver.clone())));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (receiver, url)
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<(String, String)> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The distinct idempotency keys seen.
    pub fn keys(&self) -> std::collections::BTreeSet<String> {
        self.requests().into_iter().map(|(_, k)| k).collect()
    }
}

/// A workflow that exercises every kind of durable step: an awaited message, an HTTP call,
/// a timer, a question and a final message. `{{URL}}` is the receiver's base URL.
pub const DURABLE_FLOW: &str = r#"
schema: 1
id: durable
name: Durable
trigger: { type: message_received, keywords: [start] }
start: greet
steps:
  greet:
    kind: send_message
    text: 'Hello {{contact.first_name}}'
    next: { next: lookup, failure: lookup }
  lookup:
    kind: http
    method: POST
    url: '{{URL}}/crm'
    json: { contact: '{{contact.id}}' }
    save: { tier: $.tier }
    next: { success: pause, failure: pause }
  pause:
    kind: wait
    for: PAUSE
    next: { done: bye }
  bye:
    kind: send_message
    text: 'Bye {{contact.first_name}}'
"#;

/// A contact's message on the webhook channel, with an event id.
pub fn webhook_says(address: &str, text: &str, id: &str) -> Event {
    Event::with_id(
        "test",
        id,
        EventKind::MessageReceived {
            contact: ContactRef::Address { channel: "webhook".into(), address: address.into() },
            channel: "webhook".into(),
            message: InboundMessage::text(text),
            profile: serde_json::from_value(serde_json::json!({"first_name": address})).expect("profile"),
        },
    )
}
