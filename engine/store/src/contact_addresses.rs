//! `contact_addresses` read on their own: a contact's address on a channel, for sending. The
//! unit of work (`cache/`) resolves and adds addresses.

use crate::{Conn, Error};

/// The contact's address on `channel`, if it has one.
pub async fn address_of(c: &mut Conn, contact_id: i64, channel: &str) -> Result<Option<String>, Error> {
    Ok(sqlx::query_scalar("SELECT address FROM contact_addresses WHERE contact_id = $1 AND channel = $2")
        .bind(contact_id)
        .bind(channel)
        .fetch_optional(&mut *c)
        .await?)
}
