//! The durable interpreter. Events come in (a contact's message, a conversation closing, a
//! shortcut, a due timer, an effect's outcome); each is handled in one database transaction
//! that records the event, starts or resumes runs, lets their steps decide, journals every
//! decision, applies the effects that live in our own database (tags, fields, assignment)
//! and queues the outbound ones (messages, HTTP calls) in the outbox with an idempotency key.
//! Nothing is in memory between events: a waiting run is a row, a timer is a row.
//!
//! [`Engine`] is the handle (this file: the struct, [`Engine::open`] and its accessors); its
//! methods live in the file of what they do. Every file of the crate:
//!
//! - `error.rs` — [`Error`], the engine's one error type.
//! - `options.rs` — [`Options`]: how the engine is set up (opt-out words, reply-to-closed).
//! - `transaction.rs` — the write transaction, the crash hook, contention retries, and what
//!   follows a commit (waking loops, announcing changes).
//! - `peers.rs` — this process among those sharing the store: registration, LISTEN/NOTIFY.
//! - `loops.rs` — the background loops ([`Engine::run_background`]) and their batch sizes.
//! - `supervise.rs` — the loops' supervision: restarts with backoff, liveness, chaos plan.
//! - `health.rs` — readiness: loops' liveness and the backlog against thresholds.
//! - `metrics.rs` — the Prometheus metrics.
//! - `timers.rs` — firing due timers; sleeping until the next.
//! - `schedule.rs` — cron schedules, fired a page of contacts per transaction.
//! - `intake.rs` — accepting events durably; concurrent requests share one commit.
//! - `queue.rs` — the event queue: processing in batches (group commit), blame, dead-lettering.
//! - `dead_letters.rs` — events that could not be processed: list, retry, discard.
//! - `events.rs` — the events the engine handles, their limits, and how they apply.
//! - `batch/` — one write transaction: events and effects applied, runs moved until they
//!   wait or end, the workflows a happening starts (see its `mod.rs`).
//! - `assign.rs` — picking an agent (round-robin, fewest open, online only, caps).
//! - `channel_rules.rs` — the rules before a channel send (24-hour window, LINE friends and
//!   quota, opt-out) and the channel connections' changes.
//! - `outbox.rs` — performing messages and HTTP calls, then recording their outcomes.
//! - `outbox_pool.rs` — how many effects are performed at once, per destination.
//! - `http_call/` — the HTTP step's client, with its private-address guard (`guard.rs`).
//! - `webhook_signature.rs` — the signature of a signed inbound webhook.
//! - `publish.rs` — publishing a workflow as a new version.
//! - `workflows.rs` — drafts, versions, diffs, rollback, starting a stopped workflow.
//! - `registry.rs` — compiled workflow versions, shared; the live set.
//! - `compiler.rs` — compiling off the async threads, with a bounded number at once.
//! - `run_control.rs` — stop, cancel and retry runs.
//! - `runs.rs` — [`RunInfo`], a contact's runs, a run's journal; handling one event.
//! - `replay.rs` — a run's state rebuilt from its journal.
//! - `listing.rs` — keyset pages; the runs and API tokens lists.
//! - `inbox.rs` — the inbox's reads: contacts, transcripts, conversations, assignment queue.
//! - `people.rs` — agents and their teams.
//! - `live.rs` — live updates and token revocations.
//! - `analytics.rs` — per-step figures of a version and a run's path, for the canvas.
//! - `testchat.rs` — the editor's test chat: sandboxed sessions against a draft snapshot.
//! - `idempotency.rs` — the API's idempotency keys.
//! - `tokens.rs` — API tokens: roles, configured tokens, who may hold which.
//! - `connections.rs` — the channel connections, stored and sealed.
//! - `keyring.rs` — the secret key and values sealed at rest; `secrets.rs` — named secrets.
//! - `clock.rs` — injected time.
//! - `transport.rs` — where effects go ([`transport::Transport`]), and the fault and sabotage
//!   test hooks the deterministic simulator (`engine/sim`) drives.
//!
//! Rows, every SQL statement and the unit of work are the store's (`switchboard-store`); the
//! channel adapters are `switchboard-channels`'.

mod analytics;
mod assign;
mod batch;
mod channel_rules;
pub mod clock;
mod compiler;
pub mod connections;
mod dead_letters;
mod error;
mod events;
mod health;
pub mod http_call;
mod idempotency;
mod inbox;
mod intake;
pub mod keyring;
mod listing;
mod live;
mod loops;
mod metrics;
mod options;
mod outbox;
mod outbox_pool;
mod peers;
mod people;
mod publish;
mod queue;
mod registry;
mod replay;
mod retention;
mod run_control;
mod runs;
mod schedule;
mod secrets;
mod supervise;
mod testchat;
mod timers;
pub mod tokens;
mod transaction;
pub mod transport;
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
pub use intake::Accepted;
pub use listing::{Page, RunFilter, RunRow, RunStatus, TokenRow, MAX_PAGE};
pub use outbox::{Channel, DeliveryError, SentMessage};
pub use outbox_pool::PoolLimits;
pub use people::{AgentSpec, AssignmentWarning};
pub use queue::MAX_ATTEMPTS as MAX_EVENT_ATTEMPTS;
pub use replay::Rebuilt;
pub use retention::{parse_retention, Pruned, Retention, DEDUP_RETENTION};
pub use secrets::SecretInfo;
pub use supervise::{chaos_plan, Loop, LoopHealth, LoopState, CHAOS_ENV};
pub use testchat::{TestClock, TestStarted, TestTrigger};
pub use workflows::{diff, DraftBase, DraftSaved, Published, VersionInfo, WorkflowDetail, WorkflowSummary};

pub use error::Error;
pub use loops::{OUTBOX_BATCH, QUEUE_BATCH, QUEUE_BATCH_POSTGRES, TIMER_BATCH};
pub use options::{OptOutKeywords, Options, ReplyToClosed};
pub use run_control::CancelFilter;
pub use runs::RunInfo;
pub use store::LiveEvent;

use crate::clock::{to_millis, Clock};
use crate::http_call::HttpCaller;
use chrono_tz::Tz;
use loops::ERROR_BACKOFF;
use peers::{worker_id, Wake, PEER_POLL};
use registry::Registry;
use std::sync::Arc;
use store::{Backend, Pool};
use tokio::sync::{Mutex, Notify};
use transaction::WriteTx;

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
    /// The lanes the outbox's wake-ups are about (`OutboxLanes`' bits), taken by the pool.
    outbox_lanes: std::sync::atomic::AtomicU8,
    timer_wake: Notify,
    /// The schedules loop's own wake-up. One `Notify` shared by two loops hands a
    /// `notify_one` to whichever waits first, and the other would sleep on until its poll
    /// (a minute on SQLite); so each loop has its own and [`Engine::wake_timer_loops`] wakes both.
    schedule_wake: Notify,
    queue_wake: Notify,
    /// Requests' events waiting to be accepted together (`intake.rs`).
    intake: intake::Intake,
    /// Test hook: the number of durable steps (commits, outbound calls) left before the
    /// engine behaves as if the process died. `None` in production.
    failpoint: Option<std::sync::atomic::AtomicI64>,
    /// Test hook: each durable step's fate (`transport.rs`); `None` in production.
    faults: Option<Arc<dyn transport::Faults>>,
    /// Set when a test hook killed this process: every later step fails.
    dead: std::sync::atomic::AtomicBool,
    /// Test-only: a promise broken on purpose; `None` in production.
    sabotage: Option<transport::Sabotage>,
    /// `Options::process_on_accept`.
    process_on_accept: Option<bool>,
    /// Whether this engine's background loops run (`Engine::run_background`).
    background: std::sync::atomic::AtomicBool,
    /// Where effects go: the network, or the simulator's world.
    transport: Arc<dyn transport::Transport>,
    /// How many effects the outbox pool performs at once.
    pool_limits: PoolLimits,
    retention: Retention,
    /// This installation's id (kept in the store), the prefix of every idempotency key sent.
    installation: String,
    /// The connected channel accounts (WhatsApp, LINE, Telegram).
    connections: Arc<crate::connections::Connections>,
    opt_out: OptOutKeywords,
    live: tokio::sync::broadcast::Sender<LiveEvent>,
    /// Changes of the queue transaction in progress (see `queue.rs`).
    pending_live: std::sync::Mutex<Vec<LiveEvent>>,
    /// Counts API token revocations made in this process, so live streams re-check their
    /// token at once instead of at their next periodic check.
    revocations: tokio::sync::watch::Sender<u64>,
    /// Tokens whose `last_used_at` is being written (off the request path, one at a time).
    touching: std::sync::Mutex<std::collections::HashSet<i64>>,
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
                outbox_lanes: std::sync::atomic::AtomicU8::new(0),
                timer_wake: Notify::new(),
                schedule_wake: Notify::new(),
                queue_wake: Notify::new(),
                intake: intake::Intake::default(),
                failpoint: options.crash_after.map(std::sync::atomic::AtomicI64::new),
                faults: options.faults,
                dead: std::sync::atomic::AtomicBool::new(false),
                sabotage: options.sabotage,
                process_on_accept: options.process_on_accept,
                background: std::sync::atomic::AtomicBool::new(false),
                transport: match options.transport {
                    Some(transport) => transport,
                    None => Arc::new(outbox::Network {
                        channel: Channel::new(options.webhook_url, connections.clone())
                            .with_timeout(options.channel_timeout),
                        http: HttpCaller::new(policy),
                    }),
                },
                pool_limits: options.outbox_pool,
                retention: options.retention,
                installation,
                connections,
                opt_out: options.opt_out,
                live: tokio::sync::broadcast::channel(4096).0,
                revocations: tokio::sync::watch::channel(0).0,
                touching: Default::default(),
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
}
