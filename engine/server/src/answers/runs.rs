//! Answers about runs (the list, one run with its journal and path, cancels, retries) and
//! the editor's test chat (a session, its timeline and runs, its clock, what a turn did).

use super::common::{PathStep, TimelineLine, Waiting};
use super::inbox::ContactView;
use super::Written;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A run as the runs list shows it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct RunRow {
    pub id: i64,
    pub workflow_id: String,
    pub version: i64,
    pub contact_id: i64,
    pub status: runtime::RunStatus,
    pub step: Option<String>,
    /// What it waits for (`reply`, `timer`, `agent`, `effect`).
    pub waiting_for: Option<String>,
    pub due_at: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
}

impl From<runtime::RunRow> for RunRow {
    fn from(r: runtime::RunRow) -> RunRow {
        RunRow {
            id: r.id,
            workflow_id: r.workflow_id,
            version: r.version,
            contact_id: r.contact_id,
            status: r.status,
            step: r.step,
            waiting_for: r.waiting_for,
            due_at: r.due_at,
            last_error: r.last_error,
            created_at: r.created_at,
        }
    }
}

/// One run: where it stands, its variables and why it waits.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct RunInfo {
    pub id: i64,
    pub workflow_id: String,
    pub version: i64,
    pub contact_id: i64,
    pub status: runtime::RunStatus,
    pub step: Option<String>,
    pub vars: Value,
    pub last_error: Option<String>,
    #[schemars(with = "Option<Waiting>")]
    pub waiting: Option<Value>,
}

impl From<runtime::RunInfo> for RunInfo {
    fn from(r: runtime::RunInfo) -> RunInfo {
        RunInfo {
            id: r.id,
            workflow_id: r.workflow_id,
            version: r.version,
            contact_id: r.contact_id,
            status: r.status,
            step: r.step,
            vars: r.vars,
            last_error: r.last_error,
            waiting: r.waiting,
        }
    }
}

/// One entry of a run's journal.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct JournalEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub step: Option<String>,
    /// Which visit of the step (a run that jumped back visits it again).
    pub visit: Option<i64>,
    pub kind: String,
    pub data: Value,
}

impl From<runtime::records::JournalEntry> for JournalEntry {
    fn from(e: runtime::records::JournalEntry) -> JournalEntry {
        JournalEntry { seq: e.seq, at: e.at, step: e.step, visit: e.visit, kind: e.kind, data: e.data }
    }
}

/// A run with its journal and the path it took.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct RunDetail {
    pub run: RunInfo,
    pub journal: Vec<JournalEntry>,
    pub path: Vec<PathStep>,
}

/// How many runs were cancelled.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct Cancelled {
    pub cancelled: usize,
}

/// A message whose delivery was unknown, sent again.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct Resent {
    pub resent: i64,
}

/// A test chat just started.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct TestStarted {
    /// The session's id, which is its contact's id.
    pub session: i64,
    pub workflow_id: String,
    /// Runs the trigger started (empty when it did not match; `notes` say why).
    pub started: Vec<i64>,
    pub notes: Vec<String>,
}

impl From<runtime::TestStarted> for TestStarted {
    fn from(t: runtime::TestStarted) -> TestStarted {
        TestStarted { session: t.session, workflow_id: t.workflow_id, started: t.started, notes: t.notes }
    }
}

/// A test chat: its contact, timeline, runs with their paths, next timer and clock.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = Written(&[]))]
pub struct TestSession {
    pub session: i64,
    pub workflow_id: String,
    pub contact: ContactView,
    pub runs: Vec<TestRun>,
    pub timeline: Vec<TimelineLine>,
    /// When the next timer fires, on the session's clock (RFC 3339).
    pub next_timer: Option<String>,
    pub clock: TestClock,
}

/// A run of a test chat.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = Written(&[]))]
pub struct TestRun {
    pub id: i64,
    pub workflow_id: String,
    pub version: i64,
    pub status: runtime::RunStatus,
    pub step: Option<String>,
    pub waiting: Option<Waiting>,
    pub last_error: Option<String>,
    pub path: Vec<PathStep>,
    /// A run of the draft under test (not of a published version).
    pub test: bool,
}

/// A test session's clock: its time now and how far that is from the real time.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = Written(&[]))]
pub struct TestClock {
    pub session: i64,
    /// The session's time now (RFC 3339, UTC).
    pub now: String,
    /// How far it is from the real time, in milliseconds (0: the real time).
    pub offset_ms: i64,
}

impl From<runtime::TestClock> for TestClock {
    fn from(c: runtime::TestClock) -> TestClock {
        TestClock { session: c.session, now: c.now, offset_ms: c.offset_ms }
    }
}

/// What the tester's message did: runs started and resumed, and why the flow did not start.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct TestSaid {
    pub started: Vec<i64>,
    pub resumed: Vec<i64>,
    pub notes: Vec<String>,
}

/// What closing the test chat's conversation did.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct TestClosed {
    pub started: Vec<i64>,
    pub exited: Vec<i64>,
    pub notes: Vec<String>,
}

/// How many waiting timers fast-forwarding made due.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct FastForwarded {
    pub fired: usize,
}
