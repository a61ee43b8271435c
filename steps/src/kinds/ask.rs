//! `ask`: asks a question and waits for the answer. Types: text, multiple choice, number,
//! email, phone, URL, date, rating (CSAT) and location. A valid answer is recorded as
//! `steps.<id>.answer` (and optionally saved to a contact field or, for choices, a tag) and
//! leaves by the option's port or `answered`; an invalid one gets the invalid-answer message
//! and another try, up to `retries`, then leaves by `invalid`; no answer before `timeout`
//! leaves by `timeout`.

use super::send::SendMessage;
use super::{default_true, render, templates_of, KindInfo, PortSpec, StepKind};
use crate::answer::{self, ChoiceOption, DateOrder, Invalid};
use crate::diagnostic::{Code, Diagnostic};
use crate::duration::DurationText;
use crate::machine::{Effect, Input, Outcome, StepContext, Transition, Wait};
use crate::message::{InboundMessage, OutboundMessage, QuickReply};
use crate::template::Template;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

/// The most options a multiple-choice question may have.
pub const MAX_OPTIONS: usize = 10;
/// The most re-asks after an invalid answer.
pub const MAX_RETRIES: u32 = 10;
/// The longest a question may wait for its answer.
pub const MAX_TIMEOUT_DAYS: i64 = 30;

pub const INFO: KindInfo = KindInfo {
    name: "ask",
    title: "Ask a question",
    description:
        "Ask a question (choice, text, number, email, phone, URL, date, rating, location) and wait for the answer.",
    category: "messages",
    ports: &[
        ("<option id>", "multiple choice: one port per option"),
        ("answered", "any other type: a valid answer"),
        ("invalid", "still invalid after the retries"),
        ("timeout", "no answer in time"),
    ],
    outputs: &[
        ("answer", "the parsed answer: text, number, the option id, an ISO date, the rating, {lat, lon}"),
        ("text", "what the contact typed"),
        ("label", "multiple choice: the picked option's label"),
        ("attempts", "how many answers it took"),
        ("error", "why the last answer was refused"),
    ],
};

/// The type of answer expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnswerType {
    Text,
    Choice,
    Number,
    Email,
    Phone,
    Url,
    Date,
    Rating,
    Location,
}

/// One option of a multiple-choice question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChoiceConfig {
    /// The port name and button payload; a lowercase identifier. Defaults to one derived
    /// from the label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// What the contact sees.
    pub label: String,
    /// Other words that pick this option.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// A tag added to the contact when picked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
}

impl ChoiceConfig {
    /// The option's id: as written, or derived from the label (`Talk to a person` →
    /// `talk_to_a_person`).
    pub fn port(&self) -> String {
        match &self.id {
            Some(id) => id.clone(),
            None => slug(&self.label),
        }
    }
}

/// A lowercase identifier made from a label.
pub fn slug(label: &str) -> String {
    let folded = answer::fold(label);
    let mut out = String::new();
    for c in folded.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    let mut out = out.trim_end_matches('_').to_owned();
    out.truncate(56);
    let out = out.trim_end_matches('_').to_owned();
    match out.chars().next() {
        None => "option".to_owned(),
        Some(c) if c.is_ascii_digit() => format!("option_{out}"),
        Some(_) => out,
    }
}

fn default_retries() -> u32 {
    2
}

fn default_scale() -> u8 {
    5
}

/// Configuration of an `ask` step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ask {
    /// What kind of answer is expected.
    #[serde(rename = "type")]
    pub answer_type: AnswerType,
    /// The question; variables in `{{ }}`.
    pub text: Template,
    /// Multiple choice: the options, at most 10.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 10))]
    pub options: Vec<ChoiceConfig>,
    /// Show choices and ratings as buttons (quick replies).
    #[serde(default = "default_true")]
    pub buttons: bool,
    /// Number: the smallest accepted value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Number: the largest accepted value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Number: whole numbers only.
    #[serde(default)]
    pub integer: bool,
    /// Text: the fewest characters accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<usize>,
    /// Text: the most characters accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<usize>,
    /// Rating: the top of the scale (1 to `scale`), 5 for CSAT.
    #[serde(default = "default_scale")]
    #[schemars(range(min = 2, max = 10))]
    pub scale: u8,
    /// Date: how to read `03/04/2026`.
    #[serde(default)]
    pub date_order: DateOrder,
    /// Also save the answer to this contact field (`email`, `phone`, `fields.plan`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub save_to: Option<String>,
    /// What to say when an answer is not valid; a sensible default per type otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invalid_message: Option<Template>,
    /// How many more tries after an invalid answer before leaving by `invalid`.
    #[serde(default = "default_retries")]
    #[schemars(range(max = 10))]
    pub retries: u32,
    /// How long to wait for an answer before leaving by `timeout` (at most 30 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<DurationText>,
}

/// What an `ask` step remembers while it waits.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AskState {
    /// Invalid answers so far.
    pub invalid: u32,
    /// When the question times out.
    pub timeout_at: Option<DateTime<Utc>>,
}

impl Ask {
    /// The question as a message: its buttons, and the answer type it expects.
    fn question(&self, text: String, ctx: &StepContext<'_>) -> Result<OutboundMessage, Transition> {
        let mut message = SendMessage::build(text, &self.quick_replies(), &[], &None, &None, ctx)?;
        message.expects = serde_json::to_value(self.answer_type).ok().and_then(|v| v.as_str().map(str::to_owned));
        Ok(message)
    }

    fn quick_replies(&self) -> Vec<QuickReply> {
        if !self.buttons {
            return Vec::new();
        }
        match self.answer_type {
            AnswerType::Choice => {
                self.options.iter().map(|o| QuickReply { title: o.label.clone(), payload: Some(o.port()) }).collect()
            }
            AnswerType::Rating => (1..=self.scale)
                .map(|n| QuickReply { title: "★".repeat(usize::from(n)), payload: Some(n.to_string()) })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Without buttons, a choice question lists its options as numbers and a rating names
    /// its scale, so the contact knows what to type (answers by number are accepted).
    fn with_numbered_options(&self, text: String) -> String {
        if self.buttons {
            return text;
        }
        match self.answer_type {
            AnswerType::Choice => {
                let mut out = text;
                for (i, o) in self.options.iter().enumerate() {
                    out.push_str(&format!("\n{}. {}", i + 1, o.label));
                }
                out
            }
            AnswerType::Rating => format!("{text} (1-{})", self.scale),
            _ => text,
        }
    }

    fn default_invalid_message(&self) -> String {
        match self.answer_type {
            AnswerType::Choice => "Please choose one of the options.".to_owned(),
            AnswerType::Text => "Please type your answer.".to_owned(),
            AnswerType::Number => match (self.min, self.max) {
                (Some(lo), Some(hi)) => format!("Please enter a number from {lo} to {hi}."),
                _ => "Please enter a number.".to_owned(),
            },
            AnswerType::Email => "That doesn't look like an email address. Please try again.".to_owned(),
            AnswerType::Phone => "That doesn't look like a phone number. Please include the country code.".to_owned(),
            AnswerType::Url => "That doesn't look like a web address. Please try again.".to_owned(),
            AnswerType::Date => "Please enter a date, for example 21/11/2026.".to_owned(),
            AnswerType::Rating => format!("Please rate from 1 to {}.", self.scale),
            AnswerType::Location => "Please share a location.".to_owned(),
        }
    }

    /// Parses an answer: the value to record, the port to leave by, and extra effects.
    fn parse(&self, msg: &InboundMessage, ctx: &StepContext<'_>) -> Result<(Value, String, Vec<Effect>), Invalid> {
        let answered = "answered".to_owned();
        let value = match self.answer_type {
            AnswerType::Choice => {
                let keywords: Vec<Vec<String>> = self.options.iter().map(|o| o.keywords.clone()).collect();
                let ports: Vec<String> = self.options.iter().map(ChoiceConfig::port).collect();
                let options: Vec<ChoiceOption<'_>> = self
                    .options
                    .iter()
                    .zip(&ports)
                    .zip(&keywords)
                    .map(|((o, id), kw)| ChoiceOption { id, label: &o.label, keywords: kw })
                    .collect();
                let i = answer::match_choice(&options, msg).ok_or(Invalid::NotAnOption)?;
                let option = &self.options[i];
                let mut effects =
                    vec![Effect::SetOutput { name: "label".into(), value: Value::String(option.label.clone()) }];
                if let Some(tag) = &option.tag {
                    effects.push(Effect::UpdateTags { add: vec![tag.clone()], remove: Vec::new() });
                }
                return Ok((Value::String(ports[i].clone()), ports[i].clone(), effects));
            }
            AnswerType::Text => Value::String(answer::parse_text(msg, self.min_length, self.max_length)?),
            AnswerType::Number => Value::Number(answer::parse_number(msg, self.min, self.max, self.integer)?),
            AnswerType::Email => Value::String(answer::parse_email(msg)?),
            AnswerType::Phone => Value::String(answer::parse_phone(msg)?),
            AnswerType::Url => Value::String(answer::parse_url(msg)?),
            AnswerType::Date => {
                let today = ctx.now.with_timezone(&ctx.timezone).date_naive();
                Value::String(answer::parse_date(msg, today, self.date_order)?.to_string())
            }
            AnswerType::Rating => json!(answer::parse_rating(msg, self.scale)?),
            AnswerType::Location => serde_json::to_value(answer::parse_location(msg)?).unwrap_or(Value::Null),
        };
        Ok((value, answered, Vec::new()))
    }
}

impl StepKind for Ask {
    fn ports(&self) -> Vec<PortSpec> {
        let mut ports = Vec::new();
        if self.answer_type == AnswerType::Choice {
            for o in &self.options {
                ports.push(PortSpec::required(&o.port(), &o.label));
            }
        } else {
            ports.push(PortSpec::optional("answered", "Answered"));
        }
        ports.push(PortSpec::optional("invalid", "Invalid answer"));
        if self.timeout.is_some() {
            ports.push(PortSpec::optional("timeout", "No answer"));
        }
        ports.push(PortSpec::optional("failure", "Not delivered"));
        ports
    }

    fn outputs(&self) -> Vec<String> {
        INFO.outputs.iter().map(|(n, _)| (*n).to_owned()).collect()
    }

    fn outputs_on(&self, port: &str, _connected: &BTreeSet<String>) -> Vec<String> {
        let names: &[&str] = match port {
            "invalid" => &["error", "attempts"],
            "timeout" => &["attempts"],
            "failure" => &["error"],
            _ if self.answer_type == AnswerType::Choice => &["answer", "text", "label", "attempts"],
            _ => &["answer", "text", "attempts"],
        };
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    fn start(&self, ctx: &StepContext<'_>) -> Transition {
        let text = match render(&self.text, "text", ctx) {
            Ok(t) => self.with_numbered_options(t),
            Err(t) => return t,
        };
        let message = match self.question(text, ctx) {
            Ok(m) => m,
            Err(t) => return t,
        };
        let timeout_at = self.timeout.as_ref().map(|d| crate::duration::after(ctx.now, d));
        Transition::wait(
            Wait::Reply { timeout_at },
            AskState { invalid: 0, timeout_at },
            vec![Effect::SendMessage { message }],
        )
    }

    fn resume(&self, state: &Value, input: &Input, ctx: &StepContext<'_>) -> Transition {
        let state: AskState = serde_json::from_value(state.clone()).unwrap_or_default();
        match input {
            Input::TimerFired => Transition::go(
                "timeout",
                vec![Effect::SetOutput { name: "attempts".into(), value: json!(state.invalid) }],
            ),
            Input::Reply { message } => match self.parse(message, ctx) {
                Ok((value, port, mut effects)) => {
                    effects.push(Effect::SetOutput { name: "answer".into(), value: value.clone() });
                    effects.push(Effect::SetOutput {
                        name: "text".into(),
                        value: message.text.clone().map(Value::String).unwrap_or(Value::Null),
                    });
                    effects.push(Effect::SetOutput { name: "attempts".into(), value: json!(state.invalid + 1) });
                    if let Some(field) = &self.save_to {
                        let mut set = Map::new();
                        set.insert(field.clone(), value);
                        effects.push(Effect::UpdateFields { set });
                    }
                    Transition::go(port, effects)
                }
                Err(why) => {
                    let invalid = state.invalid + 1;
                    let error = Effect::SetOutput { name: "error".into(), value: Value::String(why.to_string()) };
                    if invalid > self.retries {
                        return Transition::go(
                            "invalid",
                            vec![error, Effect::SetOutput { name: "attempts".into(), value: json!(invalid) }],
                        );
                    }
                    let text = match &self.invalid_message {
                        Some(t) => match render(t, "invalid_message", ctx) {
                            Ok(s) => s,
                            Err(t) => return t,
                        },
                        None => self.default_invalid_message(),
                    };
                    // The retry repeats the buttons (or the numbered list) so the contact can still pick one.
                    let text = self.with_numbered_options(text);
                    let message = match self.question(text, ctx) {
                        Ok(m) => m,
                        Err(t) => return t,
                    };
                    Transition::wait(
                        Wait::Reply { timeout_at: state.timeout_at },
                        AskState { invalid, timeout_at: state.timeout_at },
                        vec![error, Effect::SendMessage { message }],
                    )
                }
            },
            // The question never reached the contact: waiting for an answer would wait forever.
            Input::Outcome { outcome: Outcome::SendFailed { reason } } => {
                Transition::fail_via(ctx, "failure", format!("the question could not be sent: {reason}"), Vec::new())
            }
            Input::Outcome { .. } => Transition::wait(Wait::Reply { timeout_at: state.timeout_at }, state, Vec::new()),
        }
    }

    fn check(&self, out: &mut Vec<Diagnostic>) {
        let choice = self.answer_type == AnswerType::Choice;
        if choice && self.options.is_empty() {
            out.push(
                Diagnostic::error(Code::MissingField, "/options", "a multiple-choice question needs `options`")
                    .with_help("add `options: [{label: Yes}, {label: No}]`"),
            );
        }
        if !choice && !self.options.is_empty() {
            out.push(Diagnostic::error(
                Code::UnknownField,
                "/options",
                "`options` belongs to `type: choice` questions",
            ));
        }
        if self.options.len() > MAX_OPTIONS {
            out.push(Diagnostic::error(
                Code::TooMany,
                format!("/options/{MAX_OPTIONS}"),
                format!("a question may have at most {MAX_OPTIONS} options; this one has {}", self.options.len()),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, o) in self.options.iter().enumerate() {
            let port = o.port();
            if !crate::ids::is_valid_id(&port) {
                out.push(Diagnostic::error(
                    Code::InvalidId,
                    format!("/options/{i}/id"),
                    format!("option id `{port}` {}", crate::vars::identifier_problem(&port)),
                ));
            }
            if matches!(port.as_str(), "invalid" | "timeout") || !seen.insert(port.clone()) {
                out.push(Diagnostic::error(
                    Code::InvalidValue,
                    format!("/options/{i}"),
                    format!("option id `{port}` is used twice (or clashes with a port); give it a distinct `id`"),
                ));
            }
            if o.label.trim().is_empty() {
                out.push(Diagnostic::error(
                    Code::InvalidValue,
                    format!("/options/{i}/label"),
                    "an option needs a label",
                ));
            }
        }
        if let (Some(lo), Some(hi)) = (self.min, self.max) {
            if lo > hi {
                out.push(Diagnostic::error(Code::InvalidValue, "/min", format!("`min` ({lo}) is above `max` ({hi})")));
            }
        }
        if !(2..=10).contains(&self.scale) {
            out.push(Diagnostic::error(Code::InvalidValue, "/scale", "a rating scale runs from 2 to 10"));
        }
        if self.retries > MAX_RETRIES {
            out.push(Diagnostic::error(
                Code::InvalidValue,
                "/retries",
                format!("at most {MAX_RETRIES} retries; got {}", self.retries),
            ));
        }
        if let Some(t) = &self.timeout {
            if t.chrono() > chrono::Duration::days(MAX_TIMEOUT_DAYS) || t.get().is_zero() {
                out.push(Diagnostic::error(
                    Code::InvalidValue,
                    "/timeout",
                    format!("a question's timeout must be between 1 second and {MAX_TIMEOUT_DAYS} days"),
                ));
            }
        }
    }

    fn templates(&self) -> Vec<(String, &Template)> {
        templates_of([("/text", Some(&self.text)), ("/invalid_message", self.invalid_message.as_ref())])
    }

    fn writes_contact(&self) -> Vec<(String, &str)> {
        self.save_to.iter().map(|f| ("/save_to".to_owned(), f.as_str())).collect()
    }
}

#[cfg(test)]
mod tests;
