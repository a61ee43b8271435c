//! Performing outbound effects. The outbox holds every message and HTTP call a run decided
//! on, written in the same transaction as the decision; this module performs them outside
//! any transaction (with their idempotency key, so a retry after a crash is recognised by
//! the receiver), then records each outcome and resumes the run that waits for it.

use super::batch::{Batch, Expect, Work};
use super::{Engine, Error};
use serde::Serialize;
use serde_json::Value;
use steps::machine::{HttpRequest, Input, Outcome};
use steps::message::OutboundMessage;
use store::outbox_payload::OutboxPayload;

/// Record outcomes once this many have arrived (or when nothing else is in flight).
const RECORD_EVERY: usize = 16;

/// How long a claimed outbox row stays ours without renewal; a process that stops renewing
/// (it died, or stalled) loses its rows to another after this.
pub const LEASE_MS: i64 = 10_000;

/// The message id a run sees for a message whose delivery is unknown (in its journal).
pub const UNKNOWN_MESSAGE_ID: &str = "unknown";

/// Attempts at delivering a message before it is declared failed.
const MAX_SEND_ATTEMPTS: i64 = 8;

/// Where outbound messages go: the simulator keeps them in the store (the editor's test chat
/// and the tests read them there); the webhook channel POSTs them to a configured URL.
#[derive(Debug, Clone)]
pub struct Channel {
    webhook_url: Option<String>,
    /// Connected WhatsApp, LINE and Telegram accounts, by channel name.
    connections: std::sync::Arc<crate::connections::Connections>,
    /// How long one call to a channel may take (`Options::channel_timeout`).
    timeout: std::time::Duration,
}

/// A message as the webhook channel posts it.
#[derive(Debug, Clone, Serialize)]
pub struct SentMessage<'a> {
    pub idempotency_key: &'a str,
    pub contact_id: i64,
    pub channel: &'a str,
    pub message: &'a OutboundMessage,
}

pub use crate::transport::DeliveryError;

impl Channel {
    pub fn new(webhook_url: Option<String>, connections: std::sync::Arc<crate::connections::Connections>) -> Channel {
        Channel { webhook_url, connections, timeout: std::time::Duration::from_secs(10) }
    }

    /// The same channel with another time limit per call.
    pub fn with_timeout(self, timeout: std::time::Duration) -> Channel {
        Channel { timeout, ..self }
    }

    /// Delivers one message; `Ok` carries the channel's id for it. `progress`: calls of a
    /// multi-call message an earlier attempt already made.
    pub async fn deliver(&self, key: &str, payload: &OutboxPayload, progress: i64) -> Result<String, DeliveryError> {
        let channel = payload.channel.as_str();
        if channel == "simulator" {
            return Ok(format!("sim-{key}"));
        }
        if let Some(conn) = self.connections.get(channel) {
            return deliver_native(&conn, key, payload, progress, self.timeout).await;
        }
        let Some(url) = &self.webhook_url else {
            return Err(DeliveryError {
                reason: format!("no channel adapter is configured for `{channel}`"),
                retry: false,
                progress: 0,
                unknown: false,
            });
        };
        let body =
            SentMessage { idempotency_key: key, contact_id: payload.contact_id, channel, message: &payload.message };
        // The webhook channel deduplicates by key (that is its contract), so a send whose
        // outcome is unknown is simply tried again under the same key.
        let response =
            channels::client().post(url).timeout(self.timeout).header("Idempotency-Key", key).json(&body).send().await;
        match response {
            Ok(r) if r.status().is_success() => {
                let id =
                    r.json::<Value>().await.ok().and_then(|v| v.get("id").and_then(Value::as_str).map(str::to_owned));
                Ok(id.unwrap_or_else(|| key.to_owned()))
            }
            Ok(r) => {
                let status = r.status();
                Err(DeliveryError {
                    reason: format!("the channel answered HTTP {}", status.as_u16()),
                    retry: status.is_server_error() || status.as_u16() == 429,
                    progress: 0,
                    unknown: false,
                })
            }
            Err(e) => Err(DeliveryError {
                reason: format!("could not reach the channel: {}", short(&e)),
                retry: true,
                progress: 0,
                unknown: false,
            }),
        }
    }
}

/// Sends a message through a connected channel's own API (see `channels/`), skipping the
/// `progress` calls an earlier attempt made.
async fn deliver_native(
    conn: &channels::Connection,
    key: &str,
    payload: &OutboxPayload,
    progress: i64,
    timeout: std::time::Duration,
) -> Result<String, DeliveryError> {
    deliver_through(conn, key, payload, progress, timeout)
        .await
        .map_err(|e| DeliveryError { reason: conn.redact(&e.reason), ..e })
}

async fn deliver_through(
    conn: &channels::Connection,
    key: &str,
    payload: &OutboxPayload,
    progress: i64,
    timeout: std::time::Duration,
) -> Result<String, DeliveryError> {
    let permanent = |reason: String| DeliveryError { reason, retry: false, progress, unknown: false };
    let to = payload.to.as_deref().ok_or_else(|| permanent("no address to send to".into()))?;
    let message = &payload.message;
    let template = payload.is_template();
    let adapter = conn.kind.adapter();
    let rendered = adapter.render(conn, to, message, template).map_err(permanent)?;
    let mut id = String::new();
    // Attachments go first, the text (with its buttons) last; the last call's id is the
    // message's id.
    let calls = rendered.calls.len() as i64;
    for (i, call) in rendered.calls.iter().enumerate().skip(progress.clamp(0, calls) as usize) {
        let done = i as i64;
        let failed = |reason: String, retry: bool| {
            // Part of the message is already with the contact: say so.
            let reason = if done > 0 { format!("{reason} (after {done} of {calls} parts went out)") } else { reason };
            DeliveryError { reason, retry, progress: done, unknown: false }
        };
        let request = adapter.authorize(conn, call, &format!("{key}:{i}")).map_err(|r| failed(r, false))?;
        let response =
            request.timeout(timeout).header("Idempotency-Key", format!("{key}:{i}")).send().await.map_err(|e| {
                let error = failed(format!("could not reach {}: {}", conn.kind.as_str(), short(&e)), true);
                // Not connected (or not built): nothing went out, trying again is safe. Otherwise
                // the request may have arrived; a channel that ignores keys would show a resend
                // to the contact twice.
                let sent = !(e.is_connect() || e.is_builder());
                DeliveryError { unknown: sent && !conn.kind.deduplicates(), ..error }
            })?;
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        id = adapter.read_answer(status, &body).map_err(|r| failed(r.reason, r.retry))?;
    }
    Ok(id)
}

fn short(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    }
}

/// One pending outbox row.
#[derive(Debug, Clone)]
pub(super) struct Pending {
    pub(super) id: i64,
    pub(super) run_id: Option<i64>,
    pub(super) kind: String,
    pub(super) key: String,
    pub(super) payload: Value,
    /// 0: nobody waits; 1: the run waits for the outcome; 2: only a failure concerns it.
    pub(super) awaited: i64,
    pub(super) token: i64,
    pub(super) attempts: i64,
    /// The lease's fencing token: the outcome is recorded only if the row still carries it.
    pub(super) epoch: i64,
    /// Calls of a multi-call message already made by an earlier attempt.
    pub(super) progress: i64,
}

/// What performing a row came to.
#[derive(Debug)]
pub(super) enum Done {
    Sent {
        external_id: String,
    },
    Retry {
        reason: String,
        progress: i64,
    },
    Failed {
        reason: String,
    },
    Http(Outcome),
    /// Claimed but not performed (an earlier message to the contact failed): only the lease
    /// is given back.
    NotTried,
    /// The message may or may not have reached the contact (see [`DeliveryError::unknown`]):
    /// recorded as `unknown`, not sent again.
    Unknown {
        reason: String,
        progress: i64,
    },
}

impl Engine {
    /// One pass over the outbox: performs every row that is due (up to `limit`),
    /// concurrently, and records the outcomes as they arrive. Returns how many rows it
    /// performed. The background loop uses the continuous pool instead (`outbox_pool.rs`);
    /// this pass drives the outbox step by step in tests and benchmarks.
    pub async fn process_outbox(&self, limit: i64) -> Result<usize, Error> {
        let rows = self.claim_pending(limit, None).await?;
        let mut groups: std::collections::BTreeMap<(i64, i64), Vec<Pending>> = Default::default();
        for (p, contact) in rows {
            // Messages are grouped per contact and sent one after the other; HTTP calls each
            // get a group of their own and run concurrently.
            let group = if p.kind == "message" { (contact.unwrap_or_default(), 0) } else { (-1, p.id) };
            groups.entry(group).or_default().push(p);
        }
        if groups.is_empty() {
            return Ok(0);
        }
        let mut tasks = tokio::task::JoinSet::new();
        for (_, group) in groups {
            let engine = self.clone();
            tasks.spawn(async move {
                let mut done = Vec::with_capacity(group.len());
                let mut stopped = false;
                for p in group {
                    // After a failure the contact's later messages wait, to keep the order;
                    // their leases are given back.
                    if stopped {
                        done.push((p, Done::NotTried));
                        continue;
                    }
                    let result = engine.perform(&p).await;
                    stopped = !matches!(result, Done::Sent { .. } | Done::Http(_) | Done::Unknown { .. });
                    done.push((p, result));
                }
                done
            });
        }
        // Outcomes are recorded in small groups as they arrive: a crash between performing an
        // effect and recording it means a redelivery (with the same key), so the window is
        // kept short without paying a commit per effect.
        let mut results = Vec::new();
        let mut count = 0;
        while let Some(joined) = tasks.join_next().await {
            if let Ok(r) = joined {
                results.extend(r);
            }
            while let Some(joined) = tasks.try_join_next() {
                if let Ok(r) = joined {
                    results.extend(r);
                }
            }
            if results.len() >= RECORD_EVERY || (tasks.is_empty() && !results.is_empty()) {
                count += results.iter().filter(|r| !matches!(r.1, Done::NotTried)).count();
                self.record_results(&std::mem::take(&mut results)).await?;
            }
        }
        Ok(count)
    }

    /// Leases up to `limit` due rows (of one kind, `message` or `http`, or any) and reads
    /// them, each with its contact, oldest first.
    pub(super) async fn claim_pending(
        &self,
        limit: i64,
        kind: Option<&str>,
    ) -> Result<Vec<(Pending, Option<i64>)>, Error> {
        let rows = self.claim_outbox(limit, kind).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let p = Pending {
                id: r.id,
                run_id: r.run_id,
                kind: r.kind,
                key: r.idempotency_key,
                payload: serde_json::from_str(&r.payload).unwrap_or(Value::Null),
                awaited: r.awaited,
                token: r.token,
                attempts: r.attempts,
                epoch: r.lease_epoch,
                progress: r.progress,
            };
            out.push((p, r.contact_id));
        }
        Ok(out)
    }

    /// Leases up to `limit` due rows to this process: each gets a new epoch and is ours
    /// until `lease_until` (renewed by the heartbeat while we perform it). Rows leased by a
    /// process that stopped renewing are due again once their lease has run out. On
    /// PostgreSQL, rows another process is claiming at this moment are skipped, not waited for.
    async fn claim_outbox(&self, limit: i64, kind: Option<&str>) -> Result<Vec<store::outbox::LeasedRow>, Error> {
        let now = self.now_ms();
        let mut tx = self.begin().await?;
        let worker = &self.inner.worker;
        let kind = kind.unwrap_or_default();
        let rows =
            store::outbox::claim(tx.conn(), self.inner.backend, worker, now, now + LEASE_MS, limit, kind).await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// Keeps this process's leases alive (and says it is alive), then frees leases whose
    /// process stopped renewing them, so another process performs those rows. Returns how
    /// many leases it freed.
    pub async fn renew_and_reap_leases(&self) -> Result<u64, Error> {
        let now = self.now_ms();
        let mut tx = self.begin().await?;
        store::outbox::renew_leases(tx.conn(), &self.inner.worker, now, now + LEASE_MS).await?;
        store::peers::heartbeat(tx.conn(), &self.inner.worker, now).await?;
        let freed = store::outbox::free_expired_leases(tx.conn(), now).await?;
        store::peers::forget_silent(tx.conn(), now - 3 * LEASE_MS).await?;
        tx.commit().await?;
        if freed > 0 {
            tracing::warn!(freed, "took over outbox rows whose process stopped renewing its lease");
            self.inner.metrics.leases_taken_over.inc_by(freed);
            self.wake_outbox(crate::batch::OutboxLanes::ALL);
        }
        Ok(freed)
    }

    pub(super) async fn perform(&self, p: &Pending) -> Done {
        if self.durable_step(crate::transport::DurableStep::Call).is_err() {
            // The simulated process died (or the test hook failed the call) before it went out.
            return Done::Retry { reason: "crashed".into(), progress: p.progress };
        }
        // Keys are unique within one store; on the wire they carry the installation's id so
        // two installations (a restored copy, a second workspace) never share one.
        let mut key = format!("{}:{}", self.inner.installation, p.key);
        if self.inner.sabotage == Some(crate::transport::Sabotage::NewKeyOnRetry) && p.attempts > 0 {
            key = format!("{key}:retry{}", p.attempts);
        }
        match p.kind.as_str() {
            "http" => match serde_json::from_value::<HttpRequest>(p.payload.clone()) {
                // Secrets are filled in here, in memory, for this call only: the outbox row
                // and the journal keep the placeholders. What comes back is redacted of them,
                // since an error or an echoing server may quote what it was sent.
                Ok(request) => match self.fill_secrets(&request).await {
                    Ok((filled, values)) => {
                        let outcome = self.inner.transport.call(&filled, &key).await;
                        Done::Http(redact_outcome(outcome, &values))
                    }
                    Err(reason) => Done::Http(Outcome::HttpFailed { reason }),
                },
                Err(e) => Done::Http(Outcome::HttpFailed { reason: format!("unreadable request: {e}") }),
            },
            _ => {
                let sent = match OutboxPayload::from_value(&p.payload) {
                    Some(payload) => self.inner.transport.deliver(&key, &payload, p.progress).await,
                    None => Err(DeliveryError {
                        reason: "unreadable message payload".into(),
                        retry: false,
                        progress: p.progress,
                        unknown: false,
                    }),
                };
                match sent {
                    Ok(external_id) => Done::Sent { external_id },
                    Err(e) if e.unknown => Done::Unknown { reason: e.reason, progress: e.progress },
                    Err(e) if e.retry && p.attempts + 1 < MAX_SEND_ATTEMPTS => {
                        Done::Retry { reason: e.reason, progress: e.progress }
                    }
                    Err(e) => Done::Failed { reason: e.reason },
                }
            }
        }
    }

    /// Records outcomes in one transaction (tried again after losing a race).
    pub(super) async fn record_results(&self, results: &[(Pending, Done)]) -> Result<(), Error> {
        self.retry_contention(|| self.record_once(results)).await
    }

    /// Drops the outcomes whose lease was lost (another process claimed the row after ours
    /// ran out, so that process records it), and ends the leases of the others. The rows
    /// stay locked until the transaction commits, so nobody claims them in between.
    async fn fence(&self, conn: &mut store::Conn, results: &[(Pending, Done)]) -> Result<Vec<usize>, Error> {
        let leases: Vec<(i64, i64)> = results.iter().map(|(p, _)| (p.id, p.epoch)).collect();
        let kept: std::collections::HashSet<i64> =
            store::outbox::fence(conn, self.inner.backend, &self.inner.worker, &leases).await?.into_iter().collect();
        let mut out = Vec::with_capacity(results.len());
        for (i, (p, _)) in results.iter().enumerate() {
            if kept.contains(&p.id) {
                out.push(i);
            } else {
                tracing::warn!(outbox = p.id, epoch = p.epoch, "lease lost before the outcome was recorded; dropped");
                self.inner.metrics.leases_lost.inc();
            }
        }
        Ok(out)
    }

    async fn record_once(&self, results: &[(Pending, Done)]) -> Result<(), Error> {
        let mut tx = self.begin().await?;
        let kept = self.fence(tx.conn(), results).await?;
        let mut results: Vec<&(Pending, Done)> = kept.into_iter().map(|i| &results[i]).collect();
        // Oldest first, whatever order the calls finished in: runs resume (and write) in the
        // same order every time.
        results.sort_by_key(|r| r.0.id);
        let mut batch = Batch::new(self.batch_env(), tx.conn());
        let now = batch.now_ms;
        // Each delivered row, with the channel's id for a message.
        let mut delivered: Vec<(&Pending, Option<&str>)> = Vec::new();
        let mut resumes = Vec::new();
        for (p, done) in results.iter().map(|r| (&r.0, &r.1)) {
            let result = match done {
                Done::Sent { .. } => "sent",
                Done::Retry { .. } => "retry",
                Done::Failed { .. } => "failed",
                Done::Http(Outcome::HttpResponse { .. }) => "response",
                Done::Http(_) => "failed",
                Done::Unknown { .. } => "unknown",
                Done::NotTried => continue,
            };
            let labels = vec![("kind".to_owned(), p.kind.clone()), ("result".to_owned(), result.to_owned())];
            self.inner.metrics.deliveries.get_or_create(&labels).inc();
            let outcome = match done {
                Done::NotTried => continue,
                Done::Retry { reason, progress } => {
                    // Exponential backoff: 1s, 2s, 4s, ... up to about two minutes.
                    let delay = 1000_i64 << p.attempts.clamp(0, 7);
                    let progress = *progress.max(&p.progress);
                    store::outbox::retry_at(batch.conn, p.id, now + delay, reason, progress).await?;
                    tracing::info!(outbox = p.id, attempt = p.attempts + 1, %reason, "delivery will be retried");
                    self.inner.metrics.effect_retries.inc();
                    continue;
                }
                Done::Sent { external_id } => {
                    delivered.push((p, Some(external_id.as_str())));
                    Outcome::Sent { message_id: external_id.clone() }
                }
                Done::Failed { reason } => {
                    store::outbox::mark_dead(batch.conn, p.id, reason, now).await?;
                    store::messages::set_status_by_key(batch.conn, &p.key, "failed", reason).await?;
                    tracing::warn!(outbox = p.id, %reason, "message could not be delivered");
                    let payload: Vec<OutboxPayload> = OutboxPayload::from_value(&p.payload).into_iter().collect();
                    super::channel_rules::give_back_quota(batch.conn, &payload).await?;
                    Outcome::SendFailed { reason: reason.clone() }
                }
                Done::Http(outcome) => {
                    delivered.push((p, None));
                    outcome.clone()
                }
                Done::Unknown { reason, progress } => {
                    // Not sent again (the channel would not recognise the resend); an operator
                    // may resend it (`Engine::resend_unknown`). The run goes on as if it was
                    // sent: a send that timed out after going out has reached the contact far
                    // more often than not.
                    let progress = *progress.max(&p.progress);
                    store::outbox::mark_unknown(batch.conn, p.id, reason, progress, now).await?;
                    store::messages::set_status_by_key(batch.conn, &p.key, "unknown", reason).await?;
                    tracing::warn!(outbox = p.id, %reason, "the message may or may not have reached the contact; not resent");
                    Outcome::Sent { message_id: UNKNOWN_MESSAGE_ID.into() }
                }
            };
            let sabotaged = self.inner.sabotage == Some(crate::transport::Sabotage::SkipHttpWakeup) && p.kind == "http";
            match (p.awaited, p.run_id, &outcome) {
                (1, Some(_), _) if sabotaged => {}
                (1, Some(run_id), _) => resumes.push(Work::Resume {
                    run_id,
                    input: Input::Outcome { outcome },
                    expect: Expect::Outcome { token: p.token },
                }),
                // A question that never reached the contact: the step must not wait forever.
                (2, Some(run_id), Outcome::SendFailed { .. }) => resumes.push(Work::Resume {
                    run_id,
                    input: Input::Outcome { outcome },
                    expect: Expect::Undelivered { token: p.token },
                }),
                _ => {}
            }
        }
        // Successes are marked in bulk: one statement for the outbox, one for the messages.
        for chunk in delivered.chunks(400) {
            let ids: Vec<i64> = chunk.iter().map(|(p, _)| p.id).collect();
            store::outbox::mark_done(batch.conn, self.inner.backend, &ids, now).await?;
            let messages: Vec<(&str, &str)> =
                chunk.iter().filter_map(|(p, id)| Some((p.key.as_str(), (*id)?))).collect();
            if messages.is_empty() {
                continue;
            }
            // The channel's id is kept so its delivery and read statuses find the message.
            store::messages::mark_sent(batch.conn, self.inner.backend, &messages).await?;
            // Only connected channels report statuses (not the simulator or the webhook channel).
            let ids: Vec<String> = chunk
                .iter()
                .filter(|(p, _)| {
                    OutboxPayload::from_value(&p.payload)
                        .is_some_and(|m| self.inner.connections.get(&m.channel).is_some())
                })
                .filter_map(|(_, id)| id.map(str::to_owned))
                .collect();
            batch.apply_parked_statuses(&ids).await?;
        }
        batch.work.extend(resumes);
        let mut concluded = batch.conclude().await?;
        // Delivered messages changed status: their transcripts are news too.
        let contacts: std::collections::BTreeSet<i64> =
            results.iter().filter_map(|r| OutboxPayload::from_value(&r.0.payload).map(|m| m.contact_id)).collect();
        concluded.changes.extend(contacts.into_iter().map(|contact_id| super::LiveEvent::Messages { contact_id }));
        self.commit_concluded(tx, concluded).await?;
        Ok(())
    }

    /// Sends again, at an operator's explicit request, an outbound message whose delivery is
    /// unknown (`POST /api/messages/{id}/resend`): its outbox row goes back to pending under
    /// its original key. Nobody waits for it any more (its run went on when the delivery
    /// became unknown). Only such a message can be resent.
    pub async fn resend_unknown(&self, message_id: i64) -> Result<(), Error> {
        let not_found = || Error::NotFound(format!("message {message_id} with an unknown delivery"));
        let now = self.now_ms();
        let mut tx = self.begin().await?;
        let key = store::messages::unknown_outbound_key(tx.conn(), message_id).await?.ok_or_else(not_found)?;
        let outbox = store::outbox::requeue_unknown(tx.conn(), &key, now).await?.ok_or_else(not_found)?;
        store::messages::set_pending(tx.conn(), message_id).await?;
        self.commit(tx).await?;
        tracing::info!(message = message_id, outbox, "a message whose delivery was unknown is sent again, as asked");
        self.wake_outbox(crate::batch::OutboxLanes::ALL);
        Ok(())
    }

    /// When the next outbox row is due, if any.
    pub async fn next_outbox_due(&self) -> Result<Option<chrono::DateTime<chrono::Utc>>, Error> {
        let due = store::outbox::next_due(&self.inner.pool).await?;
        Ok(due.map(crate::clock::from_millis))
    }

    /// Outbound messages to a contact as the simulator channel holds them, oldest first.
    pub async fn simulator_messages(&self, contact_id: i64) -> Result<Vec<Value>, Error> {
        Ok(self.transcript(contact_id).await?.into_iter().filter(|m| m["direction"] == "out").collect())
    }
}

/// An HTTP outcome without the values of the secrets the request carried: in an error's
/// reason, and in a response that echoes them (its headers and body become step outputs).
fn redact_outcome(outcome: Outcome, secrets: &[String]) -> Outcome {
    if secrets.is_empty() {
        return outcome;
    }
    match outcome {
        Outcome::HttpFailed { reason } => Outcome::HttpFailed { reason: crate::keyring::redact(&reason, secrets) },
        other => {
            // Redacted in the JSON text, each secret as JSON spells it inside a string.
            let spelled: Vec<String> = secrets
                .iter()
                .map(|v| {
                    let quoted = serde_json::Value::String(v.clone()).to_string();
                    quoted[1..quoted.len() - 1].to_owned()
                })
                .collect();
            let text = serde_json::to_string(&other).unwrap_or_default();
            let redacted = crate::keyring::redact(&text, &spelled);
            if redacted == text {
                return other;
            }
            serde_json::from_str(&redacted)
                .unwrap_or(Outcome::HttpFailed { reason: "the response quoted a secret and was dropped".into() })
        }
    }
}

/// This installation's id, made once and kept in the store (`settings`), so idempotency
/// keys from two installations never collide at a receiver.
pub(super) async fn installation_id(pool: &store::Pool) -> Result<String, Error> {
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).map_err(|e| Error::Refused(format!("no randomness for the installation id: {e}")))?;
    Ok(store::settings::installation_id(pool, &format!("sb{}", hex::encode(random))).await?)
}

/// The real way out: channel adapters and the webhook channel for messages, the guarded
/// HTTP client for calls.
#[derive(Debug)]
pub(crate) struct Network {
    pub(crate) channel: Channel,
    pub(crate) http: crate::http_call::HttpCaller,
}

impl crate::transport::Transport for Network {
    fn deliver<'a>(
        &'a self,
        key: &'a str,
        payload: &'a OutboxPayload,
        progress: i64,
    ) -> crate::transport::Pending<'a, Result<String, DeliveryError>> {
        Box::pin(self.channel.deliver(key, payload, progress))
    }

    fn call<'a>(&'a self, request: &'a HttpRequest, key: &'a str) -> crate::transport::Pending<'a, Outcome> {
        Box::pin(self.http.call(request, key))
    }
}
