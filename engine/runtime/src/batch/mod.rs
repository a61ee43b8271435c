//! Moving runs. A [`Batch`] is one write transaction: it holds a queue of work (advance this
//! run, fire that trigger) and drains it, so a step that starts another workflow or tags a
//! contact (which triggers more flows) never recurses. Each advance asks the current step's
//! state machine for a transition, journals it, applies its effects and follows its port
//! until the run waits or ends. Rows are read and written through the batch's
//! [`Cache`], which writes everything back in bulk before the commit. A batch reads the
//! world outside its transaction through a [`BatchEnv`], so it runs without a server.
//!
//! - `env.rs` — [`BatchEnv`]: the registry, connections, settings, metrics and clock.
//! - `runs.rs` — starting, advancing and ending a run.
//! - `fire.rs` — which workflows a happening starts, and the settings that can say no.
//! - `loop_guard.rs` — workflows starting each other: the chain and its limits.
//! - `effects/` — a step's effects, one file per family (messages, contact, conversation,
//!   assignment, http, flow).
//! - `events/` — outside events, one file per family (messages, conversations, contacts,
//!   channels, starts).
//! - `conversations.rs` — opening and closing conversations: the one close.
//! - `outbound.rs` — queueing messages and HTTP calls in the outbox: the one queue-message.
//! - `channel_rules.rs` — the rules a message must pass before it is queued, and delivery
//!   statuses.

mod channel_rules;
mod conversations;
mod effects;
mod env;
mod events;
mod fire;
mod loop_guard;
mod outbound;
mod runs;

pub(crate) use channel_rules::OPTED_OUT;
pub(crate) use conversations::{Closing, Tell};
pub(crate) use env::BatchEnv;
pub(crate) use events::check_shortcut_form;
pub(crate) use fire::{Fire, Start};
pub(crate) use runs::{describe_wait, enter};

use crate::clock::to_millis;
use crate::events::Handled;
use crate::Error;
use crate::RunStatus;
use chrono::{DateTime, Datelike, Utc};
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use steps::machine::Input;
use store::cache::{Cache, MessageRow};
use store::outbox_payload::Unsent;
use store::records::{self, Contact, Run};
use store::Conn;

/// What the batch still has to do.
#[derive(Debug)]
pub(super) enum Work {
    /// Run a freshly started run from its first step.
    Start { run_id: i64 },
    /// Feed `input` to a waiting run, if it still waits as expected.
    Resume { run_id: i64, input: Input, expect: Expect },
    /// Start the workflows this happening triggers.
    Fire { fire: Fire, origin: Vec<String> },
}

/// The condition under which a resume still applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Expect {
    /// A reply for a run waiting on a reply.
    Reply,
    /// A timer set when the run's journal was at `token`.
    Timer { token: i64 },
    /// An effect's outcome, written when the run's journal was at `token`.
    Outcome { token: i64 },
    /// A question that could not be delivered, to a run still waiting for its answer.
    Undelivered { token: i64 },
    /// A free agent for a run in the assignment queue.
    Agent,
}

/// `system.*` in the workspace timezone, shared by steps and trigger conditions.
pub(super) fn system_vars(now: DateTime<Utc>, tz: chrono_tz::Tz) -> Value {
    let local = now.with_timezone(&tz);
    let weekday = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][local.weekday().num_days_from_monday() as usize];
    json!({
        "now": local.to_rfc3339(),
        "today": local.format("%Y-%m-%d").to_string(),
        "time": local.format("%H:%M").to_string(),
        "weekday": weekday,
        "timezone": tz.name(),
    })
}

/// Which of the outbox pool's lanes (`outbox_pool.rs`) a wake-up is about. A commit that queued rows says which lanes
/// it queued them in, so the pool claims only there; any other wake-up (a peer's news, leases
/// taken over, a retry recorded, a resend) is about every lane and the next retry's due time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct OutboxLanes(u8);

impl OutboxLanes {
    pub(crate) const NONE: OutboxLanes = OutboxLanes(0);
    pub(crate) const ALL: OutboxLanes = OutboxLanes(0b11);

    pub(crate) const MESSAGES: OutboxLanes = OutboxLanes(0b01);
    pub(crate) const HTTP: OutboxLanes = OutboxLanes(0b10);

    /// The lane of an outbox row of this kind (`message`, `http`).
    pub(crate) fn of_kind(kind: &str) -> OutboxLanes {
        match kind {
            "http" => Self::HTTP,
            _ => Self::MESSAGES,
        }
    }

    pub(crate) fn any(self) -> bool {
        self.0 != 0
    }

    pub(crate) fn bits(self) -> u8 {
        self.0
    }

    pub(crate) fn from_bits(bits: u8) -> OutboxLanes {
        OutboxLanes(bits & Self::ALL.0)
    }

    pub(crate) fn contains(self, other: OutboxLanes) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOrAssign for OutboxLanes {
    fn bitor_assign(&mut self, other: OutboxLanes) {
        self.0 |= other.0;
    }
}

/// A finished batch, waiting for its transaction to commit.
pub(super) struct Concluded {
    pub handled: Handled,
    pub wake_outbox: OutboxLanes,
    pub wake_timers: bool,
    pub changes: Vec<crate::LiveEvent>,
}

/// One write transaction's worth of work.
pub(super) struct Batch<'a> {
    pub env: BatchEnv<'a>,
    pub conn: &'a mut Conn,
    pub now: DateTime<Utc>,
    pub now_ms: i64,
    pub work: VecDeque<Work>,
    pub handled: Handled,
    pub wake_outbox: OutboxLanes,
    pub wake_timers: bool,
    /// Agents changed (assigned, freed): the assignment queue should be offered again.
    pub agents_changed: bool,
    /// Rows read and changed in this transaction, written back by [`Batch::finish`].
    pub cache: Cache,
    /// Test chats' clock offsets (ms) read in this batch, by contact (see [`Batch::now_for`]).
    pub clocks: HashMap<i64, i64>,
    /// Idempotency keys a retried run's next transition reuses, by run and effect index: an
    /// effect retried after its outcome was a failure (or unknown) keeps its original key
    /// (see [`Engine::retry`](super::Engine::retry)).
    pub reuse_keys: HashMap<(i64, usize), String>,
}

impl<'a> Batch<'a> {
    pub fn new(env: BatchEnv<'a>, conn: &'a mut Conn) -> Batch<'a> {
        let now = env.clock.now();
        Batch {
            env,
            conn,
            now,
            now_ms: to_millis(now),
            work: VecDeque::new(),
            handled: Handled::default(),
            wake_outbox: OutboxLanes::NONE,
            wake_timers: false,
            agents_changed: false,
            cache: Cache::default(),
            clocks: HashMap::new(),
            reuse_keys: HashMap::new(),
        }
    }

    /// How far the contact's clock is from the real time, in milliseconds: a test chat may
    /// pretend it is another time (`test_sessions.clock_offset_ms`); everyone else is at 0.
    pub async fn clock_offset(&mut self, contact: &Contact) -> Result<i64, Error> {
        if contact.test_workflow.is_none() {
            return Ok(0);
        }
        if let Some(&offset) = self.clocks.get(&contact.id) {
            return Ok(offset);
        }
        let offset = records::test_clock_offset(self.conn, contact.id).await?;
        self.clocks.insert(contact.id, offset);
        Ok(offset)
    }

    /// The time the contact's runs see (`StepContext::now`, `system.*`, trigger conditions).
    pub async fn now_for(&mut self, contact: &Contact) -> Result<DateTime<Utc>, Error> {
        let offset = self.clock_offset(contact).await?;
        Ok(self.now + chrono::Duration::milliseconds(offset))
    }

    /// Does all queued work, then writes every change back. Call it before committing.
    pub async fn finish(&mut self) -> Result<(), Error> {
        self.drain().await?;
        self.cache.flush(self.conn, self.now_ms).await.map_err(Error::from)
    }

    /// Finishes the batch and hands over what the commit must follow up on: what happened,
    /// which loops to wake and which changes to announce (see [`Engine::commit_concluded`]).
    pub async fn conclude(&mut self) -> Result<Concluded, Error> {
        self.finish().await?;
        Ok(Concluded {
            handled: std::mem::take(&mut self.handled),
            wake_outbox: self.wake_outbox,
            wake_timers: self.wake_timers,
            changes: self.cache.changes(),
        })
    }

    /// Does all queued work, including what the work itself queues.
    pub async fn drain(&mut self) -> Result<(), Error> {
        loop {
            if self.work.is_empty() && self.agents_changed {
                self.agents_changed = false;
                self.offer_queue().await?;
            }
            let Some(work) = self.work.pop_front() else { return Ok(()) };
            match work {
                Work::Start { run_id } => {
                    let mut run = self.cache.run(self.conn, run_id).await?;
                    // It may have ended before its first step (exited, cancelled) in this batch.
                    if run.status == RunStatus::Running {
                        self.advance(&mut run, None).await?;
                    }
                }
                Work::Resume { run_id, input, expect } => {
                    let mut run = self.cache.run(self.conn, run_id).await?;
                    if still_waiting(&run, expect) {
                        self.cache.clear_timer(run.id);
                        self.handled.resumed.push(run.id);
                        self.advance(&mut run, Some(input)).await?;
                    }
                }
                Work::Fire { fire, origin } => self.fire(fire, origin).await?,
            }
        }
    }

    /// An internal note or system line on the conversation (`kind`: note, notify, system).
    pub fn note(&mut self, contact_id: i64, conversation: Option<i64>, kind: &str, text: &str, run_id: i64) {
        self.cache.message(MessageRow {
            contact_id,
            conversation_id: conversation,
            direction: if kind == "system" { "system" } else { "note" },
            sender: format!("run:{run_id}"),
            text: Some(text.to_owned()),
            body: json!({"kind": kind}).to_string(),
            run_id: Some(run_id),
            status: "note",
            created_at: self.now_ms,
            ..MessageRow::default()
        });
    }
}

fn still_waiting(run: &Run, expect: Expect) -> bool {
    if run.status != RunStatus::Waiting {
        return false;
    }
    let kind = run.wait_kind.as_deref();
    match expect {
        Expect::Reply => kind == Some("reply"),
        Expect::Timer { token } => run.seq == token && run.due_at.is_some(),
        Expect::Outcome { token } => run.seq == token && kind == Some("effect"),
        Expect::Undelivered { token } => run.seq == token && kind == Some("reply"),
        Expect::Agent => kind == Some("agent"),
    }
}
