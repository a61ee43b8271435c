//! The durable interpreter. Events come in (a contact's message, a conversation closing, a
//! shortcut, a due timer, an effect's outcome); each is handled in one database transaction
//! that records the event, starts or resumes runs, lets their steps decide, journals every
//! decision, applies the effects that live in our own database (tags, fields, assignment)
//! and queues the outbound ones (messages, HTTP calls) in the outbox with an idempotency key.
//! Nothing is in memory between events: a waiting run is a row, a timer is a row.
//!
//! - [`Engine`] — the handle: publish workflows, feed events, fire timers, drain the outbox.
//! - `batch/` — one write transaction: events and effects applied, runs moved until they
//!   wait or end, the workflows a happening starts (see its `mod.rs`).
//! - `assign.rs` — picking an agent (round-robin, fewest open, online only, caps).
//! - `outbox.rs` — performing messages and HTTP calls, then feeding outcomes back.
//! - `analytics.rs` — per-step figures of a version and a run's path, for the canvas.
//! - `testchat.rs` — the editor's test chat: sandboxed sessions against a draft snapshot.
//! - `channel_rules.rs` — the rules before a channel send (24-hour window, LINE friends and
//!   quota, opt-out) and the channel connections' changes.
//! - `connections.rs` — the channel connections, stored and sealed.
//! - `keyring.rs` — the secret key and values sealed at rest; `secrets.rs` — named secrets.
//! - `http_call.rs` — the HTTP step's client, with its private-address guard.
//! - `clock.rs` — injected time.
//!
//! Rows, their SQL and the unit of work are the store's (`switchboard-store`); the channel
//! adapters are `switchboard-channels`'.

mod analytics;
mod assign;
mod batch;
mod channel_rules;
pub mod clock;
mod compiler;
pub mod connections;
mod dead_letters;
mod events;
mod health;
pub mod http_call;
mod idempotency;
mod inbox;
pub mod keyring;
mod listing;
mod metrics;
mod outbox;
mod outbox_pool;
mod people;
mod queue;
mod registry;
mod replay;
mod schedule;
mod secrets;
mod supervise;
mod testchat;
pub mod tokens;
pub mod webhook_signature;
mod workflows;

pub use channels;
pub use steps;
pub use store::records;

pub use analytics::{path_of, VersionFigures};
pub use compiler::compile_slots;
pub use dead_letters::{DeadLetter, DeadLetterPage};
pub use events::{
    from_channel as channel_events, limits as event_limits, ContactRef, Event, EventKind, FieldError, Handled,
    Identifier,
};

pub use health::{Backlog, LoopReport, Readiness, ReadyThresholds};
pub use idempotency::{Claim, Claimed, KEY_RETENTION};
pub use inbox::{ConversationFilter, QueuedContact};
pub use listing::{Page, RunFilter, RunRow, RunStatus, TokenRow, MAX_PAGE};
pub use outbox::{Channel, SentMessage};
pub use outbox_pool::PoolLimits;
pub use people::{AgentSpec, AssignmentWarning};
pub use queue::{Accepted, MAX_ATTEMPTS as MAX_EVENT_ATTEMPTS};
pub use replay::Rebuilt;
pub use secrets::SecretInfo;
pub use supervise::{chaos_plan, Loop, LoopHealth, LoopState, CHAOS_ENV};
pub use testchat::{TestClock, TestStarted, TestTrigger};
pub use workflows::{diff, DraftBase, DraftSaved, Published, VersionInfo, WorkflowDetail, WorkflowSummary};

use crate::clock::{to_millis, Clock};
use crate::http_call::HttpCaller;
use chrono_tz::Tz;
use registry::Registry;
use std::sync::Arc;
use std::time::Duration;
use steps::Diagnostic;
use store::{Backend, Conn, Pool};
use tokio::sync::{Mutex, Notify};

/// The engine's errors. Problems in a workflow are not errors of the engine: they fail the
/// run, visibly, and are journaled.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0} not found")]
    NotFound(String),
    #[error("the workflow has errors")]
    Invalid(Vec<Diagnostic>),
    #[error("{0}")]
    Refused(String),
    /// A part of an event breaks a size limit (`events::limits`); nothing was stored.
    #[error(transparent)]
    Field(#[from] events::FieldError),
    /// The change is based on an outdated version of what it changes (a draft saved by
    /// someone else in between); `details` says what changed.
    #[error("{message}")]
    Conflict { message: String, details: serde_json::Value },
    /// Only with the `crash_after` test hook: the simulated process death.
    #[error("simulated crash")]
    Crashed,
}

impl From<store::Error> for Error {
    fn from(e: store::Error) -> Error {
        match e {
            store::Error::Db(e) => Error::Db(e),
            store::Error::Migrate(e) => Error::Migrate(e),
            store::Error::NotFound(what) => Error::NotFound(what),
            store::Error::Refused(why) => Error::Refused(why),
        }
    }
}

impl Error {
    /// Did the transaction lose a race with another process (a deadlock broken by
    /// PostgreSQL, a serialization failure)? Such work is simply tried again.
    pub fn is_contention(&self) -> bool {
        match self {
            Error::Db(sqlx::Error::Database(db)) => matches!(db.code().as_deref(), Some("40P01" | "40001")),
            _ => false,
        }
    }
}

/// Attempts at a transaction that keeps losing races before its error is returned.
const CONTENTION_ATTEMPTS: usize = 8;

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
        }
    }
}

pub use store::LiveEvent;

/// The engine. Cheap to clone; all clones share one store.
#[derive(Clone, Debug)]
pub struct Engine {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    pool: Pool,
    backend: Backend,
    clock: Arc<dyn Clock>,
    timezone: Tz,
    reply_to_closed: ReplyToClosed,
    registry: Registry,
    /// SQLite has one writer; taking this lock first keeps transactions from queueing
    /// inside SQLite (where they would fail with SQLITE_BUSY instead of waiting).
    write: Mutex<()>,
    outbox_wake: Notify,
    timer_wake: Notify,
    /// The schedules loop's own wake-up. One `Notify` shared by two loops hands a
    /// `notify_one` to whichever waits first, and the other would sleep on until its poll
    /// (a minute on SQLite); so each loop has its own and [`Engine::wake_timer_loops`] wakes both.
    schedule_wake: Notify,
    queue_wake: Notify,
    /// Test hook: the number of durable steps (commits, outbound calls) left before the
    /// engine behaves as if the process died. `None` in production.
    failpoint: Option<std::sync::atomic::AtomicI64>,
    channel: Channel,
    /// How many effects the outbox pool performs at once.
    pool_limits: PoolLimits,
    /// This installation's id (kept in the store), the prefix of every idempotency key sent.
    installation: String,
    /// The connected channel accounts (WhatsApp, LINE, Telegram).
    connections: Arc<crate::connections::Connections>,
    opt_out: OptOutKeywords,
    http: HttpCaller,
    live: tokio::sync::broadcast::Sender<LiveEvent>,
    /// Changes of the queue transaction in progress (see `queue.rs`).
    pending_live: std::sync::Mutex<Vec<LiveEvent>>,
    /// Counts API token revocations made in this process, so live streams re-check their
    /// token at once instead of at their next periodic check.
    revocations: tokio::sync::watch::Sender<u64>,
    metrics: metrics::Metrics,
    /// This process's id in `workers`, the owner of its leases.
    worker: String,
    /// The database URL, for the PostgreSQL notification listener (redacted in `Debug`).
    database_url: store::DatabaseUrl,
    /// Seals and opens secrets at rest; `None` refuses new secrets (PostgreSQL without a key).
    keys: Option<crate::keyring::Keyring>,
    /// The background loops' liveness records (`supervise.rs`).
    loops: supervise::Loops,
    /// Readiness thresholds (`health.rs`).
    ready: ReadyThresholds,
}

/// Events taken per transaction by the background loop (and the benchmark) on SQLite.
pub const QUEUE_BATCH: i64 = 1000;
/// Events taken per transaction on PostgreSQL. A commit there costs a round trip and the
/// process's other writers (timers, outbox outcomes) wait for the batch's transaction, so
/// batches are kept short enough that a wave of new events never holds a due timer back by
/// a second (the chaos test measures it); several processes share the queue anyway.
pub const QUEUE_BATCH_POSTGRES: i64 = 200;
/// Outbox rows taken per pass.
pub const OUTBOX_BATCH: i64 = 1000;
/// Timers fired per transaction.
pub const TIMER_BATCH: i64 = 1000;
/// The advisory lock space (first key of the two-key form) of publishing a workflow.
const WORKFLOW_LOCKS: i32 = 8;

/// The PostgreSQL notification channel processes wake each other on.
const NOTIFY_CHANNEL: &str = "switchboard";
/// On PostgreSQL, how often an idle loop looks for work another process committed, in case
/// a notification was missed.
const PEER_POLL: Duration = Duration::from_secs(2);

/// Which loop a notification is for.
#[derive(Debug, Clone, Copy)]
enum Wake {
    Queue,
    Outbox,
    Timers,
    /// A workflow was published or stopped: the live set changed.
    Workflows,
    /// A channel connection was added, changed or removed.
    Channels,
}

impl Wake {
    fn as_str(self) -> &'static str {
        match self {
            Wake::Queue => "queue",
            Wake::Outbox => "outbox",
            Wake::Timers => "timers",
            Wake::Workflows => "workflows",
            Wake::Channels => "channels",
        }
    }
}

/// How long a background loop waits after an error before trying again.
const ERROR_BACKOFF: Duration = Duration::from_secs(1);

impl Engine {
    /// Opens (and migrates) the store and loads the published workflows.
    pub async fn open(options: Options, clock: Arc<dyn Clock>) -> Result<Engine, Error> {
        // Expressions are evaluated under a time budget measured on the real clock.
        steps::expr::use_stopwatch(crate::clock::monotonic);
        let (pool, backend) = store::open(&options.database_url).await?;
        let policy = crate::http_call::NetPolicy::from_entries(&options.http_allow).map_err(Error::Refused)?;
        let keys = match options.secret_keys {
            Some(keys) => Some(keys),
            None => crate::keyring::default_keyring(&options.database_url)?,
        };
        secrets::reseal(&pool, keys.as_ref()).await?;
        let connections = Arc::new(crate::connections::Connections::new(keys.clone()));
        connections.load(&pool).await?;
        let installation = outbox::installation_id(&pool).await?;
        let engine = Engine {
            inner: Arc::new(Inner {
                pool,
                backend,
                clock,
                timezone: options.timezone,
                reply_to_closed: options.reply_to_closed,
                registry: Registry::default(),
                write: Mutex::new(()),
                outbox_wake: Notify::new(),
                timer_wake: Notify::new(),
                schedule_wake: Notify::new(),
                queue_wake: Notify::new(),
                failpoint: options.crash_after.map(std::sync::atomic::AtomicI64::new),
                channel: Channel::new(options.webhook_url, connections.clone()).with_timeout(options.channel_timeout),
                pool_limits: options.outbox_pool,
                installation,
                connections,
                opt_out: options.opt_out,
                http: HttpCaller::new(policy),
                live: tokio::sync::broadcast::channel(4096).0,
                revocations: tokio::sync::watch::channel(0).0,
                pending_live: std::sync::Mutex::new(Vec::new()),
                metrics: metrics::Metrics::default(),
                worker: worker_id(),
                database_url: store::DatabaseUrl::new(&options.database_url),
                keys,
                loops: supervise::Loops::default(),
                ready: options.ready,
            }),
        };
        engine.register_worker().await?;
        engine.inner.registry.load(&engine.inner.pool).await?;
        Ok(engine)
    }

    /// The store, for read-only queries (the API, tests).
    pub fn pool(&self) -> &store::Pool {
        &self.inner.pool
    }

    /// Which database the engine runs on.
    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// The engine's clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// Says this process shares the store. An SQLite store has one process, so leases held
    /// by an earlier life of it (a crash) are void at once; on PostgreSQL they run out.
    async fn register_worker(&self) -> Result<(), Error> {
        let now = self.now_ms();
        let mut tx = self.begin().await?;
        if self.inner.backend == Backend::Sqlite {
            sqlx::query("UPDATE outbox SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL")
                .execute(tx.conn())
                .await?;
            sqlx::query("DELETE FROM workers").execute(tx.conn()).await?;
        }
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into());
        sqlx::query("INSERT INTO workers (id, host, pid, started_at, heartbeat_at) VALUES ($1, $2, $3, $4, $4)")
            .bind(&self.inner.worker)
            .bind(host)
            .bind(i64::from(std::process::id()))
            .bind(now)
            .execute(tx.conn())
            .await?;
        tx.commit().await?;
        tracing::info!(worker = %self.inner.worker, backend = ?self.inner.backend, "engine process registered");
        Ok(())
    }

    /// This installation's id: made when the store was first opened and kept in it; every
    /// idempotency key a receiver sees starts with it (`<installation>:<key>`).
    pub fn installation_id(&self) -> &str {
        &self.inner.installation
    }

    /// This process's id among the processes sharing the store.
    pub fn worker_id(&self) -> &str {
        &self.inner.worker
    }

    /// The current time in the store's format.
    fn now_ms(&self) -> i64 {
        to_millis(self.inner.clock.now())
    }

    /// Starts the one write transaction; nothing else writes until it commits or drops.
    /// `BEGIN IMMEDIATE` takes SQLite's write lock at once, so a transaction never has to
    /// upgrade from reading to writing (which fails if another process wrote meanwhile).
    async fn begin(&self) -> Result<WriteTx<'_>, Error> {
        self.check_alive()?;
        let guard = self.inner.write.lock().await;
        let tx = self.inner.pool.begin_with(self.inner.backend.begin_statement()).await?;
        Ok(WriteTx { _guard: guard, tx })
    }

    /// Commits, unless the crash test hook says the process is dead by now.
    async fn commit(&self, tx: WriteTx<'_>) -> Result<(), Error> {
        self.durable_step()?;
        tx.commit().await
    }

    /// Counts a durable step against the crash test hook.
    fn durable_step(&self) -> Result<(), Error> {
        if let Some(left) = &self.inner.failpoint {
            if left.fetch_sub(1, std::sync::atomic::Ordering::SeqCst) <= 0 {
                return Err(Error::Crashed);
            }
        }
        Ok(())
    }

    fn check_alive(&self) -> Result<(), Error> {
        match &self.inner.failpoint {
            Some(left) if left.load(std::sync::atomic::Ordering::SeqCst) < 0 => Err(Error::Crashed),
            _ => Ok(()),
        }
    }
}

/// A process id that stays unique across restarts and machines: host, pid and a random part.
fn worker_id() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into());
    let mut random = [0u8; 4];
    let _ = getrandom::fill(&mut random);
    format!("{host}-{}-{}", std::process::id(), hex::encode(random))
}

/// A write transaction holding the writer lock.
struct WriteTx<'e> {
    _guard: tokio::sync::MutexGuard<'e, ()>,
    tx: sqlx::Transaction<'static, store::Db>,
}

impl WriteTx<'_> {
    fn conn(&mut self) -> &mut Conn {
        &mut self.tx
    }

    async fn commit(self) -> Result<(), Error> {
        self.tx.commit().await?;
        Ok(())
    }
}

/// A summary of one run, for listings and tests.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RunInfo {
    pub id: i64,
    pub workflow_id: String,
    pub version: i64,
    pub contact_id: i64,
    pub status: String,
    pub step: Option<String>,
    pub vars: serde_json::Value,
    pub last_error: Option<String>,
    pub waiting: Option<serde_json::Value>,
}

impl From<records::Run> for RunInfo {
    fn from(run: records::Run) -> RunInfo {
        RunInfo {
            waiting: if run.status == "waiting" { batch::describe_wait(&run) } else { None },
            id: run.id,
            workflow_id: run.workflow_id,
            version: run.version,
            contact_id: run.contact_id,
            status: run.status,
            step: run.step,
            vars: run.vars,
            last_error: run.last_error,
        }
    }
}

impl Engine {
    /// Handles one outside event in one transaction. A duplicate (same source and id as an
    /// event already accepted) changes nothing.
    pub async fn handle(&self, event: Event) -> Result<Handled, Error> {
        event.check_limits()?;
        self.retry_contention(|| self.handle_once(event.clone())).await
    }

    /// Runs a transaction again while it loses races with another process (PostgreSQL only;
    /// SQLite's single writer never races).
    async fn retry_contention<T, F, Fut>(&self, mut attempt: F) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, Error>>,
    {
        let mut tries = 0;
        loop {
            match attempt().await {
                Err(e) if e.is_contention() && tries < CONTENTION_ATTEMPTS => {
                    tries += 1;
                    self.inner.metrics.contention_retries.inc();
                    tracing::debug!(error = %e, tries, "lost a race with another process; trying again");
                }
                other => return other,
            }
        }
    }

    async fn handle_once(&self, event: Event) -> Result<Handled, Error> {
        let mut tx = self.begin().await?;
        let mut batch = batch::Batch::new(self.batch_env(), tx.conn());
        if let Some(id) = &event.id {
            let inserted = sqlx::query(
                "INSERT INTO inbox (source, event_id, received_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(&event.source)
            .bind(id)
            .bind(batch.now_ms)
            .execute(&mut *batch.conn)
            .await?
            .rows_affected();
            if inserted == 0 {
                return Ok(Handled { duplicate: true, ..Handled::default() });
            }
        }
        batch.apply_event(event.kind, &event.verified).await?;
        let concluded = batch.conclude().await?;
        self.commit_concluded(tx, concluded).await
    }

    /// Live updates: every change committed from now on.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<LiveEvent> {
        self.inner.live.subscribe()
    }

    /// Says that API tokens were revoked: every live stream re-checks its token now. (Each
    /// also re-checks every few seconds, which covers revocations in other processes.)
    pub fn tokens_revoked(&self) {
        self.inner.revocations.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Wakes when [`Engine::tokens_revoked`] is called.
    pub fn watch_revocations(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.revocations.subscribe()
    }

    /// Announces committed changes (nobody listening is fine).
    fn announce(&self, changes: Vec<LiveEvent>) {
        for change in changes {
            let _ = self.inner.live.send(change);
        }
    }

    /// Commits a concluded batch, then wakes the loops it queued work for and announces its
    /// changes.
    async fn commit_concluded(&self, tx: WriteTx<'_>, concluded: batch::Concluded) -> Result<Handled, Error> {
        self.commit(tx).await?;
        self.after_commit(concluded.wake_outbox, concluded.wake_timers);
        self.announce(concluded.changes);
        Ok(concluded.handled)
    }

    /// Wakes the timers loop and the schedules loop: a new or moved timer, a published
    /// schedule. Each keeps the wake-up until it next waits, so none is lost.
    fn wake_timer_loops(&self) {
        self.inner.timer_wake.notify_one();
        self.inner.schedule_wake.notify_one();
    }

    fn after_commit(&self, wake_outbox: bool, wake_timers: bool) {
        if wake_outbox {
            self.inner.outbox_wake.notify_one();
        }
        if wake_timers {
            self.wake_timer_loops();
        }
        if wake_outbox {
            self.notify_peers(Wake::Outbox);
        }
        if wake_timers {
            self.notify_peers(Wake::Timers);
        }
    }

    /// PostgreSQL: tells the other processes (LISTEN/NOTIFY) that work of this kind was
    /// committed, so an idle one picks it up at once instead of at its next poll.
    fn notify_peers(&self, what: Wake) {
        if self.inner.backend != Backend::Postgres {
            return;
        }
        let pool = self.inner.pool.clone();
        tokio::spawn(async move {
            if let Err(e) = sqlx::query("SELECT pg_notify($1, $2)::text")
                .bind(NOTIFY_CHANNEL)
                .bind(what.as_str())
                .fetch_one(&pool)
                .await
            {
                tracing::debug!(error = %e, "could not notify other processes (they poll)");
            }
        });
    }

    /// PostgreSQL: wakes this process's loops when another process commits work for them.
    /// If the listening connection drops, the loops still poll (every [`PEER_POLL`]).
    async fn listen_to_peers(&self) {
        loop {
            let listener = async {
                let mut listener = sqlx::postgres::PgListener::connect(self.inner.database_url.expose()).await?;
                listener.listen(NOTIFY_CHANNEL).await?;
                loop {
                    let note = listener.recv().await?;
                    match note.payload() {
                        "queue" => self.inner.queue_wake.notify_one(),
                        "outbox" => self.inner.outbox_wake.notify_one(),
                        "workflows" => {
                            if let Err(e) = self.inner.registry.refresh(&self.inner.pool).await {
                                tracing::warn!(error = %e, "reloading the live workflows failed");
                            }
                        }
                        "channels" => {
                            if let Err(e) = self.inner.connections.load(&self.inner.pool).await {
                                tracing::warn!(error = %e, "reloading the channel connections failed");
                            }
                        }
                        _ => self.wake_timer_loops(),
                    }
                }
                #[allow(unreachable_code)]
                Ok::<(), sqlx::Error>(())
            };
            if let Err(e) = listener.await {
                tracing::warn!(error = %e, "listening for other processes failed; polling meanwhile");
            }
            tokio::time::sleep(ERROR_BACKOFF).await;
        }
    }

    /// Fires every timer that is due now (up to `limit`) in one transaction. Returns how many
    /// runs it resumed.
    pub async fn fire_due_timers(&self, limit: i64) -> Result<usize, Error> {
        self.retry_contention(|| self.fire_due_timers_once(limit)).await
    }

    /// One pass of [`Engine::fire_due_timers`]. On PostgreSQL each due timer is claimed with
    /// `FOR UPDATE SKIP LOCKED` and deleted in the transaction that fires it, so a timer fires
    /// in exactly one process; one that died mid-way releases its claims when its
    /// transaction is rolled back.
    async fn fire_due_timers_once(&self, limit: i64) -> Result<usize, Error> {
        let mut tx = self.begin().await?;
        let mut batch = batch::Batch::new(self.batch_env(), tx.conn());
        let sql = format!(
            "SELECT run_id, token, due_at FROM timers WHERE due_at <= $1 ORDER BY due_at LIMIT $2{}",
            self.inner.backend.skip_locked()
        );
        let due: Vec<(i64, i64, i64)> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(batch.now_ms).bind(limit).fetch_all(&mut *batch.conn).await?;
        for (run_id, token, due_at) in &due {
            self.inner.metrics.timer_lateness_seconds.observe((batch.now_ms - due_at).max(0) as f64 / 1000.0);
            batch.work.push_back(batch::Work::Resume {
                run_id: *run_id,
                input: steps::machine::Input::TimerFired,
                expect: batch::Expect::Timer { token: *token },
            });
            // A stale timer (the run moved on) is simply dropped.
            batch.cache.clear_timer(*run_id);
        }
        let concluded = batch.conclude().await?;
        Ok(self.commit_concluded(tx, concluded).await?.resumed.len())
    }

    /// When the next timer is due, if any.
    pub async fn next_timer_due(&self) -> Result<Option<chrono::DateTime<chrono::Utc>>, Error> {
        let due: Option<i64> = sqlx::query_scalar("SELECT MIN(due_at) FROM timers").fetch_one(&self.inner.pool).await?;
        Ok(due.map(crate::clock::from_millis))
    }

    /// Compiles and publishes a workflow: a new immutable version that new runs start on.
    /// Runs already under way finish on the version they started on.
    pub async fn publish(&self, source: &str) -> Result<(String, i64), Error> {
        let (id, version, _) = self.publish_new(source, false).await?;
        Ok((id, version))
    }

    /// Publishes `source` as a new version; with `keep_unchanged`, a source that is exactly
    /// the current version's publishes nothing and returns that version with `false` (and a
    /// stopped workflow is started again on it, since publishing means "make this live").
    /// The comparison is made under the publishing lock, so two people publishing the same
    /// unchanged draft at once do not make two versions either.
    async fn publish_new(&self, source: &str, keep_unchanged: bool) -> Result<(String, i64, bool), Error> {
        let compiled = self.compile(source).await;
        let Some(wf) = compiled.workflow else {
            return Err(Error::Invalid(compiled.diagnostics));
        };
        let mut tx = self.begin().await?;
        let now = self.now_ms();
        let conn = tx.conn();
        if self.inner.backend == Backend::Postgres {
            // Processes publishing the same workflow at once (several starting with one
            // `workflows/` folder) take turns, so versions are numbered without gaps or clashes.
            sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))::text")
                .bind(WORKFLOW_LOCKS)
                .bind(&wf.id)
                .fetch_one(&mut *conn)
                .await?;
        }
        let current: Option<(Option<i64>, String)> =
            sqlx::query_as("SELECT current_version, status FROM workflows WHERE id = $1")
                .bind(&wf.id)
                .fetch_optional(&mut *conn)
                .await?;
        let (current, status) = current.unzip();
        let current = current.flatten();
        if let (true, Some(live)) = (keep_unchanged, current) {
            let stored: Option<String> =
                sqlx::query_scalar("SELECT source FROM workflow_versions WHERE workflow_id = $1 AND version = $2")
                    .bind(&wf.id)
                    .bind(live)
                    .fetch_optional(&mut *conn)
                    .await?;
            if stored.as_deref() == Some(source) {
                drop(tx);
                if status.as_deref() != Some("published") {
                    self.start(&wf.id).await?;
                }
                return Ok((wf.id.clone(), live, false));
            }
        }
        let version = current.unwrap_or(0) + 1;
        sqlx::query(
            "INSERT INTO workflows (id, name, status, draft, current_version, trigger_type, updated_at)
             VALUES ($1, $2, 'published', $3, $4, $5, $6)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, status = 'published', draft = excluded.draft,
                draft_revision = CASE WHEN workflows.draft = excluded.draft THEN workflows.draft_revision
                                      ELSE workflows.draft_revision + 1 END,
                current_version = excluded.current_version, trigger_type = excluded.trigger_type,
                updated_at = excluded.updated_at",
        )
        .bind(&wf.id)
        .bind(&wf.name)
        .bind(source)
        .bind(version)
        .bind(wf.trigger.kind.name())
        .bind(now)
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "INSERT INTO workflow_versions (workflow_id, version, source, published_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&wf.id)
        .bind(version)
        .bind(source)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        // Keep the draft history in step (a publish of new text is also a save of the draft).
        sqlx::query(
            "INSERT INTO workflow_drafts (workflow_id, revision, source, saved_at, saved_by)
             SELECT id, draft_revision, draft, $1, 'publish' FROM workflows WHERE id = $2 ON CONFLICT DO NOTHING",
        )
        .bind(now)
        .bind(&wf.id)
        .execute(&mut *conn)
        .await?;
        schedule::on_publish(conn, &wf, self.inner.timezone, self.inner.clock.now()).await?;
        self.commit(tx).await?;
        self.inner.registry.set_live(&wf.id, version, wf.clone());
        self.notify_peers(Wake::Workflows);
        tracing::info!(workflow = %wf.id, version, "published");
        Ok((wf.id.clone(), version, true))
    }

    /// Publishes `source` unless it is exactly the current version already (so starting the
    /// server with the same `workflows/` folder does not pile up versions). Returns the id,
    /// the live version and whether a new one was published.
    pub async fn publish_if_changed(&self, source: &str) -> Result<(String, i64, bool), Error> {
        let compiled = self.compile(source).await;
        let Some(wf) = compiled.workflow else {
            return Err(Error::Invalid(compiled.diagnostics));
        };
        let current: Option<(i64, String, String)> = sqlx::query_as(
            "SELECT v.version, v.source, w.status FROM workflows w
             JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.current_version WHERE w.id = $1",
        )
        .bind(&wf.id)
        .fetch_optional(&self.inner.pool)
        .await?;
        if let Some((version, stored, _)) =
            current.filter(|(_, stored, status)| stored == source && status == "published")
        {
            let _ = stored;
            return Ok((wf.id.clone(), version, false));
        }
        let (id, version) = self.publish(source).await?;
        Ok((id, version, true))
    }

    /// Stops a workflow: no new runs start. Runs under way finish unless `eject` is set, in
    /// which case they are cancelled.
    pub async fn stop(&self, workflow: &str, eject: bool) -> Result<usize, Error> {
        let mut tx = self.begin().await?;
        let mut batch = batch::Batch::new(self.batch_env(), tx.conn());
        let changed = sqlx::query("UPDATE workflows SET status = 'stopped', updated_at = $1 WHERE id = $2")
            .bind(batch.now_ms)
            .bind(workflow)
            .execute(&mut *batch.conn)
            .await?
            .rows_affected();
        if changed == 0 {
            return Err(Error::NotFound(format!("workflow {workflow}")));
        }
        // Nothing new starts from here on, queued triggers included.
        sqlx::query("DELETE FROM queued_triggers WHERE workflow_id = $1")
            .bind(workflow)
            .execute(&mut *batch.conn)
            .await?;
        let mut ejected = 0;
        if eject {
            let ids: Vec<i64> =
                sqlx::query_scalar("SELECT id FROM runs WHERE workflow_id = $1 AND status IN ('running', 'waiting')")
                    .bind(workflow)
                    .fetch_all(&mut *batch.conn)
                    .await?;
            for id in ids {
                let mut run = batch.cache.run(batch.conn, id).await?;
                batch.end(&mut run, "cancelled", Some("the workflow was stopped".into())).await?;
                ejected += 1;
            }
        }
        sqlx::query("DELETE FROM schedules WHERE workflow_id = $1").bind(workflow).execute(&mut *batch.conn).await?;
        batch.finish().await?;
        self.commit(tx).await?;
        self.inner.registry.remove_live(workflow);
        self.notify_peers(Wake::Workflows);
        Ok(ejected)
    }

    /// Cancels runs that are under way: one by id, or many by workflow, version and status.
    /// Returns how many were cancelled.
    pub async fn cancel(&self, filter: CancelFilter) -> Result<usize, Error> {
        let mut tx = self.begin().await?;
        let mut batch = batch::Batch::new(self.batch_env(), tx.conn());
        let ids: Vec<i64> = match &filter {
            CancelFilter::Run(id) => vec![*id],
            CancelFilter::Workflow { workflow, version, status } => {
                // The database must be current before it is asked by predicate.
                batch.cache.flush(batch.conn, batch.now_ms).await?;
                sqlx::query_scalar(
                    "SELECT id FROM runs WHERE workflow_id = $1 AND ($2 IS NULL OR version = $3) AND ($4 IS NULL OR status = $5)
                       AND status IN ('running', 'waiting')",
                )
                .bind(workflow)
                .bind(version)
                .bind(version)
                .bind(status)
                .bind(status)
                .fetch_all(&mut *batch.conn)
                .await?
            }
        };
        let mut cancelled = 0;
        for id in ids {
            let mut run = batch.cache.run(batch.conn, id).await?;
            if matches!(run.status.as_str(), "running" | "waiting") {
                batch.end(&mut run, "cancelled", Some("cancelled by an operator".into())).await?;
                cancelled += 1;
            }
        }
        batch.finish().await?;
        self.commit(tx).await?;
        Ok(cancelled)
    }

    /// Retries a failed run on an operator's say-so (`by`: who): it re-enters the step it
    /// failed in (a new visit) with its variables as they were, and the journal says so
    /// (`retry`: the step, the error it failed with, who retried, the attempt number and the
    /// keys carried over).
    ///
    /// The policy for effects: the effects of the failed step's entry transition (the message
    /// or HTTP call whose failure, or unknown outcome, failed the run) are performed again
    /// under their original idempotency keys, index by index, so a receiver that deduplicates
    /// sees one effect, never the same one under two keys. Their finished outbox rows give
    /// the keys up (the journal keeps the history; the transcript keeps the old message line,
    /// without its key). A run whose effect is still being performed cannot be retried yet.
    pub async fn retry(&self, run_id: i64, by: &str) -> Result<RunInfo, Error> {
        let mut tx = self.begin().await?;
        let mut batch = batch::Batch::new(self.batch_env(), tx.conn());
        let mut run = batch.cache.run(batch.conn, run_id).await?;
        if run.status != "failed" {
            return Err(Error::Refused(format!(
                "run {run_id} is {}, not failed; only failed runs can be retried",
                run.status
            )));
        }
        let Some(step) = run.step.clone() else {
            return Err(Error::Refused(format!("run {run_id} failed before its first step")));
        };
        let reused = self.retried_keys(&mut batch, &run, &step).await?;
        let earlier: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM run_journal WHERE run_id = $1 AND kind = 'retry'")
            .bind(run_id)
            .fetch_one(&mut *batch.conn)
            .await?;
        let reason = run.last_error.take();
        run.status = "running".into();
        run.ended_at = None;
        run.state = serde_json::Value::Null;
        let keys: Vec<&String> = reused.values().collect();
        let entry = serde_json::json!({
            "step": step, "after": reason, "by": by, "attempt": earlier + 2, "reused_keys": keys,
        });
        batch.cache.journal(&mut run, batch.now_ms, "retry", &entry);
        batch::enter(&mut run, &step);
        batch.reuse_keys = reused.into_iter().map(|(index, key)| ((run_id, index), key)).collect();
        batch.cache.put_run(run);
        batch.work.push_back(batch::Work::Start { run_id });
        let concluded = batch.conclude().await?;
        self.commit_concluded(tx, concluded).await?;
        tracing::info!(run = run_id, %step, %by, "failed run retried");
        self.run(run_id).await
    }

    /// The keys of the effects the failed visit of `step` began with, by effect index, freed
    /// for the retry to carry over (see [`Engine::retry`]).
    async fn retried_keys(
        &self,
        batch: &mut batch::Batch<'_>,
        run: &records::Run,
        step: &str,
    ) -> Result<std::collections::BTreeMap<usize, String>, Error> {
        // Keys are `run:step:visit:seq:index` (batch/effects/mod.rs); the entry transition has the lowest seq.
        let prefix = format!("{}:{}:{}:", run.id, step, run.visit);
        let rows: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT idempotency_key, status FROM outbox WHERE run_id = $1
             UNION ALL SELECT idempotency_key, NULL FROM messages WHERE run_id = $1 AND idempotency_key IS NOT NULL",
        )
        .bind(run.id)
        .fetch_all(&mut *batch.conn)
        .await?;
        let mut found: Vec<(i64, usize, String, Option<String>)> = rows
            .into_iter()
            .filter_map(|(key, status)| {
                let (seq, index) = key.strip_prefix(&prefix)?.split_once(':')?;
                Some((seq.parse().ok()?, index.parse().ok()?, key, status))
            })
            .collect();
        let Some(first) = found.iter().map(|f| f.0).min() else { return Ok(Default::default()) };
        found.retain(|f| f.0 == first);
        if let Some((.., key, _)) = found.iter().find(|f| f.3.as_deref() == Some("pending")) {
            return Err(Error::Refused(format!(
                "run {}'s effect {key} is still being performed; retry the run once it is done",
                run.id
            )));
        }
        let mut keys = std::collections::BTreeMap::new();
        for (_, index, key, _) in found {
            if keys.contains_key(&index) {
                continue;
            }
            sqlx::query("DELETE FROM outbox WHERE idempotency_key = $1").bind(&key).execute(&mut *batch.conn).await?;
            sqlx::query("UPDATE messages SET idempotency_key = NULL WHERE idempotency_key = $1")
                .bind(&key)
                .execute(&mut *batch.conn)
                .await?;
            keys.insert(index, key);
        }
        Ok(keys)
    }

    /// A run with "why is it waiting".
    pub async fn run(&self, id: i64) -> Result<RunInfo, Error> {
        let mut conn = self.inner.pool.acquire().await?;
        Ok(records::load_run(&mut conn, id).await?.into())
    }

    /// Every run of a contact, newest first.
    pub async fn runs_of_contact(&self, contact_id: i64) -> Result<Vec<RunInfo>, Error> {
        let mut conn = self.inner.pool.acquire().await?;
        let runs = records::load_runs_where(&mut conn, "contact_id = $1 ORDER BY id DESC", contact_id).await?;
        Ok(runs.into_iter().map(RunInfo::from).collect())
    }

    /// A run's journal.
    pub async fn journal(&self, run_id: i64) -> Result<Vec<records::JournalEntry>, Error> {
        let mut conn = self.inner.pool.acquire().await?;
        records::load_journal(&mut conn, run_id).await.map_err(Error::from)
    }

    /// Runs the engine's background work until `shutdown` resolves: the event queue, the
    /// outbox, the timer scheduler (sleeps until the next due timer or until a new one is
    /// set, fires them in batches), cron schedules, leases and, on PostgreSQL, the listener
    /// for other processes. Each loop is its own supervised task (`supervise.rs`): one that
    /// panics or fails is logged and started again with backoff while the others run on.
    pub async fn run_background(&self, shutdown: impl std::future::Future<Output = ()>) {
        let timers = self.supervise(Loop::Timers, |pulse| {
            let engine = self.clone();
            async move {
                loop {
                    pulse.beat();
                    if let Err(e) = engine.fire_due_timers(TIMER_BATCH).await {
                        tracing::error!(error = %e, "firing timers failed");
                        pulse.idle(tokio::time::sleep(ERROR_BACKOFF)).await;
                        continue;
                    }
                    let next = engine.next_timer_due().await.ok().flatten();
                    pulse.idle(engine.sleep_until(next, &engine.inner.timer_wake)).await;
                }
            }
        });
        // The outbox pool claims, performs and records on its own (see `outbox_pool.rs`).
        let outbox = self.supervise(Loop::Outbox, |pulse| {
            let engine = self.clone();
            async move {
                engine.run_outbox_pool(engine.inner.pool_limits, pulse).await;
                Ok(())
            }
        });
        let queue = self.supervise(Loop::Queue, |pulse| {
            let engine = self.clone();
            async move {
                loop {
                    pulse.beat();
                    let batch = match engine.inner.backend {
                        Backend::Sqlite => QUEUE_BATCH,
                        Backend::Postgres => QUEUE_BATCH_POSTGRES,
                    };
                    match engine.process_queue(batch).await {
                        Ok(n) if n > 0 => continue,
                        Ok(_) => {}
                        Err(e) => {
                            tracing::error!(error = %e, "processing events failed");
                            pulse.idle(tokio::time::sleep(ERROR_BACKOFF)).await;
                            continue;
                        }
                    }
                    // Another process (or a crashed one's leftovers) may have queued events
                    // without waking us, so idle polling is short.
                    let wake = engine.inner.queue_wake.notified();
                    let _ = pulse.idle(tokio::time::timeout(Duration::from_millis(100), wake)).await;
                }
            }
        });
        // Schedules walk many contacts; on their own task they never hold up timers.
        let schedules = self.supervise(Loop::Schedules, |pulse| {
            let engine = self.clone();
            async move {
                loop {
                    pulse.beat();
                    if let Err(e) = engine.fire_due_schedules().await {
                        tracing::error!(error = %e, "firing schedules failed");
                        pulse.idle(tokio::time::sleep(ERROR_BACKOFF)).await;
                        continue;
                    }
                    let next = engine.next_schedule_due().await.ok().flatten();
                    pulse.idle(engine.sleep_until(next, &engine.inner.schedule_wake)).await;
                }
            }
        });
        let leases = self.supervise(Loop::Leases, |pulse| {
            let engine = self.clone();
            async move {
                let mut pruned_at: Option<std::time::Instant> = None;
                loop {
                    pulse.beat();
                    if let Err(e) = engine.renew_and_reap_leases().await {
                        tracing::error!(error = %e, "renewing leases failed");
                    }
                    // Old event ids are forgotten about once an hour (queue::DEDUP_RETENTION).
                    if pruned_at.is_none_or(|at| at.elapsed() > Duration::from_secs(3600)) {
                        pruned_at = Some(std::time::Instant::now());
                        match engine.prune_dedup().await {
                            Ok(n) if n > 0 => tracing::info!(forgotten = n, "old event ids pruned"),
                            Ok(_) => {}
                            Err(e) => tracing::warn!(error = %e, "pruning old event ids failed"),
                        }
                    }
                    // A missed notification costs at most this long: the live workflows are
                    // read again (a cheap query; nothing is compiled twice).
                    if engine.inner.backend == Backend::Postgres {
                        if let Err(e) = engine.inner.registry.refresh(&engine.inner.pool).await {
                            tracing::warn!(error = %e, "reloading the live workflows failed");
                        }
                        // Likewise the channel connections (a rotated secret, a removal).
                        if let Err(e) = engine.inner.connections.load(&engine.inner.pool).await {
                            tracing::warn!(error = %e, "reloading the channel connections failed");
                        }
                    }
                    pulse.idle(tokio::time::sleep(Duration::from_millis(outbox::LEASE_MS as u64 / 4))).await;
                }
            }
        });
        let peers = self.supervise(Loop::Peers, |pulse| {
            let engine = self.clone();
            async move {
                // Waiting for notifications is the loop's idle state.
                if engine.inner.backend == Backend::Postgres {
                    pulse.idle(engine.listen_to_peers()).await;
                } else {
                    pulse.idle(std::future::pending::<()>()).await;
                }
                Ok(())
            }
        });
        tokio::select! {
            _ = leases => {}
            _ = peers => {}
            _ = timers => {}
            _ = schedules => {}
            _ = outbox => {}
            _ = queue => {}
            _ = shutdown => {}
        }
    }
}

impl Engine {
    /// Sleeps until `due` (at most a minute, so a clock change or a missed wake-up costs
    /// little) or until `wake` is notified, whichever comes first.
    async fn sleep_until(&self, due: Option<chrono::DateTime<chrono::Utc>>, wake: &Notify) {
        let limit = match self.inner.backend {
            Backend::Sqlite => Duration::from_secs(60),
            // Another process may have set an earlier timer; notifications say so, polling
            // covers a missed one.
            Backend::Postgres => PEER_POLL,
        };
        let wait =
            due.map(|d| (d - self.inner.clock.now()).to_std().unwrap_or(Duration::ZERO).min(limit)).unwrap_or(limit);
        if wait > Duration::ZERO {
            let _ = tokio::time::timeout(wait, wake.notified()).await;
        }
    }
}

/// Which runs to cancel.
#[derive(Debug, Clone, PartialEq)]
pub enum CancelFilter {
    Run(i64),
    /// Every run under way of a workflow; optionally only of one version, and only those
    /// `waiting` (or `running`).
    Workflow {
        workflow: String,
        version: Option<i64>,
        status: Option<String>,
    },
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A new timer (or a published schedule) must wake both the timers loop and the
    /// schedules loop. With one shared `Notify`, `notify_one` reached only one of them and a
    /// 3 s timeout fired after the other's minute-long poll (issue 16).
    #[tokio::test]
    async fn a_timer_wake_up_reaches_the_timers_and_the_schedules_loop() {
        let clock = crate::clock::ManualClock::at(chrono::Utc::now());
        let engine = Engine::open(Options::default(), Arc::new(clock)).await.unwrap();
        // Both loops are waiting, as they are between due times.
        let timers = engine.inner.timer_wake.notified();
        let schedules = engine.inner.schedule_wake.notified();
        tokio::pin!(timers, schedules);
        timers.as_mut().enable();
        schedules.as_mut().enable();
        engine.after_commit(false, true);
        let both = async {
            timers.await;
            schedules.await;
        };
        // Bounded, not a synchronisation sleep: both wake-ups are already stored.
        tokio::time::timeout(Duration::from_secs(5), both).await.expect("both loops were woken");
    }
}
