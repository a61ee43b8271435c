//! A step's messages: one to the contact (through the channel's rules, then the outbox), and
//! internal notes (comments, notifications) on the conversation.

use super::{Awaits, World};
use crate::batch::conversations::Opens;
use crate::batch::outbound::Author;
use crate::batch::Batch;
use crate::Error;
use steps::machine::Outcome;
use steps::message::OutboundMessage;
use store::records::Run;

impl Batch<'_> {
    /// Sends `message` to the contact: a message with no open conversation opens one the run
    /// owns. A message the channel's rules refuse is recorded as failed and its outcome given
    /// right away, whoever waits for it.
    pub(super) async fn send_message(
        &mut self,
        run: &Run,
        world: &mut World,
        message: &OutboundMessage,
        index: usize,
        awaits: Awaits,
    ) -> Result<Option<Outcome>, Error> {
        let step = run.step.clone().unwrap_or_default();
        let key = self.effect_key(run, &step, index);
        // A message with no open conversation opens one the run owns (see `end`).
        let conversation = self.ensure_conversation(world, run, Opens::BotOwned).await?;
        let channel = message
            .channel
            .clone()
            .or_else(|| world.contact.last_channel.clone())
            .unwrap_or_else(|| "simulator".into());
        let route = self.route(&world.contact, &channel, message, true).await?;
        let author = Author::Run { run, awaited: awaits.flag() };
        match self.queue_message(author, conversation, &channel, message, key, route) {
            Ok(()) => Ok(None),
            // Refused before it was queued: the step learns it now, whoever waits.
            Err(reason) => {
                tracing::info!(run = run.id, %step, %channel, %reason, "message not sent");
                Ok(Some(Outcome::SendFailed { reason }))
            }
        }
    }

    /// An internal note (`note`) or a notification (`notify`) on the contact's conversation.
    pub(super) fn comment(&mut self, run: &Run, world: &World, kind: &str, text: &str) {
        let conversation = world.conversation.as_ref().map(|c| c.id);
        self.note(run.contact_id, conversation, kind, text, run.id);
    }
}
