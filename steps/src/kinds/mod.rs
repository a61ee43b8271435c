//! Every step kind, one module each. A kind is three things: its configuration (a serde
//! struct whose JSON Schema drives the editor's form), its ports and outputs, and its state
//! machine (`start` and `resume`, pure functions of config, context and input).
//!
//! To add a kind: write a module with a config struct implementing [`StepKind`] and an
//! `INFO` constant, then add one line to the `kinds!` list below.

pub mod ask;
pub mod assign;
pub mod branch;
pub mod business_hours;
pub mod comment;
pub mod conversation;
pub mod escalate;
pub mod fields;
pub mod http;
pub mod jump;
pub mod send;
pub mod tags;
pub mod trigger_workflow;
pub mod wait;

use crate::condition::Condition;
use crate::diagnostic::Diagnostic;
use crate::machine::{Input, StepContext, Transition};
use crate::template::Template;
use schemars::Schema;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeSet;

/// A port of a configured step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortSpec {
    /// The name edges use in `next:`.
    pub name: String,
    /// What the editor shows on the handle.
    pub label: String,
    /// Must an edge leave from it? (An unconnected optional port ends the run.)
    pub required: bool,
}

impl PortSpec {
    /// An optional port.
    pub fn optional(name: &str, label: &str) -> PortSpec {
        PortSpec { name: name.to_owned(), label: label.to_owned(), required: false }
    }

    /// A port that must be connected.
    pub fn required(name: &str, label: &str) -> PortSpec {
        PortSpec { name: name.to_owned(), label: label.to_owned(), required: true }
    }
}

/// What the documentation, the API and the editor's palette say about a kind.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct KindInfo {
    /// The `kind:` value in files.
    pub name: &'static str,
    /// The palette title.
    pub title: &'static str,
    /// One sentence on what it does.
    pub description: &'static str,
    /// Palette group: `messages`, `conversation`, `logic`, `contact`, `integrations`.
    pub category: &'static str,
    /// Ports with their meaning; `<option>` stands for ports that come from the config.
    pub ports: &'static [(&'static str, &'static str)],
    /// Outputs, readable later as `steps.<id>.<name>`.
    pub outputs: &'static [(&'static str, &'static str)],
}

/// The behaviour every kind provides. Object safe, so the engine can hold any kind.
pub trait StepKind {
    /// The ports of this step as configured, in display order. By default one optional
    /// `next` port: a step that does its work and moves on.
    fn ports(&self) -> Vec<PortSpec> {
        vec![PortSpec::optional("next", "Next")]
    }

    /// The outputs this step records, as configured (an HTTP step adds its mapped names).
    /// By default none.
    fn outputs(&self) -> Vec<String> {
        Vec::new()
    }

    /// The outputs guaranteed to be set when the step leaves by `port` (given which ports
    /// are connected). The compiler uses it to accept `steps.<id>.<output>` only where every
    /// path went through such a port. By default every output is set on every port.
    fn outputs_on(&self, port: &str, connected: &BTreeSet<String>) -> Vec<String> {
        let _ = (port, connected);
        self.outputs()
    }

    /// The run entered the step.
    fn start(&self, ctx: &StepContext<'_>) -> Transition;

    /// An input arrived while the step waited with `state`.
    fn resume(&self, state: &Value, input: &Input, ctx: &StepContext<'_>) -> Transition {
        let _ = (state, ctx);
        Transition::fail(format!("this step does not wait, but received {input:?}"))
    }

    /// Checks beyond the types: ranges, counts, formats. Pointers are relative to the step.
    fn check(&self, out: &mut Vec<Diagnostic>) {
        let _ = out;
    }

    /// Every template in the config, with its pointer relative to the step.
    fn templates(&self) -> Vec<(String, &Template)> {
        Vec::new()
    }

    /// Templates inside JSON values of the config (field updates, JSON bodies), parsed on
    /// demand because those values are kept as plain JSON.
    fn value_templates(&self) -> Vec<(String, Template)> {
        Vec::new()
    }

    /// Every condition in the config, with its pointer relative to the step.
    fn conditions(&self) -> Vec<(String, &Condition)> {
        Vec::new()
    }

    /// Edges that come from the config rather than `next:` (a jump's `to`): port, target
    /// step, pointer of the field.
    fn config_edges(&self) -> Vec<(String, String, String)> {
        Vec::new()
    }

    /// Contact paths this step writes (`email`, `fields.plan`), with pointers, so the compiler
    /// can check they exist.
    fn writes_contact(&self) -> Vec<(String, &str)> {
        Vec::new()
    }

    /// May this step's templates read `{{ secrets.NAME }}`? Only a step whose templates go
    /// to the engine as a request it performs itself (the HTTP step): the engine fills the
    /// secret in at that moment, so it never enters the journal, the run or a message.
    fn takes_secrets(&self) -> bool {
        false
    }
}

/// Why a config did not deserialise: the JSON pointer (relative to the step) and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub pointer: String,
    pub message: String,
}

/// Deserialises `value` as `T`; an error carries the JSON pointer (relative to `value`) of
/// what serde refused. The compiler reads the trigger and the settings with it too.
pub(crate) fn deserialize<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, ConfigError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let mut pointer = String::new();
        for seg in e.path().iter() {
            match seg {
                serde_path_to_error::Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
                serde_path_to_error::Segment::Map { key } => {
                    pointer.push('/');
                    pointer.push_str(&crate::diagnostic::escape_pointer(key));
                }
                serde_path_to_error::Segment::Enum { .. } | serde_path_to_error::Segment::Unknown => {}
            }
        }
        ConfigError { pointer, message: e.into_inner().to_string() }
    })
}

macro_rules! kinds {
    ($( $variant:ident($module:ident :: $ty:ident, $info:ident) ),* $(,)?) => {
        /// The configuration of one step, by kind.
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[serde(untagged)]
        pub enum StepConfig {
            $( $variant($module::$ty), )*
        }

        impl StepConfig {
            /// Every kind's information, in palette order.
            pub const ALL: &'static [KindInfo] = &[$( $module::$info ),*];

            /// Parses the config of a step of kind `kind`; `None` if there is no such kind.
            pub fn parse(kind: &str, config: Value) -> Option<Result<StepConfig, ConfigError>> {
                match kind {
                    $( k if k == $module::$info.name => Some(deserialize::<$module::$ty>(config).map(StepConfig::$variant)), )*
                    _ => None,
                }
            }

            /// The JSON Schema of a kind's config; `None` if there is no such kind.
            pub fn schema(kind: &str) -> Option<Schema> {
                match kind {
                    $( k if k == $module::$info.name => Some(schemars::schema_for!($module::$ty)), )*
                    _ => None,
                }
            }

            /// This config's kind.
            pub fn info(&self) -> &'static KindInfo {
                match self {
                    $( StepConfig::$variant(_) => &$module::$info, )*
                }
            }

            /// The kind's behaviour.
            pub fn behaviour(&self) -> &dyn StepKind {
                match self {
                    $( StepConfig::$variant(c) => c, )*
                }
            }
        }
    };
}

kinds! {
    SendMessage(send::SendMessage, INFO),
    Ask(ask::Ask, INFO),
    Assign(assign::Assign, INFO),
    Escalate(escalate::Escalate, INFO),
    Branch(branch::Branch, INFO),
    Http(http::Http, INFO),
    Wait(wait::WaitStep, INFO),
    BusinessHours(business_hours::BusinessHours, INFO),
    UpdateTags(tags::UpdateTags, INFO),
    UpdateFields(fields::UpdateFields, INFO),
    OpenConversation(conversation::OpenConversation, OPEN_INFO),
    CloseConversation(conversation::CloseConversation, CLOSE_INFO),
    AddComment(comment::AddComment, INFO),
    Jump(jump::Jump, INFO),
    TriggerWorkflow(trigger_workflow::TriggerWorkflow, INFO),
}

impl StepConfig {
    /// Whom an `assign` or `escalate` step asks for, when the file spells it out.
    pub fn static_assign_target(&self) -> Option<assign::StaticTarget> {
        match self {
            StepConfig::Assign(a) => a.static_target(),
            StepConfig::Escalate(e) => e.static_target(),
            _ => None,
        }
    }

    /// Information on the kind called `name`.
    pub fn info_for(name: &str) -> Option<&'static KindInfo> {
        StepConfig::ALL.iter().find(|k| k.name == name)
    }
}

/// The set ones among a config's optional templates, with their pointers, in the order
/// given: `templates_of([("/note", self.note.as_ref()), ("/team", self.team.as_ref())])`.
pub(crate) fn templates_of<'a, const N: usize>(
    fields: [(&str, Option<&'a Template>); N],
) -> Vec<(String, &'a Template)> {
    fields.into_iter().filter_map(|(at, t)| t.map(|t| (at.to_owned(), t))).collect()
}

/// Serde's default for flags that are on unless the file turns them off.
pub(crate) fn default_true() -> bool {
    true
}

/// Renders a template for a step, turning an expression error into a failed run with a
/// message that names the field.
pub(crate) fn render(t: &Template, field: &str, ctx: &StepContext<'_>) -> Result<String, Transition> {
    t.render(ctx.vars)
        .map_err(|e| Transition::fail(format!("step `{}`: could not fill in `{field}`: {e}", ctx.step_id)))
}

/// Renders the string leaves of a JSON value as templates (a single-hole string keeps the
/// variable's type), for field updates, HTTP JSON bodies and workflow variables.
pub(crate) fn render_json(value: &Value, ctx: &StepContext<'_>) -> Result<Value, String> {
    Ok(match value {
        Value::String(s) => {
            let t = Template::parse(s);
            if t.is_static() {
                Value::String(s.clone())
            } else {
                t.render_value(ctx.vars).map_err(|e| e.to_string())?
            }
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| render_json(v, ctx)).collect::<Result<_, _>>()?),
        Value::Object(map) => Value::Object(
            map.iter().map(|(k, v)| Ok((k.clone(), render_json(v, ctx)?))).collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

/// The templates hidden in the string leaves of a JSON value, with pointers.
pub(crate) fn json_templates(value: &Value, at: String, out: &mut Vec<(String, Template)>) {
    match value {
        Value::String(s) => {
            let t = Template::parse(s);
            if !t.is_static() || t.error().is_some() {
                out.push((at, t));
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                json_templates(v, format!("{at}/{i}"), out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                json_templates(v, crate::diagnostic::child(&at, k), out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers for the unit tests at the bottom of each kind's file.
    use super::*;
    use crate::machine::{Effect, Next};
    use chrono::{DateTime, TimeZone, Utc};
    use std::collections::BTreeSet;

    /// A fixed "now": Saturday 2026-11-21 10:00 UTC.
    pub fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 21, 10, 0, 0).single().unwrap_or_default()
    }

    /// Runs `f` with a context over `vars`, the given connected ports and visit count.
    pub fn with_ctx<R>(vars: &Value, ports: &[&str], visit: u32, f: impl FnOnce(&StepContext<'_>) -> R) -> R {
        with_ctx_at(vars, ports, visit, now(), f)
    }

    /// The same at a chosen time.
    pub fn with_ctx_at<R>(
        vars: &Value,
        ports: &[&str],
        visit: u32,
        now: DateTime<Utc>,
        f: impl FnOnce(&StepContext<'_>) -> R,
    ) -> R {
        let connected: BTreeSet<String> = ports.iter().map(|p| (*p).to_owned()).collect();
        let ctx =
            StepContext { step_id: "s", now, timezone: chrono_tz::Europe::Berlin, vars, connected: &connected, visit };
        f(&ctx)
    }

    /// Parses a config of `kind` from JSON, panicking with the error in tests.
    pub fn config(kind: &str, v: Value) -> StepConfig {
        match StepConfig::parse(kind, v) {
            Some(Ok(c)) => c,
            other => panic!("bad test config: {other:?}"),
        }
    }

    /// The port a transition leaves by.
    pub fn port(t: &Transition) -> &str {
        match &t.next {
            Next::Port { port } => port,
            other => panic!("expected a port, got {other:?}"),
        }
    }

    /// The output `name` a transition records.
    pub fn output<'t>(t: &'t Transition, name: &str) -> Option<&'t Value> {
        t.effects.iter().find_map(|e| match e {
            Effect::SetOutput { name: n, value } if n == name => Some(value),
            _ => None,
        })
    }

    /// The text of the first message a transition sends.
    pub fn sent_text(t: &Transition) -> Option<&str> {
        t.effects.iter().find_map(|e| match e {
            Effect::SendMessage { message } => Some(message.text.as_str()),
            _ => None,
        })
    }
}
