//! `update_fields`: sets contact fields — standard ones (`email`, `lifecycle`, ...) or custom
//! ones (`fields.plan`). Values take variables; a value that is exactly one `{{ }}` keeps
//! its type, so a number answer is stored as a number.

use super::{render_json, KindInfo, StepKind};
use crate::diagnostic::{child, Code, Diagnostic};
use crate::machine::{Effect, StepContext, Transition};
use crate::template::Template;
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub const INFO: KindInfo = KindInfo {
    name: "update_fields",
    title: "Update contact fields",
    description: "Set standard or custom contact fields, including the lifecycle stage.",
    category: "contact",
    ports: &[("next", "after the update")],
    outputs: &[],
};

/// Configuration of an `update_fields` step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateFields {
    /// Field path → value. Paths: `first_name`, `email`, `lifecycle`, `fields.<custom>`, ...
    pub set: IndexMap<String, Value>,
}

impl StepKind for UpdateFields {
    fn start(&self, ctx: &StepContext<'_>) -> Transition {
        let mut set = Map::new();
        for (field, value) in &self.set {
            match render_json(value, ctx) {
                Ok(v) => {
                    set.insert(field.clone(), v);
                }
                Err(e) => return Transition::fail(format!("step `{}`: could not fill in `{field}`: {e}", ctx.step_id)),
            }
        }
        Transition::go("next", vec![Effect::UpdateFields { set }])
    }

    fn check(&self, out: &mut Vec<Diagnostic>) {
        if self.set.is_empty() {
            out.push(Diagnostic::error(Code::MissingField, "/set", "name at least one field to `set`"));
        }
    }

    fn value_templates(&self) -> Vec<(String, Template)> {
        let mut out = Vec::new();
        for (field, value) in &self.set {
            super::json_templates(value, child("/set", field), &mut out);
        }
        out
    }

    fn writes_contact(&self) -> Vec<(String, &str)> {
        self.set.keys().map(|k| (child("/set", k), k.as_str())).collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use serde_json::json;

    #[test]
    fn sets_fields_keeping_types() {
        let c = config(
            "update_fields",
            json!({"set": {"fields.score": "{{steps.rate.answer}}", "lifecycle": "customer", "fields.note": "rated {{steps.rate.answer}}"}}),
        );
        let t = with_ctx(&json!({"steps": {"rate": {"answer": 4}}}), &[], 1, |ctx| c.behaviour().start(ctx));
        let Effect::UpdateFields { set } = &t.effects[0] else { panic!() };
        assert_eq!(set["fields.score"], json!(4));
        assert_eq!(set["lifecycle"], json!("customer"));
        assert_eq!(set["fields.note"], json!("rated 4"));
    }
}
