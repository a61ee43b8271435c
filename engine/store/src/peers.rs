//! `workers` and PostgreSQL's LISTEN/NOTIFY: the processes sharing the store, their
//! heartbeats, and the notifications they wake each other with. When to register, renew or
//! listen is the runtime's (`engine/runtime/src/peers.rs`).

use crate::{Conn, Error, Pool};

/// Registers the process `id` (its heartbeat starts now).
pub async fn register(c: &mut Conn, id: &str, host: &str, pid: i64, now: i64) -> Result<(), Error> {
    sqlx::query("INSERT INTO workers (id, host, pid, started_at, heartbeat_at) VALUES ($1, $2, $3, $4, $4)")
        .bind(id)
        .bind(host)
        .bind(pid)
        .bind(now)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Forgets every process (an SQLite store has one; an earlier life of it crashed).
pub async fn forget_all(c: &mut Conn) -> Result<(), Error> {
    sqlx::query("DELETE FROM workers").execute(&mut *c).await?;
    Ok(())
}

/// Says the process `id` is alive at `now`.
pub async fn heartbeat(c: &mut Conn, id: &str, now: i64) -> Result<(), Error> {
    sqlx::query("UPDATE workers SET heartbeat_at = $1 WHERE id = $2").bind(now).bind(id).execute(&mut *c).await?;
    Ok(())
}

/// Forgets the processes silent since before `before`.
pub async fn forget_silent(c: &mut Conn, before: i64) -> Result<(), Error> {
    sqlx::query("DELETE FROM workers WHERE heartbeat_at < $1").bind(before).execute(&mut *c).await?;
    Ok(())
}

/// PostgreSQL: sends `payload` on the notification `channel`.
pub async fn notify(pool: &Pool, channel: &str, payload: &str) -> Result<(), Error> {
    sqlx::query("SELECT pg_notify($1, $2)::text").bind(channel).bind(payload).fetch_one(pool).await?;
    Ok(())
}

/// PostgreSQL: a connection listening on one notification channel.
pub struct Listener(sqlx::postgres::PgListener);

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener").finish_non_exhaustive()
    }
}

impl Listener {
    /// Connects to `url` and listens on `channel`.
    pub async fn listen(url: &str, channel: &str) -> Result<Listener, Error> {
        let mut listener = sqlx::postgres::PgListener::connect(url).await?;
        listener.listen(channel).await?;
        Ok(Listener(listener))
    }

    /// The next notification's payload.
    pub async fn recv(&mut self) -> Result<String, Error> {
        Ok(self.0.recv().await?.payload().to_owned())
    }
}
