//! A run's life in a batch: started (its first step queued), advanced through its steps
//! until it waits or ends, parked on a wait, ended (completed, failed, cancelled, exited), and
//! ended early when its workflow exits on something that happened to the contact.

use super::effects::Awaits;
use super::{system_vars, Batch, Unsent, Work};
use crate::clock::{from_millis, to_millis};
use crate::Error;
use crate::RunStatus;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use steps::machine::{Input, Next, Outcome, StepContext, Wait};
use steps::trigger::ExitCondition;
use steps::CompiledWorkflow;
use store::records::{Agent, Contact, Conversation, Run};

/// The most transitions one advance may make without waiting; jumps are bounded, so only a
/// pathological workflow gets near it, and it fails instead of spinning.
const MAX_TRANSITIONS: usize = 10_000;

/// The world a run sees while it advances, loaded once and written through the cache.
pub(crate) struct World {
    pub contact: Contact,
    pub conversation: Option<Conversation>,
    pub assignee: Option<Agent>,
}

impl Batch<'_> {
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
            status: RunStatus::Running,
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
            None => self.end(&mut run, RunStatus::Completed, None).await?,
        }
        self.handled.started.push(run.id);
        Ok(run.id)
    }

    /// The contact, their latest conversation and its assignee, as a run sees them.
    pub(crate) async fn world(&mut self, contact_id: i64) -> Result<World, Error> {
        let contact = self.cache.contact(self.conn, contact_id).await?;
        let conversation = self.cache.latest_conversation(self.conn, contact_id).await?;
        let assignee = match conversation.as_ref().and_then(|c| c.assignee_id.clone()) {
            Some(id) => self.cache.agent(self.conn, &id).await?,
            None => None,
        };
        Ok(World { contact, conversation, assignee })
    }

    fn vars(&self, run: &Run, world: &World, now: DateTime<Utc>) -> Value {
        json!({
            "contact": world.contact.to_vars(),
            "conversation": world.conversation.as_ref().map(Conversation::to_vars),
            "assignee": world.assignee.as_ref().map(Agent::to_vars),
            "trigger": run.vars.get("trigger").cloned().unwrap_or(Value::Null),
            "steps": run.vars.get("steps").cloned().unwrap_or_else(|| json!({})),
            "system": system_vars(now, self.env.timezone),
        })
    }

    /// Moves `run` until it waits or ends. `input` resumes the current step; `None` enters it.
    #[tracing::instrument(level = "debug", name = "run", skip_all, fields(run = run.id, workflow = %run.workflow_id, version = run.version))]
    pub(super) async fn advance(&mut self, run: &mut Run, mut input: Option<Input>) -> Result<(), Error> {
        let wf = self.env.registry.get(self.conn, &run.workflow_id, run.version).await?;
        let mut world = self.world(run.contact_id).await?;
        // A test chat's runs live on its clock; its timers are kept in real time (below, in
        // `wait`) so the timer loop fires them when that clock reaches them.
        let offset = self.clock_offset(&world.contact).await?;
        let now = self.now + chrono::Duration::milliseconds(offset);
        run.status = RunStatus::Running;
        for _ in 0..MAX_TRANSITIONS {
            let Some(step_id) = run.step.clone() else {
                return self.end(run, RunStatus::Completed, None).await;
            };
            let Some(step) = wf.step(&step_id) else {
                return self
                    .end(run, RunStatus::Failed, Some(format!("step `{step_id}` is not in version {}", run.version)))
                    .await;
            };
            let vars = self.vars(run, &world, now);
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
                if let Some(o) = self.apply(run, &mut world, effect, i, awaits).await? {
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
                let status = if reason == super::OPTED_OUT { RunStatus::Exited } else { RunStatus::Failed };
                let reason = format!("step `{step_id}`: message not sent: {reason}");
                return self.end(run, status, Some(reason)).await;
            }
            match transition.next {
                Next::Port { port } => {
                    run.state = Value::Null;
                    match step.edges.get(&port) {
                        Some(next) => enter(run, next),
                        None => return self.end(run, RunStatus::Completed, None).await,
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
                Next::Fail { reason } => return self.end(run, RunStatus::Failed, Some(reason)).await,
            }
        }
        self.end(run, RunStatus::Failed, Some(format!("more than {MAX_TRANSITIONS} steps without waiting"))).await
    }

    /// Parks `run`; a due time the step gave on the contact's clock (`offset` ms from the
    /// real time) is stored in real time.
    pub(super) fn wait(&mut self, run: &mut Run, wait: &Wait, offset: i64) {
        run.status = RunStatus::Waiting;
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
    pub async fn end(&mut self, run: &mut Run, status: RunStatus, reason: Option<String>) -> Result<(), Error> {
        run.status = status;
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
        if status == RunStatus::Failed {
            tracing::warn!(run = run.id, workflow = %run.workflow_id, reason = reason.as_deref().unwrap_or(""), "run failed");
        }
        if matches!(status, RunStatus::Cancelled | RunStatus::Exited) {
            // Messages this run queued but that have not gone out yet stay unsent: an operator
            // stopped it, or the contact left it (an agent took over, the contact opted out).
            self.drop_queued_messages(Unsent::OfRun(run.id), &format!("not sent: the run was {status}")).await?;
        }
        self.close_bot_conversation(run).await?;
        // An operator's cancel does not start what was queued behind the run.
        if status != RunStatus::Cancelled && self.cache.may_have_queued(self.conn).await? {
            self.start_queued(&run.workflow_id, run.contact_id).await?;
        }
        Ok(())
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
                self.end(&mut run, RunStatus::Exited, reason).await?;
                self.handled.exited.push(run.id);
            }
        }
        Ok(())
    }
}

/// Moves the run into `step`, counting the visit.
pub(crate) fn enter(run: &mut Run, step: &str) {
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
