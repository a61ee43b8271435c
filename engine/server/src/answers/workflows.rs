//! Answers about workflows: the list, one workflow, drafts saved, publishing, versions and
//! their diff and figures, stop and start, import, compile, the step kinds, webhook secrets.

use super::common::{diagnostics, Diagnostic, PortSpec, Pos, Severity};
use super::Written;
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// A workflow as the list shows it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct WorkflowSummary {
    pub id: String,
    pub name: String,
    /// `draft` (never published), `published` (live) or `stopped`.
    #[schemars(extend("enum" = ["draft", "published", "stopped"]))]
    pub status: String,
    pub trigger_type: Option<String>,
    pub current_version: Option<i64>,
    /// The draft's revision (the name every answer uses: create, save, conflicts' base).
    pub revision: i64,
    pub updated_at: String,
    /// Runs by status (test runs left out).
    #[schemars(with = "BTreeMap<String, i64>")]
    pub runs: Value,
}

impl From<runtime::WorkflowSummary> for WorkflowSummary {
    fn from(w: runtime::WorkflowSummary) -> WorkflowSummary {
        WorkflowSummary {
            id: w.id,
            name: w.name,
            status: w.status,
            trigger_type: w.trigger_type,
            current_version: w.current_version,
            revision: w.revision,
            updated_at: w.updated_at,
            runs: w.runs,
        }
    }
}

/// One workflow with its draft.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct WorkflowDetail {
    #[serde(flatten)]
    pub summary: WorkflowSummary,
    /// The draft's text.
    pub draft: String,
    /// Problems in the draft (publishing is refused while any is an error).
    pub diagnostics: Vec<Diagnostic>,
}

impl From<runtime::WorkflowDetail> for WorkflowDetail {
    fn from(w: runtime::WorkflowDetail) -> WorkflowDetail {
        WorkflowDetail { diagnostics: diagnostics(&w.diagnostics), summary: w.summary.into(), draft: w.draft }
    }
}

/// What saving a draft did.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct DraftSaved {
    pub id: String,
    pub revision: i64,
    pub diagnostics: Vec<Diagnostic>,
}

impl From<runtime::DraftSaved> for DraftSaved {
    fn from(d: runtime::DraftSaved) -> DraftSaved {
        DraftSaved { diagnostics: diagnostics(&d.diagnostics), id: d.id, revision: d.revision }
    }
}

/// What publishing did: the live version, `unchanged` when the draft was that version already.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct Published {
    pub id: String,
    pub version: i64,
    pub unchanged: bool,
}

/// A published version (`source` only when one version is asked for).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&["source"]))]
pub struct VersionInfo {
    pub version: i64,
    pub published_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl From<runtime::VersionInfo> for VersionInfo {
    fn from(v: runtime::VersionInfo) -> VersionInfo {
        VersionInfo { version: v.version, published_at: v.published_at, source: v.source }
    }
}

/// A unified text diff of two versions and which steps were added, removed or changed.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = Written(&[]))]
pub struct VersionDiff {
    pub unified: String,
    pub steps: StepChanges,
}

/// Step ids by what happened to them between two versions.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = Written(&[]))]
pub struct StepChanges {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<String>,
}

/// Per-step run figures of a published version.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct VersionFigures {
    pub workflow_id: String,
    pub version: i64,
    /// Runs by status.
    pub runs: BTreeMap<String, i64>,
    pub steps: BTreeMap<String, StepFigures>,
}

/// Figures for one step.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&["rating", "http_errors"]))]
pub struct StepFigures {
    /// Distinct runs that entered the step (once each, however often they came back).
    pub runs: i64,
    /// Entries into the step: a run that came back by a jump counts once per visit.
    pub visits: i64,
    /// How often each port was taken, counted per visit.
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

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct Rating {
    pub average: f64,
    pub answers: i64,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct HttpErrors {
    pub count: i64,
    /// The latest few reasons, newest first.
    pub latest: Vec<String>,
}

impl From<runtime::VersionFigures> for VersionFigures {
    fn from(f: runtime::VersionFigures) -> VersionFigures {
        let steps = f
            .steps
            .into_iter()
            .map(|(id, s)| {
                let figures = StepFigures {
                    runs: s.runs,
                    visits: s.visits,
                    ports: s.ports,
                    waiting: s.waiting,
                    dropped: s.dropped,
                    rating: s.rating.map(|r| Rating { average: r.average, answers: r.answers }),
                    http_errors: s.http_errors.map(|h| HttpErrors { count: h.count, latest: h.latest }),
                };
                (id, figures)
            })
            .collect();
        VersionFigures { workflow_id: f.workflow_id, version: f.version, runs: f.runs, steps }
    }
}

/// A rollback: the new version, published from `from`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct RolledBack {
    pub id: String,
    pub version: i64,
    pub from: i64,
}

/// A workflow stopped: its status and how many runs under way were cancelled.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct Stopped {
    pub id: String,
    #[schemars(extend("const" = "stopped"))]
    pub status: String,
    pub cancelled: usize,
}

/// A stopped workflow started again, at its live version.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct Restarted {
    pub id: String,
    #[schemars(extend("const" = "published"))]
    pub status: String,
    pub version: i64,
}

/// An import: the draft saved, and the version when it was published too.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct Imported {
    pub draft: DraftSaved,
    pub version: Option<i64>,
    pub unchanged: Option<bool>,
}

/// A draft compiled without saving.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct Compiled {
    pub diagnostics: Vec<Diagnostic>,
    /// Each step's ports as configured (`null` for a step whose config does not parse), in
    /// the file's order.
    pub ports: IndexMap<String, Option<Vec<PortSpec>>>,
    /// What the workspace says about the file: targets of assignments nobody could take now.
    pub warnings: Vec<AssignmentWarning>,
}

/// A warning on an assignment target, shaped like a diagnostic (code `assignment`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct AssignmentWarning {
    pub code: String,
    pub severity: Severity,
    pub message: String,
    pub pos: Option<Pos>,
    pub path: String,
    pub step: String,
    pub help: String,
}

/// A step kind: its ports, outputs and the schema of its settings.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = Written(&[]))]
pub struct KindInfo {
    pub name: String,
    pub title: String,
    pub description: String,
    pub category: String,
    pub ports: Vec<NamedText>,
    pub outputs: Vec<NamedText>,
    /// The JSON Schema of the step's settings.
    pub schema: serde_json::Map<String, Value>,
}

/// A name and what it means.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = Written(&[]))]
pub struct NamedText {
    pub name: String,
    pub description: String,
}

/// A webhook workflow's new signing secret (shown this once) and how to sign with it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct WebhookSecret {
    pub workflow_id: String,
    pub secret: String,
    pub signing: String,
}
