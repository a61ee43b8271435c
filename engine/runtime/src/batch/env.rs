//! What a batch reads besides its transaction: [`BatchEnv`], and the engine's own.

use crate::clock::Clock;
use crate::connections::Connections;
use crate::metrics::Metrics;
use crate::registry::Registry;
use crate::{Engine, OptOutKeywords, ReplyToClosed};

/// Everything a batch reads besides its transaction: the compiled workflows, the channel
/// connections, the workspace's settings, the metrics and the clock. A server hands out its
/// own ([`Engine::batch_env`]); anything else (a simulator, a test) can build one, so a
/// batch is driven without a server.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BatchEnv<'a> {
    /// Compiled workflow versions and the live set.
    pub registry: &'a Registry,
    /// The connected channel accounts (their rules decide how a message goes out).
    pub connections: &'a Connections,
    /// The workspace timezone (`system.*`, business hours).
    pub timezone: chrono_tz::Tz,
    /// The words that opt a contact out and back in.
    pub opt_out: &'a OptOutKeywords,
    /// What an agent's reply to a closed conversation does.
    pub reply_to_closed: ReplyToClosed,
    /// Step timings, transitions and loop-guard counts.
    pub metrics: &'a Metrics,
    /// Where the batch's `now` comes from.
    pub clock: &'a dyn Clock,
    /// The database kind, for statements built at run time.
    pub backend: store::Backend,
}

impl Engine {
    /// The environment this engine's batches run in.
    pub(crate) fn batch_env(&self) -> BatchEnv<'_> {
        let inner = &*self.inner;
        BatchEnv {
            registry: &inner.registry,
            connections: &inner.connections,
            timezone: inner.timezone,
            opt_out: &inner.opt_out,
            reply_to_closed: inner.reply_to_closed,
            metrics: &inner.metrics,
            clock: &*inner.clock,
            backend: inner.backend,
        }
    }
}
