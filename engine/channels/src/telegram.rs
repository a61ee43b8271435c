//! Telegram Bot API: the `X-Telegram-Bot-Api-Secret-Token` header (the secret given to
//! `setWebhook`) on webhooks; messages, callback queries (inline keyboard presses) and
//! `my_chat_member` (the bot blocked or unblocked); sends with `sendMessage` and an inline
//! keyboard, `sendPhoto`, `sendDocument`, ...

use super::{
    clip, fit_options, header, same, ApiCall, ChannelAdapter, Connection, Inbound, InboundError, Refusal, Rendered,
};
use http::HeaderMap;
use serde_json::{json, Map, Value};
use steps::identifier::Identifier;
use steps::message::{Attachment, AttachmentKind, InboundMessage, Location, OutboundMessage};

/// Bytes of `callback_data` Telegram carries; longer payloads are sent as the option number.
const CALLBACK_DATA: usize = 64;
const TEXT: usize = 4096;
const MAX_BUTTONS: usize = 100;

#[derive(Debug)]
pub struct Telegram;

impl ChannelAdapter for Telegram {
    fn verify(&self, conn: &Connection, headers: &HeaderMap, _body: &[u8]) -> Result<(), InboundError> {
        let given = header(headers, "x-telegram-bot-api-secret-token")
            .ok_or_else(|| InboundError::Unauthorized("missing X-Telegram-Bot-Api-Secret-Token".into()))?;
        let expected = conn.secret("secret_token").unwrap_or_default();
        if !expected.is_empty() && same(given.as_bytes(), expected.as_bytes()) {
            Ok(())
        } else {
            Err(InboundError::Unauthorized("X-Telegram-Bot-Api-Secret-Token does not match".into()))
        }
    }

    fn parse(&self, _conn: &Connection, body: &[u8]) -> Result<Vec<Inbound>, InboundError> {
        let bad = |m: &str| InboundError::Malformed(format!("not a Telegram update: {m}"));
        let update: Value = serde_json::from_slice(body).map_err(|e| bad(&e.to_string()))?;
        let update_id = update.get("update_id").and_then(Value::as_i64).ok_or_else(|| bad("no `update_id`"))?;
        let chat_of = |v: &Value| v.pointer("/chat/id").and_then(Value::as_i64).map(|c| c.to_string());
        // Contacts are people in one-to-one chats with the bot; groups and channels are not.
        let private = |v: &Value| v.pointer("/chat/type").and_then(Value::as_str) == Some("private");
        let in_group = ["message", "my_chat_member"]
            .iter()
            .filter_map(|k| update.get(*k))
            .chain(update.pointer("/callback_query/message"))
            .any(|v| v.get("chat").is_some() && !private(v));
        if in_group {
            return Ok(Vec::new());
        }
        if let Some(m) = update.get("message") {
            let chat = chat_of(m).ok_or_else(|| bad("a message without `chat.id`"))?;
            let id =
                m.get("message_id").and_then(Value::as_i64).ok_or_else(|| bad("a message without `message_id`"))?;
            return Ok(vec![Inbound::Message {
                id: format!("msg:{chat}:{id}"),
                address: chat,
                message: Box::new(message(m)),
                profile: profile(m),
                verified: shared_own_phone(m).into_iter().collect(),
            }]);
        }
        if let Some(q) = update.get("callback_query") {
            let id = q.get("id").and_then(Value::as_str).ok_or_else(|| bad("a callback query without `id`"))?;
            let chat = q
                .get("message")
                .and_then(chat_of)
                .or_else(|| q.pointer("/from/id").and_then(Value::as_i64).map(|u| u.to_string()))
                .ok_or_else(|| bad("a callback query without a chat"))?;
            let data = q.get("data").and_then(Value::as_str).unwrap_or_default().to_owned();
            // The pressed button's text, from the keyboard of the message it was under.
            let title = q
                .pointer("/message/reply_markup/inline_keyboard")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_array)
                .flatten()
                .find(|b| b.get("callback_data").and_then(Value::as_str) == Some(data.as_str()))
                .and_then(|b| b.get("text"))
                .and_then(Value::as_str)
                .unwrap_or(&data)
                .to_owned();
            return Ok(vec![Inbound::Message {
                id: format!("cb:{id}"),
                address: chat,
                message: Box::new(InboundMessage::button(data, title)),
                profile: Map::new(),
                verified: Vec::new(),
            }]);
        }
        if let Some(member) = update.get("my_chat_member") {
            let chat = chat_of(member).ok_or_else(|| bad("`my_chat_member` without `chat.id`"))?;
            let id = format!("upd:{update_id}");
            return Ok(match member.pointer("/new_chat_member/status").and_then(Value::as_str) {
                Some("kicked") => vec![Inbound::Unfollowed { id, address: chat }],
                Some("member") => vec![Inbound::Followed { id, address: chat }],
                _ => Vec::new(),
            });
        }
        // Edited messages, channel posts, polls, ...: nothing for a flow.
        Ok(Vec::new())
    }

    fn render(&self, _conn: &Connection, to: &str, m: &OutboundMessage, _template: bool) -> Result<Rendered, String> {
        let mut notes = Vec::new();
        let mut calls: Vec<ApiCall> = m.attachments.iter().map(|a| media(to, a)).collect();
        let (format, text) = fit_options(m, MAX_BUTTONS, "inline_keyboard", "an inline keyboard", &mut notes);
        if !text.is_empty() || calls.is_empty() {
            let mut body = json!({"chat_id": to, "text": clip(&text, TEXT, "text", &mut notes)});
            if format == "inline_keyboard" {
                let rows: Vec<Value> = m
                    .quick_replies
                    .iter()
                    .enumerate()
                    .map(|(i, q)| {
                        let data = if q.payload.len() <= CALLBACK_DATA {
                            q.payload.clone()
                        } else {
                            notes.push(format!(
                                "option {} is answered by its number: its payload is over 64 bytes",
                                i + 1
                            ));
                            (i + 1).to_string()
                        };
                        json!([{"text": q.title, "callback_data": data}])
                    })
                    .collect();
                body["reply_markup"] = json!({"inline_keyboard": rows});
            }
            calls.push(ApiCall { path: "/sendMessage".into(), body });
        }
        Ok(Rendered { format, calls, notes })
    }

    fn authorize(&self, conn: &Connection, call: &ApiCall, _key: &str) -> Result<reqwest::RequestBuilder, String> {
        let token = conn.secret("bot_token").ok_or("the connection has no bot token")?;
        Ok(super::client().post(format!("{}/bot{token}{}", conn.api_base, call.path)).json(&call.body))
    }

    fn read_answer(&self, status: u16, body: &Value) -> Result<String, Refusal> {
        if (200..300).contains(&status) && body.get("ok") == Some(&Value::Bool(true)) {
            let id = body.pointer("/result/message_id").map(Value::to_string);
            return id.ok_or(Refusal { reason: "Telegram's answer has no message id".into(), retry: false });
        }
        let description = body.get("description").and_then(Value::as_str).unwrap_or("no reason given");
        Err(Refusal {
            reason: format!("Telegram answered HTTP {status}: {description}"),
            retry: status == 429 || status >= 500,
        })
    }
}

fn media(to: &str, a: &Attachment) -> ApiCall {
    let (method, field) = match a.kind {
        AttachmentKind::Image => ("/sendPhoto", "photo"),
        AttachmentKind::Video => ("/sendVideo", "video"),
        AttachmentKind::Audio => ("/sendAudio", "audio"),
        AttachmentKind::File => ("/sendDocument", "document"),
    };
    let mut body = json!({"chat_id": to, field: a.url});
    if let Some(name) = &a.name {
        body["caption"] = json!(name);
    }
    ApiCall { path: method.into(), body }
}

fn profile(m: &Value) -> Map<String, Value> {
    let mut p = Map::new();
    let s = |path: &str| m.pointer(path).and_then(Value::as_str);
    if let Some(first) = s("/from/first_name") {
        p.insert("first_name".into(), json!(first));
        let name = match s("/from/last_name") {
            Some(last) => format!("{first} {last}"),
            None => first.to_owned(),
        };
        p.insert("name".into(), json!(name));
    }
    if let Some(last) = s("/from/last_name") {
        p.insert("last_name".into(), json!(last));
    }
    if let Some(lang) = s("/from/language_code") {
        p.insert("language".into(), json!(lang));
    }
    if let Some(Identifier::Phone(phone)) = shared_own_phone(m) {
        p.insert("phone".into(), json!(phone));
    }
    p
}

/// The phone number of a shared contact card that is the sender's own account (the "share
/// phone" button): Telegram vouches for it. A card of someone else (`user_id` another user's,
/// or none) is only something the sender typed in.
fn shared_own_phone(m: &Value) -> Option<Identifier> {
    let own = m.pointer("/contact/user_id").is_some() && m.pointer("/contact/user_id") == m.pointer("/from/id");
    if !own {
        return None;
    }
    Identifier::phone(m.pointer("/contact/phone_number").and_then(Value::as_str)?)
}

/// A Telegram message as the channel-neutral inbound message.
fn message(m: &Value) -> InboundMessage {
    let s = |path: &str| m.pointer(path).and_then(Value::as_str).map(str::to_owned);
    let file = |kind, path: &str| Attachment {
        kind,
        url: format!("telegram-file:{}", s(&format!("{path}/file_id")).unwrap_or_default()),
        name: s(&format!("{path}/file_name")),
    };
    let mut out = InboundMessage { text: s("/text").or_else(|| s("/caption")), ..InboundMessage::default() };
    if let Some(photos) = m.get("photo").and_then(Value::as_array) {
        // Sizes come smallest first; the last is the original.
        let id = photos.last().and_then(|p| p.get("file_id")).and_then(Value::as_str).unwrap_or_default();
        out.attachments.push(Attachment {
            kind: AttachmentKind::Image,
            url: format!("telegram-file:{id}"),
            name: None,
        });
    }
    for (key, kind) in [
        ("document", AttachmentKind::File),
        ("video", AttachmentKind::Video),
        ("audio", AttachmentKind::Audio),
        ("voice", AttachmentKind::Audio),
    ] {
        if m.get(key).is_some() {
            out.attachments.push(file(kind, &format!("/{key}")));
        }
    }
    if let (Some(lat), Some(lon)) = (m.pointer("/location/latitude"), m.pointer("/location/longitude")) {
        out.location =
            Some(Location { lat: lat.as_f64().unwrap_or_default(), lon: lon.as_f64().unwrap_or_default(), name: None });
    }
    if out.text.is_none() {
        out.text = s("/contact/phone_number");
    }
    out
}

/// Tells Telegram a button press was received, so the contact's app stops showing it as
/// pending. Best effort, after the press is stored: a lost acknowledgement only leaves the
/// spinner until Telegram's own timeout.
pub fn acknowledge_presses(conn: &Connection, items: &[Inbound]) {
    let Some(token) = conn.secret("bot_token").map(str::to_owned) else { return };
    for item in items {
        let Inbound::Message { id, .. } = item else { continue };
        let Some(query) = id.strip_prefix("cb:") else { continue };
        let url = format!("{}/bot{token}/answerCallbackQuery", conn.api_base);
        let body = json!({"callback_query_id": query});
        tokio::spawn(async move {
            if let Err(e) = super::client().post(url).json(&body).send().await {
                tracing::debug!(error = %e.without_url(), "could not acknowledge a Telegram button press");
            }
        });
    }
}
