//! `queued_triggers`: starts a workflow's settings put off (`when_active: queue`) until the
//! contact's current run of it ends, oldest first.

use crate::{Conn, Error};

/// A queued start: the trigger's variables and the chain of workflows behind it, as JSON.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct QueuedTrigger {
    pub id: i64,
    pub trigger: String,
    pub origin: String,
}

/// Queues a start of `workflow` for the contact.
pub async fn queue(
    c: &mut Conn,
    workflow: &str,
    contact_id: i64,
    trigger: &str,
    origin: &str,
    now: i64,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO queued_triggers (workflow_id, contact_id, trigger, origin, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(workflow)
    .bind(contact_id)
    .bind(trigger)
    .bind(origin)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Takes (and removes) the oldest start queued for this workflow and contact.
pub async fn take_oldest(c: &mut Conn, workflow: &str, contact_id: i64) -> Result<Option<QueuedTrigger>, Error> {
    let next: Option<QueuedTrigger> = sqlx::query_as(
        "SELECT id, trigger, origin FROM queued_triggers WHERE workflow_id = $1 AND contact_id = $2 ORDER BY id LIMIT 1",
    )
    .bind(workflow)
    .bind(contact_id)
    .fetch_optional(&mut *c)
    .await?;
    if let Some(next) = &next {
        sqlx::query("DELETE FROM queued_triggers WHERE id = $1").bind(next.id).execute(&mut *c).await?;
    }
    Ok(next)
}

/// Forgets every start queued for the contact.
pub async fn forget_of_contact(c: &mut Conn, contact_id: i64) -> Result<(), Error> {
    sqlx::query("DELETE FROM queued_triggers WHERE contact_id = $1").bind(contact_id).execute(&mut *c).await?;
    Ok(())
}
