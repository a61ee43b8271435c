//! A step's effects on the flow itself: outputs for later steps (`steps.<id>.<name>`), and
//! starting another workflow (a manual one, under the loop guard).

use super::{chain, World};
use crate::batch::loop_guard::{LoopGuard, MAX_ORIGIN_DEPTH};
use crate::batch::{Batch, Start};
use crate::Error;
use serde_json::{json, Map, Value};
use steps::machine::Outcome;
use store::records::Run;

/// Keeps `value` as the current step's output `name`.
pub(super) fn set_output(run: &mut Run, name: &str, value: &Value) {
    let step = run.step.clone().unwrap_or_default();
    let steps = run.vars.as_object_mut().map(|m| m.entry("steps").or_insert_with(|| json!({})));
    if let Some(Value::Object(steps)) = steps {
        if let Value::Object(outputs) = steps.entry(step).or_insert_with(|| json!({})) {
            outputs.insert(name.to_owned(), value.clone());
        }
    }
}

impl Batch<'_> {
    /// Starts `workflow` (which must have a manual trigger) for the run's contact; the
    /// outcome says whether it started and, if not, why.
    pub(super) async fn trigger_workflow(
        &mut self,
        run: &Run,
        world: &World,
        workflow: &str,
        vars: &Map<String, Value>,
    ) -> Result<Outcome, Error> {
        let mut chain = chain(run);
        if let Some(guard) = LoopGuard::check(workflow, &chain) {
            let reason = match guard {
                LoopGuard::SelfTrigger => {
                    format!("loop guard: `{workflow}` is already part of this chain ({})", chain.join(" → "))
                }
                LoopGuard::ChainLength => {
                    format!("loop guard: chain length limit ({MAX_ORIGIN_DEPTH} workflows already started each other)")
                }
            };
            self.loop_guarded(run.contact_id, workflow, &chain, guard);
            return Ok(Outcome::TriggerFailed { reason });
        }
        if world.contact.test_workflow.is_some() {
            let reason = format!("a test chat starts no other workflow (`{workflow}` was not started)");
            return Ok(Outcome::TriggerFailed { reason });
        }
        let Some((version, target)) = self.env.registry.live(workflow) else {
            return Ok(Outcome::TriggerFailed { reason: format!("workflow `{workflow}` is not published") });
        };
        if target.trigger.kind.name() != "manual" {
            let reason = format!("workflow `{workflow}` has a `{}` trigger, not `manual`", target.trigger.kind.name());
            return Ok(Outcome::TriggerFailed { reason });
        }
        let caller = json!({"workflow": run.workflow_id, "run_id": run.id.to_string()});
        let trigger = json!({"type": "manual", "vars": vars, "caller": caller});
        chain.truncate(MAX_ORIGIN_DEPTH);
        match self.try_start(workflow, version, &target, run.contact_id, trigger, chain).await? {
            Start::Started(run_id) => Ok(Outcome::WorkflowTriggered { run_id: run_id.to_string() }),
            Start::Queued => Ok(Outcome::TriggerFailed {
                reason: format!("the contact is already in `{workflow}`; the start is queued"),
            }),
            Start::Refused(reason) => Ok(Outcome::TriggerFailed { reason }),
        }
    }
}
