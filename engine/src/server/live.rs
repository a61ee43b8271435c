//! Live updates as server-sent events: run progress and new messages, optionally narrowed
//! to one contact, run or workflow. A client that falls behind gets a `lagged` event and
//! should reload what it shows.

use super::auth::{Caller, Role};
use super::error::ApiError;
use super::AppState;
use crate::runtime::LiveEvent;
use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::Stream;
use serde::Deserialize;
use std::convert::Infallible;
use tokio::sync::broadcast::error::RecvError;

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
    let receiver = s.engine.subscribe();
    let stream = futures_util::stream::unfold((receiver, q), |(mut receiver, q)| async move {
        loop {
            match receiver.recv().await {
                Ok(change) if q.wants(&change) => {
                    let kind = match &change {
                        LiveEvent::Run { .. } => "run",
                        LiveEvent::Messages { .. } => "messages",
                    };
                    let event = Event::default().event(kind).json_data(&change).unwrap_or_else(|_| Event::default());
                    return Some((Ok(event), (receiver, q)));
                }
                Ok(_) => continue,
                Err(RecvError::Lagged(missed)) => {
                    let event = Event::default().event("lagged").data(missed.to_string());
                    return Some((Ok(event), (receiver, q)));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
