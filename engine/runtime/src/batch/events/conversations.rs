//! Conversations as events: opened (by an agent or the contact), closed (through the one
//! close, [`Batch::close_conversation`]), assigned or unassigned by a person.

use super::named;
use crate::batch::conversations::{Closing, Tell};
use crate::batch::{Batch, Fire, Work};
use crate::events::ContactRef;
use crate::Error;

impl Batch<'_> {
    pub(super) async fn conversation_opened(&mut self, contact: ContactRef, by: String) -> Result<(), Error> {
        let contact_id = self.resolve_contact(&contact).await?;
        self.handled.contact_id = Some(contact_id);
        let (mut conversation, opened) = self.open_conversation(contact_id, None, &by).await?;
        // Someone opening it on purpose (not the contact writing) wants it in the inbox.
        if conversation.bot_run.is_some() && by != "contact" {
            conversation.hand_over();
            self.cache.put_conversation(conversation);
        }
        if opened {
            let fire = Fire::ConversationOpened { contact_id, source: by };
            self.work.push_back(Work::Fire { fire, origin: Vec::new() });
        }
        Ok(())
    }

    /// The contact's open conversation was closed by a person (or the API): runs that exit on
    /// it end and `conversation_closed` workflows start.
    pub(super) async fn conversation_closed(
        &mut self,
        contact: ContactRef,
        closing: Closing,
        auto: bool,
    ) -> Result<(), Error> {
        let contact_id = self.resolve_contact(&contact).await?;
        self.handled.contact_id = Some(contact_id);
        let open = self.cache.latest_conversation(self.conn, contact_id).await?.filter(|c| c.status == "open");
        let Some(mut conv) = open else {
            return Err(Error::Refused(format!("{} has no open conversation", named(&contact, contact_id))));
        };
        self.close_conversation(&mut conv, closing, Tell::Workflows { auto, keep: None, origin: Vec::new() }).await
    }

    pub(super) async fn assigned(&mut self, contact: ContactRef, agent_id: Option<String>) -> Result<(), Error> {
        let contact_id = self.resolve_contact(&contact).await?;
        self.handled.contact_id = Some(contact_id);
        if let Some(id) = &agent_id {
            if self.cache.agent(self.conn, id).await?.is_none() {
                return Err(Error::NotFound(format!("agent {id}")));
            }
        }
        let open = self.cache.latest_conversation(self.conn, contact_id).await?.filter(|c| c.status == "open");
        let Some(mut conv) = open else {
            return Err(Error::Refused(format!("{} has no open conversation", named(&contact, contact_id))));
        };
        let previous = std::mem::replace(&mut conv.assignee_id, agent_id.clone());
        // Assigned (or explicitly unassigned) by a person: no longer the bot's.
        if conv.bot_run.is_some() {
            conv.hand_over();
            self.cache.put_conversation(conv.clone());
        }
        if previous != agent_id {
            self.cache.put_conversation(conv);
            if let Some(previous) = previous {
                self.cache.released(self.conn, &previous).await?;
            }
            if let Some(id) = &agent_id {
                self.cache.assigned(self.conn, id, self.now_ms).await?;
            }
            self.agents_changed = true;
        }
        Ok(())
    }
}
