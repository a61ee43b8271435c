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

use crate::records::{self, Agent, Contact, Conversation, Run};
use crate::Error;
use crate::{Backend, Conn, Sql};
use serde_json::Value;
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
    /// PostgreSQL: the contacts (and the agent roster, as [`AGENTS_LOCK`]) this transaction
    /// holds the advisory lock of. Another process touching them waits until we commit.
    locked: HashSet<i64>,
    /// Whether any trigger is queued at all (`when_active: queue`); saves a query per run end.
    queued_triggers: Option<bool>,
    /// What the transaction changed, for live updates after the commit.
    changed_runs: HashSet<i64>,
    changed_contacts: HashSet<i64>,
}

/// The tables whose ids the cache hands out.
#[derive(Debug, Clone, Copy)]
enum IdKind {
    Contact,
    Conversation,
    Run,
}

impl IdKind {
    fn table(self) -> &'static str {
        match self {
            IdKind::Contact => "contacts",
            IdKind::Conversation => "conversations",
            IdKind::Run => "runs",
        }
    }
}

/// Ids not yet used, per kind (`contacts`, `conversations`, `runs`).
#[derive(Debug, Default)]
struct NextIds {
    /// SQLite: the next id of each kind (the writer lock makes `MAX(id) + 1` safe).
    next: Option<[i64; 3]>,
    /// PostgreSQL: ids drawn from each table's sequence in blocks, so processes sharing the
    /// database never hand out the same one.
    drawn: [Vec<i64>; 3],
}

/// The advisory lock key of the agent roster (assignment counters); contacts use their id.
const AGENTS_LOCK: i64 = -1;

/// Ids drawn from a PostgreSQL sequence at a time.
const ID_BLOCK: i64 = 32;

impl Cache {
    async fn next_id(&mut self, c: &mut Conn, kind: IdKind) -> Result<i64, Error> {
        let k = kind as usize;
        if Backend::of_conn(c) == Backend::Postgres {
            if self.next_ids.drawn[k].is_empty() {
                let mut ids: Vec<i64> =
                    sqlx::query_scalar("SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2)")
                        .bind(kind.table())
                        .bind(ID_BLOCK)
                        .fetch_all(&mut *c)
                        .await?;
                ids.reverse();
                self.next_ids.drawn[k] = ids;
            }
            return self.next_ids.drawn[k].pop().ok_or_else(|| Error::Refused("id allocation failed".into()));
        }
        if self.next_ids.next.is_none() {
            let (contact, conversation, run): (i64, i64, i64) = sqlx::query_as(
                "SELECT (SELECT COALESCE(MAX(id), 0) FROM contacts), (SELECT COALESCE(MAX(id), 0) FROM conversations),
                        (SELECT COALESCE(MAX(id), 0) FROM runs)",
            )
            .fetch_one(&mut *c)
            .await?;
            self.next_ids.next = Some([contact + 1, conversation + 1, run + 1]);
        }
        let next = self.next_ids.next.as_mut().ok_or_else(|| Error::Refused("id allocation failed".into()))?;
        let id = next[k];
        next[k] += 1;
        Ok(id)
    }

    /// PostgreSQL: takes the transaction's advisory lock of each key not held yet (a
    /// contact id, or [`AGENTS_LOCK`]), in key order. Every read of a contact's rows goes
    /// after its lock, so two processes never change one contact at once: the second waits
    /// for the first to commit and then reads what it wrote. A wait that closes a cycle is
    /// broken by PostgreSQL's deadlock detector and the transaction retried (see
    /// `Error::is_contention`). SQLite has one writer and needs none of this.
    async fn lock(&mut self, c: &mut Conn, keys: &[i64]) -> Result<(), Error> {
        if Backend::of_conn(c) != Backend::Postgres {
            return Ok(());
        }
        let mut todo: Vec<i64> = keys.iter().copied().filter(|k| !self.locked.contains(k)).collect();
        if todo.is_empty() {
            return Ok(());
        }
        todo.sort_unstable();
        todo.dedup();
        for chunk in todo.chunks(CHUNK) {
            let mut q = Sql::new(Backend::of_conn(c), "SELECT v.id, pg_advisory_xact_lock(v.id)::text FROM (VALUES ");
            let mut sep = q.separated(", ");
            for key in chunk {
                sep.push("(").push_bind_unseparated(*key).push_unseparated("::bigint)");
            }
            q.push(") AS v(id) ORDER BY v.id");
            let _: Vec<(i64, String)> = q.build_query_as().fetch_all(&mut *c).await?;
        }
        self.locked.extend(todo);
        Ok(())
    }

    // ---- contacts ----------------------------------------------------------------------

    /// Loads many contacts, their latest conversations and active runs in three statements.
    pub async fn prefetch(&mut self, c: &mut Conn, contact_ids: &[i64]) -> Result<(), Error> {
        let missing: Vec<i64> = contact_ids.iter().copied().filter(|id| !self.contacts.contains_key(id)).collect();
        for chunk in missing.chunks(CHUNK) {
            self.lock(c, chunk).await?;
            for contact in records::load_contacts(c, chunk).await? {
                self.contacts.insert(contact.id, contact);
            }
            for (contact_id, conversation) in records::latest_conversations(c, chunk).await? {
                self.latest.insert(contact_id, Some(conversation.id));
                self.conversations.insert(conversation.id, conversation);
            }
            for id in chunk {
                self.latest.entry(*id).or_insert(None);
            }
            for run in records::active_runs(c, chunk).await? {
                self.runs.entry(run.id).or_insert(run);
            }
            self.active_loaded.extend(chunk.iter().copied());
        }
        Ok(())
    }

    /// Resolves channel addresses to contact ids in bulk (unknown ones stay unknown).
    pub async fn prefetch_addresses(&mut self, c: &mut Conn, addresses: &[(String, String)]) -> Result<(), Error> {
        let missing: Vec<&(String, String)> = addresses.iter().filter(|a| !self.addresses.contains_key(*a)).collect();
        for chunk in missing.chunks(CHUNK) {
            let mut q = Sql::new(
                Backend::of_conn(c),
                "SELECT channel, address, contact_id FROM contact_addresses WHERE (channel, address) IN (",
            );
            let mut sep = q.separated(", ");
            for (channel, address) in chunk {
                sep.push("(")
                    .push_bind_unseparated(channel)
                    .push_unseparated(", ")
                    .push_bind_unseparated(address)
                    .push_unseparated(")");
            }
            q.push(")");
            let rows: Vec<(String, String, i64)> = q.build_query_as().fetch_all(&mut *c).await?;
            for a in chunk {
                self.addresses.insert((*a).clone(), None);
            }
            for (channel, address, id) in rows {
                self.addresses.insert((channel, address), Some(id));
            }
        }
        Ok(())
    }

    pub async fn address(&mut self, c: &mut Conn, channel: &str, address: &str) -> Result<Option<i64>, Error> {
        let key = (channel.to_owned(), address.to_owned());
        if let Some(found) = self.addresses.get(&key) {
            return Ok(*found);
        }
        let found: Option<i64> =
            sqlx::query_scalar("SELECT contact_id FROM contact_addresses WHERE channel = $1 AND address = $2")
                .bind(channel)
                .bind(address)
                .fetch_optional(&mut *c)
                .await?;
        self.addresses.insert(key, found);
        Ok(found)
    }

    pub fn add_address(&mut self, channel: &str, address: &str, contact_id: i64) {
        self.addresses.insert((channel.to_owned(), address.to_owned()), Some(contact_id));
        self.new_addresses.push((channel.to_owned(), address.to_owned(), contact_id));
    }

    /// Resolves verified identifiers to their contacts in bulk (unknown ones stay unknown), so
    /// a batch of channel messages costs one statement, not one per sender.
    pub async fn prefetch_identifiers(&mut self, c: &mut Conn, identifiers: &[Identifier]) -> Result<(), Error> {
        let missing: Vec<&Identifier> = identifiers.iter().filter(|i| !self.identifiers.contains_key(*i)).collect();
        for chunk in missing.chunks(CHUNK) {
            let mut q = Sql::new(
                Backend::of_conn(c),
                "SELECT kind, value, contact_id FROM contact_identifiers WHERE (kind, value) IN (",
            );
            let mut sep = q.separated(", ");
            for identifier in chunk {
                sep.push("(")
                    .push_bind_unseparated(identifier.kind())
                    .push_unseparated(", ")
                    .push_bind_unseparated(identifier.value().to_owned())
                    .push_unseparated(")");
            }
            q.push(")");
            let rows: Vec<(String, String, i64)> = q.build_query_as().fetch_all(&mut *c).await?;
            for identifier in chunk {
                self.identifiers.insert((*identifier).clone(), None);
            }
            for (kind, value, id) in rows {
                if let Some(identifier) = Identifier::stored(&kind, value) {
                    self.identifiers.insert(identifier, Some(id));
                }
            }
        }
        Ok(())
    }

    /// The contact a channel-verified identifier belongs to, if any.
    pub async fn identified(&mut self, c: &mut Conn, identifier: &Identifier) -> Result<Option<i64>, Error> {
        if let Some(found) = self.identifiers.get(identifier) {
            return Ok(*found);
        }
        let found = records::identified(c, identifier).await?;
        self.identifiers.insert(identifier.clone(), found);
        Ok(found)
    }

    /// Records that `channel` verified `identifier` for the contact. The first contact to
    /// hold an identifier keeps it (a later claim by another contact is ignored at flush).
    pub fn add_identifier(&mut self, identifier: &Identifier, contact_id: i64, channel: &str, now: i64) {
        self.identifiers.insert(identifier.clone(), Some(contact_id));
        self.new_identifiers.push((identifier.clone(), contact_id, channel.to_owned(), now));
    }

    /// A contact (loaded on first use).
    pub async fn contact(&mut self, c: &mut Conn, id: i64) -> Result<Contact, Error> {
        if let Some(contact) = self.contacts.get(&id) {
            return Ok(contact.clone());
        }
        self.lock(c, &[id]).await?;
        let contact =
            records::load_contacts(c, &[id]).await?.pop().ok_or_else(|| Error::NotFound(format!("contact {id}")))?;
        self.contacts.insert(id, contact.clone());
        Ok(contact)
    }

    /// Does the contact exist?
    pub async fn contact_exists(&mut self, c: &mut Conn, id: i64) -> Result<bool, Error> {
        match self.contact(c, id).await {
            Ok(_) => Ok(true),
            Err(Error::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Stores a changed contact.
    pub fn put_contact(&mut self, contact: Contact) {
        self.dirty_contacts.insert(contact.id);
        self.contacts.insert(contact.id, contact);
    }

    /// Creates a contact.
    pub async fn new_contact(&mut self, c: &mut Conn, mut contact: Contact) -> Result<i64, Error> {
        contact.id = self.next_id(c, IdKind::Contact).await?;
        let id = contact.id;
        self.latest.insert(id, None);
        self.active_loaded.insert(id);
        self.put_contact(contact);
        Ok(id)
    }

    /// Up to two (non-test) contacts whose `phone` or `email` attribute is `value`, oldest
    /// first: enough to tell "exactly this one" from "ambiguous".
    pub async fn contacts_with(&mut self, c: &mut Conn, key: ContactKey, value: &str) -> Result<Vec<i64>, Error> {
        let column = match key {
            ContactKey::Phone => "phone",
            ContactKey::Email => "email",
        };
        let holds = |contact: &Contact| contact.attrs.get(column).and_then(Value::as_str) == Some(value);
        // What this transaction changed wins over what is stored.
        let mut found: Vec<i64> =
            self.contacts.values().filter(|ct| ct.test_workflow.is_none() && holds(ct)).map(|ct| ct.id).collect();
        let sql = match key {
            ContactKey::Phone => {
                "SELECT id FROM contacts WHERE phone = $1 AND test_workflow IS NULL ORDER BY id LIMIT 3"
            }
            ContactKey::Email => {
                "SELECT id FROM contacts WHERE email = $1 AND test_workflow IS NULL ORDER BY id LIMIT 3"
            }
        };
        let stored: Vec<i64> = sqlx::query_scalar(sql).bind(value).fetch_all(&mut *c).await?;
        found.extend(stored.into_iter().filter(|id| self.contacts.get(id).is_none_or(holds)));
        found.sort_unstable();
        found.dedup();
        found.truncate(2);
        Ok(found)
    }

    // ---- conversations -----------------------------------------------------------------

    /// The contact's latest conversation, open or closed.
    pub async fn latest_conversation(&mut self, c: &mut Conn, contact_id: i64) -> Result<Option<Conversation>, Error> {
        if !self.latest.contains_key(&contact_id) {
            self.lock(c, &[contact_id]).await?;
        }
        if let std::collections::hash_map::Entry::Vacant(slot) = self.latest.entry(contact_id) {
            let latest = records::latest_conversations(c, &[contact_id]).await?.pop();
            slot.insert(latest.as_ref().map(|(_, conv)| conv.id));
            if let Some((_, conv)) = latest {
                self.conversations.insert(conv.id, conv);
            }
        }
        Ok(self.latest.get(&contact_id).copied().flatten().and_then(|id| self.conversations.get(&id).cloned()))
    }

    pub fn put_conversation(&mut self, conv: Conversation) {
        self.dirty_conversations.insert(conv.id);
        self.conversations.insert(conv.id, conv);
    }

    /// Opens a new conversation for the contact; `bot_run`: the run that owns it (see
    /// [`Conversation::bot_run`]).
    pub async fn new_conversation(
        &mut self,
        c: &mut Conn,
        contact_id: i64,
        channel: Option<&str>,
        opened_by: &str,
        bot_run: Option<i64>,
        now: i64,
    ) -> Result<Conversation, Error> {
        let id = self.next_id(c, IdKind::Conversation).await?;
        let conv = Conversation {
            id,
            contact_id,
            status: "open".into(),
            channel: channel.map(str::to_owned),
            assignee_id: None,
            team: None,
            priority: "normal".into(),
            opened_at: now,
            opened_by: opened_by.into(),
            closed_at: None,
            closing_category: None,
            closing_summary: None,
            closed_by: None,
            bot_run,
        };
        self.latest.insert(contact_id, Some(id));
        self.put_conversation(conv.clone());
        Ok(conv)
    }

    // ---- agents ------------------------------------------------------------------------

    /// Every agent, loaded once per transaction.
    pub async fn agents(&mut self, c: &mut Conn) -> Result<&mut Vec<Agent>, Error> {
        if self.agents.is_none() {
            self.lock(c, &[AGENTS_LOCK]).await?;
            self.agents = Some(records::load_agents(c).await?);
        }
        Ok(self.agents.get_or_insert_with(Vec::new))
    }

    pub async fn agent(&mut self, c: &mut Conn, id: &str) -> Result<Option<Agent>, Error> {
        Ok(self.agents(c).await?.iter().find(|a| a.id == id).cloned())
    }

    /// Records an assignment: the agent was assigned now and has one more open conversation.
    pub async fn assigned(&mut self, c: &mut Conn, agent_id: &str, now: i64) -> Result<(), Error> {
        if let Some(a) = self.agents(c).await?.iter_mut().find(|a| a.id == agent_id) {
            a.last_assigned_at = now;
            a.open_count += 1;
        }
        self.dirty_agents.insert(agent_id.to_owned());
        Ok(())
    }

    /// An agent's conversation was closed or taken away.
    pub async fn released(&mut self, c: &mut Conn, agent_id: &str) -> Result<(), Error> {
        if let Some(a) = self.agents(c).await?.iter_mut().find(|a| a.id == agent_id) {
            a.open_count = (a.open_count - 1).max(0);
        }
        Ok(())
    }

    // ---- runs --------------------------------------------------------------------------

    pub async fn run(&mut self, c: &mut Conn, id: i64) -> Result<Run, Error> {
        if let Some(run) = self.runs.get(&id) {
            return Ok(run.clone());
        }
        let mut run = records::load_run(c, id).await?;
        if !self.locked.contains(&run.contact_id) && Backend::of_conn(c) == Backend::Postgres {
            // Read again under the contact's lock: another process may have moved it.
            self.lock(c, &[run.contact_id]).await?;
            run = records::load_run(c, id).await?;
        }
        self.runs.insert(id, run.clone());
        Ok(run)
    }

    pub fn put_run(&mut self, run: Run) {
        self.dirty_runs.insert(run.id);
        self.changed_runs.insert(run.id);
        self.runs.insert(run.id, run);
    }

    /// Gives a new run its id and keeps it.
    pub async fn new_run(&mut self, c: &mut Conn, mut run: Run) -> Result<i64, Error> {
        run.id = self.next_id(c, IdKind::Run).await?;
        let id = run.id;
        self.put_run(run);
        Ok(id)
    }

    /// The contact's runs that are under way (running or waiting).
    pub async fn active_runs(&mut self, c: &mut Conn, contact_id: i64) -> Result<Vec<Run>, Error> {
        if !self.active_loaded.contains(&contact_id) {
            self.lock(c, &[contact_id]).await?;
            for run in records::active_runs(c, &[contact_id]).await? {
                self.runs.entry(run.id).or_insert(run);
            }
            self.active_loaded.insert(contact_id);
        }
        let mut runs: Vec<Run> =
            self.runs.values().filter(|r| r.contact_id == contact_id && r.status.is_under_way()).cloned().collect();
        runs.sort_by_key(|r| r.id);
        Ok(runs)
    }

    /// Appends a journal entry for `run`, advancing its sequence number.
    pub fn journal(&mut self, run: &mut Run, at: i64, kind: &'static str, data: &Value) {
        run.seq += 1;
        self.journal.push(JournalRow {
            run_id: run.id,
            seq: run.seq,
            at,
            step: run.step.clone(),
            visit: i64::from(run.visit),
            kind,
            data: data.to_string(),
        });
    }

    pub fn set_timer(&mut self, run_id: i64, due: i64, token: i64) {
        self.timers.insert(run_id, Some((due, token)));
    }

    pub fn clear_timer(&mut self, run_id: i64) {
        self.timers.insert(run_id, None);
    }

    pub async fn enrolled(&mut self, c: &mut Conn, workflow: &str, contact_id: i64) -> Result<bool, Error> {
        let key = (workflow.to_owned(), contact_id);
        if let Some(known) = self.enrolled.get(&key) {
            return Ok(*known);
        }
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM enrollments WHERE workflow_id = $1 AND contact_id = $2")
                .bind(workflow)
                .bind(contact_id)
                .fetch_optional(&mut *c)
                .await?;
        self.enrolled.insert(key, found.is_some());
        Ok(found.is_some())
    }

    pub fn enroll(&mut self, workflow: &str, contact_id: i64) {
        let key = (workflow.to_owned(), contact_id);
        if self.enrolled.get(&key) != Some(&true) {
            self.enrolled.insert(key.clone(), true);
            self.new_enrollments.push(key);
        }
    }

    pub fn message(&mut self, message: MessageRow) {
        self.changed_contacts.insert(message.contact_id);
        self.messages.push(message);
    }

    /// A contact's messages changed outside the cache (a delivery status): live views reload.
    pub fn changed_messages(&mut self, contact_id: i64) {
        self.changed_contacts.insert(contact_id);
    }

    pub fn outbox(&mut self, row: OutboxRow) {
        self.outbox.push(row);
    }

    /// Whether any trigger may be queued for this workflow and contact.
    pub async fn may_have_queued(&mut self, c: &mut Conn) -> Result<bool, Error> {
        if self.queued_triggers.is_none() {
            let any: Option<i64> =
                sqlx::query_scalar("SELECT 1 FROM queued_triggers LIMIT 1").fetch_optional(&mut *c).await?;
            self.queued_triggers = Some(any.is_some());
        }
        Ok(self.queued_triggers == Some(true))
    }

    /// A trigger was just queued.
    pub fn queued(&mut self) {
        self.queued_triggers = Some(true);
    }

    /// The runs (with their status, step and contact) and the contacts with new messages
    /// that this transaction changed, for live updates once it has committed.
    pub fn changes(&mut self) -> Vec<crate::LiveEvent> {
        let mut out: Vec<crate::LiveEvent> = std::mem::take(&mut self.changed_runs)
            .into_iter()
            .filter_map(|id| self.runs.get(&id))
            .map(|r| crate::LiveEvent::Run {
                run_id: r.id,
                workflow_id: r.workflow_id.clone(),
                contact_id: r.contact_id,
                status: r.status.as_str().to_owned(),
                step: r.step.clone(),
            })
            .collect();
        out.extend(
            std::mem::take(&mut self.changed_contacts)
                .into_iter()
                .map(|contact_id| crate::LiveEvent::Messages { contact_id }),
        );
        out
    }

    // ---- writing back ------------------------------------------------------------------

    /// Writes every change, in a few multi-row statements.
    pub async fn flush(&mut self, c: &mut Conn, now: i64) -> Result<(), Error> {
        let backend = Backend::of_conn(c);
        let contacts: Vec<&Contact> = self.dirty_contacts.iter().filter_map(|id| self.contacts.get(id)).collect();
        for chunk in contacts.chunks(CHUNK) {
            let mut q = Sql::new(backend,
                "INSERT INTO contacts (id, name, first_name, last_name, email, phone, country, language, lifecycle, last_channel,
                    last_inbound_at, opted_out, fields, tags, channels, created_at, updated_at, test_workflow) ",
            );
            q.push_values(chunk.iter(), |mut b, ct| {
                b.push_bind(ct.id);
                for col in records::CONTACT_COLUMNS {
                    b.push_bind(records::text_attr(&ct.attrs, col));
                }
                b.push_bind(ct.last_channel.clone())
                    .push_bind(ct.last_inbound_at)
                    .push_bind(i64::from(ct.opted_out))
                    .push_bind(Value::Object(ct.fields.clone()).to_string())
                    .push_bind(serde_json::json!(ct.tags).to_string())
                    .push_bind(serde_json::to_string(&ct.channels).unwrap_or_else(|_| "{}".into()))
                    .push_bind(ct.created_at)
                    .push_bind(now)
                    .push_bind(ct.test_workflow.clone());
            });
            q.push(
                " ON CONFLICT (id) DO UPDATE SET name = excluded.name, first_name = excluded.first_name,
                    last_name = excluded.last_name, email = excluded.email, phone = excluded.phone, country = excluded.country,
                    language = excluded.language, lifecycle = excluded.lifecycle, last_channel = excluded.last_channel,
                    last_inbound_at = excluded.last_inbound_at, opted_out = excluded.opted_out, fields = excluded.fields,
                    tags = excluded.tags, channels = excluded.channels, updated_at = excluded.updated_at",
            );
            q.build().execute(&mut *c).await?;
        }
        self.dirty_contacts.clear();

        for chunk in self.new_addresses.chunks(CHUNK) {
            let mut q = Sql::new(backend, "INSERT INTO contact_addresses (channel, address, contact_id) ");
            q.push_values(chunk.iter(), |mut b, (channel, address, id)| {
                b.push_bind(channel.clone()).push_bind(address.clone()).push_bind(*id);
            });
            q.push(" ON CONFLICT DO NOTHING");
            q.build().execute(&mut *c).await?;
        }
        self.new_addresses.clear();

        for chunk in self.new_identifiers.chunks(CHUNK) {
            let mut q =
                Sql::new(backend, "INSERT INTO contact_identifiers (kind, value, contact_id, channel, verified_at) ");
            q.push_values(chunk.iter(), |mut b, (identifier, id, channel, at)| {
                b.push_bind(identifier.kind())
                    .push_bind(identifier.value().to_owned())
                    .push_bind(*id)
                    .push_bind(channel.clone())
                    .push_bind(*at);
            });
            q.push(" ON CONFLICT DO NOTHING");
            q.build().execute(&mut *c).await?;
        }
        self.new_identifiers.clear();

        let conversations: Vec<&Conversation> =
            self.dirty_conversations.iter().filter_map(|id| self.conversations.get(id)).collect();
        for chunk in conversations.chunks(CHUNK) {
            let mut q = Sql::new(backend,
                "INSERT INTO conversations (id, contact_id, status, channel, assignee_id, team, priority, opened_at, opened_by,
                    closed_at, closing_category, closing_summary, closed_by, bot_run_id) ",
            );
            q.push_values(chunk.iter(), |mut b, v| {
                b.push_bind(v.id)
                    .push_bind(v.contact_id)
                    .push_bind(v.status.clone())
                    .push_bind(v.channel.clone())
                    .push_bind(v.assignee_id.clone())
                    .push_bind(v.team.clone())
                    .push_bind(v.priority.clone())
                    .push_bind(v.opened_at)
                    .push_bind(v.opened_by.clone())
                    .push_bind(v.closed_at)
                    .push_bind(v.closing_category.clone())
                    .push_bind(v.closing_summary.clone())
                    .push_bind(v.closed_by.clone())
                    .push_bind(v.bot_run);
            });
            q.push(
                " ON CONFLICT (id) DO UPDATE SET status = excluded.status, channel = excluded.channel,
                    assignee_id = excluded.assignee_id, team = excluded.team, priority = excluded.priority,
                    closed_at = excluded.closed_at, closing_category = excluded.closing_category,
                    closing_summary = excluded.closing_summary, closed_by = excluded.closed_by,
                    bot_run_id = excluded.bot_run_id",
            );
            q.build().execute(&mut *c).await?;
        }
        self.dirty_conversations.clear();

        for id in self.dirty_agents.drain() {
            let last = self.agents.as_ref().and_then(|a| a.iter().find(|a| a.id == id)).map(|a| a.last_assigned_at);
            if let Some(last) = last {
                sqlx::query("UPDATE agents SET last_assigned_at = $1 WHERE id = $2")
                    .bind(last)
                    .bind(&id)
                    .execute(&mut *c)
                    .await?;
            }
        }

        let runs: Vec<&Run> = self.dirty_runs.iter().filter_map(|id| self.runs.get(id)).collect();
        for chunk in runs.chunks(CHUNK) {
            let mut q = Sql::new(backend,
                "INSERT INTO runs (id, workflow_id, version, contact_id, status, step, visit, visits, state, wait_kind, wait_data,
                    waiting_since, due_at, vars, seq, origin, last_error, created_at, updated_at, ended_at) ",
            );
            q.push_values(chunk.iter(), |mut b, r| {
                b.push_bind(r.id)
                    .push_bind(r.workflow_id.clone())
                    .push_bind(r.version)
                    .push_bind(r.contact_id)
                    .push_bind(r.status.as_str())
                    .push_bind(r.step.clone())
                    .push_bind(i64::from(r.visit))
                    .push_bind(serde_json::json!(r.visits).to_string())
                    .push_bind(if r.state.is_null() { None } else { Some(r.state.to_string()) })
                    .push_bind(r.wait_kind.clone())
                    .push_bind(if r.wait_data.is_null() { None } else { Some(r.wait_data.to_string()) })
                    .push_bind(r.waiting_since)
                    .push_bind(r.due_at)
                    .push_bind(r.vars.to_string())
                    .push_bind(r.seq)
                    .push_bind(serde_json::json!(r.origin).to_string())
                    .push_bind(r.last_error.clone())
                    .push_bind(r.created_at)
                    .push_bind(now)
                    .push_bind(r.ended_at);
            });
            q.push(
                " ON CONFLICT (id) DO UPDATE SET status = excluded.status, step = excluded.step, visit = excluded.visit,
                    visits = excluded.visits, state = excluded.state, wait_kind = excluded.wait_kind,
                    wait_data = excluded.wait_data, waiting_since = excluded.waiting_since, due_at = excluded.due_at,
                    vars = excluded.vars, seq = excluded.seq, last_error = excluded.last_error,
                    updated_at = excluded.updated_at, ended_at = excluded.ended_at",
            );
            q.build().execute(&mut *c).await?;
        }
        self.dirty_runs.clear();

        for chunk in self.journal.chunks(CHUNK) {
            let mut q = Sql::new(backend, "INSERT INTO run_journal (run_id, seq, at, step, visit, kind, data) ");
            q.push_values(chunk.iter(), |mut b, j| {
                b.push_bind(j.run_id)
                    .push_bind(j.seq)
                    .push_bind(j.at)
                    .push_bind(j.step.clone())
                    .push_bind(j.visit)
                    .push_bind(j.kind)
                    .push_bind(j.data.clone());
            });
            q.build().execute(&mut *c).await?;
        }
        self.journal.clear();

        for chunk in self.messages.chunks(CHUNK) {
            let mut q = Sql::new(
                backend,
                "INSERT INTO messages (contact_id, conversation_id, direction, sender, channel, text, body, run_id,
                    idempotency_key, status, error, created_at) ",
            );
            q.push_values(chunk.iter(), |mut b, m| {
                b.push_bind(m.contact_id)
                    .push_bind(m.conversation_id)
                    .push_bind(m.direction)
                    .push_bind(m.sender.clone())
                    .push_bind(m.channel.clone())
                    .push_bind(m.text.clone())
                    .push_bind(m.body.clone())
                    .push_bind(m.run_id)
                    .push_bind(m.idempotency_key.clone())
                    .push_bind(m.status)
                    .push_bind(m.error.clone())
                    .push_bind(m.created_at);
            });
            q.build().execute(&mut *c).await?;
        }
        self.messages.clear();

        for chunk in self.outbox.chunks(CHUNK) {
            let mut q = Sql::new(backend,
                "INSERT INTO outbox (run_id, contact_id, kind, idempotency_key, payload, awaited, token, status, next_attempt_at,
                    created_at) ",
            );
            q.push_values(chunk.iter(), |mut b, o| {
                b.push_bind(o.run_id)
                    .push_bind(o.contact_id)
                    .push_bind(o.kind)
                    .push_bind(o.idempotency_key.clone())
                    .push_bind(o.payload.clone())
                    .push_bind(o.awaited)
                    .push_bind(o.token)
                    .push_bind("pending")
                    .push_bind(o.created_at)
                    .push_bind(o.created_at);
            });
            q.build().execute(&mut *c).await?;
        }
        self.outbox.clear();

        let (set, clear): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.timers).into_iter().partition(|(_, t)| t.is_some());
        for chunk in clear.chunks(CHUNK) {
            let mut q = Sql::new(backend, "DELETE FROM timers WHERE run_id IN (");
            let mut sep = q.separated(", ");
            for (id, _) in chunk {
                sep.push_bind(*id);
            }
            q.push(")");
            q.build().execute(&mut *c).await?;
        }
        let set: Vec<(i64, i64, i64)> =
            set.into_iter().filter_map(|(id, t)| t.map(|(due, token)| (id, due, token))).collect();
        for chunk in set.chunks(CHUNK) {
            let mut q = Sql::new(backend, "INSERT INTO timers (run_id, due_at, token) ");
            q.push_values(chunk.iter(), |mut b, (id, due, token)| {
                b.push_bind(*id).push_bind(*due).push_bind(*token);
            });
            q.push(" ON CONFLICT (run_id) DO UPDATE SET due_at = excluded.due_at, token = excluded.token");
            q.build().execute(&mut *c).await?;
        }

        for chunk in self.new_enrollments.chunks(CHUNK) {
            let mut q = Sql::new(backend, "INSERT INTO enrollments (workflow_id, contact_id) ");
            q.push_values(chunk.iter(), |mut b, (w, id)| {
                b.push_bind(w.clone()).push_bind(*id);
            });
            q.push(" ON CONFLICT DO NOTHING");
            q.build().execute(&mut *c).await?;
        }
        self.new_enrollments.clear();
        Ok(())
    }
}
