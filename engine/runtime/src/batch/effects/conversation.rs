//! A step's changes to the conversation: opening one (for people), closing it, setting its
//! priority; and the conversation a workflow's effect needs ([`Batch::ensure_conversation`]).

use super::{chain, World};
use crate::batch::conversations::{Closing, Opens, Tell};
use crate::batch::{Batch, Fire, Work};
use crate::Error;
use steps::kinds::escalate::Priority;
use store::records::Run;

impl Batch<'_> {
    /// Opening fires `conversation_opened` (source: workflow); nothing if one is open but,
    /// asked for explicitly, it hands a bot-owned conversation to people.
    pub(super) async fn open_for_people(&mut self, run: &Run, world: &mut World) -> Result<(), Error> {
        self.ensure_conversation(world, run, Opens::ForPeople).await?;
        Ok(())
    }

    /// Closes the open conversation, as a workflow: automatically, and without ending the
    /// run that closes it.
    pub(super) async fn close_by_workflow(
        &mut self,
        run: &Run,
        world: &mut World,
        category: &Option<String>,
        summary: &Option<String>,
    ) -> Result<(), Error> {
        if let Some(conv) = world.conversation.as_mut().filter(|c| c.status == "open") {
            let closing = Closing { by: "workflow".into(), category: category.clone(), summary: summary.clone() };
            let tell = Tell::Workflows { auto: true, keep: Some(run.id), origin: chain(run) };
            self.close_conversation(conv, closing, tell).await?;
        }
        Ok(())
    }

    pub(super) async fn set_priority(
        &mut self,
        run: &Run,
        world: &mut World,
        priority: &Priority,
    ) -> Result<(), Error> {
        let conversation = self.ensure_conversation(world, run, Opens::Ordinary).await?;
        if let Some(conv) = world.conversation.as_mut().filter(|c| Some(c.id) == conversation) {
            conv.priority =
                serde_json::to_value(priority).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
            self.cache.put_conversation(conv.clone());
        }
        Ok(())
    }

    /// The contact's open conversation, opened now (by the workflow) if there is none; see
    /// [`Opens`] for who owns it.
    pub(super) async fn ensure_conversation(
        &mut self,
        world: &mut World,
        run: &Run,
        opens: Opens,
    ) -> Result<Option<i64>, Error> {
        if let Some(c) = world.conversation.as_mut().filter(|c| c.status == "open") {
            if opens == Opens::ForPeople && c.bot_run.is_some() {
                c.hand_over();
                self.cache.put_conversation(c.clone());
            }
            return Ok(Some(c.id));
        }
        let channel = world.contact.last_channel.clone();
        let bot_run = (opens == Opens::BotOwned).then_some(run.id);
        let conv = self
            .cache
            .new_conversation(self.conn, run.contact_id, channel.as_deref(), "workflow", bot_run, self.now_ms)
            .await?;
        let id = conv.id;
        world.conversation = Some(conv);
        world.assignee = None;
        let fire = Fire::ConversationOpened { contact_id: run.contact_id, source: "workflow".into() };
        self.work.push_back(Work::Fire { fire, origin: chain(run) });
        Ok(Some(id))
    }
}
