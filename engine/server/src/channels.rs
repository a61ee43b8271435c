//! Channels over HTTP: connections managed by admins (secrets write-only), the inbound
//! webhook of each connection (signature checked on the raw body before anything is parsed
//! or stored; WhatsApp's verify-token handshake), and the editor's per-channel preview of a
//! message.

use super::answers::{
    self, ChannelDelivery, ChannelPreview, ChannelPreviews, ConnectionList, ConnectionView, OutsideWindow,
};
use super::auth::{Caller, Role};
use super::error::{ApiError, Body};
use super::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use runtime::channels::{self, ConnectionInput, InboundError, Kind};
use runtime::steps::message::{Attachment, OutboundMessage, RenderedQuickReply, TemplateMessage};
use serde::Deserialize;

/// Connections, secrets by name only (admins and ops: ops see which channels exist).
pub async fn list(State(s): State<AppState>, caller: Caller) -> Result<Json<ConnectionList>, ApiError> {
    caller.require(&[Role::Ops])?;
    let mut out = Vec::new();
    for conn in s.engine.connections() {
        out.push(shown(&s, &conn).await?);
    }
    Ok(Json(ConnectionList { connections: out }))
}

/// A connection as the API shows it, with this month's usage.
async fn shown(s: &AppState, conn: &channels::Connection) -> Result<ConnectionView, ApiError> {
    let mut view: ConnectionView = answers::transcode(conn.public())?;
    view.used_this_month = Some(s.engine.channel_usage(&conn.id).await?);
    Ok(view)
}

pub async fn detail(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ConnectionView>, ApiError> {
    caller.require(&[Role::Ops])?;
    let conn = s.engine.connection(&id)?;
    Ok(Json(shown(&s, &conn).await?))
}

/// Creates or changes a connection; secrets left out keep their value.
pub async fn put(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(input): Body<ConnectionInput>,
) -> Result<Json<ConnectionView>, ApiError> {
    caller.require(&[Role::Admin])?;
    let conn = s.engine.put_connection(&id, input).await?;
    Ok(Json(answers::transcode(conn.public())?))
}

pub async fn delete(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    caller.require(&[Role::Admin])?;
    s.engine.delete_connection(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A delivery from the channel: verified, parsed, queued (deduplicated by the channel's ids).
/// Answers 200 once every event is stored; 401 for a bad or missing signature and 400 for a
/// payload this channel does not send, with nothing stored in either case.
pub async fn inbound(
    State(s): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ChannelDelivery>, ApiError> {
    // An unknown connection answers like a bad signature, so ids cannot be probed.
    let refused = || ApiError::new(StatusCode::UNAUTHORIZED, "bad_signature", "the signature does not match");
    let conn = s.engine.connection(&id).map_err(|_| refused())?;
    let adapter = conn.kind.adapter();
    let parsed = adapter.verify(&conn, &headers, &body).and_then(|()| adapter.parse(&conn, &body));
    let items = match parsed {
        Ok(items) => items,
        Err(InboundError::Unauthorized(reason)) => {
            // The details go to the log only: the answer is the same as for an unknown id.
            tracing::warn!(connection = %id, %reason, "channel delivery refused: signature");
            return Err(refused());
        }
        Err(InboundError::Malformed(reason)) => {
            tracing::warn!(connection = %id, bytes = body.len(), %reason, "channel delivery refused: unknown payload");
            return Err(ApiError::bad_request(reason));
        }
    };
    let events = runtime::channel_events(&conn, items.clone());
    let accepted = if events.is_empty() { Vec::new() } else { s.engine.enqueue(&events).await? };
    if conn.kind == Kind::Telegram {
        channels::acknowledge_presses(&conn, &items);
    }
    let duplicates = accepted.iter().filter(|a| a.duplicate).count();
    Ok(Json(ChannelDelivery { events: accepted.len(), duplicates }))
}

/// WhatsApp's webhook verification request.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct Handshake {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    /// Echoed back as plain text when it is 1 to 64 ASCII letters or digits (Meta sends digits).
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

/// WhatsApp's `GET` handshake: echoes `hub.challenge`, as plain text, when `hub.verify_token`
/// matches and the challenge is a short run of ASCII letters or digits (400 otherwise).
pub async fn handshake(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<Handshake>,
) -> Result<Response, ApiError> {
    let refused = || ApiError::new(StatusCode::FORBIDDEN, "bad_verify_token", "the verify token does not match");
    let conn = s.engine.connection(&id).map_err(|_| refused())?;
    let expected = conn.secret("verify_token").unwrap_or_default();
    let given = q.verify_token.unwrap_or_default();
    let matches = conn.kind == Kind::Whatsapp
        && q.mode.as_deref() == Some("subscribe")
        && !expected.is_empty()
        && channels::same(given.as_bytes(), expected.as_bytes());
    if !matches {
        tracing::warn!(connection = %id, "webhook verification refused");
        return Err(refused());
    }
    let challenge = q.challenge.unwrap_or_default();
    if !is_challenge(&challenge) {
        tracing::warn!(connection = %id, "webhook verification refused: malformed hub.challenge");
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_challenge",
            format!("hub.challenge must be 1 to {MAX_CHALLENGE} ASCII letters or digits"),
        ));
    }
    Ok(([(axum::http::header::CONTENT_TYPE, "text/plain; charset=utf-8")], challenge).into_response())
}

/// The longest `hub.challenge` echoed; Meta sends about ten digits.
const MAX_CHALLENGE: usize = 64;

/// Is this a challenge worth echoing? Meta's are digits; echoing anything else would let
/// whoever knows the verify token make this server answer text of their choosing.
fn is_challenge(challenge: &str) -> bool {
    (1..=MAX_CHALLENGE).contains(&challenge.len()) && challenge.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A message to preview, as a send or ask step would produce it.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewBody {
    #[serde(default)]
    text: String,
    /// Buttons or options, in order.
    #[serde(default)]
    options: Vec<PreviewOption>,
    #[serde(default)]
    attachments: Vec<Attachment>,
    #[serde(default)]
    template: Option<TemplateMessage>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewOption {
    title: String,
    #[serde(default)]
    payload: Option<String>,
}

/// How a message renders on each channel (the adapters' own rendering, so the preview is
/// what will be sent): the native form, the API calls, and what the limits changed.
pub async fn preview(caller: Caller, Body(body): Body<PreviewBody>) -> Result<Json<ChannelPreviews>, ApiError> {
    caller.require(&[Role::Ops])?;
    let message = OutboundMessage {
        text: body.text,
        quick_replies: body
            .options
            .into_iter()
            .map(|o| RenderedQuickReply { payload: o.payload.unwrap_or_else(|| o.title.clone()), title: o.title })
            .collect(),
        attachments: body.attachments,
        channel: None,
        template: body.template,
        expects: None,
    };
    let mut out = Vec::new();
    for kind in Kind::ALL {
        let conn = channels::Connection::preview(kind);
        let adapter = kind.adapter();
        let inside_window = adapter.render(&conn, "CONTACT", &message, false).map_err(ApiError::bad_request)?.into();
        let outside_window = (kind == Kind::Whatsapp).then(|| match adapter.render(&conn, "CONTACT", &message, true) {
            Ok(r) => OutsideWindow::Rendered(r.into()),
            Err(reason) => OutsideWindow::Refused { refused: reason },
        });
        out.push((kind, ChannelPreview { inside_window, outside_window }));
    }
    let previews = ChannelPreviews::from_kinds(out)
        .ok_or_else(|| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "a channel kind has no preview"))?;
    Ok(Json(previews))
}
