//! The assignment queue as rows: `runs` waiting for an agent, oldest first.

use crate::{Conn, Error};

/// The ids of the runs waiting for an agent, the longest waiting first (at most 5,000).
pub async fn waiting(c: &mut Conn) -> Result<Vec<i64>, Error> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM runs WHERE status = 'waiting' AND wait_kind = 'agent' ORDER BY waiting_since, id LIMIT 5000",
    )
    .fetch_all(&mut *c)
    .await?)
}
