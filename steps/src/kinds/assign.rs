//! `assign`: gives the conversation to an agent — a named one, or one of a team or of the
//! whole workspace chosen by round-robin or fewest open conversations, optionally only
//! online agents under a cap. When nobody qualifies the contact waits in a queue until an
//! agent frees up or the timeout (at most 7 days) sends it out by `timeout`.

use super::{default_true, render, templates_of, KindInfo, PortSpec, StepKind};
use crate::diagnostic::{Code, Diagnostic};
use crate::duration::DurationText;
pub use crate::machine::Strategy;
use crate::machine::{AssignRequest, Effect, Input, Outcome, StepContext, Transition, Wait};
use crate::template::Template;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// The longest a contact may wait in the assignment queue.
pub const MAX_QUEUE_DAYS: i64 = 7;

pub const INFO: KindInfo = KindInfo {
    name: "assign",
    title: "Assign to",
    description: "Assign the conversation to an agent, a team (round-robin or fewest open) or unassign it.",
    category: "conversation",
    ports: &[
        ("assigned", "an agent has the conversation"),
        ("timeout", "nobody qualified before the timeout"),
        ("next", "`to: unassign` only"),
    ],
    outputs: &[("agent_id", "the assigned agent"), ("agent_name", "their name"), ("team", "their team")],
};

/// Whom to assign to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssignTo {
    /// One named agent (`agent:`).
    Agent,
    /// An agent of `team:`.
    Team,
    /// Any agent of the workspace.
    Workspace,
    /// Remove the assignee.
    Unassign,
}

impl AssignTo {
    /// The name as written in files.
    pub fn name(self) -> &'static str {
        match self {
            AssignTo::Agent => "agent",
            AssignTo::Team => "team",
            AssignTo::Workspace => "workspace",
            AssignTo::Unassign => "unassign",
        }
    }
}

pub(crate) fn default_timeout() -> DurationText {
    DurationText::hours(1)
}

/// Configuration of an `assign` step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Assign {
    /// Whom to assign to; when left out, `agent` if an agent is named, `team` if a team is,
    /// else the whole workspace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<AssignTo>,
    /// `to: agent`: the agent's id or email; variables allowed (an account manager from a CRM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<Template>,
    /// `to: team`: the team's id; variables allowed (`support-{{contact.language}}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<Template>,
    /// How to choose among qualifying agents.
    #[serde(default)]
    pub strategy: Strategy,
    /// Only agents who are online.
    #[serde(default = "default_true")]
    pub online_only: bool,
    /// Skip agents who already have this many open conversations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_open: Option<u32>,
    /// How long to wait in the queue when nobody qualifies (at most 7 days).
    #[serde(default = "default_timeout")]
    pub timeout: DurationText,
}

/// The shared queueing logic of `assign` and `escalate`: ask for an agent; if none
/// qualifies, wait in the queue until one does or the timeout passes.
pub(crate) mod queue {
    use super::*;

    pub fn start(request: AssignRequest, effects: Vec<Effect>) -> Transition {
        let mut effects = effects;
        effects.push(Effect::Assign { request });
        Transition::wait(Wait::Outcome, json!({"queued": false}), effects)
    }

    pub fn resume(
        state: &Value,
        input: &Input,
        ctx: &StepContext<'_>,
        timeout: &DurationText,
        ok_port: &str,
    ) -> Transition {
        match input {
            Input::Outcome { outcome: Outcome::Assigned { agent } } => Transition::go(
                ok_port,
                vec![
                    Effect::SetOutput { name: "agent_id".into(), value: json!(agent.id) },
                    Effect::SetOutput { name: "agent_name".into(), value: json!(agent.name) },
                    Effect::SetOutput { name: "team".into(), value: json!(agent.team) },
                ],
            ),
            Input::Outcome { outcome: Outcome::NoAgentAvailable } => {
                // Keep the original deadline if we were already queued and got offered nobody.
                let timeout_at = state
                    .get("timeout_at")
                    .and_then(|v| serde_json::from_value(v.clone()).ok())
                    .unwrap_or_else(|| crate::duration::after(ctx.now, timeout));
                Transition::wait(
                    Wait::Agent { timeout_at },
                    json!({"queued": true, "since": ctx.now, "timeout_at": timeout_at}),
                    Vec::new(),
                )
            }
            Input::TimerFired => Transition::go(
                "timeout",
                vec![Effect::SetOutput { name: "error".into(), value: json!("nobody qualified in time") }],
            ),
            other => Transition::fail(format!("assignment cannot handle {other:?}")),
        }
    }

    pub fn check_timeout(timeout: &DurationText, out: &mut Vec<Diagnostic>) {
        if timeout.chrono() > chrono::Duration::days(MAX_QUEUE_DAYS) || timeout.get().is_zero() {
            out.push(Diagnostic::error(
                Code::InvalidValue,
                "/timeout",
                format!("the queue timeout must be between 1 second and {MAX_QUEUE_DAYS} days"),
            ));
        }
    }
}

/// Whom an `assign` or `escalate` step asks for, when the file spells it out (no variables):
/// the engine checks it against its agents to warn, in the editor, of an assignment that
/// cannot succeed (nobody in the team, nobody online). The compiler cannot: it knows no agents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticTarget {
    /// A named agent (id or email).
    pub agent: Option<String>,
    /// A team; with no agent either, the whole workspace.
    pub team: Option<String>,
    pub online_only: bool,
}

impl StaticTarget {
    /// The field of the step that names the target (`None`: the whole workspace).
    pub fn field(&self) -> Option<&'static str> {
        match (&self.agent, &self.team) {
            (Some(_), _) => Some("agent"),
            (None, Some(_)) => Some("team"),
            (None, None) => None,
        }
    }
}

/// The text of a template without holes; `None` when it depends on the run.
pub(crate) fn static_text(t: &Template) -> Option<String> {
    (t.is_static() && t.error().is_none()).then(|| t.source().trim().to_owned())
}

impl Assign {
    /// Whom the step assigns to when the file says it outright; `None` for `to: unassign` or
    /// a target filled in from variables.
    pub fn static_target(&self) -> Option<StaticTarget> {
        let (agent, team) = match self.target() {
            AssignTo::Unassign => return None,
            AssignTo::Agent => (Some(static_text(self.agent.as_ref()?)?), None),
            AssignTo::Team => (None, Some(static_text(self.team.as_ref()?)?)),
            AssignTo::Workspace => (None, None),
        };
        Some(StaticTarget { agent, team, online_only: self.online_only })
    }

    /// Whom this step assigns to, written or inferred.
    pub fn target(&self) -> AssignTo {
        match (self.to, &self.agent, &self.team) {
            (Some(to), _, _) => to,
            (None, Some(_), _) => AssignTo::Agent,
            (None, None, Some(_)) => AssignTo::Team,
            (None, None, None) => AssignTo::Workspace,
        }
    }

    fn request(&self, ctx: &StepContext<'_>) -> Result<AssignRequest, Transition> {
        let agent = match (&self.agent, self.target()) {
            (Some(t), AssignTo::Agent) => Some(render(t, "agent", ctx)?),
            _ => None,
        };
        let team = match (&self.team, self.target()) {
            (Some(t), AssignTo::Team) => Some(render(t, "team", ctx)?),
            _ => None,
        };
        Ok(AssignRequest {
            agent,
            team,
            strategy: self.strategy,
            online_only: self.online_only,
            max_open: self.max_open,
        })
    }
}

impl StepKind for Assign {
    fn ports(&self) -> Vec<PortSpec> {
        if self.target() == AssignTo::Unassign {
            vec![PortSpec::optional("next", "Next")]
        } else {
            vec![PortSpec::optional("assigned", "Assigned"), PortSpec::required("timeout", "Nobody available")]
        }
    }

    fn outputs(&self) -> Vec<String> {
        vec!["agent_id".into(), "agent_name".into(), "team".into(), "error".into()]
    }

    fn outputs_on(&self, port: &str, _connected: &BTreeSet<String>) -> Vec<String> {
        match port {
            "assigned" => vec!["agent_id".into(), "agent_name".into(), "team".into()],
            "timeout" => vec!["error".into()],
            _ => Vec::new(),
        }
    }

    fn start(&self, ctx: &StepContext<'_>) -> Transition {
        if self.target() == AssignTo::Unassign {
            return Transition::go("next", vec![Effect::Unassign]);
        }
        match self.request(ctx) {
            Ok(request) => queue::start(request, Vec::new()),
            Err(t) => t,
        }
    }

    fn resume(&self, state: &Value, input: &Input, ctx: &StepContext<'_>) -> Transition {
        queue::resume(state, input, ctx, &self.timeout, "assigned")
    }

    fn check(&self, out: &mut Vec<Diagnostic>) {
        let blank = |t: &Option<Template>| t.as_ref().is_none_or(|t| t.source().trim().is_empty());
        let target = self.target();
        match target {
            AssignTo::Agent if blank(&self.agent) => out.push(Diagnostic::error(
                Code::MissingField,
                "/agent",
                "`to: agent` needs `agent:` (an agent id or email)",
            )),
            AssignTo::Team if blank(&self.team) => {
                out.push(Diagnostic::error(Code::MissingField, "/team", "`to: team` needs `team:` (a team id)"))
            }
            _ => {}
        }
        // A team or agent that the chosen target ignores is almost certainly a mistake.
        if self.team.is_some() && target != AssignTo::Team {
            out.push(Diagnostic::error(
                Code::InvalidValue,
                "/team",
                format!("`team` is ignored with `to: {}`", target.name()),
            ));
        }
        if self.agent.is_some() && target != AssignTo::Agent {
            out.push(Diagnostic::error(
                Code::InvalidValue,
                "/agent",
                format!("`agent` is ignored with `to: {}`", target.name()),
            ));
        }
        if self.max_open == Some(0) {
            out.push(Diagnostic::error(Code::InvalidValue, "/max_open", "`max_open: 0` would exclude every agent"));
        }
        queue::check_timeout(&self.timeout, out);
    }

    fn templates(&self) -> Vec<(String, &Template)> {
        templates_of([("/agent", self.agent.as_ref()), ("/team", self.team.as_ref())])
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::machine::{AgentRef, Next};

    #[test]
    fn a_target_spelled_out_in_the_file_is_known_before_any_run() {
        let target = |kind: &str, v: Value| config(kind, v).static_assign_target();
        let team = target("assign", json!({"team": "billing"})).expect("static");
        assert_eq!((team.team.as_deref(), team.online_only, team.field()), (Some("billing"), true, Some("team")));
        let anyone = target("assign", json!({"online_only": false})).expect("the workspace");
        assert_eq!((anyone.field(), anyone.agent, anyone.team, anyone.online_only), (None, None, None, false));
        let sam = target("escalate", json!({"agent": "sam@example.com"})).expect("static");
        assert_eq!((sam.agent.as_deref(), sam.field()), (Some("sam@example.com"), Some("agent")));
        assert_eq!(target("assign", json!({"team": "support-{{contact.language}}"})), None, "known only at run time");
        assert_eq!(target("assign", json!({"to": "unassign"})), None);
        assert_eq!(target("escalate", json!({"priority": "urgent"})), None, "hands over to nobody");
    }

    #[test]
    fn assigns_when_an_agent_qualifies() {
        let c = config("assign", json!({"to": "team", "team": "billing", "strategy": "fewest_open", "max_open": 5}));
        let t = with_ctx(&json!({}), &["timeout"], 1, |ctx| c.behaviour().start(ctx));
        assert_eq!(
            t.effects,
            vec![Effect::Assign {
                request: AssignRequest {
                    agent: None,
                    team: Some("billing".into()),
                    strategy: Strategy::FewestOpen,
                    online_only: true,
                    max_open: Some(5)
                }
            }]
        );
        let agent = AgentRef { id: "a1".into(), name: "Ana".into(), team: Some("billing".into()) };
        let t = with_ctx(&json!({}), &["timeout"], 1, |ctx| {
            c.behaviour().resume(
                &json!({"queued": false}),
                &Input::Outcome { outcome: Outcome::Assigned { agent } },
                ctx,
            )
        });
        assert_eq!(port(&t), "assigned");
        assert_eq!(output(&t, "agent_name"), Some(&json!("Ana")));
    }

    #[test]
    fn queues_then_times_out() {
        let c = config("assign", json!({"timeout": "30m"}));
        let none = Input::Outcome { outcome: Outcome::NoAgentAvailable };
        let t =
            with_ctx(&json!({}), &["timeout"], 1, |ctx| c.behaviour().resume(&json!({"queued": false}), &none, ctx));
        let deadline = now() + chrono::Duration::minutes(30);
        let Next::Wait { wait, state } = &t.next else { panic!("{t:?}") };
        assert_eq!(wait, &Wait::Agent { timeout_at: deadline });
        // Being offered nobody again keeps the same deadline.
        let later = now() + chrono::Duration::minutes(10);
        let t2 = with_ctx_at(&json!({}), &["timeout"], 1, later, |ctx| c.behaviour().resume(state, &none, ctx));
        assert!(matches!(&t2.next, Next::Wait { wait: Wait::Agent { timeout_at }, .. } if *timeout_at == deadline));
        let t3 = with_ctx(&json!({}), &["timeout"], 1, |ctx| c.behaviour().resume(state, &Input::TimerFired, ctx));
        assert_eq!(port(&t3), "timeout");
    }

    #[test]
    fn unassign_has_one_port() {
        let c = config("assign", json!({"to": "unassign"}));
        assert_eq!(c.behaviour().ports().len(), 1);
        let t = with_ctx(&json!({}), &[], 1, |ctx| c.behaviour().start(ctx));
        assert_eq!(t.effects, vec![Effect::Unassign]);
        assert_eq!(port(&t), "next");
    }

    #[test]
    fn checks() {
        let mut out = Vec::new();
        config("assign", json!({"to": "agent", "timeout": "8d"})).behaviour().check(&mut out);
        assert_eq!(out.iter().map(|d| d.code).collect::<Vec<_>>(), vec![Code::MissingField, Code::InvalidValue]);
        let mut out = Vec::new();
        config("assign", json!({"to": "workspace", "team": "billing"})).behaviour().check(&mut out);
        assert_eq!(out.iter().map(|d| d.path.as_str()).collect::<Vec<_>>(), vec!["/team"]);
    }

    #[test]
    fn the_target_is_inferred_from_team_or_agent() {
        let c = config("assign", json!({"team": "support-{{contact.language}}"}));
        let t = with_ctx(&json!({"contact": {"language": "es"}}), &["timeout"], 1, |ctx| c.behaviour().start(ctx));
        assert!(matches!(&t.effects[0], Effect::Assign { request } if request.team.as_deref() == Some("support-es")));
        let c = config("assign", json!({"agent": "ana@example.com"}));
        let t = with_ctx(&json!({}), &["timeout"], 1, |ctx| c.behaviour().start(ctx));
        assert!(
            matches!(&t.effects[0], Effect::Assign { request } if request.agent.as_deref() == Some("ana@example.com"))
        );
    }
}
