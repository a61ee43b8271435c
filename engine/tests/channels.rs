//! Messaging channels end to end: payloads shaped as in WhatsApp's, LINE's and Telegram's
//! public API documentation are posted to the inbound webhooks through the router; what
//! Switchboard sends goes to a mock of the channels' APIs on 127.0.0.1. Signatures, dedup,
//! unknown shapes, the question-and-button round trip per channel, WhatsApp's 24-hour window
//! (injected clock), LINE's friend rule and quota, opt-out, and secrets kept out of answers
//! and logs.
//!
//! Long on purpose (over 600 lines): one integration binary per suite keeps the build and link
//! time of the test run down; the tests are grouped per channel, then per rule.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine as _;
use common::api::Api;
use common::*;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use switchboard::runtime::{ContactRef, Event, EventKind};
use tower::ServiceExt;

const WA_SECRET: &str = "wa-app-secret-7f3a";
const LINE_SECRET: &str = "line-channel-secret-91c2";
const TG_SECRET: &str = "tg-secret-token-55d1";

/// One call to a channel's API: path, JSON body, `Authorization` header.
type Call = (String, Value, Option<String>);

/// Stands in for the channels' APIs: records every call and answers as each channel does.
#[derive(Clone, Default)]
struct Mock {
    calls: Arc<Mutex<Vec<Call>>>,
    /// A WhatsApp message `type` or an API path to answer once with this status (503: a
    /// channel's passing trouble, 400: a refusal); such a call is not recorded.
    fail_once: Arc<Mutex<Option<(&'static str, u16)>>>,
    /// An API path whose calls are recorded, then answered only after a minute: slower than
    /// the engine's channel timeout, as a channel under strain that still takes the message.
    stall: Arc<Mutex<Option<&'static str>>>,
}

impl Mock {
    async fn start() -> (Mock, String) {
        let mock = Mock::default();
        let record = mock.clone();
        let app = axum::Router::new().fallback(
            move |uri: axum::http::Uri, headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let record = record.clone();
                async move {
                    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    {
                        let mut fail = record.fail_once.lock().unwrap_or_else(|e| e.into_inner());
                        if let Some((what, status)) = *fail {
                            if body["type"] == what || uri.path() == what {
                                *fail = None;
                                let trouble =
                                    json!({"error": {"message": "refused", "code": 2}, "message": "The request was refused"});
                                let status = axum::http::StatusCode::from_u16(status).unwrap_or_default();
                                return (status, axum::Json(trouble));
                            }
                        }
                    }
                    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
                    let path = uri.path().to_owned();
                    let n = {
                        let mut calls = record.calls.lock().unwrap_or_else(|e| e.into_inner());
                        calls.push((path.clone(), body, auth));
                        calls.len()
                    };
                    let stalled = *record.stall.lock().unwrap_or_else(|e| e.into_inner()) == Some(path.as_str());
                    if stalled {
                        // The injected fault (a channel slower than the timeout), not a wait
                        // for anything in the test.
                        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
                    }
                    let answer = if path.ends_with("/messages") {
                        json!({"messaging_product": "whatsapp", "messages": [{"id": format!("wamid.OUT{n}")}]})
                    } else if path == "/v2/bot/message/push" {
                        json!({"sentMessages": [{"id": format!("line-{n}"), "quoteToken": "q"}]})
                    } else {
                        json!({"ok": true, "result": {"message_id": 5000 + n}})
                    };
                    (axum::http::StatusCode::OK, axum::Json(answer))
                }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (mock, url)
    }

    fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn bodies(&self) -> Vec<Value> {
        self.calls().into_iter().map(|c| c.1).collect()
    }
}

const ROUTING: &str = r#"
schema: 1
id: routing
name: Routing
trigger: { type: message_received }
start: ask
steps:
  ask:
    kind: ask
    type: choice
    text: Which team?
    options:
      - { id: sales, label: Sales }
      - { id: support, label: Support }
    next: { sales: to_sales, support: to_support }
  to_sales: { kind: send_message, text: Sales it is }
  to_support: { kind: send_message, text: Support it is }
"#;

/// An API with the three channels connected to the mock, and the routing flow live.
async fn connected(flow: &str) -> (Api, Mock) {
    connected_with(flow, switchboard::runtime::Options::default()).await
}

/// [`connected`], on an engine with these options.
async fn connected_with(flow: &str, options: switchboard::runtime::Options) -> (Api, Mock) {
    let api = common::api::api_with(options).await;
    let (mock, url) = Mock::start().await;
    for (id, body) in [
        (
            "whatsapp",
            json!({"kind": "whatsapp", "api_base": url, "settings": {"phone_number_id": "106540352242922"},
                   "secrets": {"app_secret": WA_SECRET, "access_token": "wa-token", "verify_token": "wa-verify"}}),
        ),
        (
            "line",
            json!({"kind": "line", "api_base": url, "settings": {"monthly_quota": 100},
                   "secrets": {"channel_secret": LINE_SECRET, "access_token": "line-token"}}),
        ),
        (
            "telegram",
            json!({"kind": "telegram", "api_base": url,
                   "secrets": {"bot_token": "123:tg-bot-token", "secret_token": TG_SECRET}}),
        ),
    ] {
        let (status, answer) = api.call("PUT", &format!("/api/channels/{id}"), Some(&api.admin), Some(body)).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
    }
    if !flow.is_empty() {
        api.engine.publish(flow).await.expect("publish");
    }
    (api, mock)
}

fn hmac(secret: &str, body: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

/// The signature header each channel sends, made with its secret.
fn signed(channel: &str, body: &[u8]) -> (&'static str, String) {
    match channel {
        "whatsapp" => ("x-hub-signature-256", format!("sha256={}", hex::encode(hmac(WA_SECRET, body)))),
        "line" => ("x-line-signature", base64::engine::general_purpose::STANDARD.encode(hmac(LINE_SECRET, body))),
        _ => ("x-telegram-bot-api-secret-token", TG_SECRET.to_owned()),
    }
}

async fn deliver(api: &Api, channel: &str, body: &Value, header: Option<(&str, String)>) -> (StatusCode, Value) {
    let bytes = body.to_string().into_bytes();
    let mut req = Request::builder()
        .method("POST")
        .uri(format!("/api/channels/{channel}/webhook"))
        .header("content-type", "application/json");
    if let Some((name, value)) = header {
        req = req.header(name, value);
    }
    api.raw(req.body(Body::from(bytes)).expect("request")).await
}

/// Posts a payload signed as the channel signs it, then lets the engine process it and
/// deliver what it sent.
async fn from_channel(api: &Api, channel: &str, body: Value) -> Value {
    let bytes = body.to_string().into_bytes();
    let (status, answer) = deliver(api, channel, &body, Some(signed(channel, &bytes))).await;
    assert_eq!(status, StatusCode::OK, "{channel}: {answer}");
    while api.engine.process_queue(100).await.expect("queue") > 0 {}
    flush(&api.engine).await;
    answer
}

fn wa_text(from: &str, id: &str, text: &str) -> Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
        "contacts": [{"profile": {"name": "Sheena Nelson"}, "wa_id": from}],
        "messages": [{"from": from, "id": id, "timestamp": "1749416383", "type": "text", "text": {"body": text}}]}}]}]})
}

fn wa_button(from: &str, id: &str, payload: &str, title: &str) -> Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
        "contacts": [{"profile": {"name": "Sheena Nelson"}, "wa_id": from}],
        "messages": [{"context": {"from": "15550783881", "id": "wamid.OUT1"}, "from": from, "id": id,
            "timestamp": "1749416400", "type": "interactive",
            "interactive": {"type": "button_reply", "button_reply": {"id": payload, "title": title}}}]}}]}]})
}

fn wa_status(message_id: &str, status: &str) -> Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
        "statuses": [{"id": message_id, "status": status, "timestamp": "1749416500", "recipient_id": "16505551234"}]}}]}]})
}

fn line_event(user: &str, event: Value) -> Value {
    let mut e = event;
    e["timestamp"] = json!(1625665242211_i64);
    e["source"] = json!({"type": "user", "userId": user});
    e["mode"] = json!("active");
    e["deliveryContext"] = json!({"isRedelivery": false});
    json!({"destination": "Uxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "events": [e]})
}

fn line_text(user: &str, id: &str, text: &str) -> Value {
    line_event(
        user,
        json!({"type": "message", "replyToken": "757913772c4646b784d4b7ce46d12671", "webhookEventId": format!("01FZ{id}"),
               "message": {"type": "text", "id": id, "quoteToken": "q3Plxr4AgKd", "text": text}}),
    )
}

fn tg_text(chat: i64, update: i64, message_id: i64, text: &str) -> Value {
    json!({"update_id": update, "message": {"message_id": message_id, "date": 1441645532,
        "from": {"id": chat, "is_bot": false, "first_name": "Test", "last_name": "Lastname", "username": "Testusername", "language_code": "en"},
        "chat": {"id": chat, "type": "private", "first_name": "Test", "last_name": "Lastname"}, "text": text}})
}

async fn count(api: &Api, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(api.engine.pool())
        .await
        .expect("count")
}

async fn contact_of(api: &Api, channel: &str, address: &str) -> i64 {
    sqlx::query_scalar("SELECT contact_id FROM contact_addresses WHERE channel = $1 AND address = $2")
        .bind(channel)
        .bind(address)
        .fetch_one(api.engine.pool())
        .await
        .expect("contact")
}

/// The contact's runs, oldest first: status and error.
async fn runs(api: &Api, contact: i64) -> Vec<(String, Option<String>)> {
    let runs = api.engine.runs_of_contact(contact).await.expect("runs");
    runs.into_iter().rev().map(|r| (r.status.to_string(), r.last_error)).collect()
}

#[tokio::test]
async fn bad_or_missing_signatures_are_refused_and_nothing_is_stored() {
    let (api, _mock) = connected(ROUTING).await;
    let payloads = [
        ("whatsapp", wa_text("16505551234", "wamid.IN1", "hi")),
        ("line", line_text("U4af4980629", "14353798921116", "hi")),
        ("telegram", tg_text(1111111, 10000, 1365, "hi")),
    ];
    for (channel, body) in &payloads {
        let (status, answer) = deliver(&api, channel, body, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{channel} without a signature: {answer}");
        let (name, good) = signed(channel, body.to_string().as_bytes());
        // Signed with another secret, or the right signature over another body.
        let forged = signed(channel, b"another body").1;
        let wrong = if *channel == "telegram" { "not-the-secret".to_owned() } else { forged };
        let (status, _) = deliver(&api, channel, body, Some((name, wrong))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{channel} with a wrong signature");
        // The same signature is refused on a connection of another channel.
        assert!(!good.is_empty());
    }
    let (status, _) = deliver(&api, "nowhere", &payloads[0].1, Some(signed("whatsapp", b"{}"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "an unknown connection answers like a bad signature");
    for table in ["event_queue", "inbox", "messages", "contacts"] {
        assert_eq!(count(&api, table).await, 0, "nothing stored in {table}");
    }
}

#[tokio::test]
async fn a_repeated_delivery_is_deduplicated_by_the_channels_message_id() {
    let (api, _mock) = connected("").await;
    for (channel, body) in [
        ("whatsapp", wa_text("16505551234", "wamid.IN1", "hi")),
        ("line", line_text("U4af4980629", "14353798921116", "hi")),
        ("telegram", tg_text(1111111, 10000, 1365, "hi")),
    ] {
        let first = from_channel(&api, channel, body.clone()).await;
        assert_eq!(first["duplicates"], json!(0), "{channel}: {first}");
        let again = from_channel(&api, channel, body).await;
        assert_eq!(again["duplicates"], json!(1), "{channel}: {again}");
    }
    let inbound: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE direction = 'in'")
        .fetch_one(api.engine.pool())
        .await
        .expect("count");
    assert_eq!(inbound, 3, "one message per channel, however often it was delivered");
}

#[tokio::test]
async fn payloads_of_an_unknown_shape_are_400_and_store_nothing() {
    let (api, _mock) = connected(ROUTING).await;
    for (channel, body) in [
        ("whatsapp", json!({"object": "page", "entry": []})),
        ("whatsapp", json!({"object": "whatsapp_business_account", "entry": [{"id": "1"}]})),
        (
            "line",
            json!({"destination": "U1", "events": [{"type": "message", "source": {"type": "user", "userId": "U1"}}]}),
        ),
        ("line", json!({"hello": "world"})),
        ("telegram", json!({"message": {"text": "no update id"}})),
        ("telegram", json!([1, 2, 3])),
    ] {
        let bytes = body.to_string().into_bytes();
        let (status, answer) = deliver(&api, channel, &body, Some(signed(channel, &bytes))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{channel} {body}: {answer}");
        assert!(answer["message"].as_str().is_some_and(|m| m.contains("not a")), "{answer}");
    }
    assert_eq!(count(&api, "event_queue").await + count(&api, "inbox").await, 0);
    // A known shape with nothing for a flow (LINE's verification ping) is fine.
    let ping = json!({"destination": "U1", "events": []});
    assert_eq!(from_channel(&api, "line", ping).await["events"], json!(0));
}

#[tokio::test]
async fn whatsapp_verifies_the_webhook_with_its_verify_token() {
    let (api, _mock) = connected("").await;
    let uri = "/api/channels/whatsapp/webhook?hub.mode=subscribe&hub.verify_token=wa-verify&hub.challenge=1158201444";
    assert_eq!(api.call("GET", uri, None, None).await, (StatusCode::OK, json!(1158201444)));
    let wrong = uri.replace("wa-verify", "guess");
    assert_eq!(api.call("GET", &wrong, None, None).await.0, StatusCode::FORBIDDEN);
    let line = uri.replace("whatsapp", "line");
    assert_eq!(api.call("GET", &line, None, None).await.0, StatusCode::FORBIDDEN, "LINE has no handshake");
}

/// The handshake echoes only what Meta sends (a short run of digits), as plain text; anything
/// else would make this server answer text of the caller's choosing under its own origin.
#[tokio::test]
async fn whatsapp_echoes_only_a_well_formed_challenge_as_plain_text() {
    let (api, _mock) = connected("").await;
    let handshake = |challenge: &str| {
        let uri = format!(
            "/api/channels/whatsapp/webhook?hub.mode=subscribe&hub.verify_token=wa-verify&hub.challenge={challenge}"
        );
        Request::get(uri).body(Body::empty()).expect("request")
    };
    let res = api.app.clone().oneshot(handshake("1158201444")).await.expect("response");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.expect("body");
    assert_eq!(&bytes[..], b"1158201444");
    let too_long = "7".repeat(65);
    for bad in ["%3Cscript%3Ealert(1)%3C%2Fscript%3E", "", "12%2034", "12-34", "%D9%A1%D9%A2", too_long.as_str()] {
        let (status, body) = api.raw(handshake(bad)).await;
        assert_eq!((status, body["code"].clone()), (StatusCode::BAD_REQUEST, json!("bad_challenge")), "{bad:?}");
        assert!(body["message"].as_str().is_some_and(|m| m.contains("hub.challenge")), "{body}");
    }
    let (status, body) = api
        .raw(
            Request::get("/api/channels/whatsapp/webhook?hub.mode=subscribe&hub.verify_token=wa-verify")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(
        (status, body["code"].clone()),
        (StatusCode::BAD_REQUEST, json!("bad_challenge")),
        "a missing challenge"
    );
    // A wrong verify token is refused before the challenge is looked at.
    let wrong = "/api/channels/whatsapp/webhook?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=%3Cb%3E";
    assert_eq!(api.call("GET", wrong, None, None).await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn whatsapp_question_goes_out_as_reply_buttons_and_the_button_resumes_the_run() {
    let (api, mock) = connected(ROUTING).await;
    from_channel(&api, "whatsapp", wa_text("16505551234", "wamid.IN1", "hi")).await;
    let contact = contact_of(&api, "whatsapp", "16505551234").await;
    let calls = mock.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    let (path, body, auth) = &calls[0];
    assert_eq!(path, "/v21.0/106540352242922/messages");
    assert_eq!(auth.as_deref(), Some("Bearer wa-token"));
    assert_eq!(body["to"], "16505551234");
    assert_eq!(body["interactive"]["type"], "button");
    assert_eq!(body["interactive"]["body"]["text"], "Which team?");
    let buttons = &body["interactive"]["action"]["buttons"];
    assert_eq!(buttons[0], json!({"type": "reply", "reply": {"id": "sales", "title": "Sales"}}));
    assert_eq!(runs(&api, contact).await, vec![("waiting".to_owned(), None)]);

    // The channel reports the question delivered, then read.
    from_channel(&api, "whatsapp", wa_status("wamid.OUT1", "read")).await;
    from_channel(&api, "whatsapp", wa_status("wamid.OUT1", "delivered")).await;
    let status: String = sqlx::query_scalar("SELECT status FROM messages WHERE external_id = 'wamid.OUT1'")
        .fetch_one(api.engine.pool())
        .await
        .expect("status");
    assert_eq!(status, "read", "a late `delivered` does not move a read message back");

    from_channel(&api, "whatsapp", wa_button("16505551234", "wamid.IN2", "support", "Support")).await;
    assert_eq!(runs(&api, contact).await, vec![("completed".to_owned(), None)]);
    let last = mock.bodies().last().cloned().unwrap_or_default();
    assert_eq!((last["type"].clone(), last["text"]["body"].clone()), (json!("text"), json!("Support it is")));
    let contact_row = api.engine.contact(contact).await.expect("contact");
    assert_eq!(contact_row["phone"], "+16505551234", "{contact_row}");
    assert_eq!(contact_row["name"], "Sheena Nelson");
}

#[tokio::test]
async fn a_five_option_question_is_a_list_on_whatsapp_and_quick_replies_on_line() {
    let five = ROUTING.replace(
        "      - { id: support, label: Support }",
        "      - { id: support, label: Support }\n      - { id: billing, label: Billing }\n      - { id: returns, label: Returns and refunds desk }\n      - { id: other, label: Something else }",
    )
    .replace("support: to_support }", "support: to_support, billing: to_support, returns: to_support, other: to_support }");
    let (api, mock) = connected(&five).await;
    from_channel(&api, "whatsapp", wa_text("16505551234", "wamid.IN1", "hi")).await;
    let body = &mock.bodies()[0];
    assert_eq!(body["interactive"]["type"], "list", "{body}");
    let rows = &body["interactive"]["action"]["sections"][0]["rows"];
    assert_eq!(rows.as_array().map(Vec::len), Some(5));
    assert_eq!(rows[3]["title"], "Returns and refunds desk", "24 characters fit");
    from_channel(&api, "line", line_text("U4af4980629", "14353798921116", "hi")).await;
    let body = &mock.bodies()[1];
    let items = &body["messages"][0]["quickReply"]["items"];
    assert_eq!(items.as_array().map(Vec::len), Some(5), "{body}");
    assert_eq!(items[3]["action"]["label"], "Returns and refunds…", "LINE labels hold 20 characters");
}

#[tokio::test]
async fn line_question_goes_out_with_quick_replies_and_the_postback_resumes_the_run() {
    let (api, mock) = connected(ROUTING).await;
    let user = "U4af4980629a11c9a6b1d1d1d1d1d1d1d";
    let follow = line_event(
        user,
        json!({"type": "follow", "webhookEventId": "01FOLLOW", "replyToken": "r", "follow": {"isUnblocked": false}}),
    );
    from_channel(&api, "line", follow).await;
    from_channel(&api, "line", line_text(user, "14353798921116", "hello")).await;
    let contact = contact_of(&api, "line", user).await;
    let calls = mock.calls();
    let (path, body, auth) = &calls[0];
    assert_eq!((path.as_str(), auth.as_deref()), ("/v2/bot/message/push", Some("Bearer line-token")));
    assert_eq!(body["to"], user);
    assert_eq!(body["messages"][0]["text"], "Which team?");
    let items = &body["messages"][0]["quickReply"]["items"];
    assert_eq!(
        items[0]["action"],
        json!({"type": "postback", "label": "Sales", "data": "sales", "displayText": "Sales"})
    );
    let postback = line_event(
        user,
        json!({"type": "postback", "webhookEventId": "01POSTBACK", "replyToken": "r2", "postback": {"data": "sales"}}),
    );
    from_channel(&api, "line", postback).await;
    assert_eq!(runs(&api, contact).await, vec![("completed".to_owned(), None)]);
    assert_eq!(mock.bodies()[1]["messages"][0]["text"], "Sales it is");
    assert_eq!(api.engine.channel_usage("line").await.expect("usage"), 2, "both pushes counted");
}

#[tokio::test]
async fn telegram_question_goes_out_with_an_inline_keyboard_and_the_callback_resumes_the_run() {
    let (api, mock) = connected(ROUTING).await;
    from_channel(&api, "telegram", tg_text(1111111, 10000, 1365, "/start")).await;
    let contact = contact_of(&api, "telegram", "1111111").await;
    let calls = mock.calls();
    let (path, body, _) = &calls[0];
    assert_eq!(path, "/bot123:tg-bot-token/sendMessage");
    assert_eq!(body["chat_id"], "1111111");
    assert_eq!(
        body["reply_markup"]["inline_keyboard"],
        json!([[{"text": "Sales", "callback_data": "sales"}], [{"text": "Support", "callback_data": "support"}]])
    );
    let callback = json!({"update_id": 10001, "callback_query": {"id": "4382bfdwdsb323b2d9",
        "from": {"id": 1111111, "is_bot": false, "first_name": "Test"},
        "message": {"message_id": 5001, "date": 1441645533, "chat": {"id": 1111111, "type": "private"}, "text": "Which team?",
            "reply_markup": body["reply_markup"].clone()},
        "chat_instance": "-5123", "data": "support"}});
    from_channel(&api, "telegram", callback).await;
    assert_eq!(runs(&api, contact).await, vec![("completed".to_owned(), None)]);
    let sent: Vec<Value> = mock.calls().into_iter().filter(|c| c.0.ends_with("/sendMessage")).map(|c| c.1).collect();
    assert_eq!(sent[1]["text"], "Support it is");
    // The press is acknowledged, so the contact's app stops showing it as pending.
    eventually(std::time::Duration::from_secs(5), "answerCallbackQuery", async || {
        mock.calls().iter().any(|c| {
            c.0 == "/bot123:tg-bot-token/answerCallbackQuery" && c.1["callback_query_id"] == "4382bfdwdsb323b2d9"
        })
    })
    .await;
    let transcript = api.engine.transcript(contact).await.expect("transcript");
    assert!(transcript.iter().any(|m| m["direction"] == "in" && m["text"] == "Support"), "the pressed button's title");
}

const NUDGE: &str = r#"
schema: 1
id: nudge
name: Nudge
trigger: { type: manual }
start: remind
steps:
  remind:
    kind: send_message
    text: 'Your order {{contact.fields.order}} is ready'
    TEMPLATE
    next: { next: done, failure: unreachable }
  done: { kind: update_tags, add: [reminded] }
  unreachable: { kind: update_tags, add: [unreachable] }
"#;

async fn nudge(api: &Api, contact: i64) -> (String, Vec<String>) {
    let started = api.engine.handle(manual_start("nudge", contact)).await.expect("start");
    let run = started.started[0];
    flush(&api.engine).await;
    let tags = api.engine.contact(contact).await.expect("contact")["tags"].clone();
    let tags = tags.as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect();
    (api.engine.run(run).await.expect("run").status.to_string(), tags)
}

#[tokio::test]
async fn whatsapp_24_hour_window_inside_outside_with_template_and_without() {
    let template = "template: { name: order_ready, language: en_US, params: ['{{contact.fields.order}}'] }";
    let (api, mock) = connected(&NUDGE.replace("TEMPLATE", template)).await;
    from_channel(&api, "whatsapp", wa_text("16505551234", "wamid.IN1", "hi")).await;
    let contact = contact_of(&api, "whatsapp", "16505551234").await;
    api.engine
        .handle(Event::new(EventKind::FieldUpdated {
            contact: ContactRef::Id(contact),
            field: "fields.order".into(),
            value: json!("A-17"),
        }))
        .await
        .expect("field");

    // Inside the window (23 hours after the contact wrote): the text.
    api.clock.advance(chrono::Duration::hours(23));
    assert_eq!(nudge(&api, contact).await.0, "completed");
    let body = mock.bodies().last().cloned().unwrap_or_default();
    assert_eq!(
        (body["type"].clone(), body["text"]["body"].clone()),
        (json!("text"), json!("Your order A-17 is ready"))
    );

    // Outside (25 hours): the approved template, with its parameter filled in.
    api.clock.advance(chrono::Duration::hours(2));
    assert_eq!(nudge(&api, contact).await.0, "completed");
    let body = mock.bodies().last().cloned().unwrap_or_default();
    assert_eq!(body["type"], "template", "{body}");
    assert_eq!(
        body["template"],
        json!({"name": "order_ready", "language": {"code": "en_US"},
               "components": [{"type": "body", "parameters": [{"type": "text", "text": "A-17"}]}]})
    );
    let sent = mock.calls().len();

    // Outside without a template: nothing goes out; the failure port is taken with the reason.
    api.engine.publish(&NUDGE.replace("TEMPLATE", "")).await.expect("publish v2");
    let (status, tags) = nudge(&api, contact).await;
    assert_eq!(status, "completed");
    assert!(tags.contains(&"unreachable".to_owned()), "{tags:?}");
    assert_eq!(mock.calls().len(), sent, "nothing was sent");
    let error: Option<String> =
        sqlx::query_scalar("SELECT error FROM messages WHERE direction = 'out' ORDER BY id DESC LIMIT 1")
            .fetch_one(api.engine.pool())
            .await
            .expect("error");
    let error = error.unwrap_or_default();
    assert!(error.contains("24-hour window") && error.contains("no template"), "{error}");

    // Without a failure port, the run fails with that reason instead of going on.
    let no_port =
        NUDGE.replace("TEMPLATE", "").replace("next: { next: done, failure: unreachable }", "next: { next: done }");
    let no_port = no_port.replace("  unreachable: { kind: update_tags, add: [unreachable] }\n", "");
    api.engine.publish(&no_port).await.expect("publish v3");
    let (status, _) = nudge(&api, contact).await;
    assert_eq!(status, "failed");
    let last = runs(&api, contact).await.into_iter().last().and_then(|r| r.1).unwrap_or_default();
    assert!(last.contains("message not sent") && last.contains("24-hour window"), "{last}");
}

#[tokio::test]
async fn line_sends_only_to_friends_and_stops_at_the_monthly_quota() {
    let (api, mock) = connected(&NUDGE.replace("TEMPLATE", "channel: line")).await;
    let (status, _) =
        api.call("PUT", "/api/channels/line", Some(&api.admin), Some(json!({"settings": {"monthly_quota": 2}}))).await;
    assert_eq!(status, StatusCode::OK);
    let follow = |user: &str, id: &str| {
        line_event(
            user,
            json!({"type": "follow", "webhookEventId": id, "replyToken": "r", "follow": {"isUnblocked": false}}),
        )
    };
    from_channel(&api, "line", follow("Ufriend", "01F1")).await;
    let friend = contact_of(&api, "line", "Ufriend").await;
    assert_eq!(nudge(&api, friend).await.1, vec!["reminded"]);
    assert_eq!(nudge(&api, friend).await.1, vec!["reminded"]);
    assert_eq!(mock.calls().len(), 2);
    let (_, tags) = nudge(&api, friend).await;
    assert_eq!(tags, vec!["reminded", "unreachable"], "the third message is over the quota of 2");
    assert_eq!(mock.calls().len(), 2);
    let error: Option<String> = sqlx::query_scalar("SELECT error FROM messages ORDER BY id DESC LIMIT 1")
        .fetch_one(api.engine.pool())
        .await
        .expect("error");
    assert!(error.unwrap_or_default().contains("monthly message quota of `line` is used up"));
    let (_, listed) = api.call("GET", "/api/channels/line", Some(&api.ops), None).await;
    assert_eq!((listed["monthly_quota"].clone(), listed["used_this_month"].clone()), (json!(2), json!(2)));

    // Next month the quota starts again; someone who unfollowed is not messaged.
    api.clock.advance(chrono::Duration::days(31));
    let unfollow = line_event("Ufriend", json!({"type": "unfollow", "webhookEventId": "01F2"}));
    from_channel(&api, "line", unfollow).await;
    let (status, tags) = nudge(&api, friend).await;
    assert_eq!((status.as_str(), tags.contains(&"unreachable".to_owned())), ("completed", true));
    let error: Option<String> = sqlx::query_scalar("SELECT error FROM messages ORDER BY id DESC LIMIT 1")
        .fetch_one(api.engine.pool())
        .await
        .expect("error");
    assert!(error.unwrap_or_default().contains("opted out"), "unfollowing opts out");
    from_channel(&api, "line", follow("Ufriend", "01F3")).await;
    nudge(&api, friend).await;
    assert_eq!(mock.calls().len(), 3, "following again: messages go out again, on the new month's quota");
}

#[tokio::test]
async fn stop_and_blocking_end_active_runs_and_nothing_more_is_sent() {
    let (api, mock) = connected(ROUTING).await;
    from_channel(&api, "whatsapp", wa_text("16505551234", "wamid.IN1", "hi")).await;
    let contact = contact_of(&api, "whatsapp", "16505551234").await;
    assert_eq!(runs(&api, contact).await[0].0, "waiting");
    from_channel(&api, "whatsapp", wa_text("16505551234", "wamid.IN2", "Stop")).await;
    assert_eq!(runs(&api, contact).await.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(), vec!["exited"]);
    assert_eq!(api.engine.contact(contact).await.expect("contact")["opted_out"], json!(true));
    assert_eq!(mock.calls().len(), 1, "STOP answers no question and starts no flow");
    from_channel(&api, "whatsapp", wa_text("16505551234", "wamid.IN3", "hello again")).await;
    assert_eq!(mock.calls().len(), 1, "an opted-out contact gets nothing");
    from_channel(&api, "whatsapp", wa_text("16505551234", "wamid.IN4", "START")).await;
    assert_eq!(api.engine.contact(contact).await.expect("contact")["opted_out"], json!(false));

    // Blocking the Telegram bot ends the run waiting there.
    from_channel(&api, "telegram", tg_text(2222222, 20000, 1, "hi")).await;
    let tg = contact_of(&api, "telegram", "2222222").await;
    assert_eq!(runs(&api, tg).await[0].0, "waiting");
    let blocked = json!({"update_id": 20001, "my_chat_member": {"chat": {"id": 2222222, "type": "private"},
        "from": {"id": 2222222, "is_bot": false, "first_name": "T"}, "date": 1700000000,
        "old_chat_member": {"user": {"id": 99, "is_bot": true, "first_name": "Bot"}, "status": "member"},
        "new_chat_member": {"user": {"id": 99, "is_bot": true, "first_name": "Bot"}, "status": "kicked", "until_date": 0}}});
    from_channel(&api, "telegram", blocked).await;
    assert_eq!(runs(&api, tg).await[0].0, "exited");
    assert_eq!(api.engine.contact(tg).await.expect("contact")["opted_out"], json!(true));
}

#[tokio::test]
async fn connections_never_show_their_secrets_and_only_admins_change_them() {
    let (api, _mock) = connected("").await;
    let (status, list) = api.call("GET", "/api/channels", Some(&api.ops), None).await;
    assert_eq!(status, StatusCode::OK);
    let text = list.to_string();
    for secret in [WA_SECRET, LINE_SECRET, TG_SECRET, "wa-token", "line-token", "tg-bot-token", "wa-verify"] {
        assert!(!text.contains(secret), "{secret} shown in {text}");
    }
    assert_eq!(list["connections"][2]["secrets_set"], json!(["access_token", "app_secret", "verify_token"]));
    assert_eq!(list["connections"][2]["webhook_path"], "/api/channels/whatsapp/webhook");
    let change = json!({"name": "Support line"});
    assert_eq!(
        api.call("PUT", "/api/channels/line", Some(&api.ops), Some(change.clone())).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, changed) = api.call("PUT", "/api/channels/line", Some(&api.admin), Some(change)).await;
    assert_eq!((status, changed["name"].clone()), (StatusCode::OK, json!("Support line")));
    assert_eq!(changed["secrets_set"], json!(["access_token", "channel_secret"]), "left-out secrets are kept");
    let (status, refused) = api
        .call(
            "PUT",
            "/api/channels/wa2",
            Some(&api.admin),
            Some(json!({"kind": "whatsapp", "secrets": {"app_secret": "x"}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused["message"].as_str().is_some_and(|m| m.contains("access_token")), "{refused}");
    assert_eq!(api.call("DELETE", "/api/channels/telegram", Some(&api.admin), None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(api.call("GET", "/api/channels/telegram", Some(&api.ops), None).await.0, StatusCode::NOT_FOUND);
}

/// Collects everything logged on this test's thread.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn secrets_never_reach_the_logs_and_refusals_do() {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber =
        tracing_subscriber::fmt().with_max_level(tracing::Level::TRACE).with_writer(move || writer.clone()).finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let (api, _mock) = connected(ROUTING).await;
    from_channel(&api, "whatsapp", wa_text("16505551234", "wamid.IN1", "hi")).await;
    from_channel(&api, "whatsapp", wa_button("16505551234", "wamid.IN2", "sales", "Sales")).await;
    from_channel(&api, "telegram", tg_text(1111111, 10000, 1365, "hi")).await;
    let body = wa_text("16505551234", "wamid.IN3", "forged");
    deliver(&api, "whatsapp", &body, Some(("x-hub-signature-256", "sha256=00".into()))).await;
    let odd = json!({"object": "page", "entry": []});
    deliver(&api, "whatsapp", &odd, Some(signed("whatsapp", odd.to_string().as_bytes()))).await;
    let text = String::from_utf8_lossy(&logs.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned();
    assert!(text.contains("channel connection saved") && text.contains("signature"), "the logs were captured");
    assert!(text.contains("channel delivery refused: unknown payload"), "an unknown payload is logged");
    for secret in [WA_SECRET, LINE_SECRET, TG_SECRET, "wa-token", "line-token", "tg-bot-token", "wa-verify"] {
        assert!(!text.contains(secret), "`{secret}` appears in the logs");
    }
}

#[tokio::test]
async fn one_phone_on_two_channels_is_one_contact_and_replies_go_to_the_last_channel() {
    let (api, mock) = connected(ROUTING).await;
    from_channel(&api, "whatsapp", wa_text("16505551234", "wamid.IN1", "hi")).await;
    let contact = contact_of(&api, "whatsapp", "16505551234").await;
    // The same person on Telegram shares their phone number: the same contact.
    let shared = json!({"update_id": 30000, "message": {"message_id": 7, "date": 1441645532,
        "from": {"id": 3333333, "is_bot": false, "first_name": "Sheena"},
        "chat": {"id": 3333333, "type": "private"},
        "contact": {"phone_number": "16505551234", "first_name": "Sheena", "user_id": 3333333}}});
    from_channel(&api, "telegram", shared).await;
    assert_eq!(contact_of(&api, "telegram", "3333333").await, contact);
    let view = api.engine.contact(contact).await.expect("contact");
    assert_eq!(view["channel"], "telegram", "{view}");
    assert!(
        view["channels"]["whatsapp"]["last_inbound_at"].as_str().is_some_and(|t| t.starts_with("20"))
            && view["channels"]["telegram"]["address"] == "3333333"
    );
    // The shared number is no answer to the question asked on WhatsApp: it is asked again,
    // on Telegram, where the contact wrote last.
    let (path, body, _) = mock.calls().last().cloned().expect("a call");
    assert!(path.starts_with("/bot") && body["chat_id"] == "3333333", "{path} {body}");
    from_channel(&api, "telegram", tg_text(3333333, 30001, 8, "sales")).await;
    let (path, body, _) = mock.calls().last().cloned().expect("a call");
    assert_eq!((path.as_str(), body["text"].clone()), ("/bot123:tg-bot-token/sendMessage", json!("Sales it is")));
}

#[tokio::test]
async fn a_question_that_cannot_be_sent_takes_its_failure_port() {
    let flow = r#"
schema: 1
id: late-question
name: Late question
trigger: { type: manual }
start: ask
steps:
  ask:
    kind: ask
    type: text
    text: Anything else?
    next: { answered: done, failure: unreachable }
  done: { kind: update_tags, add: [answered] }
  unreachable: { kind: update_tags, add: [unreachable] }
"#;
    let (api, mock) = connected(flow).await;
    from_channel(&api, "whatsapp", wa_text("16505551234", "wamid.IN1", "hi")).await;
    let contact = contact_of(&api, "whatsapp", "16505551234").await;
    api.clock.advance(chrono::Duration::hours(30));
    let started = api.engine.handle(manual_start("late-question", contact)).await.expect("start");
    let run = api.engine.run(started.started[0]).await.expect("run");
    assert_eq!(run.status, "completed", "the question did not wait for an answer that cannot come");
    let tags = api.engine.contact(contact).await.expect("contact")["tags"].clone();
    assert_eq!(tags, json!(["unreachable"]));
    assert!(mock.calls().is_empty());
}

#[tokio::test]
async fn agents_replies_go_out_on_the_channel_under_its_rules() {
    let (api, mock) = connected("").await;
    from_channel(&api, "whatsapp", wa_text("16505551234", "wamid.IN1", "hi")).await;
    let contact = contact_of(&api, "whatsapp", "16505551234").await;
    let (status, body) = api
        .call(
            "POST",
            &format!("/api/contacts/{contact}/messages"),
            Some(&api.agent),
            Some(json!({"text": "Hello Sheena"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    flush(&api.engine).await;
    let (_, sent, _) = mock.calls().last().cloned().expect("sent");
    assert_eq!((sent["to"].clone(), sent["text"]["body"].clone()), (json!("16505551234"), json!("Hello Sheena")));
    // A day later WhatsApp would refuse free text: the agent is told why, nothing is queued.
    api.clock.advance(chrono::Duration::hours(25));
    let (status, body) = api
        .call(
            "POST",
            &format!("/api/contacts/{contact}/messages"),
            Some(&api.agent),
            Some(json!({"text": "Still there?"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| m.contains("24-hour window")), "{body}");
    flush(&api.engine).await;
    assert_eq!(mock.calls().len(), 1);
}

#[tokio::test]
async fn only_typed_keywords_opt_out_and_following_again_does_not_undo_a_stop() {
    let (api, _mock) = connected(ROUTING).await;
    from_channel(&api, "whatsapp", wa_text("16505551234", "wamid.IN1", "hi")).await;
    let contact = contact_of(&api, "whatsapp", "16505551234").await;
    from_channel(&api, "whatsapp", wa_button("16505551234", "wamid.IN2", "stop", "Stop")).await;
    assert_eq!(api.engine.contact(contact).await.expect("contact")["opted_out"], json!(false), "a button is an answer");

    let follow = |id: &str| {
        line_event(
            "Uline",
            json!({"type": "follow", "webhookEventId": id, "replyToken": "r", "follow": {"isUnblocked": true}}),
        )
    };
    from_channel(&api, "line", follow("01A")).await;
    let friend = contact_of(&api, "line", "Uline").await;
    from_channel(&api, "line", line_text("Uline", "9001", "STOP")).await;
    from_channel(&api, "line", line_event("Uline", json!({"type": "unfollow", "webhookEventId": "01B"}))).await;
    from_channel(&api, "line", follow("01C")).await;
    assert_eq!(api.engine.contact(friend).await.expect("contact")["opted_out"], json!(true), "the STOP stands");

    // Group chats are not contacts.
    let group = json!({"update_id": 40000, "message": {"message_id": 1, "date": 1441645532,
        "from": {"id": 5, "is_bot": false, "first_name": "G"}, "chat": {"id": -100123, "type": "group", "title": "Team"}, "text": "hi"}});
    assert_eq!(from_channel(&api, "telegram", group).await["events"], json!(0));
}

#[tokio::test]
async fn a_status_that_beats_the_send_answer_is_applied_when_the_id_is_recorded() {
    let (api, _mock) = connected(ROUTING).await;
    // The contact writes; the question is queued but not yet sent.
    let hi = wa_text("16505551234", "wamid.IN1", "hi");
    let (status, _) = deliver(&api, "whatsapp", &hi, Some(signed("whatsapp", hi.to_string().as_bytes()))).await;
    assert_eq!(status, StatusCode::OK);
    while api.engine.process_queue(100).await.expect("queue") > 0 {}
    // WhatsApp reports it read before Switchboard has recorded its answer to the send.
    let read = wa_status("wamid.OUT1", "read");
    deliver(&api, "whatsapp", &read, Some(signed("whatsapp", read.to_string().as_bytes()))).await;
    while api.engine.process_queue(100).await.expect("queue") > 0 {}
    flush(&api.engine).await;
    let status: String = sqlx::query_scalar("SELECT status FROM messages WHERE external_id = 'wamid.OUT1'")
        .fetch_one(api.engine.pool())
        .await
        .expect("status");
    assert_eq!(status, "read");
    assert_eq!(count(&api, "channel_statuses").await, 0, "nothing left waiting");
}

#[tokio::test]
async fn a_retried_message_does_not_send_its_attachments_again() {
    let flow = r#"
schema: 1
id: receipt
name: Receipt
trigger: { type: manual }
start: send
steps:
  send:
    kind: send_message
    text: Here is your receipt
    attachments: [{ type: file, url: 'https://cdn.example/r.pdf', name: r.pdf }]
"#;
    let (api, mock) = connected(flow).await;
    from_channel(&api, "whatsapp", wa_text("16505551234", "wamid.IN1", "hi")).await;
    let contact = contact_of(&api, "whatsapp", "16505551234").await;
    *mock.fail_once.lock().unwrap_or_else(|e| e.into_inner()) = Some(("text", 503));
    api.engine.handle(manual_start("receipt", contact)).await.expect("start");
    flush(&api.engine).await;
    api.clock.advance(chrono::Duration::seconds(5));
    flush(&api.engine).await;
    let types: Vec<Value> = mock.bodies().iter().map(|b| b["type"].clone()).collect();
    assert_eq!(types, [json!("document"), json!("text")], "the file once, then the text (after one 503)");
    let attempts: i64 =
        sqlx::query_scalar("SELECT attempts FROM outbox").fetch_one(api.engine.pool()).await.expect("attempts");
    assert_eq!(attempts, 2, "the message was tried twice");
    let status: String = sqlx::query_scalar("SELECT status FROM messages WHERE direction = 'out'")
        .fetch_one(api.engine.pool())
        .await
        .expect("status");
    assert_eq!(status, "sent");
}

#[tokio::test]
async fn a_message_the_channel_refuses_gives_its_quota_back() {
    let (api, mock) = connected(&NUDGE.replace("TEMPLATE", "channel: line")).await;
    let follow = line_event("Ufriend", json!({"type": "follow", "webhookEventId": "01F1", "replyToken": "r"}));
    from_channel(&api, "line", follow).await;
    let friend = contact_of(&api, "line", "Ufriend").await;
    *mock.fail_once.lock().unwrap_or_else(|e| e.into_inner()) = Some(("/v2/bot/message/push", 400));
    let (_, tags) = nudge(&api, friend).await;
    assert_eq!(tags, vec!["unreachable"], "LINE refused it");
    assert_eq!(api.engine.channel_usage("line").await.expect("usage"), 0, "a refused message costs no quota");
    let (_, tags) = nudge(&api, friend).await;
    assert!(tags.contains(&"reminded".to_owned()));
    assert_eq!(api.engine.channel_usage("line").await.expect("usage"), 1);
    assert_eq!(mock.calls().len(), 1);
}

/// A Telegram message carrying a contact card: the sender's own (`own`) or someone else's.
fn tg_shared_phone(user: i64, update: i64, phone: &str, own: bool) -> Value {
    let mut card = json!({"phone_number": phone, "first_name": "Sheena"});
    if own {
        card["user_id"] = json!(user);
    }
    json!({"update_id": update, "message": {"message_id": update, "date": 1441645532,
        "from": {"id": user, "is_bot": false, "first_name": "Sheena"},
        "chat": {"id": user, "type": "private"}, "contact": card}})
}

#[tokio::test]
async fn a_verified_phone_joins_a_new_address_visibly_and_a_typed_one_never_does() {
    let (api, _mock) = connected("").await;
    from_channel(&api, "whatsapp", wa_text("16505551234", "wamid.IN1", "hi")).await;
    let contact = contact_of(&api, "whatsapp", "16505551234").await;
    let view = api.engine.contact(contact).await.expect("contact");
    assert_eq!(view["verified"][0]["kind"], "phone", "{view}");
    assert_eq!(
        (view["verified"][0]["value"].clone(), view["verified"][0]["channel"].clone()),
        (json!("+16505551234"), json!("whatsapp"))
    );

    // Someone else's card (no `user_id` of the sender) is only typed in: a contact of its own.
    from_channel(&api, "telegram", tg_shared_phone(4444444, 31000, "+1 650 555 1234", false)).await;
    assert_ne!(contact_of(&api, "telegram", "4444444").await, contact);
    // The sender's own number, which Telegram vouches for, joins the WhatsApp contact.
    from_channel(&api, "telegram", tg_shared_phone(3333333, 31001, "16505551234", true)).await;
    assert_eq!(contact_of(&api, "telegram", "3333333").await, contact);

    // The join is visible on the contact and in its history.
    let view = api.engine.contact(contact).await.expect("contact");
    assert_eq!(
        view["channels"]["telegram"]["joined"]["by"],
        json!({"kind": "phone", "value": "+16505551234"}),
        "{view}"
    );
    assert!(view["channels"]["whatsapp"]["joined"].is_null(), "the first address joined nothing: {view}");
    let (_, history) = api.call("GET", &format!("/api/contacts/{contact}/messages"), Some(&api.admin), None).await;
    let line = history
        .as_array()
        .expect("messages")
        .iter()
        .find(|m| m["direction"] == "system" && m["text"].as_str().is_some_and(|t| t.contains("joined this contact")))
        .cloned()
        .unwrap_or_else(|| panic!("a system line tells of the join: {history}"));
    assert_eq!(
        line["text"],
        "Address 3333333 on telegram joined this contact: its verified phone +16505551234 matched."
    );
}

/// The spy of issue 15 gets ahead: it gives its own contact the victim's phone (profile and
/// field) before the victim ever writes on WhatsApp. The victim must not land in it.
#[tokio::test]
async fn a_phone_written_through_the_api_first_does_not_catch_the_whatsapp_contact() {
    let (api, _mock) = connected("").await;
    let spy = json!({"source": "crm", "type": "message_received",
        "contact": {"address": {"channel": "simulator", "address": "spy"}}, "channel": "simulator",
        "message": {"text": "hi"}, "profile": {"phone": "+16505551234"}});
    assert_eq!(api.call("POST", "/api/events", Some(&api.integration), Some(spy)).await.0, StatusCode::ACCEPTED);
    while api.engine.process_queue(100).await.expect("queue") > 0 {}
    let spy = contact_of(&api, "simulator", "spy").await;
    let set = json!({"source": "crm", "type": "field_updated", "contact": {"id": spy}, "field": "phone", "value": "+16505551234"});
    assert_eq!(api.call("POST", "/api/events", Some(&api.integration), Some(set)).await.0, StatusCode::ACCEPTED);
    while api.engine.process_queue(100).await.expect("queue") > 0 {}

    from_channel(&api, "whatsapp", wa_text("16505551234", "wamid.IN9", "my account number is 8812")).await;
    let victim = contact_of(&api, "whatsapp", "16505551234").await;
    assert_ne!(victim, spy, "the WhatsApp sender is a contact of their own");
    let (_, seen) = api.call("GET", "/api/simulator/contacts/spy", Some(&api.integration), None).await;
    assert!(!seen["messages"].to_string().contains("8812"), "{seen}");
    // The number is verified for the WhatsApp contact, not for the spy's.
    let view = api.engine.contact(victim).await.expect("victim");
    assert_eq!(view["verified"][0]["value"], "+16505551234", "{view}");
    assert_eq!(api.engine.contact(spy).await.expect("spy")["verified"], json!([]));
    // A Telegram account sharing that number later joins the WhatsApp contact, never the spy.
    from_channel(&api, "telegram", tg_shared_phone(3333333, 32000, "+16505551234", true)).await;
    assert_eq!(contact_of(&api, "telegram", "3333333").await, victim);
}

/// Issue 16, item 8: Telegram and WhatsApp Cloud ignore idempotency keys, and a send that
/// timed out was sent again, so a slow but successful send reached the contact twice. Now the
/// delivery is recorded as `unknown` (the outbox, the message, a metric), the run goes on as
/// if it was sent, nothing is sent again by itself, and an operator may resend it.
#[tokio::test]
async fn a_send_that_times_out_on_a_channel_without_keys_is_unknown_and_not_sent_twice() {
    let options = switchboard::runtime::Options {
        channel_timeout: std::time::Duration::from_millis(300),
        ..switchboard::runtime::Options::default()
    };
    let (api, mock) = connected_with(ROUTING, options).await;
    *mock.stall.lock().unwrap_or_else(|e| e.into_inner()) = Some("/bot123:tg-bot-token/sendMessage");
    from_channel(&api, "telegram", tg_text(1111111, 10000, 1365, "/start")).await;
    let contact = contact_of(&api, "telegram", "1111111").await;
    let sends = || mock.calls().into_iter().filter(|c| c.0.ends_with("/sendMessage")).count();
    assert_eq!(sends(), 1);
    let (status, error): (String, Option<String>) =
        sqlx::query_as("SELECT status, last_error FROM outbox").fetch_one(api.engine.pool()).await.expect("row");
    assert_eq!(status, "unknown");
    assert!(error.as_deref().unwrap_or_default().contains("timed out"), "{error:?}");
    let transcript = api.engine.transcript(contact).await.expect("transcript");
    let question = transcript.iter().find(|m| m["direction"] == "out").expect("the question");
    assert_eq!(question["status"], "unknown", "{question}");
    assert!(api.engine.metrics().await.expect("metrics").contains(r#"kind="message",result="unknown""#));
    // The run goes on as if it was sent: the question waits for its answer.
    assert_eq!(runs(&api, contact).await[0].0, "waiting");

    // Nothing is sent again by itself, however long we wait.
    api.clock.advance(chrono::Duration::minutes(30));
    flush(&api.engine).await;
    assert_eq!(sends(), 1, "a send of unknown outcome is not repeated");

    // An operator may send it again, explicitly, under its key.
    *mock.stall.lock().unwrap_or_else(|e| e.into_inner()) = None;
    let id = question["id"].as_i64().expect("message id");
    let resend = format!("/api/messages/{id}/resend");
    let (status, answer) = api.call("POST", &resend, Some(&api.agent), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "ops decide: {answer}");
    let (status, answer) = api.call("POST", &resend, Some(&api.ops), None).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    flush(&api.engine).await;
    assert_eq!(sends(), 2);
    let status: String =
        sqlx::query_scalar("SELECT status FROM outbox").fetch_one(api.engine.pool()).await.expect("row");
    assert_eq!(status, "done");
    let (status, answer) = api.call("POST", &resend, Some(&api.ops), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "only a message of unknown delivery is resent: {answer}");
}
