//! How long history is kept, and the background pruning that deletes it afterwards
//! ([`Engine::prune_history`]): finished outbox rows, ended runs with their journals,
//! transcript lines, the senders' event ids (deduplication) and the API's idempotency keys.
//! What is still in use is never touched: pending effects, running and waiting runs, messages
//! not yet settled. Each page of deletions is its own short transaction, so the queue, the
//! outbox and the timers write between pages: pruning a large backlog never pauses the engine.

use crate::{Engine, Error, KEY_RETENTION};
use std::time::Duration;

/// How long each kind of history is kept after it is finished (`None`: forever). The defaults
/// are [`Retention::default`]; `switchboard serve` reads them from `retention:` in the config
/// file, `--retain-*` flags or `SWITCHBOARD_RETAIN_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Outbox rows performed (`done`) or given up (`dead`), after they finished.
    pub outbox: Option<Duration>,
    /// Ended runs (completed, failed, cancelled, exited) and their journals, after they ended.
    /// The canvas's figures and the runs list cover what is kept.
    pub runs: Option<Duration>,
    /// Transcript lines (`messages`), after they were written.
    pub messages: Option<Duration>,
}

/// The outbox's finished rows: a week, long enough to look into a delivery complaint.
pub const DEFAULT_OUTBOX_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);
/// Ended runs and journals: 30 days of analytics and run history.
pub const DEFAULT_RUNS_RETENTION: Duration = Duration::from_secs(30 * 24 * 3600);
/// Transcripts: a year.
pub const DEFAULT_MESSAGES_RETENTION: Duration = Duration::from_secs(365 * 24 * 3600);
/// Delivery statuses parked for a message never recorded: a week.
pub const PARKED_STATUS_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);
/// How long a sender's event id is remembered, so that a redelivery within it is recognised
/// as a duplicate. Channels redeliver for hours to days (Meta retries webhooks for up to 7
/// days); a week keeps every such retry out while the table stays bounded.
pub const DEDUP_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

/// Rows deleted per transaction (runs: per page of runs, with their journals).
const PAGE: i64 = 1_000;
const RUNS_PAGE: i64 = 200;

impl Default for Retention {
    fn default() -> Self {
        Retention {
            outbox: Some(DEFAULT_OUTBOX_RETENTION),
            runs: Some(DEFAULT_RUNS_RETENTION),
            messages: Some(DEFAULT_MESSAGES_RETENTION),
        }
    }
}

impl Retention {
    /// How often the pruning looks for history past its retention: once a minute, or more
    /// often when a retention is short (a tenth of the shortest, at least once a second), so
    /// what is kept never exceeds its retention by more than a tenth.
    pub fn interval(&self) -> Duration {
        [self.outbox, self.runs, self.messages]
            .into_iter()
            .flatten()
            .map(|keep| keep / 10)
            .fold(Duration::from_secs(60), Duration::min)
            .max(Duration::from_secs(1))
    }
}

/// Reads a retention as written in settings: a duration (`7d`, `12h`, `90min`; at least one
/// second) or `forever`.
pub fn parse_retention(text: &str) -> Result<Option<Duration>, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("forever") {
        return Ok(None);
    }
    let duration = humantime::parse_duration(text)
        .map_err(|e| format!("`{text}` is not a duration (e.g. `30d`, `12h`) or `forever`: {e}"))?;
    if duration < Duration::from_secs(1) {
        return Err(format!("`{text}`: a retention is at least one second (or `forever`)"));
    }
    Ok(Some(duration))
}

/// What one pass of [`Engine::prune_history`] deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub outbox: u64,
    pub runs: u64,
    pub journal: u64,
    pub messages: u64,
    pub event_ids: u64,
    pub idempotency_keys: u64,
    pub parked_statuses: u64,
}

impl Pruned {
    pub fn total(&self) -> u64 {
        self.outbox
            + self.runs
            + self.journal
            + self.messages
            + self.event_ids
            + self.idempotency_keys
            + self.parked_statuses
    }
}

impl Pruned {
    /// The count of rows of `kind`'s own table.
    fn count_of(&mut self, kind: Kind) -> &mut u64 {
        match kind {
            Kind::Outbox => &mut self.outbox,
            Kind::Runs => &mut self.runs,
            Kind::Messages => &mut self.messages,
            Kind::EventIds => &mut self.event_ids,
            Kind::IdempotencyKeys => &mut self.idempotency_keys,
            Kind::ParkedStatuses => &mut self.parked_statuses,
        }
    }
}

/// One kind of history and its page deletion.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Outbox,
    Runs,
    Messages,
    EventIds,
    IdempotencyKeys,
    ParkedStatuses,
}

impl Engine {
    /// Deletes the history past its retention, a page per transaction, and returns what it
    /// deleted. `progress` is called after each page (the background loop reports liveness
    /// there). Safe on several processes at once: each page deletes what is still there.
    pub async fn prune_history(&self, mut progress: impl FnMut()) -> Result<Pruned, Error> {
        let retention = self.inner.retention;
        let mut pruned = Pruned::default();
        let now = self.now_ms();
        let cutoff = |keep: Option<Duration>| keep.map(|d| now - i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let plan = [
            (Kind::Outbox, cutoff(retention.outbox)),
            (Kind::Runs, cutoff(retention.runs)),
            (Kind::Messages, cutoff(retention.messages)),
            (Kind::EventIds, cutoff(Some(DEDUP_RETENTION))),
            (Kind::IdempotencyKeys, cutoff(Some(KEY_RETENTION))),
            (Kind::ParkedStatuses, cutoff(Some(PARKED_STATUS_RETENTION))),
        ];
        for (kind, cutoff) in plan {
            let Some(cutoff) = cutoff else { continue };
            loop {
                let mut tx = self.begin().await?;
                let c = tx.conn();
                // Rows of the kind's own table (runs: the runs; their journals go with them).
                let n = match kind {
                    Kind::Outbox => store::retention::outbox_finished(c, cutoff, PAGE).await?,
                    Kind::Runs => {
                        let runs = store::retention::runs_ended(c, self.inner.backend, cutoff, RUNS_PAGE).await?;
                        pruned.journal += runs.journal;
                        runs.runs
                    }
                    Kind::Messages => store::retention::messages(c, cutoff, PAGE).await?,
                    Kind::EventIds => store::inbox::prune(c, cutoff, PAGE).await?,
                    Kind::IdempotencyKeys => store::retention::idempotency_keys(c, cutoff, PAGE).await?,
                    Kind::ParkedStatuses => store::retention::parked_statuses(c, cutoff, PAGE).await?,
                };
                *pruned.count_of(kind) += n;
                let page = if matches!(kind, Kind::Runs) { RUNS_PAGE } else { PAGE };
                let (deleted, full) = (n, n >= page as u64);
                if deleted > 0 {
                    self.commit(tx).await?;
                } else {
                    drop(tx);
                }
                progress();
                if !full {
                    break;
                }
                // The queue, outbox and timers take the writer between pages.
                tokio::task::yield_now().await;
            }
        }
        Ok(pruned)
    }
}
