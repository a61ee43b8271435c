//! Runs in the unit of work and the rows a transaction adds: journal entries, timers,
//! enrollments, messages, outbox rows, queued triggers, and what changed for live updates.

use super::ids::IdKind;
use super::{Cache, JournalRow, MessageRow, OutboxRow};
use crate::records::{self, Run};
use crate::Error;
use crate::{Backend, Conn};
use serde_json::Value;

impl Cache {
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
}
