//! `add_comment`: an internal note on the conversation, visible to agents only.

use super::{render, KindInfo, StepKind};
use crate::diagnostic::{Code, Diagnostic};
use crate::machine::{Effect, StepContext, Transition};
use crate::template::Template;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub const INFO: KindInfo = KindInfo {
    name: "add_comment",
    title: "Add comment",
    description: "Leave an internal note on the conversation for agents.",
    category: "conversation",
    ports: &[("next", "after the note")],
    outputs: &[],
};

/// Configuration of an `add_comment` step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddComment {
    /// The note; variables allowed.
    pub text: Template,
}

impl StepKind for AddComment {
    fn start(&self, ctx: &StepContext<'_>) -> Transition {
        match render(&self.text, "text", ctx) {
            Ok(text) => Transition::go("next", vec![Effect::AddComment { text }]),
            Err(t) => t,
        }
    }

    fn check(&self, out: &mut Vec<Diagnostic>) {
        if self.text.source().trim().is_empty() {
            out.push(Diagnostic::error(Code::MissingField, "/text", "a comment needs `text`"));
        }
    }

    fn templates(&self) -> Vec<(String, &Template)> {
        vec![("/text".to_owned(), &self.text)]
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use serde_json::json;

    #[test]
    fn leaves_a_note() {
        let c = config("add_comment", json!({"text": "Rated {{steps.r.answer}}/5"}));
        let t = with_ctx(&json!({"steps": {"r": {"answer": 2}}}), &[], 1, |ctx| c.behaviour().start(ctx));
        assert_eq!(t.effects, vec![Effect::AddComment { text: "Rated 2/5".into() }]);
    }
}
