//! What operators do to runs: stop a workflow (optionally ejecting its runs), cancel runs,
//! retry a failed run (its effects again under their original keys).

use crate::{batch, records, Engine, Error, RunInfo, RunStatus, Wake};

impl Engine {
    /// Stops a workflow: no new runs start. Runs under way finish unless `eject` is set, in
    /// which case they are cancelled.
    pub async fn stop(&self, workflow: &str, eject: bool) -> Result<usize, Error> {
        let mut tx = self.begin().await?;
        let mut batch = batch::Batch::new(self.batch_env(), tx.conn());
        if !store::workflows::set_status(batch.conn, workflow, "stopped", batch.now_ms).await? {
            return Err(Error::NotFound(format!("workflow {workflow}")));
        }
        // Nothing new starts from here on, queued triggers included.
        store::workflows::drop_queued_triggers(batch.conn, workflow).await?;
        let mut ejected = 0;
        if eject {
            let ids = store::runs::under_way_of_workflow(batch.conn, workflow).await?;
            for id in ids {
                let mut run = batch.cache.run(batch.conn, id).await?;
                batch.end(&mut run, RunStatus::Cancelled, Some("the workflow was stopped".into())).await?;
                ejected += 1;
            }
        }
        store::schedules::delete(batch.conn, workflow).await?;
        batch.finish().await?;
        self.commit(tx).await?;
        self.inner.registry.remove_live(workflow);
        self.notify_peers(Wake::Workflows);
        Ok(ejected)
    }

    /// Cancels runs that are under way: one by id, or many by workflow, version and status.
    /// Returns how many were cancelled.
    pub async fn cancel(&self, filter: CancelFilter) -> Result<usize, Error> {
        let mut tx = self.begin().await?;
        let mut batch = batch::Batch::new(self.batch_env(), tx.conn());
        let ids: Vec<i64> = match &filter {
            CancelFilter::Run(id) => vec![*id],
            CancelFilter::Workflow { workflow, version, status } => {
                // The database must be current before it is asked by predicate.
                batch.cache.flush(batch.conn, batch.now_ms).await?;
                // A word that is no status matches no run.
                match status.as_deref().map(str::parse::<RunStatus>).transpose() {
                    Ok(status) => store::runs::under_way_matching(batch.conn, workflow, *version, status).await?,
                    Err(_) => Vec::new(),
                }
            }
        };
        let mut cancelled = 0;
        for id in ids {
            let mut run = batch.cache.run(batch.conn, id).await?;
            if run.status.is_under_way() {
                batch.end(&mut run, RunStatus::Cancelled, Some("cancelled by an operator".into())).await?;
                cancelled += 1;
            }
        }
        batch.finish().await?;
        self.commit(tx).await?;
        Ok(cancelled)
    }

    /// Retries a failed run on an operator's say-so (`by`: who): it re-enters the step it
    /// failed in (a new visit) with its variables as they were, and the journal says so
    /// (`retry`: the step, the error it failed with, who retried, the attempt number and the
    /// keys carried over).
    ///
    /// The policy for effects: the effects of the failed step's entry transition (the message
    /// or HTTP call whose failure, or unknown outcome, failed the run) are performed again
    /// under their original idempotency keys, index by index, so a receiver that deduplicates
    /// sees one effect, never the same one under two keys. Their finished outbox rows give
    /// the keys up (the journal keeps the history; the transcript keeps the old message line,
    /// without its key). A run whose effect is still being performed cannot be retried yet.
    pub async fn retry(&self, run_id: i64, by: &str) -> Result<RunInfo, Error> {
        let mut tx = self.begin().await?;
        let mut batch = batch::Batch::new(self.batch_env(), tx.conn());
        let mut run = batch.cache.run(batch.conn, run_id).await?;
        if run.status != RunStatus::Failed {
            return Err(Error::Refused(format!(
                "run {run_id} is {}, not failed; only failed runs can be retried",
                run.status
            )));
        }
        let Some(step) = run.step.clone() else {
            return Err(Error::Refused(format!("run {run_id} failed before its first step")));
        };
        let reused = self.retried_keys(&mut batch, &run, &step).await?;
        let earlier = store::runs::retries(batch.conn, run_id).await?;
        let reason = run.last_error.take();
        run.status = RunStatus::Running;
        run.ended_at = None;
        run.state = serde_json::Value::Null;
        let keys: Vec<&String> = reused.values().collect();
        let entry = serde_json::json!({
            "step": step, "after": reason, "by": by, "attempt": earlier + 2, "reused_keys": keys,
        });
        batch.cache.journal(&mut run, batch.now_ms, "retry", &entry);
        batch::enter(&mut run, &step);
        batch.reuse_keys = reused.into_iter().map(|(index, key)| ((run_id, index), key)).collect();
        batch.cache.put_run(run);
        batch.work.push_back(batch::Work::Start { run_id });
        let concluded = batch.conclude().await?;
        self.commit_concluded(tx, concluded).await?;
        tracing::info!(run = run_id, %step, %by, "failed run retried");
        self.run(run_id).await
    }

    /// The keys of the effects the failed visit of `step` began with, by effect index, freed
    /// for the retry to carry over (see [`Engine::retry`]).
    async fn retried_keys(
        &self,
        batch: &mut batch::Batch<'_>,
        run: &records::Run,
        step: &str,
    ) -> Result<std::collections::BTreeMap<usize, String>, Error> {
        // Keys are `run:step:visit:seq:index` (batch/effects/mod.rs); the entry transition has the lowest seq.
        let prefix = format!("{}:{}:{}:", run.id, step, run.visit);
        let rows = store::outbox::effect_keys_of_run(batch.conn, run.id).await?;
        let mut found: Vec<(i64, usize, String, Option<String>)> = rows
            .into_iter()
            .filter_map(|store::outbox::EffectKey { idempotency_key: key, status }| {
                let (seq, index) = key.strip_prefix(&prefix)?.split_once(':')?;
                Some((seq.parse().ok()?, index.parse().ok()?, key, status))
            })
            .collect();
        let Some(first) = found.iter().map(|f| f.0).min() else { return Ok(Default::default()) };
        found.retain(|f| f.0 == first);
        if let Some((.., key, _)) = found.iter().find(|f| f.3.as_deref() == Some("pending")) {
            return Err(Error::Refused(format!(
                "run {}'s effect {key} is still being performed; retry the run once it is done",
                run.id
            )));
        }
        let mut keys = std::collections::BTreeMap::new();
        for (_, index, key, _) in found {
            if keys.contains_key(&index) {
                continue;
            }
            store::outbox::give_up_key(batch.conn, &key).await?;
            keys.insert(index, key);
        }
        Ok(keys)
    }
}

/// Which runs to cancel.
#[derive(Debug, Clone, PartialEq)]
pub enum CancelFilter {
    Run(i64),
    /// Every run under way of a workflow; optionally only of one version, and only those
    /// `waiting` (or `running`).
    Workflow {
        workflow: String,
        version: Option<i64>,
        status: Option<String>,
    },
}
