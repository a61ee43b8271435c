//! `update_tags`: adds and removes contact tags. Tag names take variables, so a flow can tag
//! a contact with an answer (`lang-{{steps.ask_lang.answer}}`).

use super::{render, KindInfo, StepKind};
use crate::diagnostic::{Code, Diagnostic};
use crate::machine::{Effect, StepContext, Transition};
use crate::template::Template;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub const INFO: KindInfo = KindInfo {
    name: "update_tags",
    title: "Update tags",
    description: "Add or remove contact tags.",
    category: "contact",
    ports: &[("next", "after the update")],
    outputs: &[],
};

/// Configuration of an `update_tags` step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTags {
    /// Tags to add.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add: Vec<Template>,
    /// Tags to remove.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove: Vec<Template>,
}

fn render_all(list: &[Template], field: &str, ctx: &StepContext<'_>) -> Result<Vec<String>, Transition> {
    let mut out = Vec::with_capacity(list.len());
    for t in list {
        let tag = render(t, field, ctx)?;
        let tag = tag.trim();
        if !tag.is_empty() {
            out.push(tag.to_owned());
        }
    }
    Ok(out)
}

impl StepKind for UpdateTags {
    fn start(&self, ctx: &StepContext<'_>) -> Transition {
        let add = match render_all(&self.add, "add", ctx) {
            Ok(v) => v,
            Err(t) => return t,
        };
        let remove = match render_all(&self.remove, "remove", ctx) {
            Ok(v) => v,
            Err(t) => return t,
        };
        Transition::go("next", vec![Effect::UpdateTags { add, remove }])
    }

    fn check(&self, out: &mut Vec<Diagnostic>) {
        if self.add.is_empty() && self.remove.is_empty() {
            out.push(Diagnostic::error(Code::MissingField, "/add", "name tags to `add` or `remove`"));
        }
    }

    fn templates(&self) -> Vec<(String, &Template)> {
        let adds = self.add.iter().enumerate().map(|(i, t)| (format!("/add/{i}"), t));
        let removes = self.remove.iter().enumerate().map(|(i, t)| (format!("/remove/{i}"), t));
        adds.chain(removes).collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use serde_json::json;

    #[test]
    fn adds_and_removes_with_variables() {
        let c = config("update_tags", json!({"add": ["vip", "lang-{{steps.lang.answer}}"], "remove": ["new"]}));
        let t = with_ctx(&json!({"steps": {"lang": {"answer": "es"}}}), &[], 1, |ctx| c.behaviour().start(ctx));
        assert_eq!(
            t.effects,
            vec![Effect::UpdateTags { add: vec!["vip".into(), "lang-es".into()], remove: vec!["new".into()] }]
        );
        assert_eq!(port(&t), "next");
    }

    #[test]
    fn needs_something_to_do() {
        let mut out = Vec::new();
        config("update_tags", json!({})).behaviour().check(&mut out);
        assert_eq!(out[0].code, Code::MissingField);
    }
}
