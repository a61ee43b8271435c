//! Reading the inbox: contacts, conversations, transcripts, agents and the assignment
//! queue, for the API and the agent console. Writes go through events (`AgentReplied`, `ConversationClosed`,
//! `Assigned`, ...), so they take the same path as everything else.

use super::listing::{Page, MAX_PAGE};
use super::{Engine, Error};
use crate::clock::from_millis;
use serde_json::{json, Value};
use sqlx::Row;
use store::records::{self, Agent, Contact};

/// Which conversations (`v`) the agent bound to `$1` may see: those assigned to them, those
/// of their teams, and unassigned ones outside any team. A conversation routed to the
/// `sales` queue is the sales team's, not everyone's.
const VISIBLE_TO_AGENT: &str = "(v.assignee_id = $1
      OR v.team IN (SELECT team_id FROM agent_teams WHERE agent_id = $1)
      OR (v.assignee_id IS NULL AND v.team IS NULL))";

/// Joins each contact `c` to its latest conversation `v` (none yet: `v.id IS NULL`).
const LATEST_CONVERSATION: &str =
    "LEFT JOIN conversations v ON v.id = (SELECT MAX(id) FROM conversations WHERE contact_id = c.id)";

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
            let mut conn = self.inner.pool.acquire().await?;
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
            .filter(|r| matches!(r.status.as_str(), "running" | "waiting"))
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
    /// [`VISIBLE_TO_AGENT`]).
    pub async fn contacts(
        &self,
        limit: i64,
        after: Option<i64>,
        visible_to: Option<&str>,
    ) -> Result<Page<Value, i64>, Error> {
        let sql = format!(
            "SELECT c.id FROM contacts c {LATEST_CONVERSATION}
             WHERE c.test_workflow IS NULL AND ($1 IS NULL OR v.id IS NULL OR {VISIBLE_TO_AGENT})
               AND ($3 IS NULL OR c.id < $3)
             ORDER BY c.id DESC LIMIT $2"
        );
        let ids: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(visible_to)
            .bind(limit.clamp(1, MAX_PAGE) + 1)
            .bind(after)
            .fetch_all(&self.inner.pool)
            .await?;
        let page = Page::cut(ids, limit, |id| *id);
        let mut conn = self.inner.pool.acquire().await?;
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
    /// messages and notes of conversations [visible](VISIBLE_TO_AGENT) to that agent, and
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
        let sql = format!(
            "SELECT m.id, m.conversation_id, m.direction, m.sender, m.channel, m.text, m.body, m.status, m.error,
                    m.created_at
             FROM messages m LEFT JOIN conversations v ON v.id = m.conversation_id
             WHERE m.contact_id = $2 AND ($1 IS NULL OR v.id IS NULL OR {VISIBLE_TO_AGENT})
               AND ($3 IS NULL OR m.id > $3)
             ORDER BY m.id LIMIT $4"
        );
        let everything = limit > MAX_PAGE;
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(visible_to)
            .bind(contact_id)
            .bind(after)
            .bind(if everything { i64::MAX } else { limit.max(1) + 1 })
            .fetch_all(&self.inner.pool)
            .await?;
        let lines = rows
            .iter()
            .map(|r| {
                let body: String = r.try_get("body")?;
                let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                Ok(json!({
                    "id": r.try_get::<i64, _>("id")?,
                    "conversation_id": r.try_get::<Option<i64>, _>("conversation_id")?,
                    "direction": r.try_get::<String, _>("direction")?,
                    "sender": r.try_get::<String, _>("sender")?,
                    "channel": r.try_get::<Option<String>, _>("channel")?,
                    "text": r.try_get::<Option<String>, _>("text")?,
                    "quick_replies": body.get("quick_replies").cloned().unwrap_or(Value::Null),
                    "kind": body.get("kind").cloned().unwrap_or(Value::Null),
                    "expects": body.get("expects").cloned().unwrap_or(Value::Null),
                    "status": r.try_get::<String, _>("status")?,
                    "error": r.try_get::<Option<String>, _>("error")?,
                    "at": from_millis(r.try_get("created_at")?).to_rfc3339(),
                }))
            })
            .collect::<Result<Vec<Value>, Error>>()?;
        if everything {
            return Ok(Page { items: lines, next: None });
        }
        Ok(Page::cut(lines, limit, |m| m["id"].as_i64().unwrap_or_default()))
    }

    /// Whether the agent may see (and work) the contact: its latest conversation is
    /// [visible](VISIBLE_TO_AGENT) to them, or it has none yet.
    pub async fn agent_may_see_contact(&self, contact_id: i64, agent_id: &str) -> Result<bool, Error> {
        let sql = format!(
            "SELECT CASE WHEN v.id IS NULL OR {VISIBLE_TO_AGENT} THEN 1 ELSE 0 END FROM contacts c {LATEST_CONVERSATION}
             WHERE c.id = $2"
        );
        let visible: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(agent_id)
            .bind(contact_id)
            .fetch_optional(&self.inner.pool)
            .await?;
        visible.map(|v| v != 0).ok_or_else(|| Error::NotFound(format!("contact {contact_id}")))
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
        const RANK: &str = "CASE v.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END";
        let sql = format!(
            "SELECT v.id, v.contact_id, v.status, v.channel, v.assignee_id, v.team, v.priority, v.opened_at, v.closed_at,
                    c.name, c.first_name, {RANK} AS rank,
                    (SELECT text FROM messages m WHERE m.conversation_id = v.id AND m.direction IN ('in', 'out') ORDER BY m.id DESC LIMIT 1) AS last_text
             FROM conversations v JOIN contacts c ON c.id = v.contact_id
             WHERE v.status = $2 AND c.test_workflow IS NULL
               AND ($3 IS NULL OR ($3 = 'unassigned' AND v.assignee_id IS NULL) OR v.assignee_id = $3)
               AND ($4 IS NULL OR v.team = $4)
               AND (v.bot_run_id IS NULL OR v.status <> 'open')
               AND ($1 IS NULL OR {VISIBLE_TO_AGENT})
               AND ($5 IS NULL OR {RANK} > $5 OR ({RANK} = $5 AND v.id < $6))
             ORDER BY {RANK}, v.id DESC
             LIMIT $7"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(filter.visible_to)
            .bind(filter.status)
            .bind(filter.assignee)
            .bind(filter.team)
            .bind(after.map(|a| a.0))
            .bind(after.map(|a| a.1))
            .bind(limit.clamp(1, MAX_PAGE) + 1)
            .fetch_all(&self.inner.pool)
            .await?;
        let rows = rows
            .iter()
            .map(|r| {
                let rank: i64 = r.try_get("rank")?;
                let row = json!({
                    "id": r.try_get::<i64, _>("id")?,
                    "contact_id": r.try_get::<i64, _>("contact_id")?,
                    "contact_name": r.try_get::<Option<String>, _>("name")?.or(r.try_get::<Option<String>, _>("first_name")?),
                    "status": r.try_get::<String, _>("status")?,
                    "channel": r.try_get::<Option<String>, _>("channel")?,
                    "assignee_id": r.try_get::<Option<String>, _>("assignee_id")?,
                    "team": r.try_get::<Option<String>, _>("team")?,
                    "priority": r.try_get::<String, _>("priority")?,
                    "opened_at": from_millis(r.try_get("opened_at")?).to_rfc3339(),
                    "last_text": r.try_get::<Option<String>, _>("last_text")?,
                });
                Ok((rank, row))
            })
            .collect::<Result<Vec<(i64, Value)>, Error>>()?;
        let page = Page::cut(rows, limit, |(rank, row)| (*rank, row["id"].as_i64().unwrap_or_default()));
        Ok(page.map(|(_, row)| row))
    }

    /// Contacts waiting in the assignment queue (runs on an `assign` or `escalate` step that
    /// nobody could take yet), longest waiting first; with `visible_to` (an agent), only the
    /// requests that agent could take: for them by name, for one of their teams, or for the
    /// whole workspace.
    pub async fn assignment_queue(&self, visible_to: Option<&str>) -> Result<Vec<QueuedContact>, Error> {
        let rows = sqlx::query(
            "SELECT r.id, r.contact_id, r.workflow_id, r.step, r.wait_data, r.waiting_since, r.due_at,
                    c.name, c.first_name
             FROM runs r JOIN contacts c ON c.id = r.contact_id
             WHERE r.status = 'waiting' AND r.wait_kind = 'agent' AND c.test_workflow IS NULL
             ORDER BY r.waiting_since, r.id LIMIT 500",
        )
        .fetch_all(&self.inner.pool)
        .await?;
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
        for r in &rows {
            let wait_data: String = r.try_get("wait_data")?;
            let request: steps::machine::AssignRequest = match serde_json::from_str(&wait_data) {
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
            let since: i64 = r.try_get::<Option<i64>, _>("waiting_since")?.unwrap_or(now);
            queued.push(QueuedContact {
                run_id: r.try_get("id")?,
                contact_id: r.try_get("contact_id")?,
                contact_name: r.try_get::<Option<String>, _>("name")?.or(r.try_get::<Option<String>, _>("first_name")?),
                workflow_id: r.try_get("workflow_id")?,
                step: r.try_get("step")?,
                team: request.team,
                agent: request.agent,
                online_only: request.online_only,
                waiting_since: from_millis(since).to_rfc3339(),
                waited_seconds: (now - since).max(0) / 1000,
                due_at: r.try_get::<Option<i64>, _>("due_at")?.map(|t| from_millis(t).to_rfc3339()),
            });
        }
        Ok(queued)
    }

    /// The contact at an address on a channel, if there is one.
    pub async fn contact_by_address(&self, channel: &str, address: &str) -> Result<Option<i64>, Error> {
        Ok(sqlx::query_scalar("SELECT contact_id FROM contact_addresses WHERE channel = $1 AND address = $2")
            .bind(channel)
            .bind(address)
            .fetch_optional(&self.inner.pool)
            .await?)
    }

    /// Whether the contact has an address on the simulator channel (and is no test chat).
    pub async fn is_simulator_contact(&self, contact_id: i64) -> Result<bool, Error> {
        let found: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM contact_addresses a JOIN contacts c ON c.id = a.contact_id
             WHERE a.contact_id = $1 AND a.channel = 'simulator' AND c.test_workflow IS NULL",
        )
        .bind(contact_id)
        .fetch_one(&self.inner.pool)
        .await?;
        Ok(found > 0)
    }

    /// Every agent with teams, online status and open-conversation count.
    pub async fn agents(&self) -> Result<Vec<Agent>, Error> {
        let mut conn = self.inner.pool.acquire().await?;
        records::load_agents(&mut conn).await.map_err(Error::from)
    }
}
