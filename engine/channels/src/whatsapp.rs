//! WhatsApp Cloud API: `X-Hub-Signature-256` (HMAC-SHA256 of the body with the app secret)
//! on webhooks, the `hub.verify_token` handshake (in `engine/server/src/channels.rs`), messages and
//! statuses from `entry[].changes[].value`, sends to `/{version}/{phone_number_id}/messages`.
//! Up to 3 options become reply buttons, up to 10 a list, more are written out as text.

use super::{
    check_hmac, clip, fit_options, ApiCall, ChannelAdapter, Connection, DeliveryStatus, Inbound, InboundError, Refusal,
    Rendered,
};
use http::HeaderMap;
use serde_json::{json, Map, Value};
use steps::identifier::Identifier;
use steps::message::{Attachment, AttachmentKind, InboundMessage, Location, OutboundMessage};

pub const MAX_BUTTONS: usize = 3;
pub const MAX_LIST_ROWS: usize = 10;
const BUTTON_TITLE: usize = 20;
const ROW_TITLE: usize = 24;
const INTERACTIVE_BODY: usize = 1024;
const TEXT_BODY: usize = 4096;
const DEFAULT_VERSION: &str = "v21.0";

#[derive(Debug)]
pub struct WhatsApp;

impl ChannelAdapter for WhatsApp {
    fn verify(&self, conn: &Connection, headers: &HeaderMap, body: &[u8]) -> Result<(), InboundError> {
        let decode = |h: &str| h.strip_prefix("sha256=").and_then(|hex| hex::decode(hex).ok());
        check_hmac(headers, "X-Hub-Signature-256", decode, conn.secret("app_secret"), body)
    }

    fn parse(&self, conn: &Connection, body: &[u8]) -> Result<Vec<Inbound>, InboundError> {
        let bad = |m: &str| InboundError::Malformed(format!("not a WhatsApp webhook: {m}"));
        let root: Value = serde_json::from_slice(body).map_err(|e| bad(&e.to_string()))?;
        if root.get("object").and_then(Value::as_str) != Some("whatsapp_business_account") {
            return Err(bad("`object` is not `whatsapp_business_account`"));
        }
        let entries = root.get("entry").and_then(Value::as_array).ok_or_else(|| bad("no `entry` list"))?;
        let mut out = Vec::new();
        for entry in entries {
            let changes =
                entry.get("changes").and_then(Value::as_array).ok_or_else(|| bad("an entry without `changes`"))?;
            for change in changes {
                let value =
                    change.get("value").and_then(Value::as_object).ok_or_else(|| bad("a change without `value`"))?;
                // One Meta app may serve several numbers: only this connection's.
                let number = value.get("metadata").and_then(|m| m.get("phone_number_id")).and_then(Value::as_str);
                if number.is_some_and(|n| Some(n) != conn.setting("phone_number_id")) {
                    continue;
                }
                let names: Map<String, Value> = value
                    .get("contacts")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|c| {
                        let name = c.pointer("/profile/name")?.clone();
                        Some((c.get("wa_id")?.as_str()?.to_owned(), name))
                    })
                    .collect();
                for m in value.get("messages").and_then(Value::as_array).into_iter().flatten() {
                    let (Some(id), Some(from)) =
                        (m.get("id").and_then(Value::as_str), m.get("from").and_then(Value::as_str))
                    else {
                        return Err(bad("a message without `id` or `from`"));
                    };
                    // Reactions and notices are not messages a flow answers.
                    let kind = m.get("type").and_then(Value::as_str);
                    if matches!(kind, Some("reaction" | "unsupported" | "system" | "request_welcome")) {
                        continue;
                    }
                    let mut profile = Map::new();
                    profile.insert("phone".into(), json!(format!("+{from}")));
                    if let Some(name) = names.get(from) {
                        profile.insert("name".into(), name.clone());
                    }
                    // WhatsApp delivers from the sender's own number: it is verified.
                    out.push(Inbound::Message {
                        id: id.to_owned(),
                        address: from.to_owned(),
                        message: Box::new(message(m)),
                        profile,
                        verified: Identifier::phone(from).into_iter().collect(),
                    });
                }
                for s in value.get("statuses").and_then(Value::as_array).into_iter().flatten() {
                    let (Some(id), Some(status)) =
                        (s.get("id").and_then(Value::as_str), s.get("status").and_then(Value::as_str))
                    else {
                        return Err(bad("a status without `id` or `status`"));
                    };
                    let status = match status {
                        "sent" => DeliveryStatus::Sent,
                        "delivered" => DeliveryStatus::Delivered,
                        "read" => DeliveryStatus::Read,
                        "failed" => DeliveryStatus::Failed,
                        _ => continue,
                    };
                    let error = s.pointer("/errors/0").map(|e| {
                        let title = e.get("title").and_then(Value::as_str).unwrap_or("failed");
                        match e.get("code") {
                            Some(code) => format!("{title} (WhatsApp error {code})"),
                            None => title.to_owned(),
                        }
                    });
                    out.push(Inbound::Status {
                        id: format!("status:{id}:{}", status.as_str()),
                        message_id: id.to_owned(),
                        status,
                        error,
                    });
                }
            }
        }
        Ok(out)
    }

    fn render(&self, conn: &Connection, to: &str, m: &OutboundMessage, template: bool) -> Result<Rendered, String> {
        let path = format!(
            "/{}/{}/messages",
            conn.setting("api_version").unwrap_or(DEFAULT_VERSION),
            conn.setting("phone_number_id").unwrap_or_default()
        );
        let call = |content: Value| {
            let mut body = json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": to});
            if let (Value::Object(b), Value::Object(c)) = (&mut body, content) {
                b.extend(c);
            }
            ApiCall { path: path.clone(), body }
        };
        let mut notes = Vec::new();
        if template {
            let t = m.template.as_ref().ok_or("outside WhatsApp's 24-hour window a template is required")?;
            let mut template = json!({"name": t.name, "language": {"code": t.language}});
            if !t.params.is_empty() {
                let params: Vec<Value> = t.params.iter().map(|p| json!({"type": "text", "text": p})).collect();
                template["components"] = json!([{"type": "body", "parameters": params}]);
            }
            return Ok(Rendered {
                format: "template",
                calls: vec![call(json!({"type": "template", "template": template}))],
                notes,
            });
        }
        let mut calls: Vec<ApiCall> = m.attachments.iter().map(|a| call(media(a))).collect();
        let (fit, text) = fit_options(m, MAX_LIST_ROWS, "list", "a WhatsApp list", &mut notes);
        let format = if fit == "list" && m.quick_replies.len() <= MAX_BUTTONS { "buttons" } else { fit };
        match format {
            "buttons" => {
                let buttons: Vec<Value> = m
                    .quick_replies
                    .iter()
                    .map(|q| {
                        json!({"type": "reply", "reply": {
                            "id": clip(&q.payload, 256, "button id", &mut notes),
                            "title": clip(&q.title, BUTTON_TITLE, "button title", &mut notes)}})
                    })
                    .collect();
                let body = clip(&text, INTERACTIVE_BODY, "text", &mut notes);
                calls.push(call(json!({"type": "interactive", "interactive": {
                    "type": "button", "body": {"text": body}, "action": {"buttons": buttons}}})));
            }
            "list" => {
                let rows: Vec<Value> = m
                    .quick_replies
                    .iter()
                    .map(|q| {
                        json!({"id": clip(&q.payload, 200, "row id", &mut notes),
                               "title": clip(&q.title, ROW_TITLE, "row title", &mut notes)})
                    })
                    .collect();
                let body = clip(&text, INTERACTIVE_BODY, "text", &mut notes);
                calls.push(call(json!({"type": "interactive", "interactive": {
                    "type": "list", "body": {"text": body},
                    "action": {"button": "Choose", "sections": [{"title": "Options", "rows": rows}]}}})));
            }
            // Text, or options written out: a text message (an attachment alone needs none).
            _ if !text.is_empty() || calls.is_empty() => {
                calls.push(call(json!({"type": "text", "text": {"body": clip(&text, TEXT_BODY, "text", &mut notes)}})));
            }
            _ => {}
        }
        Ok(Rendered { format, calls, notes })
    }

    fn authorize(&self, conn: &Connection, call: &ApiCall, _key: &str) -> Result<reqwest::RequestBuilder, String> {
        let token = conn.secret("access_token").ok_or("the connection has no access token")?;
        Ok(super::client().post(format!("{}{}", conn.api_base, call.path)).bearer_auth(token).json(&call.body))
    }

    fn read_answer(&self, status: u16, body: &Value) -> Result<String, Refusal> {
        if (200..300).contains(&status) {
            return body
                .pointer("/messages/0/id")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or(Refusal { reason: "WhatsApp's answer has no message id".into(), retry: false });
        }
        let message = body.pointer("/error/message").and_then(Value::as_str).unwrap_or("no reason given");
        let code = body.pointer("/error/code").map(Value::to_string).unwrap_or_default();
        Err(Refusal {
            reason: format!("WhatsApp answered HTTP {status}: {message} (error {code})"),
            retry: status == 429 || status >= 500,
        })
    }
}

fn media(a: &Attachment) -> Value {
    let kind = match a.kind {
        AttachmentKind::Image => "image",
        AttachmentKind::Video => "video",
        AttachmentKind::Audio => "audio",
        AttachmentKind::File => "document",
    };
    let mut item = json!({"link": a.url});
    if let Some(name) = &a.name {
        match a.kind {
            AttachmentKind::File => item["filename"] = json!(name),
            AttachmentKind::Image | AttachmentKind::Video => item["caption"] = json!(name),
            AttachmentKind::Audio => {}
        }
    }
    json!({"type": kind, kind: item})
}

/// A WhatsApp message object as the channel-neutral inbound message.
fn message(m: &Value) -> InboundMessage {
    let s = |p: &str| m.pointer(p).and_then(Value::as_str).map(str::to_owned);
    let kind = m.get("type").and_then(Value::as_str).unwrap_or_default();
    match kind {
        "text" => InboundMessage { text: s("/text/body"), ..InboundMessage::default() },
        "interactive" => {
            let reply = m.pointer("/interactive/button_reply").or_else(|| m.pointer("/interactive/list_reply"));
            let field = |f: &str| reply.and_then(|r| r.get(f)).and_then(Value::as_str).unwrap_or_default().to_owned();
            InboundMessage::button(field("id"), field("title"))
        }
        // A quick-reply button of a template.
        "button" => {
            InboundMessage::button(s("/button/payload").unwrap_or_default(), s("/button/text").unwrap_or_default())
        }
        "location" => InboundMessage {
            location: Some(Location {
                lat: m.pointer("/location/latitude").and_then(Value::as_f64).unwrap_or_default(),
                lon: m.pointer("/location/longitude").and_then(Value::as_f64).unwrap_or_default(),
                name: s("/location/name"),
            }),
            ..InboundMessage::default()
        },
        "image" | "video" | "audio" | "document" | "sticker" => {
            let kind = match kind {
                "image" | "sticker" => AttachmentKind::Image,
                "video" => AttachmentKind::Video,
                "audio" => AttachmentKind::Audio,
                _ => AttachmentKind::File,
            };
            let media = m.get(m.get("type").and_then(Value::as_str).unwrap_or_default());
            let id = media.and_then(|x| x.get("id")).and_then(Value::as_str).unwrap_or_default();
            let name = media.and_then(|x| x.get("filename").or_else(|| x.get("caption"))).and_then(Value::as_str);
            InboundMessage {
                text: media.and_then(|x| x.get("caption")).and_then(Value::as_str).map(str::to_owned),
                attachments: vec![Attachment {
                    kind,
                    url: format!("whatsapp-media:{id}"),
                    name: name.map(str::to_owned),
                }],
                ..InboundMessage::default()
            }
        }
        _ => InboundMessage::default(),
    }
}
