//! Events in: the batch endpoint for integrations (idempotent by event id), signed webhooks
//! for `webhook` workflows, and shortcuts pressed by agents.

use super::answers::{Created, EventAccepted, EventsAccepted, Queued, ShortcutPressed, WebhookAccepted, WebhookSecret};
use super::auth::{Caller, Role};
use super::error::{ApiError, Body};
use super::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use runtime::{ContactRef, Event, EventKind};
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// The channel prefix of the addresses signed webhooks give contacts (`webhook-phone`).
const WEBHOOK_ADDRESS_PREFIX: &str = "webhook-";

/// How far a webhook's timestamp may be from now, either way.
pub const WEBHOOK_TOLERANCE_SECS: i64 = 300;

/// One event or a list of them (the body's shape, for the OpenAPI document; [`parse_events`]
/// reads it so that an error can name the event and the field).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[allow(dead_code)]
#[serde(untagged)]
pub enum OneOrMany {
    Many(Vec<Event>),
    One(Box<Event>),
}

/// The most events one request may carry.
pub const MAX_EVENTS: usize = 1_000;

/// Reads one event or a list of them. Each event is read on its own, so that an error says
/// which event and which field (`[2].contact.address: unknown field ...`) instead of that
/// the body matched no shape; oversized fields are refused the same way.
fn parse_events(body: Value) -> Result<(Vec<Event>, bool), ApiError> {
    let (items, indexed) = match body {
        Value::Array(items) => (items, true),
        one @ Value::Object(_) => (vec![one], false),
        other => {
            return Err(ApiError::invalid(
                "",
                format!("expected an event (an object) or a list of events, got {}", super::error::json_kind(&other)),
            ))
        }
    };
    if items.is_empty() {
        return Err(ApiError::invalid("", "the list of events is empty"));
    }
    if items.len() > MAX_EVENTS {
        return Err(ApiError::invalid("", format!("at most {MAX_EVENTS} events per request (got {})", items.len())));
    }
    let events = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let at = |path: &str| match (indexed, path) {
                (true, "" | ".") => format!("[{i}]"),
                (true, path) => format!("[{i}].{path}"),
                (false, path) => path.trim_start_matches('.').to_owned(),
            };
            let event: Event = serde_path_to_error::deserialize(&item).map_err(|e| {
                let problem = super::error::plain_serde_message(&e.inner().to_string());
                let mut path = e.path().to_string();
                if path == "." {
                    path = locate(&item, &problem).unwrap_or(path);
                }
                ApiError::invalid(at(&path), problem)
            })?;
            event.check_limits().map_err(|e| ApiError::invalid(at(&e.path), e.message))?;
            Ok(event)
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok((events, indexed))
}

/// Which top-level field of an event a deserialisation error is about. An event's kind is
/// read from `type` into a buffer first, and serde loses the path inside that buffer; so
/// each field is tried alone with the event's `type`, and the one that alone gives an error
/// other than a missing field is the culprit.
fn locate(event: &Value, problem: &str) -> Option<String> {
    if problem.starts_with("unknown variant") || problem.starts_with("missing field `type`") {
        return Some("type".to_owned());
    }
    let object = event.as_object()?;
    let kind = object.get("type")?;
    object.iter().filter(|(key, _)| !matches!(key.as_str(), "type" | "source" | "id" | "at")).find_map(
        |(key, value)| {
            let alone = json!({"type": kind, key.as_str(): value});
            match serde_json::from_value::<EventKind>(alone) {
                Err(e) if !e.to_string().starts_with("missing field") => Some(key.clone()),
                _ => None,
            }
        },
    )
}

/// Accepts events (202). Each is stored before the answer; a repeated id is reported as a
/// duplicate and ignored. A batch with one bad event is refused whole (422 naming it), so
/// that nothing is half accepted: a field too large or holding a NUL character, an event
/// kind this endpoint does not take, a contact id that names no contact.
pub async fn ingest(
    State(s): State<AppState>,
    caller: Caller,
    Body(body): Body<Value>,
) -> Result<Queued<EventsAccepted>, ApiError> {
    caller.require(&[Role::Integration])?;
    let (mut events, indexed) = parse_events(body)?;
    // Test chats' clocks to set before queueing, once every event passed its checks.
    let mut clocks = Vec::new();
    for (i, event) in events.iter_mut().enumerate() {
        // Only what happens in a channel or an inbox comes in here; shortcuts, signed
        // webhooks, agents' replies and assignments have endpoints that check who acts.
        let allowed = matches!(
            event.kind,
            EventKind::MessageReceived { .. }
                | EventKind::ConversationOpened { .. }
                | EventKind::ConversationClosed { .. }
                | EventKind::TagUpdated { .. }
                | EventKind::FieldUpdated { .. }
                | EventKind::OptedOut { .. }
        );
        if !allowed {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "event_not_allowed",
                format!("event {i}: this endpoint takes message, conversation, tag, field and opt-out events"),
            ));
        }
        // `webhook-phone` and `webhook-email` addresses are the signed webhooks' keys: an
        // address made up here would catch the next signed webhook for that phone or email.
        if let Some(ContactRef::Address { channel, .. }) = event.kind.contact() {
            if channel.starts_with(WEBHOOK_ADDRESS_PREFIX) {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "event_not_allowed",
                    format!(
                        "event {i}: `contact.address.channel` `{channel}` is reserved for signed webhooks; \
                         name the contact by `id` or by an address on a channel"
                    ),
                ));
            }
        }
        // `at` lets an admin show a time-dependent flow (business hours) at another time;
        // it moves a test chat's clock, so a real contact's events never take it.
        if let Some(text) = event.at.take() {
            let path = if indexed { format!("[{i}].at") } else { "at".to_owned() };
            if caller.role != Role::Admin {
                return Err(ApiError::invalid(path, "only an admin token may set `at` (for a test chat's contact)"));
            }
            let when = super::testchat::parse_at(&path, &text)?;
            let session = match event.kind.contact() {
                Some(contact) => s.engine.test_session_of(contact).await?,
                None => None,
            };
            let Some(session) = session else {
                return Err(ApiError::invalid(
                    path,
                    "`at` is accepted only for a test chat's contact (a contact of a test session); \
                     this event's contact is not one",
                ));
            };
            clocks.push((session, when));
        }
        // Sources are namespaced so an integration cannot collide with the ids of signed
        // webhooks or of channel adapters.
        event.source = format!("api:{}", event.source);
    }
    // An event for a contact id that names nobody could only fail later, out of the
    // sender's sight: refused here, naming the event. (A contact deleted between now and
    // processing still ends in the dead letters.)
    let ids: Vec<i64> = events
        .iter()
        .filter_map(|e| match e.kind.contact() {
            Some(ContactRef::Id(id)) => Some(*id),
            _ => None,
        })
        .collect();
    if let Some(unknown) = s.engine.unknown_contacts(&ids).await?.first() {
        let i = events.iter().position(|e| e.kind.contact() == Some(&ContactRef::Id(*unknown))).unwrap_or(0);
        let path = if indexed { format!("[{i}].contact.id") } else { "contact.id".to_owned() };
        return Err(ApiError::invalid(path, format!("no contact has id {unknown}")));
    }
    for (session, when) in clocks {
        s.engine.set_test_clock(session, Some(when)).await?;
    }
    let accepted = s.engine.enqueue(&events).await?;
    Ok(Queued(EventsAccepted { accepted: accepted.into_iter().map(EventAccepted::from).collect() }))
}

/// Creates (or rotates) the signing secret of a webhook workflow and returns it.
pub async fn webhook_secret(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<WebhookSecret>, ApiError> {
    caller.require(&[Role::Ops])?;
    let wf = s.engine.workflow(&id).await?;
    let trigger = s.engine.compile(&wf.draft).await.workflow.map(|w| w.trigger.kind.name());
    if wf.summary.trigger_type.as_deref() != Some("webhook") && trigger != Some("webhook") {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "refused",
            format!("`{id}` is not a webhook workflow"),
        ));
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    let secret = format!("whsec_{}", hex::encode(bytes));
    s.engine.set_webhook_secret(&id, &secret).await?;
    Ok(Json(WebhookSecret {
        workflow_id: id,
        secret,
        signing: "X-Switchboard-Signature: sha256=HEX(HMAC-SHA256(secret, \"{X-Switchboard-Timestamp}.{raw body}\"))"
            .to_owned(),
    }))
}

pub use runtime::webhook_signature::sign;

/// Stands in for the secret of a workflow that has none (or does not exist), so such a request
/// costs the same HMAC work as a known one; it is never accepted. The shape of a real secret
/// (`whsec_` and 64 hex digits, longer than SHA-256's block) makes HMAC hash the key as it does
/// for a real one.
const NO_SECRET: &str = "whsec_0000000000000000000000000000000000000000000000000000000000000000";

/// A signed webhook for a `webhook` workflow: checks the signature and timestamp, refuses a
/// replay, then queues the event (202). Until the signature is known to be good, an unknown id
/// (or a workflow without a secret) is answered exactly like a known one with a bad signature —
/// same checks in the same order, same status and body, the same HMAC work — so ids cannot be
/// probed.
pub async fn webhook(
    State(s): State<AppState>,
    Path(workflow): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Queued<WebhookAccepted>, ApiError> {
    let unauthorized = |code: &'static str, m: &str| ApiError::new(StatusCode::UNAUTHORIZED, code, m);
    let secret = s.engine.webhook_secret(&workflow).await?;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let timestamp = header("x-switchboard-timestamp")
        .ok_or_else(|| unauthorized("bad_signature", "missing X-Switchboard-Timestamp"))?;
    let signature = header("x-switchboard-signature")
        .ok_or_else(|| unauthorized("bad_signature", "missing X-Switchboard-Signature"))?;
    let sent: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| unauthorized("bad_signature", "X-Switchboard-Timestamp is not a number"))?;
    let now = s.engine.clock().now().timestamp();
    if now.abs_diff(sent) > WEBHOOK_TOLERANCE_SECS.unsigned_abs() {
        return Err(unauthorized(
            "stale_webhook",
            "the timestamp is more than 5 minutes from now; refusing a possible replay",
        ));
    }
    let key = secret.as_deref().unwrap_or(NO_SECRET);
    let expected = sign(key, timestamp.trim(), &body);
    let verified = runtime::webhook_signature::verify(key, timestamp.trim(), &body, &signature);
    if secret.is_none() || !verified {
        if secret.is_none() {
            tracing::warn!(%workflow, "webhook for a workflow without a signing secret refused");
        } else {
            tracing::warn!(%workflow, "webhook with a bad signature refused");
        }
        return Err(unauthorized("bad_signature", "the signature does not match"));
    }
    let payload: Value =
        serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(format!("the body is not JSON: {e}")))?;
    // The sender is verified, so it may learn that the workflow is stopped: said now rather
    // than by a dead letter it never sees.
    if !s.engine.is_live(&workflow).await? {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_published",
            format!("workflow `{workflow}` is not published (or is stopped); the webhook was not queued"),
        ));
    }
    let event = Event::with_id(
        &format!("webhook:{workflow}"),
        &expected,
        EventKind::Webhook { workflow: workflow.clone(), payload },
    );
    let accepted = s.engine.enqueue(&[event]).await?;
    if accepted.first().is_some_and(|a| a.duplicate) {
        return Err(ApiError::new(StatusCode::CONFLICT, "replayed", "this webhook was already received"));
    }
    Ok(Queued(WebhookAccepted { accepted: true }))
}

/// A shortcut press from the agent console.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ShortcutBody {
    contact_id: i64,
    #[serde(default)]
    form: Map<String, Value>,
    /// Only for admin tokens, which act as no agent of their own.
    #[serde(default)]
    agent_id: Option<String>,
}

/// Presses a shortcut: starts the workflow for the contact at once, or says why not (422).
pub async fn shortcut(
    State(s): State<AppState>,
    caller: Caller,
    dedup: super::idempotency::Dedup,
    Path(workflow): Path<String>,
    Body(body): Body<ShortcutBody>,
) -> Result<Created<ShortcutPressed>, ApiError> {
    caller.require(&[Role::Agent])?;
    let agent_id = caller
        .agent_id
        .clone()
        .or(if caller.role == Role::Admin { body.agent_id.clone() } else { None })
        .ok_or_else(|| ApiError::bad_request("this token acts as no agent; give `agent_id`"))?;
    super::inbox::guard_contact(&s, &caller, body.contact_id).await?;
    let kind = EventKind::Shortcut { contact: ContactRef::Id(body.contact_id), workflow, agent_id, form: body.form };
    let handled = s.engine.handle(dedup.event(kind)).await?;
    Ok(Created(ShortcutPressed { started: handled.started, queued: handled.queued }))
}
