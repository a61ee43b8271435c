//! `branch`: up to 9 named branches, each with a condition, tried in order; the first that
//! holds is taken, otherwise `else`. A condition that fails to evaluate fails the run with
//! the reason, rather than silently picking a branch.

use super::{KindInfo, PortSpec, StepKind};
use crate::condition::{Condition, MAX_ROWS_PER_GROUP};
use crate::diagnostic::{Code, Diagnostic};
use crate::machine::{Effect, StepContext, Transition};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The most branches (besides `else`).
pub const MAX_BRANCHES: usize = 9;

pub const INFO: KindInfo = KindInfo {
    name: "branch",
    title: "Branch",
    description: "Route on conditions over contact fields, tags, answers and other variables.",
    category: "logic",
    ports: &[("<branch name>", "one per branch, tried in order"), ("else", "no branch matched")],
    outputs: &[("branch", "the name of the branch taken")],
};

/// One branch: a port name and its condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Arm {
    /// The port name; a lowercase identifier.
    pub name: String,
    /// When to take it.
    pub when: Condition,
}

/// Configuration of a `branch` step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Branch {
    /// The branches, tried in order.
    #[schemars(length(min = 1, max = 9))]
    pub branches: Vec<Arm>,
}

impl StepKind for Branch {
    fn ports(&self) -> Vec<PortSpec> {
        let mut ports: Vec<PortSpec> = self.branches.iter().map(|a| PortSpec::required(&a.name, &a.name)).collect();
        ports.push(PortSpec::optional("else", "Else"));
        ports
    }

    fn outputs(&self) -> Vec<String> {
        vec!["branch".into()]
    }

    fn start(&self, ctx: &StepContext<'_>) -> Transition {
        for arm in &self.branches {
            match arm.when.eval(ctx.vars) {
                Ok(true) => {
                    return Transition::go(
                        arm.name.clone(),
                        vec![Effect::SetOutput { name: "branch".into(), value: json!(arm.name) }],
                    )
                }
                Ok(false) => {}
                Err(e) => {
                    return Transition::fail(format!(
                        "step `{}`: the condition of branch `{}` failed: {e}",
                        ctx.step_id, arm.name
                    ))
                }
            }
        }
        Transition::go("else", vec![Effect::SetOutput { name: "branch".into(), value: json!("else") }])
    }

    fn check(&self, out: &mut Vec<Diagnostic>) {
        if self.branches.is_empty() {
            out.push(Diagnostic::error(Code::MissingField, "/branches", "a branch step needs at least one branch"));
        }
        if self.branches.len() > MAX_BRANCHES {
            out.push(Diagnostic::error(
                Code::TooMany,
                format!("/branches/{MAX_BRANCHES}"),
                format!("at most {MAX_BRANCHES} branches besides `else`; this step has {}", self.branches.len()),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, arm) in self.branches.iter().enumerate() {
            if !crate::ids::is_valid_id(&arm.name) || arm.name == "else" {
                out.push(Diagnostic::error(
                    Code::InvalidId,
                    format!("/branches/{i}/name"),
                    format!(
                        "branch name `{}` {}",
                        arm.name,
                        if arm.name == "else" {
                            "is taken by the else port"
                        } else {
                            crate::vars::identifier_problem(&arm.name)
                        }
                    ),
                ));
            } else if !seen.insert(arm.name.as_str()) {
                out.push(Diagnostic::error(
                    Code::InvalidValue,
                    format!("/branches/{i}/name"),
                    format!("two branches are called `{}`", arm.name),
                ));
            }
            for (at, size) in arm.when.tree.groups() {
                if size > MAX_ROWS_PER_GROUP {
                    out.push(Diagnostic::error(
                        Code::TooMany,
                        format!("/branches/{i}/when{at}/{MAX_ROWS_PER_GROUP}"),
                        format!("at most {MAX_ROWS_PER_GROUP} conditions in a group; this one has {size}"),
                    ));
                }
            }
        }
    }

    fn conditions(&self) -> Vec<(String, &Condition)> {
        self.branches.iter().enumerate().map(|(i, a)| (format!("/branches/{i}/when"), &a.when)).collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::testing::*;
    use crate::machine::Next;
    use serde_json::json;

    fn csat_branch() -> super::super::StepConfig {
        config(
            "branch",
            json!({"branches": [
                {"name": "low", "when": {"field": "steps.rate.answer", "op": "lte", "value": 2}},
                {"name": "vip", "when": {"expression": "contact.tags.contains(\"vip\")"}}
            ]}),
        )
    }

    #[test]
    fn takes_the_first_matching_branch_or_else() {
        let c = csat_branch();
        for (vars, expected) in [
            (json!({"steps": {"rate": {"answer": 1}}, "contact": {"tags": ["vip"]}}), "low"),
            (json!({"steps": {"rate": {"answer": 5}}, "contact": {"tags": ["vip"]}}), "vip"),
            (json!({"steps": {"rate": {"answer": 5}}, "contact": {"tags": []}}), "else"),
        ] {
            let t = with_ctx(&vars, &[], 1, |ctx| c.behaviour().start(ctx));
            assert_eq!(port(&t), expected);
            assert_eq!(output(&t, "branch"), Some(&json!(expected)));
        }
    }

    #[test]
    fn an_expression_error_fails_the_run() {
        let c = csat_branch();
        // `contact.tags` is missing, so `.contains` has nothing to call on.
        let vars = json!({"steps": {"rate": {"answer": 5}}, "contact": {}});
        let t = with_ctx(&vars, &[], 1, |ctx| c.behaviour().start(ctx));
        assert!(matches!(&t.next, Next::Fail { reason } if reason.contains("`vip`")), "{t:?}");
    }

    #[test]
    fn ports_are_the_branch_names_and_else() {
        let names: Vec<String> = csat_branch().behaviour().ports().into_iter().map(|p| p.name).collect();
        assert_eq!(names, vec!["low", "vip", "else"]);
    }
}
