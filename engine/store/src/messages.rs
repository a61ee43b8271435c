//! `messages`: the transcript lines' delivery status as the outbox learns it (sent, failed,
//! unknown, resent). Lines are written by the unit of work (`cache/`); the rules of
//! delivery are the runtime's (`engine/runtime/src/outbox.rs`).

use crate::{Backend, Conn, Error, Sql};

/// Sets the status (and error) of the message line carrying the effect key `key`.
pub async fn set_status_by_key(c: &mut Conn, key: &str, status: &str, error: &str) -> Result<(), Error> {
    sqlx::query("UPDATE messages SET status = $1, error = $2 WHERE idempotency_key = $3")
        .bind(status)
        .bind(error)
        .bind(key)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Marks the lines with these effect keys `sent`, each with the channel's id for it (so the
/// channel's delivery and read statuses find it).
pub async fn mark_sent(c: &mut Conn, backend: Backend, sent: &[(&str, &str)]) -> Result<(), Error> {
    for chunk in sent.chunks(400) {
        let mut q = Sql::new(backend, "UPDATE messages SET status = 'sent', external_id = CASE idempotency_key");
        for (key, id) in chunk {
            q.push(" WHEN ").push_bind(key.to_string()).push(" THEN ").push_bind(id.to_string());
        }
        q.push(" END WHERE idempotency_key IN (");
        let mut sep = q.separated(", ");
        for (key, _) in chunk {
            sep.push_bind(key.to_string());
        }
        q.push(")");
        q.build().execute(&mut *c).await?;
    }
    Ok(())
}

/// The effect key of the outbound message `id` whose delivery is unknown, if it is one.
pub async fn unknown_outbound_key(c: &mut Conn, id: i64) -> Result<Option<String>, Error> {
    let key: Option<Option<String>> = sqlx::query_scalar(
        "SELECT idempotency_key FROM messages WHERE id = $1 AND direction = 'out' AND status = 'unknown'",
    )
    .bind(id)
    .fetch_optional(&mut *c)
    .await?;
    Ok(key.flatten())
}

/// Puts the line `id` back to pending (it is being sent again).
pub async fn set_pending(c: &mut Conn, id: i64) -> Result<(), Error> {
    sqlx::query("UPDATE messages SET status = 'pending', error = NULL WHERE id = $1").bind(id).execute(&mut *c).await?;
    Ok(())
}
