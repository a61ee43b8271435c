//! A run's state is a fold over its journal. The engine keeps a snapshot in the `runs` row
//! for speed; [`Engine::rebuild`] recomputes the same state from the journal alone, which
//! is how recovery can be checked (and how a damaged snapshot could be repaired).

use super::{Engine, Error, RunStatus};
use serde_json::{json, Value};
use steps::machine::{Effect, Next};
use store::records::{self, JournalEntry};

/// A run's state as the journal tells it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Rebuilt {
    pub status: RunStatus,
    pub step: Option<String>,
    pub wait_kind: Option<String>,
    /// `{"trigger": ..., "steps": {...}}`, as the run row keeps it.
    pub vars: Value,
    pub seq: i64,
}

impl Engine {
    /// Recomputes a run's state from its journal.
    pub async fn rebuild(&self, run_id: i64) -> Result<Rebuilt, Error> {
        let mut conn = store::acquire(&self.inner.pool).await?;
        let run = records::load_run(&mut conn, run_id).await?;
        let wf = self.inner.registry.get(&mut conn, &run.workflow_id, run.version).await?;
        let journal = records::load_journal(&mut conn, run_id).await?;
        Ok(fold(&journal, |step, port| wf.step(step).and_then(|s| s.edges.get(port).cloned())))
    }
}

/// Folds journal entries into state; `edge(step, port)` says where a port leads.
pub fn fold(journal: &[JournalEntry], edge: impl Fn(&str, &str) -> Option<String>) -> Rebuilt {
    let mut state =
        Rebuilt { status: RunStatus::Running, step: None, wait_kind: None, vars: json!({"steps": {}}), seq: 0 };
    for entry in journal {
        state.seq = entry.seq;
        match entry.kind.as_str() {
            "start" => {
                state.vars["trigger"] = entry.data.get("trigger").cloned().unwrap_or(Value::Null);
            }
            "transition" => {
                let step = entry.step.clone().unwrap_or_default();
                state.step = Some(step.clone());
                let effects: Vec<Effect> =
                    serde_json::from_value(entry.data.get("effects").cloned().unwrap_or(Value::Null))
                        .unwrap_or_default();
                for effect in effects {
                    if let Effect::SetOutput { name, value } = effect {
                        state.vars["steps"][&step][&name] = value;
                    }
                }
                match serde_json::from_value::<Next>(entry.data.get("next").cloned().unwrap_or(Value::Null)) {
                    Ok(Next::Port { port }) => {
                        state.wait_kind = None;
                        state.status = RunStatus::Running;
                        // An unconnected port ends the run where it is.
                        state.step = edge(&step, &port).or(Some(step));
                    }
                    Ok(Next::Wait { wait, .. }) => {
                        state.wait_kind = Some(wait.kind().to_owned());
                        state.status = RunStatus::Waiting;
                    }
                    Ok(Next::Fail { .. }) | Err(_) => {}
                }
            }
            "retry" => {
                state.status = RunStatus::Running;
                state.step = entry.data.get("step").and_then(Value::as_str).map(str::to_owned);
            }
            "end" => {
                state.status = entry
                    .data
                    .get("status")
                    .and_then(Value::as_str)
                    .and_then(|word| word.parse().ok())
                    .unwrap_or(RunStatus::Completed);
                state.wait_kind = None;
            }
            _ => {}
        }
    }
    state
}
