//! `channel_usage`: messages counted against a connection's monthly quota (LINE), by month.

use crate::{Conn, Error, Pool};

/// Counts one message against the connection's `quota` for `month`; `false` (nothing
/// counted) when the quota is used up.
pub async fn count(c: &mut Conn, connection: &str, month: &str, quota: i64) -> Result<bool, Error> {
    let counted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO channel_usage (connection_id, month, sent) SELECT $1, $2, 1 WHERE $3 > 0
         ON CONFLICT (connection_id, month) DO UPDATE SET sent = channel_usage.sent + 1
         WHERE channel_usage.sent < $3
         RETURNING sent",
    )
    .bind(connection)
    .bind(month)
    .bind(quota)
    .fetch_optional(&mut *c)
    .await?;
    Ok(counted.is_some())
}

/// Gives back one message counted for `month` (it was never delivered).
pub async fn give_back(c: &mut Conn, connection: &str, month: &str) -> Result<(), Error> {
    sqlx::query("UPDATE channel_usage SET sent = sent - 1 WHERE connection_id = $1 AND month = $2 AND sent > 0")
        .bind(connection)
        .bind(month)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// How many messages the connection has counted for `month`.
pub async fn sent(pool: &Pool, connection: &str, month: &str) -> Result<i64, Error> {
    let sent: Option<i64> =
        sqlx::query_scalar("SELECT sent FROM channel_usage WHERE connection_id = $1 AND month = $2")
            .bind(connection)
            .bind(month)
            .fetch_optional(pool)
            .await?;
    Ok(sent.unwrap_or(0))
}
