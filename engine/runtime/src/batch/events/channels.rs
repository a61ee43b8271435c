//! The contact and the channels: opting out (a keyword, an unfollow, the API) and back in by
//! following again. Delivery statuses are applied by `batch/channel_rules.rs`.

use crate::batch::{Batch, Unsent};
use crate::events::ContactRef;
use crate::Error;
use steps::trigger::ExitCondition;

impl Batch<'_> {
    /// The contact opted out (a keyword, an unfollow, the API): their runs end and nothing
    /// queued for them goes out any more, whoever queued it.
    pub(super) async fn opt_out(&mut self, contact_id: i64) -> Result<(), Error> {
        let mut c = self.cache.contact(self.conn, contact_id).await?;
        c.opted_out = true;
        self.cache.put_contact(c);
        self.exit_runs(contact_id, ExitCondition::ContactOptedOut, None).await?;
        self.drop_queued_messages(Unsent::OfContact(contact_id), "not sent: the contact opted out").await
    }

    /// A follow or unfollow (block) on a channel. Unfollowing opts the contact out; following
    /// again is consent to hear from the account again.
    pub(super) async fn set_following(
        &mut self,
        contact: &ContactRef,
        channel: String,
        follows: bool,
    ) -> Result<(), Error> {
        let contact_id = self.resolve_contact(contact).await?;
        self.handled.contact_id = Some(contact_id);
        let mut c = self.cache.contact(self.conn, contact_id).await?;
        let state = c.channels.entry(channel.clone()).or_default();
        if let ContactRef::Address { address, .. } = contact {
            state.address = address.clone();
        }
        state.follows = Some(follows);
        let opting_out = !follows && !c.opted_out;
        if opting_out {
            // Remembered, so following again undoes this opt-out and no other (a STOP stays).
            state.unfollow_opted_out = true;
        }
        if follows {
            if std::mem::take(&mut state.unfollow_opted_out) {
                c.opted_out = false;
            }
            if c.last_channel.is_none() {
                c.last_channel = Some(channel);
            }
        }
        self.cache.put_contact(c);
        if opting_out {
            self.opt_out(contact_id).await?;
        }
        Ok(())
    }

    pub(super) async fn opted_out(&mut self, contact: ContactRef) -> Result<(), Error> {
        let contact_id = self.resolve_contact(&contact).await?;
        self.handled.contact_id = Some(contact_id);
        self.opt_out(contact_id).await?;
        Ok(())
    }
}
