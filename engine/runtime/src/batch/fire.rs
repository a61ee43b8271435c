//! Which workflows a happening starts. What it means for workflows is a [`Fire`]: every live
//! workflow whose trigger matches it, whose conditions hold and whose settings allow it (once
//! per contact, one active run, the loop guard) starts a run. Effects of runs (a tag a flow
//! adds) fire the same way, carrying the chain of workflows that caused them. A start the
//! settings put off (`when_active: queue`) waits in `queued_triggers` until the run ends.

use super::loop_guard::LoopGuard;
use super::Batch;
use crate::Error;
use serde_json::{json, Value};
use steps::answer::fold;
use steps::message::InboundMessage;
use steps::trigger::{KeywordMatch, TagAction, TriggerKind, WhenActive};
use steps::CompiledWorkflow;
use store::queued_triggers;
use store::records::{Agent, Contact, Conversation};

/// What an attempt to start a run came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Start {
    Started(i64),
    /// The contact is in the workflow already; the trigger waits its turn (`when_active: queue`).
    Queued,
    Refused(String),
}

/// Something that happened to a contact that may start workflows.
#[derive(Debug, Clone)]
pub(crate) enum Fire {
    MessageReceived {
        contact_id: i64,
        channel: String,
        message: InboundMessage,
    },
    ConversationOpened {
        contact_id: i64,
        source: String,
    },
    ConversationClosed {
        contact_id: i64,
        closed_by: String,
        category: Option<String>,
        summary: Option<String>,
        auto: bool,
    },
    TagUpdated {
        contact_id: i64,
        tag: String,
        added: bool,
    },
    FieldUpdated {
        contact_id: i64,
        field: String,
        old: Value,
        new: Value,
    },
}

impl Fire {
    fn trigger_type(&self) -> &'static str {
        match self {
            Fire::MessageReceived { .. } => "message_received",
            Fire::ConversationOpened { .. } => "conversation_opened",
            Fire::ConversationClosed { .. } => "conversation_closed",
            Fire::TagUpdated { .. } => "tag_updated",
            Fire::FieldUpdated { .. } => "field_updated",
        }
    }

    fn contact_id(&self) -> i64 {
        match self {
            Fire::MessageReceived { contact_id, .. }
            | Fire::ConversationOpened { contact_id, .. }
            | Fire::ConversationClosed { contact_id, .. }
            | Fire::TagUpdated { contact_id, .. }
            | Fire::FieldUpdated { contact_id, .. } => *contact_id,
        }
    }

    /// `trigger.*` for runs this starts.
    fn vars(&self) -> Value {
        match self {
            Fire::MessageReceived { channel, message, .. } => {
                json!({"type": "message_received", "message": message, "channel": channel})
            }
            Fire::ConversationOpened { source, .. } => json!({"type": "conversation_opened", "source": source}),
            Fire::ConversationClosed { closed_by, category, summary, auto, .. } => json!({
                "type": "conversation_closed", "closed_by": closed_by, "category": category, "summary": summary, "auto_closed": auto
            }),
            Fire::TagUpdated { tag, added, .. } => {
                json!({"type": "tag_updated", "tag": tag, "action": if *added { "added" } else { "removed" }})
            }
            Fire::FieldUpdated { field, old, new, .. } => {
                json!({"type": "field_updated", "field": field, "old_value": old, "new_value": new})
            }
        }
    }

    /// Does this trigger's own options (keywords, tag, field, ...) accept the happening?
    fn matches(&self, kind: &TriggerKind) -> bool {
        match (self, kind) {
            (
                Fire::MessageReceived { channel, message, .. },
                TriggerKind::MessageReceived { keywords, keyword_match, channels },
            ) => {
                (channels.is_empty() || channels.iter().any(|c| c == channel))
                    && (keywords.is_empty()
                        || keywords_match(message.text.as_deref().unwrap_or(""), keywords, *keyword_match))
            }
            (Fire::ConversationOpened { source, .. }, TriggerKind::ConversationOpened { sources }) => {
                sources.is_empty()
                    || sources.iter().any(|s| {
                        serde_json::to_value(s).ok().and_then(|v| v.as_str().map(str::to_owned)).as_deref()
                            == Some(source)
                    })
            }
            (
                Fire::ConversationClosed { category, auto, .. },
                TriggerKind::ConversationClosed { skip_auto_closed, categories },
            ) => {
                !(*skip_auto_closed && *auto)
                    && (categories.is_empty()
                        || category.as_ref().is_some_and(|c| categories.iter().any(|k| k.eq_ignore_ascii_case(c))))
            }
            (Fire::TagUpdated { tag, added, .. }, TriggerKind::TagUpdated { tag: wanted, action }) => {
                tag.eq_ignore_ascii_case(wanted)
                    && match action {
                        TagAction::Any => true,
                        TagAction::Added => *added,
                        TagAction::Removed => !*added,
                    }
            }
            (Fire::FieldUpdated { field, .. }, TriggerKind::FieldUpdated { field: wanted }) => field == wanted,
            _ => false,
        }
    }
}

/// Keyword matching ignores case and accents; `contains` matches whole words.
pub(crate) fn keywords_match(text: &str, keywords: &[String], how: KeywordMatch) -> bool {
    let text = fold(text);
    let words: Vec<&str> = text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    keywords.iter().map(|k| fold(k)).filter(|k| !k.is_empty()).any(|k| match how {
        KeywordMatch::Exact => text == k,
        KeywordMatch::StartsWith => text.starts_with(&k),
        KeywordMatch::Contains => {
            let kw: Vec<&str> = k.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
            !kw.is_empty() && words.windows(kw.len()).any(|w| w == kw.as_slice())
        }
    })
}

impl Batch<'_> {
    /// Starts every live workflow that `fire` triggers.
    pub async fn fire(&mut self, fire: Fire, origin: Vec<String>) -> Result<(), Error> {
        let contact_id = fire.contact_id();
        let trigger = fire.vars();
        // A test-chat contact lives in its workflow's sandbox: only that workflow's snapshot
        // can start for it, and the chat says why when it does not.
        let test_workflow = self.cache.contact(self.conn, contact_id).await?.test_workflow;
        let candidates = match &test_workflow {
            None => self.env.registry.live_with_trigger(fire.trigger_type()),
            Some(workflow) => {
                let version = -contact_id;
                let wf = self.env.registry.get(self.conn, workflow, version).await?;
                let wanted = wf.trigger.kind.name();
                if wanted == fire.trigger_type() {
                    vec![(workflow.clone(), version, wf)]
                } else {
                    // Only say so for what the contact did, not for a flow's own side effects.
                    if origin.is_empty() && matches!(fire, Fire::MessageReceived { .. }) {
                        self.handled.test_notes.push(format!("`{workflow}` starts on `{wanted}`, not on a message"));
                    }
                    Vec::new()
                }
            }
        };
        for (id, version, wf) in candidates {
            if !fire.matches(&wf.trigger.kind) {
                if test_workflow.is_some() {
                    self.handled.test_notes.push(format!("the trigger of `{id}` does not match this"));
                }
                continue;
            }
            if let Some(guard) = LoopGuard::check(&id, &origin) {
                self.loop_guarded(contact_id, &id, &origin, guard);
                continue;
            }
            if !self.conditions_hold(&wf, contact_id, &trigger).await? {
                if test_workflow.is_some() {
                    self.handled.test_notes.push(format!("the trigger conditions of `{id}` do not hold"));
                }
                continue;
            }
            match self.try_start(&id, version, &wf, contact_id, trigger.clone(), origin.clone()).await? {
                Start::Started(_) => {}
                Start::Queued => self.handled.queued.push(id),
                Start::Refused(reason) => {
                    tracing::debug!(workflow = %id, contact = contact_id, %reason, "trigger not started");
                    if test_workflow.is_some() {
                        self.handled.test_notes.push(reason);
                    }
                }
            }
        }
        Ok(())
    }

    /// Evaluates the trigger's conditions for this contact. A condition that fails to
    /// evaluate counts as not holding (and is logged), so a broken condition never starts runs.
    pub(crate) async fn conditions_hold(
        &mut self,
        wf: &CompiledWorkflow,
        contact_id: i64,
        trigger: &Value,
    ) -> Result<bool, Error> {
        let Some(cond) = &wf.trigger.conditions else { return Ok(true) };
        let contact: Contact = self.cache.contact(self.conn, contact_id).await?;
        let conversation = self.cache.latest_conversation(self.conn, contact_id).await?;
        let assignee = match conversation.as_ref().and_then(|c| c.assignee_id.clone()) {
            Some(id) => self.cache.agent(self.conn, &id).await?,
            None => None,
        };
        let vars = json!({
            "contact": contact.to_vars(),
            "conversation": conversation.as_ref().map(Conversation::to_vars),
            "assignee": assignee.as_ref().map(Agent::to_vars),
            "trigger": trigger,
            "steps": {},
            "system": super::system_vars(self.now_for(&contact).await?, self.env.timezone),
        });
        match cond.eval(&vars) {
            Ok(holds) => Ok(holds),
            Err(e) => {
                tracing::warn!(workflow = %wf.id, error = %e, "trigger condition failed to evaluate");
                Ok(false)
            }
        }
    }

    /// Starts a run unless the workflow's settings say no (or say "later").
    pub async fn try_start(
        &mut self,
        workflow: &str,
        version: i64,
        wf: &CompiledWorkflow,
        contact_id: i64,
        trigger: Value,
        origin: Vec<String>,
    ) -> Result<Start, Error> {
        if wf.settings.once_per_contact && self.cache.enrolled(self.conn, workflow, contact_id).await? {
            return Ok(Start::Refused(format!("the contact was already enrolled in `{workflow}` once")));
        }
        let active = self.cache.active_runs(self.conn, contact_id).await?.iter().any(|r| r.workflow_id == workflow);
        if active {
            return Ok(match wf.settings.when_active {
                WhenActive::Drop => Start::Refused(format!("the contact is already in `{workflow}`")),
                WhenActive::Queue => {
                    let (trigger, origin) = (trigger.to_string(), json!(origin).to_string());
                    queued_triggers::queue(self.conn, workflow, contact_id, &trigger, &origin, self.now_ms).await?;
                    self.cache.queued();
                    Start::Queued
                }
            });
        }
        Ok(Start::Started(self.start_run(workflow, version, wf, contact_id, trigger, origin).await?))
    }

    /// Starts a workflow named by the event (shortcut, webhook, manual); a refusal is an error
    /// the caller sees.
    pub(crate) async fn start_explicit(
        &mut self,
        workflow: &str,
        version: i64,
        wf: &CompiledWorkflow,
        contact_id: i64,
        trigger: Value,
    ) -> Result<(), Error> {
        if !self.conditions_hold(wf, contact_id, &trigger).await? {
            return Err(Error::Refused(format!("the trigger conditions of `{workflow}` do not hold for this contact")));
        }
        match self.try_start(workflow, version, wf, contact_id, trigger, Vec::new()).await? {
            Start::Started(_) => Ok(()),
            Start::Queued => {
                self.handled.queued.push(workflow.to_owned());
                Ok(())
            }
            Start::Refused(reason) => Err(Error::Refused(reason)),
        }
    }

    /// Starts the oldest trigger queued for this workflow and contact, if any.
    pub(crate) async fn start_queued(&mut self, workflow_id: &str, contact_id: i64) -> Result<(), Error> {
        let Some(next) = queued_triggers::take_oldest(self.conn, workflow_id, contact_id).await? else {
            return Ok(());
        };
        // A test-chat contact's queued trigger starts its snapshot, never the live version.
        let sandbox = self.cache.contact(self.conn, contact_id).await?.test_workflow;
        let (version, wf) = match sandbox {
            Some(_) => (-contact_id, self.env.registry.get(self.conn, workflow_id, -contact_id).await?),
            None => match self.env.registry.live(workflow_id) {
                Some(live) => live,
                None => return Ok(()),
            },
        };
        let trigger: Value = serde_json::from_str(&next.trigger).unwrap_or(Value::Null);
        let origin: Vec<String> = serde_json::from_str(&next.origin).unwrap_or_default();
        Box::pin(self.start_run(workflow_id, version, &wf, contact_id, trigger, origin)).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_match_words_without_case_or_accents() {
        let kw = vec!["menu".to_owned(), "ayuda rápida".to_owned()];
        assert!(keywords_match("Show me the MENU please", &kw, KeywordMatch::Contains));
        assert!(keywords_match("necesito AYUDA RAPIDA!", &kw, KeywordMatch::Contains));
        assert!(!keywords_match("menus", &kw, KeywordMatch::Contains));
        assert!(keywords_match("Menu", &kw, KeywordMatch::Exact));
        assert!(!keywords_match("the menu", &kw, KeywordMatch::Exact));
        assert!(keywords_match("menu now", &kw, KeywordMatch::StartsWith));
    }
}
