//! What can happen to the engine from outside: the events an inbox, a channel, an agent or
//! another system sends, and what handling one did.

use channels::{Connection, Inbound};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use steps::message::InboundMessage;

/// Who an event is about: a known contact, or an address on a channel (a new address creates
/// the contact).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ContactRef {
    Id(i64),
    Address { channel: String, address: String },
}

pub use steps::identifier::Identifier;

/// An event, with the sender's id for deduplication (`None`: never deduplicated).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Event {
    /// Who sent it (`api`, `whatsapp`, `simulator`, ...): ids are unique per source.
    pub source: String,
    pub id: Option<String>,
    #[serde(flatten)]
    pub kind: EventKind,
    /// When the event happens, for a test chat's contact only (and only from an admin): the
    /// session's clock is set to it before the event is queued. `/api/events` refuses it
    /// otherwise; the queue never stores it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// Identifiers the sender's channel verified (see [`Identifier`]). Never read from JSON:
    /// only a channel adapter sets them ([`Event::verified_by_channel`]), and the queue keeps
    /// them in a column of their own, so an event posted to `/api/events` cannot claim any.
    #[serde(skip)]
    pub verified: Vec<Identifier>,
}

impl Event {
    /// An event with no id (tests, internal use).
    pub fn new(kind: EventKind) -> Event {
        Event { source: "api".into(), id: None, kind, at: None, verified: Vec::new() }
    }

    /// An event the sender identifies by `id`; a second one with the same id is ignored.
    pub fn with_id(source: &str, id: &str, kind: EventKind) -> Event {
        Event { source: source.into(), id: Some(id.into()), kind, at: None, verified: Vec::new() }
    }

    /// The event carries identifiers its channel verified. Only channel adapters call this,
    /// on a delivery whose signature they checked.
    pub fn verified_by_channel(mut self, verified: Vec<Identifier>) -> Event {
        self.verified = verified;
        self
    }
}

/// The kinds of events. A field an event kind does not have is refused rather than ignored,
/// so that a misspelt field is an error the sender sees, not data silently lost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum EventKind {
    /// A contact wrote. `profile` fills in the addressed contact's empty attributes (name,
    /// phone, ...); it never joins the address to another contact.
    MessageReceived {
        contact: ContactRef,
        channel: String,
        message: InboundMessage,
        #[serde(default)]
        profile: Map<String, Value>,
    },
    /// An agent wrote to the contact (ends runs with `exit_when: agent_replied`).
    AgentReplied { contact: ContactRef, agent_id: String, text: String },
    /// A conversation was opened by an agent (`user`) or the contact.
    ConversationOpened { contact: ContactRef, by: String },
    /// The contact's conversation was closed.
    ConversationClosed {
        contact: ContactRef,
        closed_by: String,
        #[serde(default)]
        category: Option<String>,
        #[serde(default)]
        summary: Option<String>,
        /// Closed automatically (inactivity, a workflow) rather than by a person.
        #[serde(default)]
        auto: bool,
    },
    /// An agent (or the API) assigned the contact's open conversation to `agent_id`, or
    /// unassigned it (`None`).
    Assigned { contact: ContactRef, agent_id: Option<String> },
    /// A tag was added to or removed from the contact (the engine applies it).
    TagUpdated { contact: ContactRef, tag: String, added: bool },
    /// A contact field was set (the engine applies it): `email`, `fields.plan`, ...
    FieldUpdated { contact: ContactRef, field: String, value: Value },
    /// The contact opted out of messages.
    OptedOut { contact: ContactRef },
    /// The contact added the channel's account (LINE follow) or unblocked the bot (Telegram).
    Followed { contact: ContactRef, channel: String },
    /// The contact removed or blocked the account: they are opted out and their runs end.
    Unfollowed { contact: ContactRef, channel: String },
    /// A channel reports what became of a sent message (by the channel's id for it).
    DeliveryStatus {
        channel: String,
        message_id: String,
        status: channels::DeliveryStatus,
        #[serde(default)]
        error: Option<String>,
    },
    /// An agent pressed a workflow's shortcut on the contact's conversation.
    Shortcut {
        contact: ContactRef,
        workflow: String,
        agent_id: String,
        #[serde(default)]
        form: Map<String, Value>,
    },
    /// Another system posted to a workflow's webhook (signature already checked).
    Webhook { workflow: String, payload: Value },
    /// Start a workflow with a manual trigger for a contact.
    Manual {
        workflow: String,
        contact: ContactRef,
        #[serde(default)]
        vars: Map<String, Value>,
    },
}

impl EventKind {
    /// The contact the event names, if any.
    pub fn contact(&self) -> Option<&ContactRef> {
        match self {
            EventKind::MessageReceived { contact, .. }
            | EventKind::AgentReplied { contact, .. }
            | EventKind::Assigned { contact, .. }
            | EventKind::ConversationOpened { contact, .. }
            | EventKind::ConversationClosed { contact, .. }
            | EventKind::TagUpdated { contact, .. }
            | EventKind::FieldUpdated { contact, .. }
            | EventKind::OptedOut { contact }
            | EventKind::Followed { contact, .. }
            | EventKind::Unfollowed { contact, .. }
            | EventKind::Shortcut { contact, .. }
            | EventKind::Manual { contact, .. } => Some(contact),
            EventKind::Webhook { .. } | EventKind::DeliveryStatus { .. } => None,
        }
    }
}

/// What handling an event did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Handled {
    /// The event had been seen before and was ignored.
    pub duplicate: bool,
    /// The contact it concerned.
    pub contact_id: Option<i64>,
    /// Runs it started (including runs started by follow-up events such as a tag a flow set).
    pub started: Vec<i64>,
    /// Runs it resumed.
    pub resumed: Vec<i64>,
    /// Runs it ended early (exit conditions, opt-out).
    pub exited: Vec<i64>,
    /// Workflows the loop guard kept from starting.
    pub loop_guarded: Vec<String>,
    /// Workflows that will start once the contact's current run of them ends.
    pub queued: Vec<String>,
    /// Test chat only: why the workflow under test did not start.
    pub test_notes: Vec<String>,
}

/// How large each part of an event may be. Events are stored before they are handled, so a
/// sender could otherwise fill the database with one oversized field; each bound is far above
/// what a channel or an inbox sends (WhatsApp's longest text is 4,096 characters).
pub mod limits {
    /// An event's `id` and `source`.
    pub const ID: usize = 256;
    /// Names and ids: a channel, an agent, a workflow, who closed a conversation, a category.
    pub const NAME: usize = 200;
    /// A tag.
    pub const TAG: usize = 100;
    /// An address on a channel (a phone number, an email, a chat id).
    pub const ADDRESS: usize = 320;
    /// A field's name (`fields.plan`) and a key of a profile, form or variables object.
    pub const KEY: usize = 100;
    /// A message's text, a button payload, a summary, an agent's reply.
    pub const TEXT: usize = 16_384;
    /// A field value, or one value of a profile, form or variables object, as JSON.
    pub const VALUE: usize = 8_192;
    /// Entries in a profile, form or variables object.
    pub const ENTRIES: usize = 50;
    /// Attachments on one message.
    pub const ATTACHMENTS: usize = 10;
    /// An attachment's URL.
    pub const URL: usize = 2_048;
}

/// A part of an event that breaks a rule, with the path to it (`contact.address.address`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct FieldError {
    pub path: String,
    pub message: String,
}

impl Event {
    /// Checks every part of the event against [`limits`]; the first part that is too large
    /// comes back with its path.
    pub fn check_limits(&self) -> Result<(), FieldError> {
        let mut c = Check::default();
        c.text("source", &self.source, limits::ID);
        if let Some(id) = &self.id {
            c.text("id", id, limits::ID);
        }
        match &self.kind {
            EventKind::MessageReceived { contact, channel, message, profile } => {
                c.contact(contact);
                c.text("channel", channel, limits::NAME);
                if let Some(text) = &message.text {
                    c.text("message.text", text, limits::TEXT);
                }
                if let Some(payload) = &message.payload {
                    c.text("message.payload", payload, limits::TEXT);
                }
                if let Some(channel) = &message.channel {
                    c.text("message.channel", channel, limits::NAME);
                }
                if message.attachments.len() > limits::ATTACHMENTS {
                    c.fail("message.attachments", format!("at most {} attachments", limits::ATTACHMENTS));
                }
                for (i, a) in message.attachments.iter().enumerate() {
                    c.text(&format!("message.attachments[{i}].url"), &a.url, limits::URL);
                    if let Some(name) = &a.name {
                        // A caption (WhatsApp sends up to 1,024 characters) or a file name.
                        c.text(&format!("message.attachments[{i}].name"), name, limits::TEXT);
                    }
                }
                if let Some(name) = message.location.as_ref().and_then(|l| l.name.as_ref()) {
                    c.text("message.location.name", name, limits::TEXT);
                }
                c.object("profile", profile);
            }
            EventKind::AgentReplied { contact, agent_id, text } => {
                c.contact(contact);
                c.text("agent_id", agent_id, limits::NAME);
                c.text("text", text, limits::TEXT);
            }
            EventKind::ConversationOpened { contact, by } => {
                c.contact(contact);
                c.text("by", by, limits::NAME);
            }
            EventKind::ConversationClosed { contact, closed_by, category, summary, auto: _ } => {
                c.contact(contact);
                c.text("closed_by", closed_by, limits::NAME);
                if let Some(category) = category {
                    c.text("category", category, limits::NAME);
                }
                if let Some(summary) = summary {
                    c.text("summary", summary, limits::TEXT);
                }
            }
            EventKind::Assigned { contact, agent_id } => {
                c.contact(contact);
                if let Some(agent_id) = agent_id {
                    c.text("agent_id", agent_id, limits::NAME);
                }
            }
            EventKind::TagUpdated { contact, tag, added: _ } => {
                c.contact(contact);
                c.text("tag", tag, limits::TAG);
            }
            EventKind::FieldUpdated { contact, field, value } => {
                c.contact(contact);
                c.text("field", field, limits::KEY);
                c.value("value", value);
            }
            EventKind::OptedOut { contact } => c.contact(contact),
            EventKind::Followed { contact, channel } | EventKind::Unfollowed { contact, channel } => {
                c.contact(contact);
                c.text("channel", channel, limits::NAME);
            }
            EventKind::DeliveryStatus { channel, message_id, status: _, error } => {
                c.text("channel", channel, limits::NAME);
                c.text("message_id", message_id, limits::ID);
                if let Some(error) = error {
                    c.text("error", error, limits::TEXT);
                }
            }
            EventKind::Shortcut { contact, workflow, agent_id, form } => {
                c.contact(contact);
                c.text("workflow", workflow, limits::NAME);
                c.text("agent_id", agent_id, limits::NAME);
                c.object("form", form);
            }
            EventKind::Webhook { workflow, payload: _ } => c.text("workflow", workflow, limits::NAME),
            EventKind::Manual { workflow, contact, vars } => {
                c.text("workflow", workflow, limits::NAME);
                c.contact(contact);
                c.object("vars", vars);
            }
        }
        if c.first.is_none() {
            // PostgreSQL cannot store a NUL character in text (SQLite can): refused here with
            // its place, so the same event gives the same answer on both backends.
            if let Some(path) = nul_in_str("source", &self.source)
                .or_else(|| self.id.as_deref().and_then(|id| nul_in_str("id", id)))
                .or_else(|| serde_json::to_value(&self.kind).ok().and_then(|v| nul_in(&v, String::new())))
            {
                c.fail(&path, "contains a NUL character (\\u0000), which is not accepted in text".to_owned());
            }
        }
        c.first.map_or(Ok(()), Err)
    }

    /// Replaces every NUL character in the event's texts with U+FFFD (the replacement
    /// character). For channel deliveries, which are not refused for it; returns whether
    /// anything changed.
    pub fn replace_nul(&mut self) -> bool {
        let mut changed = false;
        for text in [&mut self.source].into_iter().chain(self.id.as_mut()) {
            if text.contains('\0') {
                *text = text.replace('\0', REPLACEMENT);
                changed = true;
            }
        }
        self.kind.replace_nul() || changed
    }
}

/// What a NUL character becomes where it is not refused.
const REPLACEMENT: &str = "\u{FFFD}";

impl EventKind {
    /// Replaces every NUL character in the event's texts (and object keys) with U+FFFD;
    /// returns whether anything changed.
    pub fn replace_nul(&mut self) -> bool {
        let Ok(mut value) = serde_json::to_value(&*self) else { return false };
        if !replace_nul_in(&mut value) {
            return false;
        }
        match serde_json::from_value(value) {
            Ok(kind) => {
                *self = kind;
                true
            }
            Err(_) => false,
        }
    }
}

fn nul_in_str(path: &str, text: &str) -> Option<String> {
    text.contains('\0').then(|| path.to_owned())
}

/// The path (`message.text`, `profile.name`, `message.attachments[0].url`) of the first
/// string or key in `value` holding a NUL character.
fn nul_in(value: &Value, path: String) -> Option<String> {
    let join = |key: &str| if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") };
    match value {
        Value::String(s) => nul_in_str(&path, s),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| nul_in(v, format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            if k.contains('\0') {
                Some(join(&k.replace('\0', "\\u0000")))
            } else {
                nul_in(v, join(k))
            }
        }),
        _ => None,
    }
}

fn replace_nul_in(value: &mut Value) -> bool {
    match value {
        Value::String(s) if s.contains('\0') => {
            *s = s.replace('\0', REPLACEMENT);
            true
        }
        Value::Array(items) => {
            // Every item is visited (no short circuit): each may hold a NUL.
            let mut changed = false;
            for v in items {
                changed |= replace_nul_in(v);
            }
            changed
        }
        Value::Object(map) => {
            let mut changed = false;
            if map.keys().any(|k| k.contains('\0')) {
                *map = std::mem::take(map).into_iter().map(|(k, v)| (k.replace('\0', REPLACEMENT), v)).collect();
                changed = true;
            }
            for v in map.values_mut() {
                changed |= replace_nul_in(v);
            }
            changed
        }
        _ => false,
    }
}

/// Collects the first broken limit while [`Event::check_limits`] walks an event.
#[derive(Debug, Default)]
struct Check {
    first: Option<FieldError>,
}

impl Check {
    fn fail(&mut self, path: &str, message: String) {
        if self.first.is_none() {
            self.first = Some(FieldError { path: path.to_owned(), message });
        }
    }

    fn text(&mut self, path: &str, text: &str, max: usize) {
        // Bytes bound what is stored; counting characters only when it matters keeps the
        // common case cheap and the rule the one a person expects.
        if text.len() > max && text.chars().count() > max {
            self.fail(path, format!("at most {max} characters (got {})", text.chars().count()));
        }
    }

    fn contact(&mut self, contact: &ContactRef) {
        if let ContactRef::Address { channel, address } = contact {
            self.text("contact.address.channel", channel, limits::NAME);
            self.text("contact.address.address", address, limits::ADDRESS);
        }
    }

    fn value(&mut self, path: &str, value: &Value) {
        let size = serde_json::to_string(value).map_or(usize::MAX, |s| s.len());
        if size > limits::VALUE {
            self.fail(path, format!("at most {} bytes as JSON (got {size})", limits::VALUE));
        }
    }

    fn object(&mut self, path: &str, object: &Map<String, Value>) {
        if object.len() > limits::ENTRIES {
            self.fail(path, format!("at most {} entries (got {})", limits::ENTRIES, object.len()));
        }
        for (key, value) in object {
            self.text(&format!("{path}.{key}"), key, limits::KEY);
            self.value(&format!("{path}.{key}"), value);
        }
    }
}

/// Turns the items of one verified delivery into engine events (source `channel:<id>`, so a
/// repeated delivery of the same channel id is recognised).
pub fn from_channel(conn: &Connection, items: Vec<Inbound>) -> Vec<Event> {
    let source = format!("channel:{}", conn.id);
    let address = |a: String| ContactRef::Address { channel: conn.id.clone(), address: a };
    items
        .into_iter()
        .map(|item| match item {
            Inbound::Message { id, address: a, mut message, profile, verified } => {
                message.channel = Some(conn.id.clone());
                Event::with_id(
                    &source,
                    &id,
                    EventKind::MessageReceived {
                        contact: address(a),
                        channel: conn.id.clone(),
                        message: *message,
                        profile,
                    },
                )
                .verified_by_channel(verified)
            }
            Inbound::Followed { id, address: a } => {
                Event::with_id(&source, &id, EventKind::Followed { contact: address(a), channel: conn.id.clone() })
            }
            Inbound::Unfollowed { id, address: a } => {
                Event::with_id(&source, &id, EventKind::Unfollowed { contact: address(a), channel: conn.id.clone() })
            }
            Inbound::Status { id, message_id, status, error } => Event::with_id(
                &source,
                &id,
                EventKind::DeliveryStatus { channel: conn.id.clone(), message_id, status, error },
            ),
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: Value) -> Result<Event, String> {
        serde_path_to_error::deserialize::<_, Event>(&value).map_err(|e| format!("{}: {}", e.path(), e.inner()))
    }

    #[test]
    fn unknown_fields_are_refused_with_their_path() {
        let ok = json!({"source": "crm", "type": "tag_updated", "contact": {"id": 1}, "tag": "vip", "added": true});
        assert!(parse(ok).is_ok());
        for (event, expected) in [
            (
                json!({"source": "crm", "type": "tag_updated", "contact": {"id": 1}, "tag": "vip", "added": true, "color": "red"}),
                "unknown field `color`",
            ),
            (
                json!({"source": "crm", "type": "tag_updated", "contact": {"address": {"channel": "sms", "address": "1", "x": 1}}, "tag": "vip", "added": true}),
                "unknown field `x`",
            ),
            (json!({"source": "crm", "type": "tag_exploded", "contact": {"id": 1}}), "unknown variant `tag_exploded`"),
        ] {
            let err = parse(event).unwrap_err();
            assert!(err.contains(expected), "{err}");
        }
    }

    /// Sets the value at `pointer`, creating the last key if needed.
    fn set(event: &mut Value, pointer: &str, value: Value) {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        event.pointer_mut(parent).unwrap().as_object_mut().unwrap().insert(key.to_owned(), value);
    }

    #[test]
    fn oversized_parts_are_refused_with_their_path() {
        let big = "x".repeat(400_000);
        let check = |event: Value| parse(event).unwrap().check_limits().map_err(|e| e.to_string());
        let base = json!({"source": "crm", "type": "message_received", "contact": {"address": {"channel": "sms", "address": "+1"}}, "channel": "sms", "message": {"text": "hi"}});
        assert_eq!(check(base.clone()), Ok(()));
        for (pointer, value, path) in [
            ("/id", json!(big), "id"),
            ("/contact/address/address", json!(big), "contact.address.address"),
            ("/message/text", json!(big), "message.text"),
            ("/profile", json!({"name": big}), "profile.name"),
            ("/channel", json!(big), "channel"),
        ] {
            let mut event = base.clone();
            set(&mut event, pointer, value);
            let err = check(event).unwrap_err();
            assert!(err.starts_with(&format!("{path}: at most")), "{pointer}: {err}");
        }
        let tag = json!({"source": "crm", "type": "tag_updated", "contact": {"id": 1}, "tag": big, "added": true});
        assert!(check(tag).unwrap_err().starts_with("tag: at most 100 characters"));
        let field =
            json!({"source": "crm", "type": "field_updated", "contact": {"id": 1}, "field": "plan", "value": big});
        assert!(check(field).unwrap_err().starts_with("value: at most 8192 bytes"));
    }

    #[test]
    fn a_nul_character_is_refused_with_its_path_or_replaced() {
        let check = |event: Value| parse(event).unwrap().check_limits().map_err(|e| e.to_string());
        let base = json!({"source": "crm", "type": "message_received", "contact": {"address": {"channel": "sms", "address": "+1"}}, "channel": "sms", "message": {"text": "hi"}});
        for (pointer, value, path) in [
            ("/message/text", json!("a\u{0}b"), "message.text"),
            ("/profile", json!({"name": "x\u{0}"}), "profile.name"),
            ("/contact/address/address", json!("+1\u{0}"), "contact.address.address"),
            ("/id", json!("e\u{0}"), "id"),
        ] {
            let mut event = base.clone();
            set(&mut event, pointer, value);
            let err = check(event.clone()).unwrap_err();
            assert!(err.starts_with(&format!("{path}: contains a NUL character")), "{pointer}: {err}");
            let mut parsed = parse(event).unwrap();
            assert!(parsed.replace_nul());
            assert_eq!(parsed.check_limits(), Ok(()), "{pointer}: nothing left to refuse");
            assert!(serde_json::to_string(&parsed).unwrap().contains('\u{FFFD}'));
        }
        let mut clean = parse(base).unwrap();
        assert!(!clean.replace_nul(), "nothing to replace");
    }

    #[test]
    fn phones_are_verified_identifiers_in_one_form() {
        let check = |raw: &str, expected: Option<&str>| {
            assert_eq!(Identifier::phone(raw), expected.map(|p| Identifier::Phone(p.to_owned())), "{raw:?}");
        };
        check("4915112345678", Some("+4915112345678"));
        check("+49 151 1234-5678", Some("+4915112345678"));
        check(" +1 (650) 555.1234 ", Some("+16505551234"));
        check("12345", None);
        check("1234567890123456", None);
        check("+49 151 CALL ME", None);
        check("++4915112345678", None);
        check("", None);
    }

    #[test]
    fn an_event_posted_as_json_carries_no_verified_identifiers() {
        // `verified` is no field of an event's JSON: it is refused like any unknown field.
        let posted = serde_json::json!({"source": "crm", "type": "opted_out", "contact": {"id": 1},
            "verified": [{"kind": "phone", "value": "+4915112345678"}]});
        let refused = serde_json::from_value::<Event>(posted).expect_err("refused");
        assert!(refused.to_string().contains("unknown field `verified`"), "{refused}");
        let verified = Event::new(EventKind::OptedOut { contact: ContactRef::Id(1) })
            .verified_by_channel(vec![Identifier::Phone("+4915112345678".into())]);
        assert!(!serde_json::to_string(&verified).expect("json").contains("verified"), "not in the event's body");
    }
}
