//! The processes sharing one store: registering this one (`workers`), its id, and on
//! PostgreSQL the notifications (LISTEN/NOTIFY) by which a process that committed work wakes
//! the others' loops. Leases of outbox rows are renewed by the leases loop (`outbox.rs`).

use crate::{Engine, Error, ERROR_BACKOFF};
use std::time::Duration;
use store::Backend;

/// The PostgreSQL notification channel processes wake each other on.
const NOTIFY_CHANNEL: &str = "switchboard";
/// On PostgreSQL, how often an idle loop looks for work another process committed, in case
/// a notification was missed.
pub(crate) const PEER_POLL: Duration = Duration::from_secs(2);

/// Which loop a notification is for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Wake {
    Queue,
    Outbox,
    Timers,
    /// A workflow was published or stopped: the live set changed.
    Workflows,
    /// A channel connection was added, changed or removed.
    Channels,
}

impl Wake {
    fn as_str(self) -> &'static str {
        match self {
            Wake::Queue => "queue",
            Wake::Outbox => "outbox",
            Wake::Timers => "timers",
            Wake::Workflows => "workflows",
            Wake::Channels => "channels",
        }
    }
}

impl Engine {
    /// Says this process shares the store. An SQLite store has one process, so leases held
    /// by an earlier life of it (a crash) are void at once; on PostgreSQL they run out.
    pub(crate) async fn register_worker(&self) -> Result<(), Error> {
        let now = self.now_ms();
        let mut tx = self.begin().await?;
        if self.inner.backend == Backend::Sqlite {
            store::outbox::free_all_leases(tx.conn()).await?;
            store::peers::forget_all(tx.conn()).await?;
        }
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into());
        store::peers::register(tx.conn(), &self.inner.worker, &host, i64::from(std::process::id()), now).await?;
        tx.commit().await?;
        tracing::info!(worker = %self.inner.worker, backend = ?self.inner.backend, "engine process registered");
        Ok(())
    }

    /// PostgreSQL: tells the other processes (LISTEN/NOTIFY) that work of this kind was
    /// committed, so an idle one picks it up at once instead of at its next poll.
    pub(crate) fn notify_peers(&self, what: Wake) {
        if self.inner.backend != Backend::Postgres {
            return;
        }
        let pool = self.inner.pool.clone();
        tokio::spawn(async move {
            if let Err(e) = store::peers::notify(&pool, NOTIFY_CHANNEL, what.as_str()).await {
                tracing::debug!(error = %e, "could not notify other processes (they poll)");
            }
        });
    }

    /// PostgreSQL: wakes this process's loops when another process commits work for them.
    /// If the listening connection drops, the loops still poll (every [`PEER_POLL`]).
    pub(crate) async fn listen_to_peers(&self) {
        loop {
            let listener = async {
                let mut listener =
                    store::peers::Listener::listen(self.inner.database_url.expose(), NOTIFY_CHANNEL).await?;
                loop {
                    let payload = listener.recv().await?;
                    match payload.as_str() {
                        "queue" => self.inner.queue_wake.notify_one(),
                        "outbox" => self.wake_outbox(crate::batch::OutboxLanes::ALL),
                        "workflows" => {
                            if let Err(e) = self.inner.registry.refresh(&self.inner.pool).await {
                                tracing::warn!(error = %e, "reloading the live workflows failed");
                            }
                        }
                        "channels" => {
                            if let Err(e) = self.inner.connections.load(&self.inner.pool).await {
                                tracing::warn!(error = %e, "reloading the channel connections failed");
                            }
                        }
                        _ => self.wake_timer_loops(),
                    }
                }
                #[allow(unreachable_code)]
                Ok::<(), store::Error>(())
            };
            if let Err(e) = listener.await {
                tracing::warn!(error = %e, "listening for other processes failed; polling meanwhile");
            }
            tokio::time::sleep(ERROR_BACKOFF).await;
        }
    }
}

/// A process id that stays unique across restarts and machines: host, pid and a random part.
pub(crate) fn worker_id() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into());
    let mut random = [0u8; 4];
    let _ = getrandom::fill(&mut random);
    format!("{host}-{}-{}", std::process::id(), hex::encode(random))
}
