//! The editor's test chat. A session is a fresh contact on the simulator channel, sandboxed
//! to one workflow: it plays against a snapshot of the draft (stored in `test_sessions`, run
//! as version `-contact_id`), starts no other workflow, and its runs stay out of the
//! published versions' counts. Everything else is the real engine: the same events, steps,
//! journal, outbox and timers; "fast-forward" makes the session's timers due now.
//!
//! A session has a clock of its own: the real time plus an offset (`PUT .../clock`, `at` on
//! start, or an admin's event with `at`), so "pretend it is Saturday 10:00 in Tokyo" shows a
//! business-hours flow both ways. Its runs see that time (`system.now`, business hours,
//! waits); their timers are stored in real time, so the timer loop needs no exception, and
//! fast-forward moves the session's clock to the timers it fires.

use super::batch::{Batch, Closing, Tell};
use super::events::{ContactRef, EventKind, Handled};
use super::{Engine, Error};
use crate::clock::{from_millis, to_millis};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use steps::machine::{Effect, Input, Outcome};
use steps::message::InboundMessage;
use steps::trigger::{TagAction, TriggerKind};
use store::records::{self, Agent, Contact};
use store::test_sessions;

/// How the tester sets the flow off; each variant mirrors a trigger type. Omitted, the
/// workflow's own trigger type is used with empty inputs.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum TestTrigger {
    /// The contact writes `text`.
    MessageReceived {
        #[serde(default)]
        text: String,
    },
    /// The contact opens a conversation.
    ConversationOpened,
    /// An agent closes the contact's conversation.
    ConversationClosed {
        #[serde(default)]
        category: Option<String>,
        #[serde(default)]
        summary: Option<String>,
    },
    /// A tag is added (or removed) on the contact; the tag defaults to the trigger's.
    TagUpdated {
        #[serde(default)]
        tag: Option<String>,
        #[serde(default)]
        removed: bool,
    },
    /// The trigger's field gets `value`.
    FieldUpdated {
        #[serde(default)]
        value: Value,
    },
    /// An agent presses the shortcut with this form; `agent_id` names who (optional).
    Shortcut {
        #[serde(default)]
        form: Map<String, Value>,
        #[serde(default)]
        agent_id: Option<String>,
    },
    /// A signed webhook arrives with this payload.
    Webhook {
        #[serde(default)]
        payload: Value,
    },
    /// Another workflow (or the API) starts it with these variables.
    Manual {
        #[serde(default)]
        vars: Map<String, Value>,
    },
    /// The schedule fires.
    Schedule,
}

impl TestTrigger {
    fn type_name(&self) -> &'static str {
        match self {
            TestTrigger::MessageReceived { .. } => "message_received",
            TestTrigger::ConversationOpened => "conversation_opened",
            TestTrigger::ConversationClosed { .. } => "conversation_closed",
            TestTrigger::TagUpdated { .. } => "tag_updated",
            TestTrigger::FieldUpdated { .. } => "field_updated",
            TestTrigger::Shortcut { .. } => "shortcut",
            TestTrigger::Webhook { .. } => "webhook",
            TestTrigger::Manual { .. } => "manual",
            TestTrigger::Schedule => "schedule",
        }
    }

    /// The default for a trigger type.
    fn for_type(kind: &TriggerKind) -> TestTrigger {
        match kind {
            TriggerKind::MessageReceived { keywords, .. } => {
                TestTrigger::MessageReceived { text: keywords.first().cloned().unwrap_or_else(|| "Hi".into()) }
            }
            TriggerKind::ConversationOpened { .. } => TestTrigger::ConversationOpened,
            TriggerKind::ConversationClosed { .. } => TestTrigger::ConversationClosed { category: None, summary: None },
            TriggerKind::TagUpdated { action, .. } => {
                TestTrigger::TagUpdated { tag: None, removed: *action == TagAction::Removed }
            }
            TriggerKind::FieldUpdated { .. } => TestTrigger::FieldUpdated { value: json!("test") },
            TriggerKind::Shortcut { .. } => TestTrigger::Shortcut { form: Map::new(), agent_id: None },
            TriggerKind::Webhook { .. } => TestTrigger::Webhook { payload: json!({}) },
            TriggerKind::Manual { .. } => TestTrigger::Manual { vars: Map::new() },
            TriggerKind::Schedule { .. } => TestTrigger::Schedule,
        }
    }
}

/// Removes a snapshot from the registry unless the session that compiled it committed.
struct ForgetOnDrop<'e> {
    engine: &'e Engine,
    workflow: String,
    version: i64,
    armed: bool,
}

impl ForgetOnDrop<'_> {
    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for ForgetOnDrop<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.engine.inner.registry.forget(&self.workflow, self.version);
        }
    }
}

/// The earliest and latest time a session's clock may be set to. Far enough either way for
/// any business-hours test; near enough that the clock's arithmetic cannot overflow.
const CLOCK_RANGE: (i64, i64) = (0, 253_402_300_799_000); // 1970-01-01 .. 9999-12-31T23:59:59Z

/// A test session's clock as the API shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct TestClock {
    pub session: i64,
    /// The session's time now (RFC 3339, UTC).
    pub now: String,
    /// How far it is from the real time, in milliseconds (0: the real time).
    pub offset_ms: i64,
}

/// Where a session's clock should stand, as a (checked) offset from `real_now`: `at` is the
/// time it should be now; `None` is the real time.
fn offset_to(at: Option<DateTime<Utc>>, real_now: DateTime<Utc>) -> Result<i64, Error> {
    let Some(at) = at else { return Ok(0) };
    let ms = to_millis(at);
    if ms < CLOCK_RANGE.0 || ms > CLOCK_RANGE.1 {
        return Err(Error::Refused(format!("`at` {} is outside the years 1970 to 9999", at.to_rfc3339())));
    }
    Ok(ms - to_millis(real_now))
}

/// A session just started.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TestStarted {
    /// The session's id, which is its contact's id.
    pub session: i64,
    pub workflow_id: String,
    /// Runs the trigger started (empty when it did not match; `notes` say why).
    pub started: Vec<i64>,
    pub notes: Vec<String>,
}

impl Engine {
    /// Starts a test-chat session: compiles `source` (refusing one with errors), creates the
    /// sandboxed contact and sets the flow off with `trigger`.
    /// `at`, when given, is the time the session pretends it is (see [`Engine::set_test_clock`]).
    pub async fn start_test(
        &self,
        source: &str,
        trigger: Option<TestTrigger>,
        at: Option<DateTime<Utc>>,
    ) -> Result<TestStarted, Error> {
        let compiled = self.compile(source).await;
        let Some(wf) = compiled.workflow else {
            return Err(Error::Invalid(compiled.diagnostics));
        };
        let trigger = trigger.unwrap_or_else(|| TestTrigger::for_type(&wf.trigger.kind));
        if trigger.type_name() != wf.trigger.kind.name() {
            return Err(Error::Refused(format!(
                "`{}` starts on `{}`; a `{}` test cannot start it",
                wf.id,
                wf.trigger.kind.name(),
                trigger.type_name()
            )));
        }
        let mut tx = self.begin().await?;
        let mut batch = Batch::new(self.batch_env(), tx.conn());
        let offset = offset_to(at, batch.now)?;
        let mut profile = Map::new();
        profile.insert("name".into(), json!("Test contact"));
        profile.insert("first_name".into(), json!("Tester"));
        if let (TestTrigger::TagUpdated { tag, removed: true }, TriggerKind::TagUpdated { tag: wanted, .. }) =
            (&trigger, &wf.trigger.kind)
        {
            // Removing a tag needs the contact to have it first.
            profile.insert("tags".into(), json!([tag.clone().unwrap_or_else(|| wanted.clone())]));
        }
        let mut contact = Contact::new(&profile, batch.now_ms);
        contact.test_workflow = Some(wf.id.clone());
        let session = batch.cache.new_contact(batch.conn, contact).await?;
        batch.cache.add_address("simulator", &format!("test-{session}"), session);
        batch.cache.flush(batch.conn, batch.now_ms).await?;
        test_sessions::create(batch.conn, session, &wf.id, source, batch.now_ms, offset).await?;
        batch.clocks.insert(session, offset);
        let version = -session;
        // Known to this transaction's runs now; forgotten again if it rolls back.
        self.inner.registry.put(&wf.id, version, wf.clone());
        let forget = ForgetOnDrop { engine: self, workflow: wf.id.clone(), version, armed: true };
        let contact = ContactRef::Id(session);
        match (trigger, &wf.trigger.kind) {
            (TestTrigger::MessageReceived { text }, _) => {
                let message = InboundMessage::text(text);
                let event =
                    EventKind::MessageReceived { contact, channel: "simulator".into(), message, profile: Map::new() };
                batch.apply_event(event, &[]).await?;
            }
            (TestTrigger::ConversationOpened, _) => {
                batch.apply_event(EventKind::ConversationOpened { contact, by: "contact".into() }, &[]).await?;
            }
            (TestTrigger::ConversationClosed { category, summary }, _) => {
                batch.open_conversation(session, Some("simulator"), "contact").await?;
                let closed_by = "agent:test-chat".to_owned();
                batch
                    .apply_event(
                        EventKind::ConversationClosed { contact, closed_by, category, summary, auto: false },
                        &[],
                    )
                    .await?;
            }
            (TestTrigger::TagUpdated { tag, removed }, TriggerKind::TagUpdated { tag: wanted, .. }) => {
                let tag = tag.unwrap_or_else(|| wanted.clone());
                batch.apply_event(EventKind::TagUpdated { contact, tag, added: !removed }, &[]).await?;
            }
            (TestTrigger::FieldUpdated { value }, TriggerKind::FieldUpdated { field }) => {
                batch.apply_event(EventKind::FieldUpdated { contact, field: field.clone(), value }, &[]).await?;
            }
            (explicit, _) => {
                let vars = match explicit {
                    TestTrigger::Shortcut { form, agent_id } => {
                        super::batch::check_shortcut_form(&wf, &form)?;
                        let agent = match agent_id {
                            Some(id) => Agent::to_vars(
                                &batch
                                    .cache
                                    .agent(batch.conn, &id)
                                    .await?
                                    .ok_or_else(|| Error::NotFound(format!("agent {id}")))?,
                            ),
                            None => json!({"id": null, "name": "Test chat", "email": null, "team": null}),
                        };
                        json!({"type": "shortcut", "agent": agent, "form": form})
                    }
                    TestTrigger::Webhook { payload } => json!({"type": "webhook", "payload": payload}),
                    TestTrigger::Manual { vars } => json!({"type": "manual", "vars": vars, "caller": null}),
                    _ => {
                        let fired_at = batch.now + chrono::Duration::milliseconds(offset);
                        json!({"type": "schedule", "fired_at": fired_at.to_rfc3339()})
                    }
                };
                batch.start_explicit(&wf.id, version, &wf, session, vars).await?;
            }
        }
        let concluded = batch.conclude().await?;
        let handled = self.commit_concluded(tx, concluded).await?;
        forget.disarm();
        tracing::info!(workflow = %wf.id, session, "test chat started");
        Ok(TestStarted { session, workflow_id: wf.id.clone(), started: handled.started, notes: handled.test_notes })
    }

    /// The workflow a test session belongs to; `NotFound` for anything that is not a session.
    async fn test_workflow(&self, session: i64) -> Result<String, Error> {
        test_sessions::workflow_of(&self.inner.pool, session)
            .await?
            .ok_or_else(|| Error::NotFound(format!("test session {session}")))
    }

    /// The session a contact is, if it is a test chat's contact (by id or by address).
    pub async fn test_session_of(&self, contact: &ContactRef) -> Result<Option<i64>, Error> {
        let id = match contact {
            ContactRef::Id(id) => *id,
            ContactRef::Address { channel, address } => match self.contact_by_address(channel, address).await? {
                Some(id) => id,
                None => return Ok(None),
            },
        };
        match self.test_workflow(id).await {
            Ok(_) => Ok(Some(id)),
            Err(Error::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Sets the session's clock: from now on its runs see `at` (then time goes on from
    /// there); `None` returns it to the real time. Waiting runs keep their due times on the
    /// session's clock: their timers move with it, and one the new time has passed fires.
    pub async fn set_test_clock(&self, session: i64, at: Option<DateTime<Utc>>) -> Result<TestClock, Error> {
        self.test_workflow(session).await?;
        let mut tx = self.begin().await?;
        let mut batch = Batch::new(self.batch_env(), tx.conn());
        // Reading the contact takes its lock (PostgreSQL), so no batch advancing its runs
        // schedules a timer on the old clock meanwhile.
        batch.cache.contact(batch.conn, session).await?;
        let real_now = batch.now;
        let offset = offset_to(at, real_now)?;
        let moved_by = offset - records::test_clock_offset(batch.conn, session).await?;
        test_sessions::set_clock_offset(batch.conn, session, offset).await?;
        if moved_by != 0 {
            test_sessions::move_timers_earlier(batch.conn, session, moved_by).await?;
        }
        // Timers moved earlier: the timer loop may be asleep until a later one.
        batch.wake_timers = moved_by > 0;
        let concluded = batch.conclude().await?;
        self.commit_concluded(tx, concluded).await?;
        tracing::info!(session, offset_ms = offset, "test chat clock set");
        Ok(TestClock { session, now: session_now(real_now, offset).to_rfc3339(), offset_ms: offset })
    }

    /// The session's clock now.
    pub async fn test_clock(&self, session: i64) -> Result<TestClock, Error> {
        self.test_workflow(session).await?;
        let mut conn = store::acquire(&self.inner.pool).await?;
        let offset = records::test_clock_offset(&mut conn, session).await?;
        drop(conn);
        let now = session_now(self.inner.clock.now(), offset);
        Ok(TestClock { session, now: now.to_rfc3339(), offset_ms: offset })
    }

    /// The tester, as the contact, writes or presses a button.
    pub async fn test_say(&self, session: i64, message: InboundMessage) -> Result<Handled, Error> {
        self.test_workflow(session).await?;
        self.handle(super::Event::new(EventKind::MessageReceived {
            contact: ContactRef::Id(session),
            channel: "simulator".into(),
            message,
            profile: Map::new(),
        }))
        .await
    }

    /// The tester, as an agent, closes the session's conversation.
    pub async fn test_close(
        &self,
        session: i64,
        category: Option<String>,
        summary: Option<String>,
    ) -> Result<Handled, Error> {
        self.test_workflow(session).await?;
        self.handle(super::Event::new(EventKind::ConversationClosed {
            contact: ContactRef::Id(session),
            closed_by: "agent:test-chat".into(),
            category,
            summary,
            auto: false,
        }))
        .await
    }

    /// Makes every timer of the session's waiting runs due now and fires them: a wait ends,
    /// a question or an escalation times out, business hours open. The session's clock moves
    /// on to the latest of those timers, so the runs go on at the time they would have.
    pub async fn test_fast_forward(&self, session: i64) -> Result<usize, Error> {
        self.test_workflow(session).await?;
        let mut tx = self.begin().await?;
        let now = self.now_ms();
        if let Some(latest) = test_sessions::latest_timer_after(tx.conn(), session, now).await? {
            test_sessions::move_clock_on(tx.conn(), session, latest - now).await?;
        }
        let moved = test_sessions::make_timers_due(tx.conn(), session, now).await?;
        self.commit(tx).await?;
        if moved == 0 {
            return Ok(0);
        }
        self.fire_due_timers(1000).await
    }

    /// Ends a session: cancels its runs still under way, closes its conversation like any
    /// close (an agent a test assigned is free again and offered to the assignment queue; no
    /// workflow hears of it) and forgets the compiled snapshot.
    pub async fn end_test(&self, session: i64) -> Result<usize, Error> {
        let workflow = self.test_workflow(session).await?;
        let mut cancelled = 0;
        for run in self.runs_of_contact(session).await? {
            if run.status.is_under_way() {
                cancelled += self.cancel(super::CancelFilter::Run(run.id)).await?;
            }
        }
        let mut tx = self.begin().await?;
        let mut batch = Batch::new(self.batch_env(), tx.conn());
        let open = batch.cache.latest_conversation(batch.conn, session).await?.filter(|c| c.status == "open");
        if let Some(mut conv) = open {
            let closing = Closing { by: "test-chat".into(), category: None, summary: None };
            batch.close_conversation(&mut conv, closing, Tell::Nobody).await?;
        }
        store::queued_triggers::forget_of_contact(batch.conn, session).await?;
        let concluded = batch.conclude().await?;
        self.commit_concluded(tx, concluded).await?;
        self.inner.registry.forget(&workflow, -session);
        Ok(cancelled)
    }

    /// What the test chat shows: the conversation as a timeline (the contact's and the
    /// flow's messages, system lines for assignments and escalations, HTTP calls from the
    /// journal) and each run with its path (step and port taken) and where it stands.
    pub async fn test_session(&self, session: i64) -> Result<Value, Error> {
        let workflow = self.test_workflow(session).await?;
        // (time, rank within the same millisecond, line): an HTTP response comes before the
        // messages its run sends in the same transaction; a request after those before it.
        let mut timeline: Vec<(i64, u8, Value)> = Vec::new();
        for m in self.transcript(session).await? {
            let at = m["at"].as_str().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
            timeline.push((at.map(|t| to_millis(t.to_utc())).unwrap_or_default(), 1, m));
        }
        let mut runs = Vec::new();
        let mut conn = store::acquire(&self.inner.pool).await?;
        let mut journals = Vec::new();
        for run in records::load_runs_where(&mut conn, "contact_id = $1", session).await? {
            let journal = records::load_journal(&mut conn, run.id).await?;
            journals.push((run, journal));
        }
        // One connection at a time: the in-memory store has only one.
        drop(conn);
        for (run, journal) in journals {
            for entry in journal.iter().filter(|e| e.kind == "transition") {
                let step = entry.step.clone().unwrap_or_default();
                if let Some((rank, line)) = http_line(&step, &entry.data) {
                    timeline.push((to_millis(entry.at), rank, line));
                }
            }
            let path = super::analytics::path_of(&journal);
            let info = super::RunInfo::from(run);
            runs.push(json!({
                "id": info.id, "workflow_id": info.workflow_id, "version": info.version, "status": info.status,
                "step": info.step, "waiting": info.waiting, "last_error": info.last_error, "path": path,
                "test": info.version < 0,
            }));
        }
        // Stable: messages keep their order.
        timeline.sort_by_key(|(at, rank, _)| (*at, *rank));
        let contact = self.contact(session).await?;
        let clock = self.test_clock(session).await?;
        // Due times on the session's clock, as its runs see them.
        for run in &mut runs {
            if let Some(due) =
                run["waiting"]["due_at"].as_str().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            {
                run["waiting"]["due_at"] = json!(session_now(due.to_utc(), clock.offset_ms).to_rfc3339());
            }
        }
        let next_timer = self.next_test_timer(session).await?;
        Ok(json!({
            "session": session,
            "workflow_id": workflow,
            "contact": contact,
            "runs": runs,
            "timeline": timeline.into_iter().map(|(_, _, line)| line).collect::<Vec<_>>(),
            "next_timer": next_timer.map(|t| session_now(from_millis(t), clock.offset_ms).to_rfc3339()),
            "clock": clock,
        }))
    }

    async fn next_test_timer(&self, session: i64) -> Result<Option<i64>, Error> {
        Ok(test_sessions::next_timer(&self.inner.pool, session).await?)
    }
}

/// A real time on a session's clock.
fn session_now(real: DateTime<Utc>, offset_ms: i64) -> DateTime<Utc> {
    real + chrono::Duration::milliseconds(offset_ms)
}

/// A system line for an HTTP step's journal entry — the request when it is made, the
/// response (or the failure) when it comes back — with its rank among same-time lines.
fn http_line(step: &str, data: &Value) -> Option<(u8, Value)> {
    let line = |text: String, error: bool| {
        json!({"direction": "system", "kind": "http", "sender": "system", "text": text, "step": step,
               "status": if error { "failed" } else { "note" }})
    };
    if let Ok(Input::Outcome { outcome }) = serde_json::from_value::<Input>(data["input"].clone()) {
        match outcome {
            Outcome::HttpResponse { status, .. } => {
                return Some((0, line(format!("HTTP step `{step}`: the server answered {status}"), status >= 400)))
            }
            Outcome::HttpFailed { reason } => {
                return Some((0, line(format!("HTTP step `{step}` failed: {reason}"), true)))
            }
            _ => {}
        }
    }
    let effects: Vec<Effect> = serde_json::from_value(data["effects"].clone()).unwrap_or_default();
    effects.iter().find_map(|e| match e {
        Effect::Http { request } => {
            Some((2, line(format!("HTTP step `{step}`: {} {}", request.method, request.url), false)))
        }
        _ => None,
    })
}
