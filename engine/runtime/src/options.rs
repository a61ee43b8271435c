//! How the engine is set up ([`Options`]): the database, timezone, webhook channel, HTTP
//! allow-list, reply-to-closed policy, opt-out words, secret keys, outbox pool, channel
//! timeout, readiness thresholds, history retention, where effects go, and the crash, fault and sabotage test hooks.

use crate::{PoolLimits, ReadyThresholds};
use chrono_tz::Tz;
use std::time::Duration;

/// How the engine is set up.
#[derive(Clone)]
pub struct Options {
    /// `sqlite://path/to/file.db` or `sqlite::memory:`.
    pub database_url: String,
    /// The workspace timezone (`system.now`, business hours, cron).
    pub timezone: Tz,
    /// Where the webhook channel POSTs outbound messages; `None` keeps them in the simulator.
    pub webhook_url: Option<String>,
    /// Hosts and networks the HTTP step may reach even though they are private.
    pub http_allow: Vec<String>,
    /// What an agent's reply to a closed conversation does: open a new one (the default) or
    /// be refused.
    pub reply_to_closed: ReplyToClosed,
    /// Test hook for crash tests: behave as if the process died before the n-th durable step
    /// (a commit or an outbound call). `None` in production.
    pub crash_after: Option<i64>,
    /// Words that opt a contact out of messages, and back in.
    pub opt_out: OptOutKeywords,
    /// The secret key (and previous keys) that seal secrets at rest. `None`: the key file
    /// next to an SQLite database (created on first start), a throwaway key for an in-memory
    /// one, none on PostgreSQL (secrets refused); see `crate::keyring::default_keyring`.
    pub secret_keys: Option<crate::keyring::Keyring>,
    /// How many effects the outbox performs at once (see `outbox_pool.rs`).
    pub outbox_pool: PoolLimits,
    /// How long a send to a channel (the webhook channel, WhatsApp, LINE, Telegram) may take
    /// before it counts as timed out.
    pub channel_timeout: Duration,
    /// How late background work may run before `/readyz` fails.
    pub ready: ReadyThresholds,
    /// How long finished history is kept before it is pruned (`retention.rs`).
    pub retention: crate::Retention,
    /// Where effects go; `None`: the network (channels and the HTTP client). The
    /// deterministic simulator gives its simulated world.
    pub transport: Option<std::sync::Arc<dyn crate::transport::Transport>>,
    /// Test hook: each durable step's fate (see `transport.rs`). `None` in production.
    pub faults: Option<std::sync::Arc<dyn crate::transport::Faults>>,
    /// Test-only: a promise broken on purpose (see [`crate::transport::Sabotage`]). `None` in
    /// production.
    pub sabotage: Option<crate::transport::Sabotage>,
    /// Whether events are processed in the transaction that accepts them when the queue is
    /// idle (SQLite only; `intake.rs`). `None` (production): when this engine runs its
    /// background loops, whose outbox pool performs the effects at once. An engine without
    /// them (a client of another process's store, a test driving the queue by hand) queues
    /// what it accepts, for the process that runs the loops: rows it committed itself would
    /// wait for that process's next poll. `Some(_)` forces it, for tests and the simulator
    /// (whose driver performs the outbox itself).
    pub process_on_accept: Option<bool>,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a password; the keys show only their ids.
        f.debug_struct("Options")
            .field("database_url", &store::redact(&self.database_url))
            .field("timezone", &self.timezone)
            .field("webhook_url", &self.webhook_url.as_deref().map(store::redact))
            .field("http_allow", &self.http_allow)
            .field("reply_to_closed", &self.reply_to_closed)
            .field("crash_after", &self.crash_after)
            .field("opt_out", &self.opt_out)
            .field("secret_keys", &self.secret_keys.as_ref().map(|k| k.current_id().to_owned()))
            .field("outbox_pool", &self.outbox_pool)
            .field("channel_timeout", &self.channel_timeout)
            .field("ready", &self.ready)
            .field("retention", &self.retention)
            .field("transport", &self.transport)
            .field("faults", &self.faults)
            .field("sabotage", &self.sabotage)
            .finish()
    }
}

/// A message that is exactly one of `stop` (ignoring case and accents) opts its contact out:
/// their runs end, nothing more is sent to them. One of `start` opts them back in.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct OptOutKeywords {
    #[serde(default = "OptOutKeywords::default_stop")]
    pub stop: Vec<String>,
    #[serde(default = "OptOutKeywords::default_start")]
    pub start: Vec<String>,
}

impl OptOutKeywords {
    fn default_stop() -> Vec<String> {
        // Not CANCEL, END or QUIT: in a chat those are answers ("cancel my order") more
        // often than opt-outs.
        ["STOP", "STOPALL", "UNSUBSCRIBE", "OPT OUT"].map(String::from).to_vec()
    }

    fn default_start() -> Vec<String> {
        ["START", "UNSTOP", "SUBSCRIBE"].map(String::from).to_vec()
    }
}

impl Default for OptOutKeywords {
    fn default() -> Self {
        OptOutKeywords { stop: Self::default_stop(), start: Self::default_start() }
    }
}

/// What an agent's reply to a contact whose conversation is closed does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyToClosed {
    /// The reply opens a new conversation (as respond.io does).
    #[default]
    Reopen,
    /// The reply is refused; the agent opens the conversation first.
    Refuse,
}

impl std::str::FromStr for ReplyToClosed {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "reopen" => Ok(ReplyToClosed::Reopen),
            "refuse" => Ok(ReplyToClosed::Refuse),
            other => Err(format!("`{other}` is not `reopen` or `refuse`")),
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            database_url: "sqlite::memory:".into(),
            timezone: chrono_tz::UTC,
            webhook_url: None,
            http_allow: Vec::new(),
            reply_to_closed: ReplyToClosed::Reopen,
            crash_after: None,
            opt_out: OptOutKeywords::default(),
            secret_keys: None,
            outbox_pool: PoolLimits::default(),
            channel_timeout: Duration::from_secs(10),
            ready: ReadyThresholds::default(),
            retention: crate::Retention::default(),
            transport: None,
            faults: None,
            sabotage: None,
            process_on_accept: None,
        }
    }
}
