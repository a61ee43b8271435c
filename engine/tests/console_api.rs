//! What the agent console and its contact page ask of the API: who the caller is, the
//! simulator contact's side of a conversation, live updates narrowed for integrations and
//! agents (and ended when their token is revoked), transcripts narrowed to the conversations
//! an agent may see, and what a reply to a closed conversation does under each setting.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::api::{api, Api};
use common::*;
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::time::Duration;
use switchboard::runtime::{ContactRef, Event, EventKind};
use tower::ServiceExt;

/// How long a test waits for a live stream to say something or to end.
const LIVE_WAIT: Duration = Duration::from_secs(10);

/// Opens `/api/live` with `token`; its body as a stream of chunks.
async fn open_live(api: &Api, token: &str) -> axum::body::BodyDataStream {
    let req = Request::get("/api/live")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request");
    let res = api.app.clone().oneshot(req).await.expect("response");
    assert_eq!(res.status(), StatusCode::OK);
    res.into_body().into_data_stream()
}

/// The `data:` lines of server-sent events, as JSON.
fn live_data(text: &str) -> Vec<Value> {
    text.lines().filter_map(|l| l.strip_prefix("data:")).filter_map(|d| serde_json::from_str(d.trim()).ok()).collect()
}

/// Whether a live stream ends (its body finishes) within [`LIVE_WAIT`].
async fn ends(live: &mut axum::body::BodyDataStream) -> bool {
    tokio::time::timeout(LIVE_WAIT, async {
        while let Some(chunk) = live.next().await {
            if chunk.is_err() {
                break;
            }
        }
    })
    .await
    .is_ok()
}

/// Reads a live stream until an event about `contact` arrives (or the stream ends).
async fn read_until(live: &mut axum::body::BodyDataStream, contact: i64) -> String {
    let mut text = String::new();
    while !live_data(&text).iter().any(|d| d["contact_id"] == contact) {
        match live.next().await {
            Some(Ok(chunk)) => text.push_str(&String::from_utf8_lossy(&chunk)),
            _ => break,
        }
    }
    text
}

async fn agent_replies(api: &Api, contact: i64, agent: &str, text: &str) {
    let reply = EventKind::AgentReplied { contact: ContactRef::Id(contact), agent_id: agent.into(), text: text.into() };
    api.engine.handle(Event::new(reply)).await.expect("the agent replies");
}

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

/// Issue 15: a support agent who may see a contact's latest conversation read the whole
/// transcript, including a closed sales conversation with its internal note.
#[tokio::test]
async fn an_agent_reads_only_the_conversations_of_a_contact_they_may_see() {
    let api = api().await;
    api.engine.upsert_agent(&agent("carol", &["sales"], true)).await.expect("carol");
    let ana = api.engine.handle(says("ana", "I want to buy the big plan")).await.expect("ana").contact_id.expect("id");
    let (status, _) = api
        .call("POST", &format!("/api/contacts/{ana}/assign"), Some(&api.ops), Some(json!({"agent_id": "carol"})))
        .await;
    assert_eq!(status, StatusCode::OK);
    sqlx::query("UPDATE conversations SET team = 'sales' WHERE contact_id = $1")
        .bind(ana)
        .execute(api.engine.pool())
        .await
        .expect("the sales queue");
    agent_replies(&api, ana, "carol", "Your quote: 990 EUR a year").await;
    sqlx::query(
        "INSERT INTO messages (contact_id, conversation_id, direction, sender, text, body, status, created_at)
         SELECT contact_id, id, 'note', 'agent:carol', 'Internal: approved a 40% discount', '{}', 'note', 0
         FROM conversations WHERE contact_id = $1",
    )
    .bind(ana)
    .execute(api.engine.pool())
    .await
    .expect("an internal note");
    let close = json!({"agent_id": "carol", "category": "won"});
    assert_eq!(
        api.call("POST", &format!("/api/contacts/{ana}/close"), Some(&api.admin), Some(close)).await.0,
        StatusCode::OK
    );
    // A new, unassigned conversation: bob (support) may see and work it.
    api.engine.handle(says("ana", "My order has not arrived")).await.expect("ana again");

    let (status, seen) = api.call("GET", &format!("/api/contacts/{ana}/messages"), Some(&api.agent), None).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    let text = seen.to_string();
    assert!(text.contains("has not arrived"), "bob reads the conversation he may see: {text}");
    for secret in ["big plan", "990 EUR", "40% discount"] {
        assert!(!text.contains(secret), "`{secret}` is from the sales conversation: {text}");
    }
    let (_, all) = api.call("GET", &format!("/api/contacts/{ana}/messages"), Some(&api.admin), None).await;
    assert!(all.to_string().contains("40% discount") && all.to_string().contains("has not arrived"), "{all}");
}

#[tokio::test]
async fn a_live_stream_tells_an_agent_only_of_contacts_they_may_see() {
    let api = api().await;
    api.engine.upsert_agent(&agent("carol", &["sales"], true)).await.expect("carol");
    let ben = api.engine.handle(says("ben", "hello")).await.expect("ben").contact_id.expect("id");
    let (status, _) = api
        .call("POST", &format!("/api/contacts/{ben}/assign"), Some(&api.ops), Some(json!({"agent_id": "carol"})))
        .await;
    assert_eq!(status, StatusCode::OK);

    let mut live = open_live(&api, &api.agent).await;
    let mut all = open_live(&api, &api.ops).await;
    // Carol's conversation changes first, then one bob may see.
    agent_replies(&api, ben, "carol", "Your quote is attached").await;
    let dee = api.engine.handle(says("dee", "yo")).await.expect("dee").contact_id.expect("id");

    let seen = tokio::time::timeout(LIVE_WAIT, read_until(&mut live, dee)).await.expect("bob hears of dee");
    let contacts: Vec<Value> = live_data(&seen).iter().map(|d| d["contact_id"].clone()).collect();
    assert!(contacts.iter().all(|c| *c == json!(dee)), "bob hears only of dee, not of carol's ben: {seen}");
    let everything = tokio::time::timeout(LIVE_WAIT, read_until(&mut all, dee)).await.expect("ops hears of dee");
    assert!(live_data(&everything).iter().any(|d| d["contact_id"] == ben), "ops sees all: {everything}");
}

#[tokio::test]
async fn a_live_stream_ends_when_its_token_is_revoked() {
    let api = api().await;
    let laptop = json!({"name": "bob's laptop", "role": "agent", "agent_id": "bob"});
    let (status, made) = api.call("POST", "/api/tokens", Some(&api.admin), Some(laptop.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let (id, token) = (made["id"].as_i64().expect("id"), made["token"].as_str().expect("token").to_owned());
    let mut live = open_live(&api, &token).await;
    assert_eq!(api.call("DELETE", &format!("/api/tokens/{id}"), Some(&api.admin), None).await.0, StatusCode::OK);
    assert!(ends(&mut live).await, "the stream ends once its token is revoked");
    assert_eq!(api.call("GET", "/api/live", Some(&token), None).await.0, StatusCode::UNAUTHORIZED);

    // Revoked by another process on the same database: the periodic check ends it.
    let (_, made) = api.call("POST", "/api/tokens", Some(&api.admin), Some(laptop)).await;
    let (id, token) = (made["id"].as_i64().expect("id"), made["token"].as_str().expect("token").to_owned());
    let mut live = open_live(&api, &token).await;
    sqlx::query("UPDATE api_tokens SET revoked_at = 1 WHERE id = $1")
        .bind(id)
        .execute(api.engine.pool())
        .await
        .expect("revoked elsewhere");
    assert!(ends(&mut live).await, "the stream ends at its next token check");
    // A stream whose token stays valid goes on.
    let mut kept = open_live(&api, &api.agent).await;
    assert!(tokio::time::timeout(Duration::from_secs(3), kept.next()).await.is_err(), "still open, nothing to say");
}

/// The open conversations `token`'s holder sees in the inbox, as (contact id, team, priority, assignee).
async fn inbox(api: &Api, token: &str) -> Vec<(i64, Value, Value, Value)> {
    let (status, list) = api.call("GET", "/api/conversations", Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array()
        .expect("a list")
        .iter()
        .map(|c| {
            (c["contact_id"].as_i64().unwrap_or(0), c["team"].clone(), c["priority"].clone(), c["assignee_id"].clone())
        })
        .collect()
}

/// The contact's latest conversation as (status, closed_by).
async fn latest_conversation(api: &Api, contact: i64) -> (String, Option<String>) {
    sqlx::query_as("SELECT status, closed_by FROM conversations WHERE contact_id = $1 ORDER BY id DESC LIMIT 1")
        .bind(contact)
        .fetch_one(api.engine.pool())
        .await
        .expect("conversation")
}

#[tokio::test]
async fn a_csat_survey_talks_in_a_conversation_of_its_own_that_closes_when_it_ends() {
    let api = api().await;
    api.engine.publish(&reference("csat")).await.expect("csat");
    let ana = api.engine.handle(says("ana", "My order is late")).await.expect("hello").contact_id.expect("contact");
    assert_eq!(inbox(&api, &api.agent).await.len(), 1, "the contact's conversation is in the inbox");
    let closed = api.engine.handle(closes("ana", "agent:bob", "resolved")).await.expect("close");
    assert_eq!(closed.started.len(), 1, "CSAT starts on close");
    flush(&api.engine).await;
    assert_eq!(sent(&api.engine, ana).await.len(), 1, "the question went out");
    // The question opened a conversation the survey owns: nobody's work, so in nobody's inbox.
    assert_eq!(inbox(&api, &api.agent).await, vec![]);
    assert_eq!(inbox(&api, &api.admin).await, vec![]);

    api.engine.handle(presses("ana", "4", "★★★★")).await.expect("rating");
    flush(&api.engine).await;
    assert_eq!(sent(&api.engine, ana).await.last().map(String::as_str), Some("Thank you for your feedback!"));
    assert_eq!(api.engine.run(closed.started[0]).await.expect("run").status, "completed");
    // After the thank-you the survey's conversation closed itself, and started no second survey.
    assert_eq!(latest_conversation(&api, ana).await, ("closed".into(), Some("workflow".into())));
    assert_eq!(inbox(&api, &api.agent).await, vec![]);
    assert_eq!(api.engine.runs_of_contact(ana).await.expect("runs").len(), 1, "no second CSAT");

    // The contact writing again opens an ordinary conversation, back in the inbox.
    api.engine.handle(says("ana", "One more thing")).await.expect("again");
    assert_eq!(inbox(&api, &api.agent).await.len(), 1);
    assert_eq!(latest_conversation(&api, ana).await.0, "open");
}

#[tokio::test]
async fn a_low_csat_score_hands_the_survey_conversation_to_the_supervisors() {
    let api = api().await;
    api.engine.publish(&reference("csat")).await.expect("csat");
    // The only supervisor is offline: the escalation waits in the supervisors' queue.
    api.engine.upsert_agent(&agent("sue", &["supervisors"], false)).await.expect("sue");
    let sue = api.agent_token("sue").await;
    let ana = api.engine.handle(says("ana", "My order is late")).await.expect("hello").contact_id.expect("contact");
    let run = api.engine.handle(closes("ana", "agent:bob", "resolved")).await.expect("close").started[0];
    api.engine.handle(presses("ana", "1", "★")).await.expect("rating");
    flush(&api.engine).await;

    let info = api.engine.run(run).await.expect("run");
    assert_eq!((info.status.as_str(), info.step.as_deref()), ("waiting", Some("escalate")), "{info:?}");
    let (status, closed_by) = latest_conversation(&api, ana).await;
    assert_eq!((status.as_str(), closed_by), ("open", None), "an escalated conversation stays open");
    // Back in the inbox, unassigned (not yet routed to a team, so every agent sees it).
    let queued = vec![(ana, Value::Null, json!("high"), Value::Null)];
    assert_eq!(inbox(&api, &sue).await, queued, "in the supervisor's inbox");

    // Sue comes online and gets it; the run ends and the conversation stays open with her.
    api.engine.upsert_agent(&agent("sue", &["supervisors"], true)).await.expect("sue online");
    flush(&api.engine).await;
    assert_eq!(api.engine.run(run).await.expect("run").status, "completed");
    assert_eq!(latest_conversation(&api, ana).await.0, "open");
    assert_eq!(inbox(&api, &sue).await, vec![(ana, json!("supervisors"), json!("high"), json!("sue"))]);
    assert_eq!(api.engine.runs_of_contact(ana).await.expect("runs").len(), 1, "no second CSAT");
}

#[tokio::test]
async fn queued_contacts_are_listed_with_their_wait_for_whoever_could_take_them() {
    let api = api().await;
    api.engine.publish(&reference("faq-menu")).await.expect("faq-menu");
    api.engine.publish(&reference("csat")).await.expect("csat");
    // A freshly set-up team: new agents start offline and assignment wants online agents.
    api.engine.set_agent_online("bob", false).await.expect("bob away");
    api.engine.upsert_agent(&agent("sue", &["supervisors"], false)).await.expect("sue");
    let sue = api.agent_token("sue").await;
    let (status, empty) = api.call("GET", "/api/queue", Some(&api.ops), None).await;
    assert_eq!((status, empty), (StatusCode::OK, json!([])));

    // Ana asks for a person (anyone in the workspace); ten minutes later Carl's low CSAT
    // score is escalated to the supervisors.
    let ana = api.engine.handle(says("ana", "menu")).await.expect("menu").contact_id.expect("ana");
    api.engine.handle(presses("ana", "human", "Talk to a person")).await.expect("human");
    api.clock.advance(chrono::Duration::minutes(10));
    let carl = api.engine.handle(says("carl", "hello")).await.expect("hello").contact_id.expect("carl");
    api.engine.handle(closes("carl", "agent:bob", "resolved")).await.expect("close");
    api.engine.handle(presses("carl", "1", "★")).await.expect("rating");
    api.clock.advance(chrono::Duration::minutes(5));

    let (status, queue) = api.call("GET", "/api/queue", Some(&api.ops), None).await;
    assert_eq!(status, StatusCode::OK, "{queue}");
    let rows: Vec<(Value, Value, Value, Value, Value)> = queue
        .as_array()
        .expect("a list")
        .iter()
        .map(|q| {
            (
                q["contact_id"].clone(),
                q["step"].clone(),
                q["team"].clone(),
                q["waited_seconds"].clone(),
                q["online_only"].clone(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (json!(ana), json!("assign_agent"), Value::Null, json!(900), json!(true)),
            (json!(carl), json!("escalate"), json!("supervisors"), json!(300), json!(true)),
        ],
        "longest waiting first: {queue}"
    );
    assert_eq!(queue[0]["contact_name"], "ana Example");
    assert_eq!(queue[0]["waiting_since"], "2026-11-23T10:00:00+00:00");

    // Agents see what they could take: Bob (support) not the supervisors' request.
    let (_, bobs) = api.call("GET", "/api/queue", Some(&api.agent), None).await;
    let contacts =
        |q: &Value| q.as_array().expect("a list").iter().map(|r| r["contact_id"].clone()).collect::<Vec<_>>();
    assert_eq!(contacts(&bobs), vec![json!(ana)]);
    let (_, sues) = api.call("GET", "/api/queue", Some(&sue), None).await;
    assert_eq!(contacts(&sues), vec![json!(ana), json!(carl)]);
    let (status, _) = api.call("GET", "/api/queue", Some(&api.integration), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = api.call("GET", "/api/queue", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Sue comes online: she can take both, the queue empties, and consoles hear of it live.
    let mut live = open_live(&api, &api.ops).await;
    api.engine.set_agent_online("sue", true).await.expect("sue online");
    let (_, queue) = api.call("GET", "/api/queue", Some(&api.ops), None).await;
    assert_eq!(queue, json!([]));
    tokio::time::timeout(LIVE_WAIT, read_until(&mut live, carl)).await.expect("the assignment is announced");
}

#[tokio::test]
async fn a_contact_writing_to_a_bot_that_asked_nothing_reaches_the_inbox() {
    let api = api().await;
    let promo = "schema: 1\nid: promo\nname: Promo\ntrigger: { type: manual }\nstart: announce\nsteps:\n  announce:\n    kind: send_message\n    text: Our sale starts tomorrow\n    next: { next: later }\n  later:\n    kind: wait\n    for: 1d\n    next: { done: remind }\n  remind:\n    kind: send_message\n    text: The sale is on!\n";
    api.engine.publish(promo).await.expect("promo");
    let ana = api.engine.handle(says("ana", "hello")).await.expect("hello").contact_id.expect("ana");
    api.engine.handle(closes("ana", "agent:bob", "resolved")).await.expect("close");
    api.engine.handle(manual_start("promo", ana)).await.expect("start");
    assert_eq!(inbox(&api, &api.agent).await, vec![], "the announcement is the bot's business");

    // Ana answers the announcement, which asked nothing: a person has to see it.
    api.engine.handle(says("ana", "Can I still return my order?")).await.expect("writes");
    assert_eq!(inbox(&api, &api.agent).await.len(), 1);
    api.clock.advance(chrono::Duration::days(1));
    api.engine.fire_due_timers(10).await.expect("timers");
    flush(&api.engine).await;
    assert_eq!(sent(&api.engine, ana).await.last().map(String::as_str), Some("The sale is on!"));
    // The run ended, but the conversation is people's now: it stays open in the inbox.
    assert_eq!(latest_conversation(&api, ana).await, ("open".into(), None));
    assert_eq!(inbox(&api, &api.agent).await.len(), 1);
}
