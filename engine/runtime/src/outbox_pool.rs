//! The outbox as a continuous pool: rows are claimed while there is room, performed in two
//! lanes (channel messages apart from HTTP calls, each with its own cap) with a limit per
//! destination (an HTTP call's host, a message's channel connection), and each outcome is
//! recorded as soon as it is known. A slow endpoint therefore holds only its own calls: other
//! hosts' calls and every contact's messages go on around it.
//!
//! Guarantees kept from the one-pass outbox (`outbox.rs`, which the tests still drive
//! directly): a contact's messages are performed in order, one at a time, and a failure holds
//! back that contact's later messages (the claim query and the per-contact job see to it);
//! every row is leased with a fencing epoch (renewed by the heartbeat, checked when the
//! outcome is recorded); every effect carries its idempotency key.
//!
//! Bound on re-performed effects after a crash: a job (one HTTP call, or one contact's
//! messages) performs its next effect only once the previous one's outcome is committed, and
//! its slot is freed only then; so at any moment at most [`PoolLimits::total`] effects are
//! performed but not recorded, and that is all a crash can make the next process perform again.

use super::batch::OutboxLanes;
use super::outbox::{Done, Pending};
use super::{Engine, Error};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use store::outbox_payload::OutboxPayload;
use tokio::sync::{mpsc, oneshot};

/// How many effects the pool performs at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolLimits {
    /// Messages in flight (channel sends), all channels together.
    pub messages: usize,
    /// HTTP calls in flight, all hosts together.
    pub http: usize,
    /// In flight to one destination: one HTTP host, or one channel connection.
    pub per_destination: usize,
    /// Rows held claimed (leased, renewed) while they wait for their destination, per lane.
    /// When this many wait, the lane claims nothing more until some are performed.
    pub backlog: usize,
}

impl Default for PoolLimits {
    fn default() -> Self {
        PoolLimits { messages: 32, http: 32, per_destination: 16, backlog: 2000 }
    }
}

impl PoolLimits {
    /// The pool's size: effects in flight (performed or being performed, outcome not yet
    /// recorded) at any moment, at most.
    pub fn total(&self) -> usize {
        self.messages + self.http
    }
}

/// The two lanes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lane {
    Messages,
    Http,
}

impl Lane {
    fn index(self) -> usize {
        match self {
            Lane::Messages => 0,
            Lane::Http => 1,
        }
    }

    /// The lane's bit in a wake-up.
    fn bit(self) -> OutboxLanes {
        match self {
            Lane::Messages => OutboxLanes::MESSAGES,
            Lane::Http => OutboxLanes::HTTP,
        }
    }

    fn kind(self) -> &'static str {
        match self {
            Lane::Messages => "message",
            Lane::Http => "http",
        }
    }
}

/// Work for one task: one HTTP call, or one contact's messages (performed in order).
struct Job {
    destination: String,
    rows: Vec<Pending>,
    /// The lane's claim count when this job was claimed (see [`LaneState::claims`]).
    claimed_in: u64,
}

/// A job's end, as its task reports it to the pool's loop.
struct Finished {
    lane: Lane,
    destination: String,
    claimed_in: u64,
}

/// One lane's state, owned by the pool's loop (no locks: only the loop changes it).
#[derive(Default)]
struct LaneState {
    running: usize,
    waiting: usize,
    destinations: HashMap<String, Destination>,
    /// Whether a claim could find rows: set by a wake-up (a new row, a retry due, a peer's
    /// news), kept while the lane has no room to claim, cleared by a claim that found fewer
    /// rows than it asked for. A lane that is not dirty is not queried: a finished job alone
    /// says nothing new about the table.
    dirty: bool,
    /// Claims made so far. A contact's message claimed while its earlier ones were leased is
    /// skipped by the claim; when a job finishes after a later claim, the lane is dirty again
    /// so those rows are claimed now.
    claims: u64,
}

#[derive(Default)]
struct Destination {
    running: usize,
    queue: VecDeque<Job>,
}

/// An outcome on its way to the recorder; `ack` says when it is committed.
struct Outcome {
    pending: Pending,
    done: Done,
    ack: oneshot::Sender<()>,
}

/// Outcomes recorded per transaction at most.
const RECORD_MAX: usize = 200;

impl Engine {
    /// Performs the outbox continuously until the future is dropped (see the module's
    /// documentation). The background loop's outbox task is this one call.
    pub(super) async fn run_outbox_pool(&self, limits: PoolLimits, pulse: super::supervise::Pulse) {
        // Rows this process leased before are in nobody's hands now: a pool that panicked
        // (and is started again by its supervisor) lost the jobs it held, and the leases loop
        // would renew their leases for as long as the process lives. They are claimed again,
        // under their keys (one performed but not recorded is performed again).
        loop {
            match self.free_own_leases().await {
                Ok(freed) => {
                    if freed > 0 {
                        tracing::warn!(freed, "outbox rows held by an earlier outbox pool of this process freed");
                    }
                    break;
                }
                Err(e) => {
                    tracing::error!(error = %e, "freeing this process's outbox leases failed");
                    pulse.idle(tokio::time::sleep(super::ERROR_BACKOFF)).await;
                }
            }
        }
        let (outcomes_tx, outcomes_rx) = mpsc::unbounded_channel::<Outcome>();
        let (finished_tx, mut finished_rx) = mpsc::unbounded_channel::<Finished>();
        // Tasks live as long as this future: dropping it (shutdown) aborts them.
        let mut tasks = tokio::task::JoinSet::new();
        {
            let engine = self.clone();
            tasks.spawn(async move { engine.record_outcomes(outcomes_rx).await });
        }
        let mut lanes = [(Lane::Messages, LaneState::default()), (Lane::Http, LaneState::default())];
        let finish = |lanes: &mut [(Lane, LaneState); 2], finished: Finished| {
            let state = &mut lanes[finished.lane.index()].1;
            state.running -= 1;
            if let Some(d) = state.destinations.get_mut(&finished.destination) {
                d.running -= 1;
            }
            // Only a message's claim skips rows (a contact's later messages while its earlier
            // ones are leased); an HTTP call's end frees room and nothing else.
            if finished.lane == Lane::Messages && state.claims > finished.claimed_in {
                state.dirty = true;
            }
        };
        // Every lane is looked at first; then a lane whenever a commit queued rows in it, and
        // every lane (with the next retry's due time) on any other wake-up.
        let mut woken = Some(OutboxLanes::ALL);
        let mut next_retry = None;
        let cap = |lane: Lane| match lane {
            Lane::Messages => limits.messages.max(1),
            Lane::Http => limits.http.max(1),
        };
        loop {
            pulse.beat();
            while let Ok(finished) = finished_rx.try_recv() {
                finish(&mut lanes, finished);
            }
            if let Some(which) = woken.take() {
                for (lane, state) in lanes.iter_mut() {
                    state.dirty |= which.contains(lane.bit());
                }
                if which == OutboxLanes::ALL {
                    match self.next_outbox_retry().await {
                        Ok(due) => next_retry = due,
                        Err(e) => {
                            tracing::error!(error = %e, "reading the next outbox retry failed");
                            woken = Some(OutboxLanes::ALL);
                            pulse.idle(tokio::time::sleep(super::ERROR_BACKOFF)).await;
                            continue;
                        }
                    }
                }
            }
            // Reap finished task handles (they return nothing of interest).
            while tasks.try_join_next().is_some() {}
            let mut failed = false;
            for (lane, state) in lanes.iter_mut() {
                let lane = *lane;
                self.dispatch(lane, state, cap(lane), limits, &mut tasks, &outcomes_tx, &finished_tx);
                // Claim while a job could start now and the backlog has room.
                while state.dirty {
                    let free = cap(lane).saturating_sub(state.running);
                    if free == 0 || state.waiting >= limits.backlog {
                        break;
                    }
                    state.claims += 1;
                    let jobs = match self.claim_jobs(lane, free as i64, state.claims).await {
                        Ok(jobs) => jobs,
                        Err(e) => {
                            tracing::error!(error = %e, "claiming outbox rows failed");
                            failed = true;
                            break;
                        }
                    };
                    let claimed = jobs.iter().map(|j| j.rows.len()).sum::<usize>();
                    for job in jobs {
                        state.waiting += 1;
                        state.destinations.entry(job.destination.clone()).or_default().queue.push_back(job);
                    }
                    self.dispatch(lane, state, cap(lane), limits, &mut tasks, &outcomes_tx, &finished_tx);
                    if claimed < free {
                        state.dirty = false;
                    }
                }
                state.destinations.retain(|_, d| d.running > 0 || !d.queue.is_empty());
            }
            if failed {
                woken = Some(OutboxLanes::ALL);
                pulse.idle(tokio::time::sleep(super::ERROR_BACKOFF)).await;
                continue;
            }
            // Wait for a finished job (room, and perhaps a contact's next message), a new row
            // (or a retry recorded), or the next retry coming due.
            let woke = pulse
                .idle(async {
                    tokio::select! {
                        finished = finished_rx.recv() => finished,
                        _ = self.sleep_until(next_retry, &self.inner.outbox_wake) => None,
                    }
                })
                .await;
            match woke {
                Some(finished) => finish(&mut lanes, finished),
                // A wake-up with no lane named is a timeout (the next retry is due, or the
                // poll), about every lane.
                None => {
                    let named = OutboxLanes::from_bits(self.inner.outbox_lanes.swap(0, Ordering::SeqCst));
                    woken = Some(if named.any() { named } else { OutboxLanes::ALL });
                }
            }
        }
    }

    /// Starts every queued job whose lane and destination have room.
    #[allow(clippy::too_many_arguments)]
    fn dispatch(
        &self,
        lane: Lane,
        state: &mut LaneState,
        cap: usize,
        limits: PoolLimits,
        tasks: &mut tokio::task::JoinSet<()>,
        outcomes: &mpsc::UnboundedSender<Outcome>,
        finished: &mpsc::UnboundedSender<Finished>,
    ) {
        if state.running >= cap {
            return;
        }
        // Oldest first across destinations: the job whose first row is oldest goes first.
        let mut ready: Vec<(i64, String)> = state
            .destinations
            .iter()
            .filter(|(_, d)| d.running < limits.per_destination.max(1))
            .filter_map(|(name, d)| d.queue.front().map(|j| (j.rows[0].id, name.clone())))
            .collect();
        ready.sort();
        let mut ready: VecDeque<(i64, String)> = ready.into();
        while state.running < cap {
            let Some((_, name)) = ready.pop_front() else { break };
            let Some(d) = state.destinations.get_mut(&name) else { continue };
            let Some(job) = d.queue.pop_front() else { continue };
            d.running += 1;
            state.running += 1;
            state.waiting -= 1;
            if d.running < limits.per_destination.max(1) {
                if let Some(next) = d.queue.front() {
                    // Keep the order by age among what is left.
                    let id = next.rows[0].id;
                    let at = ready.iter().position(|(i, _)| *i > id).unwrap_or(ready.len());
                    ready.insert(at, (id, name.clone()));
                }
            }
            let engine = self.clone();
            let outcomes = outcomes.clone();
            let finished = finished.clone();
            tasks.spawn(async move {
                engine.perform_job(&job, &outcomes).await;
                let _ = finished.send(Finished { lane, destination: job.destination, claimed_in: job.claimed_in });
            });
        }
    }

    /// Performs a job's rows in order, each only after the previous one's outcome is
    /// committed; after a failure the rest are given back unperformed (the contact's order).
    async fn perform_job(&self, job: &Job, outcomes: &mpsc::UnboundedSender<Outcome>) {
        let mut stopped = false;
        for p in &job.rows {
            let done = if stopped { Done::NotTried } else { self.perform(p).await };
            // An unknown delivery does not hold back the next ones: the run went on as if it
            // was sent.
            stopped = stopped || !matches!(done, Done::Sent { .. } | Done::Http(_) | Done::Unknown { .. });
            let (ack, acked) = oneshot::channel();
            if outcomes.send(Outcome { pending: p.clone(), done, ack }).is_err() {
                return;
            }
            // Dropped unacknowledged only when the recorder is gone (shutdown).
            if acked.await.is_err() {
                return;
            }
        }
    }

    /// Records outcomes as they arrive: whatever is waiting goes in one transaction, so an
    /// effect that finished never waits for a slow one.
    async fn record_outcomes(&self, mut rx: mpsc::UnboundedReceiver<Outcome>) {
        while let Some(first) = rx.recv().await {
            let mut group = vec![first];
            while group.len() < RECORD_MAX {
                match rx.try_recv() {
                    Ok(o) => group.push(o),
                    Err(_) => break,
                }
            }
            let (results, acks): (Vec<(Pending, Done)>, Vec<oneshot::Sender<()>>) =
                group.into_iter().map(|o| ((o.pending, o.done), o.ack)).unzip();
            // An outcome is never dropped: the store is tried until it takes it (a row whose
            // lease ran out meanwhile is dropped by the fence, as another process has it).
            loop {
                match self.record_results(&results).await {
                    Ok(()) => break,
                    Err(Error::Crashed) => return,
                    Err(e) => {
                        tracing::error!(error = %e, "recording outbox outcomes failed; trying again");
                        tokio::time::sleep(super::ERROR_BACKOFF).await;
                    }
                }
            }
            // A retry's due time is news to the pool's loop, which otherwise reads it only when
            // woken.
            if results.iter().any(|(_, done)| matches!(done, Done::Retry { .. })) {
                self.wake_outbox(OutboxLanes::ALL);
            }
            for ack in acks {
                let _ = ack.send(());
            }
        }
    }

    /// Claims up to `limit` due rows of one lane, as jobs: a contact's messages together,
    /// each HTTP call alone. `claimed_in`: the lane's claim count, kept by each job.
    async fn claim_jobs(&self, lane: Lane, limit: i64, claimed_in: u64) -> Result<Vec<Job>, Error> {
        let rows = self.claim_pending(limit, Some(lane.kind())).await?;
        let mut jobs: Vec<Job> = Vec::new();
        let mut by_contact: HashMap<i64, usize> = HashMap::new();
        for (p, contact) in rows {
            match lane {
                Lane::Http => jobs.push(Job { destination: http_destination(&p), rows: vec![p], claimed_in }),
                Lane::Messages => match by_contact.get(&contact.unwrap_or_default()) {
                    Some(&i) => jobs[i].rows.push(p),
                    None => {
                        by_contact.insert(contact.unwrap_or_default(), jobs.len());
                        let destination =
                            OutboxPayload::from_value(&p.payload).map_or_else(|| "simulator".to_owned(), |m| m.channel);
                        jobs.push(Job { destination: format!("channel:{destination}"), rows: vec![p], claimed_in });
                    }
                },
            }
        }
        Ok(jobs)
    }

    /// Frees the leases this process holds (see [`Engine::run_outbox_pool`]).
    async fn free_own_leases(&self) -> Result<u64, Error> {
        let mut tx = self.begin().await?;
        let freed = store::outbox::free_leases_of(tx.conn(), &self.inner.worker).await?;
        tx.commit().await?;
        Ok(freed)
    }

    /// Wakes the pool: `lanes` have new rows (`OutboxLanes::ALL`: anything may have changed).
    pub(crate) fn wake_outbox(&self, lanes: OutboxLanes) {
        if lanes.any() {
            self.inner.outbox_lanes.fetch_or(lanes.bits(), Ordering::SeqCst);
            self.inner.outbox_wake.notify_one();
        }
    }

    /// When the next row backing off after a failure is due (rows due now are claimed as soon
    /// as there is room, which a finished job announces).
    async fn next_outbox_retry(&self) -> Result<Option<chrono::DateTime<chrono::Utc>>, Error> {
        let due = store::outbox::next_retry(&self.inner.pool, self.now_ms()).await?;
        Ok(due.map(crate::clock::from_millis))
    }
}

/// An HTTP call's destination: its URL's host and port (an unreadable URL fails at once, on
/// a destination of its own).
fn http_destination(p: &Pending) -> String {
    let url = p.payload.get("url").and_then(|u| u.as_str()).unwrap_or_default();
    match reqwest::Url::parse(url.trim()) {
        Ok(u) => format!("http:{}:{}", u.host_str().unwrap_or_default(), u.port_or_known_default().unwrap_or_default()),
        Err(_) => "http:".to_owned(),
    }
}
