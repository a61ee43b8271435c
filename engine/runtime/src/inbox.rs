//! Reading the inbox: contacts, conversations, transcripts, agents and the assignment
//! queue, for the API and the agent console. Writes go through events (`AgentReplied`, `ConversationClosed`,
//! `Assigned`, ...), so they take the same path as everything else.

use super::listing::{Page, MAX_PAGE};
use super::{Engine, Error};
use crate::clock::from_millis;
use serde_json::{json, Value};
use store::records::{self, Agent, Contact};

/// Which conversations an inbox lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConversationFilter<'a> {
    /// `open` or `closed`.
    pub status: &'a str,
    /// An agent id, `unassigned`, or `None` for all.
    pub assignee: Option<&'a str>,
    pub team: Option<&'a str>,
    /// The agent whose view this is (`None`: everything).
    pub visible_to: Option<&'a str>,
}

/// A contact waiting in the assignment queue, as the console lists them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct QueuedContact {
    pub run_id: i64,
    pub contact_id: i64,
    pub contact_name: Option<String>,
    pub workflow_id: String,
    /// The `assign` or `escalate` step the run waits on.
    pub step: Option<String>,
    /// The team asked for (`None` with no `agent`: anyone in the workspace).
    pub team: Option<String>,
    /// The agent asked for by name.
    pub agent: Option<String>,
    /// Whether only an online agent will do.
    pub online_only: bool,
    /// When the contact joined the queue (RFC 3339).
    pub waiting_since: String,
    /// How long they have waited so far, by the engine's clock.
    pub waited_seconds: i64,
    /// When the step gives up and leaves by `timeout` (RFC 3339).
    pub due_at: Option<String>,
}

impl Engine {
    /// A contact with attributes, tags, custom fields, the runs under way, its channels (an
    /// address that joined it says how, in `joined`) and its verified identifiers.
    pub async fn contact(&self, id: i64) -> Result<Value, Error> {
        let (contact, verified) = {
            // One connection at a time: an in-memory database has exactly one.
            let mut conn = store::acquire(&self.inner.pool).await?;
            let contact = records::load_contacts(&mut conn, &[id])
                .await?
                .pop()
                .ok_or_else(|| Error::NotFound(format!("contact {id}")))?;
            (contact, records::identifiers_of(&mut conn, id).await?)
        };
        let runs: Vec<Value> = self
            .runs_of_contact(id)
            .await?
            .into_iter()
            .filter(|r| r.status.is_under_way())
            .map(|r| json!({"id": r.id, "workflow_id": r.workflow_id, "version": r.version, "status": r.status, "step": r.step, "waiting": r.waiting}))
            .collect();
        let mut out = contact.to_view();
        out["active_runs"] = Value::Array(runs);
        // Per channel: the address, when they last wrote, whether they follow the account.
        out["channels"] = contact.channels_view();
        out["verified"] = Value::Array(verified);
        Ok(out)
    }

    /// Contacts, newest first (not the editor's test-chat contacts), `limit` after the contact
    /// `after`; with `visible_to`, only those whose latest conversation that agent may see (see
    /// [`store::conversations::VISIBLE_TO_AGENT`]: assigned to them, their teams', or unassigned outside any team).
    pub async fn contacts(
        &self,
        limit: i64,
        after: Option<i64>,
        visible_to: Option<&str>,
    ) -> Result<Page<Value, i64>, Error> {
        let ids = store::conversations::contact_ids(&self.inner.pool, visible_to, after, limit.clamp(1, MAX_PAGE) + 1)
            .await?;
        let page = Page::cut(ids, limit, |id| *id);
        let mut conn = store::acquire(&self.inner.pool).await?;
        let mut contacts = records::load_contacts(&mut conn, &page.items).await?;
        contacts.sort_by_key(|c| std::cmp::Reverse(c.id));
        Ok(Page { items: contacts.iter().map(Contact::to_view).collect(), next: page.next })
    }

    /// Every message with the contact — theirs, agents', flows', internal notes and system
    /// lines — oldest first.
    pub async fn transcript(&self, contact_id: i64) -> Result<Vec<Value>, Error> {
        self.transcript_for(contact_id, None).await
    }

    /// The transcript as `visible_to` (an agent; `None`: everyone) may read it: only the
    /// messages and notes of conversations [visible](store::conversations::VISIBLE_TO_AGENT) to that agent, and
    /// the contact's lines outside any conversation. Seeing a contact's latest conversation
    /// is no licence to read its earlier ones with another team.
    pub async fn transcript_for(&self, contact_id: i64, visible_to: Option<&str>) -> Result<Vec<Value>, Error> {
        Ok(self.transcript_page(contact_id, visible_to, i64::MAX, None).await?.items)
    }

    /// One page of [`Engine::transcript_for`]: `limit` messages after the message `after`
    /// (oldest first). A `limit` past [`MAX_PAGE`] reads everything (internal callers).
    pub async fn transcript_page(
        &self,
        contact_id: i64,
        visible_to: Option<&str>,
        limit: i64,
        after: Option<i64>,
    ) -> Result<Page<Value, i64>, Error> {
        let everything = limit > MAX_PAGE;
        let limit_rows = if everything { i64::MAX } else { limit.max(1) + 1 };
        let rows =
            store::conversations::transcript(&self.inner.pool, contact_id, visible_to, after, limit_rows).await?;
        let lines: Vec<Value> = rows
            .into_iter()
            .map(|r| {
                let body: Value = serde_json::from_str(&r.body).unwrap_or(Value::Null);
                json!({
                    "id": r.id,
                    "conversation_id": r.conversation_id,
                    "direction": r.direction,
                    "sender": r.sender,
                    "channel": r.channel,
                    "text": r.text,
                    "quick_replies": body.get("quick_replies").cloned().unwrap_or(Value::Null),
                    "kind": body.get("kind").cloned().unwrap_or(Value::Null),
                    "expects": body.get("expects").cloned().unwrap_or(Value::Null),
                    "status": r.status,
                    "error": r.error,
                    "at": from_millis(r.created_at).to_rfc3339(),
                })
            })
            .collect();
        if everything {
            return Ok(Page { items: lines, next: None });
        }
        Ok(Page::cut(lines, limit, |m| m["id"].as_i64().unwrap_or_default()))
    }

    /// Whether the agent may see (and work) the contact: its latest conversation is
    /// [visible](store::conversations::VISIBLE_TO_AGENT) to them, or it has none yet.
    pub async fn agent_may_see_contact(&self, contact_id: i64, agent_id: &str) -> Result<bool, Error> {
        let visible = store::conversations::agent_may_see_contact(&self.inner.pool, contact_id, agent_id).await?;
        visible.ok_or_else(|| Error::NotFound(format!("contact {contact_id}")))
    }

    /// Conversations for an inbox (test chats are not agents' work, nor open conversations a
    /// workflow's run owns, see `Conversation::bot_run`), most urgent first, then newest;
    /// `assignee` is an agent id, `unassigned`, or absent for all; `team` narrows to one team;
    /// with `visible_to`, only those that agent may see. A page is `limit` conversations after
    /// the sort key `after` (priority rank, id) of the previous page's last one.
    pub async fn conversations(
        &self,
        filter: &ConversationFilter<'_>,
        limit: i64,
        after: Option<(i64, i64)>,
    ) -> Result<Page<Value, (i64, i64)>, Error> {
        let store_filter = store::conversations::InboxFilter {
            status: filter.status,
            assignee: filter.assignee,
            team: filter.team,
            visible_to: filter.visible_to,
        };
        let rows =
            store::conversations::inbox(&self.inner.pool, store_filter, after, limit.clamp(1, MAX_PAGE) + 1).await?;
        let rows: Vec<(i64, Value)> = rows
            .into_iter()
            .map(|r| {
                let row = json!({
                    "id": r.id,
                    "contact_id": r.contact_id,
                    "contact_name": r.name.or(r.first_name),
                    "status": r.status,
                    "channel": r.channel,
                    "assignee_id": r.assignee_id,
                    "team": r.team,
                    "priority": r.priority,
                    "opened_at": from_millis(r.opened_at).to_rfc3339(),
                    "last_text": r.last_text,
                });
                (r.rank, row)
            })
            .collect();
        let page = Page::cut(rows, limit, |(rank, row)| (*rank, row["id"].as_i64().unwrap_or_default()));
        Ok(page.map(|(_, row)| row))
    }

    /// Contacts waiting in the assignment queue (runs on an `assign` or `escalate` step that
    /// nobody could take yet), longest waiting first; with `visible_to` (an agent), only the
    /// requests that agent could take: for them by name, for one of their teams, or for the
    /// whole workspace.
    pub async fn assignment_queue(&self, visible_to: Option<&str>) -> Result<Vec<QueuedContact>, Error> {
        let rows = store::conversations::assignment_queue(&self.inner.pool).await?;
        // An agent token whose agent is gone sees only what anyone could take.
        let viewer = match visible_to {
            Some(id) => Some(self.agents().await?.into_iter().find(|a| a.id == id).unwrap_or_else(|| Agent {
                id: id.to_owned(),
                name: String::new(),
                email: None,
                online: false,
                max_open: None,
                last_assigned_at: 0,
                teams: Vec::new(),
                open_count: 0,
            })),
            None => None,
        };
        let now = crate::clock::to_millis(self.inner.clock.now());
        let mut queued = Vec::with_capacity(rows.len());
        for r in rows {
            let request: steps::machine::AssignRequest = match serde_json::from_str(&r.wait_data) {
                Ok(request) => request,
                Err(_) => continue,
            };
            if let Some(agent) = &viewer {
                let theirs = match (&request.agent, &request.team) {
                    (Some(wanted), _) => {
                        agent.id == *wanted || agent.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(wanted))
                    }
                    (None, Some(team)) => agent.teams.contains(team),
                    (None, None) => true,
                };
                if !theirs {
                    continue;
                }
            }
            let since: i64 = r.waiting_since.unwrap_or(now);
            queued.push(QueuedContact {
                run_id: r.id,
                contact_id: r.contact_id,
                contact_name: r.name.or(r.first_name),
                workflow_id: r.workflow_id,
                step: r.step,
                team: request.team,
                agent: request.agent,
                online_only: request.online_only,
                waiting_since: from_millis(since).to_rfc3339(),
                waited_seconds: (now - since).max(0) / 1000,
                due_at: r.due_at.map(|t| from_millis(t).to_rfc3339()),
            });
        }
        Ok(queued)
    }

    /// The contact at an address on a channel, if there is one.
    pub async fn contact_by_address(&self, channel: &str, address: &str) -> Result<Option<i64>, Error> {
        Ok(store::conversations::contact_by_address(&self.inner.pool, channel, address).await?)
    }

    /// Whether the contact has an address on the simulator channel (and is no test chat).
    pub async fn is_simulator_contact(&self, contact_id: i64) -> Result<bool, Error> {
        Ok(store::conversations::is_simulator_contact(&self.inner.pool, contact_id).await?)
    }

    /// Every agent with teams, online status and open-conversation count.
    pub async fn agents(&self) -> Result<Vec<Agent>, Error> {
        let mut conn = store::acquire(&self.inner.pool).await?;
        records::load_agents(&mut conn).await.map_err(Error::from)
    }
}
