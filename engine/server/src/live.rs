//! Live updates as server-sent events: run progress and new messages, optionally narrowed
//! to one contact, run or workflow. A client that falls behind gets a `lagged` event and
//! should reload what it shows. Each subscriber gets only what its token may read (an agent:
//! contacts whose conversation they may see), and a stream ends once its token is revoked.

use super::auth::{Caller, Role};
use super::error::ApiError;
use super::AppState;
use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::Stream;
use runtime::{Engine, LiveEvent};
use serde::Deserialize;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch};

/// How often a stream re-checks its token. A revocation in this process wakes streams at
/// once; this bounds how long one made by another process (PostgreSQL) goes unnoticed.
const TOKEN_RECHECK: Duration = Duration::from_secs(2);

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct LiveQuery {
    contact_id: Option<i64>,
    run_id: Option<i64>,
    workflow: Option<String>,
}

impl LiveQuery {
    fn wants(&self, e: &LiveEvent) -> bool {
        match e {
            LiveEvent::Run { run_id, workflow_id, contact_id, .. } => {
                self.contact_id.is_none_or(|c| c == *contact_id)
                    && self.run_id.is_none_or(|r| r == *run_id)
                    && self.workflow.as_ref().is_none_or(|w| w == workflow_id)
            }
            LiveEvent::Messages { contact_id } => {
                self.run_id.is_none() && self.workflow.is_none() && self.contact_id.is_none_or(|c| c == *contact_id)
            }
        }
    }
}

/// One subscriber: what it asked for, whose token it holds, and what ends it.
struct Subscription {
    engine: Engine,
    changes: broadcast::Receiver<LiveEvent>,
    query: LiveQuery,
    token_id: i64,
    /// An agent token's agent: they get only contacts they may see (admins and ops see all).
    agent: Option<String>,
    revocations: watch::Receiver<u64>,
    recheck: tokio::time::Interval,
}

impl Subscription {
    /// The next event for this subscriber; `None` ends the stream.
    async fn next(&mut self) -> Option<Event> {
        loop {
            tokio::select! {
                // Revocations first: nothing more goes out on a revoked token.
                biased;
                changed = self.revocations.changed() => {
                    if changed.is_err() || !self.token_is_live().await {
                        return None;
                    }
                }
                _ = self.recheck.tick() => {
                    if !self.token_is_live().await {
                        return None;
                    }
                }
                received = self.changes.recv() => match received {
                    Ok(change) => {
                        if self.query.wants(&change) && self.may_see(&change).await {
                            let kind = match &change {
                                LiveEvent::Run { .. } => "run",
                                LiveEvent::Messages { .. } => "messages",
                            };
                            return Some(Event::default().event(kind).json_data(&change).unwrap_or_default());
                        }
                    }
                    Err(RecvError::Lagged(missed)) => {
                        return Some(Event::default().event("lagged").data(missed.to_string()));
                    }
                    Err(RecvError::Closed) => return None,
                },
            }
        }
    }

    /// A token that cannot be checked (the database is down) counts as revoked: the client
    /// reconnects and authenticates again.
    async fn token_is_live(&self) -> bool {
        let live = self.engine.token_is_live(self.token_id).await;
        if live.is_err() {
            tracing::warn!(token_id = self.token_id, "could not re-check a live stream's token; ending the stream");
        }
        live.unwrap_or(false)
    }

    /// The same rule as the inbox's: an agent sees a contact whose latest conversation is
    /// theirs, their team's or unassigned (or who has none yet).
    async fn may_see(&self, change: &LiveEvent) -> bool {
        let Some(agent) = &self.agent else { return true };
        let contact_id = match change {
            LiveEvent::Run { contact_id, .. } | LiveEvent::Messages { contact_id } => *contact_id,
        };
        self.engine.agent_may_see_contact(contact_id, agent).await.unwrap_or(false)
    }
}

pub async fn live(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<LiveQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    caller.require(&[Role::Ops, Role::Agent, Role::Integration])?;
    // The simulator's contact page follows one contact; integrations see nothing wider.
    if caller.role == Role::Integration {
        let contact = q.contact_id.ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "forbidden",
                "an `integration` token follows one contact: give `contact_id`",
            )
        })?;
        // Only a simulator contact (the contact page's), not any real contact.
        if !s.engine.is_simulator_contact(contact).await? {
            return Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "forbidden",
                "an `integration` token follows only simulator contacts",
            ));
        }
    }
    let mut recheck = tokio::time::interval(TOKEN_RECHECK);
    recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let subscription = Subscription {
        changes: s.engine.subscribe(),
        revocations: s.engine.watch_revocations(),
        engine: s.engine,
        query: q,
        token_id: caller.token_id,
        agent: super::inbox::bound_agent(&caller).map(str::to_owned),
        recheck,
    };
    let stream = futures_util::stream::unfold(subscription, |mut sub| async move {
        let event = sub.next().await?;
        Some((Ok(event), sub))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
