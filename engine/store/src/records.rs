//! The store's rows as the interpreter uses them, and the SQL that reads and writes them.
//! Every function takes an open connection (normally the batch's transaction), so callers
//! decide what commits together.

use crate::time::from_millis;
use crate::Error;
use crate::{Backend, Conn};
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use sqlx::Row;
use std::collections::BTreeMap;
use steps::identifier::Identifier;

/// A contact, with the parts flows read and write.
#[derive(Debug, Clone, PartialEq)]
pub struct Contact {
    pub id: i64,
    pub attrs: Map<String, Value>,
    pub fields: Map<String, Value>,
    pub tags: Vec<String>,
    pub last_channel: Option<String>,
    pub last_inbound_at: Option<i64>,
    pub opted_out: bool,
    /// Per channel (connection id): the contact's address there, when they last wrote there
    /// and whether they follow the account.
    pub channels: BTreeMap<String, ChannelState>,
    pub created_at: i64,
    /// Set on the editor's test-chat contacts: the workflow whose sandbox this contact is in.
    pub test_workflow: Option<String>,
}

/// A contact's standing on one channel.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ChannelState {
    pub address: String,
    /// When the contact last wrote on this channel (WhatsApp's 24-hour window starts there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_inbound_at: Option<i64>,
    /// `Some(false)` once they unfollowed (LINE) or blocked the bot (Telegram); `None` when
    /// the channel never said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follows: Option<bool>,
    /// The contact is opted out because they unfollowed or blocked here: following again
    /// opts them back in (an opt-out by keyword or by the API stays).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unfollow_opted_out: bool,
    /// Set when this address joined a contact that already existed: the verified identifier
    /// the two shared. Shown in the contact's view, so a merge is never silent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub joined: Option<Joined>,
}

/// Why an address joined an existing contact.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Joined {
    /// The identifier the address's channel verified, equal to one verified for the contact.
    pub by: Identifier,
    /// When (milliseconds since the epoch).
    pub at: i64,
}

/// The contact a verified identifier belongs to.
pub async fn identified(c: &mut Conn, identifier: &Identifier) -> Result<Option<i64>, Error> {
    Ok(sqlx::query_scalar("SELECT contact_id FROM contact_identifiers WHERE kind = $1 AND value = $2")
        .bind(identifier.kind())
        .bind(identifier.value())
        .fetch_optional(&mut *c)
        .await?)
}

/// A contact's verified identifiers, each with the channel that verified it and when.
pub async fn identifiers_of(c: &mut Conn, contact_id: i64) -> Result<Vec<Value>, Error> {
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT kind, value, channel, verified_at FROM contact_identifiers WHERE contact_id = $1 ORDER BY verified_at, kind",
    )
    .bind(contact_id)
    .fetch_all(&mut *c)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(kind, value, channel, at)| {
            json!({"kind": kind, "value": value, "channel": channel, "verified_at": from_millis(at).to_rfc3339()})
        })
        .collect())
}

/// The standard contact attributes stored in their own columns.
pub const CONTACT_COLUMNS: &[&str] =
    &["name", "first_name", "last_name", "email", "phone", "country", "language", "lifecycle"];

/// A standard attribute as text for its column.
pub fn text_attr(attrs: &Map<String, Value>, key: &str) -> Option<String> {
    match attrs.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Null) | None => None,
        Some(other) => Some(other.to_string()),
    }
}

impl Contact {
    /// A new contact with the given attributes (`fields` and `tags` included).
    pub fn new(profile: &Map<String, Value>, now: i64) -> Contact {
        let mut attrs = Map::new();
        for col in CONTACT_COLUMNS {
            attrs.insert((*col).to_owned(), profile.get(*col).cloned().unwrap_or(Value::Null));
        }
        Contact {
            id: 0,
            attrs,
            fields: profile.get("fields").and_then(Value::as_object).cloned().unwrap_or_default(),
            tags: profile
                .get("tags")
                .and_then(Value::as_array)
                .map(|t| t.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default(),
            last_channel: None,
            last_inbound_at: None,
            opted_out: false,
            channels: BTreeMap::new(),
            created_at: now,
            test_workflow: None,
        }
    }

    /// As `contact.*` in a flow's variables.
    pub fn to_vars(&self) -> Value {
        let mut m = self.attrs.clone();
        m.insert("id".into(), json!(self.id.to_string()));
        m.insert("channel".into(), json!(self.last_channel));
        m.insert("tags".into(), json!(self.tags));
        m.insert("fields".into(), Value::Object(self.fields.clone()));
        m.insert("opted_out".into(), json!(self.opted_out));
        Value::Object(m)
    }

    /// As the API answers it: the flow's variables with the id as a number, as every id in an
    /// answer is (`contact.id` stays text in flows, where templates and conditions read it).
    pub fn to_view(&self) -> Value {
        let mut out = self.to_vars();
        out["id"] = json!(self.id);
        out
    }

    /// The per-channel standing as the API answers it: times as RFC 3339 text, as every time
    /// in an answer is (the stored JSON keeps milliseconds).
    pub fn channels_view(&self) -> Value {
        let time = |ms: i64| json!(from_millis(ms).to_rfc3339());
        let channels = self.channels.iter().map(|(channel, state)| {
            let mut v = json!(state);
            if let Some(at) = state.last_inbound_at {
                v["last_inbound_at"] = time(at);
            }
            if let Some(joined) = &state.joined {
                v["joined"]["at"] = time(joined.at);
            }
            (channel.clone(), v)
        });
        Value::Object(channels.collect())
    }

    /// The value at a writable path (`email`, `fields.plan`), for field-change events.
    pub fn get(&self, path: &str) -> Value {
        match path.strip_prefix("fields.") {
            Some(key) => self.fields.get(key).cloned().unwrap_or(Value::Null),
            None => self.attrs.get(path).cloned().unwrap_or(Value::Null),
        }
    }

    /// Sets a writable path; returns whether the value changed.
    pub fn set(&mut self, path: &str, value: Value) -> bool {
        let slot = match path.strip_prefix("fields.") {
            Some(key) => self.fields.entry(key.to_owned()).or_insert(Value::Null),
            None => self.attrs.entry(path.to_owned()).or_insert(Value::Null),
        };
        if *slot == value {
            return false;
        }
        *slot = value;
        true
    }
}

fn contact_from_row(row: &sqlx::any::AnyRow) -> Result<Contact, Error> {
    let mut attrs = Map::new();
    for col in CONTACT_COLUMNS {
        let v: Option<String> = row.try_get(*col)?;
        attrs.insert((*col).to_owned(), v.map(Value::String).unwrap_or(Value::Null));
    }
    let fields: String = row.try_get("fields")?;
    let tags: String = row.try_get("tags")?;
    let channels: String = row.try_get("channels")?;
    Ok(Contact {
        id: row.try_get("id")?,
        attrs,
        fields: serde_json::from_str(&fields).unwrap_or_default(),
        tags: serde_json::from_str(&tags).unwrap_or_default(),
        last_channel: row.try_get("last_channel")?,
        last_inbound_at: row.try_get("last_inbound_at")?,
        opted_out: row.try_get::<i64, _>("opted_out")? != 0,
        channels: serde_json::from_str(&channels).unwrap_or_default(),
        created_at: row.try_get("created_at")?,
        test_workflow: row.try_get("test_workflow")?,
    })
}

/// The contacts with these ids (missing ones are skipped).
/// A test chat's clock offset (milliseconds from the real time); 0 for a contact that is not
/// a test session.
pub async fn test_clock_offset(c: &mut Conn, contact_id: i64) -> Result<i64, Error> {
    let offset: Option<i64> = sqlx::query_scalar("SELECT clock_offset_ms FROM test_sessions WHERE contact_id = $1")
        .bind(contact_id)
        .fetch_optional(&mut *c)
        .await?;
    Ok(offset.unwrap_or(0))
}

pub async fn load_contacts(c: &mut Conn, ids: &[i64]) -> Result<Vec<Contact>, Error> {
    // `IN ()` is SQLite's, not PostgreSQL's.
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = crate::Sql::new(
        Backend::of_conn(c),
        "SELECT id, name, first_name, last_name, email, phone, country, language, lifecycle, last_channel,
            last_inbound_at, opted_out, fields, tags, channels, created_at, test_workflow FROM contacts WHERE id IN (",
    );
    let mut sep = q.separated(", ");
    for id in ids {
        sep.push_bind(*id);
    }
    q.push(")");
    let rows = q.build().fetch_all(&mut *c).await?;
    rows.iter().map(contact_from_row).collect()
}

/// A conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    pub id: i64,
    pub contact_id: i64,
    pub status: String,
    pub channel: Option<String>,
    pub assignee_id: Option<String>,
    pub team: Option<String>,
    pub priority: String,
    pub opened_at: i64,
    pub opened_by: String,
    pub closed_at: Option<i64>,
    pub closing_category: Option<String>,
    pub closing_summary: Option<String>,
    pub closed_by: Option<String>,
    /// The run whose message opened this conversation while it is bot-owned: it stays out
    /// of the inbox and closes itself when that run ends. `None` once a person is involved
    /// (an assignment, an escalation, an agent's reply or opening) and for every other
    /// conversation.
    pub bot_run: Option<i64>,
}

impl Conversation {
    /// Hands a bot-owned conversation over to people: from now on it is an ordinary one.
    pub fn hand_over(&mut self) {
        self.bot_run = None;
    }

    /// As `conversation.*` in a flow's variables.
    pub fn to_vars(&self) -> Value {
        json!({
            "id": self.id.to_string(),
            "status": self.status,
            "channel": self.channel,
            "assignee_id": self.assignee_id,
            "team": self.team,
            "priority": self.priority,
            "opened_at": from_millis(self.opened_at).to_rfc3339(),
            "closed_at": self.closed_at.map(|t| from_millis(t).to_rfc3339()),
            "closing_category": self.closing_category,
            "closing_summary": self.closing_summary,
            "closed_by": self.closed_by,
        })
    }
}

fn conversation_from_row(row: &sqlx::any::AnyRow) -> Result<Conversation, Error> {
    Ok(Conversation {
        id: row.try_get("id")?,
        contact_id: row.try_get("contact_id")?,
        status: row.try_get("status")?,
        channel: row.try_get("channel")?,
        assignee_id: row.try_get("assignee_id")?,
        team: row.try_get("team")?,
        priority: row.try_get("priority")?,
        opened_at: row.try_get("opened_at")?,
        opened_by: row.try_get("opened_by")?,
        closed_at: row.try_get("closed_at")?,
        closing_category: row.try_get("closing_category")?,
        closing_summary: row.try_get("closing_summary")?,
        closed_by: row.try_get("closed_by")?,
        bot_run: row.try_get("bot_run_id")?,
    })
}

/// The latest conversation of each of these contacts that has one, as (contact id, conversation).
pub async fn latest_conversations(c: &mut Conn, contact_ids: &[i64]) -> Result<Vec<(i64, Conversation)>, Error> {
    // `IN ()` is SQLite's, not PostgreSQL's.
    if contact_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = crate::Sql::new(
        Backend::of_conn(c),
        "SELECT id, contact_id, status, channel, assignee_id, team, priority, opened_at, opened_by, closed_at,
            closing_category, closing_summary, closed_by, bot_run_id FROM conversations
         WHERE id IN (SELECT MAX(id) FROM conversations WHERE contact_id IN (",
    );
    let mut sep = q.separated(", ");
    for id in contact_ids {
        sep.push_bind(*id);
    }
    q.push(") GROUP BY contact_id)");
    let rows = q.build().fetch_all(&mut *c).await?;
    rows.iter().map(|r| conversation_from_row(r).map(|conv| (conv.contact_id, conv))).collect()
}

/// An agent as assignment sees one.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Agent {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub online: bool,
    pub max_open: Option<i64>,
    pub last_assigned_at: i64,
    pub teams: Vec<String>,
    pub open_count: i64,
}

impl Agent {
    /// As `assignee.*` in a flow's variables.
    pub fn to_vars(&self) -> Value {
        json!({"id": self.id, "name": self.name, "email": self.email, "team": self.teams.first(), "online": self.online})
    }
}

/// Every agent with teams and open-conversation counts.
pub async fn load_agents(c: &mut Conn) -> Result<Vec<Agent>, Error> {
    let backend = Backend::of_conn(c);
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT a.id, a.name, a.email, a.online, a.max_open, a.last_assigned_at,
            (SELECT COUNT(*) FROM conversations v WHERE v.assignee_id = a.id AND v.status = 'open') AS open_count,
            (SELECT {} FROM agent_teams t WHERE t.agent_id = a.id) AS teams
         FROM agents a ORDER BY a.id",
        backend.string_agg("t.team_id", &backend.chr(31))
    )))
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            let teams: Option<String> = r.try_get("teams")?;
            Ok(Agent {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                email: r.try_get("email")?,
                online: r.try_get::<i64, _>("online")? != 0,
                max_open: r.try_get("max_open")?,
                last_assigned_at: r.try_get("last_assigned_at")?,
                teams: teams.map(|t| t.split('\u{1f}').map(str::to_owned).collect()).unwrap_or_default(),
                open_count: r.try_get("open_count")?,
            })
        })
        .collect()
}

/// A run as the interpreter holds it while advancing it.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub id: i64,
    pub workflow_id: String,
    pub version: i64,
    pub contact_id: i64,
    pub status: crate::runs::RunStatus,
    pub step: Option<String>,
    pub visit: u32,
    pub visits: BTreeMap<String, u32>,
    pub state: Value,
    pub wait_kind: Option<String>,
    pub wait_data: Value,
    pub waiting_since: Option<i64>,
    pub due_at: Option<i64>,
    /// `{"trigger": {...}, "steps": {"<id>": {...}}}`
    pub vars: Value,
    pub seq: i64,
    pub origin: Vec<String>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub ended_at: Option<i64>,
}

const RUN_COLUMNS: &str =
    "id, workflow_id, version, contact_id, status, step, visit, visits, state, wait_kind, wait_data,
    waiting_since, due_at, vars, seq, origin, last_error, created_at, ended_at";

fn run_from_row(row: &sqlx::any::AnyRow) -> Result<Run, Error> {
    let json = |col: &str| -> Result<Value, Error> {
        let s: Option<String> = row.try_get(col)?;
        Ok(s.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or(Value::Null))
    };
    Ok(Run {
        id: row.try_get("id")?,
        workflow_id: row.try_get("workflow_id")?,
        version: row.try_get("version")?,
        contact_id: row.try_get("contact_id")?,
        status: row.try_get::<String, _>("status")?.parse().map_err(Error::Refused)?,
        step: row.try_get("step")?,
        visit: u32::try_from(row.try_get::<i64, _>("visit")?).unwrap_or(0),
        visits: serde_json::from_value(json("visits")?).unwrap_or_default(),
        state: json("state")?,
        wait_kind: row.try_get("wait_kind")?,
        wait_data: json("wait_data")?,
        waiting_since: row.try_get("waiting_since")?,
        due_at: row.try_get("due_at")?,
        vars: json("vars")?,
        seq: row.try_get("seq")?,
        origin: serde_json::from_value(json("origin")?).unwrap_or_default(),
        last_error: row.try_get("last_error")?,
        created_at: row.try_get("created_at")?,
        ended_at: row.try_get("ended_at")?,
    })
}

pub async fn load_run(c: &mut Conn, id: i64) -> Result<Run, Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = $1")))
        .bind(id)
        .fetch_optional(&mut *c)
        .await?
        .ok_or_else(|| Error::NotFound(format!("run {id}")))?;
    run_from_row(&row)
}

/// Runs matching a WHERE clause with one integer parameter (kept internal to this module's
/// callers, which pass constant SQL).
pub async fn load_runs_where(c: &mut Conn, clause: &str, param: i64) -> Result<Vec<Run>, Error> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {RUN_COLUMNS} FROM runs WHERE {clause}")))
        .bind(param)
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(run_from_row).collect()
}

/// The runs under way (running or waiting) of these contacts.
pub async fn active_runs(c: &mut Conn, contact_ids: &[i64]) -> Result<Vec<Run>, Error> {
    // `IN ()` is SQLite's, not PostgreSQL's.
    if contact_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = crate::Sql::new(
        Backend::of_conn(c),
        format!("SELECT {RUN_COLUMNS} FROM runs WHERE status IN ('running', 'waiting') AND contact_id IN ("),
    );
    let mut sep = q.separated(", ");
    for id in contact_ids {
        sep.push_bind(*id);
    }
    q.push(")");
    let rows = q.build().fetch_all(&mut *c).await?;
    rows.iter().map(run_from_row).collect()
}

/// One journal entry, for timelines and recovery checks.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct JournalEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub step: Option<String>,
    pub visit: Option<i64>,
    pub kind: String,
    pub data: Value,
}

pub async fn load_journal(c: &mut Conn, run_id: i64) -> Result<Vec<JournalEntry>, Error> {
    let rows = sqlx::query("SELECT seq, at, step, visit, kind, data FROM run_journal WHERE run_id = $1 ORDER BY seq")
        .bind(run_id)
        .fetch_all(&mut *c)
        .await?;
    rows.iter()
        .map(|r| {
            let data: String = r.try_get("data")?;
            Ok(JournalEntry {
                seq: r.try_get("seq")?,
                at: from_millis(r.try_get("at")?),
                step: r.try_get("step")?,
                visit: r.try_get("visit")?,
                kind: r.try_get("kind")?,
                data: serde_json::from_str(&data).unwrap_or(Value::Null),
            })
        })
        .collect()
}

/// Which of `ids` name a contact.
pub async fn existing_contacts(pool: &crate::Pool, backend: Backend, ids: &[i64]) -> Result<Vec<i64>, Error> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(400) {
        let mut q = crate::Sql::new(backend, "SELECT id FROM contacts WHERE id IN (");
        let mut sep = q.separated(", ");
        for id in chunk {
            sep.push_bind(*id);
        }
        q.push(")");
        let ids: Vec<i64> = q.build_query_scalar().fetch_all(pool).await?;
        found.extend(ids);
    }
    Ok(found)
}

/// Up to `limit` contacts after the id `cursor` that messages may reach (not opted out, not
/// a test-chat contact), by id.
pub async fn reachable_contacts_after(c: &mut Conn, cursor: i64, limit: i64) -> Result<Vec<i64>, Error> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM contacts WHERE id > $1 AND opted_out = 0 AND test_workflow IS NULL ORDER BY id LIMIT $2",
    )
    .bind(cursor)
    .bind(limit)
    .fetch_all(&mut *c)
    .await?)
}
