//! `open_conversation` and `close_conversation`: open a conversation with the contact, or
//! close it with a closing category and summary (which in turn fires "conversation closed"
//! workflows such as CSAT, guarded against loops by the engine).

use super::{render, templates_of, KindInfo, StepKind};
use crate::machine::{Effect, StepContext, Transition};
use crate::template::Template;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub const OPEN_INFO: KindInfo = KindInfo {
    name: "open_conversation",
    title: "Open conversation",
    description: "Open a conversation with the contact (nothing happens if one is open).",
    category: "conversation",
    ports: &[("next", "after opening")],
    outputs: &[],
};

pub const CLOSE_INFO: KindInfo = KindInfo {
    name: "close_conversation",
    title: "Close conversation",
    description: "Close the conversation with a closing category and summary.",
    category: "conversation",
    ports: &[("next", "after closing")],
    outputs: &[],
};

/// Configuration of an `open_conversation` step (it has none).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenConversation {}

/// Configuration of a `close_conversation` step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseConversation {
    /// The closing category, for example `resolved`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Template>,
    /// A closing summary; variables allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<Template>,
}

impl StepKind for OpenConversation {
    fn start(&self, _ctx: &StepContext<'_>) -> Transition {
        Transition::go("next", vec![Effect::OpenConversation])
    }
}

impl StepKind for CloseConversation {
    fn start(&self, ctx: &StepContext<'_>) -> Transition {
        let category = match self.category.as_ref().map(|t| render(t, "category", ctx)).transpose() {
            Ok(v) => v,
            Err(t) => return t,
        };
        let summary = match self.summary.as_ref().map(|t| render(t, "summary", ctx)).transpose() {
            Ok(v) => v,
            Err(t) => return t,
        };
        Transition::go("next", vec![Effect::CloseConversation { category, summary }])
    }

    fn templates(&self) -> Vec<(String, &Template)> {
        templates_of([("/category", self.category.as_ref()), ("/summary", self.summary.as_ref())])
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use serde_json::json;

    #[test]
    fn open_and_close() {
        let c = config("open_conversation", json!({}));
        let t = with_ctx(&json!({}), &[], 1, |ctx| c.behaviour().start(ctx));
        assert_eq!(t.effects, vec![Effect::OpenConversation]);
        let c = config("close_conversation", json!({"category": "resolved", "summary": "Rated {{steps.r.answer}}"}));
        let t = with_ctx(&json!({"steps": {"r": {"answer": 5}}}), &[], 1, |ctx| c.behaviour().start(ctx));
        assert_eq!(
            t.effects,
            vec![Effect::CloseConversation { category: Some("resolved".into()), summary: Some("Rated 5".into()) }]
        );
        assert_eq!(port(&t), "next");
    }
}
