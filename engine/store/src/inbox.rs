//! `inbox`: the senders' event ids already accepted (source and id), so a redelivery is
//! recognised as a duplicate; pruned after the retention the runtime sets
//! (`engine/runtime/src/queue.rs`).

use crate::{Backend, Conn, Error, Sql};

/// Rows per multi-row statement.
const CHUNK: usize = 400;

/// Records one event id; returns whether it was new.
pub async fn insert_one(c: &mut Conn, source: &str, event_id: &str, now: i64) -> Result<bool, Error> {
    let inserted =
        sqlx::query("INSERT INTO inbox (source, event_id, received_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(source)
            .bind(event_id)
            .bind(now)
            .execute(&mut *c)
            .await?
            .rows_affected();
    Ok(inserted > 0)
}

/// Records event ids (source, id); returns those that were new.
pub async fn insert_new(
    c: &mut Conn,
    backend: Backend,
    ids: &[(&str, &str)],
    now: i64,
) -> Result<Vec<(String, String)>, Error> {
    let mut fresh = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let mut q = Sql::new(backend, "INSERT INTO inbox (source, event_id, received_at) ");
        q.push_values(chunk.iter(), |mut b, (source, id)| {
            b.push_bind(*source).push_bind(*id).push_bind(now);
        });
        q.push(" ON CONFLICT DO NOTHING RETURNING source, event_id");
        let inserted: Vec<(String, String)> = q.build_query_as().fetch_all(&mut *c).await?;
        fresh.extend(inserted);
    }
    Ok(fresh)
}

/// Forgets up to `page` event ids received before `cutoff`; returns how many.
pub async fn prune(c: &mut Conn, cutoff: i64, page: i64) -> Result<u64, Error> {
    Ok(sqlx::query(
        "DELETE FROM inbox WHERE (source, event_id) IN
             (SELECT source, event_id FROM inbox WHERE received_at < $1 LIMIT $2)",
    )
    .bind(cutoff)
    .bind(page)
    .execute(&mut *c)
    .await?
    .rows_affected())
}
