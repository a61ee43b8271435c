//! Events in, runs out. An outside event is first applied to the store (a message recorded,
//! a conversation closed, a tag added); what it means for workflows is then a [`Fire`]:
//! every live workflow whose trigger matches it, whose conditions hold and whose settings
//! allow it (once per contact, one active run, the loop guard) starts a run. Effects of runs
//! (a tag a flow adds) fire the same way, carrying the chain of workflows that caused them.

use super::advance::{Batch, Expect, LoopGuard, Queued, Work};
use super::events::{ContactRef, EventKind, Identifier};
use super::Error;
use serde_json::{json, Map, Value};
use steps::answer::fold;
use steps::machine::Input;
use steps::message::InboundMessage;
use steps::trigger::{ExitCondition, KeywordMatch, TagAction, TriggerKind, WhenActive};
use steps::CompiledWorkflow;
use store::cache::{ContactKey, MessageRow, OutboxRow};
use store::records::{Agent, Contact, Conversation, Joined, CONTACT_COLUMNS};

/// What an attempt to start a run came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Start {
    Started(i64),
    /// The contact is in the workflow already; the trigger waits its turn (`when_active: queue`).
    Queued,
    Refused(String),
}

/// Something that happened to a contact that may start workflows.
#[derive(Debug, Clone)]
pub(super) enum Fire {
    MessageReceived {
        contact_id: i64,
        channel: String,
        message: InboundMessage,
    },
    ConversationOpened {
        contact_id: i64,
        source: String,
    },
    ConversationClosed {
        contact_id: i64,
        closed_by: String,
        category: Option<String>,
        summary: Option<String>,
        auto: bool,
    },
    TagUpdated {
        contact_id: i64,
        tag: String,
        added: bool,
    },
    FieldUpdated {
        contact_id: i64,
        field: String,
        old: Value,
        new: Value,
    },
}

impl Fire {
    fn trigger_type(&self) -> &'static str {
        match self {
            Fire::MessageReceived { .. } => "message_received",
            Fire::ConversationOpened { .. } => "conversation_opened",
            Fire::ConversationClosed { .. } => "conversation_closed",
            Fire::TagUpdated { .. } => "tag_updated",
            Fire::FieldUpdated { .. } => "field_updated",
        }
    }

    fn contact_id(&self) -> i64 {
        match self {
            Fire::MessageReceived { contact_id, .. }
            | Fire::ConversationOpened { contact_id, .. }
            | Fire::ConversationClosed { contact_id, .. }
            | Fire::TagUpdated { contact_id, .. }
            | Fire::FieldUpdated { contact_id, .. } => *contact_id,
        }
    }

    /// `trigger.*` for runs this starts.
    fn vars(&self) -> Value {
        match self {
            Fire::MessageReceived { channel, message, .. } => {
                json!({"type": "message_received", "message": message, "channel": channel})
            }
            Fire::ConversationOpened { source, .. } => json!({"type": "conversation_opened", "source": source}),
            Fire::ConversationClosed { closed_by, category, summary, auto, .. } => json!({
                "type": "conversation_closed", "closed_by": closed_by, "category": category, "summary": summary, "auto_closed": auto
            }),
            Fire::TagUpdated { tag, added, .. } => {
                json!({"type": "tag_updated", "tag": tag, "action": if *added { "added" } else { "removed" }})
            }
            Fire::FieldUpdated { field, old, new, .. } => {
                json!({"type": "field_updated", "field": field, "old_value": old, "new_value": new})
            }
        }
    }

    /// Does this trigger's own options (keywords, tag, field, ...) accept the happening?
    fn matches(&self, kind: &TriggerKind) -> bool {
        match (self, kind) {
            (
                Fire::MessageReceived { channel, message, .. },
                TriggerKind::MessageReceived { keywords, keyword_match, channels },
            ) => {
                (channels.is_empty() || channels.iter().any(|c| c == channel))
                    && (keywords.is_empty()
                        || keywords_match(message.text.as_deref().unwrap_or(""), keywords, *keyword_match))
            }
            (Fire::ConversationOpened { source, .. }, TriggerKind::ConversationOpened { sources }) => {
                sources.is_empty()
                    || sources.iter().any(|s| {
                        serde_json::to_value(s).ok().and_then(|v| v.as_str().map(str::to_owned)).as_deref()
                            == Some(source)
                    })
            }
            (
                Fire::ConversationClosed { category, auto, .. },
                TriggerKind::ConversationClosed { skip_auto_closed, categories },
            ) => {
                !(*skip_auto_closed && *auto)
                    && (categories.is_empty()
                        || category.as_ref().is_some_and(|c| categories.iter().any(|k| k.eq_ignore_ascii_case(c))))
            }
            (Fire::TagUpdated { tag, added, .. }, TriggerKind::TagUpdated { tag: wanted, action }) => {
                tag.eq_ignore_ascii_case(wanted)
                    && match action {
                        TagAction::Any => true,
                        TagAction::Added => *added,
                        TagAction::Removed => !*added,
                    }
            }
            (Fire::FieldUpdated { field, .. }, TriggerKind::FieldUpdated { field: wanted }) => field == wanted,
            _ => false,
        }
    }
}

/// Keyword matching ignores case and accents; `contains` matches whole words.
fn keywords_match(text: &str, keywords: &[String], how: KeywordMatch) -> bool {
    let text = fold(text);
    let words: Vec<&str> = text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    keywords.iter().map(|k| fold(k)).filter(|k| !k.is_empty()).any(|k| match how {
        KeywordMatch::Exact => text == k,
        KeywordMatch::StartsWith => text.starts_with(&k),
        KeywordMatch::Contains => {
            let kw: Vec<&str> = k.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
            !kw.is_empty() && words.windows(kw.len()).any(|w| w == kw.as_slice())
        }
    })
}

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

    /// The contact a signed webhook names by a business key (`contact_key: phone|email`). The
    /// payload is signed by the business's own system, so this may look up an existing
    /// contact: the one its earlier webhooks addressed by this key, else the one whose
    /// verified phone it is, else the oldest with the attribute; none is a new contact. The
    /// webhook's own address (`webhook-<key>`) is kept only on a contact it created or found
    /// by a verified identifier: an attribute anyone may have written is looked up afresh
    /// every time and never becomes an address.
    async fn webhook_contact(&mut self, field: &str, key: String) -> Result<i64, Error> {
        let channel = format!("webhook-{field}");
        if let Some(id) = self.cache.address(self.conn, &channel, &key).await? {
            return Ok(id);
        }
        let identifier = if field == "phone" { Identifier::phone(&key) } else { None };
        if let Some(identifier) = identifier {
            if let Some(id) = self.cache.identified(self.conn, &identifier).await? {
                if self.cache.contact(self.conn, id).await?.test_workflow.is_none() {
                    self.cache.add_address(&channel, &key, id);
                    return Ok(id);
                }
            }
        }
        // An attribute is no proof of identity: integrations and flows can write it. It
        // addresses a contact only when exactly one contact holds it; when several do
        // (someone else may have copied it), the webhook is refused rather than guessed.
        let by = if field == "phone" { ContactKey::Phone } else { ContactKey::Email };
        match self.cache.contacts_with(self.conn, by, &key).await?.as_slice() {
            [] => {}
            [only] => return Ok(*only),
            _ => {
                return Err(Error::Refused(format!(
                    "several contacts have this {field}; the webhook cannot tell which one it means \
                     (address contacts by id, `contact_key: id`, or by a phone a channel verified)"
                )))
            }
        }
        let mut profile = Map::new();
        profile.insert(field.to_owned(), Value::String(key.clone()));
        let id = self.cache.new_contact(self.conn, Contact::new(&profile, self.now_ms)).await?;
        self.cache.add_address(&channel, &key, id);
        Ok(id)
    }

    /// The contact opted out (a keyword, an unfollow, the API): their runs end and nothing
    /// queued for them goes out any more, whoever queued it.
    async fn opt_out(&mut self, contact_id: i64) -> Result<(), Error> {
        let mut c = self.cache.contact(self.conn, contact_id).await?;
        c.opted_out = true;
        self.cache.put_contact(c);
        self.exit_runs(contact_id, ExitCondition::ContactOptedOut, None).await?;
        self.drop_queued_messages(Queued::OfContact(contact_id), "not sent: the contact opted out").await
    }

    /// A follow or unfollow (block) on a channel. Unfollowing opts the contact out; following
    /// again is consent to hear from the account again.
    async fn set_following(&mut self, contact: &ContactRef, channel: String, follows: bool) -> Result<(), Error> {
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

    /// Applies an outside event to the store and queues what follows from it.
    /// `verified`: identifiers the event's channel verified (see [`Identifier`]).
    pub async fn apply_event(&mut self, kind: EventKind, verified: &[Identifier]) -> Result<(), Error> {
        match kind {
            EventKind::MessageReceived { contact, channel, message, profile } => {
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
                let keywords = &self.env.opt_out;
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
                    .filter(|r| r.status == "waiting" && r.wait_kind.as_deref() == Some("reply"))
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
            }
            EventKind::AgentReplied { contact, agent_id, text } => {
                let contact_id = self.resolve_contact(&contact).await?;
                self.handled.contact_id = Some(contact_id);
                if self.cache.agent(self.conn, &agent_id).await?.is_none() {
                    return Err(Error::NotFound(format!("agent {agent_id}")));
                }
                let c = self.cache.contact(self.conn, contact_id).await?;
                if self.env.reply_to_closed == super::ReplyToClosed::Refuse {
                    let latest = self.cache.latest_conversation(self.conn, contact_id).await?;
                    if latest.is_some_and(|v| v.status != "open") {
                        return Err(Error::Refused(format!(
                            "contact {contact_id}'s conversation is closed; open it before replying \
                             (replies to closed conversations are refused by the `reply_to_closed` setting)"
                        )));
                    }
                }
                let (mut conversation, _) =
                    self.open_conversation(contact_id, c.last_channel.as_deref(), "user").await?;
                // A person wrote in it: a bot-owned conversation is people's from now on.
                if conversation.bot_run.is_some() {
                    conversation.hand_over();
                    self.cache.put_conversation(conversation.clone());
                }
                let channel = c.last_channel.clone().unwrap_or_else(|| "simulator".into());
                // The channel's rules hold for people too (the window, LINE friends and
                // quota); a contact who opted out of automated messages may still be
                // answered by a person when they write.
                let outbound = steps::message::OutboundMessage {
                    text: text.clone(),
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
                let message = json!({"text": text, "channel": channel});
                self.cache.message(MessageRow {
                    contact_id,
                    conversation_id: Some(conversation.id),
                    direction: "out",
                    sender: format!("agent:{agent_id}"),
                    channel: Some(channel.clone()),
                    text: Some(text),
                    body: message.to_string(),
                    idempotency_key: Some(key.clone()),
                    status: "pending",
                    created_at: self.now_ms,
                    ..MessageRow::default()
                });
                let payload = json!({
                    "contact_id": contact_id, "channel": channel, "message": message,
                    "to": route.to, "quota_month": route.quota_month,
                });
                self.cache.outbox(OutboxRow {
                    run_id: None,
                    contact_id,
                    kind: "message",
                    idempotency_key: key,
                    payload: payload.to_string(),
                    awaited: 0,
                    token: 0,
                    created_at: self.now_ms,
                });
                self.wake_outbox = true;
                self.exit_runs(contact_id, ExitCondition::AgentReplied, None).await?;
            }
            EventKind::ConversationOpened { contact, by } => {
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
            }
            EventKind::ConversationClosed { contact, closed_by, category, summary, auto } => {
                let contact_id = self.resolve_contact(&contact).await?;
                self.handled.contact_id = Some(contact_id);
                let open = self.cache.latest_conversation(self.conn, contact_id).await?.filter(|c| c.status == "open");
                let Some(mut conv) = open else {
                    return Err(Error::Refused(format!("{} has no open conversation", named(&contact, contact_id))));
                };
                conv.status = "closed".into();
                conv.closed_at = Some(self.now_ms);
                conv.closing_category = category.clone();
                conv.closing_summary = summary.clone();
                conv.closed_by = Some(closed_by.clone());
                let released = conv.assignee_id.clone();
                self.cache.put_conversation(conv);
                if let Some(agent) = released {
                    self.cache.released(self.conn, &agent).await?;
                }
                self.agents_changed = true;
                self.exit_runs(contact_id, ExitCondition::ConversationClosed, None).await?;
                let fire = Fire::ConversationClosed { contact_id, closed_by, category, summary, auto };
                self.work.push_back(Work::Fire { fire, origin: Vec::new() });
            }
            EventKind::Assigned { contact, agent_id } => {
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
            }
            EventKind::TagUpdated { contact, tag, added } => {
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
            }
            EventKind::FieldUpdated { contact, field, value } => {
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
            }
            EventKind::OptedOut { contact } => {
                let contact_id = self.resolve_contact(&contact).await?;
                self.handled.contact_id = Some(contact_id);
                self.opt_out(contact_id).await?;
            }
            EventKind::Followed { contact, channel } => self.set_following(&contact, channel, true).await?,
            EventKind::Unfollowed { contact, channel } => self.set_following(&contact, channel, false).await?,
            EventKind::DeliveryStatus { channel, message_id, status, error } => {
                self.apply_status(&channel, &message_id, status, error, true).await?;
            }
            EventKind::Shortcut { contact, workflow, agent_id, form } => {
                let (version, wf) = self.live_with(&workflow, "shortcut")?;
                let contact_id = self.resolve_contact(&contact).await?;
                self.handled.contact_id = Some(contact_id);
                self.refuse_test_contact(contact_id, &workflow).await?;
                let agent = self
                    .cache
                    .agent(self.conn, &agent_id)
                    .await?
                    .ok_or_else(|| Error::NotFound(format!("agent {agent_id}")))?;
                if let TriggerKind::Shortcut { teams, .. } = &wf.trigger.kind {
                    if !teams.is_empty() && !agent.teams.iter().any(|t| teams.contains(t)) {
                        return Err(Error::Refused(format!(
                            "agent {agent_id} is not in a team allowed to use `{workflow}`"
                        )));
                    }
                }
                check_shortcut_form(&wf, &form)?;
                let trigger = json!({"type": "shortcut", "agent": Agent::to_vars(&agent), "form": form});
                self.start_explicit(&workflow, version, &wf, contact_id, trigger).await?;
            }
            EventKind::Webhook { workflow, payload } => {
                let (version, wf) = self.live_with(&workflow, "webhook")?;
                let TriggerKind::Webhook { contact_key, contact_path } = &wf.trigger.kind else {
                    return Err(Error::Refused(format!("`{workflow}` is not a webhook workflow")));
                };
                let key = serde_json_path::JsonPath::parse(contact_path)
                    .ok()
                    .and_then(|p| p.query(&payload).first().cloned())
                    .and_then(|v| match v {
                        Value::String(s) => Some(s),
                        Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    })
                    .ok_or_else(|| Error::Refused(format!("the payload has no contact at `{contact_path}`")))?;
                let key_name = serde_json::to_value(contact_key)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                let contact_id = match key_name.as_str() {
                    "id" => self.resolve_contact(&ContactRef::Id(key.parse().unwrap_or(-1))).await?,
                    field => self.webhook_contact(field, key).await?,
                };
                self.handled.contact_id = Some(contact_id);
                self.refuse_test_contact(contact_id, &workflow).await?;
                let trigger = json!({"type": "webhook", "payload": payload});
                self.start_explicit(&workflow, version, &wf, contact_id, trigger).await?;
            }
            EventKind::Manual { workflow, contact, vars } => {
                let (version, wf) = self.live_with(&workflow, "manual")?;
                let contact_id = self.resolve_contact(&contact).await?;
                self.handled.contact_id = Some(contact_id);
                self.refuse_test_contact(contact_id, &workflow).await?;
                let trigger = json!({"type": "manual", "vars": vars, "caller": null});
                self.start_explicit(&workflow, version, &wf, contact_id, trigger).await?;
            }
        }
        Ok(())
    }

    /// Refuses to start a published workflow for a test-chat contact (shortcuts, webhooks and
    /// manual starts name their workflow; the sandbox allows only the snapshot under test).
    async fn refuse_test_contact(&mut self, contact_id: i64, workflow: &str) -> Result<(), Error> {
        match self.cache.contact(self.conn, contact_id).await?.test_workflow {
            Some(_) => Err(Error::Refused(format!(
                "contact {contact_id} is a test-chat contact; `{workflow}` does not start for it"
            ))),
            None => Ok(()),
        }
    }

    fn live_with(&self, workflow: &str, trigger: &str) -> Result<(i64, std::sync::Arc<CompiledWorkflow>), Error> {
        let (version, wf) = self
            .env
            .registry
            .live(workflow)
            .ok_or_else(|| Error::Refused(format!("workflow `{workflow}` is not published (or is stopped)")))?;
        if wf.trigger.kind.name() != trigger {
            let actual = wf.trigger.kind.name();
            return Err(Error::Refused(format!("workflow `{workflow}` is started by `{actual}`, not `{trigger}`")));
        }
        Ok((version, wf))
    }

    /// Starts a workflow named by the event (shortcut, webhook, manual); a refusal is an error
    /// the caller sees.
    pub(super) async fn start_explicit(
        &mut self,
        workflow: &str,
        version: i64,
        wf: &CompiledWorkflow,
        contact_id: i64,
        trigger: Value,
    ) -> Result<(), Error> {
        if !self.conditions_hold(wf, contact_id, &trigger).await? {
            return Err(Error::Refused(format!("the trigger conditions of `{workflow}` do not hold for this contact")));
        }
        match self.try_start(workflow, version, wf, contact_id, trigger, Vec::new()).await? {
            Start::Started(_) => Ok(()),
            Start::Queued => {
                self.handled.queued.push(workflow.to_owned());
                Ok(())
            }
            Start::Refused(reason) => Err(Error::Refused(reason)),
        }
    }

    /// The contact's open conversation, and whether it was opened just now.
    pub(super) async fn open_conversation(
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

    /// Starts every live workflow that `fire` triggers.
    pub async fn fire(&mut self, fire: Fire, origin: Vec<String>) -> Result<(), Error> {
        let contact_id = fire.contact_id();
        let trigger = fire.vars();
        // A test-chat contact lives in its workflow's sandbox: only that workflow's snapshot
        // can start for it, and the chat says why when it does not.
        let test_workflow = self.cache.contact(self.conn, contact_id).await?.test_workflow;
        let candidates = match &test_workflow {
            None => self.env.registry.live_with_trigger(fire.trigger_type()),
            Some(workflow) => {
                let version = -contact_id;
                let wf = self.env.registry.get(self.conn, workflow, version).await?;
                let wanted = wf.trigger.kind.name();
                if wanted == fire.trigger_type() {
                    vec![(workflow.clone(), version, wf)]
                } else {
                    // Only say so for what the contact did, not for a flow's own side effects.
                    if origin.is_empty() && matches!(fire, Fire::MessageReceived { .. }) {
                        self.handled.test_notes.push(format!("`{workflow}` starts on `{wanted}`, not on a message"));
                    }
                    Vec::new()
                }
            }
        };
        for (id, version, wf) in candidates {
            if !fire.matches(&wf.trigger.kind) {
                if test_workflow.is_some() {
                    self.handled.test_notes.push(format!("the trigger of `{id}` does not match this"));
                }
                continue;
            }
            if let Some(guard) = LoopGuard::check(&id, &origin) {
                self.loop_guarded(contact_id, &id, &origin, guard);
                continue;
            }
            if !self.conditions_hold(&wf, contact_id, &trigger).await? {
                if test_workflow.is_some() {
                    self.handled.test_notes.push(format!("the trigger conditions of `{id}` do not hold"));
                }
                continue;
            }
            match self.try_start(&id, version, &wf, contact_id, trigger.clone(), origin.clone()).await? {
                Start::Started(_) => {}
                Start::Queued => self.handled.queued.push(id),
                Start::Refused(reason) => {
                    tracing::debug!(workflow = %id, contact = contact_id, %reason, "trigger not started");
                    if test_workflow.is_some() {
                        self.handled.test_notes.push(reason);
                    }
                }
            }
        }
        Ok(())
    }

    /// Evaluates the trigger's conditions for this contact. A condition that fails to
    /// evaluate counts as not holding (and is logged), so a broken condition never starts runs.
    pub(super) async fn conditions_hold(
        &mut self,
        wf: &CompiledWorkflow,
        contact_id: i64,
        trigger: &Value,
    ) -> Result<bool, Error> {
        let Some(cond) = &wf.trigger.conditions else { return Ok(true) };
        let contact: Contact = self.cache.contact(self.conn, contact_id).await?;
        let conversation = self.cache.latest_conversation(self.conn, contact_id).await?;
        let assignee = match conversation.as_ref().and_then(|c| c.assignee_id.clone()) {
            Some(id) => self.cache.agent(self.conn, &id).await?,
            None => None,
        };
        let vars = json!({
            "contact": contact.to_vars(),
            "conversation": conversation.as_ref().map(Conversation::to_vars),
            "assignee": assignee.as_ref().map(Agent::to_vars),
            "trigger": trigger,
            "steps": {},
            "system": super::advance::system_vars(self.now_for(&contact).await?, self.env.timezone),
        });
        match cond.eval(&vars) {
            Ok(holds) => Ok(holds),
            Err(e) => {
                tracing::warn!(workflow = %wf.id, error = %e, "trigger condition failed to evaluate");
                Ok(false)
            }
        }
    }

    /// Starts a run unless the workflow's settings say no (or say "later").
    pub async fn try_start(
        &mut self,
        workflow: &str,
        version: i64,
        wf: &CompiledWorkflow,
        contact_id: i64,
        trigger: Value,
        origin: Vec<String>,
    ) -> Result<Start, Error> {
        if wf.settings.once_per_contact && self.cache.enrolled(self.conn, workflow, contact_id).await? {
            return Ok(Start::Refused(format!("the contact was already enrolled in `{workflow}` once")));
        }
        let active = self.cache.active_runs(self.conn, contact_id).await?.iter().any(|r| r.workflow_id == workflow);
        if active {
            return Ok(match wf.settings.when_active {
                WhenActive::Drop => Start::Refused(format!("the contact is already in `{workflow}`")),
                WhenActive::Queue => {
                    sqlx::query(
                        "INSERT INTO queued_triggers (workflow_id, contact_id, trigger, origin, created_at) VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(workflow)
                    .bind(contact_id)
                    .bind(trigger.to_string())
                    .bind(json!(origin).to_string())
                    .bind(self.now_ms)
                    .execute(&mut *self.conn)
                    .await?;
                    self.cache.queued();
                    Start::Queued
                }
            });
        }
        Ok(Start::Started(self.start_run(workflow, version, wf, contact_id, trigger, origin).await?))
    }
}

/// Refuses a shortcut press whose answers do not fit the shortcut's form (a required field
/// left blank, a select answered with something not among its options, a number that is not
/// one, a key the form does not have), naming the field as `form.<id>`.
pub(super) fn check_shortcut_form(wf: &CompiledWorkflow, form: &Map<String, Value>) -> Result<(), Error> {
    let TriggerKind::Shortcut { form: fields, .. } = &wf.trigger.kind else { return Ok(()) };
    steps::trigger::check_form(fields, form)
        .map_err(|e| Error::Field(super::events::FieldError { path: format!("form.{}", e.field), message: e.message }))
}

/// A suffix that makes an id unique without coordination (agent messages have no run, step
/// and visit to derive their idempotency key from).
fn unique_suffix() -> String {
    let mut bytes = [0u8; 12];
    if getrandom::fill(&mut bytes).is_err() {
        // Without randomness, time in nanoseconds is still unique enough for one process.
        return format!("{:?}", std::time::SystemTime::now());
    }
    hex::encode(bytes)
}

/// A contact as a refusal names it: by the address the event gave (the id of a contact the
/// refused event itself created means nothing once it is rolled back), else by id.
fn named(contact: &ContactRef, id: i64) -> String {
    match contact {
        ContactRef::Address { channel, address } => format!("the contact at `{address}` on {channel}"),
        ContactRef::Id(_) => format!("contact {id}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_match_words_without_case_or_accents() {
        let kw = vec!["menu".to_owned(), "ayuda rápida".to_owned()];
        assert!(keywords_match("Show me the MENU please", &kw, KeywordMatch::Contains));
        assert!(keywords_match("necesito AYUDA RAPIDA!", &kw, KeywordMatch::Contains));
        assert!(!keywords_match("menus", &kw, KeywordMatch::Contains));
        assert!(keywords_match("Menu", &kw, KeywordMatch::Exact));
        assert!(!keywords_match("the menu", &kw, KeywordMatch::Exact));
        assert!(keywords_match("menu now", &kw, KeywordMatch::StartsWith));
    }
}
