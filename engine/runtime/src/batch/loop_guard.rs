//! The loop guard: a workflow whose own actions trigger it again, or a chain of workflows
//! starting each other longer than [`MAX_ORIGIN_DEPTH`], does not start; the refusal is
//! recorded where ops look (the contact's history, a metric, the log).

use super::Batch;
use serde_json::json;
use store::cache::MessageRow;

/// The longest chain of workflows starting each other through their effects.
pub(crate) const MAX_ORIGIN_DEPTH: usize = 8;

/// Why the loop guard keeps a workflow from starting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoopGuard {
    /// The workflow is already part of the chain: its own actions triggered it.
    SelfTrigger,
    /// The chain of workflows starting each other reached [`MAX_ORIGIN_DEPTH`].
    ChainLength,
}

impl LoopGuard {
    /// Whether the loop guard refuses to start `workflow` from `chain` (the workflows whose
    /// actions led here, first to last), and why.
    pub(crate) fn check(workflow: &str, chain: &[String]) -> Option<LoopGuard> {
        if chain.iter().any(|w| w == workflow) {
            Some(LoopGuard::SelfTrigger)
        } else if chain.len() >= MAX_ORIGIN_DEPTH {
            Some(LoopGuard::ChainLength)
        } else {
            None
        }
    }

    /// The metric's `reason` label.
    pub(crate) fn label(self) -> &'static str {
        match self {
            LoopGuard::SelfTrigger => "self_trigger",
            LoopGuard::ChainLength => "chain_length_limit",
        }
    }

    /// A sentence for the contact's history and the log.
    pub(crate) fn describe(self, workflow: &str, chain: &[String]) -> String {
        let path = chain.join(" → ");
        match self {
            LoopGuard::SelfTrigger => {
                format!("Loop guard: `{workflow}` was not started: its own actions triggered it ({path} → {workflow}).")
            }
            LoopGuard::ChainLength => format!(
                "Loop guard: `{workflow}` was not started: chain length limit ({} workflows already started \
                 each other: {path}).",
                chain.len()
            ),
        }
    }
}

impl Batch<'_> {
    /// Records a start the loop guard refused where ops look: a system line in the contact's
    /// history, the `switchboard_loop_guard_total` metric by reason, and the log.
    pub(crate) fn loop_guarded(&mut self, contact_id: i64, workflow: &str, chain: &[String], guard: LoopGuard) {
        let text = guard.describe(workflow, chain);
        tracing::info!(workflow, contact = contact_id, chain = %chain.join(" → "), reason = guard.label(), "{text}");
        self.env.metrics.loop_guard.get_or_create(&vec![("reason".to_owned(), guard.label().to_owned())]).inc();
        self.handled.loop_guarded.push(workflow.to_owned());
        self.cache.message(MessageRow {
            contact_id,
            conversation_id: None,
            direction: "system",
            sender: "system".into(),
            text: Some(text),
            body: json!({"kind": "loop_guard", "workflow": workflow, "reason": guard.label(), "chain": chain})
                .to_string(),
            status: "note",
            created_at: self.now_ms,
            ..MessageRow::default()
        });
    }
}
