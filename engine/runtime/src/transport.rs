//! Where performed effects go, and the test hooks that break the world on purpose.
//!
//! [`Transport`] is the outbox's one way out: the network (`outbox::Network`: the channels and
//! the HTTP step's client) in production; the deterministic simulator (`engine/sim`) puts a simulated world
//! in its place, which answers, fails, times out and answers late as its seed says.
//! [`Faults`] decides, at each durable step (a commit, an outbound call), whether the process
//! goes on, fails that step, or dies there. [`Sabotage`] breaks one of the engine's promises
//! on purpose, so the simulator can be shown to notice (TESTING.md). Production sets neither
//! hook.

use std::future::Future;
use std::pin::Pin;
use steps::machine::{HttpRequest, Outcome};
use store::outbox_payload::OutboxPayload;

/// A boxed future borrowing from its transport (the trait stays object-safe).
pub type Pending<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Performs outbound effects under their idempotency keys.
pub trait Transport: Send + Sync + std::fmt::Debug {
    /// Delivers one message; `Ok` carries the channel's id for it. `progress`: calls of a
    /// multi-call message an earlier attempt already made.
    fn deliver<'a>(
        &'a self,
        key: &'a str,
        payload: &'a OutboxPayload,
        progress: i64,
    ) -> Pending<'a, Result<String, DeliveryError>>;

    /// Makes one HTTP call (secrets already filled in); any answer, or why there was none.
    fn call<'a>(&'a self, request: &'a HttpRequest, key: &'a str) -> Pending<'a, Outcome>;
}

/// Why a delivery did not succeed, and whether trying again could help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryError {
    pub reason: String,
    pub retry: bool,
    /// Of a message sent in several calls (attachments, then the text): how many calls the
    /// channel accepted, so a retry goes on from there instead of sending them again.
    pub progress: i64,
    /// The request went out but no answer came back (a timeout, a connection reset), on a
    /// channel that does not deduplicate by key: the contact may have the message, and a
    /// resend could reach them twice. Such a delivery is recorded as `unknown`, not retried.
    pub unknown: bool,
}

/// A durable step: what the crash and fault hooks count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurableStep {
    /// Committing a write transaction.
    Commit,
    /// Performing an outbound effect (before it goes out).
    Call,
}

/// What happens at a durable step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultAction {
    /// Nothing: the step happens.
    Proceed,
    /// The step fails and the process goes on: a commit is rolled back with an error (as a
    /// full disk or a lost connection would); a call is not made and counts as unreachable.
    Fail,
    /// The process dies here: nothing after it happens, and every later call on this engine
    /// fails with [`crate::Error::Crashed`].
    Crash,
}

/// Test hook: decides each durable step's fate (the simulator draws it from its seed).
pub trait Faults: Send + Sync + std::fmt::Debug {
    fn at(&self, step: DurableStep) -> FaultAction;
}

/// Test-only: one promise broken on purpose, to show the simulator finds it. Never set in
/// production (nothing but `engine/sim` sets it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sabotage {
    /// A retried delivery goes out under a new idempotency key (the receiver cannot tell it
    /// is a retry, and the contact may get the message twice).
    NewKeyOnRetry,
    /// An HTTP call's outcome is recorded but the run waiting for it is not woken.
    SkipHttpWakeup,
    /// Redelivered events (same sender and id) are not recognised: each is processed again.
    ForgetDuplicates,
    /// Timers fire a minute after they are due.
    LateTimers,
}

impl std::str::FromStr for Sabotage {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Sabotage::ALL.iter().find(|(name, _)| *name == s).map(|(_, sabotage)| *sabotage).ok_or_else(|| {
            let names: Vec<&str> = Sabotage::ALL.iter().map(|(name, _)| *name).collect();
            format!("`{s}` is not a sabotage ({})", names.join(", "))
        })
    }
}

impl Sabotage {
    /// Every sabotage, by its command-line name.
    pub const ALL: [(&'static str, Sabotage); 4] = [
        ("new-key-on-retry", Sabotage::NewKeyOnRetry),
        ("skip-http-wakeup", Sabotage::SkipHttpWakeup),
        ("forget-duplicates", Sabotage::ForgetDuplicates),
        ("late-timers", Sabotage::LateTimers),
    ];
}
