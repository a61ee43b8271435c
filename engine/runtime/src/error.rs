//! The engine's one error type: what the store, a workflow's validation, a refusal, a size
//! limit or a conflict can come to. The store classifies its own failures
//! ([`store::Error::fault`], [`store::Error::is_contention`]); this file names no driver but
//! for the batch files' sake (see the `From<sqlx::Error>` below).

use steps::Diagnostic;

/// The engine's errors. Problems in a workflow are not errors of the engine: they fail the
/// run, visibly, and are journaled.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The store failed (a statement, a connection, a migration); the store says whose fault
    /// it was ([`store::Error::fault`]).
    #[error(transparent)]
    Db(store::Error),
    #[error("{0} not found")]
    NotFound(String),
    #[error("the workflow has errors")]
    Invalid(Vec<Diagnostic>),
    #[error("{0}")]
    Refused(String),
    /// A part of an event breaks a size limit (`events::limits`); nothing was stored.
    #[error(transparent)]
    Field(#[from] crate::events::FieldError),
    /// The change is based on an outdated version of what it changes (a draft saved by
    /// someone else in between); `details` says what changed.
    #[error("{message}")]
    Conflict { message: String, details: serde_json::Value },
    /// Only with the `crash_after` test hook: the simulated process death.
    #[error("simulated crash")]
    Crashed,
    /// Only with the fault test hook: a durable step failed on purpose (the simulator's
    /// failing commit).
    #[error("injected fault: the {0} failed")]
    Injected(&'static str),
}

impl From<store::Error> for Error {
    fn from(e: store::Error) -> Error {
        match e {
            store::Error::NotFound(what) => Error::NotFound(what),
            store::Error::Refused(why) => Error::Refused(why),
            e => Error::Db(e),
        }
    }
}

impl Error {
    /// Did the transaction lose a race with another process (a deadlock broken by
    /// PostgreSQL, a serialization failure)? Such work is simply tried again.
    pub fn is_contention(&self) -> bool {
        matches!(self, Error::Db(e) if e.is_contention())
    }
}
