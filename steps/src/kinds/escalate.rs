//! `escalate`: raises the conversation's priority, leaves an internal note, notifies, and
//! hands the conversation to a senior agent or team through the same queue as `assign`.

use super::assign::{default_timeout, queue};
use super::{default_true, render, templates_of, KindInfo, PortSpec, StepKind};
use crate::diagnostic::{Code, Diagnostic};
use crate::duration::DurationText;
pub use crate::machine::Priority;
use crate::machine::{AssignRequest, Effect, Input, StepContext, Strategy, Transition};
use crate::template::Template;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;

pub const INFO: KindInfo = KindInfo {
    name: "escalate",
    title: "Escalate",
    description: "Raise priority, add an internal note, notify, and hand over to a senior agent or team.",
    category: "conversation",
    ports: &[
        ("escalated", "done (and assigned, if a team or agent was named)"),
        ("timeout", "nobody qualified in time"),
    ],
    outputs: &[("agent_id", "the agent it went to"), ("agent_name", "their name"), ("team", "their team")],
};

fn default_priority() -> Option<Priority> {
    Some(Priority::High)
}

/// Configuration of an `escalate` step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Escalate {
    /// The new priority (default `high`); `null` leaves it alone.
    #[serde(default = "default_priority")]
    pub priority: Option<Priority>,
    /// Hand over to an agent of this team (for example `supervisors`); variables allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<Template>,
    /// Or to this agent (id or email; variables allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<Template>,
    /// How to choose within the team.
    #[serde(default)]
    pub strategy: Strategy,
    /// Only online agents.
    #[serde(default = "default_true")]
    pub online_only: bool,
    /// An internal note for agents; variables allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Template>,
    /// A notification to the agents it goes to; variables allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<Template>,
    /// How long to wait for a qualifying agent (at most 7 days).
    #[serde(default = "default_timeout")]
    pub timeout: DurationText,
}

impl Escalate {
    fn hands_over(&self) -> bool {
        self.team.is_some() || self.agent.is_some()
    }

    /// Whom the step hands over to when the file says it outright; `None` when it hands over
    /// to nobody (priority, note) or the target is filled in from variables.
    pub fn static_target(&self) -> Option<super::assign::StaticTarget> {
        let text = super::assign::static_text;
        let (agent, team) = match (&self.agent, &self.team) {
            (Some(a), _) => (Some(text(a)?), None),
            (None, Some(t)) => (None, Some(text(t)?)),
            (None, None) => return None,
        };
        Some(super::assign::StaticTarget { agent, team, online_only: self.online_only })
    }
}

impl StepKind for Escalate {
    fn ports(&self) -> Vec<PortSpec> {
        let mut ports = vec![PortSpec::optional("escalated", "Escalated")];
        if self.hands_over() {
            ports.push(PortSpec::required("timeout", "Nobody available"));
        }
        ports
    }

    fn outputs(&self) -> Vec<String> {
        vec!["agent_id".into(), "agent_name".into(), "team".into(), "error".into()]
    }

    fn outputs_on(&self, port: &str, _connected: &BTreeSet<String>) -> Vec<String> {
        match port {
            "escalated" if self.hands_over() => vec!["agent_id".into(), "agent_name".into(), "team".into()],
            "timeout" => vec!["error".into()],
            _ => Vec::new(),
        }
    }

    fn start(&self, ctx: &StepContext<'_>) -> Transition {
        let mut effects = Vec::new();
        if let Some(priority) = self.priority {
            effects.push(Effect::SetPriority { priority });
        }
        if let Some(note) = &self.note {
            match render(note, "note", ctx) {
                Ok(text) => effects.push(Effect::AddComment { text }),
                Err(t) => return t,
            }
        }
        if let Some(notify) = &self.notify {
            match render(notify, "notify", ctx) {
                Ok(text) => effects.push(Effect::Notify { text }),
                Err(t) => return t,
            }
        }
        if !self.hands_over() {
            return Transition::go("escalated", effects);
        }
        let agent = match &self.agent {
            Some(t) => match render(t, "agent", ctx) {
                Ok(a) => Some(a),
                Err(t) => return t,
            },
            None => None,
        };
        let team = match (&self.team, &agent) {
            (Some(t), None) => match render(t, "team", ctx) {
                Ok(team) => Some(team),
                Err(t) => return t,
            },
            _ => None,
        };
        let request =
            AssignRequest { agent, team, strategy: self.strategy, online_only: self.online_only, max_open: None };
        queue::start(request, effects)
    }

    fn resume(&self, state: &Value, input: &Input, ctx: &StepContext<'_>) -> Transition {
        queue::resume(state, input, ctx, &self.timeout, "escalated")
    }

    fn check(&self, out: &mut Vec<Diagnostic>) {
        if self.team.is_some() && self.agent.is_some() {
            out.push(Diagnostic::error(Code::InvalidValue, "/agent", "name a `team` or an `agent`, not both"));
        }
        queue::check_timeout(&self.timeout, out);
    }

    fn templates(&self) -> Vec<(String, &Template)> {
        templates_of([
            ("/note", self.note.as_ref()),
            ("/notify", self.notify.as_ref()),
            ("/agent", self.agent.as_ref()),
            ("/team", self.team.as_ref()),
        ])
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::machine::{AgentRef, Next, Outcome};
    use serde_json::json;

    #[test]
    fn raises_priority_notes_and_hands_over() {
        let c = config("escalate", json!({"team": "supervisors", "note": "Low score: {{steps.rate.answer}}"}));
        let vars = json!({"steps": {"rate": {"answer": 1}}});
        let t = with_ctx(&vars, &["escalated", "timeout"], 1, |ctx| c.behaviour().start(ctx));
        assert_eq!(t.effects[0], Effect::SetPriority { priority: Priority::High });
        assert_eq!(t.effects[1], Effect::AddComment { text: "Low score: 1".into() });
        assert!(matches!(&t.effects[2], Effect::Assign { request } if request.team.as_deref() == Some("supervisors")));
        assert!(matches!(t.next, Next::Wait { .. }));
        let agent = AgentRef { id: "sup".into(), name: "Sam".into(), team: Some("supervisors".into()) };
        let t = with_ctx(&vars, &["escalated", "timeout"], 1, |ctx| {
            c.behaviour().resume(&json!({}), &Input::Outcome { outcome: Outcome::Assigned { agent } }, ctx)
        });
        assert_eq!(port(&t), "escalated");
    }

    #[test]
    fn nobody_free_queues_then_leaves_by_timeout() {
        let c = config("escalate", json!({"agent": "{{steps.crm.manager}}", "timeout": "15m"}));
        let vars = json!({"steps": {"crm": {"manager": "sam@example.com"}}});
        let t = with_ctx(&vars, &["timeout"], 1, |ctx| c.behaviour().start(ctx));
        assert!(
            matches!(&t.effects[1], Effect::Assign { request } if request.agent.as_deref() == Some("sam@example.com") && request.team.is_none())
        );
        let none = Input::Outcome { outcome: Outcome::NoAgentAvailable };
        let t = with_ctx(&vars, &["timeout"], 1, |ctx| c.behaviour().resume(&json!({}), &none, ctx));
        let deadline = now() + chrono::Duration::minutes(15);
        assert!(
            matches!(&t.next, Next::Wait { wait: crate::machine::Wait::Agent { timeout_at }, .. } if *timeout_at == deadline)
        );
        let t = with_ctx(&vars, &["timeout"], 1, |ctx| c.behaviour().resume(&json!({}), &Input::TimerFired, ctx));
        assert_eq!(port(&t), "timeout");
    }

    #[test]
    fn without_a_team_it_only_flags() {
        let c = config("escalate", json!({"priority": "urgent"}));
        let t = with_ctx(&json!({}), &[], 1, |ctx| c.behaviour().start(ctx));
        assert_eq!(t.effects, vec![Effect::SetPriority { priority: Priority::Urgent }]);
        assert_eq!(port(&t), "escalated");
        assert_eq!(c.behaviour().ports().len(), 1);
    }
}
