//! Moving runs. A [`Batch`] is one write transaction: it holds a queue of work (advance this
//! run, fire that trigger) and drains it, so a step that starts another workflow or tags a
//! contact (which triggers more flows) never recurses. Each advance asks the current step's
//! state machine for a transition, journals it, applies its effects and follows its port
//! until the run waits or ends. Rows are read and written through the batch's
//! [`Cache`], which writes everything back in bulk before the commit.

use super::events::Handled;
use super::triggers::{Fire, Start};
use super::{assign, Engine, Error, OptOutKeywords, ReplyToClosed};
use crate::clock::{from_millis, to_millis, Clock};
use crate::connections::Connections;
use crate::metrics::Metrics;
use crate::registry::Registry;
use chrono::{DateTime, Datelike, Utc};
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use steps::machine::{AgentRef, Effect, Input, Next, Outcome, StepContext, Wait};
use steps::trigger::ExitCondition;
use steps::CompiledWorkflow;
use store::cache::{Cache, MessageRow, OutboxRow};
use store::records::{self, Agent, Contact, Conversation, Run};
use store::Conn;

/// The most transitions one advance may make without waiting; jumps are bounded, so only a
/// pathological workflow gets near it, and it fails instead of spinning.
const MAX_TRANSITIONS: usize = 10_000;
/// The longest chain of workflows starting each other through their effects.
pub(super) const MAX_ORIGIN_DEPTH: usize = 8;

/// Why the loop guard keeps a workflow from starting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LoopGuard {
    /// The workflow is already part of the chain: its own actions triggered it.
    SelfTrigger,
    /// The chain of workflows starting each other reached [`MAX_ORIGIN_DEPTH`].
    ChainLength,
}

impl LoopGuard {
    /// Whether the loop guard refuses to start `workflow` from `chain` (the workflows whose
    /// actions led here, first to last), and why.
    pub(super) fn check(workflow: &str, chain: &[String]) -> Option<LoopGuard> {
        if chain.iter().any(|w| w == workflow) {
            Some(LoopGuard::SelfTrigger)
        } else if chain.len() >= MAX_ORIGIN_DEPTH {
            Some(LoopGuard::ChainLength)
        } else {
            None
        }
    }

    /// The metric's `reason` label.
    pub(super) fn label(self) -> &'static str {
        match self {
            LoopGuard::SelfTrigger => "self_trigger",
            LoopGuard::ChainLength => "chain_length_limit",
        }
    }

    /// A sentence for the contact's history and the log.
    pub(super) fn describe(self, workflow: &str, chain: &[String]) -> String {
        let path = chain.join(" → ");
        match self {
            LoopGuard::SelfTrigger => {
                format!("Loop guard: `{workflow}` was not started: its own actions triggered it ({path} → {workflow}).")
            }
            LoopGuard::ChainLength => format!(
                "Loop guard: `{workflow}` was not started: chain length limit ({} workflows already started \
                 each other: {path}).",
                chain.len()
            ),
        }
    }
}

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

/// Who a conversation a workflow opens belongs to, and what an effect does to one that is
/// already open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opens {
    /// A message's: the run owns a conversation it opens (out of the inbox, closed when the
    /// run ends); an open one is used as it is.
    BotOwned,
    /// Setting a priority: an ordinary conversation; an open one is used as it is.
    Ordinary,
    /// Asking for people (assign, escalate, open_conversation): an ordinary conversation,
    /// and an open bot-owned one is handed over to people.
    ForPeople,
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

/// What a step waits for after a transition, as the outbox needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Awaits {
    Nothing,
    /// The outcome of the effect (an awaited message, an HTTP call).
    Outcome,
    /// A reply to the message just sent: only a failure to deliver it concerns the run.
    FailureOnly,
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

/// A finished batch, waiting for its transaction to commit.
pub(super) struct Concluded {
    pub handled: Handled,
    pub wake_outbox: bool,
    pub wake_timers: bool,
    pub changes: Vec<super::LiveEvent>,
}

/// Everything a batch reads besides its transaction: the compiled workflows, the channel
/// connections, the workspace's settings, the metrics and the clock. A server hands out its
/// own ([`Engine::batch_env`]); anything else (a simulator, a test) can build one, so a
/// batch is driven without a server.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BatchEnv<'a> {
    /// Compiled workflow versions and the live set.
    pub registry: &'a Registry,
    /// The connected channel accounts (their rules decide how a message goes out).
    pub connections: &'a Connections,
    /// The workspace timezone (`system.*`, business hours).
    pub timezone: chrono_tz::Tz,
    /// The words that opt a contact out and back in.
    pub opt_out: &'a OptOutKeywords,
    /// What an agent's reply to a closed conversation does.
    pub reply_to_closed: ReplyToClosed,
    /// Step timings, transitions and loop-guard counts.
    pub metrics: &'a Metrics,
    /// Where the batch's `now` comes from.
    pub clock: &'a dyn Clock,
    /// The database kind, for statements built at run time.
    pub backend: store::Backend,
}

impl Engine {
    /// The environment this engine's batches run in.
    pub(crate) fn batch_env(&self) -> BatchEnv<'_> {
        let inner = &*self.inner;
        BatchEnv {
            registry: &inner.registry,
            connections: &inner.connections,
            timezone: inner.timezone,
            opt_out: &inner.opt_out,
            reply_to_closed: inner.reply_to_closed,
            metrics: &inner.metrics,
            clock: &*inner.clock,
            backend: inner.backend,
        }
    }
}

/// One write transaction's worth of work.
pub(super) struct Batch<'a> {
    pub env: BatchEnv<'a>,
    pub conn: &'a mut Conn,
    pub now: DateTime<Utc>,
    pub now_ms: i64,
    pub work: VecDeque<Work>,
    pub handled: Handled,
    pub wake_outbox: bool,
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

/// Whose queued messages [`Batch::drop_queued_messages`] drops.
#[derive(Debug, Clone, Copy)]
pub(super) enum Queued {
    OfRun(i64),
    OfContact(i64),
}

/// The world a run sees while it advances, loaded once and written through the cache.
struct Env {
    contact: Contact,
    conversation: Option<Conversation>,
    assignee: Option<Agent>,
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
            wake_outbox: false,
            wake_timers: false,
            agents_changed: false,
            cache: Cache::default(),
            clocks: HashMap::new(),
            reuse_keys: HashMap::new(),
        }
    }

    /// The idempotency key of effect `index` of the run's current transition: derived from
    /// the run, step, visit, journal position and index, unless a retry carries it over.
    fn effect_key(&mut self, run: &Run, step: &str, index: usize) -> String {
        self.reuse_keys
            .remove(&(run.id, index))
            .unwrap_or_else(|| format!("{}:{}:{}:{}:{}", run.id, step, run.visit, run.seq, index))
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
                    if run.status == "running" {
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

    /// Creates a run and queues its first step.
    pub async fn start_run(
        &mut self,
        workflow_id: &str,
        version: i64,
        wf: &CompiledWorkflow,
        contact_id: i64,
        trigger: Value,
        origin: Vec<String>,
    ) -> Result<i64, Error> {
        let mut run = Run {
            id: 0,
            workflow_id: workflow_id.to_owned(),
            version,
            contact_id,
            status: "running".into(),
            step: None,
            visit: 0,
            visits: Default::default(),
            state: Value::Null,
            wait_kind: None,
            wait_data: Value::Null,
            waiting_since: None,
            due_at: None,
            vars: json!({"trigger": trigger, "steps": {}}),
            seq: 0,
            origin,
            last_error: None,
            created_at: self.now_ms,
            ended_at: None,
        };
        run.id = self.cache.new_run(self.conn, run.clone()).await?;
        self.cache.enroll(workflow_id, contact_id);
        let data = json!({"workflow": workflow_id, "version": version, "trigger": run.vars["trigger"]});
        self.cache.journal(&mut run, self.now_ms, "start", &data);
        match &wf.start {
            Some(first) => {
                enter(&mut run, first);
                self.cache.put_run(run.clone());
                self.work.push_back(Work::Start { run_id: run.id });
            }
            None => self.end(&mut run, "completed", None).await?,
        }
        self.handled.started.push(run.id);
        Ok(run.id)
    }

    async fn env(&mut self, contact_id: i64) -> Result<Env, Error> {
        let contact = self.cache.contact(self.conn, contact_id).await?;
        let conversation = self.cache.latest_conversation(self.conn, contact_id).await?;
        let assignee = match conversation.as_ref().and_then(|c| c.assignee_id.clone()) {
            Some(id) => self.cache.agent(self.conn, &id).await?,
            None => None,
        };
        Ok(Env { contact, conversation, assignee })
    }

    fn vars(&self, run: &Run, env: &Env, now: DateTime<Utc>) -> Value {
        json!({
            "contact": env.contact.to_vars(),
            "conversation": env.conversation.as_ref().map(Conversation::to_vars),
            "assignee": env.assignee.as_ref().map(Agent::to_vars),
            "trigger": run.vars.get("trigger").cloned().unwrap_or(Value::Null),
            "steps": run.vars.get("steps").cloned().unwrap_or_else(|| json!({})),
            "system": system_vars(now, self.env.timezone),
        })
    }

    /// Moves `run` until it waits or ends. `input` resumes the current step; `None` enters it.
    #[tracing::instrument(level = "debug", name = "run", skip_all, fields(run = run.id, workflow = %run.workflow_id, version = run.version))]
    async fn advance(&mut self, run: &mut Run, mut input: Option<Input>) -> Result<(), Error> {
        let wf = self.env.registry.get(self.conn, &run.workflow_id, run.version).await?;
        let mut env = self.env(run.contact_id).await?;
        // A test chat's runs live on its clock; its timers are kept in real time (below, in
        // `wait`) so the timer loop fires them when that clock reaches them.
        let offset = self.clock_offset(&env.contact).await?;
        let now = self.now + chrono::Duration::milliseconds(offset);
        run.status = "running".into();
        for _ in 0..MAX_TRANSITIONS {
            let Some(step_id) = run.step.clone() else {
                return self.end(run, "completed", None).await;
            };
            let Some(step) = wf.step(&step_id) else {
                return self
                    .end(run, "failed", Some(format!("step `{step_id}` is not in version {}", run.version)))
                    .await;
            };
            let vars = self.vars(run, &env, now);
            let ctx = StepContext {
                step_id: &step_id,
                now,
                timezone: self.env.timezone,
                vars: &vars,
                connected: &step.connected,
                visit: run.visit,
            };
            let behaviour = step.config.behaviour();
            let started = std::time::Instant::now();
            // All of a step's expressions share one time budget, so no step holds the
            // engine (and every other contact) for long.
            let transition = steps::expr::within_budget(steps::expr::limits::MAX_STEP_TIME, || match &input {
                None => behaviour.start(&ctx),
                Some(i) => behaviour.resume(&run.state, i, &ctx),
            });
            tracing::debug!(
                run = run.id, workflow = %run.workflow_id, step = %step_id, visit = run.visit,
                kind = step.config.info().name, next = ?transition.next, "step"
            );
            let entry = json!({"input": input, "effects": transition.effects, "next": transition.next});
            self.cache.journal(run, self.now_ms, "transition", &entry);
            input = None;
            let awaits = match &transition.next {
                Next::Wait { wait: Wait::Outcome, .. } => Awaits::Outcome,
                Next::Wait { wait: Wait::Reply { .. }, .. } => Awaits::FailureOnly,
                _ => Awaits::Nothing,
            };
            let mut outcome = None;
            for (i, effect) in transition.effects.iter().enumerate() {
                if let Some(o) = self.apply(run, &mut env, effect, i, awaits).await? {
                    outcome = Some(o);
                }
            }
            // Carried-over keys are for the retried transition only.
            if !self.reuse_keys.is_empty() {
                self.reuse_keys.retain(|(id, _), _| *id != run.id);
            }
            let metrics = &self.env.metrics;
            metrics.step_seconds.observe(started.elapsed().as_secs_f64());
            metrics.transitions.inc();
            // A message the channel rules refused, from a step that does not wait for its
            // outcome: the run stops there with the reason rather than going on as if it
            // had been sent.
            if let (Next::Port { .. }, Some(Outcome::SendFailed { reason })) = (&transition.next, &outcome) {
                // An opted-out contact is not an error of the flow: the run exits.
                let status = if reason == super::channel_rules::OPTED_OUT { "exited" } else { "failed" };
                let reason = format!("step `{step_id}`: message not sent: {reason}");
                return self.end(run, status, Some(reason)).await;
            }
            match transition.next {
                Next::Port { port } => {
                    run.state = Value::Null;
                    match step.edges.get(&port) {
                        Some(next) => enter(run, next),
                        None => return self.end(run, "completed", None).await,
                    }
                }
                Next::Wait { wait, state } => {
                    run.state = state;
                    // An effect we performed here (an assignment) already has its outcome.
                    if let (Wait::Outcome, Some(o)) = (&wait, outcome.clone()) {
                        input = Some(Input::Outcome { outcome: o });
                        continue;
                    }
                    // A question refused before it was sent: waiting for its answer would
                    // wait forever.
                    if let (Wait::Reply { .. }, Some(o @ Outcome::SendFailed { .. })) = (&wait, outcome) {
                        input = Some(Input::Outcome { outcome: o });
                        continue;
                    }
                    self.wait(run, &wait, offset);
                    return Ok(());
                }
                Next::Fail { reason } => return self.end(run, "failed", Some(reason)).await,
            }
        }
        self.end(run, "failed", Some(format!("more than {MAX_TRANSITIONS} steps without waiting"))).await
    }

    /// Parks `run`; a due time the step gave on the contact's clock (`offset` ms from the
    /// real time) is stored in real time.
    fn wait(&mut self, run: &mut Run, wait: &Wait, offset: i64) {
        run.status = "waiting".into();
        run.wait_kind = Some(wait.kind().to_owned());
        run.waiting_since = Some(self.now_ms);
        let due = wait.due().map(|d| to_millis(d).saturating_sub(offset));
        run.due_at = due;
        if wait.kind() != "agent" {
            run.wait_data = Value::Null;
        }
        if let Some(due) = due {
            self.cache.set_timer(run.id, due, run.seq);
            self.wake_timers = true;
        }
        self.cache.put_run(run.clone());
    }

    /// Ends a run: completed, failed (with the reason), cancelled or exited.
    pub async fn end(&mut self, run: &mut Run, status: &str, reason: Option<String>) -> Result<(), Error> {
        run.status = status.into();
        run.wait_kind = None;
        run.wait_data = Value::Null;
        run.due_at = None;
        run.waiting_since = None;
        run.state = Value::Null;
        run.ended_at = Some(self.now_ms);
        if reason.is_some() {
            run.last_error = reason.clone();
        }
        self.cache.journal(run, self.now_ms, "end", &json!({"status": status, "reason": reason}));
        self.cache.put_run(run.clone());
        self.cache.clear_timer(run.id);
        if status == "failed" {
            tracing::warn!(run = run.id, workflow = %run.workflow_id, reason = reason.as_deref().unwrap_or(""), "run failed");
        }
        if matches!(status, "cancelled" | "exited") {
            // Messages this run queued but that have not gone out yet stay unsent: an operator
            // stopped it, or the contact left it (an agent took over, the contact opted out).
            self.drop_queued_messages(Queued::OfRun(run.id), &format!("not sent: the run was {status}")).await?;
        }
        self.close_bot_conversation(run).await?;
        // An operator's cancel does not start what was queued behind the run.
        if status != "cancelled" && self.cache.may_have_queued(self.conn).await? {
            self.start_queued(&run.workflow_id, run.contact_id).await?;
        }
        Ok(())
    }

    /// Closes the conversation `run` owns (its message opened it and no person has been
    /// involved since), whatever way the run ended: otherwise a survey or a broadcast would
    /// leave an open conversation nobody is meant to answer. The close is bookkeeping, not a
    /// conversation ending: it fires no `conversation_closed` trigger and ends no run that
    /// exits on it, so a CSAT never surveys a survey and no other flow reacts to it.
    async fn close_bot_conversation(&mut self, run: &Run) -> Result<(), Error> {
        let Some(mut conv) = self.cache.latest_conversation(self.conn, run.contact_id).await? else {
            return Ok(());
        };
        if conv.status != "open" || conv.bot_run != Some(run.id) {
            return Ok(());
        }
        conv.status = "closed".into();
        conv.closed_at = Some(self.now_ms);
        conv.closed_by = Some("workflow".into());
        self.cache.put_conversation(conv);
        Ok(())
    }

    /// Applies one effect. Returns an outcome when the effect was performed right here and the
    /// step waits for it.
    async fn apply(
        &mut self,
        run: &mut Run,
        env: &mut Env,
        effect: &Effect,
        index: usize,
        awaits: Awaits,
    ) -> Result<Option<Outcome>, Error> {
        let step = run.step.clone().unwrap_or_default();
        let origin = || {
            let mut o = run.origin.clone();
            o.push(run.workflow_id.clone());
            o
        };
        match effect {
            Effect::SetOutput { name, value } => {
                let steps = run.vars.as_object_mut().map(|m| m.entry("steps").or_insert_with(|| json!({})));
                if let Some(Value::Object(steps)) = steps {
                    if let Value::Object(outputs) = steps.entry(step.clone()).or_insert_with(|| json!({})) {
                        outputs.insert(name.clone(), value.clone());
                    }
                }
                Ok(None)
            }
            Effect::SendMessage { message } => {
                let key = self.effect_key(run, &step, index);
                // A message with no open conversation opens one the run owns (see `end`).
                let conversation = self.ensure_conversation(env, run, Opens::BotOwned).await?;
                let channel = message
                    .channel
                    .clone()
                    .or_else(|| env.contact.last_channel.clone())
                    .unwrap_or_else(|| "simulator".into());
                let route = self.route(&env.contact, &channel, message, true).await?;
                let refused = route.as_ref().err().cloned();
                let template = route.as_ref().ok().filter(|r| r.template).and(message.template.as_ref());
                let text = match template {
                    Some(t) => {
                        format!("Template {} ({}) {}", t.name, t.language, t.params.join(" | ")).trim_end().to_owned()
                    }
                    None => message.text.clone(),
                };
                self.cache.message(MessageRow {
                    contact_id: run.contact_id,
                    conversation_id: conversation,
                    direction: "out",
                    sender: format!("run:{}", run.id),
                    channel: Some(channel.clone()),
                    text: Some(text),
                    body: serde_json::to_string(message).unwrap_or_default(),
                    run_id: Some(run.id),
                    idempotency_key: Some(key.clone()),
                    status: if refused.is_some() { "failed" } else { "pending" },
                    error: refused.clone(),
                    created_at: self.now_ms,
                });
                let route = match route {
                    Ok(route) => route,
                    // Refused before it was queued: the step learns it now, whoever waits.
                    Err(reason) => {
                        tracing::info!(run = run.id, %step, %channel, %reason, "message not sent");
                        return Ok(Some(Outcome::SendFailed { reason }));
                    }
                };
                let payload = json!({
                    "contact_id": run.contact_id, "channel": channel, "message": message,
                    "to": route.to, "template": route.template, "quota_month": route.quota_month,
                });
                let flag = match awaits {
                    Awaits::Outcome => 1,
                    Awaits::FailureOnly => 2,
                    Awaits::Nothing => 0,
                };
                self.outbox(run, "message", key, &payload, flag);
                Ok(None)
            }
            Effect::Http { request } => {
                let key = self.effect_key(run, &step, index);
                let payload = serde_json::to_value(request).unwrap_or(Value::Null);
                self.outbox(run, "http", key, &payload, 1);
                Ok(None)
            }
            Effect::UpdateTags { add, remove } => {
                let mut changed = Vec::new();
                for tag in add {
                    if !env.contact.tags.contains(tag) {
                        env.contact.tags.push(tag.clone());
                        changed.push((tag.clone(), true));
                    }
                }
                for tag in remove {
                    if let Some(i) = env.contact.tags.iter().position(|t| t == tag) {
                        env.contact.tags.remove(i);
                        changed.push((tag.clone(), false));
                    }
                }
                if !changed.is_empty() {
                    self.cache.put_contact(env.contact.clone());
                }
                for (tag, added) in changed {
                    let fire = Fire::TagUpdated { contact_id: run.contact_id, tag, added };
                    self.work.push_back(Work::Fire { fire, origin: origin() });
                }
                Ok(None)
            }
            Effect::UpdateFields { set } => {
                let mut changed = Vec::new();
                for (field, value) in set {
                    let old = env.contact.get(field);
                    if env.contact.set(field, value.clone()) {
                        changed.push((field.clone(), old, value.clone()));
                    }
                }
                if !changed.is_empty() {
                    self.cache.put_contact(env.contact.clone());
                }
                for (field, old, new) in changed {
                    let fire = Fire::FieldUpdated { contact_id: run.contact_id, field, old, new };
                    self.work.push_back(Work::Fire { fire, origin: origin() });
                }
                Ok(None)
            }
            Effect::Assign { request } => {
                // Asking for a person (assign, escalate) makes the conversation people's, even
                // while nobody qualifies yet: it waits in the inbox, not hidden.
                self.ensure_conversation(env, run, Opens::ForPeople).await?;
                let picked = assign::pick(self.cache.agents(self.conn).await?, request).cloned();
                match picked {
                    Some(agent) => {
                        self.assign_to(env, &agent, request.team.clone(), run.id).await?;
                        Ok(Some(Outcome::Assigned {
                            agent: AgentRef {
                                id: agent.id.clone(),
                                name: agent.name.clone(),
                                team: agent.teams.first().cloned(),
                            },
                        }))
                    }
                    None => {
                        // Remember the request so the queue can offer it again when an agent frees up.
                        run.wait_data = serde_json::to_value(request).unwrap_or(Value::Null);
                        Ok(Some(Outcome::NoAgentAvailable))
                    }
                }
            }
            Effect::Unassign => {
                if let Some(conv) = env.conversation.as_mut().filter(|c| c.status == "open") {
                    if let Some(agent) = conv.assignee_id.take() {
                        let conv_id = conv.id;
                        self.cache.put_conversation(conv.clone());
                        self.cache.released(self.conn, &agent).await?;
                        env.assignee = None;
                        self.agents_changed = true;
                        self.note(run.contact_id, Some(conv_id), "system", "Unassigned by a workflow", run.id);
                    }
                }
                Ok(None)
            }
            Effect::SetPriority { priority } => {
                let conversation = self.ensure_conversation(env, run, Opens::Ordinary).await?;
                if let Some(conv) = env.conversation.as_mut().filter(|c| Some(c.id) == conversation) {
                    conv.priority = serde_json::to_value(priority)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default();
                    self.cache.put_conversation(conv.clone());
                }
                Ok(None)
            }
            Effect::OpenConversation => {
                // Opening fires `conversation_opened` (source: workflow); nothing if one is open
                // but, asked for explicitly, it hands a bot-owned conversation to people.
                self.ensure_conversation(env, run, Opens::ForPeople).await?;
                Ok(None)
            }
            Effect::CloseConversation { category, summary } => {
                if let Some(conv) = env.conversation.as_mut().filter(|c| c.status == "open") {
                    conv.status = "closed".into();
                    conv.closed_at = Some(self.now_ms);
                    conv.closing_category = category.clone();
                    conv.closing_summary = summary.clone();
                    conv.closed_by = Some("workflow".into());
                    let released = conv.assignee_id.clone();
                    self.cache.put_conversation(conv.clone());
                    if let Some(agent) = released {
                        self.cache.released(self.conn, &agent).await?;
                    }
                    self.agents_changed = true;
                    self.exit_runs(run.contact_id, ExitCondition::ConversationClosed, Some(run.id)).await?;
                    let fire = Fire::ConversationClosed {
                        contact_id: run.contact_id,
                        closed_by: "workflow".into(),
                        category: category.clone(),
                        summary: summary.clone(),
                        auto: true,
                    };
                    self.work.push_back(Work::Fire { fire, origin: origin() });
                }
                Ok(None)
            }
            Effect::AddComment { text } => {
                let conversation = env.conversation.as_ref().map(|c| c.id);
                self.note(run.contact_id, conversation, "note", text, run.id);
                Ok(None)
            }
            Effect::Notify { text } => {
                let conversation = env.conversation.as_ref().map(|c| c.id);
                self.note(run.contact_id, conversation, "notify", text, run.id);
                Ok(None)
            }
            Effect::TriggerWorkflow { workflow, vars } => {
                let mut chain = origin();
                if let Some(guard) = LoopGuard::check(workflow, &chain) {
                    let reason = match guard {
                        LoopGuard::SelfTrigger => {
                            format!("loop guard: `{workflow}` is already part of this chain ({})", chain.join(" → "))
                        }
                        LoopGuard::ChainLength => format!(
                            "loop guard: chain length limit ({MAX_ORIGIN_DEPTH} workflows already started each other)"
                        ),
                    };
                    self.loop_guarded(run.contact_id, workflow, &chain, guard);
                    return Ok(Some(Outcome::TriggerFailed { reason }));
                }
                if env.contact.test_workflow.is_some() {
                    let reason = format!("a test chat starts no other workflow (`{workflow}` was not started)");
                    return Ok(Some(Outcome::TriggerFailed { reason }));
                }
                let Some((version, target)) = self.env.registry.live(workflow) else {
                    return Ok(Some(Outcome::TriggerFailed {
                        reason: format!("workflow `{workflow}` is not published"),
                    }));
                };
                if target.trigger.kind.name() != "manual" {
                    let reason =
                        format!("workflow `{workflow}` has a `{}` trigger, not `manual`", target.trigger.kind.name());
                    return Ok(Some(Outcome::TriggerFailed { reason }));
                }
                let caller = json!({"workflow": run.workflow_id, "run_id": run.id.to_string()});
                let trigger = json!({"type": "manual", "vars": vars, "caller": caller});
                chain.truncate(MAX_ORIGIN_DEPTH);
                match self.try_start(workflow, version, &target, run.contact_id, trigger, chain).await? {
                    Start::Started(run_id) => Ok(Some(Outcome::WorkflowTriggered { run_id: run_id.to_string() })),
                    Start::Queued => Ok(Some(Outcome::TriggerFailed {
                        reason: format!("the contact is already in `{workflow}`; the start is queued"),
                    })),
                    Start::Refused(reason) => Ok(Some(Outcome::TriggerFailed { reason })),
                }
            }
        }
    }

    fn outbox(&mut self, run: &Run, kind: &'static str, key: String, payload: &Value, awaited: i64) {
        // The token is the seq the run will wait at: the transition entry is already written.
        self.cache.outbox(OutboxRow {
            run_id: Some(run.id),
            contact_id: run.contact_id,
            kind,
            idempotency_key: key,
            payload: payload.to_string(),
            awaited,
            token: run.seq,
            created_at: self.now_ms,
        });
        self.wake_outbox = true;
    }

    /// Marks the messages of a run or a contact that have not gone out yet as never to be
    /// sent (`reason`), and gives back the channel quota they took.
    pub(super) async fn drop_queued_messages(&mut self, of: Queued, reason: &str) -> Result<(), Error> {
        // Rows still in the cache are written first, so they are dropped too.
        self.cache.flush(self.conn, self.now_ms).await?;
        let (column, id) = match of {
            Queued::OfRun(id) => ("run_id", id),
            Queued::OfContact(id) => ("contact_id", id),
        };
        let sql = format!(
            "UPDATE outbox SET status = 'dead', last_error = $1
             WHERE {column} = $2 AND status = 'pending' AND kind = 'message' RETURNING payload"
        );
        let dropped: Vec<String> =
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(reason).bind(id).fetch_all(&mut *self.conn).await?;
        let payloads: Vec<Value> = dropped.iter().filter_map(|p| serde_json::from_str(p).ok()).collect();
        super::channel_rules::give_back_quota(self.conn, &payloads).await
    }

    /// The contact's open conversation, opened now (by the workflow) if there is none; see
    /// [`Opens`] for who owns it.
    async fn ensure_conversation(&mut self, env: &mut Env, run: &Run, opens: Opens) -> Result<Option<i64>, Error> {
        if let Some(c) = env.conversation.as_mut().filter(|c| c.status == "open") {
            if opens == Opens::ForPeople && c.bot_run.is_some() {
                c.hand_over();
                self.cache.put_conversation(c.clone());
            }
            return Ok(Some(c.id));
        }
        let channel = env.contact.last_channel.clone();
        let bot_run = (opens == Opens::BotOwned).then_some(run.id);
        let conv = self
            .cache
            .new_conversation(self.conn, run.contact_id, channel.as_deref(), "workflow", bot_run, self.now_ms)
            .await?;
        let id = conv.id;
        env.conversation = Some(conv);
        env.assignee = None;
        let mut origin = run.origin.clone();
        origin.push(run.workflow_id.clone());
        let fire = Fire::ConversationOpened { contact_id: run.contact_id, source: "workflow".into() };
        self.work.push_back(Work::Fire { fire, origin });
        Ok(Some(id))
    }

    async fn assign_to(
        &mut self,
        env: &mut Env,
        agent: &Agent,
        team: Option<String>,
        run_id: i64,
    ) -> Result<(), Error> {
        if let Some(conv) = env.conversation.as_mut() {
            conv.hand_over();
            let previous = conv.assignee_id.replace(agent.id.clone());
            conv.team = team.or_else(|| agent.teams.first().cloned());
            let conv_id = conv.id;
            self.cache.put_conversation(conv.clone());
            if let Some(previous) = previous {
                self.cache.released(self.conn, &previous).await?;
                self.agents_changed = true;
            }
            let text = format!("Assigned to {} by a workflow", agent.name);
            self.note(env.contact.id, Some(conv_id), "system", &text, run_id);
        }
        self.cache.assigned(self.conn, &agent.id, self.now_ms).await?;
        let mut agent = agent.clone();
        agent.open_count += 1;
        env.assignee = Some(agent);
        Ok(())
    }

    /// Records a start the loop guard refused where ops look: a system line in the contact's
    /// history, the `switchboard_loop_guard_total` metric by reason, and the log.
    pub(super) fn loop_guarded(&mut self, contact_id: i64, workflow: &str, chain: &[String], guard: LoopGuard) {
        let text = guard.describe(workflow, chain);
        tracing::info!(workflow, contact = contact_id, chain = %chain.join(" → "), reason = guard.label(), "{text}");
        self.env
            .metrics
            .loop_guard
            .get_or_create(&vec![("reason".to_owned(), guard.label().to_owned())])
            .inc();
        self.handled.loop_guarded.push(workflow.to_owned());
        self.cache.message(MessageRow {
            contact_id,
            conversation_id: None,
            direction: "system",
            sender: "system".into(),
            text: Some(text),
            body: json!({"kind": "loop_guard", "workflow": workflow, "reason": guard.label(), "chain": chain})
                .to_string(),
            status: "note",
            created_at: self.now_ms,
            ..MessageRow::default()
        });
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

    /// Ends the contact's active runs whose workflow exits on `condition` (except `keep`).
    pub async fn exit_runs(
        &mut self,
        contact_id: i64,
        condition: ExitCondition,
        keep: Option<i64>,
    ) -> Result<(), Error> {
        for mut run in self.cache.active_runs(self.conn, contact_id).await? {
            if Some(run.id) == keep {
                continue;
            }
            let wf = self.env.registry.get(self.conn, &run.workflow_id, run.version).await?;
            // Opting out always ends runs: no flow may keep messaging such a contact.
            if condition == ExitCondition::ContactOptedOut || wf.settings.exit_when.contains(&condition) {
                let reason = serde_json::to_value(condition).ok().and_then(|v| v.as_str().map(str::to_owned));
                self.end(&mut run, "exited", reason).await?;
                self.handled.exited.push(run.id);
            }
        }
        Ok(())
    }

    /// Offers free agents to the runs waiting in the assignment queue, oldest first.
    async fn offer_queue(&mut self) -> Result<(), Error> {
        // The queue spans every contact, so ask the database, which must be current first.
        self.cache.flush(self.conn, self.now_ms).await?;
        let waiting: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM runs WHERE status = 'waiting' AND wait_kind = 'agent' ORDER BY waiting_since, id LIMIT 5000",
        )
        .fetch_all(&mut *self.conn)
        .await?;
        for id in waiting {
            let run = self.cache.run(self.conn, id).await?;
            let Ok(request) = serde_json::from_value::<steps::machine::AssignRequest>(run.wait_data.clone()) else {
                continue;
            };
            let Some(agent) = assign::pick(self.cache.agents(self.conn).await?, &request).cloned() else { continue };
            let mut env = self.env(run.contact_id).await?;
            if env.conversation.as_ref().is_none_or(|c| c.status != "open") {
                continue;
            }
            self.assign_to(&mut env, &agent, request.team.clone(), run.id).await?;
            let outcome = Outcome::Assigned {
                agent: AgentRef { id: agent.id.clone(), name: agent.name.clone(), team: agent.teams.first().cloned() },
            };
            self.work.push_back(Work::Resume {
                run_id: run.id,
                input: Input::Outcome { outcome },
                expect: Expect::Agent,
            });
        }
        Ok(())
    }

    /// Starts the oldest trigger queued for this workflow and contact, if any.
    async fn start_queued(&mut self, workflow_id: &str, contact_id: i64) -> Result<(), Error> {
        let next: Option<(i64, String, String)> = sqlx::query_as(
            "SELECT id, trigger, origin FROM queued_triggers WHERE workflow_id = $1 AND contact_id = $2 ORDER BY id LIMIT 1",
        )
        .bind(workflow_id)
        .bind(contact_id)
        .fetch_optional(&mut *self.conn)
        .await?;
        let Some((id, trigger, origin)) = next else { return Ok(()) };
        sqlx::query("DELETE FROM queued_triggers WHERE id = $1").bind(id).execute(&mut *self.conn).await?;
        // A test-chat contact's queued trigger starts its snapshot, never the live version.
        let sandbox = self.cache.contact(self.conn, contact_id).await?.test_workflow;
        let (version, wf) = match sandbox {
            Some(_) => (-contact_id, self.env.registry.get(self.conn, workflow_id, -contact_id).await?),
            None => match self.env.registry.live(workflow_id) {
                Some(live) => live,
                None => return Ok(()),
            },
        };
        let trigger: Value = serde_json::from_str(&trigger).unwrap_or(Value::Null);
        let origin: Vec<String> = serde_json::from_str(&origin).unwrap_or_default();
        Box::pin(self.start_run(workflow_id, version, &wf, contact_id, trigger, origin)).await?;
        Ok(())
    }
}

fn still_waiting(run: &Run, expect: Expect) -> bool {
    if run.status != "waiting" {
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

/// Moves the run into `step`, counting the visit.
pub(super) fn enter(run: &mut Run, step: &str) {
    let visits = run.visits.entry(step.to_owned()).or_insert(0);
    *visits += 1;
    run.visit = *visits;
    run.step = Some(step.to_owned());
}

/// When a run waits, for "why is it waiting".
pub fn describe_wait(run: &Run) -> Option<Value> {
    let kind = run.wait_kind.as_deref()?;
    let reason = match kind {
        "reply" => "waiting for the contact to answer",
        "timer" => "waiting for a timer",
        "agent" => "waiting in the assignment queue for a qualifying agent",
        "effect" => "waiting for an outbound message or HTTP call to finish",
        _ => "waiting",
    };
    Some(json!({
        "kind": kind,
        "step": run.step,
        "reason": reason,
        "since": run.waiting_since.map(|t| from_millis(t).to_rfc3339()),
        "due_at": run.due_at.map(|t| from_millis(t).to_rfc3339()),
        "last_error": run.last_error,
        "request": if kind == "agent" { run.wait_data.clone() } else { Value::Null },
    }))
}
