//! Answers of the inbox and of what comes in: contacts, conversations, the assignment queue,
//! agents' acts (reply, close, open, assign, online), shortcuts, events accepted, and the
//! simulator contact's side.

use super::common::{Agent, TimelineLine, Waiting};
use super::Written;
use runtime::steps::trigger::FormField;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A contact: attributes, tags, custom fields; one contact alone also has its runs under way,
/// its channels and its verified identifiers.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = Written(&["active_runs", "channels", "verified"]))]
pub struct ContactView {
    pub id: i64,
    pub name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub country: Option<String>,
    pub language: Option<String>,
    pub lifecycle: Option<String>,
    /// The channel they last wrote on.
    pub channel: Option<String>,
    pub tags: Vec<String>,
    pub fields: Map<String, Value>,
    pub opted_out: bool,
    /// Runs under way (one contact only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_runs: Option<Vec<ActiveRun>>,
    /// Per channel: the address, when they last wrote, whether they follow the account, and
    /// how the address joined the contact (one contact only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<Map<String, Value>>,
    /// Identifiers the contact proved (one contact only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<Vec<VerifiedIdentifier>>,
}

/// A run under way, as a contact shows it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = Written(&[]))]
pub struct ActiveRun {
    pub id: i64,
    pub workflow_id: String,
    pub version: i64,
    pub status: String,
    pub step: Option<String>,
    pub waiting: Option<Waiting>,
}

/// An identifier a contact proved (an email, a phone number), on which channel and when.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = Written(&[]))]
pub struct VerifiedIdentifier {
    pub kind: String,
    pub value: String,
    pub channel: String,
    pub verified_at: String,
}

/// A conversation as an inbox lists it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = Written(&[]))]
pub struct ConversationRow {
    pub id: i64,
    pub contact_id: i64,
    pub contact_name: Option<String>,
    pub status: String,
    pub channel: Option<String>,
    pub assignee_id: Option<String>,
    pub team: Option<String>,
    pub priority: String,
    pub opened_at: String,
    pub last_text: Option<String>,
}

/// A contact waiting in the assignment queue.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct QueuedContact {
    pub run_id: i64,
    pub contact_id: i64,
    pub contact_name: Option<String>,
    pub workflow_id: String,
    /// The `assign` or `escalate` step the run waits on.
    pub step: Option<String>,
    /// The team asked for (`null` with no `agent`: anyone in the workspace).
    pub team: Option<String>,
    /// The agent asked for by name.
    pub agent: Option<String>,
    /// Whether only an online agent will do.
    pub online_only: bool,
    /// When the contact joined the queue (RFC 3339).
    pub waiting_since: String,
    /// How long they have waited so far, by the engine's clock.
    pub waited_seconds: i64,
    /// When the step gives up and leaves by `timeout` (RFC 3339).
    pub due_at: Option<String>,
}

impl From<runtime::QueuedContact> for QueuedContact {
    fn from(q: runtime::QueuedContact) -> QueuedContact {
        QueuedContact {
            run_id: q.run_id,
            contact_id: q.contact_id,
            contact_name: q.contact_name,
            workflow_id: q.workflow_id,
            step: q.step,
            team: q.team,
            agent: q.agent,
            online_only: q.online_only,
            waiting_since: q.waiting_since,
            waited_seconds: q.waited_seconds,
            due_at: q.due_at,
        }
    }
}

/// An agent's reply sent: runs it ended early.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct Replied {
    pub exited: Vec<i64>,
}

/// A conversation closed: runs it started and runs it ended.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct ConversationClosed {
    pub started: Vec<i64>,
    pub exited: Vec<i64>,
}

/// A conversation opened: runs it started.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct ConversationOpened {
    pub started: Vec<i64>,
}

/// Who a contact's conversation is assigned to now.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct Assigned {
    pub contact_id: i64,
    pub assignee_id: Option<String>,
}

/// An agent's status now.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct AgentOnline {
    pub id: String,
    pub online: bool,
}

/// A shortcut an agent may press, with its form.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct Shortcut {
    pub workflow_id: String,
    pub label: String,
    pub form: Vec<FormField>,
}

/// A shortcut pressed: runs it started, workflows queued behind a run of theirs.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct ShortcutPressed {
    pub started: Vec<i64>,
    pub queued: Vec<String>,
}

/// Events stored: one entry per event sent, in order.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct EventsAccepted {
    pub accepted: Vec<EventAccepted>,
}

/// One event stored, or recognised as one stored before.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct EventAccepted {
    /// The sender's id was seen before; nothing was queued.
    pub duplicate: bool,
}

impl From<runtime::Accepted> for EventAccepted {
    fn from(a: runtime::Accepted) -> EventAccepted {
        EventAccepted { duplicate: a.duplicate }
    }
}

/// A signed webhook stored.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct WebhookAccepted {
    pub accepted: bool,
}

/// A simulator contact's message handled: the contact it came from.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct SimulatorSaid {
    pub contact_id: Option<i64>,
}

/// What a simulator contact sees of their conversation: their messages and those sent to them.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct SimulatorConversation {
    pub contact_id: i64,
    pub messages: Vec<TimelineLine>,
}

/// Who the caller is: token name, role, and the agent of an agent token.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct Me {
    pub name: String,
    pub role: runtime::tokens::Role,
    pub agent_id: Option<String>,
    pub agent: Option<Agent>,
}
