//! JSON Schemas: one per step kind (the editor renders its forms from them), one per trigger
//! type, and one for the whole file format (IDEs validate YAML with it). Printed by
//! `switchboard schema`.

use crate::condition::Condition;
use crate::kinds::StepConfig;
use crate::trigger::{Settings, TriggerKind, TRIGGER_TYPES};
use schemars::{schema_for, Schema};
use serde_json::{json, Map, Value};

/// The schema of one step kind's config, with the common step fields (`kind`, `label`,
/// `next`) added, so it validates a whole step as written in a file.
pub fn step_schema(kind: &str) -> Option<Value> {
    let info = StepConfig::info_for(kind)?;
    let mut schema = StepConfig::schema(kind)?.to_value();
    if let Some(obj) = schema.as_object_mut() {
        obj.insert("title".into(), json!(info.title));
        obj.insert("description".into(), json!(info.description));
        let props = obj.entry("properties").or_insert_with(|| json!({}));
        if let Some(props) = props.as_object_mut() {
            props.insert("kind".into(), json!({"const": kind}));
            props.insert("label".into(), json!({"type": "string", "description": "A display name for the canvas."}));
            props.insert(
                "next".into(),
                json!({
                    "description": "Port name → id of the next step; a bare step id is short for `{next: id}`.",
                    "oneOf": [
                        {"type": "object", "additionalProperties": {"type": ["string", "null"]}},
                        {"type": "string"}
                    ]
                }),
            );
        }
        let required = obj.entry("required").or_insert_with(|| json!([]));
        if let Some(r) = required.as_array_mut() {
            r.push(json!("kind"));
        }
    }
    Some(schema)
}

/// Everything the editor needs to know about each kind: name, title, category, ports,
/// outputs and the config schema.
pub fn kinds_catalog() -> Value {
    Value::Array(
        StepConfig::ALL
            .iter()
            .map(|info| {
                json!({
                    "name": info.name,
                    "title": info.title,
                    "description": info.description,
                    "category": info.category,
                    "ports": info.ports.iter().map(|(n, d)| json!({"name": n, "description": d})).collect::<Vec<_>>(),
                    "outputs": info.outputs.iter().map(|(n, d)| json!({"name": n, "description": d})).collect::<Vec<_>>(),
                    "schema": step_schema(info.name),
                })
            })
            .collect(),
    )
}

/// The schema of one trigger type's `trigger:` block (its `type`, options and `conditions`),
/// standing alone: the definitions it refers to come along. `None` for an unknown type.
pub fn trigger_schema(trigger_type: &str) -> Option<Value> {
    let mut root = schema_for!(TriggerKind).to_value();
    let mut defs = match root.as_object_mut().and_then(|o| o.remove("$defs")) {
        Some(Value::Object(d)) => d,
        _ => Map::new(),
    };
    let mut condition = schema_for!(Condition).to_value();
    if let Some(obj) = condition.as_object_mut() {
        if let Some(Value::Object(d)) = obj.remove("$defs") {
            defs.extend(d);
        }
        obj.remove("$schema");
    }
    defs.insert("Condition".into(), condition);
    let variants = root.get_mut("oneOf").and_then(Value::as_array_mut)?;
    let mut schema = variants.iter().find(|v| v["properties"]["type"]["const"] == json!(trigger_type))?.clone();
    let obj = schema.as_object_mut()?;
    obj.insert("$schema".into(), json!("https://json-schema.org/draft/2020-12/schema"));
    obj.insert("title".into(), json!(format!("Trigger `{trigger_type}`")));
    if let Some(props) = obj.get_mut("properties").and_then(Value::as_object_mut) {
        props.insert("conditions".into(), json!({"$ref": "#/$defs/Condition"}));
    }
    obj.insert("$defs".into(), Value::Object(defs));
    Some(schema)
}

/// Every trigger type with its description and schema (`switchboard schema --trigger list`).
pub fn triggers_catalog() -> Value {
    Value::Array(
        TRIGGER_TYPES
            .iter()
            .filter_map(|name| {
                let schema = trigger_schema(name)?;
                Some(json!({"type": name, "description": schema.get("description").cloned(), "schema": schema}))
            })
            .collect(),
    )
}

/// The schema of a whole workflow file.
pub fn workflow_schema() -> Value {
    let mut defs = Map::new();
    let mut lift = |schema: Schema| -> Value {
        let mut v = schema.to_value();
        if let Some(obj) = v.as_object_mut() {
            if let Some(Value::Object(d)) = obj.remove("$defs") {
                defs.extend(d);
            }
            obj.remove("$schema");
        }
        v
    };
    let trigger = lift(schema_for!(TriggerKind));
    let settings = lift(schema_for!(Settings));
    let condition = lift(schema_for!(Condition));
    defs.insert("Condition".into(), condition);
    let mut step_variants = Vec::new();
    for info in StepConfig::ALL {
        if let Some(s) = step_schema(info.name) {
            let mut s = s;
            if let Some(obj) = s.as_object_mut() {
                if let Some(Value::Object(d)) = obj.remove("$defs") {
                    defs.extend(d);
                }
                obj.remove("$schema");
            }
            step_variants.push(s);
        }
    }
    let mut trigger = trigger;
    if let Some(variants) = trigger.get_mut("oneOf").and_then(Value::as_array_mut) {
        for v in variants {
            if let Some(props) = v.get_mut("properties").and_then(Value::as_object_mut) {
                props.insert("conditions".into(), json!({"$ref": "#/$defs/Condition"}));
            }
        }
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://switchboard.dev/schema/workflow-1.json",
        "title": "Switchboard workflow",
        "description": "A workflow: a trigger and steps joined by named ports.",
        "type": "object",
        "required": ["schema", "id", "name", "trigger", "steps"],
        "additionalProperties": false,
        "properties": {
            "schema": {"const": 1, "description": "The file format version."},
            "id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,63}$"},
            "name": {"type": "string"},
            "description": {"type": "string"},
            "trigger": trigger,
            "settings": settings,
            "start": {"type": "string", "description": "The id of the first step."},
            "steps": {
                "type": "object",
                "propertyNames": {"pattern": "^[a-z_][a-z0-9_]{0,63}$"},
                "additionalProperties": {"oneOf": step_variants}
            },
            "layout": {"description": "Editor positions; ignored by the engine."}
        },
        "$defs": defs
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_schema_with_kind_and_next() {
        for info in StepConfig::ALL {
            let s = step_schema(info.name).unwrap();
            assert_eq!(s["properties"]["kind"]["const"], json!(info.name));
            assert!(s["properties"]["next"].is_object());
        }
    }

    #[test]
    fn every_trigger_type_has_a_schema_of_its_own() {
        for name in TRIGGER_TYPES {
            let s = trigger_schema(name).unwrap();
            assert_eq!(s["properties"]["type"]["const"], json!(name), "{s}");
            assert!(s["properties"]["conditions"].is_object());
            assert!(s["$defs"]["Condition"].is_object());
        }
        let shortcut = trigger_schema("shortcut").unwrap();
        assert!(shortcut["$defs"]["FormField"].is_object(), "{shortcut}");
        assert_eq!(trigger_schema("nope"), None);
        assert_eq!(triggers_catalog().as_array().map(Vec::len), Some(TRIGGER_TYPES.len()));
    }

    #[test]
    fn the_file_schema_lists_every_kind() {
        let s = workflow_schema();
        let variants = s["properties"]["steps"]["additionalProperties"]["oneOf"].as_array().unwrap();
        assert_eq!(variants.len(), StepConfig::ALL.len());
        assert!(s["$defs"]["Condition"].is_object());
    }
}
