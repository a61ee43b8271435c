//! Delivery statuses channels report, by the channel's id for a message: applied to the
//! outbound line in `messages` (never backwards), or parked in `channel_statuses` until the
//! message's id is recorded.

use crate::{Backend, Conn, Error, Sql};

/// A status parked before its message's id was known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parked {
    pub channel: String,
    pub external_id: String,
    pub status: String,
    pub error: Option<String>,
}

/// Sets the status of the outbound message `external_id` on `channel` when `rank` is further
/// along than its current one; the contacts of the messages changed.
pub async fn advance(
    c: &mut Conn,
    channel: &str,
    external_id: &str,
    status: &str,
    rank: i64,
    error: Option<&str>,
) -> Result<Vec<i64>, Error> {
    let current = "CASE status WHEN 'pending' THEN 0 WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2
                   WHEN 'read' THEN 3 WHEN 'failed' THEN 4 ELSE 5 END";
    let sql = format!(
        "UPDATE messages SET status = $1, error = COALESCE($2, error)
         WHERE channel = $3 AND external_id = $4 AND direction = 'out' AND {current} < $5
         RETURNING contact_id"
    );
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(status)
        .bind(error)
        .bind(channel)
        .bind(external_id)
        .bind(rank)
        .fetch_all(&mut *c)
        .await?)
}

/// The contact of the message `external_id` on `channel`, if it is recorded.
pub async fn contact_of(c: &mut Conn, channel: &str, external_id: &str) -> Result<Option<i64>, Error> {
    Ok(sqlx::query_scalar("SELECT contact_id FROM messages WHERE channel = $1 AND external_id = $2 LIMIT 1")
        .bind(channel)
        .bind(external_id)
        .fetch_optional(&mut *c)
        .await?)
}

/// Parks a status whose message is not known yet, and forgets those received before
/// `expired_before` (statuses of messages someone else sent from the same number never match).
pub async fn park(c: &mut Conn, parked: &Parked, now: i64, expired_before: i64) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO channel_statuses (channel, external_id, status, error, received_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(&parked.channel)
    .bind(&parked.external_id)
    .bind(&parked.status)
    .bind(&parked.error)
    .bind(now)
    .execute(&mut *c)
    .await?;
    sqlx::query("DELETE FROM channel_statuses WHERE received_at < $1").bind(expired_before).execute(&mut *c).await?;
    Ok(())
}

/// The statuses parked for these message ids (on any channel).
pub async fn parked_for(c: &mut Conn, backend: Backend, external_ids: &[String]) -> Result<Vec<Parked>, Error> {
    let mut q =
        Sql::new(backend, "SELECT channel, external_id, status, error FROM channel_statuses WHERE external_id IN (");
    let mut sep = q.separated(", ");
    for id in external_ids {
        sep.push_bind(id.clone());
    }
    q.push(")");
    let rows: Vec<(String, String, String, Option<String>)> = q.build_query_as().fetch_all(&mut *c).await?;
    Ok(rows
        .into_iter()
        .map(|(channel, external_id, status, error)| Parked { channel, external_id, status, error })
        .collect())
}

/// Forgets a parked status (it has been applied).
pub async fn unpark(c: &mut Conn, channel: &str, external_id: &str) -> Result<(), Error> {
    sqlx::query("DELETE FROM channel_statuses WHERE channel = $1 AND external_id = $2")
        .bind(channel)
        .bind(external_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}
