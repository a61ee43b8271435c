//! The inbox: contacts, conversations and their transcripts, replies, closing, assigning,
//! the assignment queue, agents and their availability, and the shortcuts an agent may press. Agents (and ops)
//! read; agents act on conversations; admins manage agents.

use super::answers::{
    self, Agent, AgentOnline, Assigned, ContactView, ConversationClosed, ConversationOpened, ConversationRow, Created,
    QueuedContact, Replied, Shortcut, TimelineLine,
};
use super::auth::{Caller, Role};
use super::error::{ApiError, Body};
use super::idempotency::Dedup;
use super::page::{PageParams, Paged};
use super::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::Json;
use runtime::{AgentSpec, ContactRef, ConversationFilter, EventKind};
use serde::Deserialize;

/// The inbox is the agents' (admins may do everything); ops work on workflows and runs.
const READ: &[Role] = &[Role::Agent];

/// The agent an agent token is bound to, for narrowing what it sees; `None` for admins.
pub(super) fn bound_agent(caller: &Caller) -> Option<&str> {
    if caller.role == Role::Agent {
        caller.agent_id.as_deref()
    } else {
        None
    }
}

/// Refuses (403) an agent working a contact whose conversation belongs to another agent or
/// to a team they are not in.
pub(super) async fn guard_contact(s: &AppState, caller: &Caller, contact_id: i64) -> Result<(), ApiError> {
    let Some(agent) = bound_agent(caller) else { return Ok(()) };
    if s.engine.agent_may_see_contact(contact_id, agent).await? {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("contact {contact_id}'s conversation is assigned to another agent or a team you are not in"),
        ))
    }
}

/// A page of a list (see `page.rs`).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct Page {
    /// How many items a page holds (1 to 1,000; default 100).
    #[schemars(range(min = 1, max = 1000))]
    limit: Option<i64>,
    /// The `X-Next-Cursor` of the previous page.
    after: Option<String>,
}

/// Contacts the caller may see, newest first, a page at a time.
pub async fn contacts(
    State(s): State<AppState>,
    caller: Caller,
    uri: Uri,
    Query(p): Query<Page>,
) -> Result<Paged<ContactView>, ApiError> {
    caller.require(READ)?;
    let page = PageParams::new(p.limit, p.after)?;
    let contacts = s.engine.contacts(page.limit, page.after()?, bound_agent(&caller)).await?;
    Ok(super::page::paged(super::page::try_map(contacts, answers::transcode)?, &uri))
}

pub async fn contact(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<ContactView>, ApiError> {
    caller.require(READ)?;
    guard_contact(&s, &caller, id).await?;
    Ok(Json(answers::transcode(s.engine.contact(id).await?)?))
}

/// The contact's messages, oldest first, a page at a time.
pub async fn transcript(
    State(s): State<AppState>,
    caller: Caller,
    uri: Uri,
    Path(id): Path<i64>,
    Query(p): Query<Page>,
) -> Result<Paged<TimelineLine>, ApiError> {
    caller.require(READ)?;
    guard_contact(&s, &caller, id).await?;
    let page = PageParams::new(p.limit, p.after)?;
    let lines = s.engine.transcript_page(id, bound_agent(&caller), page.limit, page.after()?).await?;
    Ok(super::page::paged(super::page::try_map(lines, answers::transcode)?, &uri))
}

/// The agent a request acts as: the token's agent, or (for admins) one named in the body.
fn acting_agent(caller: &Caller, named: Option<String>) -> Result<String, ApiError> {
    caller
        .agent_id
        .clone()
        .or(if caller.role == Role::Admin { named } else { None })
        .ok_or_else(|| ApiError::bad_request("this token acts as no agent; give `agent_id`"))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ReplyBody {
    text: String,
    #[serde(default)]
    agent_id: Option<String>,
}

pub async fn reply(
    State(s): State<AppState>,
    caller: Caller,
    dedup: Dedup,
    Path(id): Path<i64>,
    Body(b): Body<ReplyBody>,
) -> Result<Created<Replied>, ApiError> {
    caller.require(&[Role::Agent])?;
    guard_contact(&s, &caller, id).await?;
    if b.text.trim().is_empty() {
        return Err(ApiError::bad_request("`text` is empty"));
    }
    let agent_id = acting_agent(&caller, b.agent_id)?;
    let handled = s
        .engine
        .handle(dedup.event(EventKind::AgentReplied { contact: ContactRef::Id(id), agent_id, text: b.text }))
        .await?;
    Ok(Created(Replied { exited: handled.exited }))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct CloseBody {
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    agent_id: Option<String>,
}

pub async fn close(
    State(s): State<AppState>,
    caller: Caller,
    dedup: Dedup,
    Path(id): Path<i64>,
    Body(b): Body<CloseBody>,
) -> Result<Json<ConversationClosed>, ApiError> {
    caller.require(&[Role::Agent])?;
    guard_contact(&s, &caller, id).await?;
    let agent_id = acting_agent(&caller, b.agent_id)?;
    let kind = EventKind::ConversationClosed {
        contact: ContactRef::Id(id),
        closed_by: format!("agent:{agent_id}"),
        category: b.category,
        summary: b.summary,
        auto: false,
    };
    let handled = s.engine.handle(dedup.event(kind)).await?;
    Ok(Json(ConversationClosed { started: handled.started, exited: handled.exited }))
}

pub async fn open(
    State(s): State<AppState>,
    caller: Caller,
    dedup: Dedup,
    Path(id): Path<i64>,
) -> Result<Json<ConversationOpened>, ApiError> {
    caller.require(&[Role::Agent])?;
    guard_contact(&s, &caller, id).await?;
    let handled = s
        .engine
        .handle(dedup.event(EventKind::ConversationOpened { contact: ContactRef::Id(id), by: "user".into() }))
        .await?;
    Ok(Json(ConversationOpened { started: handled.started }))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct AssignBody {
    /// The agent, or `null` to unassign.
    agent_id: Option<String>,
}

pub async fn assign(
    State(s): State<AppState>,
    caller: Caller,
    dedup: Dedup,
    Path(id): Path<i64>,
    Body(b): Body<AssignBody>,
) -> Result<Json<Assigned>, ApiError> {
    caller.require(&[Role::Agent, Role::Ops])?;
    guard_contact(&s, &caller, id).await?;
    s.engine
        .handle(dedup.event(EventKind::Assigned { contact: ContactRef::Id(id), agent_id: b.agent_id.clone() }))
        .await?;
    Ok(Json(Assigned { contact_id: id, assignee_id: b.agent_id }))
}

/// Which conversations to list: open or closed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConversationStatus {
    #[default]
    Open,
    Closed,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ConversationQuery {
    #[serde(default)]
    status: ConversationStatus,
    /// An agent id, `me`, or `unassigned`.
    assignee: Option<String>,
    team: Option<String>,
    /// How many conversations a page holds (1 to 1,000; default 100).
    #[schemars(range(min = 1, max = 1000))]
    limit: Option<i64>,
    /// The `X-Next-Cursor` of the previous page.
    after: Option<String>,
}

/// Conversations the caller may see, most urgent first, then newest; a page at a time.
pub async fn conversations(
    State(s): State<AppState>,
    caller: Caller,
    uri: Uri,
    Query(q): Query<ConversationQuery>,
) -> Result<Paged<ConversationRow>, ApiError> {
    caller.require(READ)?;
    let page = PageParams::new(q.limit, q.after)?;
    let assignee = match q.assignee.as_deref() {
        Some("me") => Some(caller.agent_id.clone().ok_or_else(|| ApiError::bad_request("`me` needs an agent token"))?),
        other => other.map(str::to_owned),
    };
    let filter = ConversationFilter {
        status: match q.status {
            ConversationStatus::Open => "open",
            ConversationStatus::Closed => "closed",
        },
        assignee: assignee.as_deref(),
        team: q.team.as_deref(),
        visible_to: bound_agent(&caller),
    };
    let visible = s.engine.conversations(&filter, page.limit, page.after()?).await?;
    Ok(super::page::paged(super::page::try_map(visible, answers::transcode)?, &uri))
}

/// Contacts waiting in the assignment queue with how long they have waited; an agent sees
/// the requests they could take (theirs by name, their teams', the whole workspace's).
pub async fn queue(State(s): State<AppState>, caller: Caller) -> Result<Json<Vec<QueuedContact>>, ApiError> {
    caller.require(&[Role::Agent, Role::Ops])?;
    let queue = s.engine.assignment_queue(bound_agent(&caller)).await?;
    Ok(Json(queue.into_iter().map(QueuedContact::from).collect()))
}

pub async fn agents(State(s): State<AppState>, caller: Caller) -> Result<Json<Vec<Agent>>, ApiError> {
    caller.require(READ)?;
    Ok(Json(s.engine.agents().await?.into_iter().map(Agent::from).collect()))
}

pub async fn put_agent(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(mut spec): Body<AgentSpec>,
) -> Result<Json<AgentSpec>, ApiError> {
    caller.require(&[])?;
    if !spec.id.is_empty() && spec.id != id {
        return Err(ApiError::bad_request(format!("the body's `id` ({}) is not the path's ({id})", spec.id)));
    }
    if id.trim().is_empty() || spec.name.trim().is_empty() {
        return Err(ApiError::bad_request("an agent needs an `id` and a `name`"));
    }
    spec.id = id;
    s.engine.upsert_agent(&spec).await?;
    Ok(Json(spec))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct OnlineBody {
    online: bool,
}

/// An agent sets themselves online or offline (ops and admins may set anyone).
pub async fn online(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(b): Body<OnlineBody>,
) -> Result<Json<AgentOnline>, ApiError> {
    caller.require(&[Role::Agent, Role::Ops])?;
    if caller.role == Role::Agent && caller.agent_id.as_deref() != Some(id.as_str()) {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "an agent may only set their own status"));
    }
    s.engine.set_agent_online(&id, b.online).await?;
    Ok(Json(AgentOnline { id, online: b.online }))
}

/// The shortcuts an agent may press: published workflows with a shortcut trigger whose team
/// list (if any) includes one of the agent's teams, with their forms.
pub async fn shortcuts(State(s): State<AppState>, caller: Caller) -> Result<Json<Vec<Shortcut>>, ApiError> {
    caller.require(READ)?;
    let teams: Vec<String> = match &caller.agent_id {
        Some(id) => s.engine.agents().await?.into_iter().find(|a| &a.id == id).map(|a| a.teams).unwrap_or_default(),
        None => Vec::new(),
    };
    let mut out = Vec::new();
    for wf in s
        .engine
        .workflows()
        .await?
        .into_iter()
        .filter(|w| w.status == "published" && w.trigger_type.as_deref() == Some("shortcut"))
    {
        let Some(version) = wf.current_version else { continue };
        let source = s.engine.version(&wf.id, version).await?.source.unwrap_or_default();
        let Some(compiled) = s.engine.compile(&source).await.workflow else { continue };
        if let runtime::steps::trigger::TriggerKind::Shortcut { label, form, teams: allowed } = &compiled.trigger.kind {
            if caller.role == Role::Agent && !allowed.is_empty() && !teams.iter().any(|t| allowed.contains(t)) {
                continue;
            }
            out.push(Shortcut {
                label: label.clone().unwrap_or(wf.name.clone()),
                workflow_id: wf.id,
                form: form.clone(),
            });
        }
    }
    Ok(Json(out))
}
