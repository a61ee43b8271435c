//! Accepting events: a request's events are stored durably (deduplicated by the sender's id)
//! before it is answered, and concurrent requests share one transaction — group commit at the
//! door. A request puts its events in the waiting line; one task at a time (the drainer, spawned
//! by whoever found none running) takes everything waiting, writes it in one transaction with
//! one fsync, and answers each request. While it commits, the next requests gather for the
//! following transaction, so under load a commit carries many requests and alone it carries one
//! (no added wait). If a group's transaction fails, each request of it is tried again alone, so
//! one request's failure is its own. The drainer is its own task: a request whose client goes
//! away (its future dropped) never abandons the others' commit half-way.

use super::events::Event;
use super::{Engine, Error};
use std::collections::HashSet;
use tokio::sync::oneshot;

/// What accepting an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Accepted {
    /// The sender's id was seen before; nothing was queued.
    pub duplicate: bool,
}

/// One request's events, waiting for the next group's commit.
struct Submission {
    events: Vec<Event>,
    answer: oneshot::Sender<Result<Vec<Accepted>, Error>>,
}

/// The waiting line, and whether a drainer is taking it.
#[derive(Default)]
pub(crate) struct Intake {
    state: std::sync::Mutex<IntakeState>,
}

impl std::fmt::Debug for Intake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f.debug_struct("Intake").field("waiting", &state.waiting.len()).field("draining", &state.draining).finish()
    }
}

#[derive(Default)]
struct IntakeState {
    waiting: Vec<Submission>,
    draining: bool,
}

/// Events written per group transaction at most; the rest wait for the next one.
const GROUP_EVENTS_MAX: usize = 2000;

impl Engine {
    /// Accepts events durably. Returns, per event, whether it was a duplicate (same source
    /// and id as an event accepted before, or earlier in the same call or its group).
    pub async fn enqueue(&self, events: &[Event]) -> Result<Vec<Accepted>, Error> {
        // An oversized event is refused whole before anything is stored. A channel's delivery
        // is exempt: it is verified, bounded by the channel itself, and may carry many
        // contacts' messages, which one refusal would hold back (and the channel retry).
        for event in events.iter().filter(|e| !e.source.starts_with("channel:")) {
            event.check_limits()?;
        }
        // Nor is it refused for a NUL character, which PostgreSQL cannot store (SQLite can):
        // it becomes U+FFFD, so one delivery gives the same result on both backends.
        let events: Vec<Event> = events
            .iter()
            .cloned()
            .map(|mut e| {
                if e.source.starts_with("channel:") {
                    e.replace_nul();
                }
                e
            })
            .collect();
        self.check_alive()?;
        let (answer, answered) = oneshot::channel();
        let start_drainer = {
            let mut state = self.inner.intake.state.lock().unwrap_or_else(|e| e.into_inner());
            state.waiting.push(Submission { events, answer });
            !std::mem::replace(&mut state.draining, true)
        };
        if start_drainer {
            let engine = self.clone();
            tokio::spawn(async move { engine.drain_intake().await });
        }
        // The drainer answers every submission it takes; a dropped answer means it panicked.
        answered.await.map_err(|_| Error::Refused("the events could not be stored; try again".into()))?
    }

    /// Takes what waits, a group per transaction, until nothing does.
    async fn drain_intake(&self) {
        loop {
            let group = {
                let mut state = self.inner.intake.state.lock().unwrap_or_else(|e| e.into_inner());
                if state.waiting.is_empty() {
                    state.draining = false;
                    return;
                }
                // At least one request, however large; more while they fit.
                let (mut take, mut events) = (0, 0);
                for submission in &state.waiting {
                    if take > 0 && events + submission.events.len() > GROUP_EVENTS_MAX {
                        break;
                    }
                    events += submission.events.len();
                    take += 1;
                }
                state.waiting.drain(..take).collect::<Vec<_>>()
            };
            self.accept_group(group).await;
        }
    }

    /// Writes a group's events in one transaction and answers each request; after a failure,
    /// each request alone.
    async fn accept_group(&self, group: Vec<Submission>) {
        if group.len() > 1 {
            let all: Vec<&Event> = group.iter().flat_map(|s| s.events.iter()).collect();
            if let Ok(mut accepted) = self.accept(&all).await {
                for submission in group {
                    let rest = accepted.split_off(submission.events.len());
                    let _ = submission.answer.send(Ok(std::mem::replace(&mut accepted, rest)));
                }
                return;
            }
        }
        for submission in group {
            let events: Vec<&Event> = submission.events.iter().collect();
            let _ = submission.answer.send(self.accept(&events).await);
        }
    }

    /// Stores events in one transaction and a few statements: their ids in the inbox (a
    /// repeat is a duplicate), the new ones in the queue, then wakes the queue. When the queue
    /// is idle (on SQLite, in the engine running the loops), the new ones are processed in
    /// this same transaction instead of
    /// being queued (`Engine::process_accepted`): one commit from a request to its flow's
    /// first effects, and no wait for the queue's loop.
    async fn accept(&self, events: &[&Event]) -> Result<Vec<Accepted>, Error> {
        let mut tx = self.begin().await?;
        let now = self.now_ms();
        let with_ids: Vec<(&str, &str)> =
            events.iter().filter_map(|e| e.id.as_deref().map(|id| (e.source.as_str(), id))).collect();
        let mut fresh: HashSet<(String, String)> =
            store::inbox::insert_new(tx.conn(), self.inner.backend, &with_ids, now).await?.into_iter().collect();
        if self.inner.sabotage == Some(crate::transport::Sabotage::ForgetDuplicates) {
            fresh = with_ids.iter().map(|(s, id)| (s.to_string(), id.to_string())).collect();
        }
        let mut out = Vec::with_capacity(events.len());
        let mut queued: Vec<store::queue::NewEvent> = Vec::with_capacity(events.len());
        let mut fresh_events: Vec<&Event> = Vec::with_capacity(events.len());
        for event in events {
            let accept = match &event.id {
                // The first occurrence takes the fresh slot; a repeat in the same call is a duplicate.
                Some(id) => fresh.remove(&(event.source.clone(), id.clone())),
                None => true,
            };
            if accept {
                fresh_events.push(event);
                let body = serde_json::to_string(&event.kind).map_err(|e| Error::Refused(e.to_string()))?;
                let verified = match event.verified.is_empty() {
                    true => None,
                    false => Some(serde_json::to_string(&event.verified).map_err(|e| Error::Refused(e.to_string()))?),
                };
                queued.push(store::queue::NewEvent {
                    source: event.source.clone(),
                    event_id: event.id.clone(),
                    body,
                    contact_key: event.kind.contact().map(super::queue::contact_key),
                    verified,
                });
            }
            out.push(Accepted { duplicate: !accept });
        }
        match self.process_accepted(tx.conn(), &fresh_events).await? {
            Some((wake_outbox, wake_timers)) => {
                let committed = self.commit(tx).await;
                let changes = self.take_pending_live();
                committed?;
                self.after_commit(wake_outbox, wake_timers);
                self.announce(changes);
            }
            None => {
                store::queue::insert(tx.conn(), self.inner.backend, &queued, now).await?;
                self.commit(tx).await?;
                self.inner.queue_wake.notify_one();
                self.notify_peers(super::Wake::Queue);
            }
        }
        Ok(out)
    }
}
