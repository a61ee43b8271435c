//! `runs` and `run_journal` read for the canvas: a version's runs by status and step, and
//! every transition its runs made. The figures are computed by the runtime
//! (`engine/runtime/src/analytics.rs`).

use crate::runs::RunStatus;
use crate::{Conn, Error};

/// How many runs of a version have a status and stand at a step.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StepCount {
    #[sqlx(try_from = "String")]
    pub status: RunStatus,
    pub step: Option<String>,
    pub n: i64,
}

/// How many runs of a version have each status at each step.
pub async fn runs_by_status_and_step(c: &mut Conn, workflow: &str, version: i64) -> Result<Vec<StepCount>, Error> {
    Ok(sqlx::query_as(
        "SELECT status, step, COUNT(*) AS n FROM runs WHERE workflow_id = $1 AND version = $2 GROUP BY status, step",
    )
    .bind(workflow)
    .bind(version)
    .fetch_all(&mut *c)
    .await?)
}

/// One transition of a run, as journaled.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Transition {
    pub run_id: i64,
    pub step: Option<String>,
    pub visit: Option<i64>,
    /// The journal entry's data, as JSON text.
    pub data: String,
}

/// Every transition of a version's runs, by run and in order.
pub async fn transitions(c: &mut Conn, workflow: &str, version: i64) -> Result<Vec<Transition>, Error> {
    Ok(sqlx::query_as(
        "SELECT j.run_id, j.step, j.visit, j.data FROM run_journal j JOIN runs r ON r.id = j.run_id
         WHERE r.workflow_id = $1 AND r.version = $2 AND j.kind = 'transition' ORDER BY j.run_id, j.seq",
    )
    .bind(workflow)
    .bind(version)
    .fetch_all(&mut *c)
    .await?)
}
