//! The contract between a step and the engine. A step is a small state machine: the engine
//! calls [`crate::kinds::StepConfig::start`] when a run enters the step and
//! [`crate::kinds::StepConfig::resume`] with each input (a reply, a timer, the outcome of an
//! effect); the step answers with a [`Transition`]: effects for the engine to perform, and
//! what comes next. Steps never perform I/O and never read the clock; `now` is an input.
//!
//! The assignment vocabulary the effects carry ([`Strategy`], [`Priority`]) lives here too:
//! it is part of the contract, which the engine and the `assign` and `escalate` kinds share.

use crate::message::{InboundMessage, OutboundMessage};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::time::Duration;

/// What a step sees of the world when it runs.
#[derive(Debug, Clone, Copy)]
pub struct StepContext<'a> {
    /// The id of the step being run, for outputs and messages.
    pub step_id: &'a str,
    /// The current time, from the engine's clock.
    pub now: DateTime<Utc>,
    /// The workspace timezone (`system.now` and business hours use it).
    pub timezone: Tz,
    /// The run's variables: an object with `contact`, `conversation`, `assignee`, `trigger`,
    /// `steps` and `system`.
    pub vars: &'a Value,
    /// The ports of this step that have an outgoing edge. Steps use it to choose between a
    /// fire-and-forget effect and one whose failure has somewhere to go.
    pub connected: &'a BTreeSet<String>,
    /// How many times this run has entered this step, counting this time (1 on the first
    /// visit). Jump steps count their jumps with it.
    pub visit: u32,
}

impl StepContext<'_> {
    /// Is `port` connected to another step?
    pub fn is_connected(&self, port: &str) -> bool {
        self.connected.contains(port)
    }
}

/// What the engine hands back to a step that is waiting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "input", rename_all = "snake_case")]
pub enum Input {
    /// The contact replied.
    Reply { message: InboundMessage },
    /// The step's timer is due.
    TimerFired,
    /// The effect the step waits on finished.
    Outcome { outcome: Outcome },
}

/// How an effect turned out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// The channel accepted the message.
    Sent { message_id: String },
    /// The message could not be sent (channel error, opted-out contact, no template outside
    /// the WhatsApp window, ...).
    SendFailed { reason: String },
    /// The HTTP call got a response (any status).
    HttpResponse {
        status: u16,
        #[serde(default)]
        headers: Map<String, Value>,
        /// The body parsed as JSON when it was JSON, else as text.
        #[serde(default)]
        body: Value,
    },
    /// The HTTP call did not get a response (timeout, refused address, DNS, ...).
    HttpFailed { reason: String },
    /// An agent now has the conversation.
    Assigned { agent: AgentRef },
    /// Nobody qualifies right now; the step decides whether to queue.
    NoAgentAvailable,
    /// The other workflow's run was started.
    WorkflowTriggered { run_id: String },
    /// The other workflow could not be started (stopped, unknown, loop guard).
    TriggerFailed { reason: String },
}

/// The agent an assignment picked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentRef {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
}

/// Whom to assign to and how to choose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssignRequest {
    /// `Some` to assign one named agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// `Some` to pick among a team's agents; `None` with no agent means the whole workspace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    pub strategy: Strategy,
    pub online_only: bool,
    /// Skip agents who already have this many open conversations or more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_open: Option<u32>,
}

/// How to choose among qualifying agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Take turns, oldest assignment first.
    #[default]
    RoundRobin,
    /// The agent with the fewest open conversations.
    FewestOpen,
}

/// A conversation's priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    #[default]
    Normal,
    High,
    Urgent,
}

/// An HTTP call with every variable filled in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HttpRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(with = "duration_ms")]
    pub timeout: Duration,
    /// Extra attempts after the first on a network error or a 5xx.
    pub retries: u32,
    /// The workspace secrets the request reads. Their values are not here: the url, headers
    /// and body keep `{{ secrets.NAME }}` placeholders (percent-encoded in the url), which
    /// the engine fills in only when it performs the call (`HttpRequest::fill_secrets`), so
    /// the journal, the outbox and the run never hold a secret. Only these names are filled.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<String>,
    /// The body is JSON (from the step's `json`): a secret filled into it is JSON-escaped.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub json_body: bool,
}

impl HttpRequest {
    /// The placeholder a secret's value replaces: `{{ secrets.NAME }}`.
    pub fn secret_placeholder(name: &str) -> String {
        format!("{{{{ secrets.{name} }}}}")
    }

    /// How many secret placeholders `text` holds, percent-encoded ones included.
    pub fn count_placeholders(text: &str) -> usize {
        text.matches("{{ secrets.").count() + text.matches(&*crate::template::encode_url_value("{{ secrets.")).count()
    }

    /// The request as it goes out: every placeholder of a secret in [`HttpRequest::secrets`]
    /// replaced by its value, encoded for where it stands (percent-encoded in the url after
    /// its start, JSON-escaped in a JSON body, as is in headers and a raw body). `value`
    /// gives a secret's value; a secret it does not know is an error naming it.
    pub fn fill_secrets(&self, value: impl Fn(&str) -> Option<String>) -> Result<HttpRequest, String> {
        let mut values = std::collections::BTreeMap::new();
        for name in &self.secrets {
            let secret = value(name).ok_or_else(|| {
                format!("the workspace secret `{name}` is not set; an admin sets it under Secrets (PUT /api/secrets/{name})")
            })?;
            values.insert(name.as_str(), secret);
        }
        let raw = |text: &str, encode: &dyn Fn(&str) -> String| {
            fill_placeholders(text, "{{ secrets.", " }}", &|name| values.get(name).map(|v| encode(v)))
        };
        let as_is = |v: &str| v.to_owned();
        let mut out = self.clone();
        // In the url a placeholder is percent-encoded, except a hole at its very start.
        let encoded = |v: &str| crate::template::encode_url_value(v);
        let url = fill_placeholders(&self.url, &encoded("{{ secrets."), &encoded(" }}"), &|name| {
            values.get(name).map(|v| encoded(v))
        });
        out.url = raw(&url, &as_is);
        for (_, v) in &mut out.headers {
            *v = raw(v, &as_is);
        }
        if let Some(body) = &mut out.body {
            *body = if self.json_body {
                raw(body, &|v: &str| {
                    let quoted = serde_json::Value::String(v.to_owned()).to_string();
                    quoted[1..quoted.len() - 1].to_owned()
                })
            } else {
                raw(body, &as_is)
            };
        }
        Ok(out)
    }
}

/// `text` with each `<open>NAME<close>` for which `value(NAME)` is known replaced by it, in
/// one pass (a filled-in value is never searched again).
fn fill_placeholders(text: &str, open: &str, close: &str, value: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(close) else { break };
        match value(&after[..end]) {
            Some(v) => {
                out.push_str(&rest[..start]);
                out.push_str(&v);
            }
            None => out.push_str(&rest[..start + open.len() + end + close.len()]),
        }
        rest = &after[end + close.len()..];
    }
    out.push_str(rest);
    out
}

/// Something the engine must do. Effects that only touch Switchboard's own database
/// (tags, fields, assignment) are applied in the same transaction as the step; messages and
/// HTTP calls go through the outbox with an idempotency key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "effect", rename_all = "snake_case")]
pub enum Effect {
    /// Send a message to the contact.
    SendMessage { message: OutboundMessage },
    /// Record an output of this step: `steps.<id>.<name>`.
    SetOutput { name: String, value: Value },
    /// Add and remove contact tags.
    UpdateTags { add: Vec<String>, remove: Vec<String> },
    /// Set contact fields; keys are paths under `contact` (`email`, `fields.plan`).
    UpdateFields { set: Map<String, Value> },
    /// Assign the conversation; the outcome says to whom.
    Assign { request: AssignRequest },
    /// Remove the conversation's assignee.
    Unassign,
    /// Raise (or set) the conversation's priority.
    SetPriority { priority: Priority },
    /// Call a URL; the outcome carries the response.
    Http { request: HttpRequest },
    /// Open a conversation with the contact (no-op if one is open).
    OpenConversation,
    /// Close the contact's conversation.
    CloseConversation { category: Option<String>, summary: Option<String> },
    /// An internal note on the conversation, visible to agents only.
    AddComment { text: String },
    /// Tell agents (the escalation's notification).
    Notify { text: String },
    /// Start another workflow for this contact.
    TriggerWorkflow { workflow: String, vars: Map<String, Value> },
}

impl Effect {
    /// Does the engine perform this effect outside its database (and so needs the outbox,
    /// an idempotency key and retries)?
    pub fn is_external(&self) -> bool {
        matches!(self, Effect::SendMessage { .. } | Effect::Http { .. })
    }
}

/// What a run is parked on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "wait", rename_all = "snake_case")]
pub enum Wait {
    /// The outcome of the effect this transition emitted.
    Outcome,
    /// A reply from the contact, or the timer at `timeout_at` if there is one.
    Reply { timeout_at: Option<DateTime<Utc>> },
    /// The timer only.
    Timer { at: DateTime<Utc> },
    /// An agent becoming free (the assignment queue), or the timer.
    Agent { timeout_at: DateTime<Utc> },
}

impl Wait {
    /// When the engine must fire [`Input::TimerFired`], if ever.
    pub fn due(&self) -> Option<DateTime<Utc>> {
        match self {
            Wait::Outcome => None,
            Wait::Reply { timeout_at } => *timeout_at,
            Wait::Timer { at } => Some(*at),
            Wait::Agent { timeout_at } => Some(*timeout_at),
        }
    }

    /// A short label for "why is this run waiting".
    pub fn kind(&self) -> &'static str {
        match self {
            Wait::Outcome => "effect",
            Wait::Reply { .. } => "reply",
            Wait::Timer { .. } => "timer",
            Wait::Agent { .. } => "agent",
        }
    }
}

/// Where the run goes after this transition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "next", rename_all = "snake_case")]
pub enum Next {
    /// Leave through `port`. If the port has no edge, the run ends there.
    Port { port: String },
    /// Stay in this step until an input arrives; `state` is handed back with it.
    Wait { wait: Wait, state: Value },
    /// The step failed and has no port for it: the run fails with this reason.
    Fail { reason: String },
}

/// A step's answer to `start` or `resume`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    pub effects: Vec<Effect>,
    pub next: Next,
}

impl Transition {
    /// Leave through `port` after performing `effects`.
    pub fn go(port: impl Into<String>, effects: Vec<Effect>) -> Transition {
        Transition { effects, next: Next::Port { port: port.into() } }
    }

    /// Wait, keeping `state`.
    pub fn wait(wait: Wait, state: impl Serialize, effects: Vec<Effect>) -> Transition {
        let state = serde_json::to_value(state).unwrap_or(Value::Null);
        Transition { effects, next: Next::Wait { wait, state } }
    }

    /// Fail the run.
    pub fn fail(reason: impl Into<String>) -> Transition {
        Transition { effects: Vec::new(), next: Next::Fail { reason: reason.into() } }
    }

    /// Fail through `port` when it is connected, else fail the run; records `reason` as the
    /// step's `error` output either way.
    pub fn fail_via(
        ctx: &StepContext<'_>,
        port: &str,
        reason: impl Into<String>,
        mut effects: Vec<Effect>,
    ) -> Transition {
        let reason = reason.into();
        effects.push(Effect::SetOutput { name: "error".to_owned(), value: Value::String(reason.clone()) });
        if ctx.is_connected(port) {
            Transition::go(port, effects)
        } else {
            Transition { effects, next: Next::Fail { reason } }
        }
    }
}

/// Serialises a `Duration` as whole milliseconds.
pub mod duration_ms {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}
