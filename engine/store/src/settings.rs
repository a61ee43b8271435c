//! `settings`: the installation's own named values (its id).

use crate::{Error, Pool};

/// The installation's id: `candidate` is stored if none is yet; returns the stored one.
pub async fn installation_id(pool: &Pool, candidate: &str) -> Result<String, Error> {
    sqlx::query("INSERT INTO settings (name, value) VALUES ('installation_id', $1) ON CONFLICT (name) DO NOTHING")
        .bind(candidate)
        .execute(pool)
        .await?;
    Ok(sqlx::query_scalar("SELECT value FROM settings WHERE name = 'installation_id'").fetch_one(pool).await?)
}
