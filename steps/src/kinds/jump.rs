//! `jump`: goes to another step, backwards or forwards, at most `max_jumps` times per run;
//! after that it leaves by `exhausted` (or ends the run). Jumps are the only way to loop, so
//! every loop in a workflow is bounded.

use super::{KindInfo, PortSpec, StepKind};
use crate::diagnostic::{Code, Diagnostic};
use crate::machine::{Effect, StepContext, Transition};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeSet;

/// The most jumps one jump step may make in one run.
pub const MAX_JUMPS: u32 = 100;
/// The port a jump takes to its target; the edge comes from `to`.
pub const JUMP_PORT: &str = "jump";

pub const INFO: KindInfo = KindInfo {
    name: "jump",
    title: "Jump to",
    description: "Go to another step, at most N times per run, then continue.",
    category: "logic",
    ports: &[("jump", "to the step named in `to`"), ("exhausted", "after `max_jumps` jumps")],
    outputs: &[("count", "jumps made so far, including this one")],
};

fn default_max() -> u32 {
    3
}

/// Configuration of a `jump` step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Jump {
    /// The step to go to.
    pub to: String,
    /// How many times this step may jump in one run (1 to 100).
    #[serde(default = "default_max")]
    #[schemars(range(min = 1, max = 100))]
    pub max_jumps: u32,
}

impl StepKind for Jump {
    fn ports(&self) -> Vec<PortSpec> {
        vec![PortSpec::optional(JUMP_PORT, "Jump"), PortSpec::optional("exhausted", "Limit reached")]
    }

    fn outputs(&self) -> Vec<String> {
        vec!["count".into()]
    }

    fn outputs_on(&self, port: &str, _connected: &BTreeSet<String>) -> Vec<String> {
        if port == JUMP_PORT {
            vec!["count".into()]
        } else {
            Vec::new()
        }
    }

    fn start(&self, ctx: &StepContext<'_>) -> Transition {
        if ctx.visit <= self.max_jumps {
            Transition::go(JUMP_PORT, vec![Effect::SetOutput { name: "count".into(), value: json!(ctx.visit) }])
        } else {
            Transition::go("exhausted", Vec::new())
        }
    }

    fn check(&self, out: &mut Vec<Diagnostic>) {
        if self.max_jumps == 0 || self.max_jumps > MAX_JUMPS {
            out.push(Diagnostic::error(
                Code::InvalidValue,
                "/max_jumps",
                format!("`max_jumps` must be between 1 and {MAX_JUMPS}"),
            ));
        }
    }

    fn config_edges(&self) -> Vec<(String, String, String)> {
        vec![(JUMP_PORT.to_owned(), self.to.clone(), "/to".to_owned())]
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::testing::*;
    use serde_json::json;

    #[test]
    fn jumps_until_the_limit() {
        let c = config("jump", json!({"to": "ask", "max_jumps": 2}));
        let ports: Vec<String> = (1..=3)
            .map(|visit| with_ctx(&json!({}), &["jump"], visit, |ctx| port(&c.behaviour().start(ctx)).to_owned()))
            .collect();
        assert_eq!(ports, vec!["jump", "jump", "exhausted"]);
    }
}
