//! Shapes several answers share: a diagnostic and its position, a step's ports, a run's path,
//! why a run waits, a line of a conversation, an agent.

use super::present;
use super::Written;
use runtime::steps;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One problem found in a workflow file.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Diagnostic {
    /// A stable code (`yaml_syntax`, `unknown_step`, ...; the README lists them).
    pub code: String,
    pub severity: Severity,
    pub message: String,
    /// Where in the file; `null` only when the problem has no place (an empty file).
    pub pos: Option<Pos>,
    /// A JSON pointer to the offending value (`/steps/ask/options/3`).
    pub path: String,
    /// The step the problem belongs to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// A hint on how to fix it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl From<&steps::Diagnostic> for Diagnostic {
    fn from(d: &steps::Diagnostic) -> Diagnostic {
        Diagnostic {
            code: d.code.as_str().to_owned(),
            severity: d.severity.into(),
            message: d.message.clone(),
            pos: d.pos.map(Pos::from),
            path: d.path.clone(),
            step: d.step.clone(),
            help: d.help.clone(),
        }
    }
}

/// The diagnostics of a compile or a save, as answers carry them.
pub fn diagnostics(list: &[steps::Diagnostic]) -> Vec<Diagnostic> {
    list.iter().map(Diagnostic::from).collect()
}

/// How bad a diagnostic is: errors block publishing, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

impl From<steps::Severity> for Severity {
    fn from(s: steps::Severity) -> Severity {
        match s {
            steps::Severity::Error => Severity::Error,
            steps::Severity::Warning => Severity::Warning,
        }
    }
}

/// A position in a source file; both numbers start at 1, columns count characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = Written(&[]))]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

impl From<steps::Pos> for Pos {
    fn from(p: steps::Pos) -> Pos {
        Pos { line: p.line, col: p.col }
    }
}

/// A port of a configured step.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct PortSpec {
    /// The name edges use in `next:`.
    pub name: String,
    /// What the editor shows on the handle.
    pub label: String,
    /// Must an edge leave from it? (An unconnected optional port ends the run.)
    pub required: bool,
}

impl From<steps::kinds::PortSpec> for PortSpec {
    fn from(p: steps::kinds::PortSpec) -> PortSpec {
        PortSpec { name: p.name, label: p.label, required: p.required }
    }
}

/// A step a run went through and the port it left by.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = Written(&[]))]
pub struct PathStep {
    pub step: Option<String>,
    pub port: String,
}

/// A run's path, from the runtime's `path_of`.
pub fn path_of(journal: &[runtime::records::JournalEntry]) -> Result<Vec<PathStep>, crate::error::ApiError> {
    super::transcode(runtime::path_of(journal))
}

/// Why a run waits.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Waiting {
    /// `reply`, `timer`, `agent` or `effect`.
    pub kind: String,
    pub step: Option<String>,
    /// The same in words.
    pub reason: String,
    /// Since when (RFC 3339).
    pub since: Option<String>,
    /// When the wait gives up (RFC 3339).
    pub due_at: Option<String>,
    pub last_error: Option<String>,
    /// For `agent`: the assignment request (team, agent, online only); `null` otherwise.
    #[serde(default)]
    pub request: Value,
}

/// Who wrote a line of a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    In,
    Out,
    Note,
    System,
}

/// A button of a message, as sent.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = Written(&[]))]
pub struct QuickReply {
    pub title: String,
    pub payload: String,
}

/// A line of a conversation: a message (the contact's, a flow's, an agent's), an internal note
/// or a system line. Messages carry every field; the test chat's HTTP lines only `direction`,
/// `kind`, `sender`, `text`, `step` and `status`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = Written(&["id", "conversation_id", "channel", "quick_replies", "kind", "expects", "error", "at", "step"]))]
pub struct TimelineLine {
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<Option<i64>>,
    pub direction: Direction,
    pub sender: String,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub channel: Option<Option<String>>,
    pub text: Option<String>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub quick_replies: Option<Option<Vec<QuickReply>>>,
    /// What the message is (`http` for the test chat's HTTP lines).
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub kind: Option<Option<String>>,
    /// What answer the message waits for (`text`, `number`, `choice`, ...).
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub expects: Option<Option<String>>,
    /// The delivery status (`received`, `queued`, `sent`, `failed`, ...; `note` for notes).
    pub status: String,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub error: Option<Option<String>>,
    /// When (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// The HTTP step a test-chat line is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
}

/// An agent: teams, status and load.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct Agent {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub online: bool,
    /// How many open conversations the agent takes at most (`null`: no limit).
    pub max_open: Option<i64>,
    /// When the agent was last assigned a conversation (milliseconds since 1970; 0: never).
    pub last_assigned_at: i64,
    pub teams: Vec<String>,
    pub open_count: i64,
}

impl From<runtime::records::Agent> for Agent {
    fn from(a: runtime::records::Agent) -> Agent {
        Agent {
            id: a.id,
            name: a.name,
            email: a.email,
            online: a.online,
            max_open: a.max_open,
            last_assigned_at: a.last_assigned_at,
            teams: a.teams,
            open_count: a.open_count,
        }
    }
}
