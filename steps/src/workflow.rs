//! A compiled workflow: the immutable graph of steps the compiler produces and the engine
//! runs. The types only; [`crate::compile`] builds them and [`crate::window`] reads them.

use crate::kinds::{PortSpec, StepConfig};
use crate::trigger::{Settings, Trigger};
use indexmap::IndexMap;
use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeSet;

/// An edge of the compiled graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edge {
    pub port: String,
    /// A jump edge: the only kind allowed to close a loop.
    pub jump: bool,
}

/// One step, compiled.
#[derive(Debug, Clone)]
pub struct CompiledStep {
    pub id: String,
    pub label: Option<String>,
    pub config: StepConfig,
    /// The step's ports as configured.
    pub ports: Vec<PortSpec>,
    /// Port → the id of the step it leads to.
    pub edges: IndexMap<String, String>,
    /// The connected ports, as the state machines see them.
    pub connected: BTreeSet<String>,
    /// The step's node in [`CompiledWorkflow::graph`].
    pub node: NodeIndex,
}

/// A workflow that passed every check. Immutable; share it behind an `Arc`.
#[derive(Debug)]
pub struct CompiledWorkflow {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub trigger: Trigger,
    pub settings: Settings,
    /// The first step; `None` for a workflow with no steps.
    pub start: Option<String>,
    pub steps: IndexMap<String, CompiledStep>,
    /// Nodes are step ids; edges carry their port.
    pub graph: DiGraph<String, Edge>,
    /// Editor positions, kept as written and ignored by the engine.
    pub layout: Option<Value>,
}

impl CompiledWorkflow {
    /// The step called `id`.
    pub fn step(&self, id: &str) -> Option<&CompiledStep> {
        self.steps.get(id)
    }

    /// Where leaving `step` by `port` leads; `None` ends the run.
    pub fn next(&self, step: &str, port: &str) -> Option<&CompiledStep> {
        self.steps.get(step).and_then(|s| s.edges.get(port)).and_then(|t| self.steps.get(t))
    }
}

#[cfg(test)]
mod tests {
    fn is_send_sync<T: Send + Sync>() {}

    #[test]
    fn compiled_workflows_can_be_shared_across_threads() {
        is_send_sync::<super::CompiledWorkflow>();
    }
}
