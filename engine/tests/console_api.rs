//! What the agent console and its contact page ask of the API: who the caller is, the
//! simulator contact's side of a conversation, live updates narrowed for integrations, and
//! what a reply to a closed conversation does under each setting.

mod common;

use axum::http::StatusCode;
use common::api::api;
use common::*;
use serde_json::json;

#[tokio::test]
async fn the_console_learns_who_signed_in() {
    let api = api().await;
    let (status, me) = api.call("GET", "/api/me", Some(&api.agent), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((me["role"].clone(), me["agent_id"].clone()), (json!("agent"), json!("bob")));
    assert_eq!(me["agent"]["teams"], json!(["support"]));
    let (_, me) = api.call("GET", "/api/me", Some(&api.ops), None).await;
    assert_eq!((me["role"].clone(), me["agent"].clone()), (json!("ops"), json!(null)));
    let (status, _) = api.call("GET", "/api/me", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_simulator_contact_writes_and_sees_the_flow_but_never_internal_notes() {
    let api = api().await;
    api.engine.publish(&reference("faq-menu")).await.expect("faq-menu");
    let say = json!({"address": "web-ana", "name": "Ana Lima", "text": "menu"});
    let (status, said) = api.call("POST", "/api/simulator/messages", Some(&api.integration), Some(say)).await;
    assert_eq!(status, StatusCode::CREATED, "{said}");
    let contact = said["contact_id"].as_i64().expect("contact id");
    flush(&api.engine).await;
    // An agent's internal note on the conversation is not for the contact's eyes.
    api.engine
        .handle(switchboard::runtime::Event::new(switchboard::runtime::EventKind::AgentReplied {
            contact: switchboard::runtime::ContactRef::Id(contact),
            agent_id: "bob".into(),
            text: "Hello Ana, Bob here.".into(),
        }))
        .await
        .expect("bob replies");
    let (status, seen) = api.call("GET", "/api/simulator/contacts/web-ana", Some(&api.integration), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(seen["contact_id"], contact);
    let directions: Vec<&str> =
        seen["messages"].as_array().expect("messages").iter().filter_map(|m| m["direction"].as_str()).collect();
    assert_eq!(directions.first(), Some(&"in"));
    assert!(directions.iter().all(|d| *d == "in" || *d == "out"), "{directions:?}");
    assert!(seen["messages"].to_string().contains("Bob here"), "the agent's reply reaches the contact");
    let (_, contact_row) = api.call("GET", &format!("/api/contacts/{contact}"), Some(&api.admin), None).await;
    assert_eq!(contact_row["name"], "Ana Lima");

    // Bad input: wrong role, unknown address, empty message, a too long address.
    let (status, _) = api.call("GET", "/api/simulator/contacts/web-ana", Some(&api.agent), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = api.call("GET", "/api/simulator/contacts/nobody", Some(&api.integration), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) =
        api.call("POST", "/api/simulator/messages", Some(&api.integration), Some(json!({"address": "x"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let long = json!({"address": "a".repeat(200), "text": "hi"});
    let (status, _) = api.call("POST", "/api/simulator/messages", Some(&api.integration), Some(long)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Live updates: an integration follows one contact, never everything.
    let (status, _) = api.call("GET", "/api/live", Some(&api.integration), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_reply_to_a_closed_conversation_reopens_it_by_default() {
    let api = api().await;
    api.engine.handle(says("ana", "hello")).await.expect("opens");
    api.engine.handle(closes("ana", "agent:bob", "resolved")).await.expect("closes");
    let (status, body) =
        api.call("POST", "/api/contacts/1/messages", Some(&api.agent), Some(json!({"text": "One more thing"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, conversations) = api.call("GET", "/api/conversations?assignee=unassigned", Some(&api.admin), None).await;
    assert_eq!(conversations.as_array().map(Vec::len), Some(1), "a new open conversation: {conversations}");
}

#[tokio::test]
async fn a_reply_to_a_closed_conversation_is_refused_when_the_settings_say_so() {
    use switchboard::runtime::{Options, ReplyToClosed};
    let options = Options { reply_to_closed: ReplyToClosed::Refuse, ..Options::default() };
    let (engine, _clock) = engine_with("2026-11-23T10:00:00Z", options).await;
    engine.upsert_agent(&agent("bob", &["support"], true)).await.expect("bob");
    engine.handle(says("ana", "hello")).await.expect("opens");
    engine.handle(closes("ana", "agent:bob", "resolved")).await.expect("closes");
    let reply = switchboard::runtime::EventKind::AgentReplied {
        contact: switchboard::runtime::ContactRef::Id(1),
        agent_id: "bob".into(),
        text: "One more thing".into(),
    };
    let err = engine.handle(switchboard::runtime::Event::new(reply)).await.expect_err("refused");
    assert!(err.to_string().contains("closed; open it before replying"), "{err}");
    assert_eq!(sent(&engine, 1).await, Vec::<String>::new(), "nothing was sent");
    assert_eq!("refuse".parse::<ReplyToClosed>(), Ok(ReplyToClosed::Refuse));
    assert!("sometimes".parse::<ReplyToClosed>().is_err());
}
