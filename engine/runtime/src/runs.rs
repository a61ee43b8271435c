//! Runs as callers read them: [`RunInfo`] (with "why is it waiting"), a contact's runs, a
//! run's journal; and handling one outside event directly ([`Engine::handle`]).

use crate::{batch, records, Engine, Error, Event, Handled, RunStatus};

/// A summary of one run, for listings and tests.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RunInfo {
    pub id: i64,
    pub workflow_id: String,
    pub version: i64,
    pub contact_id: i64,
    pub status: RunStatus,
    pub step: Option<String>,
    pub vars: serde_json::Value,
    pub last_error: Option<String>,
    pub waiting: Option<serde_json::Value>,
}

impl From<records::Run> for RunInfo {
    fn from(run: records::Run) -> RunInfo {
        RunInfo {
            waiting: if run.status == RunStatus::Waiting { batch::describe_wait(&run) } else { None },
            id: run.id,
            workflow_id: run.workflow_id,
            version: run.version,
            contact_id: run.contact_id,
            status: run.status,
            step: run.step,
            vars: run.vars,
            last_error: run.last_error,
        }
    }
}

impl Engine {
    /// Handles one outside event in one transaction. A duplicate (same source and id as an
    /// event already accepted) changes nothing.
    pub async fn handle(&self, event: Event) -> Result<Handled, Error> {
        event.check_limits()?;
        self.retry_contention(|| self.handle_once(event.clone())).await
    }

    pub(crate) async fn handle_once(&self, event: Event) -> Result<Handled, Error> {
        let mut tx = self.begin().await?;
        let mut batch = batch::Batch::new(self.batch_env(), tx.conn());
        if let Some(id) = &event.id {
            if !store::inbox::insert_one(batch.conn, &event.source, id, batch.now_ms).await? {
                return Ok(Handled { duplicate: true, ..Handled::default() });
            }
        }
        batch.apply_event(event.kind, &event.verified).await?;
        let concluded = batch.conclude().await?;
        self.commit_concluded(tx, concluded).await
    }

    /// A run with "why is it waiting".
    pub async fn run(&self, id: i64) -> Result<RunInfo, Error> {
        let mut conn = store::acquire(&self.inner.pool).await?;
        Ok(records::load_run(&mut conn, id).await?.into())
    }

    /// Every run of a contact, newest first.
    pub async fn runs_of_contact(&self, contact_id: i64) -> Result<Vec<RunInfo>, Error> {
        let mut conn = store::acquire(&self.inner.pool).await?;
        let runs = records::load_runs_where(&mut conn, "contact_id = $1 ORDER BY id DESC", contact_id).await?;
        Ok(runs.into_iter().map(RunInfo::from).collect())
    }

    /// A run's journal.
    pub async fn journal(&self, run_id: i64) -> Result<Vec<records::JournalEntry>, Error> {
        let mut conn = store::acquire(&self.inner.pool).await?;
        records::load_journal(&mut conn, run_id).await.map_err(Error::from)
    }
}
