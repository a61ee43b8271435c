//! The compiler: workflow text in, an immutable graph out — or every problem at once, each
//! with a stable code and a location. Passes, in order:
//!
//! 1. load the YAML/JSON with a source map ([`crate::source`]);
//! 2. read the top level, the trigger, the settings and each step, collecting problems per
//!    step instead of stopping at the first (`read.rs`);
//! 3. build a petgraph of steps and port edges; check ports, targets and required ports
//!    (`graph.rs`);
//! 4. reachability from `start`, and loops not bounded by a jump (Tarjan's SCCs on the graph
//!    without jump edges) (`graph.rs`);
//! 5. variable availability: `steps.ask_lang.answer` is accepted only where every path from
//!    `start` leaves `ask_lang` by a port that sets `answer` (the reader is unreachable once
//!    those edges are removed) (`variables.rs`);
//! 6. templates, conditions and expressions: syntax and variables (`variables.rs`).
//!
//! `diagnostics.rs` holds the helpers every pass reports through: "did you mean" hints and the
//! position of a problem in the text. The types it produces live in [`crate::workflow`] and
//! the id rules in [`crate::ids`]; both are re-exported here so `steps::compile::*` keeps
//! working.

mod diagnostics;
mod graph;
mod read;
#[cfg(test)]
mod tests;
mod variables;

use crate::diagnostic::{Code, Diagnostic};
use crate::kinds::StepConfig;
use crate::source::{self, SourceMap};
use indexmap::IndexMap;
use std::sync::Arc;

pub use crate::ids::{is_valid_id, is_valid_workflow_id};
pub use crate::workflow::{CompiledStep, CompiledWorkflow, Edge};
pub use read::step_ports;

/// The only file format version so far.
pub const SCHEMA_VERSION: u64 = 1;

/// The result of compiling: the workflow when there were no errors, and every diagnostic
/// (errors and warnings) in file order.
#[derive(Debug)]
pub struct Compilation {
    pub workflow: Option<Arc<CompiledWorkflow>>,
    pub diagnostics: Vec<Diagnostic>,
    /// The source map, for tools that want more positions (the editor's field mapping).
    pub source_map: SourceMap,
}

impl Compilation {
    /// Are there errors?
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// One step as read from the file, before the graph exists.
struct StepEntry {
    id: String,
    /// The `kind` as written, when it was text.
    kind: Option<String>,
    label: Option<String>,
    config: Option<StepConfig>,
    next: IndexMap<String, String>,
}

/// The state the passes share: the problems found so far and what the trigger provides.
struct Compiler {
    diags: Vec<Diagnostic>,
    /// The variables the trigger provides; `None` when the trigger did not parse, in which
    /// case `trigger.*` paths are not checked rather than all reported.
    trigger_vars: Option<Vec<String>>,
}

impl Compiler {
    fn error(&mut self, code: Code, path: impl Into<String>, message: impl Into<String>) {
        self.diags.push(Diagnostic::error(code, path, message));
    }

    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }
}

/// Compiles workflow text (YAML or JSON).
pub fn compile(text: &str) -> Compilation {
    let loaded = source::load(text);
    let mut c = Compiler { diags: loaded.diagnostics, trigger_vars: None };
    let workflow = loaded.value.and_then(|v| c.workflow(v));
    if let Some(wf) = &workflow {
        c.diags.extend(crate::window::warnings(wf));
    }
    let mut diagnostics = c.diags;
    diagnostics::place(&mut diagnostics, &loaded.map, text);
    diagnostics.sort_by_key(|d| (d.pos, d.code));
    diagnostics.dedup();
    let workflow = if diagnostics.iter().any(Diagnostic::is_error) { None } else { workflow.map(Arc::new) };
    Compilation { workflow, diagnostics, source_map: loaded.map }
}
