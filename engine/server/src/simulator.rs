//! The contact's side of the simulator channel, for the console's contact page (demos and
//! browser tests): a contact identified by an address writes or presses a button, and reads
//! what they were sent — their messages and the flows' and agents', never internal notes or
//! system lines. Integration tokens (and admins) may use it; it is the simulator channel's
//! stand-in for a real channel's webhook.

use super::answers::{self, Created, SimulatorConversation, SimulatorSaid, TimelineLine};
use super::auth::{Caller, Role};
use super::error::{ApiError, Body};
use super::AppState;
use axum::extract::{Path, State};
use axum::Json;
use runtime::steps::message::InboundMessage;
use runtime::{ContactRef, EventKind};
use serde::Deserialize;
use serde_json::{json, Map};

/// The channel these contacts write on.
const CHANNEL: &str = "simulator";

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulatedMessage {
    /// Who writes: their address on the simulator channel (any short text).
    address: String,
    /// Their name, used when the contact is new.
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    text: Option<String>,
    /// A pressed button's payload.
    #[serde(default)]
    payload: Option<String>,
}

fn check_address(address: &str) -> Result<(), ApiError> {
    if address.trim().is_empty() || address.len() > 128 {
        return Err(ApiError::bad_request("`address` must be 1 to 128 characters"));
    }
    // `test-<n>` addresses are the editor's test chats, not the contact page's.
    if address.starts_with("test-") {
        return Err(ApiError::bad_request("addresses starting with `test-` belong to the editor's test chat"));
    }
    Ok(())
}

/// What a contact sends, from a text and/or a pressed button's payload; neither is a 400.
pub(super) fn contact_message(text: Option<String>, payload: Option<String>) -> Result<InboundMessage, ApiError> {
    if text.as_deref().is_none_or(|t| t.trim().is_empty()) && payload.is_none() {
        return Err(ApiError::bad_request("give `text`, `payload` or both"));
    }
    Ok(InboundMessage { text, payload, ..InboundMessage::default() })
}

/// The contact writes (201, with their contact id).
pub async fn say(
    State(s): State<AppState>,
    caller: Caller,
    dedup: super::idempotency::Dedup,
    Body(b): Body<SimulatedMessage>,
) -> Result<Created<SimulatorSaid>, ApiError> {
    caller.require(&[Role::Integration])?;
    check_address(&b.address)?;
    let message = contact_message(b.text, b.payload)?;
    let mut profile = Map::new();
    if let Some(name) = b.name.filter(|n| !n.trim().is_empty()) {
        profile.insert("first_name".into(), json!(name.split_whitespace().next().unwrap_or(&name)));
        profile.insert("name".into(), json!(name));
    }
    let contact = ContactRef::Address { channel: CHANNEL.into(), address: b.address };
    let handled = s
        .engine
        .handle(dedup.event(EventKind::MessageReceived { contact, channel: CHANNEL.into(), message, profile }))
        .await?;
    Ok(Created(SimulatorSaid { contact_id: handled.contact_id }))
}

/// What the contact sees: their conversation as the channel shows it.
pub async fn conversation(
    State(s): State<AppState>,
    caller: Caller,
    Path(address): Path<String>,
) -> Result<Json<SimulatorConversation>, ApiError> {
    caller.require(&[Role::Integration])?;
    check_address(&address)?;
    let id = s
        .engine
        .contact_by_address(CHANNEL, &address)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("simulator contact `{address}`")))?;
    let messages = s
        .engine
        .transcript(id)
        .await?
        .into_iter()
        .filter(|m| m["direction"] == "in" || m["direction"] == "out")
        .map(answers::transcode::<TimelineLine>)
        .collect::<Result<_, _>>()?;
    Ok(Json(SimulatorConversation { contact_id: id, messages }))
}
