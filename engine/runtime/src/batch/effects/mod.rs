//! A step's effects, applied to the batch: [`Batch::apply`] hands each [`Effect`] to the
//! function for its family — `messages.rs` (send, comment, notify), `http.rs`, `contact.rs`
//! (tags, fields), `conversation.rs` (open, close, priority), `assignment.rs` (assign,
//! unassign, the assignment queue) and `flow.rs` (outputs, starting another workflow).

mod assignment;
mod contact;
mod conversation;
mod flow;
mod http;
mod messages;

use super::runs::World;
use super::Batch;
use crate::Error;
use steps::machine::{Effect, Outcome};
use store::records::Run;

/// What a step waits for after a transition, as the outbox needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Awaits {
    Nothing,
    /// The outcome of the effect (an awaited message, an HTTP call).
    Outcome,
    /// A reply to the message just sent: only a failure to deliver it concerns the run.
    FailureOnly,
}

impl Awaits {
    /// The outbox row's `awaited` flag.
    fn flag(self) -> i64 {
        match self {
            Awaits::Outcome => 1,
            Awaits::FailureOnly => 2,
            Awaits::Nothing => 0,
        }
    }
}

/// The chain of workflows whose actions led to what `run` does now (its origin, then itself).
fn chain(run: &Run) -> Vec<String> {
    let mut origin = run.origin.clone();
    origin.push(run.workflow_id.clone());
    origin
}

impl Batch<'_> {
    /// Applies one effect. Returns an outcome when the effect was performed right here and the
    /// step waits for it.
    pub(crate) async fn apply(
        &mut self,
        run: &mut Run,
        world: &mut World,
        effect: &Effect,
        index: usize,
        awaits: Awaits,
    ) -> Result<Option<Outcome>, Error> {
        match effect {
            Effect::SetOutput { name, value } => flow::set_output(run, name, value),
            Effect::SendMessage { message } => return self.send_message(run, world, message, index, awaits).await,
            Effect::AddComment { text } => self.comment(run, world, "note", text),
            Effect::Notify { text } => self.comment(run, world, "notify", text),
            Effect::Http { request } => self.http_call(run, request, index),
            Effect::UpdateTags { add, remove } => self.update_tags(run, world, add, remove),
            Effect::UpdateFields { set } => self.update_fields(run, world, set),
            Effect::Assign { request } => return self.assign(run, world, request).await,
            Effect::Unassign => self.unassign(run, world).await?,
            Effect::SetPriority { priority } => self.set_priority(run, world, priority).await?,
            Effect::OpenConversation => self.open_for_people(run, world).await?,
            Effect::CloseConversation { category, summary } => {
                self.close_by_workflow(run, world, category, summary).await?;
            }
            Effect::TriggerWorkflow { workflow, vars } => {
                return self.trigger_workflow(run, world, workflow, vars).await.map(Some)
            }
        }
        Ok(None)
    }

    /// The idempotency key of effect `index` of the run's current transition: derived from
    /// the run, step, visit, journal position and index, unless a retry carries it over.
    fn effect_key(&mut self, run: &Run, step: &str, index: usize) -> String {
        self.reuse_keys
            .remove(&(run.id, index))
            .unwrap_or_else(|| format!("{}:{}:{}:{}:{}", run.id, step, run.visit, run.seq, index))
    }
}
