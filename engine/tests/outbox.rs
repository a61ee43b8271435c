//! The outbox under the background loop (`run_background`): a slow HTTP endpoint holds only
//! its own calls, and idempotency keys carry the installation's id.

mod common;

use common::*;
use std::time::Duration;
use switchboard::runtime::{Engine, Options};

/// An HTTP call whose answer takes long, then a message.
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
    url: '{{URL}}/crm'
    timeout: 60s
    retries: 0
    next: { success: done, failure: done }
  done: { kind: send_message, text: Looked up }
"#;

const HELLO: &str = r#"
schema: 1
id: hello
name: Hello
trigger: { type: message_received, keywords: [hello] }
start: hi
steps:
  hi: { kind: send_message, text: Hi there }
"#;

async fn count(engine: &Engine, sql: &'static str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql).fetch_one(engine.pool()).await.unwrap_or(-1)
}

/// An engine with its background loops, the lookup and hello flows published (the lookup's
/// endpoint at `slow_url`, the webhook channel at `channel_url`), and ana's lookup call in
/// flight.
async fn ana_lookup_in_flight(
    slow_url: &str,
    channel_url: &str,
) -> (Engine, switchboard::clock::ManualClock, tokio::task::JoinHandle<()>) {
    let options = Options {
        webhook_url: Some(format!("{channel_url}/channel")),
        http_allow: vec!["127.0.0.1/32".into()],
        ..Options::default()
    };
    let (engine, clock) = engine_with("2026-11-23T10:00:00Z", options).await;
    engine.publish(&LOOKUP.replace("{{URL}}", slow_url)).await.expect("lookup");
    engine.publish(HELLO).await.expect("hello");
    let background = {
        let engine = engine.clone();
        tokio::spawn(async move { engine.run_background(std::future::pending()).await })
    };
    engine.enqueue(&[webhook_says("ana", "lookup", "ana-1")]).await.expect("ana");
    eventually(Duration::from_secs(20), "ana's HTTP call to be in flight", async || {
        count(
            &engine,
            "SELECT COUNT(*) FROM outbox WHERE kind = 'http' AND status = 'pending' AND lease_owner IS NOT NULL",
        )
        .await
            == 1
    })
    .await;
    (engine, clock, background)
}

/// Issue 16, item 4: the outbox waited for every effect of a pass before claiming more, so an
/// endpoint answering after seconds held back every other contact's reply.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_contacts_message_goes_out_while_a_slow_http_call_is_in_flight() {
    let (_slow, slow_url) = Receiver::start_slow(Duration::from_secs(45)).await;
    let (channel, channel_url) = Receiver::start().await;
    let (engine, _clock, background) = ana_lookup_in_flight(&slow_url, &channel_url).await;
    engine.enqueue(&[webhook_says("bob", "hello", "bob-1")]).await.expect("bob");
    eventually(Duration::from_secs(20), "bob's reply to reach the channel", async || !channel.requests().is_empty())
        .await;
    // Bob's reply went out while ana's call was still waiting for its answer.
    assert_eq!(
        count(&engine, "SELECT COUNT(*) FROM outbox WHERE kind = 'http' AND status = 'pending'").await,
        1,
        "the slow call is still in flight"
    );
    assert_eq!(count(&engine, "SELECT COUNT(*) FROM messages WHERE direction = 'out' AND status = 'sent'").await, 1);
    background.abort();
}

/// Found while reading the pool for issue 19: a panic in the outbox loop lost the jobs it
/// held. Its supervisor started it again, but their rows stayed leased to this process — the
/// leases loop renewing them — and were never performed while the process lived. The pool
/// now frees its process's leases when it starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_held_by_an_outbox_loop_that_panicked_are_performed_after_its_restart() {
    let (slow, slow_url) = Receiver::start_slow(Duration::from_secs(2)).await;
    let (channel, channel_url) = Receiver::start().await;
    let (engine, clock, background) = ana_lookup_in_flight(&slow_url, &channel_url).await;
    engine.inject_panic(switchboard::runtime::Loop::Outbox);
    eventually(Duration::from_secs(20), "the outbox loop to be restarting", async || {
        engine.loop_health().iter().any(|l| l.name == switchboard::runtime::Loop::Outbox && l.restarts > 0)
    })
    .await;
    // The restart waits on the engine's clock (a second is past its backoff, and far from
    // the lease's end, so no lease runs out).
    clock.advance(chrono::Duration::seconds(1));
    eventually(Duration::from_secs(30), "ana's reply after the outbox loop's restart", async || {
        !channel.requests().is_empty()
    })
    .await;
    assert!(!slow.keys().is_empty(), "the call was made again, under its key");
    background.abort();
}

/// Issue 16, item 8: keys were unique only within one database; a receiver serving two
/// installations could take one's effect for the other's. Each key sent now starts with the
/// installation's id, made once and kept across restarts.
#[tokio::test]
async fn idempotency_keys_carry_the_installation_id_which_survives_a_restart() {
    let (receiver, url) = Receiver::start().await;
    let database_url = durable_database_url().await;
    let options = Options {
        database_url: database_url.clone(),
        webhook_url: Some(format!("{url}/channel")),
        http_allow: vec!["127.0.0.1/32".into()],
        ..Options::default()
    };
    let (engine, _clock) = engine_with("2026-11-23T10:00:00Z", options.clone()).await;
    let installation = engine.installation_id().to_owned();
    assert!(installation.len() >= 16, "an id worth the name: {installation}");
    engine.publish(HELLO).await.expect("hello");
    engine.handle(webhook_says("ana", "hello", "ana-1")).await.expect("ana");
    flush(&engine).await;
    drop(engine);

    let (engine, _clock) = engine_with("2026-11-23T10:00:00Z", options).await;
    assert_eq!(engine.installation_id(), installation, "the same id after a restart");
    engine.handle(webhook_says("bob", "hello", "bob-1")).await.expect("bob");
    flush(&engine).await;
    let keys = receiver.keys();
    assert_eq!(keys.len(), 2, "{keys:?}");
    for key in &keys {
        assert!(key.starts_with(&format!("{installation}:")), "{key} starts with the installation id");
    }
    // Another store is another installation.
    let (other, _clock) = engine_at("2026-11-23T10:00:00Z").await;
    assert_ne!(other.installation_id(), installation);
}

/// Issue 16, item 8: the webhook channel deduplicates by key, so a send that timed out is
/// simply tried again under the same key (unlike WhatsApp and Telegram, see `channels.rs`).
#[tokio::test]
async fn a_webhook_channel_send_that_times_out_is_retried_under_its_key() {
    let (_receiver, url) = Receiver::start_slow(Duration::from_secs(60)).await;
    let options = Options {
        webhook_url: Some(format!("{url}/channel")),
        channel_timeout: Duration::from_millis(200),
        ..Options::default()
    };
    let (engine, _clock) = engine_with("2026-11-23T10:00:00Z", options).await;
    engine.publish(HELLO).await.expect("hello");
    engine.handle(webhook_says("ana", "hello", "ana-1")).await.expect("ana");
    assert_eq!(engine.process_outbox(10).await.expect("outbox"), 1);
    let (status, attempts, error): (String, i64, Option<String>) =
        sqlx::query_as("SELECT status, attempts, last_error FROM outbox").fetch_one(engine.pool()).await.expect("row");
    assert_eq!((status.as_str(), attempts), ("pending", 1), "{error:?}");
    assert!(error.as_deref().unwrap_or_default().contains("timed out"), "{error:?}");
}

/// A message row whose payload cannot be read (a damaged row) is dead with that reason and its
/// transcript line failed: the engine never guesses a channel for it.
#[tokio::test]
async fn a_damaged_message_row_is_dead_with_its_reason_and_never_counts_as_sent() {
    let (engine, _clock) = engine_at("2026-11-23T10:00:00Z").await;
    engine.publish(HELLO).await.expect("hello");
    let ana = engine.handle(says("ana", "hello")).await.expect("message").contact_id.expect("contact");
    sqlx::query("UPDATE outbox SET payload = '{\"not\": \"a message\"}' WHERE kind = 'message'")
        .execute(engine.pool())
        .await
        .expect("damage the row");
    flush(&engine).await;
    let (status, error): (String, Option<String>) =
        sqlx::query_as("SELECT status, last_error FROM outbox WHERE kind = 'message'")
            .fetch_one(engine.pool())
            .await
            .expect("the row");
    assert_eq!((status.as_str(), error.as_deref()), ("dead", Some("unreadable message payload")));
    let line: String = sqlx::query_scalar("SELECT status FROM messages WHERE contact_id = $1 AND status <> 'received'")
        .bind(ana)
        .fetch_one(engine.pool())
        .await
        .expect("the transcript line");
    assert_eq!(line, "failed", "the transcript says it never went out");
}
