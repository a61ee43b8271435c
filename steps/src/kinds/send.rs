//! `send_message`: sends text with variables, optional quick replies and attachments, on the
//! contact's last channel or a chosen one. With its `failure` port connected it waits for the
//! channel's answer; without, the message goes out and the run moves on.

use super::{render, KindInfo, PortSpec, StepKind};
use crate::diagnostic::{Code, Diagnostic};
use crate::machine::{Effect, Input, Outcome, StepContext, Transition, Wait};
use crate::message::{Attachment, OutboundMessage, QuickReply, RenderedQuickReply, TemplateMessage};
use crate::template::Template;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;

/// The most quick replies one message may carry (channels cut further: WhatsApp shows 3).
pub const MAX_QUICK_REPLIES: usize = 13;

pub const INFO: KindInfo = KindInfo {
    name: "send_message",
    title: "Send message",
    description: "Send a message with variables, quick replies and attachments.",
    category: "messages",
    ports: &[("next", "after sending"), ("failure", "the channel refused the message")],
    outputs: &[("message_id", "the channel's id for the message"), ("error", "why sending failed")],
};

/// Configuration of a `send_message` step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SendMessage {
    /// The message text; variables in `{{ }}`.
    #[serde(default = "empty_template")]
    pub text: Template,
    /// Buttons under the message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 13))]
    pub quick_replies: Vec<QuickReply>,
    /// Images, files, audio or video by URL.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// The channel to send on; empty means the contact's last interacted channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// A pre-approved template for channels that need one (WhatsApp outside 24 hours).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<TemplateMessage>,
}

fn empty_template() -> Template {
    Template::parse("")
}

impl SendMessage {
    /// Builds the outbound message around `text` (already filled in, so contact data is
    /// never read as a template a second time); shared with `ask`.
    pub(crate) fn build(
        text: String,
        quick_replies: &[QuickReply],
        attachments: &[Attachment],
        channel: &Option<String>,
        template: &Option<TemplateMessage>,
        ctx: &StepContext<'_>,
    ) -> Result<OutboundMessage, Transition> {
        let mut rendered_attachments = Vec::with_capacity(attachments.len());
        for a in attachments {
            let url = render(&Template::parse(&a.url), "attachments", ctx)?;
            rendered_attachments.push(Attachment { url, ..a.clone() });
        }
        let template = match template {
            None => None,
            Some(t) => {
                let mut params = Vec::with_capacity(t.params.len());
                for p in &t.params {
                    params.push(render(&Template::parse(p), "template.params", ctx)?);
                }
                Some(TemplateMessage { params, ..t.clone() })
            }
        };
        Ok(OutboundMessage {
            text,
            quick_replies: quick_replies
                .iter()
                .map(|q| RenderedQuickReply {
                    title: q.title.clone(),
                    payload: q.payload.clone().unwrap_or_else(|| q.title.clone()),
                })
                .collect(),
            attachments: rendered_attachments,
            channel: channel.clone(),
            template,
            expects: None,
        })
    }
}

impl StepKind for SendMessage {
    fn ports(&self) -> Vec<PortSpec> {
        vec![PortSpec::optional("next", "Next"), PortSpec::optional("failure", "Failed")]
    }

    fn outputs(&self) -> Vec<String> {
        vec!["message_id".into(), "error".into()]
    }

    fn outputs_on(&self, port: &str, connected: &BTreeSet<String>) -> Vec<String> {
        match port {
            // The message id is known only when the step waited for the channel's answer.
            "next" if connected.contains("failure") => vec!["message_id".into()],
            "failure" => vec!["error".into()],
            _ => Vec::new(),
        }
    }

    fn start(&self, ctx: &StepContext<'_>) -> Transition {
        let built = render(&self.text, "text", ctx).and_then(|text| {
            SendMessage::build(text, &self.quick_replies, &self.attachments, &self.channel, &self.template, ctx)
        });
        let message = match built {
            Ok(m) => m,
            Err(t) => return t,
        };
        let effects = vec![Effect::SendMessage { message }];
        if ctx.is_connected("failure") {
            Transition::wait(Wait::Outcome, Value::Null, effects)
        } else {
            Transition::go("next", effects)
        }
    }

    fn resume(&self, _state: &Value, input: &Input, ctx: &StepContext<'_>) -> Transition {
        match input {
            Input::Outcome { outcome: Outcome::Sent { message_id } } => Transition::go(
                "next",
                vec![Effect::SetOutput { name: "message_id".into(), value: Value::String(message_id.clone()) }],
            ),
            Input::Outcome { outcome: Outcome::SendFailed { reason } } => {
                Transition::fail_via(ctx, "failure", reason.clone(), Vec::new())
            }
            other => Transition::fail(format!("send_message cannot handle {other:?}")),
        }
    }

    fn check(&self, out: &mut Vec<Diagnostic>) {
        if self.text.source().trim().is_empty() && self.attachments.is_empty() && self.template.is_none() {
            out.push(
                Diagnostic::error(Code::MissingField, "/text", "a message needs `text` or at least one attachment")
                    .with_help("add `text: Hello {{contact.first_name}}`"),
            );
        }
        if self.quick_replies.len() > MAX_QUICK_REPLIES {
            out.push(Diagnostic::error(
                Code::TooMany,
                format!("/quick_replies/{MAX_QUICK_REPLIES}"),
                format!("at most {MAX_QUICK_REPLIES} quick replies; this message has {}", self.quick_replies.len()),
            ));
        }
        for (i, a) in self.attachments.iter().enumerate() {
            let t = Template::parse(&a.url);
            if t.is_static() && url::Url::parse(&a.url).map(|u| !matches!(u.scheme(), "http" | "https")).unwrap_or(true)
            {
                out.push(Diagnostic::error(
                    Code::InvalidValue,
                    format!("/attachments/{i}/url"),
                    format!("`{}` is not an http(s) URL", a.url),
                ));
            }
        }
    }

    fn templates(&self) -> Vec<(String, &Template)> {
        vec![("/text".into(), &self.text)]
    }

    fn value_templates(&self) -> Vec<(String, Template)> {
        let attachments = self
            .attachments
            .iter()
            .enumerate()
            .map(|(i, a)| (format!("/attachments/{i}/url"), Template::parse(&a.url)));
        let params = self.template.iter().flat_map(|t| {
            t.params.iter().enumerate().map(|(i, p)| (format!("/template/params/{i}"), Template::parse(p)))
        });
        attachments.chain(params).collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::testing::*;
    use crate::machine::{Effect, Input, Next, Outcome};
    use serde_json::{json, Value};

    #[test]
    fn sends_and_moves_on_without_a_failure_port() {
        let c =
            config("send_message", json!({"text": "Hi {{contact.first_name}}", "quick_replies": [{"title": "Menu"}]}));
        let vars = json!({"contact": {"first_name": "Ana"}});
        let t = with_ctx(&vars, &["next"], 1, |ctx| c.behaviour().start(ctx));
        assert_eq!(port(&t), "next");
        match &t.effects[0] {
            Effect::SendMessage { message } => {
                assert_eq!(message.text, "Hi Ana");
                assert_eq!(message.quick_replies[0].payload, "Menu");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn waits_for_the_outcome_when_failure_is_connected() {
        let c = config("send_message", json!({"text": "Hi"}));
        let vars = json!({});
        let t = with_ctx(&vars, &["next", "failure"], 1, |ctx| c.behaviour().start(ctx));
        assert!(matches!(t.next, Next::Wait { .. }));
        let failed = Input::Outcome { outcome: Outcome::SendFailed { reason: "outside the 24-hour window".into() } };
        let t = with_ctx(&vars, &["next", "failure"], 1, |ctx| c.behaviour().resume(&Value::Null, &failed, ctx));
        assert_eq!(port(&t), "failure");
        assert_eq!(output(&t, "error"), Some(&json!("outside the 24-hour window")));
        let sent = Input::Outcome { outcome: Outcome::Sent { message_id: "m1".into() } };
        let t = with_ctx(&vars, &["next", "failure"], 1, |ctx| c.behaviour().resume(&Value::Null, &sent, ctx));
        assert_eq!(port(&t), "next");
        assert_eq!(output(&t, "message_id"), Some(&json!("m1")));
    }

    #[test]
    fn a_failed_send_without_a_failure_port_fails_the_run() {
        let c = config("send_message", json!({"text": "Hi"}));
        let failed = Input::Outcome { outcome: Outcome::SendFailed { reason: "opted out".into() } };
        let t = with_ctx(&json!({}), &["next"], 1, |ctx| c.behaviour().resume(&Value::Null, &failed, ctx));
        assert_eq!(t.next, Next::Fail { reason: "opted out".into() });
    }

    #[test]
    fn a_failing_expression_fails_the_run_with_the_field_name() {
        let c = config("send_message", json!({"text": "{{ 1 / 0 }}"}));
        let t = with_ctx(&json!({}), &[], 1, |ctx| c.behaviour().start(ctx));
        match t.next {
            Next::Fail { reason } => assert!(reason.contains("`text`"), "{reason}"),
            other => panic!("{other:?}"),
        }
    }
}
