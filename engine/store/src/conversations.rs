//! `conversations`, `messages`, `contacts`, `contact_addresses` as the inbox reads them: the
//! contacts list, transcripts, conversation lists and the assignment queue, each narrowed to
//! what one agent may see. The visibility rule is written here once, as SQL
//! ([`VISIBLE_TO_AGENT`]); the API's shapes are the runtime's (`engine/runtime/src/inbox.rs`).

use crate::{Error, Pool};

/// Which conversations (`v`) the agent bound to `$1` may see: those assigned to them, those
/// of their teams, and unassigned ones outside any team. A conversation routed to the
/// `sales` queue is the sales team's, not everyone's.
pub const VISIBLE_TO_AGENT: &str = "(v.assignee_id = $1
      OR v.team IN (SELECT team_id FROM agent_teams WHERE agent_id = $1)
      OR (v.assignee_id IS NULL AND v.team IS NULL))";

/// Joins each contact `c` to its latest conversation `v` (none yet: `v.id IS NULL`).
const LATEST_CONVERSATION: &str =
    "LEFT JOIN conversations v ON v.id = (SELECT MAX(id) FROM conversations WHERE contact_id = c.id)";

/// Up to `limit` contact ids, newest first (not the editor's test-chat contacts), before the
/// contact `before`; with `visible_to`, only those whose latest conversation that agent may
/// see (or who have none).
pub async fn contact_ids(
    pool: &Pool,
    visible_to: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<i64>, Error> {
    let sql = format!(
        "SELECT c.id FROM contacts c {LATEST_CONVERSATION}
         WHERE c.test_workflow IS NULL AND ($1 IS NULL OR v.id IS NULL OR {VISIBLE_TO_AGENT})
           AND ($3 IS NULL OR c.id < $3)
         ORDER BY c.id DESC LIMIT $2"
    );
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(visible_to).bind(limit).bind(before).fetch_all(pool).await?)
}

/// A transcript line.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Line {
    pub id: i64,
    pub conversation_id: Option<i64>,
    pub direction: String,
    pub sender: String,
    pub channel: Option<String>,
    pub text: Option<String>,
    /// The message's body, as JSON text.
    pub body: String,
    pub status: String,
    pub error: Option<String>,
    pub created_at: i64,
}

/// Up to `limit` lines of a contact's transcript after the line `after`, oldest first; with
/// `visible_to`, only the lines of conversations that agent may see and those outside any.
pub async fn transcript(
    pool: &Pool,
    contact_id: i64,
    visible_to: Option<&str>,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<Line>, Error> {
    let sql = format!(
        "SELECT m.id, m.conversation_id, m.direction, m.sender, m.channel, m.text, m.body, m.status, m.error,
                m.created_at
         FROM messages m LEFT JOIN conversations v ON v.id = m.conversation_id
         WHERE m.contact_id = $2 AND ($1 IS NULL OR v.id IS NULL OR {VISIBLE_TO_AGENT})
           AND ($3 IS NULL OR m.id > $3)
         ORDER BY m.id LIMIT $4"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(visible_to)
        .bind(contact_id)
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await?)
}

/// Whether the agent may see the contact (its latest conversation is visible to them, or it
/// has none yet); `None` if there is no such contact.
pub async fn agent_may_see_contact(pool: &Pool, contact_id: i64, agent_id: &str) -> Result<Option<bool>, Error> {
    let sql = format!(
        "SELECT CASE WHEN v.id IS NULL OR {VISIBLE_TO_AGENT} THEN 1 ELSE 0 END FROM contacts c {LATEST_CONVERSATION}
         WHERE c.id = $2"
    );
    let visible: Option<i64> =
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(agent_id).bind(contact_id).fetch_optional(pool).await?;
    Ok(visible.map(|v| v != 0))
}

/// Which conversations an inbox lists.
#[derive(Debug, Clone, Copy)]
pub struct InboxFilter<'a> {
    /// `open` or `closed`.
    pub status: &'a str,
    /// An agent id, `unassigned`, or `None` for all.
    pub assignee: Option<&'a str>,
    pub team: Option<&'a str>,
    /// The agent whose view this is (`None`: everything).
    pub visible_to: Option<&'a str>,
}

/// A conversation as an inbox lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InboxRow {
    pub id: i64,
    pub contact_id: i64,
    pub status: String,
    pub channel: Option<String>,
    pub assignee_id: Option<String>,
    pub team: Option<String>,
    pub priority: String,
    pub opened_at: i64,
    pub closed_at: Option<i64>,
    pub name: Option<String>,
    pub first_name: Option<String>,
    /// The priority's rank (0: urgent … 3), the first sort key.
    pub rank: i64,
    /// The latest message's text in or out.
    pub last_text: Option<String>,
}

/// Up to `limit` conversations for an inbox (not test chats, nor open conversations a
/// workflow's run owns), most urgent first, then newest, after the sort key `after` (rank,
/// id).
pub async fn inbox(
    pool: &Pool,
    filter: InboxFilter<'_>,
    after: Option<(i64, i64)>,
    limit: i64,
) -> Result<Vec<InboxRow>, Error> {
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
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(filter.visible_to)
        .bind(filter.status)
        .bind(filter.assignee)
        .bind(filter.team)
        .bind(after.map(|a| a.0))
        .bind(after.map(|a| a.1))
        .bind(limit)
        .fetch_all(pool)
        .await?)
}

/// A run waiting for an agent (the assignment queue), with its contact's name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueuedRow {
    pub id: i64,
    pub contact_id: i64,
    pub workflow_id: String,
    pub step: Option<String>,
    /// The assignment request, as JSON text.
    pub wait_data: String,
    pub waiting_since: Option<i64>,
    pub due_at: Option<i64>,
    pub name: Option<String>,
    pub first_name: Option<String>,
}

/// Up to 500 runs waiting for an agent (not test chats), longest waiting first.
pub async fn assignment_queue(pool: &Pool) -> Result<Vec<QueuedRow>, Error> {
    Ok(sqlx::query_as(
        "SELECT r.id, r.contact_id, r.workflow_id, r.step, r.wait_data, r.waiting_since, r.due_at,
                c.name, c.first_name
         FROM runs r JOIN contacts c ON c.id = r.contact_id
         WHERE r.status = 'waiting' AND r.wait_kind = 'agent' AND c.test_workflow IS NULL
         ORDER BY r.waiting_since, r.id LIMIT 500",
    )
    .fetch_all(pool)
    .await?)
}

/// The contact at an address on a channel, if there is one.
pub async fn contact_by_address(pool: &Pool, channel: &str, address: &str) -> Result<Option<i64>, Error> {
    Ok(sqlx::query_scalar("SELECT contact_id FROM contact_addresses WHERE channel = $1 AND address = $2")
        .bind(channel)
        .bind(address)
        .fetch_optional(pool)
        .await?)
}

/// Whether the contact has an address on the simulator channel (and is no test chat).
pub async fn is_simulator_contact(pool: &Pool, contact_id: i64) -> Result<bool, Error> {
    let found: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM contact_addresses a JOIN contacts c ON c.id = a.contact_id
         WHERE a.contact_id = $1 AND a.channel = 'simulator' AND c.test_workflow IS NULL",
    )
    .bind(contact_id)
    .fetch_one(pool)
    .await?;
    Ok(found > 0)
}
