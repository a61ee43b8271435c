//! Messages as events: the contact writes (a reply to a waiting question, an opt-out keyword,
//! or something that starts workflows), or an agent replies by hand (queued like a flow's
//! message, under the same channel rules).

use crate::batch::fire::keywords_match;
use crate::batch::outbound::{unique_suffix, Author};
use crate::batch::{Batch, Expect, Fire, Work};
use crate::events::{ContactRef, Identifier};
use crate::RunStatus;
use crate::{Error, ReplyToClosed};
use serde_json::{Map, Value};
use steps::machine::Input;
use steps::message::{InboundMessage, OutboundMessage};
use steps::trigger::{ExitCondition, KeywordMatch};
use store::cache::MessageRow;

impl Batch<'_> {
    /// The contact wrote.
    pub(super) async fn message_received(
        &mut self,
        contact: ContactRef,
        channel: String,
        message: InboundMessage,
        profile: Map<String, Value>,
        verified: &[Identifier],
    ) -> Result<(), Error> {
        let contact_id = self.resolve_sender(&contact, &profile, verified).await?;
        self.handled.contact_id = Some(contact_id);
        let mut c = self.cache.contact(self.conn, contact_id).await?;
        c.last_channel = Some(channel.clone());
        c.last_inbound_at = Some(self.now_ms);
        let state = c.channels.entry(channel.clone()).or_default();
        // Only an address on this very channel is where replies on it go (an event
        // naming a contact by another channel's address must not redirect them).
        if let ContactRef::Address { channel: on, address } = &contact {
            if on == &channel {
                state.address = address.clone();
            }
        }
        state.last_inbound_at = Some(self.now_ms);
        // Writing to the account is following it (Telegram sends no event for a
        // first message; LINE only lets friends write).
        state.follows = Some(true);
        // Only typed text opts out: a button titled "Stop reminders" is an answer.
        let text = if message.payload.is_none() { message.text.as_deref().unwrap_or_default() } else { "" };
        let keywords = self.env.opt_out;
        let opting_out = !c.opted_out && keywords_match(text, &keywords.stop, KeywordMatch::Exact);
        let opting_in = c.opted_out && keywords_match(text, &keywords.start, KeywordMatch::Exact);
        if opting_in {
            c.opted_out = false;
        }
        self.cache.put_contact(c);
        let (mut conversation, opened) = self.open_conversation(contact_id, Some(&channel), "contact").await?;
        self.cache.message(MessageRow {
            contact_id,
            conversation_id: Some(conversation.id),
            direction: "in",
            sender: "contact".into(),
            channel: Some(channel.clone()),
            text: message.text.clone(),
            body: serde_json::to_string(&message).unwrap_or_default(),
            status: "received",
            created_at: self.now_ms,
            ..MessageRow::default()
        });
        // A reply goes to the run whose question is the most recent (what the contact
        // most likely answers); runs this very message starts must not take it as their
        // answer, so the target is chosen before any trigger fires.
        let waiting = self
            .cache
            .active_runs(self.conn, contact_id)
            .await?
            .into_iter()
            .filter(|r| r.status == RunStatus::Waiting && r.wait_kind.as_deref() == Some("reply"))
            .max_by_key(|r| (r.waiting_since, r.id))
            .map(|r| r.id);
        if opting_out {
            // The keyword is recorded above; it answers no question and starts no flow.
            return self.opt_out(contact_id).await;
        }
        // A contact writing in a bot-owned conversation with no question waiting is
        // talking to nobody: people should see it rather than it closing unread.
        if waiting.is_none() && conversation.bot_run.is_some() {
            conversation.hand_over();
            self.cache.put_conversation(conversation);
        }
        if let Some(run_id) = waiting {
            let input = Input::Reply { message: message.clone() };
            self.work.push_back(Work::Resume { run_id, input, expect: Expect::Reply });
        }
        if opened {
            let fire = Fire::ConversationOpened { contact_id, source: "contact".into() };
            self.work.push_back(Work::Fire { fire, origin: Vec::new() });
        }
        if waiting.is_none() {
            let fire = Fire::MessageReceived { contact_id, channel, message };
            self.work.push_back(Work::Fire { fire, origin: Vec::new() });
        }
        Ok(())
    }

    /// An agent wrote to the contact: queued like a flow's message; runs that exit when an
    /// agent replies end.
    pub(super) async fn agent_replied(
        &mut self,
        contact: ContactRef,
        agent_id: String,
        text: String,
    ) -> Result<(), Error> {
        let contact_id = self.resolve_contact(&contact).await?;
        self.handled.contact_id = Some(contact_id);
        if self.cache.agent(self.conn, &agent_id).await?.is_none() {
            return Err(Error::NotFound(format!("agent {agent_id}")));
        }
        let c = self.cache.contact(self.conn, contact_id).await?;
        if self.env.reply_to_closed == ReplyToClosed::Refuse {
            let latest = self.cache.latest_conversation(self.conn, contact_id).await?;
            if latest.is_some_and(|v| v.status != "open") {
                return Err(Error::Refused(format!(
                    "contact {contact_id}'s conversation is closed; open it before replying \
                     (replies to closed conversations are refused by the `reply_to_closed` setting)"
                )));
            }
        }
        let (mut conversation, _) = self.open_conversation(contact_id, c.last_channel.as_deref(), "user").await?;
        // A person wrote in it: a bot-owned conversation is people's from now on.
        if conversation.bot_run.is_some() {
            conversation.hand_over();
            self.cache.put_conversation(conversation.clone());
        }
        let channel = c.last_channel.clone().unwrap_or_else(|| "simulator".into());
        // The channel's rules hold for people too (the window, LINE friends and
        // quota); a contact who opted out of automated messages may still be
        // answered by a person when they write.
        let outbound = OutboundMessage {
            text,
            quick_replies: Vec::new(),
            attachments: Vec::new(),
            channel: Some(channel.clone()),
            template: None,
            expects: None,
        };
        let route = self
            .route(&c, &channel, &outbound, false)
            .await?
            .map_err(|reason| Error::Refused(format!("the reply cannot be sent on `{channel}`: {reason}")))?;
        let key = format!("agent:{agent_id}:{contact_id}:{}", unique_suffix());
        let author = Author::Agent { id: &agent_id, contact_id };
        self.queue_message(author, Some(conversation.id), &channel, &outbound, key, Ok(route))
            .map_err(Error::Refused)?;
        self.exit_runs(contact_id, ExitCondition::AgentReplied, None).await?;
        Ok(())
    }
}
