//! The rules a message must pass before it is queued — opt-out, an address on the channel,
//! following the account, WhatsApp's 24-hour window (free text inside, the step's template
//! outside, otherwise refused with the reason) and LINE's monthly quota — and what channels
//! report back: delivery statuses, parked until their message's id is known. A refused
//! message never reaches the outbox; the step's failure port (or the run's failure) carries
//! the reason.

use super::Batch;
use crate::Error;
use channels::{DeliveryStatus, Kind, WHATSAPP_WINDOW_MS};
use steps::message::OutboundMessage;
use store::delivery_statuses::{self, Parked};
use store::records::Contact;

/// Where and how a message that passed the rules goes out.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Route {
    /// The contact's address on a connected channel (`None` for the simulator and the
    /// generic webhook channel, which address contacts by id).
    pub to: Option<String>,
    /// Send the step's approved template instead of its text (WhatsApp, outside the window).
    pub template: bool,
    /// The month (`2026-11`) the message was counted against its connection's quota; given
    /// back if it is never delivered.
    pub quota_month: Option<String>,
}

/// Why a flow's message to an opted-out contact is not sent.
pub(crate) const OPTED_OUT: &str = "the contact opted out of messages";

impl Batch<'_> {
    /// Checks a message against the channel's rules: `Ok(Err(reason))` when it must not be
    /// sent. Counts it against a LINE quota when it passes. `automated`: a flow's message
    /// (an opted-out contact gets none); a person's reply is not held back by an opt-out.
    pub(crate) async fn route(
        &mut self,
        contact: &Contact,
        channel: &str,
        message: &OutboundMessage,
        automated: bool,
    ) -> Result<Result<Route, String>, Error> {
        if automated && contact.opted_out {
            return Ok(Err(OPTED_OUT.into()));
        }
        let Some(conn) = self.env.connections.get(channel) else {
            return Ok(Ok(Route::default()));
        };
        let state = contact.channels.get(channel).cloned().unwrap_or_default();
        let address = if state.address.is_empty() {
            // Known by an address the API gave (a CRM's event), before the contact wrote.
            store::contact_addresses::address_of(self.conn, contact.id, channel).await?
        } else {
            Some(state.address.clone())
        };
        let Some(address) = address else {
            return Ok(Err(format!("the contact has no address on channel `{channel}`")));
        };
        let mut route = Route { to: Some(address), template: false, quota_month: None };
        match conn.kind {
            Kind::Whatsapp => {
                let since = state.last_inbound_at.map(|t| self.now_ms - t);
                if since.is_none_or(|ms| ms >= WHATSAPP_WINDOW_MS) {
                    if message.template.is_none() {
                        let when = match since {
                            Some(ms) => format!("the contact last wrote {} hours ago", ms / 3_600_000),
                            None => "the contact never wrote on it".to_owned(),
                        };
                        return Ok(Err(format!(
                            "outside WhatsApp's 24-hour window ({when}) and the step has no template"
                        )));
                    }
                    route.template = true;
                }
            }
            Kind::Line => {
                if state.follows != Some(true) {
                    return Ok(Err(
                        "the contact is not a friend of the LINE account (never added it, or unfollowed)".into()
                    ));
                }
            }
            Kind::Telegram => {
                if state.follows == Some(false) {
                    return Ok(Err("the contact blocked the Telegram bot".into()));
                }
            }
        }
        if let Some(quota) = conn.monthly_quota() {
            let month = crate::channel_rules::month_of(self.now_ms);
            if !store::channel_usage::count(self.conn, &conn.id, &month, quota).await? {
                return Ok(Err(format!(
                    "the monthly message quota of `{}` is used up ({quota} messages in {month})",
                    conn.id
                )));
            }
            route.quota_month = Some(month);
        }
        Ok(Ok(route))
    }

    /// Applies a channel's delivery status to the message it names (never backwards: a late
    /// `delivered` after `read` changes nothing). A status for a message whose id is not
    /// recorded yet is `park`ed until it is (see [`Batch::apply_parked_statuses`]).
    pub(crate) async fn apply_status(
        &mut self,
        channel: &str,
        message_id: &str,
        status: DeliveryStatus,
        error: Option<String>,
        park: bool,
    ) -> Result<(), Error> {
        let rank = status.rank();
        let changed =
            delivery_statuses::advance(self.conn, channel, message_id, status.as_str(), rank, error.as_deref()).await?;
        if let Some(&contact_id) = changed.first() {
            self.handled.contact_id = Some(contact_id);
            self.cache.changed_messages(contact_id);
            return Ok(());
        }
        // Nothing changed: the message is further along already, or not known yet.
        let known = delivery_statuses::contact_of(self.conn, channel, message_id).await?;
        if let Some(contact_id) = known {
            self.handled.contact_id = Some(contact_id);
        } else if park {
            let parked = Parked {
                channel: channel.to_owned(),
                external_id: message_id.to_owned(),
                status: status.as_str().to_owned(),
                error,
            };
            // Statuses of messages someone else sent from the same number never match.
            delivery_statuses::park(self.conn, &parked, self.now_ms, self.now_ms - PARKED_STATUS_MS).await?;
        }
        Ok(())
    }

    /// Applies the statuses that arrived before these messages' ids were recorded.
    pub(crate) async fn apply_parked_statuses(&mut self, external_ids: &[String]) -> Result<(), Error> {
        if external_ids.is_empty() {
            return Ok(());
        }
        let parked = delivery_statuses::parked_for(self.conn, self.env.backend, external_ids).await?;
        if parked.is_empty() {
            return Ok(());
        }
        let mut parked: Vec<_> = parked
            .into_iter()
            .filter_map(|p| Some((DeliveryStatus::parse(&p.status)?, p.channel, p.external_id, p.error)))
            .collect();
        parked.sort_by_key(|p| p.0.rank());
        for (status, channel, id, error) in parked {
            self.apply_status(&channel, &id, status, error, false).await?;
            delivery_statuses::unpark(self.conn, &channel, &id).await?;
        }
        Ok(())
    }
}

/// How long a status waits for its message's id before it is dropped.
const PARKED_STATUS_MS: i64 = 7 * 24 * 60 * 60 * 1000;
