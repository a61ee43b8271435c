//! The unit of work of one write transaction. Rows are read into memory once (in bulk for
//! a batch of events), changed there, and written back in a handful of multi-row statements
//! just before the commit. With SQLite behind an async driver every statement is a round
//! trip to the database thread, so this is what makes group commit pay: a batch of a
//! thousand replies costs a dozen statements, not tens of thousands.
//!
//! Rules that keep the cache right:
//! - every read of a contact, conversation, run or agent goes through it;
//! - new rows get their ids here (`MAX(id) + 1` under SQLite's writer lock, sequences on
//!   PostgreSQL);
//! - a query that selects runs by a predicate over the whole table (the assignment queue,
//!   cancelling by workflow) flushes first, so the database is current when it is asked.
//!
//! The work is spread by concern: [`ids`] hands out ids and takes PostgreSQL's locks,
//! [`contacts`] reads contacts and what hangs off them, [`runs`] keeps runs and the rows they
//! add, [`flush`] writes everything back.

mod contacts;
mod flush;
mod ids;
mod runs;

use crate::records::{Agent, Contact, Conversation, Run};
use ids::NextIds;
use std::collections::{BTreeMap, HashMap, HashSet};
use steps::identifier::Identifier;

/// Rows per multi-row statement (kept well under SQLite's bound-parameter limit).
const CHUNK: usize = 400;

/// A journal entry waiting to be written.
#[derive(Debug, Clone)]
pub struct JournalRow {
    pub run_id: i64,
    pub seq: i64,
    pub at: i64,
    pub step: Option<String>,
    pub visit: i64,
    pub kind: &'static str,
    pub data: String,
}

/// A message (in, out, note or system line) waiting to be written.
#[derive(Debug, Clone, Default)]
pub struct MessageRow {
    pub contact_id: i64,
    pub conversation_id: Option<i64>,
    pub direction: &'static str,
    pub sender: String,
    pub channel: Option<String>,
    pub text: Option<String>,
    pub body: String,
    pub run_id: Option<i64>,
    pub idempotency_key: Option<String>,
    pub status: &'static str,
    pub error: Option<String>,
    pub created_at: i64,
}

/// An outbox row waiting to be written.
#[derive(Debug, Clone)]
pub struct OutboxRow {
    pub run_id: Option<i64>,
    pub contact_id: i64,
    pub kind: &'static str,
    pub idempotency_key: String,
    pub payload: String,
    /// 0: nobody waits; 1: the run waits for the outcome; 2: the run waits for a reply to
    /// this message, so only a failure to deliver it matters.
    pub awaited: i64,
    pub token: i64,
    pub created_at: i64,
}

/// An attribute by which a signed webhook may address a contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactKey {
    Phone,
    Email,
}

/// The rows one write transaction has read and changed, and the rows it adds.
#[derive(Debug, Default)]
pub struct Cache {
    contacts: HashMap<i64, Contact>,
    dirty_contacts: HashSet<i64>,
    addresses: HashMap<(String, String), Option<i64>>,
    new_addresses: Vec<(String, String, i64)>,
    /// Verified identifiers and the contact each belongs to (`None`: nobody's yet).
    identifiers: HashMap<Identifier, Option<i64>>,
    /// Identifiers verified in this transaction: identifier, contact, verifying channel, when.
    new_identifiers: Vec<(Identifier, i64, String, i64)>,
    /// The latest conversation of each contact we looked at (`None`: it has none).
    latest: HashMap<i64, Option<i64>>,
    conversations: HashMap<i64, Conversation>,
    dirty_conversations: HashSet<i64>,
    agents: Option<Vec<Agent>>,
    dirty_agents: HashSet<String>,
    runs: HashMap<i64, Run>,
    dirty_runs: HashSet<i64>,
    /// Contacts whose every active run is in `runs`.
    active_loaded: HashSet<i64>,
    enrolled: HashMap<(String, i64), bool>,
    new_enrollments: Vec<(String, i64)>,
    journal: Vec<JournalRow>,
    messages: Vec<MessageRow>,
    outbox: Vec<OutboxRow>,
    /// Run → `Some((due, token))` to set its timer, `None` to clear it.
    timers: BTreeMap<i64, Option<(i64, i64)>>,
    next_ids: NextIds,
    /// PostgreSQL: the contacts (and the agent roster, as [`ids::AGENTS_LOCK`]) this transaction
    /// holds the advisory lock of. Another process touching them waits until we commit.
    locked: HashSet<i64>,
    /// Whether any trigger is queued at all (`when_active: queue`); saves a query per run end.
    queued_triggers: Option<bool>,
    /// What the transaction changed, for live updates after the commit.
    changed_runs: HashSet<i64>,
    changed_contacts: HashSet<i64>,
}
