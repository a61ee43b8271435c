//! Runs on the canvas: per-step figures for one published version, computed from the runs
//! and their journal — how many runs entered each step and how many visits they made to it
//! (a jump back visits a step again), how often each port was left by, who waits there now
//! or ended there early; the average answer of rating questions (CSAT); failed HTTP calls
//! with their latest reasons. Also each run's path (step and port, in order), which the
//! editor draws over the canvas.

use super::{Engine, Error, RunStatus};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use steps::machine::Next;
use store::records::JournalEntry;

/// Figures for one step.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StepFigures {
    /// Distinct runs that entered the step (once each, however often they came back).
    pub runs: i64,
    /// Entries into the step: a run that came back by a jump counts once per visit.
    pub visits: i64,
    /// How often each port was taken, counted per visit (so the ports of a step add up to
    /// its `visits` less those still waiting or dropped there, never to its `runs`).
    pub ports: BTreeMap<String, i64>,
    /// Runs waiting here now.
    pub waiting: i64,
    /// Runs that ended here without completing (failed, exited, cancelled).
    pub dropped: i64,
    /// Rating questions: the average answer and how many answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating: Option<Rating>,
    /// HTTP steps: calls that failed or answered with an error status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_errors: Option<HttpErrors>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rating {
    pub average: f64,
    pub answers: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HttpErrors {
    pub count: i64,
    /// The latest few reasons, newest first.
    pub latest: Vec<String>,
}

/// A version's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionFigures {
    pub workflow_id: String,
    pub version: i64,
    /// Runs by status.
    pub runs: BTreeMap<String, i64>,
    pub steps: BTreeMap<String, StepFigures>,
}

/// How many HTTP error reasons each step reports.
const LATEST_ERRORS: usize = 3;

impl Engine {
    /// Per-step figures of a published version.
    pub async fn version_figures(&self, workflow: &str, version: i64) -> Result<VersionFigures, Error> {
        let mut conn = store::acquire(&self.inner.pool).await?;
        let wf = self.inner.registry.get(&mut conn, workflow, version).await?;
        let mut steps: BTreeMap<String, StepFigures> =
            wf.steps.keys().map(|id| (id.clone(), StepFigures::default())).collect();
        let mut runs = BTreeMap::new();
        let rows = store::analytics::runs_by_status_and_step(&mut conn, workflow, version).await?;
        for store::analytics::StepCount { status, step, n } in rows {
            *runs.entry(status.as_str().to_owned()).or_insert(0) += n;
            if let Some(figures) = step.and_then(|s| steps.get_mut(&s)) {
                match status {
                    RunStatus::Waiting => figures.waiting += n,
                    RunStatus::Failed | RunStatus::Exited | RunStatus::Cancelled => figures.dropped += n,
                    RunStatus::Running | RunStatus::Completed => {}
                }
            }
        }
        // Every transition of the version's runs, read once: entries, ports, outcomes.
        let rows = store::analytics::transitions(&mut conn, workflow, version).await?;
        // A visit spans several transitions (a question asked, then answered): each run and
        // each (run, visit) is counted once per step.
        let mut entered: std::collections::BTreeSet<(i64, String)> = Default::default();
        let mut visited: std::collections::BTreeSet<(i64, String, i64)> = Default::default();
        let mut ratings: BTreeMap<String, (f64, i64)> = BTreeMap::new();
        let mut errors: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for row in rows {
            let run_id = row.run_id;
            let Some(step) = row.step else { continue };
            let visit: i64 = row.visit.unwrap_or(0);
            let data: Value = serde_json::from_str(&row.data).unwrap_or(Value::Null);
            let Some(figures) = steps.get_mut(&step) else { continue };
            if entered.insert((run_id, step.clone())) {
                figures.runs += 1;
            }
            if visited.insert((run_id, step.clone(), visit)) {
                figures.visits += 1;
            }
            if let Ok(Next::Port { port }) = serde_json::from_value(data["next"].clone()) {
                *figures.ports.entry(port).or_insert(0) += 1;
            }
            let kind = wf.step(&step).map(|s| s.config.info().name).unwrap_or_default();
            if kind == "ask" && data["input"]["input"] == "reply" {
                let answer = data["effects"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|e| e["effect"] == "set_output" && e["name"] == "answer")
                    .and_then(|e| e["value"].as_f64());
                if let (Some(answer), true) = (answer, is_rating(&wf, &step)) {
                    let slot = ratings.entry(step.clone()).or_insert((0.0, 0));
                    slot.0 += answer;
                    slot.1 += 1;
                }
            }
            if kind == "http" && data["input"]["input"] == "outcome" {
                let outcome = &data["input"]["outcome"];
                let reason = match outcome["outcome"].as_str() {
                    Some("http_failed") => outcome["reason"].as_str().map(str::to_owned),
                    Some("http_response") => {
                        outcome["status"].as_u64().filter(|s| *s >= 400).map(|s| format!("the server answered {s}"))
                    }
                    _ => None,
                };
                if let Some(reason) = reason {
                    errors.entry(step.clone()).or_default().push(reason);
                }
            }
        }
        for (step, (sum, answers)) in ratings {
            if let Some(f) = steps.get_mut(&step) {
                f.rating = Some(Rating { average: ((sum / answers as f64) * 100.0).round() / 100.0, answers });
            }
        }
        for (step, reasons) in errors {
            if let Some(f) = steps.get_mut(&step) {
                let latest = reasons.iter().rev().take(LATEST_ERRORS).cloned().collect();
                f.http_errors = Some(HttpErrors { count: reasons.len() as i64, latest });
            }
        }
        Ok(VersionFigures { workflow_id: workflow.to_owned(), version, runs, steps })
    }
}

fn is_rating(wf: &steps::CompiledWorkflow, step: &str) -> bool {
    wf.step(step).is_some_and(|s| {
        matches!(&s.config, steps::StepConfig::Ask(ask) if ask.answer_type == steps::kinds::ask::AnswerType::Rating)
    })
}

/// The steps a run went through and the port it left each by, in order.
pub fn path_of(journal: &[JournalEntry]) -> Vec<Value> {
    journal
        .iter()
        .filter(|e| e.kind == "transition")
        .filter_map(|e| match serde_json::from_value(e.data["next"].clone()) {
            Ok(Next::Port { port }) => Some(serde_json::json!({"step": e.step, "port": port})),
            _ => None,
        })
        .collect()
}
