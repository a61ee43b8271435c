//! What can happen to the engine from outside: the events an inbox, a channel, an agent or
//! another system sends, and what handling one did.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use steps::message::InboundMessage;

/// Who an event is about: a known contact, or an address on a channel (a new address creates
/// the contact).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContactRef {
    Id(i64),
    Address { channel: String, address: String },
}

/// An identifier of a person that a channel itself verified: WhatsApp's sender number (the
/// `wa_id` the message came from), a phone number a Telegram user shared from their own
/// account. Only these join a new channel address to an existing contact; a phone or email
/// in a profile or a field is just an attribute.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Identifier {
    /// A phone number in E.164 form (`+4915112345678`).
    Phone(String),
}

impl Identifier {
    /// A phone number as channels give it (`4915112345678`, `+49 151 12345678`), in E.164
    /// form; `None` when it is not 6 to 15 digits.
    pub fn phone(raw: &str) -> Option<Identifier> {
        let rest = raw.trim().strip_prefix('+').unwrap_or(raw.trim());
        let digits: String = rest.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.')).collect();
        let valid = (6..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
        valid.then(|| Identifier::Phone(format!("+{digits}")))
    }

    /// An identifier as stored (`contact_identifiers.kind`, `value`); `None` for a kind this
    /// version does not know.
    pub fn stored(kind: &str, value: String) -> Option<Identifier> {
        match kind {
            "phone" => Some(Identifier::Phone(value)),
            _ => None,
        }
    }

    /// The kind as stored (`contact_identifiers.kind`).
    pub fn kind(&self) -> &'static str {
        match self {
            Identifier::Phone(_) => "phone",
        }
    }

    pub fn value(&self) -> &str {
        match self {
            Identifier::Phone(v) => v,
        }
    }
}

/// An event, with the sender's id for deduplication (`None`: never deduplicated).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Event {
    /// Who sent it (`api`, `whatsapp`, `simulator`, ...): ids are unique per source.
    pub source: String,
    pub id: Option<String>,
    #[serde(flatten)]
    pub kind: EventKind,
    /// Identifiers the sender's channel verified (see [`Identifier`]). Never read from JSON:
    /// only a channel adapter sets them ([`Event::verified_by_channel`]), and the queue keeps
    /// them in a column of their own, so an event posted to `/api/events` cannot claim any.
    #[serde(skip)]
    pub verified: Vec<Identifier>,
}

impl Event {
    /// An event with no id (tests, internal use).
    pub fn new(kind: EventKind) -> Event {
        Event { source: "api".into(), id: None, kind, verified: Vec::new() }
    }

    /// An event the sender identifies by `id`; a second one with the same id is ignored.
    pub fn with_id(source: &str, id: &str, kind: EventKind) -> Event {
        Event { source: source.into(), id: Some(id.into()), kind, verified: Vec::new() }
    }

    /// The event carries identifiers its channel verified. Only channel adapters call this,
    /// on a delivery whose signature they checked.
    pub fn verified_by_channel(mut self, verified: Vec<Identifier>) -> Event {
        self.verified = verified;
        self
    }
}

/// The kinds of events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
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
        status: crate::channels::DeliveryStatus,
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

#[cfg(test)]
mod tests {
    use super::*;

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
        let posted = serde_json::json!({"source": "crm", "type": "opted_out", "contact": {"id": 1},
            "verified": [{"kind": "phone", "value": "+4915112345678"}]});
        let event: Event = serde_json::from_value(posted).expect("an event");
        assert!(event.verified.is_empty());
        let verified = Event::new(EventKind::OptedOut { contact: ContactRef::Id(1) })
            .verified_by_channel(vec![Identifier::Phone("+4915112345678".into())]);
        assert!(!serde_json::to_string(&verified).expect("json").contains("verified"), "not in the event's body");
    }
}
