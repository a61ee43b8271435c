//! Triggers and workflow settings: what starts a workflow, which contacts it applies to,
//! and how runs of it behave (once per contact, one active run, exit conditions).

use crate::condition::Condition;
use crate::diagnostic::{Code, Diagnostic};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How keywords are matched against an incoming message (case and accents ignored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeywordMatch {
    /// The message is exactly the keyword.
    Exact,
    /// The message contains the keyword as a word.
    #[default]
    Contains,
    /// The message starts with the keyword.
    StartsWith,
}

/// Who opened a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OpenSource {
    /// The contact wrote in.
    Contact,
    /// An agent opened it.
    User,
    /// A workflow opened it.
    Workflow,
}

/// Whether a tag was added or removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TagAction {
    Added,
    Removed,
    #[default]
    Any,
}

/// The type of a shortcut form field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FormFieldType {
    #[default]
    Text,
    Textarea,
    Number,
    Select,
}

/// One field of a shortcut's form; its answer is `trigger.form.<id>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FormField {
    pub id: String,
    pub label: String,
    #[serde(default, rename = "type")]
    pub field_type: FormFieldType,
    /// `select` only: the choices.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    #[serde(default)]
    pub required: bool,
}

/// Why a shortcut press's answers do not fit the shortcut's form: which field (its id, or the
/// unknown key that was sent) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormError {
    pub field: String,
    pub message: String,
}

impl FormField {
    /// Checks one answer against this field's definition. A blank answer (absent, null or an
    /// empty string) is refused only when the field is required; the console's forms send
    /// empty strings for fields left alone.
    fn check_answer(&self, answer: Option<&serde_json::Value>) -> Result<(), String> {
        use serde_json::Value;
        let blank = answer.is_none_or(|v| v.is_null() || v.as_str().is_some_and(|s| s.trim().is_empty()));
        if blank {
            return if self.required {
                Err(format!("the form field `{}` ({}) is required", self.id, self.label))
            } else {
                Ok(())
            };
        }
        let Some(answer) = answer else { return Ok(()) };
        match (self.field_type, answer) {
            (FormFieldType::Text | FormFieldType::Textarea, Value::String(_)) => Ok(()),
            (FormFieldType::Number, Value::Number(_)) => Ok(()),
            (FormFieldType::Select, Value::String(s)) if self.options.iter().any(|o| o == s) => Ok(()),
            (FormFieldType::Select, Value::String(s)) => Err(format!(
                "`{s}` is not one of the options of `{}` ({}): {}",
                self.id,
                self.label,
                self.options.iter().map(|o| format!("`{o}`")).collect::<Vec<_>>().join(", ")
            )),
            (FormFieldType::Number, _) => Err(format!("`{}` ({}) takes a number", self.id, self.label)),
            (_, _) => Err(format!("`{}` ({}) takes a string", self.id, self.label)),
        }
    }
}

/// Checks a shortcut press's answers against the form: every key names a field, every
/// required field is filled in, numbers are numbers and a select's answer is one of its
/// options. The first problem comes back, unknown keys first.
pub fn check_form(fields: &[FormField], answers: &serde_json::Map<String, serde_json::Value>) -> Result<(), FormError> {
    if let Some(unknown) = answers.keys().find(|k| !fields.iter().any(|f| &f.id == *k)) {
        let known = fields.iter().map(|f| format!("`{}`", f.id)).collect::<Vec<_>>();
        let message = if known.is_empty() {
            "unknown field; this shortcut's form has no fields".to_owned()
        } else {
            format!("unknown field; the form has {}", known.join(", "))
        };
        return Err(FormError { field: unknown.clone(), message });
    }
    for f in fields {
        f.check_answer(answers.get(&f.id)).map_err(|message| FormError { field: f.id.clone(), message })?;
    }
    Ok(())
}

/// How an incoming webhook's payload names its contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContactKey {
    #[default]
    Phone,
    Email,
    Id,
}

/// What starts the workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum TriggerKind {
    /// A contact's message arrives; with keywords, only messages that match.
    MessageReceived {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        keywords: Vec<String>,
        #[serde(default, rename = "match")]
        keyword_match: KeywordMatch,
        /// Only these channels; all when empty.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        channels: Vec<String>,
    },
    /// A conversation opens.
    ConversationOpened {
        /// Only when opened by these; any when empty.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        sources: Vec<OpenSource>,
    },
    /// A conversation closes (CSAT surveys start here).
    ConversationClosed {
        /// Skip conversations closed automatically (by a workflow or for inactivity).
        #[serde(default)]
        skip_auto_closed: bool,
        /// Only these closing categories; any when empty.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        categories: Vec<String>,
    },
    /// An agent presses the shortcut on a conversation, after filling in its form.
    Shortcut {
        /// The button's label; the workflow's name when empty.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        form: Vec<FormField>,
        /// Only agents of these teams may press it; everyone when empty.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        teams: Vec<String>,
    },
    /// A tag is added to or removed from a contact.
    TagUpdated {
        tag: String,
        #[serde(default)]
        action: TagAction,
    },
    /// A contact field changes.
    FieldUpdated {
        /// The field path: `email`, `lifecycle`, `fields.plan`.
        field: String,
    },
    /// Another system POSTs a signed JSON payload.
    Webhook {
        /// Which contact key the payload carries.
        #[serde(default)]
        contact_key: ContactKey,
        /// The JSON path of that key in the payload, for example `$.customer.phone`.
        contact_path: String,
    },
    /// Started by a `trigger_workflow` step or the API.
    Manual {
        /// The variables callers pass, readable as `trigger.vars.<name>`.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        inputs: Vec<String>,
    },
    /// A cron schedule, for every contact matching `conditions`.
    Schedule {
        /// Five fields (`0 9 * * MON-FRI`) or six with seconds.
        cron: String,
        /// An IANA timezone; the workspace's when empty.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timezone: Option<String>,
    },
}

/// Every trigger type's name, for "unknown trigger type" hints.
pub const TRIGGER_TYPES: &[&str] = &[
    "message_received",
    "conversation_opened",
    "conversation_closed",
    "shortcut",
    "tag_updated",
    "field_updated",
    "webhook",
    "manual",
    "schedule",
];

impl TriggerKind {
    /// The `type:` value.
    pub fn name(&self) -> &'static str {
        match self {
            TriggerKind::MessageReceived { .. } => "message_received",
            TriggerKind::ConversationOpened { .. } => "conversation_opened",
            TriggerKind::ConversationClosed { .. } => "conversation_closed",
            TriggerKind::Shortcut { .. } => "shortcut",
            TriggerKind::TagUpdated { .. } => "tag_updated",
            TriggerKind::FieldUpdated { .. } => "field_updated",
            TriggerKind::Webhook { .. } => "webhook",
            TriggerKind::Manual { .. } => "manual",
            TriggerKind::Schedule { .. } => "schedule",
        }
    }

    /// The variables under `trigger.` this trigger provides. A name ending in `.*` opens a
    /// subtree whose contents are not known in advance (a webhook's payload).
    pub fn variables(&self) -> Vec<String> {
        let fixed: &[&str] = match self {
            TriggerKind::MessageReceived { .. } => &["type", "message.*", "channel"],
            TriggerKind::ConversationOpened { .. } => &["type", "source"],
            TriggerKind::ConversationClosed { .. } => &["type", "category", "summary", "closed_by", "auto_closed"],
            TriggerKind::Shortcut { .. } => &["type", "agent.id", "agent.name", "agent.email", "agent.team"],
            TriggerKind::TagUpdated { .. } => &["type", "tag", "action"],
            TriggerKind::FieldUpdated { .. } => &["type", "field", "old_value", "new_value"],
            TriggerKind::Webhook { .. } => &["type", "payload.*"],
            TriggerKind::Manual { .. } => &["type", "vars.*", "caller.workflow", "caller.run_id"],
            TriggerKind::Schedule { .. } => &["type", "fired_at"],
        };
        let mut out: Vec<String> = fixed.iter().map(|s| (*s).to_owned()).collect();
        if let TriggerKind::Shortcut { form, .. } = self {
            out.extend(form.iter().map(|f| format!("form.{}", f.id)));
        }
        out
    }

    /// Checks beyond the types. Pointers are relative to `/trigger`.
    pub fn check(&self, out: &mut Vec<Diagnostic>) {
        match self {
            TriggerKind::Schedule { cron, timezone } => {
                if let Err(e) = parse_cron(cron) {
                    out.push(
                        Diagnostic::error(
                            Code::InvalidValue,
                            "/cron",
                            format!("`{cron}` is not a cron expression: {e}"),
                        )
                        .with_help("five fields: minute hour day-of-month month day-of-week, e.g. `0 9 * * MON-FRI`"),
                    );
                }
                if let Some(tz) = timezone {
                    if tz.parse::<chrono_tz::Tz>().is_err() {
                        out.push(Diagnostic::error(
                            Code::InvalidValue,
                            "/timezone",
                            format!("unknown timezone `{tz}`"),
                        ));
                    }
                }
            }
            TriggerKind::Webhook { contact_path, .. } => {
                if let Err(e) = serde_json_path::JsonPath::parse(contact_path) {
                    out.push(Diagnostic::error(
                        Code::JsonPathSyntax,
                        "/contact_path",
                        format!("`{contact_path}` is not a JSON path: {e}"),
                    ));
                }
            }
            TriggerKind::Shortcut { form, .. } => {
                let mut seen = std::collections::HashSet::new();
                for (i, f) in form.iter().enumerate() {
                    if !crate::ids::is_valid_id(&f.id) || !seen.insert(f.id.as_str()) {
                        out.push(Diagnostic::error(
                            Code::InvalidId,
                            format!("/form/{i}/id"),
                            format!("form field id `{}` must be a unique lowercase identifier", f.id),
                        ));
                    }
                    if f.field_type == FormFieldType::Select && f.options.is_empty() {
                        out.push(Diagnostic::error(
                            Code::MissingField,
                            format!("/form/{i}/options"),
                            "a `select` field needs `options`",
                        ));
                    }
                }
            }
            TriggerKind::TagUpdated { tag, .. } if tag.trim().is_empty() => {
                out.push(Diagnostic::error(Code::MissingField, "/tag", "name the tag to watch"));
            }
            TriggerKind::Manual { inputs } => {
                for (i, name) in inputs.iter().enumerate() {
                    if !crate::ids::is_valid_id(name) {
                        out.push(Diagnostic::error(
                            Code::InvalidId,
                            format!("/inputs/{i}"),
                            format!("input `{name}` must be a lowercase identifier"),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
}

/// Parses a cron expression, accepting the usual five fields by adding a zero seconds field.
pub fn parse_cron(expr: &str) -> Result<cron::Schedule, String> {
    let fields = expr.split_whitespace().count();
    let full = if fields == 5 { format!("0 {expr}") } else { expr.to_owned() };
    full.parse::<cron::Schedule>().map_err(|e| e.to_string())
}

/// The trigger with its conditions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trigger {
    #[serde(flatten)]
    pub kind: TriggerKind,
    /// Extra conditions the event must meet (up to 10 rows per group).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Condition>,
}

/// What happens when a trigger fires for a contact who is already in this workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WhenActive {
    /// Ignore the new trigger (respond.io's behaviour).
    #[default]
    Drop,
    /// Start a new run when the current one ends.
    Queue,
}

/// Events that end a contact's run early.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExitCondition {
    ConversationClosed,
    AgentReplied,
    ContactOptedOut,
}

fn default_exit() -> Vec<ExitCondition> {
    vec![ExitCondition::ContactOptedOut]
}

/// How runs of this workflow behave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Never enroll a contact who was ever enrolled.
    #[serde(default)]
    pub once_per_contact: bool,
    /// What to do when the contact is already in this workflow.
    #[serde(default)]
    pub when_active: WhenActive,
    /// Events that end a run early.
    #[serde(default = "default_exit")]
    pub exit_when: Vec<ExitCondition>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { once_per_contact: false, when_active: WhenActive::Drop, exit_when: default_exit() }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cron_accepts_five_fields() {
        assert!(parse_cron("0 9 * * MON-FRI").is_ok());
        assert!(parse_cron("0 0 9 * * *").is_ok());
        assert!(parse_cron("every morning").is_err());
    }

    fn form() -> Vec<FormField> {
        serde_json::from_value(json!([
            {"id": "priority", "label": "Priority", "type": "select", "options": ["normal", "urgent"], "required": true},
            {"id": "count", "label": "Count", "type": "number"},
            {"id": "note", "label": "Note", "type": "textarea"}
        ]))
        .unwrap()
    }

    fn check(answers: serde_json::Value) -> Result<(), (String, String)> {
        let answers = answers.as_object().cloned().unwrap();
        check_form(&form(), &answers).map_err(|e| (e.field, e.message))
    }

    #[test]
    fn shortcut_answers_are_checked_against_the_form() {
        assert_eq!(check(json!({"priority": "urgent"})), Ok(()));
        assert_eq!(check(json!({"priority": "normal", "count": 3, "note": ""})), Ok(()));
        let err = |answers| check(answers).unwrap_err();
        let (field, message) = err(json!({"priority": "critical"}));
        assert_eq!(field, "priority");
        assert!(message.contains("`critical` is not one of the options") && message.contains("`urgent`"), "{message}");
        assert_eq!(err(json!({"priority": "urgent", "mood": "fine"})).0, "mood");
        assert!(err(json!({"priority": "urgent", "mood": "fine"})).1.contains("unknown field"));
        assert_eq!(err(json!({"count": 2})).0, "priority");
        assert_eq!(err(json!({"priority": ""})).0, "priority");
        assert_eq!(
            err(json!({"priority": "urgent", "count": "three"})),
            ("count".into(), "`count` (Count) takes a number".into())
        );
        assert_eq!(err(json!({"priority": "urgent", "note": 5})).0, "note");
        assert_eq!(err(json!({"priority": 1})).0, "priority");
    }

    #[test]
    fn shortcut_variables_include_the_form() {
        let t: TriggerKind =
            serde_json::from_value(json!({"type": "shortcut", "form": [{"id": "reason", "label": "Reason"}]})).unwrap();
        assert!(t.variables().contains(&"form.reason".to_owned()));
    }
}
