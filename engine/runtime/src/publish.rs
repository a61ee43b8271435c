//! Publishing a workflow: compiled, numbered under the publishing lock, stored as a new
//! immutable version with its schedule, made live here and in the other processes. Drafts,
//! versions and starting again are in `workflows.rs`.

use crate::{schedule, Engine, Error, Wake};

impl Engine {
    /// Compiles and publishes a workflow: a new immutable version that new runs start on.
    /// Runs already under way finish on the version they started on.
    pub async fn publish(&self, source: &str) -> Result<(String, i64), Error> {
        let (id, version, _) = self.publish_new(source, false).await?;
        Ok((id, version))
    }

    /// Publishes `source` as a new version; with `keep_unchanged`, a source that is exactly
    /// the current version's publishes nothing and returns that version with `false` (and a
    /// stopped workflow is started again on it, since publishing means "make this live").
    /// The comparison is made under the publishing lock, so two people publishing the same
    /// unchanged draft at once do not make two versions either.
    pub(crate) async fn publish_new(&self, source: &str, keep_unchanged: bool) -> Result<(String, i64, bool), Error> {
        let compiled = self.compile(source).await;
        let Some(wf) = compiled.workflow else {
            return Err(Error::Invalid(compiled.diagnostics));
        };
        let mut tx = self.begin().await?;
        let now = self.now_ms();
        let conn = tx.conn();
        // Processes publishing the same workflow at once (several starting with one
        // `workflows/` folder) take turns, so versions are numbered without gaps or clashes.
        store::workflows::lock_for_publishing(conn, self.inner.backend, &wf.id).await?;
        let current = store::workflows::current(conn, &wf.id).await?;
        let (current, status) = current.map(|c| (c.current_version, c.status)).unzip();
        let current = current.flatten();
        if let (true, Some(live)) = (keep_unchanged, current) {
            let stored = store::workflows::version_source(conn, &wf.id, live).await?;
            if stored.as_deref() == Some(source) {
                drop(tx);
                if status.as_deref() != Some("published") {
                    self.start(&wf.id).await?;
                }
                return Ok((wf.id.clone(), live, false));
            }
        }
        let version = current.unwrap_or(0) + 1;
        let new = store::workflows::NewVersion {
            id: &wf.id,
            name: &wf.name,
            source,
            version,
            trigger_type: wf.trigger.kind.name(),
            now,
        };
        store::workflows::publish(conn, new).await?;
        schedule::on_publish(conn, &wf, self.inner.timezone, self.inner.clock.now()).await?;
        self.commit(tx).await?;
        self.inner.registry.set_live(&wf.id, version, wf.clone());
        self.notify_peers(Wake::Workflows);
        tracing::info!(workflow = %wf.id, version, "published");
        Ok((wf.id.clone(), version, true))
    }

    /// Publishes `source` unless it is exactly the current version already (so starting the
    /// server with the same `workflows/` folder does not pile up versions). Returns the id,
    /// the live version and whether a new one was published.
    pub async fn publish_if_changed(&self, source: &str) -> Result<(String, i64, bool), Error> {
        let compiled = self.compile(source).await;
        let Some(wf) = compiled.workflow else {
            return Err(Error::Invalid(compiled.diagnostics));
        };
        let current = store::workflows::current_with_source(&self.inner.pool, &wf.id).await?;
        if let Some(live) = current.filter(|live| live.source == source && live.status == "published") {
            return Ok((wf.id.clone(), live.version, false));
        }
        let (id, version) = self.publish(source).await?;
        Ok((id, version, true))
    }
}
