//! The store's time format: milliseconds since the epoch, in `BIGINT` columns on both
//! backends.

use chrono::{DateTime, Utc};

/// Milliseconds since the epoch, the store's time format.
pub fn to_millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// The reverse of [`to_millis`].
pub fn from_millis(ms: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or(if ms > 0 {
        DateTime::<Utc>::MAX_UTC
    } else {
        DateTime::<Utc>::MIN_UTC
    })
}
