//! `trigger_workflow`: starts another workflow (one whose trigger is `manual`) for this
//! contact, passing variables as its `trigger.vars`. The engine's loop guard refuses a chain
//! that would come back to a workflow already running for this contact.

use super::{json_templates, render_json, KindInfo, PortSpec, StepKind};
use crate::diagnostic::{child, Code, Diagnostic};
use crate::machine::{Effect, Input, Outcome, StepContext, Transition, Wait};
use crate::template::Template;
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub const INFO: KindInfo = KindInfo {
    name: "trigger_workflow",
    title: "Trigger another workflow",
    description: "Start a workflow with a manual trigger for this contact, passing variables.",
    category: "logic",
    ports: &[
        ("next", "the other workflow's run started"),
        ("failure", "it could not start (stopped, unknown, loop guard)"),
    ],
    outputs: &[("run_id", "the started run"), ("error", "why it could not start")],
};

/// Configuration of a `trigger_workflow` step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TriggerWorkflow {
    /// The id of the workflow to start.
    pub workflow: String,
    /// Variables for it, readable there as `trigger.vars.<name>`.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub vars: IndexMap<String, Value>,
}

impl StepKind for TriggerWorkflow {
    fn ports(&self) -> Vec<PortSpec> {
        vec![PortSpec::optional("next", "Next"), PortSpec::optional("failure", "Not started")]
    }

    fn outputs(&self) -> Vec<String> {
        vec!["run_id".into(), "error".into()]
    }

    fn outputs_on(&self, port: &str, _connected: &std::collections::BTreeSet<String>) -> Vec<String> {
        if port == "next" {
            vec!["run_id".into()]
        } else {
            vec!["error".into()]
        }
    }

    fn start(&self, ctx: &StepContext<'_>) -> Transition {
        let mut vars = Map::new();
        for (name, value) in &self.vars {
            match render_json(value, ctx) {
                Ok(v) => {
                    vars.insert(name.clone(), v);
                }
                Err(e) => return Transition::fail(format!("step `{}`: could not fill in `{name}`: {e}", ctx.step_id)),
            }
        }
        Transition::wait(
            Wait::Outcome,
            Value::Null,
            vec![Effect::TriggerWorkflow { workflow: self.workflow.clone(), vars }],
        )
    }

    fn resume(&self, _state: &Value, input: &Input, ctx: &StepContext<'_>) -> Transition {
        match input {
            Input::Outcome { outcome: Outcome::WorkflowTriggered { run_id } } => Transition::go(
                "next",
                vec![Effect::SetOutput { name: "run_id".into(), value: Value::String(run_id.clone()) }],
            ),
            Input::Outcome { outcome: Outcome::TriggerFailed { reason } } => {
                Transition::fail_via(ctx, "failure", reason.clone(), Vec::new())
            }
            other => Transition::fail(format!("trigger_workflow cannot handle {other:?}")),
        }
    }

    fn check(&self, out: &mut Vec<Diagnostic>) {
        if !crate::ids::is_valid_workflow_id(&self.workflow) {
            out.push(Diagnostic::error(
                Code::InvalidId,
                "/workflow",
                format!("`{}` is not a workflow id (lowercase letters, digits, `-` and `_`)", self.workflow),
            ));
        }
        for name in self.vars.keys() {
            if !crate::ids::is_valid_id(name) {
                out.push(Diagnostic::error(
                    Code::InvalidId,
                    child("/vars", name),
                    format!("variable name `{name}` must be a lowercase identifier"),
                ));
            }
        }
    }

    fn value_templates(&self) -> Vec<(String, Template)> {
        let mut out = Vec::new();
        for (name, value) in &self.vars {
            json_templates(value, child("/vars", name), &mut out);
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use serde_json::json;

    #[test]
    fn passes_variables() {
        let c = config("trigger_workflow", json!({"workflow": "csat", "vars": {"reason": "{{steps.why.answer}}"}}));
        let t = with_ctx(&json!({"steps": {"why": {"answer": "late"}}}), &[], 1, |ctx| c.behaviour().start(ctx));
        let mut vars = Map::new();
        vars.insert("reason".into(), json!("late"));
        assert_eq!(t.effects, vec![Effect::TriggerWorkflow { workflow: "csat".into(), vars }]);
        let started = Input::Outcome { outcome: Outcome::WorkflowTriggered { run_id: "r9".into() } };
        let t = with_ctx(&json!({}), &[], 1, |ctx| c.behaviour().resume(&Value::Null, &started, ctx));
        assert_eq!(port(&t), "next");
        assert_eq!(output(&t, "run_id"), Some(&json!("r9")));
        let refused = Input::Outcome { outcome: Outcome::TriggerFailed { reason: "loop guard".into() } };
        let t = with_ctx(&json!({}), &["failure"], 1, |ctx| c.behaviour().resume(&Value::Null, &refused, ctx));
        assert_eq!(port(&t), "failure");
    }
}
