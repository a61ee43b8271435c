//! Who an event is about, and changes to them: resolving a contact (an unknown address is a
//! new contact; a verified identifier may join an address to an existing one), filling in
//! their profile, tags and fields set from outside.

use crate::batch::{Batch, Fire, Work};
use crate::events::{ContactRef, Identifier};
use crate::Error;
use serde_json::{json, Map, Value};
use store::cache::MessageRow;
use store::records::{Contact, Joined, CONTACT_COLUMNS};

impl Batch<'_> {
    /// Finds the contact an event is about; an unknown address is a new contact.
    pub async fn resolve_contact(&mut self, contact: &ContactRef) -> Result<i64, Error> {
        self.resolve_sender(contact, &Map::new(), &[]).await
    }

    /// Finds or creates the contact a message is from, the one place where an address can
    /// join a contact that already exists. It does only on an identifier the address's own
    /// channel verified (`verified`, set by channel adapters alone) that was verified for
    /// that contact before; the join is recorded on the address (`channels.<c>.joined`) and
    /// as a system line in the contact's history. A phone or email in `profile` (anyone can
    /// write one through `/api/events`) fills in the addressed contact's empty attributes and
    /// joins nothing, so a sender can never attach their address to someone else's contact
    /// and read what is sent there.
    pub async fn resolve_sender(
        &mut self,
        contact: &ContactRef,
        profile: &Map<String, Value>,
        verified: &[Identifier],
    ) -> Result<i64, Error> {
        let (channel, address) = match contact {
            ContactRef::Id(id) => {
                if !self.cache.contact_exists(self.conn, *id).await? {
                    return Err(Error::NotFound(format!("contact {id}")));
                }
                self.fill_profile(*id, profile).await?;
                return Ok(*id);
            }
            ContactRef::Address { channel, address } => (channel, address),
        };
        if let Some(id) = self.cache.address(self.conn, channel, address).await? {
            self.fill_profile(id, profile).await?;
            self.claim_identifiers(id, channel, verified).await?;
            return Ok(id);
        }
        let mut joined = None;
        for identifier in verified {
            if let Some(id) = self.cache.identified(self.conn, identifier).await? {
                // Test-chat contacts are nobody's identity: a real person never joins one.
                if self.cache.contact(self.conn, id).await?.test_workflow.is_none() {
                    joined = Some((id, identifier.clone()));
                    break;
                }
            }
        }
        let id = match joined {
            Some((id, by)) => {
                self.record_join(id, channel, address, by).await?;
                self.fill_profile(id, profile).await?;
                id
            }
            None => self.cache.new_contact(self.conn, Contact::new(profile, self.now_ms)).await?,
        };
        self.cache.add_address(channel, address, id);
        self.claim_identifiers(id, channel, verified).await?;
        Ok(id)
    }

    /// Records that `channel`'s `address` joined the existing contact `id` on the verified
    /// identifier `by`: on the address's channel state and as a system line in the history.
    async fn record_join(&mut self, id: i64, channel: &str, address: &str, by: Identifier) -> Result<(), Error> {
        let mut c = self.cache.contact(self.conn, id).await?;
        let text = format!(
            "Address {address} on {channel} joined this contact: its verified {} {} matched.",
            by.kind(),
            by.value()
        );
        let state = c.channels.entry(channel.to_owned()).or_default();
        state.address = address.to_owned();
        state.joined = Some(Joined { by, at: self.now_ms });
        self.cache.put_contact(c);
        self.cache.message(MessageRow {
            contact_id: id,
            conversation_id: None,
            direction: "system",
            sender: "system".into(),
            channel: Some(channel.to_owned()),
            text: Some(text),
            body: json!({"kind": "joined"}).to_string(),
            status: "note",
            created_at: self.now_ms,
            ..MessageRow::default()
        });
        Ok(())
    }

    /// Keeps the identifiers `channel` verified for the contact, unless another contact holds
    /// them already (two existing contacts are never merged; the first keeps the identifier).
    async fn claim_identifiers(&mut self, id: i64, channel: &str, verified: &[Identifier]) -> Result<(), Error> {
        for identifier in verified {
            if self.cache.identified(self.conn, identifier).await?.is_none() {
                self.cache.add_identifier(identifier, id, channel, self.now_ms);
            }
        }
        Ok(())
    }

    /// Fills the contact's empty standard attributes from a message's profile (the name a
    /// channel reports, a phone). Set values stay: changing them is a field update, which
    /// workflows can react to.
    async fn fill_profile(&mut self, id: i64, profile: &Map<String, Value>) -> Result<(), Error> {
        if profile.is_empty() {
            return Ok(());
        }
        let mut c = self.cache.contact(self.conn, id).await?;
        let mut changed = false;
        for col in CONTACT_COLUMNS {
            let Some(value) = profile.get(*col).filter(|v| !v.is_null()) else { continue };
            let slot = c.attrs.entry((*col).to_owned()).or_insert(Value::Null);
            if slot.is_null() {
                *slot = value.clone();
                changed = true;
            }
        }
        if changed {
            self.cache.put_contact(c);
        }
        Ok(())
    }

    pub(super) async fn tag_updated(&mut self, contact: ContactRef, tag: String, added: bool) -> Result<(), Error> {
        let contact_id = self.resolve_contact(&contact).await?;
        self.handled.contact_id = Some(contact_id);
        let mut c = self.cache.contact(self.conn, contact_id).await?;
        let had = c.tags.iter().any(|t| t == &tag);
        if had != added {
            if added {
                c.tags.push(tag.clone());
            } else {
                c.tags.retain(|t| t != &tag);
            }
            self.cache.put_contact(c);
            let fire = Fire::TagUpdated { contact_id, tag, added };
            self.work.push_back(Work::Fire { fire, origin: Vec::new() });
        }
        Ok(())
    }

    pub(super) async fn field_updated(
        &mut self,
        contact: ContactRef,
        field: String,
        value: Value,
    ) -> Result<(), Error> {
        steps::vars::check_writable(&field).map_err(Error::Refused)?;
        let contact_id = self.resolve_contact(&contact).await?;
        self.handled.contact_id = Some(contact_id);
        let mut c = self.cache.contact(self.conn, contact_id).await?;
        let old = c.get(&field);
        if c.set(&field, value.clone()) {
            self.cache.put_contact(c);
            let fire = Fire::FieldUpdated { contact_id, field, old, new: value };
            self.work.push_back(Work::Fire { fire, origin: Vec::new() });
        }
        Ok(())
    }
}
