//! Reading contacts into the unit of work and what hangs off them: bulk prefetch for a batch,
//! channel addresses, verified identifiers, contacts by phone or email, conversations and the
//! agent roster.

use super::ids::{IdKind, AGENTS_LOCK};
use super::{Cache, ContactKey, CHUNK};
use crate::records::{self, Agent, Contact, Conversation};
use crate::Error;
use crate::{Backend, Conn, Sql};
use serde_json::Value;
use steps::identifier::Identifier;

impl Cache {
    /// Loads many contacts, their latest conversations and active runs in three statements.
    pub async fn prefetch(&mut self, c: &mut Conn, contact_ids: &[i64]) -> Result<(), Error> {
        let missing: Vec<i64> = contact_ids.iter().copied().filter(|id| !self.contacts.contains_key(id)).collect();
        for chunk in missing.chunks(CHUNK) {
            self.lock(c, chunk).await?;
            for contact in records::load_contacts(c, chunk).await? {
                self.contacts.insert(contact.id, contact);
            }
            for (contact_id, conversation) in records::latest_conversations(c, chunk).await? {
                self.latest.insert(contact_id, Some(conversation.id));
                self.conversations.insert(conversation.id, conversation);
            }
            for id in chunk {
                self.latest.entry(*id).or_insert(None);
            }
            for run in records::active_runs(c, chunk).await? {
                self.runs.entry(run.id).or_insert(run);
            }
            self.active_loaded.extend(chunk.iter().copied());
        }
        Ok(())
    }

    /// Resolves channel addresses to contact ids in bulk (unknown ones stay unknown).
    pub async fn prefetch_addresses(&mut self, c: &mut Conn, addresses: &[(String, String)]) -> Result<(), Error> {
        let missing: Vec<&(String, String)> = addresses.iter().filter(|a| !self.addresses.contains_key(*a)).collect();
        for chunk in missing.chunks(CHUNK) {
            let mut q = Sql::new(
                Backend::of_conn(c),
                "SELECT channel, address, contact_id FROM contact_addresses WHERE (channel, address) IN (",
            );
            let mut sep = q.separated(", ");
            for (channel, address) in chunk {
                sep.push("(")
                    .push_bind_unseparated(channel)
                    .push_unseparated(", ")
                    .push_bind_unseparated(address)
                    .push_unseparated(")");
            }
            q.push(")");
            let rows: Vec<(String, String, i64)> = q.build_query_as().fetch_all(&mut *c).await?;
            for a in chunk {
                self.addresses.insert((*a).clone(), None);
            }
            for (channel, address, id) in rows {
                self.addresses.insert((channel, address), Some(id));
            }
        }
        Ok(())
    }

    pub async fn address(&mut self, c: &mut Conn, channel: &str, address: &str) -> Result<Option<i64>, Error> {
        let key = (channel.to_owned(), address.to_owned());
        if let Some(found) = self.addresses.get(&key) {
            return Ok(*found);
        }
        let found: Option<i64> =
            sqlx::query_scalar("SELECT contact_id FROM contact_addresses WHERE channel = $1 AND address = $2")
                .bind(channel)
                .bind(address)
                .fetch_optional(&mut *c)
                .await?;
        self.addresses.insert(key, found);
        Ok(found)
    }

    pub fn add_address(&mut self, channel: &str, address: &str, contact_id: i64) {
        self.addresses.insert((channel.to_owned(), address.to_owned()), Some(contact_id));
        self.new_addresses.push((channel.to_owned(), address.to_owned(), contact_id));
    }

    /// Resolves verified identifiers to their contacts in bulk (unknown ones stay unknown), so
    /// a batch of channel messages costs one statement, not one per sender.
    pub async fn prefetch_identifiers(&mut self, c: &mut Conn, identifiers: &[Identifier]) -> Result<(), Error> {
        let missing: Vec<&Identifier> = identifiers.iter().filter(|i| !self.identifiers.contains_key(*i)).collect();
        for chunk in missing.chunks(CHUNK) {
            let mut q = Sql::new(
                Backend::of_conn(c),
                "SELECT kind, value, contact_id FROM contact_identifiers WHERE (kind, value) IN (",
            );
            let mut sep = q.separated(", ");
            for identifier in chunk {
                sep.push("(")
                    .push_bind_unseparated(identifier.kind())
                    .push_unseparated(", ")
                    .push_bind_unseparated(identifier.value().to_owned())
                    .push_unseparated(")");
            }
            q.push(")");
            let rows: Vec<(String, String, i64)> = q.build_query_as().fetch_all(&mut *c).await?;
            for identifier in chunk {
                self.identifiers.insert((*identifier).clone(), None);
            }
            for (kind, value, id) in rows {
                if let Some(identifier) = Identifier::stored(&kind, value) {
                    self.identifiers.insert(identifier, Some(id));
                }
            }
        }
        Ok(())
    }

    /// The contact a channel-verified identifier belongs to, if any.
    pub async fn identified(&mut self, c: &mut Conn, identifier: &Identifier) -> Result<Option<i64>, Error> {
        if let Some(found) = self.identifiers.get(identifier) {
            return Ok(*found);
        }
        let found = records::identified(c, identifier).await?;
        self.identifiers.insert(identifier.clone(), found);
        Ok(found)
    }

    /// Records that `channel` verified `identifier` for the contact. The first contact to
    /// hold an identifier keeps it (a later claim by another contact is ignored at flush).
    pub fn add_identifier(&mut self, identifier: &Identifier, contact_id: i64, channel: &str, now: i64) {
        self.identifiers.insert(identifier.clone(), Some(contact_id));
        self.new_identifiers.push((identifier.clone(), contact_id, channel.to_owned(), now));
    }

    /// A contact (loaded on first use).
    pub async fn contact(&mut self, c: &mut Conn, id: i64) -> Result<Contact, Error> {
        if let Some(contact) = self.contacts.get(&id) {
            return Ok(contact.clone());
        }
        self.lock(c, &[id]).await?;
        let contact =
            records::load_contacts(c, &[id]).await?.pop().ok_or_else(|| Error::NotFound(format!("contact {id}")))?;
        self.contacts.insert(id, contact.clone());
        Ok(contact)
    }

    /// Does the contact exist?
    pub async fn contact_exists(&mut self, c: &mut Conn, id: i64) -> Result<bool, Error> {
        match self.contact(c, id).await {
            Ok(_) => Ok(true),
            Err(Error::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Stores a changed contact.
    pub fn put_contact(&mut self, contact: Contact) {
        self.dirty_contacts.insert(contact.id);
        self.contacts.insert(contact.id, contact);
    }

    /// Creates a contact.
    pub async fn new_contact(&mut self, c: &mut Conn, mut contact: Contact) -> Result<i64, Error> {
        contact.id = self.next_id(c, IdKind::Contact).await?;
        let id = contact.id;
        self.latest.insert(id, None);
        self.active_loaded.insert(id);
        self.put_contact(contact);
        Ok(id)
    }

    /// Up to two (non-test) contacts whose `phone` or `email` attribute is `value`, oldest
    /// first: enough to tell "exactly this one" from "ambiguous".
    pub async fn contacts_with(&mut self, c: &mut Conn, key: ContactKey, value: &str) -> Result<Vec<i64>, Error> {
        let column = match key {
            ContactKey::Phone => "phone",
            ContactKey::Email => "email",
        };
        let holds = |contact: &Contact| contact.attrs.get(column).and_then(Value::as_str) == Some(value);
        // What this transaction changed wins over what is stored.
        let mut found: Vec<i64> =
            self.contacts.values().filter(|ct| ct.test_workflow.is_none() && holds(ct)).map(|ct| ct.id).collect();
        let sql = match key {
            ContactKey::Phone => {
                "SELECT id FROM contacts WHERE phone = $1 AND test_workflow IS NULL ORDER BY id LIMIT 3"
            }
            ContactKey::Email => {
                "SELECT id FROM contacts WHERE email = $1 AND test_workflow IS NULL ORDER BY id LIMIT 3"
            }
        };
        let stored: Vec<i64> = sqlx::query_scalar(sql).bind(value).fetch_all(&mut *c).await?;
        found.extend(stored.into_iter().filter(|id| self.contacts.get(id).is_none_or(holds)));
        found.sort_unstable();
        found.dedup();
        found.truncate(2);
        Ok(found)
    }

    // ---- conversations -----------------------------------------------------------------

    /// The contact's latest conversation, open or closed.
    pub async fn latest_conversation(&mut self, c: &mut Conn, contact_id: i64) -> Result<Option<Conversation>, Error> {
        if !self.latest.contains_key(&contact_id) {
            self.lock(c, &[contact_id]).await?;
        }
        if let std::collections::hash_map::Entry::Vacant(slot) = self.latest.entry(contact_id) {
            let latest = records::latest_conversations(c, &[contact_id]).await?.pop();
            slot.insert(latest.as_ref().map(|(_, conv)| conv.id));
            if let Some((_, conv)) = latest {
                self.conversations.insert(conv.id, conv);
            }
        }
        Ok(self.latest.get(&contact_id).copied().flatten().and_then(|id| self.conversations.get(&id).cloned()))
    }

    pub fn put_conversation(&mut self, conv: Conversation) {
        self.dirty_conversations.insert(conv.id);
        self.conversations.insert(conv.id, conv);
    }

    /// Opens a new conversation for the contact; `bot_run`: the run that owns it (see
    /// [`Conversation::bot_run`]).
    pub async fn new_conversation(
        &mut self,
        c: &mut Conn,
        contact_id: i64,
        channel: Option<&str>,
        opened_by: &str,
        bot_run: Option<i64>,
        now: i64,
    ) -> Result<Conversation, Error> {
        let id = self.next_id(c, IdKind::Conversation).await?;
        let conv = Conversation {
            id,
            contact_id,
            status: "open".into(),
            channel: channel.map(str::to_owned),
            assignee_id: None,
            team: None,
            priority: "normal".into(),
            opened_at: now,
            opened_by: opened_by.into(),
            closed_at: None,
            closing_category: None,
            closing_summary: None,
            closed_by: None,
            bot_run,
        };
        self.latest.insert(contact_id, Some(id));
        self.put_conversation(conv.clone());
        Ok(conv)
    }

    // ---- agents ------------------------------------------------------------------------

    /// Every agent, loaded once per transaction.
    pub async fn agents(&mut self, c: &mut Conn) -> Result<&mut Vec<Agent>, Error> {
        if self.agents.is_none() {
            self.lock(c, &[AGENTS_LOCK]).await?;
            self.agents = Some(records::load_agents(c).await?);
        }
        Ok(self.agents.get_or_insert_with(Vec::new))
    }

    pub async fn agent(&mut self, c: &mut Conn, id: &str) -> Result<Option<Agent>, Error> {
        Ok(self.agents(c).await?.iter().find(|a| a.id == id).cloned())
    }

    /// Records an assignment: the agent was assigned now and has one more open conversation.
    pub async fn assigned(&mut self, c: &mut Conn, agent_id: &str, now: i64) -> Result<(), Error> {
        if let Some(a) = self.agents(c).await?.iter_mut().find(|a| a.id == agent_id) {
            a.last_assigned_at = now;
            a.open_count += 1;
        }
        self.dirty_agents.insert(agent_id.to_owned());
        Ok(())
    }

    /// An agent's conversation was closed or taken away.
    pub async fn released(&mut self, c: &mut Conn, agent_id: &str) -> Result<(), Error> {
        if let Some(a) = self.agents(c).await?.iter_mut().find(|a| a.id == agent_id) {
            a.open_count = (a.open_count - 1).max(0);
        }
        Ok(())
    }
}
