//! `wait`: pauses the run for a duration (at most 30 days), optionally cut short when the
//! contact replies ("no reply after X" flows). A waiting run is only a timer row.

use super::{KindInfo, PortSpec, StepKind};
use crate::diagnostic::{Code, Diagnostic};
use crate::duration::DurationText;
use crate::machine::{Effect, Input, StepContext, Transition, Wait};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// The longest wait.
pub const MAX_WAIT_DAYS: i64 = 30;

pub const INFO: KindInfo = KindInfo {
    name: "wait",
    title: "Wait",
    description: "Pause for a while, optionally until the contact replies.",
    category: "logic",
    ports: &[("done", "the time passed"), ("interrupted", "the contact replied first")],
    outputs: &[("reply", "what the contact wrote, when interrupted")],
};

/// Configuration of a `wait` step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitStep {
    /// How long, for example `2h` or `3d` (at most 30 days).
    #[serde(rename = "for")]
    pub duration: DurationText,
    /// Leave by `interrupted` as soon as the contact replies.
    #[serde(default)]
    pub interrupt_on_reply: bool,
}

impl StepKind for WaitStep {
    fn ports(&self) -> Vec<PortSpec> {
        let mut ports = vec![PortSpec::optional("done", "Done")];
        if self.interrupt_on_reply {
            ports.push(PortSpec::optional("interrupted", "Replied"));
        }
        ports
    }

    fn outputs(&self) -> Vec<String> {
        vec!["reply".into()]
    }

    fn outputs_on(&self, port: &str, _connected: &BTreeSet<String>) -> Vec<String> {
        if port == "interrupted" {
            vec!["reply".into()]
        } else {
            Vec::new()
        }
    }

    fn start(&self, ctx: &StepContext<'_>) -> Transition {
        let at = crate::duration::after(ctx.now, &self.duration);
        let wait = if self.interrupt_on_reply { Wait::Reply { timeout_at: Some(at) } } else { Wait::Timer { at } };
        Transition::wait(wait, json!({"until": at}), Vec::new())
    }

    fn resume(&self, state: &Value, input: &Input, _ctx: &StepContext<'_>) -> Transition {
        match input {
            Input::TimerFired => Transition::go("done", Vec::new()),
            Input::Reply { message } if self.interrupt_on_reply => Transition::go(
                "interrupted",
                vec![Effect::SetOutput { name: "reply".into(), value: json!(message.text) }],
            ),
            // Not interruptible: a reply does not end the wait.
            Input::Reply { .. } => {
                let at = state.get("until").and_then(|v| serde_json::from_value(v.clone()).ok());
                match at {
                    Some(at) => Transition::wait(Wait::Timer { at }, state.clone(), Vec::new()),
                    None => Transition::fail("wait step lost its deadline"),
                }
            }
            other => Transition::fail(format!("wait cannot handle {other:?}")),
        }
    }

    fn check(&self, out: &mut Vec<Diagnostic>) {
        if self.duration.chrono() > chrono::Duration::days(MAX_WAIT_DAYS) || self.duration.get().is_zero() {
            out.push(Diagnostic::error(
                Code::InvalidValue,
                "/for",
                format!("a wait lasts between 1 second and {MAX_WAIT_DAYS} days"),
            ));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::machine::Next;
    use crate::message::InboundMessage;

    #[test]
    fn waits_then_continues() {
        let c = config("wait", json!({"for": "2h"}));
        let t = with_ctx(&json!({}), &[], 1, |ctx| c.behaviour().start(ctx));
        let at = now() + chrono::Duration::hours(2);
        assert!(matches!(&t.next, Next::Wait { wait: Wait::Timer { at: a }, .. } if *a == at));
        let t =
            with_ctx(&json!({}), &[], 1, |ctx| c.behaviour().resume(&json!({"until": at}), &Input::TimerFired, ctx));
        assert_eq!(port(&t), "done");
    }

    #[test]
    fn a_reply_interrupts_only_when_asked() {
        let reply = Input::Reply { message: InboundMessage::text("hello?") };
        let c = config("wait", json!({"for": "1d", "interrupt_on_reply": true}));
        let t = with_ctx(&json!({}), &[], 1, |ctx| c.behaviour().resume(&json!({}), &reply, ctx));
        assert_eq!(port(&t), "interrupted");
        assert_eq!(output(&t, "reply"), Some(&json!("hello?")));
        let c = config("wait", json!({"for": "1d"}));
        let at = now() + chrono::Duration::days(1);
        let t = with_ctx(&json!({}), &[], 1, |ctx| c.behaviour().resume(&json!({"until": at}), &reply, ctx));
        assert!(matches!(t.next, Next::Wait { .. }));
    }

    #[test]
    fn limits() {
        let mut out = Vec::new();
        config("wait", json!({"for": "31d"})).behaviour().check(&mut out);
        assert_eq!(out.len(), 1);
    }
}
