//! Outside events, applied to the batch: [`Batch::apply_event`] hands each [`EventKind`] to
//! the function for its family — `messages.rs` (the contact's and an agent's messages),
//! `conversations.rs` (opened, closed, assigned), `contacts.rs` (who an event is about; tags,
//! fields), `channels.rs` (opt-out, follow and unfollow) and `starts.rs` (shortcuts,
//! webhooks, manual starts); delivery statuses go to `batch/channel_rules.rs`. The event
//! types themselves are `crate::events`'.

mod channels;
mod contacts;
mod conversations;
mod messages;
mod starts;

pub(crate) use starts::check_shortcut_form;

use super::conversations::Closing;
use super::Batch;
use crate::events::{ContactRef, EventKind, Identifier};
use crate::Error;

impl Batch<'_> {
    /// Applies an outside event to the store and queues what follows from it.
    /// `verified`: identifiers the event's channel verified (see [`Identifier`]).
    pub async fn apply_event(&mut self, kind: EventKind, verified: &[Identifier]) -> Result<(), Error> {
        match kind {
            EventKind::MessageReceived { contact, channel, message, profile } => {
                self.message_received(contact, channel, message, profile, verified).await
            }
            EventKind::AgentReplied { contact, agent_id, text } => self.agent_replied(contact, agent_id, text).await,
            EventKind::ConversationOpened { contact, by } => self.conversation_opened(contact, by).await,
            EventKind::ConversationClosed { contact, closed_by, category, summary, auto } => {
                self.conversation_closed(contact, Closing { by: closed_by, category, summary }, auto).await
            }
            EventKind::Assigned { contact, agent_id } => self.assigned(contact, agent_id).await,
            EventKind::TagUpdated { contact, tag, added } => self.tag_updated(contact, tag, added).await,
            EventKind::FieldUpdated { contact, field, value } => self.field_updated(contact, field, value).await,
            EventKind::OptedOut { contact } => self.opted_out(contact).await,
            EventKind::Followed { contact, channel } => self.set_following(&contact, channel, true).await,
            EventKind::Unfollowed { contact, channel } => self.set_following(&contact, channel, false).await,
            EventKind::DeliveryStatus { channel, message_id, status, error } => {
                self.apply_status(&channel, &message_id, status, error, true).await
            }
            EventKind::Shortcut { contact, workflow, agent_id, form } => {
                self.shortcut(contact, workflow, agent_id, form).await
            }
            EventKind::Webhook { workflow, payload } => self.webhook(workflow, payload).await,
            EventKind::Manual { workflow, contact, vars } => self.manual(workflow, contact, vars).await,
        }
    }
}

/// A contact as a refusal names it: by the address the event gave (the id of a contact the
/// refused event itself created means nothing once it is rolled back), else by id.
fn named(contact: &ContactRef, id: i64) -> String {
    match contact {
        ContactRef::Address { channel, address } => format!("the contact at `{address}` on {channel}"),
        ContactRef::Id(_) => format!("contact {id}"),
    }
}
