//! The simulated outside world: the channel and the HTTP endpoints the engine's outbox
//! reaches (a [`runtime::transport::Transport`]), and the fault plan that decides each
//! durable step's fate (a [`runtime::transport::Faults`]). Both draw from their own streams
//! of the seed, so a seed replays exactly.
//!
//! The world is also a witness: it records every effect performed, under which key, and
//! checks on the spot what only it can see — an effect performed under a second key, a key
//! reused for a different effect, a flow's message to a contact who had opted out.

use runtime::transport::{DurableStep, FaultAction, Faults, Pending, Transport};
use runtime::DeliveryError;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use steps::machine::{HttpRequest, Outcome};
use store::outbox_payload::OutboxPayload;

/// One effect as the world saw it performed.
#[derive(Debug, Clone)]
pub struct Performed {
    /// The key without the installation's prefix.
    pub key: String,
    pub kind: &'static str,
    pub contact_id: Option<i64>,
}

#[derive(Debug, Default)]
struct State {
    rng: Option<fastrand::Rng>,
    /// Faults off: every call succeeds at once (the final drain).
    healthy: bool,
    performed: Vec<Performed>,
    /// Per effect (run, step, visit, index): the keys it was performed under.
    keys_of: BTreeMap<String, BTreeSet<String>>,
    /// Per key: what was performed under it.
    effect_of: BTreeMap<String, String>,
    /// Contacts whose opt-out the engine has committed (kept up to date by the driver).
    opted_out: BTreeSet<i64>,
    /// Ids the channel gave sent messages, for delivery statuses.
    sent_ids: Vec<String>,
    violations: Vec<String>,
    trace: Vec<String>,
}

/// The channel and endpoints, shared by every engine the simulation opens.
#[derive(Debug, Default)]
pub struct World {
    state: Mutex<State>,
}

impl World {
    pub fn new(seed: u64) -> World {
        let state = State { rng: Some(fastrand::Rng::with_seed(seed ^ 0x5EED_0F0A_7E00)), ..State::default() };
        World { state: Mutex::new(state) }
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// From now on every call succeeds.
    pub fn heal(&self) {
        self.with(|s| s.healthy = true);
    }

    pub fn set_opted_out(&self, contacts: BTreeSet<i64>) {
        self.with(|s| s.opted_out = contacts);
    }

    pub fn performed(&self) -> Vec<Performed> {
        self.with(|s| s.performed.clone())
    }

    /// Every key an effect was performed under.
    pub fn keys(&self) -> BTreeSet<String> {
        self.with(|s| s.performed.iter().map(|p| p.key.clone()).collect())
    }

    /// A channel id of a sent message, drawn by `pick` (for a delivery status).
    pub fn sent_id(&self, pick: usize) -> Option<String> {
        self.with(|s| (!s.sent_ids.is_empty()).then(|| s.sent_ids[pick % s.sent_ids.len()].clone()))
    }

    pub fn take_violations(&self) -> Vec<String> {
        self.with(|s| std::mem::take(&mut s.violations))
    }

    pub fn trace(&self) -> Vec<String> {
        self.with(|s| s.trace.clone())
    }

    /// Draws a number in `0..1000` from the world's stream (1000 when healthy: no fault).
    fn draw(s: &mut State) -> u32 {
        match (&mut s.rng, s.healthy) {
            (Some(rng), false) => rng.u32(..1000),
            _ => 1000,
        }
    }

    /// Records an effect performed under `wire_key` and checks it against what came before.
    fn perform(
        s: &mut State,
        wire_key: &str,
        kind: &'static str,
        contact_id: Option<i64>,
        automated: bool,
        what: String,
    ) {
        let key = strip_installation(wire_key).to_owned();
        let effect = effect_of_key(&key);
        let keys = s.keys_of.entry(effect.clone()).or_default();
        keys.insert(key.clone());
        if keys.len() == 2 {
            s.violations.push(format!(
                "effect {effect} was performed under two keys: {:?} (a retry must keep its original key)",
                keys
            ));
        }
        match s.effect_of.get(&key) {
            Some(before) if before != &what => {
                s.violations.push(format!("key {key} carried two different effects: {before} and then {what}"))
            }
            Some(_) => {}
            None => {
                s.effect_of.insert(key.clone(), what);
            }
        }
        if let (true, Some(contact)) = (automated, contact_id) {
            if s.opted_out.contains(&contact) {
                s.violations.push(format!(
                    "a workflow's message ({key}) was sent to contact {contact} after their opt-out was committed"
                ));
            }
        }
        // An agent's reply carries a random part in its key: the trace leaves it out, so a
        // replay's trace is the same.
        let shown = match key.strip_prefix("agent:") {
            Some(rest) => format!("agent:{}", rest.rsplit_once(':').map_or(rest, |(head, _)| head)),
            None => key.clone(),
        };
        s.trace.push(format!("performed {kind} {shown}"));
        s.performed.push(Performed { key, kind, contact_id });
    }
}

/// The key as the engine stores it: the wire key without `<installation>:`.
pub fn strip_installation(wire_key: &str) -> &str {
    wire_key.split_once(':').map(|(_, rest)| rest).unwrap_or(wire_key)
}

/// The effect a key stands for: a run's effect keys are `run:step:visit:seq:index` (the seq
/// is the journal position of the decision, which a retry carries over); anything after
/// those five parts would make a second key for the same effect. Other keys name themselves.
pub fn effect_of_key(key: &str) -> String {
    let parts: Vec<&str> = key.split(':').collect();
    let numeric = |i: usize| parts.get(i).is_some_and(|p| p.parse::<i64>().is_ok());
    if parts.len() >= 5 && numeric(0) && numeric(2) && numeric(3) && numeric(4) {
        format!("run {} step {} visit {} seq {} effect {}", parts[0], parts[1], parts[2], parts[3], parts[4])
    } else {
        key.to_owned()
    }
}

impl Transport for World {
    fn deliver<'a>(
        &'a self,
        key: &'a str,
        payload: &'a OutboxPayload,
        progress: i64,
    ) -> Pending<'a, Result<String, DeliveryError>> {
        let result = self.with(|s| {
            let roll = World::draw(s);
            let error =
                |reason: &str, retry: bool| DeliveryError { reason: reason.into(), retry, progress, unknown: false };
            let automated = payload.template.is_some();
            let what = format!("message to {} on {}: {:?}", payload.contact_id, payload.channel, payload.message.text);
            match roll {
                // The channel is down: nothing went out.
                0..=39 => Err(error("the channel answered HTTP 503", true)),
                // Refused for good.
                40..=54 => Err(error("the channel answered HTTP 400", false)),
                // Connection refused: nothing went out.
                55..=79 => Err(error("could not reach the channel: connection failed", true)),
                // It went out, but the answer was lost (a timeout): the engine tries again under
                // the same key, and the channel (which deduplicates by key) sees it twice.
                80..=119 => {
                    World::perform(s, key, "message", Some(payload.contact_id), automated, what);
                    Err(error("could not reach the channel: timed out", true))
                }
                _ => {
                    World::perform(s, key, "message", Some(payload.contact_id), automated, what);
                    let id = format!("ch-{}", s.sent_ids.len());
                    s.sent_ids.push(id.clone());
                    Ok(id)
                }
            }
        });
        Box::pin(async move { result })
    }

    fn call<'a>(&'a self, request: &'a HttpRequest, key: &'a str) -> Pending<'a, Outcome> {
        let outcome = self.with(|s| {
            let roll = World::draw(s);
            let what = format!("{} {} {:?}", request.method, request.url, request.body);
            let contact = None;
            match roll {
                0..=49 => Outcome::HttpFailed { reason: "could not connect".into() },
                50..=99 => {
                    World::perform(s, key, "http", contact, false, what);
                    Outcome::HttpFailed { reason: format!("timed out after {:?}", request.timeout) }
                }
                100..=149 => {
                    World::perform(s, key, "http", contact, false, what);
                    Outcome::HttpResponse { status: 503, headers: Default::default(), body: serde_json::json!("busy") }
                }
                _ => {
                    World::perform(s, key, "http", contact, false, what);
                    Outcome::HttpResponse {
                        status: 200,
                        headers: Default::default(),
                        body: serde_json::json!({"tier": "gold"}),
                    }
                }
            }
        });
        Box::pin(async move { outcome })
    }
}

/// Decides each durable step's fate from the seed: now and then a commit fails (the process
/// goes on), now and then the process dies (at a commit or before a call).
#[derive(Debug)]
pub struct FaultPlan {
    state: Mutex<(fastrand::Rng, bool)>,
    /// Per thousand durable steps: how many crash the process.
    crash: u32,
    /// Per thousand commits: how many fail.
    fail: u32,
}

impl FaultPlan {
    pub fn new(seed: u64, crash: u32, fail: u32) -> FaultPlan {
        FaultPlan { state: Mutex::new((fastrand::Rng::with_seed(seed ^ 0xFA01_7000), true)), crash, fail }
    }

    /// No more faults (the set-up and the final drain).
    pub fn disable(&self) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).1 = false;
    }

    /// Faults from now on.
    pub fn enable(&self) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).1 = true;
    }
}

impl Faults for FaultPlan {
    fn at(&self, step: DurableStep) -> FaultAction {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if !state.1 {
            return FaultAction::Proceed;
        }
        let roll = state.0.u32(..1000);
        if roll < self.crash {
            FaultAction::Crash
        } else if step == DurableStep::Commit && roll < self.crash + self.fail {
            FaultAction::Fail
        } else {
            FaultAction::Proceed
        }
    }
}

/// One engine's way to the world when several engines share it: the same world, behind a
/// gate the driver can close to pause that engine in the middle of its outbox work (after it
/// claimed rows, before it performs them), as a stopped process or a long pause would.
#[derive(Debug)]
pub struct Gated {
    world: std::sync::Arc<World>,
    gate: std::sync::Arc<Gate>,
}

/// A gate: while closed, calls wait at it; `reached` says one arrived.
#[derive(Debug, Default)]
pub struct Gate {
    closed: std::sync::atomic::AtomicBool,
    opened: tokio::sync::Notify,
    arrived: tokio::sync::Notify,
}

impl Gate {
    pub fn close(&self) {
        self.closed.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn open(&self) {
        self.closed.store(false, std::sync::atomic::Ordering::SeqCst);
        self.opened.notify_waiters();
    }

    /// Resolves once a call has arrived at the closed gate.
    pub async fn reached(&self) {
        self.arrived.notified().await;
    }

    async fn pass(&self) {
        while self.closed.load(std::sync::atomic::Ordering::SeqCst) {
            let opened = self.opened.notified();
            tokio::pin!(opened);
            opened.as_mut().enable();
            if !self.closed.load(std::sync::atomic::Ordering::SeqCst) {
                break;
            }
            self.arrived.notify_one();
            opened.await;
        }
    }
}

impl Gated {
    pub fn new(world: std::sync::Arc<World>, gate: std::sync::Arc<Gate>) -> Gated {
        Gated { world, gate }
    }
}

impl Transport for Gated {
    fn deliver<'a>(
        &'a self,
        key: &'a str,
        payload: &'a OutboxPayload,
        progress: i64,
    ) -> Pending<'a, Result<String, DeliveryError>> {
        Box::pin(async move {
            self.gate.pass().await;
            self.world.deliver(key, payload, progress).await
        })
    }

    fn call<'a>(&'a self, request: &'a HttpRequest, key: &'a str) -> Pending<'a, Outcome> {
        Box::pin(async move {
            self.gate.pass().await;
            self.world.call(request, key).await
        })
    }
}
