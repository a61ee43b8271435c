//! LINE Messaging API: `X-Line-Signature` (base64 HMAC-SHA256 of the body with the channel
//! secret) on webhooks; message, postback, follow and unfollow events; sends by push
//! (`/v2/bot/message/push`, up to 5 message objects, with `X-Line-Retry-Key` so a retried
//! push is not delivered twice). Up to 13 options become quick replies (postback actions).

use super::{
    check_hmac, clip, fit_options, ApiCall, ChannelAdapter, Connection, Inbound, InboundError, Refusal, Rendered,
};
use base64::Engine as _;
use http::HeaderMap;
use serde_json::{json, Map, Value};
use steps::message::{Attachment, AttachmentKind, InboundMessage, Location, OutboundMessage};

pub const MAX_QUICK_REPLIES: usize = 13;
const MAX_MESSAGES: usize = 5;
const LABEL: usize = 20;
const TEXT: usize = 5000;
const DATA: usize = 300;

#[derive(Debug)]
pub struct Line;

impl ChannelAdapter for Line {
    fn verify(&self, conn: &Connection, headers: &HeaderMap, body: &[u8]) -> Result<(), InboundError> {
        let decode = |h: &str| base64::engine::general_purpose::STANDARD.decode(h).ok();
        check_hmac(headers, "X-Line-Signature", decode, conn.secret("channel_secret"), body)
    }

    fn parse(&self, _conn: &Connection, body: &[u8]) -> Result<Vec<Inbound>, InboundError> {
        let bad = |m: &str| InboundError::Malformed(format!("not a LINE webhook: {m}"));
        let root: Value = serde_json::from_slice(body).map_err(|e| bad(&e.to_string()))?;
        let events = root.get("events").and_then(Value::as_array).ok_or_else(|| bad("no `events` list"))?;
        let mut out = Vec::new();
        for e in events {
            let kind = e.get("type").and_then(Value::as_str).ok_or_else(|| bad("an event without `type`"))?;
            let event_id = e
                .get("webhookEventId")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("an event without `webhookEventId`"))?;
            // Only one-to-one chats with a user are contacts; group events are not for flows.
            let Some(user) = e.pointer("/source/userId").and_then(Value::as_str) else { continue };
            if e.pointer("/source/type").and_then(Value::as_str) != Some("user") {
                continue;
            }
            let address = user.to_owned();
            match kind {
                "message" => {
                    let m = e.get("message").ok_or_else(|| bad("a message event without `message`"))?;
                    let id = m.get("id").and_then(Value::as_str).ok_or_else(|| bad("a message without `id`"))?;
                    out.push(Inbound::Message {
                        id: id.to_owned(),
                        address,
                        message: Box::new(message(m)),
                        profile: Map::new(),
                        verified: Vec::new(),
                    });
                }
                "postback" => {
                    let data = e
                        .pointer("/postback/data")
                        .and_then(Value::as_str)
                        .ok_or_else(|| bad("a postback without `data`"))?;
                    let message = InboundMessage { payload: Some(data.to_owned()), ..InboundMessage::default() };
                    out.push(Inbound::Message {
                        id: event_id.to_owned(),
                        address,
                        message: Box::new(message),
                        profile: Map::new(),
                        verified: Vec::new(),
                    });
                }
                "follow" => out.push(Inbound::Followed { id: event_id.to_owned(), address }),
                "unfollow" => out.push(Inbound::Unfollowed { id: event_id.to_owned(), address }),
                // join, leave, unsend, beacon, ...: nothing for a flow.
                _ => {}
            }
        }
        Ok(out)
    }

    fn render(&self, _conn: &Connection, to: &str, m: &OutboundMessage, _template: bool) -> Result<Rendered, String> {
        let mut notes = Vec::new();
        let mut messages: Vec<Value> = Vec::new();
        for a in &m.attachments {
            messages.push(media(a, &mut notes));
        }
        let (format, text) = fit_options(m, MAX_QUICK_REPLIES, "quick_replies", "LINE's quick replies", &mut notes);
        if !text.is_empty() || messages.is_empty() {
            let mut t = json!({"type": "text", "text": clip(&text, TEXT, "text", &mut notes)});
            if format == "quick_replies" {
                let items: Vec<Value> = m
                    .quick_replies
                    .iter()
                    .map(|q| {
                        json!({"type": "action", "action": {
                            "type": "postback",
                            "label": clip(&q.title, LABEL, "quick reply label", &mut notes),
                            "data": clip(&q.payload, DATA, "quick reply data", &mut notes),
                            "displayText": clip(&q.title, DATA, "quick reply text", &mut notes)}})
                    })
                    .collect();
                t["quickReply"] = json!({"items": items});
            }
            messages.push(t);
        }
        if messages.len() > MAX_MESSAGES {
            notes.push(format!("LINE takes {MAX_MESSAGES} messages per push: the first attachments were left out"));
            messages.drain(..messages.len() - MAX_MESSAGES);
        }
        let calls =
            vec![ApiCall { path: "/v2/bot/message/push".into(), body: json!({"to": to, "messages": messages}) }];
        Ok(Rendered { format, calls, notes })
    }

    fn authorize(&self, conn: &Connection, call: &ApiCall, key: &str) -> Result<reqwest::RequestBuilder, String> {
        let token = conn.secret("access_token").ok_or("the connection has no channel access token")?;
        Ok(super::client()
            .post(format!("{}{}", conn.api_base, call.path))
            .bearer_auth(token)
            .header("X-Line-Retry-Key", retry_key(key))
            .json(&call.body))
    }

    fn read_answer(&self, status: u16, body: &Value) -> Result<String, Refusal> {
        if (200..300).contains(&status) {
            let id = body.pointer("/sentMessages").and_then(Value::as_array).and_then(|a| a.last());
            return Ok(id.and_then(|m| m.get("id")).and_then(Value::as_str).unwrap_or("accepted").to_owned());
        }
        // 409: this retry key was accepted before — the push went out the first time.
        if status == 409 {
            return Ok("accepted".into());
        }
        let message = body.get("message").and_then(Value::as_str).unwrap_or("no reason given");
        let monthly = message.to_ascii_lowercase().contains("monthly limit");
        Err(Refusal {
            reason: format!("LINE answered HTTP {status}: {message}"),
            retry: !monthly && (status == 429 || status >= 500),
        })
    }
}

/// LINE wants a UUID as retry key; the same outbox key always gives the same one.
fn retry_key(key: &str) -> String {
    use sha2::Digest;
    let h = sha2::Sha256::digest(key.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &x[..8], &x[8..12], &x[12..16], &x[16..20], &x[20..])
}

fn media(a: &Attachment, notes: &mut Vec<String>) -> Value {
    match a.kind {
        AttachmentKind::Image => json!({"type": "image", "originalContentUrl": a.url, "previewImageUrl": a.url}),
        AttachmentKind::Video => json!({"type": "video", "originalContentUrl": a.url, "previewImageUrl": a.url}),
        AttachmentKind::Audio | AttachmentKind::File => {
            notes.push("LINE cannot send files or audio without its duration: sent as a link".into());
            let label = a.name.clone().unwrap_or_else(|| "Download".into());
            json!({"type": "text", "text": format!("{label}: {}", a.url)})
        }
    }
}

/// A LINE message object as the channel-neutral inbound message.
fn message(m: &Value) -> InboundMessage {
    let s = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_owned);
    let id = s("id").unwrap_or_default();
    let attachment = |kind| {
        // Content the contact sent stays on LINE's servers (fetched with the token).
        let url = m.pointer("/contentProvider/originalContentUrl").and_then(Value::as_str).map(str::to_owned);
        Attachment { kind, url: url.unwrap_or_else(|| format!("line-content:{id}")), name: s("fileName") }
    };
    match m.get("type").and_then(Value::as_str).unwrap_or_default() {
        "text" => InboundMessage { text: s("text"), ..InboundMessage::default() },
        "image" => InboundMessage { attachments: vec![attachment(AttachmentKind::Image)], ..InboundMessage::default() },
        "video" => InboundMessage { attachments: vec![attachment(AttachmentKind::Video)], ..InboundMessage::default() },
        "audio" => InboundMessage { attachments: vec![attachment(AttachmentKind::Audio)], ..InboundMessage::default() },
        "file" => InboundMessage { attachments: vec![attachment(AttachmentKind::File)], ..InboundMessage::default() },
        "location" => InboundMessage {
            location: Some(Location {
                lat: m.get("latitude").and_then(Value::as_f64).unwrap_or_default(),
                lon: m.get("longitude").and_then(Value::as_f64).unwrap_or_default(),
                name: s("title").or_else(|| s("address")),
            }),
            ..InboundMessage::default()
        },
        _ => InboundMessage::default(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn retry_keys_are_stable_uuids() {
        let a = super::retry_key("12:ask:1:3:0");
        assert_eq!(a, super::retry_key("12:ask:1:3:0"));
        assert_ne!(a, super::retry_key("12:ask:1:3:1"));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
    }
}
