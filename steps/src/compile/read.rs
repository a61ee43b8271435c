//! Pass 2: reading the file. The top level (schema version, id, name), the trigger, the
//! settings and each step: its id, `next`, `label`, `kind`, unknown keys (from the kind's JSON
//! Schema), then serde, then the kind's own `check`. Problems are collected per step rather
//! than stopping at the first. Also [`step_ports`], the same reading for one step of a draft.

use super::diagnostics::with_suggestion;
use super::{CompiledWorkflow, Compiler, StepEntry, SCHEMA_VERSION};
use crate::condition::Condition;
use crate::diagnostic::{child, Code, Diagnostic};
use crate::ids::{is_valid_id, is_valid_workflow_id};
use crate::kinds::{deserialize, ConfigError, PortSpec, StepConfig};
use crate::trigger::{Settings, Trigger, TriggerKind, TRIGGER_TYPES};
use crate::vars;
use indexmap::IndexMap;
use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

/// The top-level keys of a workflow file.
const TOP_LEVEL: &[&str] = &["schema", "id", "name", "description", "trigger", "settings", "start", "steps", "layout"];

/// Sorts a serde message into a diagnostic code.
fn classify(message: &str) -> Code {
    if message.starts_with("missing field") {
        Code::MissingField
    } else if message.starts_with("unknown field") {
        Code::UnknownField
    } else if message.starts_with("invalid type") {
        Code::WrongType
    } else {
        Code::InvalidValue
    }
}

/// Deserialises `value` as `T`, turning an error into a diagnostic under `at`.
fn read<T: serde::de::DeserializeOwned>(c: &mut Compiler, value: Value, at: &str) -> Option<T> {
    match deserialize::<T>(value) {
        Ok(v) => Some(v),
        Err(ConfigError { pointer, message }) => {
            let mut pointer = format!("{at}{pointer}");
            let code = classify(&message);
            // Through an internally tagged enum (the trigger) serde loses the key's path; the
            // message still names it, so point at the key itself.
            if code == Code::UnknownField {
                if let Some(key) = message.split('`').nth(1) {
                    if !pointer.ends_with(&format!("/{}", crate::diagnostic::escape_pointer(key))) {
                        pointer = child(&pointer, key);
                    }
                }
            }
            c.error(code, pointer, message);
            None
        }
    }
}

/// The ports of one step as configured (the options of a choice question, the branches of a
/// branch step), for an editor drawing a draft that may have errors elsewhere. `None` when the
/// step's kind is unknown or its config does not parse; unknown keys are ignored here (the
/// compiler reports them).
pub fn step_ports(step: &Value) -> Option<Vec<PortSpec>> {
    let kind = step.get("kind")?.as_str()?;
    let allowed = allowed_keys(kind);
    let config: Map<String, Value> = step
        .as_object()?
        .iter()
        .filter(|(k, _)| allowed.iter().any(|a| a == *k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let parsed = StepConfig::parse(kind, Value::Object(config))?.ok()?;
    Some(parsed.behaviour().ports())
}

/// The config keys each step kind accepts, computed once from its JSON Schema.
fn allowed_keys(kind: &str) -> &'static [String] {
    static KEYS: OnceLock<HashMap<&'static str, Vec<String>>> = OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        StepConfig::ALL
            .iter()
            .map(|info| {
                let schema = StepConfig::schema(info.name).map(|s| s.to_value()).unwrap_or(Value::Null);
                let keys = schema
                    .get("properties")
                    .and_then(Value::as_object)
                    .map(|p| p.keys().cloned().collect())
                    .unwrap_or_default();
                (info.name, keys)
            })
            .collect()
    });
    keys.get(kind).map(Vec::as_slice).unwrap_or(&[])
}

impl Compiler {
    pub(super) fn workflow(&mut self, value: Value) -> Option<CompiledWorkflow> {
        let Value::Object(mut root) = value else {
            self.error(
                Code::WrongType,
                "",
                "a workflow file is a mapping with `schema`, `id`, `name`, `trigger` and `steps`",
            );
            return None;
        };
        for key in root.keys() {
            if !TOP_LEVEL.contains(&key.as_str()) {
                let d =
                    Diagnostic::error(Code::UnknownField, child("", key), format!("unknown top-level field `{key}`"));
                self.push(with_suggestion(d, key, TOP_LEVEL));
            }
        }
        match root.get("schema") {
            None => self.push(
                Diagnostic::error(Code::SchemaVersion, "", "missing `schema: 1` (the file format version)")
                    .with_help("add `schema: 1` as the first line"),
            ),
            Some(v) if v.as_u64() == Some(SCHEMA_VERSION) => {}
            Some(v) => self.error(
                Code::SchemaVersion,
                "/schema",
                format!("this version of Switchboard reads `schema: {SCHEMA_VERSION}`, not `{v}`"),
            ),
        }
        let id = self.string_field(&root, "id", true).unwrap_or_default();
        if !id.is_empty() && !is_valid_workflow_id(&id) {
            self.error(
                Code::InvalidId,
                "/id",
                format!("workflow id `{id}` must use lowercase letters, digits, `-` and `_`"),
            );
        }
        let name = self.string_field(&root, "name", true).unwrap_or_default();
        let description = self.string_field(&root, "description", false);
        let trigger = match root.remove("trigger") {
            None => {
                self.error(Code::MissingField, "", "missing `trigger`: what starts this workflow");
                None
            }
            Some(v) => self.trigger(v),
        };
        self.trigger_vars = trigger.as_ref().map(|t| t.kind.variables());
        let settings = match root.remove("settings") {
            None | Some(Value::Null) => Some(Settings::default()),
            Some(v) => read::<Settings>(self, v, "/settings"),
        };
        let start = self.string_field(&root, "start", false);
        let entries = match root.remove("steps") {
            None => {
                self.error(Code::MissingField, "", "missing `steps`");
                Vec::new()
            }
            Some(Value::Object(steps)) => {
                // Every id, so that a suggested new name for a bad one is not already taken.
                let ids: BTreeSet<String> = steps.keys().cloned().collect();
                steps.into_iter().filter_map(|(id, v)| self.step(id, v, &ids)).collect()
            }
            Some(_) => {
                self.error(Code::WrongType, "/steps", "`steps` is a mapping from step id to step");
                Vec::new()
            }
        };
        let layout = root.remove("layout");
        let (graph, steps) = self.graph(entries, start.as_deref());
        if let Some(trigger) = &trigger {
            self.trigger_variables(trigger);
        }
        Some(CompiledWorkflow {
            id,
            name,
            description,
            trigger: trigger?,
            settings: settings?,
            start,
            steps,
            graph,
            layout,
        })
    }

    fn string_field(&mut self, root: &Map<String, Value>, key: &str, required: bool) -> Option<String> {
        match root.get(key) {
            None | Some(Value::Null) => {
                if required {
                    self.error(Code::MissingField, "", format!("missing `{key}`"));
                }
                None
            }
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) if key == "name" || key == "description" => Some(n.to_string()),
            Some(_) => {
                self.error(Code::WrongType, child("", key), format!("`{key}` must be text"));
                None
            }
        }
    }

    fn trigger(&mut self, value: Value) -> Option<Trigger> {
        let Value::Object(mut map) = value else {
            self.error(Code::WrongType, "/trigger", "`trigger` is a mapping with a `type`");
            return None;
        };
        // A broken condition is reported, and the rest of the trigger is still checked.
        let conditions = match map.remove("conditions") {
            None | Some(Value::Null) => None,
            Some(v) => read::<Condition>(self, v, "/trigger/conditions"),
        };
        match map.get("type") {
            None => {
                let d = Diagnostic::error(Code::MissingField, "/trigger", "the trigger needs a `type`");
                self.push(d.with_help(format!("one of: {}", TRIGGER_TYPES.join(", "))));
                return None;
            }
            Some(Value::String(t)) if !TRIGGER_TYPES.contains(&t.as_str()) => {
                let d =
                    Diagnostic::error(Code::UnknownTriggerType, "/trigger/type", format!("unknown trigger type `{t}`"));
                let t = t.clone();
                self.push(with_suggestion(d, &t, TRIGGER_TYPES));
                return None;
            }
            Some(Value::String(_)) => {}
            Some(_) => {
                self.error(Code::WrongType, "/trigger/type", "the trigger `type` must be text");
                return None;
            }
        }
        let kind: TriggerKind = read(self, Value::Object(map), "/trigger")?;
        let mut found = Vec::new();
        kind.check(&mut found);
        for mut d in found {
            d.path = format!("/trigger{}", d.path);
            self.push(d);
        }
        Some(Trigger { kind, conditions })
    }

    fn step(&mut self, id: String, value: Value, ids: &BTreeSet<String>) -> Option<StepEntry> {
        let at = child("/steps", &id);
        if !is_valid_id(&id) {
            let problem =
                if vars::is_identifier(&id) { "is longer than 64 characters" } else { vars::identifier_problem(&id) };
            let suggestion = vars::suggest_identifier(&id, |c| ids.contains(c));
            self.push(
                Diagnostic::error(Code::InvalidId, at.clone(), format!("step id `{id}` {problem}"))
                    .with_help(vars::identifier_help(&id, suggestion.as_deref())),
            );
        }
        let Value::Object(mut map) = value else {
            self.error(Code::WrongType, at, format!("step `{id}` must be a mapping with a `kind`"));
            return Some(StepEntry { id, kind: None, label: None, config: None, next: IndexMap::new() });
        };
        let mut next = IndexMap::new();
        match map.remove("next") {
            None | Some(Value::Null) => {}
            Some(Value::Object(ports)) => {
                for (port, target) in ports {
                    match target {
                        Value::String(t) => {
                            next.insert(port, t);
                        }
                        Value::Null => {}
                        _ => self.error(
                            Code::WrongType,
                            child(&child(&at, "next"), &port),
                            "an edge names the id of the next step",
                        ),
                    }
                }
            }
            // `next: some_step` is the short form for a step with one `next` port.
            Some(Value::String(t)) => {
                next.insert("next".to_owned(), t);
            }
            Some(_) => self.error(Code::WrongType, child(&at, "next"), "`next` maps port names to step ids"),
        }
        let label = match map.remove("label") {
            Some(Value::String(s)) => Some(s),
            None | Some(Value::Null) => None,
            Some(_) => {
                self.error(Code::WrongType, child(&at, "label"), "`label` must be text");
                None
            }
        };
        let kind = match map.remove("kind") {
            Some(Value::String(k)) => k,
            None => {
                let d = Diagnostic::error(Code::MissingField, at, format!("step `{id}` has no `kind`"));
                self.push(with_suggestion(d, "", &kind_names()));
                return Some(StepEntry { id, kind: None, label, config: None, next });
            }
            Some(_) => {
                self.error(Code::WrongType, child(&at, "kind"), "`kind` must be text");
                return Some(StepEntry { id, kind: None, label, config: None, next });
            }
        };
        if StepConfig::info_for(&kind).is_none() {
            let d = Diagnostic::error(Code::UnknownStepKind, child(&at, "kind"), format!("unknown step kind `{kind}`"));
            self.push(with_suggestion(d, &kind, &kind_names()));
            return Some(StepEntry { id, kind: Some(kind), label, config: None, next });
        }
        // Report every unknown key first, then let serde find type errors in the rest.
        let allowed = allowed_keys(&kind);
        let unknown: Vec<String> = map.keys().filter(|k| !allowed.iter().any(|a| a == *k)).cloned().collect();
        for key in unknown {
            map.remove(&key);
            let d = Diagnostic::error(
                Code::UnknownField,
                child(&at, &key),
                format!("a step of kind `{kind}` has no field `{key}`"),
            );
            let candidates: Vec<&str> = allowed.iter().map(String::as_str).chain(["kind", "label", "next"]).collect();
            self.push(with_suggestion(d, &key, &candidates));
        }
        let config = match StepConfig::parse(&kind, Value::Object(map)) {
            Some(Ok(config)) => {
                let mut found = Vec::new();
                config.behaviour().check(&mut found);
                for mut d in found {
                    d.path = format!("{at}{}", d.path);
                    d.step = Some(id.clone());
                    self.push(d);
                }
                Some(config)
            }
            Some(Err(e)) => {
                self.error(classify(&e.message), format!("{at}{}", e.pointer), e.message);
                None
            }
            None => None,
        };
        Some(StepEntry { id, kind: Some(kind), label, config, next })
    }
}

/// Every step kind's name.
fn kind_names() -> Vec<&'static str> {
    StepConfig::ALL.iter().map(|k| k.name).collect()
}
