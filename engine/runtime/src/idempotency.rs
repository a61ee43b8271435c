//! Idempotency keys of API requests: the store behind the `Idempotency-Key` header (see
//! `server/idempotency.rs`). A request is claimed before it acts (a row with no answer yet),
//! so two concurrent copies cannot both act; its answer is recorded when it is known, so a
//! retry within [`KEY_RETENTION`] gets the same status and body and acts no second time.

use super::{Engine, Error};
use std::time::Duration;

/// How long a key is remembered.
pub const KEY_RETENTION: Duration = Duration::from_secs(24 * 3600);

/// How long a claim may stay without an answer before another request with the same key may
/// take it over (its process died between acting and recording the answer). The requests
/// that take keys finish in well under a second; the effect itself is deduplicated by the
/// claim's event id ([`Claimed::event_id`]), so a takeover does not act twice.
pub const STALE_CLAIM: Duration = Duration::from_secs(60);

/// A request this process now handles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub token_id: i64,
    pub key: String,
    /// When the key was first claimed (milliseconds): part of the event id, so a key reused
    /// after it expired is a new request.
    pub created_at: i64,
}

impl Claimed {
    /// The source and id the claimed request's event carries: a takeover's event is a
    /// duplicate of the first one's, so the effect happens once.
    pub fn event_id(&self) -> (String, String) {
        (format!("idempotency:{}", self.token_id), format!("{}@{}", self.key, self.created_at))
    }
}

/// What a request with an idempotency key is to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Handle it, then [`Engine::record_idempotent_answer`] (or release the claim).
    Claimed(Claimed),
    /// It was answered before: answer the same.
    Replay { status: u16, body: String },
    /// Another request with this key is being handled now.
    InProgress,
    /// The key was used for a different request (another route or body).
    Mismatch,
}

impl Engine {
    /// Claims `key` for the token's request whose fingerprint (method, path, body) is
    /// `fingerprint`. A key older than [`KEY_RETENTION`] counts as never used (the background
    /// pruning deletes such keys in bulk, `retention.rs`; a request never waits on that).
    pub async fn claim_idempotency_key(&self, token_id: i64, key: &str, fingerprint: &str) -> Result<Claim, Error> {
        let now = self.now_ms();
        let expired = now - KEY_RETENTION.as_millis() as i64;
        let pool = &self.inner.pool;
        let mut tx = self.bookkeeping().await?;
        let claimed = store::idempotency::claim_new(tx.conn(), token_id, key, fingerprint, now).await?;
        tx.commit().await?;
        if claimed {
            return Ok(Claim::Claimed(Claimed { token_id, key: key.to_owned(), created_at: now }));
        }
        let mut row = store::idempotency::get(pool, token_id, key).await?;
        if let Some(old) = row.as_ref().filter(|r| r.created_at < expired) {
            // Expired and not pruned yet: forget this one key (if no one renewed it since)
            // and claim it afresh.
            let mut tx = self.bookkeeping().await?;
            store::idempotency::forget_expired(tx.conn(), token_id, key, old.created_at).await?;
            let claimed = store::idempotency::claim_new(tx.conn(), token_id, key, fingerprint, now).await?;
            tx.commit().await?;
            if claimed {
                return Ok(Claim::Claimed(Claimed { token_id, key: key.to_owned(), created_at: now }));
            }
            row = store::idempotency::get(pool, token_id, key).await?;
        }
        // Released between the insert and the read: the next try claims it.
        let Some(store::idempotency::KeyRow { fingerprint: stored, status, body, created_at, claimed_at }) = row else {
            return Ok(Claim::InProgress);
        };
        if stored != fingerprint {
            return Ok(Claim::Mismatch);
        }
        if let Some(status) = status {
            let status = u16::try_from(status).unwrap_or(500);
            return Ok(Claim::Replay { status, body: body.unwrap_or_default() });
        }
        if now - claimed_at < STALE_CLAIM.as_millis() as i64 {
            return Ok(Claim::InProgress);
        }
        // One taker only: the update matches the claim time it read.
        let mut tx = self.bookkeeping().await?;
        let taken = store::idempotency::take_over(tx.conn(), token_id, key, claimed_at, now).await?;
        tx.commit().await?;
        Ok(if taken {
            tracing::warn!(token_id, key, "an idempotency key's unanswered claim was taken over");
            Claim::Claimed(Claimed { token_id, key: key.to_owned(), created_at })
        } else {
            Claim::InProgress
        })
    }

    /// Records the answer to a claimed request.
    pub async fn record_idempotent_answer(&self, claim: &Claimed, status: u16, body: &str) -> Result<(), Error> {
        let mut tx = self.bookkeeping().await?;
        store::idempotency::answer(tx.conn(), claim.token_id, &claim.key, i64::from(status), body).await?;
        tx.commit().await
    }

    /// Gives a claim up (the request failed on the server's side): a retry may act.
    pub async fn release_idempotency_key(&self, claim: &Claimed) -> Result<(), Error> {
        let mut tx = self.bookkeeping().await?;
        store::idempotency::release(tx.conn(), claim.token_id, &claim.key).await?;
        tx.commit().await
    }
}
