//! What the store can fail with ([`Error`]) and whose fault a failure is ([`Fault`]): the
//! store reads the driver's errors so no layer above has to name it.

use crate::Backend;

/// What the store can fail with. The runtime's error carries a failure of the database as it
/// is (its `Db` variant) and takes a refusal as its own, so a caller above sees one error type.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Refused(String),
}

/// Whose fault a failed statement is, as far as the database says (see [`Error::fault`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The data's: a value or constraint the database will never take (SQLSTATE classes 22
    /// and 23; SQLite's constraint, mismatch, range and too-big errors).
    Data,
    /// The connection's, the server's or a race's (lost connection, shutdown, out of
    /// resources, deadlock, a failed migration).
    Infrastructure,
    /// Not known (a decoding problem, an error the classes above do not cover).
    Unknown,
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

    /// Did a statement break a unique constraint?
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, Error::Db(sqlx::Error::Database(db)) if db.is_unique_violation())
    }

    /// Whose fault a database error is on `backend`; `None` for the store's own refusals
    /// (`NotFound`, `Refused`).
    pub fn fault(&self, backend: Backend) -> Option<Fault> {
        let e = match self {
            Error::Db(e) => e,
            Error::Migrate(_) => return Some(Fault::Infrastructure),
            Error::NotFound(_) | Error::Refused(_) => return None,
        };
        Some(match e {
            sqlx::Error::Database(db) => {
                let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
                match backend {
                    Backend::Postgres => match code.get(..2).unwrap_or("") {
                        "22" | "23" => Fault::Data,
                        // Connection, contention, resources, operator intervention, system,
                        // transaction state, internal errors.
                        "08" | "40" | "53" | "57" | "58" | "25" | "XX" => Fault::Infrastructure,
                        _ => Fault::Unknown,
                    },
                    Backend::Sqlite => match code.parse::<i64>().map(|c| c & 0xff) {
                        // SQLITE_TOOBIG, SQLITE_CONSTRAINT (any), SQLITE_MISMATCH, SQLITE_RANGE.
                        Ok(18 | 19 | 20 | 25) => Fault::Data,
                        // BUSY, LOCKED, NOMEM, READONLY, IOERR, CORRUPT, FULL, CANTOPEN, NOTADB.
                        Ok(5 | 6 | 7 | 8 | 10 | 11 | 13 | 14 | 26) => Fault::Infrastructure,
                        _ => Fault::Unknown,
                    },
                }
            }
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Configuration(_) => Fault::Infrastructure,
            // Decoding a row, an encoding problem: something about this data.
            _ => Fault::Unknown,
        })
    }
}
