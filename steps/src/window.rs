//! WhatsApp's 24-hour window, checked on the graph: which message steps can run more than a
//! day after the contact last wrote, when WhatsApp accepts only an approved template?
//!
//! Along every path the pass keeps an upper bound of the time since the contact last wrote.
//! An incoming-message trigger starts it at zero, any other trigger (a schedule, a tag, a
//! shortcut, a webhook, ...) at "unknown"; an answer to a question, or a wait interrupted by
//! a reply, resets it; leaving a wait by its timer or a question by its timeout adds their
//! duration, as does waiting for an agent (assign, escalate); business hours that wait until
//! open make it unknown. A `send_message` without
//! `template` (on the default channel or one named like WhatsApp), or any question, reached
//! with a bound of 24 hours or more gets a warning: the engine would refuse it outside the
//! window and take the failure port. The bound only grows and is capped, so loops end.

use crate::diagnostic::{Code, Diagnostic};
use crate::kinds::StepConfig;
use crate::trigger::{OpenSource, TriggerKind};
use crate::workflow::CompiledWorkflow;
use std::collections::{HashMap, VecDeque};

const WINDOW_SECS: u64 = 24 * 60 * 60;

/// The warnings for steps that can be sent outside the window without a template.
pub fn warnings(wf: &CompiledWorkflow) -> Vec<Diagnostic> {
    let Some(start) = wf.start.clone() else { return Vec::new() };
    let first = match &wf.trigger.kind {
        TriggerKind::MessageReceived { .. } => 0,
        // A contact opens a conversation by writing.
        TriggerKind::ConversationOpened { sources } if sources == &[OpenSource::Contact] => 0,
        _ => WINDOW_SECS,
    };
    // Per step: the largest bound seen, and why it passed the window (the step it followed).
    let mut bound: HashMap<&str, (u64, Option<String>)> = HashMap::new();
    let mut queue = VecDeque::from([(start, first, None::<String>)]);
    while let Some((id, elapsed, why)) = queue.pop_front() {
        let Some((id, step)) = wf.steps.get_key_value(&id) else { continue };
        match bound.get(id.as_str()) {
            Some((seen, _)) if *seen >= elapsed => continue,
            _ => {}
        }
        bound.insert(id, (elapsed, why.clone()));
        for (port, target) in &step.edges {
            let after = |secs: u64| (elapsed.saturating_add(secs).min(WINDOW_SECS), Some(id.clone()));
            let (next, next_why) = match (&step.config, port.as_str()) {
                (StepConfig::Wait(w), "done") => after(w.duration.get().as_secs()),
                (StepConfig::Wait(_), "interrupted") => (0, None),
                (StepConfig::Ask(a), "timeout") => after(a.timeout.as_ref().map_or(WINDOW_SECS, |t| t.get().as_secs())),
                (StepConfig::Ask(_), "failure") => (elapsed, why.clone()),
                (StepConfig::Ask(_), _) => (0, None),
                (StepConfig::BusinessHours(b), "in_hours") if b.wait_until_open => after(WINDOW_SECS),
                // An agent may be found only at the end of the wait.
                (StepConfig::Assign(a), _) => after(a.timeout.get().as_secs()),
                (StepConfig::Escalate(e), _) => after(e.timeout.get().as_secs()),
                _ => (elapsed, why.clone()),
            };
            queue.push_back((target.clone(), next, next_why));
        }
    }
    let mut out = Vec::new();
    for (id, step) in &wf.steps {
        let Some((elapsed, why)) = bound.get(id.as_str()) else { continue };
        if *elapsed < WINDOW_SECS {
            continue;
        }
        let needs = match &step.config {
            StepConfig::SendMessage(s) => {
                s.template.is_none() && s.channel.as_deref().is_none_or(|c| c.contains("whatsapp"))
            }
            StepConfig::Ask(_) => true,
            _ => false,
        };
        if !needs {
            continue;
        }
        let when = match why {
            None => "the trigger is not an incoming message".to_owned(),
            Some(step) => format!("after `{step}` the contact may not have written for a day or more"),
        };
        let (what, help) = match step.config {
            StepConfig::Ask(_) => (
                "this question",
                "WhatsApp takes only approved templates outside the window, and a question has none: ask before the wait, or connect `failure`",
            ),
            _ => ("this message", "add `template: { name, language, params }` (an approved WhatsApp template) or connect `failure`"),
        };
        out.push(
            Diagnostic::warning(
                Code::OutsideWhatsappWindow,
                format!("/steps/{id}"),
                format!("{what} can be sent outside WhatsApp's 24-hour window without a template ({when})"),
            )
            .with_help(help),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::compile;

    fn warned(text: &str) -> Vec<String> {
        let c = compile(text);
        assert!(c.workflow.is_some(), "{:?}", c.diagnostics);
        c.diagnostics
            .iter()
            .filter(|d| d.code == crate::Code::OutsideWhatsappWindow)
            .map(|d| d.path.trim_start_matches("/steps/").to_owned())
            .collect()
    }

    const FLOW: &str = r#"
schema: 1
id: w
name: W
trigger: TRIGGER
start: hello
steps:
  hello: { kind: send_message, text: Hi, next: { next: ask } }
  ask:
    kind: ask
    type: text
    text: Name?
    timeout: 2d
    next: { answered: thanks, timeout: nudge }
  thanks: { kind: send_message, text: Thanks, next: { next: pause } }
  pause: { kind: wait, for: 2d, next: { done: later } }
  later: { kind: send_message, text: Still there?, template: { name: follow_up } }
  nudge: { kind: send_message, text: Are you there? }
"#;

    #[test]
    fn messages_after_a_timer_or_without_an_incoming_message_need_a_template() {
        let on_message = FLOW.replace("TRIGGER", "{ type: message_received }");
        assert_eq!(warned(&on_message), ["nudge"], "after the question's 2-day timeout; `later` has a template");
        let short = on_message.replace("timeout: 2d", "timeout: 1h");
        assert!(warned(&short).is_empty(), "an hour after the contact wrote is inside the window");
        let on_tag = FLOW.replace("TRIGGER", "{ type: tag_updated, tag: vip }");
        assert_eq!(warned(&on_tag), ["hello", "ask", "nudge"]);
    }
}
