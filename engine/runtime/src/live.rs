//! Live updates: subscribing to committed changes (server-sent events), and token
//! revocations that make live streams re-check their token.

use crate::{Engine, LiveEvent};

impl Engine {
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
}
