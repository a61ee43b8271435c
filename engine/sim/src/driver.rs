//! One simulation: sets up the store (agents, the reference and generated workflows), plays
//! the workload with faults on, then heals the world, drains everything the engine still
//! has to do, and checks the promises. The engine is the real one on a real SQLite file (or a
//! scratch PostgreSQL database); a crash drops it (everything in memory) and opens the same
//! store again. With several engines (PostgreSQL), each action is taken by one of them, a
//! crash takes down only that one (its leases run out), and one may be paused past its
//! outbox lease while another takes its work over.

use crate::checks;
use crate::flows::{self, Generated, Start};
use crate::workload::{self, Action, Inbound};
use crate::world::{FaultPlan, Gate, Gated, World};
use crate::{Config, Figures, Report};
use runtime::clock::ManualClock;
use runtime::{AgentSpec, ContactRef, Engine, Error, Event, EventKind, Options};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use steps::message::InboundMessage;

/// Agents of the inbox.
const AGENTS: usize = 3;
/// How long after the last action the final drain may go on (simulated).
const DRAIN_HORIZON_MS: i64 = 3 * 24 * 3_600_000;
/// How long an outbox lease lasts (`runtime::outbox::LEASE_MS`), plus a margin: after a
/// crash, the dead process's leases run out after this.
const LEASE_EXPIRY_MS: i64 = 11_000;

/// What the simulation knows it did, to check the engine against.
#[derive(Debug, Default)]
pub struct Model {
    next_event: u64,
    /// Per contact: the messages accepted, in the order accepted (event id, text).
    pub accepted: BTreeMap<usize, Vec<(String, String)>>,
    /// Deliveries the engine accepted (the channel may send them again).
    accepted_deliveries: Vec<Vec<(Event, Option<usize>)>>,
    /// Deliveries that failed (the channel sends them again later).
    refused_deliveries: Vec<Vec<(Event, Option<usize>)>>,
    /// When the timers were fired completely (simulated ms).
    pub ticks: Vec<i64>,
}

pub(crate) async fn simulate(seed: u64, config: &Config) -> Report {
    let mut sim = match Sim::new(seed, config).await {
        Ok(sim) => sim,
        Err(why) => return Report::broken(seed, format!("setting up failed: {why}")),
    };
    for _ in 0..config.steps {
        let action = sim.next_action();
        sim.act(action).await;
    }
    sim.finish().await
}

struct Sim<'c> {
    seed: u64,
    config: &'c Config,
    rng: fastrand::Rng,
    dir: PathBuf,
    url: String,
    clock: ManualClock,
    world: Arc<World>,
    faults: Arc<FaultPlan>,
    /// The engines sharing the store (`None`: crashed, not yet reopened).
    engines: Vec<Option<Engine>>,
    /// Per engine: the gate in front of its way to the world.
    gates: Vec<Arc<Gate>>,
    /// The engine taking the current action.
    actor: usize,
    /// On PostgreSQL: the server and the seed's scratch database (dropped when it passes).
    scratch: Option<(String, String)>,
    generated: Vec<Generated>,
    /// Per generated workflow: the versions published.
    versions: BTreeMap<String, Vec<i64>>,
    keywords: Vec<String>,
    model: Model,
    figures: Figures,
    violations: Vec<String>,
    /// When the workload began (simulated ms).
    start_ms: i64,
}

impl<'c> Sim<'c> {
    async fn new(seed: u64, config: &'c Config) -> Result<Sim<'c>, String> {
        let mut rng = fastrand::Rng::with_seed(seed);
        let base = std::env::var_os("SWITCHBOARD_SIM_DIR").map(PathBuf::from).unwrap_or_else(|| {
            let shm = PathBuf::from("/dev/shm");
            if shm.is_dir() {
                shm
            } else {
                std::env::temp_dir()
            }
        });
        let dir = base.join(format!("switchboard-sim-{}-{seed}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        // The migrated store with the reference workflows, made once per process and copied:
        // what every seed shares is not paid for again.
        let (url, scratch) = match &config.postgres {
            None => {
                let template = TEMPLATE.get_or_init(|| make_template(base.clone())).await.clone()?;
                for file in ["sim.db", "sim.db.key"] {
                    let from = template.join(file);
                    if from.exists() {
                        std::fs::copy(&from, dir.join(file)).map_err(|e| format!("{}: {e}", from.display()))?;
                    }
                }
                (format!("sqlite://{}", dir.join("sim.db").display()), None)
            }
            Some(server) => {
                let template = PG_TEMPLATE.get_or_init(|| make_pg_template(server.clone())).await.clone()?;
                let name = format!("sim_{}_{seed}", std::process::id());
                postgres::create_from(server, &name, &template.1).await?;
                (postgres::url_of(server, &name), Some((server.clone(), name)))
            }
        };
        // A Monday morning in Berlin, give or take a few days and hours: business hours and
        // the away message both get their turn.
        let start = chrono::DateTime::parse_from_rfc3339("2026-12-07T08:00:00Z").map_err(|e| e.to_string())?;
        let start = start.with_timezone(&chrono::Utc) + chrono::Duration::minutes(rng.i64(0..7 * 24 * 60));
        let faults = Arc::new(FaultPlan::new(seed, config.crash_per_mille, config.fail_per_mille));
        faults.disable();
        let mut sim = Sim {
            seed,
            config,
            rng,
            dir,
            url,
            clock: ManualClock::at(start),
            world: Arc::new(World::new(seed)),
            faults,
            engines: vec![None; config.engines.max(1)],
            gates: (0..config.engines.max(1)).map(|_| Arc::new(Gate::default())).collect(),
            actor: 0,
            scratch,
            generated: Vec::new(),
            versions: BTreeMap::new(),
            keywords: Vec::new(),
            model: Model::default(),
            figures: Figures::default(),
            violations: Vec::new(),
            start_ms: 0,
        };
        sim.open().await?;
        sim.set_up().await?;
        sim.start_ms = sim.clock_ms();
        sim.faults.enable();
        Ok(sim)
    }

    fn options(&self) -> Options {
        let transport: Arc<dyn runtime::transport::Transport> = match self.engines.len() {
            1 => self.world.clone(),
            _ => Arc::new(Gated::new(self.world.clone(), self.gates[self.actor].clone())),
        };
        Options {
            database_url: self.url.clone(),
            timezone: chrono_tz::Europe::Berlin,
            secret_keys: self.scratch.as_ref().map(|_| postgres::keys()),
            transport: Some(transport),
            faults: Some(self.faults.clone()),
            sabotage: self.config.sabotage,
            // No background loops run here, but the driver performs the outbox itself: events
            // are processed as they are accepted, as in a server (SQLite, the queue idle).
            process_on_accept: Some(true),
            ..Options::default()
        }
    }

    /// The engine taking the current action, if it is up.
    fn engine(&self) -> Option<Engine> {
        self.engines[self.actor].clone()
    }

    /// Opens the acting engine on the store (again); opening itself may crash, and is then
    /// retried.
    async fn open(&mut self) -> Result<(), String> {
        for _ in 0..50 {
            match Engine::open(self.options(), Arc::new(self.clock.clone())).await {
                Ok(engine) => {
                    self.engines[self.actor] = Some(engine);
                    return Ok(());
                }
                Err(Error::Crashed) => self.figures.crashes += 1,
                Err(Error::Injected(_)) => self.figures.failed_commits += 1,
                Err(e) => return Err(format!("the engine did not open: {e}")),
            }
        }
        Err("the engine did not open in 50 attempts".into())
    }

    async fn set_up(&mut self) -> Result<(), String> {
        for i in 1..self.engines.len() {
            self.actor = i;
            self.open().await?;
        }
        self.actor = 0;
        let engine = self.engine().ok_or("no engine")?;
        for i in 0..AGENTS {
            let teams =
                [&["sales", "general"][..], &["support-en", "supervisors"], &["general", "supervisors", "sales"]][i];
            let spec = AgentSpec {
                id: format!("a{i}"),
                name: format!("Agent {i}"),
                email: Some(format!("a{i}@sim.example")),
                teams: teams.iter().map(|t| (*t).to_owned()).collect(),
                online: self.rng.bool(),
                max_open: Some(1 + self.rng.i64(0..3)),
            };
            engine.upsert_agent(&spec).await.map_err(|e| format!("agent: {e}"))?;
        }
        let starts = [Start::Keyword("g0go".into()), Start::Keyword("g1go".into()), Start::Manual, Start::Manual];
        for (i, start) in starts.iter().enumerate() {
            let flow = flows::generate(&mut self.rng, &format!("g{i}"), start, 1);
            let (id, version) = engine.publish(&flow.source).await.map_err(|e| rejected(&flow, &e))?;
            self.versions.entry(id).or_default().push(version);
            if let Start::Keyword(word) = start {
                self.keywords.push(word.clone());
            }
            self.generated.push(flow);
        }
        Ok(())
    }

    fn next_action(&mut self) -> Action {
        if self.engines.len() > 1 {
            let (actor, pause) = workload::draw_engine(&mut self.rng, self.engines.len());
            self.actor = actor;
            if pause {
                return Action::PauseOutbox { limit: [1, 4, 100][self.rng.usize(..3)] };
            }
        }
        workload::draw(&mut self.rng, self.config.contacts, AGENTS, self.generated.len(), &self.keywords)
    }

    fn say(&self, what: impl FnOnce() -> String) {
        if self.config.verbose {
            eprintln!("[seed {} t={}] {}", self.seed, self.clock_ms(), what());
        }
    }

    fn clock_ms(&self) -> i64 {
        use runtime::clock::Clock;
        self.clock.now().timestamp_millis()
    }

    fn event_id(&mut self) -> String {
        self.model.next_event += 1;
        format!("e{}", self.model.next_event)
    }

    fn contact(i: usize) -> ContactRef {
        ContactRef::Address { channel: "webhook".into(), address: format!("c{i}") }
    }

    /// What became of an engine call: a crash reopens the engine; an injected failure is
    /// counted; a refusal of an operator's request is fine; a store error is a broken promise.
    async fn outcome<T>(&mut self, what: &str, result: Result<T, Error>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(Error::Crashed) => {
                self.say(|| format!("engine {} crashed during {what}", self.actor));
                self.figures.crashes += 1;
                self.engines[self.actor] = None;
                if let Err(e) = self.open().await {
                    self.violations.push(e);
                }
                None
            }
            Err(Error::Injected(_)) => {
                self.figures.failed_commits += 1;
                None
            }
            Err(e @ (Error::Refused(_) | Error::NotFound(_) | Error::Invalid(_) | Error::Conflict { .. })) => {
                self.say(|| format!("{what} refused: {e}"));
                None
            }
            Err(e) => {
                self.violations.push(format!("{what} failed: {e}"));
                None
            }
        }
    }

    async fn act(&mut self, action: Action) {
        self.figures.actions += 1;
        self.say(|| match self.engines.len() {
            1 => format!("{action:?}"),
            _ => format!("engine {}: {action:?}", self.actor),
        });
        let Some(engine) = self.engine() else {
            self.violations.push("no engine to act on".into());
            return;
        };
        match action {
            Action::Deliver(messages) => {
                let events = messages.into_iter().map(|m| self.message_event(m)).collect();
                self.deliver(&engine, events).await;
            }
            Action::Redeliver => self.redeliver(&engine).await,
            Action::Status { pick, status } => {
                if let Some(message_id) = self.world.sent_id(pick) {
                    let status = runtime::channels::DeliveryStatus::parse(status);
                    if let Some(status) = status {
                        let kind =
                            EventKind::DeliveryStatus { channel: "webhook".into(), message_id, status, error: None };
                        self.deliver_one(&engine, kind).await;
                    }
                }
            }
            Action::AgentReplies { contact, agent } => {
                let kind = EventKind::AgentReplied {
                    contact: Sim::contact(contact),
                    agent_id: format!("a{agent}"),
                    text: "An agent here, how can I help?".into(),
                };
                self.deliver_one(&engine, kind).await;
            }
            Action::Close { contact, by_agent } => {
                let kind = EventKind::ConversationClosed {
                    contact: Sim::contact(contact),
                    closed_by: if by_agent { "agent:a0".into() } else { "contact".into() },
                    category: Some("resolved".into()),
                    summary: None,
                    auto: false,
                };
                self.deliver_one(&engine, kind).await;
            }
            Action::OptOutEvent { contact } => {
                self.deliver_one(&engine, EventKind::OptedOut { contact: Sim::contact(contact) }).await;
            }
            Action::Unfollow { contact } => {
                let kind = EventKind::Unfollowed { contact: Sim::contact(contact), channel: "webhook".into() };
                self.deliver_one(&engine, kind).await;
            }
            Action::Shortcut { contact, agent, urgent } => {
                let form = serde_json::json!({"reason": "Other", "priority": if urgent { "urgent" } else { "high" }});
                let kind = EventKind::Shortcut {
                    contact: Sim::contact(contact),
                    workflow: "escalation-shortcut".into(),
                    agent_id: format!("a{agent}"),
                    form: form.as_object().cloned().unwrap_or_default(),
                };
                self.deliver_one(&engine, kind).await;
            }
            Action::ManualStart { contact, flow } => {
                let workflow = self.generated[flow].id.clone();
                let kind = EventKind::Manual { workflow, contact: Sim::contact(contact), vars: Default::default() };
                self.deliver_one(&engine, kind).await;
            }
            Action::AgentOnline { agent, online } => {
                let r = engine.set_agent_online(&format!("a{agent}"), online).await;
                self.outcome("agent online", r).await;
            }
            Action::Publish { flow } => self.publish(&engine, flow).await,
            Action::Rollback { flow } => {
                let id = self.generated[flow].id.clone();
                let versions = self.versions.get(&id).cloned().unwrap_or_default();
                if versions.len() > 1 {
                    let to = versions[self.rng.usize(..versions.len() - 1)];
                    if let Some(v) = self.outcome("rollback", engine.rollback(&id, to).await).await {
                        self.versions.entry(id).or_default().push(v);
                    }
                }
            }
            Action::StopWorkflow { flow, eject } => {
                let id = self.generated[flow].id.clone();
                self.outcome("stop", engine.stop(&id, eject).await).await;
            }
            Action::StartWorkflow { flow } => {
                let id = self.generated[flow].id.clone();
                self.outcome("start", engine.start(&id).await).await;
            }
            Action::RetryFailedRun { pick } => {
                let failed = checks::failed_runs(&engine).await;
                if !failed.is_empty() {
                    let run = failed[pick % failed.len()];
                    self.outcome("retry", engine.retry(run, "sim").await).await;
                }
            }
            Action::ProcessQueue { limit } => {
                let r = engine.process_queue(limit).await;
                self.outcome("process the queue", r).await;
                self.after_processing().await;
            }
            Action::ProcessOutbox { limit } => {
                let r = engine.process_outbox(limit).await;
                self.outcome("process the outbox", r).await;
                self.after_processing().await;
            }
            Action::FireTimers => {
                self.fire_timers(&engine).await;
                self.after_processing().await;
            }
            Action::FireSchedules => {
                let r = engine.fire_due_schedules().await;
                self.outcome("fire schedules", r).await;
            }
            Action::ReapLeases => {
                let r = engine.renew_and_reap_leases().await;
                self.outcome("reap leases", r).await;
            }
            Action::Advance { ms } => self.clock.advance(chrono::Duration::milliseconds(ms)),
            Action::AdvanceToNextDue => {
                if let Some(next) = self.next_due(&engine).await {
                    if next.timestamp_millis() > self.clock_ms() {
                        self.clock.set(next);
                    }
                }
            }
            Action::PauseOutbox { limit } => self.pause_outbox(engine, limit).await,
            Action::Kill => {
                self.figures.crashes += 1;
                self.engines[self.actor] = None;
                drop(engine);
                if let Err(e) = self.open().await {
                    self.violations.push(e);
                }
            }
        }
    }

    fn message_event(&mut self, m: Inbound) -> (Event, Option<usize>) {
        let message = match m.payload {
            Some(payload) => InboundMessage::button(payload, m.text),
            None => InboundMessage::text(m.text),
        };
        let profile = serde_json::json!({"first_name": format!("C{}", m.contact)});
        let kind = EventKind::MessageReceived {
            contact: Sim::contact(m.contact),
            channel: "webhook".into(),
            message,
            profile: profile.as_object().cloned().unwrap_or_default(),
        };
        (Event::with_id("sim", &self.event_id(), kind), Some(m.contact))
    }

    async fn deliver_one(&mut self, engine: &Engine, kind: EventKind) {
        let event = Event::with_id("sim", &self.event_id(), kind);
        self.deliver(engine, vec![(event, None)]).await;
    }

    /// Hands a delivery to the engine; accepted messages join the model in order.
    async fn deliver(&mut self, engine: &Engine, delivery: Vec<(Event, Option<usize>)>) {
        let events: Vec<Event> = delivery.iter().map(|(e, _)| e.clone()).collect();
        let result = engine.enqueue(&events).await;
        match self.outcome("accept events", result).await {
            Some(accepted) => {
                for ((event, contact), a) in delivery.iter().zip(&accepted) {
                    if a.duplicate {
                        self.violations.push(format!("event {:?} was new but taken for a duplicate", event.id));
                        continue;
                    }
                    self.figures.events += 1;
                    if let (Some(contact), EventKind::MessageReceived { message, .. }) = (contact, &event.kind) {
                        let text = message.text.clone().unwrap_or_default();
                        self.model
                            .accepted
                            .entry(*contact)
                            .or_default()
                            .push((event.id.clone().unwrap_or_default(), text));
                    }
                }
                self.model.accepted_deliveries.push(delivery);
            }
            None => self.model.refused_deliveries.push(delivery),
        }
        // On SQLite with nothing queued, accepting processes the events too (`intake.rs`): an
        // opt-out, or a START that ends one, may be committed now.
        self.after_processing().await;
    }

    /// The channel sends a delivery again: one the engine refused (now new to it) or one it
    /// accepted (every event a duplicate).
    async fn redeliver(&mut self, engine: &Engine) {
        if !self.model.refused_deliveries.is_empty() && self.rng.bool() {
            let i = self.rng.usize(..self.model.refused_deliveries.len());
            let delivery = self.model.refused_deliveries.remove(i);
            return self.deliver(engine, delivery).await;
        }
        if self.model.accepted_deliveries.is_empty() {
            return;
        }
        let i = self.rng.usize(..self.model.accepted_deliveries.len());
        let events: Vec<Event> = self.model.accepted_deliveries[i].iter().map(|(e, _)| e.clone()).collect();
        if let Some(accepted) = self.outcome("accept a redelivery", engine.enqueue(&events).await).await {
            for (event, a) in events.iter().zip(accepted) {
                if !a.duplicate {
                    self.violations.push(format!(
                        "event {} from {} was accepted twice (a redelivery must be recognised)",
                        event.id.as_deref().unwrap_or("?"),
                        event.source
                    ));
                }
            }
        }
    }

    async fn publish(&mut self, engine: &Engine, flow: usize) {
        let id = self.generated[flow].id.clone();
        let version = self.versions.get(&id).map_or(1, |v| v.len() as u32 + 1);
        let start = self.generated[flow].start.clone();
        let next = flows::generate(&mut self.rng, &id, &start, version);
        match engine.publish(&next.source).await {
            Err(e @ Error::Invalid(_)) => self.violations.push(rejected(&next, &e)),
            result => {
                if let Some((id, v)) = self.outcome("publish", result).await {
                    self.versions.entry(id).or_default().push(v);
                }
            }
        }
    }

    /// Fires every due timer, a page at a time, as the timers loop does when it wakes.
    async fn fire_timers(&mut self, engine: &Engine) {
        loop {
            let r = engine.fire_due_timers(50).await;
            match self.outcome("fire timers", r).await {
                Some(n) if n >= 50 => continue,
                Some(_) => {
                    let now = self.clock_ms();
                    self.model.ticks.push(now);
                    return;
                }
                None => return,
            }
        }
    }

    /// After work that may commit an opt-out or an assignment: the world learns who opted
    /// out, and the assignment caps are checked.
    async fn after_processing(&mut self) {
        let Some(engine) = self.engine() else { return };
        self.world.set_opted_out(checks::opted_out(&engine).await);
        self.violations.extend(checks::caps(&engine).await);
    }

    async fn next_due(&self, engine: &Engine) -> Option<chrono::DateTime<chrono::Utc>> {
        let timer = engine.next_timer_due().await.ok().flatten();
        let outbox = engine.next_outbox_due().await.ok().flatten();
        match (timer, outbox) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The acting engine claims outbox rows and is paused before it performs them; its
    /// lease runs out; another engine reaps the rows and performs them; then the paused one
    /// goes on, performs them again (under the same keys) and must not record its outcome
    /// over the other's (the lease fence).
    async fn pause_outbox(&mut self, paused: Engine, limit: i64) {
        let others: Vec<usize> =
            (0..self.engines.len()).filter(|&i| i != self.actor && self.engines[i].is_some()).collect();
        let Some(&other) = others.first() else { return };
        let gate = self.gates[self.actor].clone();
        gate.close();
        let task = tokio::spawn(async move { paused.process_outbox(limit).await });
        tokio::pin!(task);
        let finished = tokio::select! {
            _ = gate.reached() => None,
            r = &mut task => Some(r),
        };
        if let Some(r) = finished {
            // It performed nothing (nothing due, or only rows dropped unsent): no pause.
            gate.open();
            match r {
                Ok(r) => {
                    self.outcome("process the outbox", r).await;
                    self.after_processing().await;
                }
                Err(e) => self.violations.push(format!("the outbox task failed: {e}")),
            }
            return;
        }
        let paused_actor = self.actor;
        self.figures.pauses += 1;
        self.say(|| format!("engine {paused_actor} paused past its lease; engine {other} takes over"));
        self.clock.advance(chrono::Duration::milliseconds(LEASE_EXPIRY_MS));
        self.actor = other;
        if let Some(engine) = self.engine() {
            let r = engine.renew_and_reap_leases().await;
            if self.outcome("reap leases", r).await.is_some() {
                if let Some(engine) = self.engine() {
                    let r = engine.process_outbox(limit).await;
                    self.outcome("process the outbox", r).await;
                    self.after_processing().await;
                }
            }
        }
        gate.open();
        self.actor = paused_actor;
        let r = match task.await {
            Ok(r) => r,
            Err(e) => {
                self.violations.push(format!("the paused engine's outbox task failed: {e}"));
                return;
            }
        };
        self.outcome("process the outbox after a pause", r).await;
        self.after_processing().await;
    }

    /// Heals the world, lets the engine finish everything it can within the horizon, and
    /// checks the promises.
    async fn finish(mut self) -> Report {
        self.faults.disable();
        self.world.heal();
        for i in 0..self.engines.len() {
            self.actor = i;
            if self.engines[i].is_none() {
                if let Err(e) = self.open().await {
                    self.violations.push(e);
                }
            }
        }
        self.actor = 0;
        // A crashed process's leases run out.
        self.clock.advance(chrono::Duration::milliseconds(LEASE_EXPIRY_MS));
        let horizon = self.clock_ms() + DRAIN_HORIZON_MS;
        if let Some(engine) = self.engine() {
            self.drain(&engine, horizon).await;
            self.violations.extend(self.world.take_violations());
            let found = checks::at_the_end(&engine, &self.model, &self.world).await;
            self.violations.extend(found);
            self.figures.runs = checks::count_runs(&engine).await;
        }
        self.violations.extend(self.world.take_violations());
        self.figures.effects = self.world.performed().len();
        self.figures.simulated_ms = self.clock_ms() - self.start_ms;
        let fingerprint = match self.engine() {
            Some(engine) => checks::fingerprint(&engine, &self.world, self.config.verbose).await,
            None => 0,
        };
        for engine in self.engines.iter_mut().filter_map(Option::take) {
            engine.pool().close().await;
        }
        if self.violations.is_empty() {
            let _ = std::fs::remove_dir_all(&self.dir);
            if let Some((server, name)) = &self.scratch {
                if let Err(e) = postgres::drop(server, name).await {
                    self.violations.push(e);
                }
            }
        } else {
            let kept = match &self.scratch {
                Some((_, name)) => format!("the PostgreSQL database {name}"),
                None => self.dir.display().to_string(),
            };
            self.violations.push(format!("the store is kept at {kept}"));
        }
        Report { seed: self.seed, violations: self.violations, figures: self.figures, fingerprint }
    }

    async fn drain(&mut self, engine: &Engine, horizon: i64) {
        for _ in 0..2_000 {
            let r = engine.renew_and_reap_leases().await;
            self.outcome("reap leases", r).await;
            while let Some(n) = self.outcome("process the queue", engine.process_queue(100).await).await {
                self.after_processing().await;
                if n == 0 {
                    break;
                }
            }
            while let Some(n) = self.outcome("process the outbox", engine.process_outbox(100).await).await {
                self.after_processing().await;
                if n == 0 {
                    break;
                }
            }
            self.fire_timers(engine).await;
            let r = engine.fire_due_schedules().await;
            self.outcome("fire schedules", r).await;
            let depth = engine.queue_depth().await.unwrap_or(-1);
            let next = self.next_due(engine).await.map(|d| d.timestamp_millis());
            let now = self.clock_ms();
            match next {
                _ if depth != 0 => continue,
                // Due but not done: the loops would sleep a little and look again.
                Some(next) if next <= now => self.clock.advance(chrono::Duration::milliseconds(1_000)),
                Some(next) if next <= horizon => {
                    self.clock.set(chrono::DateTime::from_timestamp_millis(next).unwrap_or_default())
                }
                _ => return,
            }
        }
        self.violations.push("the engine did not run out of work in 2,000 rounds of draining".into());
    }
}

/// The shared template store of this process (see [`Sim::new`]).
static TEMPLATE: tokio::sync::OnceCell<Result<PathBuf, String>> = tokio::sync::OnceCell::const_new();

/// Makes the template: a migrated store with the reference workflows published.
async fn make_template(base: PathBuf) -> Result<PathBuf, String> {
    let dir = base.join(format!("switchboard-sim-{}-template", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let options = Options { database_url: format!("sqlite://{}", dir.join("sim.db").display()), ..Options::default() };
    let clock = ManualClock::at(chrono::DateTime::from_timestamp_millis(1_796_000_000_000).unwrap_or_default());
    let engine = Engine::open(options, Arc::new(clock)).await.map_err(|e| format!("the template store: {e}"))?;
    for (id, source) in flows::REFERENCE {
        engine.publish(source).await.map_err(|e| format!("reference workflow {id}: {e}"))?;
    }
    engine.pool().close().await;
    Ok(dir)
}

/// Removes this process's template stores.
pub fn remove_template() {
    if let Some(Ok(dir)) = TEMPLATE.get() {
        let _ = std::fs::remove_dir_all(dir);
    }
    if let Some(Ok((server, name))) = PG_TEMPLATE.get() {
        if let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
            let _ = rt.block_on(postgres::drop(server, name));
        }
    }
}

/// The PostgreSQL template of this process: (server, database).
static PG_TEMPLATE: tokio::sync::OnceCell<Result<(String, String), String>> = tokio::sync::OnceCell::const_new();

/// Makes the PostgreSQL template: a migrated database with the reference workflows.
async fn make_pg_template(server: String) -> Result<(String, String), String> {
    let name = format!("sim_{}_template", std::process::id());
    postgres::create(&server, &name).await?;
    let options = Options {
        database_url: postgres::url_of(&server, &name),
        secret_keys: Some(postgres::keys()),
        ..Options::default()
    };
    let clock = ManualClock::at(chrono::DateTime::from_timestamp_millis(1_796_000_000_000).unwrap_or_default());
    let engine = Engine::open(options, Arc::new(clock)).await.map_err(|e| format!("the template database: {e}"))?;
    for (id, source) in flows::REFERENCE {
        engine.publish(source).await.map_err(|e| format!("reference workflow {id}: {e}"))?;
    }
    engine.pool().close().await;
    Ok((server, name))
}

/// Scratch databases on a PostgreSQL server.
mod postgres {
    use sqlx::Connection;

    /// Copies of one template are made one at a time (PostgreSQL refuses a copy while the
    /// template has another session).
    static CREATING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

    async fn admin(server: &str, sql: String) -> Result<(), String> {
        let mut c = sqlx::PgConnection::connect(server).await.map_err(|e| format!("PostgreSQL at {server}: {e}"))?;
        sqlx::query(sqlx::AssertSqlSafe(sql.clone())).execute(&mut c).await.map_err(|e| format!("{sql}: {e}"))?;
        let _ = c.close().await;
        Ok(())
    }

    pub async fn create(server: &str, name: &str) -> Result<(), String> {
        admin(server, format!("CREATE DATABASE {name}")).await
    }

    pub async fn create_from(server: &str, name: &str, template: &str) -> Result<(), String> {
        let _one_at_a_time = CREATING.lock().await;
        let _ = admin(server, format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
        admin(server, format!("CREATE DATABASE {name} TEMPLATE {template}")).await
    }

    pub async fn drop(server: &str, name: &str) -> Result<(), String> {
        admin(server, format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await
    }

    /// The URL of database `name` on the server `server` names.
    pub fn url_of(server: &str, name: &str) -> String {
        let base = server.rsplit_once('/').map_or(server, |(base, _)| base);
        format!("{base}/{name}")
    }

    /// PostgreSQL has no key file: the simulator gives the key an operator would.
    pub fn keys() -> runtime::keyring::Keyring {
        runtime::keyring::Keyring::from_base64("c2ltdWxhdG9yLXNlY3JldC1rZXktMzItYnl0ZXMhISE=", &[])
            .unwrap_or_else(|e| panic!("the simulator's key: {e}"))
    }
}

fn rejected(flow: &Generated, e: &Error) -> String {
    let details = match e {
        Error::Invalid(diags) => diags.iter().map(|d| format!("{d:?}")).collect::<Vec<_>>().join("; "),
        e => e.to_string(),
    };
    format!("generated workflow {} was rejected: {details}\n{}", flow.id, flow.source)
}
