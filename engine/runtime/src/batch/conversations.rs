//! Opening and closing conversations. [`Batch::close_conversation`] is the one close: a
//! workflow's close effect, an agent's (or the API's) `conversation_closed` event and the end
//! of a test chat all go through it, so each records who closed it and why, frees its agent
//! and offers the assignment queue again; whether workflows hear of it is the caller's
//! [`Tell`]. A run's own bot-owned conversation closes quietly when the run ends.

use super::{Batch, Fire, Work};
use crate::Error;
use steps::trigger::ExitCondition;
use store::records::{Conversation, Run};

/// Who a conversation a workflow opens belongs to, and what an effect does to one that is
/// already open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Opens {
    /// A message's: the run owns a conversation it opens (out of the inbox, closed when the
    /// run ends); an open one is used as it is.
    BotOwned,
    /// Setting a priority: an ordinary conversation; an open one is used as it is.
    Ordinary,
    /// Asking for people (assign, escalate, open_conversation): an ordinary conversation,
    /// and an open bot-owned one is handed over to people.
    ForPeople,
}

/// Who closes a conversation, and how they sum it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Closing {
    /// `workflow`, `agent:<id>`, `test-chat`, ...
    pub by: String,
    pub category: Option<String>,
    pub summary: Option<String>,
}

/// What workflows hear of a close.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tell {
    /// Runs that exit on a closed conversation end (except `keep`, the run closing it), and
    /// `conversation_closed` triggers fire with `origin` as the chain that caused it.
    Workflows { auto: bool, keep: Option<i64>, origin: Vec<String> },
    /// Nothing: the close is bookkeeping (a test chat ending).
    Nobody,
}

impl Batch<'_> {
    /// The contact's open conversation, and whether it was opened just now.
    pub(crate) async fn open_conversation(
        &mut self,
        contact_id: i64,
        channel: Option<&str>,
        by: &str,
    ) -> Result<(Conversation, bool), Error> {
        match self.cache.latest_conversation(self.conn, contact_id).await?.filter(|c| c.status == "open") {
            Some(c) => Ok((c, false)),
            None => {
                Ok((self.cache.new_conversation(self.conn, contact_id, channel, by, None, self.now_ms).await?, true))
            }
        }
    }

    /// Closes `conv`: records who closed it and why, frees its agent, offers the assignment
    /// queue again, and tells workflows as `tell` says.
    pub(crate) async fn close_conversation(
        &mut self,
        conv: &mut Conversation,
        closing: Closing,
        tell: Tell,
    ) -> Result<(), Error> {
        self.mark_closed(conv, &closing);
        let released = conv.assignee_id.clone();
        self.cache.put_conversation(conv.clone());
        if let Some(agent) = released {
            self.cache.released(self.conn, &agent).await?;
        }
        self.agents_changed = true;
        if let Tell::Workflows { auto, keep, origin } = tell {
            let contact_id = conv.contact_id;
            self.exit_runs(contact_id, ExitCondition::ConversationClosed, keep).await?;
            let Closing { by: closed_by, category, summary } = closing;
            let fire = Fire::ConversationClosed { contact_id, closed_by, category, summary, auto };
            self.work.push_back(Work::Fire { fire, origin });
        }
        Ok(())
    }

    /// Closes the conversation `run` owns (its message opened it and no person has been
    /// involved since), whatever way the run ended: otherwise a survey or a broadcast would
    /// leave an open conversation nobody is meant to answer. The close is bookkeeping, not a
    /// conversation ending: it fires no `conversation_closed` trigger and ends no run that
    /// exits on it, so a CSAT never surveys a survey and no other flow reacts to it.
    pub(crate) async fn close_bot_conversation(&mut self, run: &Run) -> Result<(), Error> {
        let Some(mut conv) = self.cache.latest_conversation(self.conn, run.contact_id).await? else {
            return Ok(());
        };
        if conv.status != "open" || conv.bot_run != Some(run.id) {
            return Ok(());
        }
        let closing = Closing {
            by: "workflow".into(),
            category: conv.closing_category.clone(),
            summary: conv.closing_summary.clone(),
        };
        self.mark_closed(&mut conv, &closing);
        self.cache.put_conversation(conv);
        Ok(())
    }

    /// Marks `conv` closed now, by `closing`.
    fn mark_closed(&self, conv: &mut Conversation, closing: &Closing) {
        conv.status = "closed".into();
        conv.closed_at = Some(self.now_ms);
        conv.closing_category = closing.category.clone();
        conv.closing_summary = closing.summary.clone();
        conv.closed_by = Some(closing.by.clone());
    }
}
