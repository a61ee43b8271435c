//! Events that name the workflow they start: an agent's shortcut (with its form), a signed
//! webhook (whose payload names the contact by a business key) and a manual start. Each
//! starts only a live workflow with that trigger, never for a test chat's contact, and a
//! refusal is an error the sender sees.

use crate::batch::Batch;
use crate::events::{ContactRef, FieldError, Identifier};
use crate::Error;
use serde_json::{json, Map, Value};
use steps::trigger::TriggerKind;
use steps::CompiledWorkflow;
use store::cache::ContactKey;
use store::records::{Agent, Contact};

impl Batch<'_> {
    pub(super) async fn shortcut(
        &mut self,
        contact: ContactRef,
        workflow: String,
        agent_id: String,
        form: Map<String, Value>,
    ) -> Result<(), Error> {
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
                return Err(Error::Refused(format!("agent {agent_id} is not in a team allowed to use `{workflow}`")));
            }
        }
        check_shortcut_form(&wf, &form)?;
        let trigger = json!({"type": "shortcut", "agent": Agent::to_vars(&agent), "form": form});
        self.start_explicit(&workflow, version, &wf, contact_id, trigger).await?;
        Ok(())
    }

    pub(super) async fn webhook(&mut self, workflow: String, payload: Value) -> Result<(), Error> {
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
        let key_name =
            serde_json::to_value(contact_key).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        let contact_id = match key_name.as_str() {
            "id" => self.resolve_contact(&ContactRef::Id(key.parse().unwrap_or(-1))).await?,
            field => self.webhook_contact(field, key).await?,
        };
        self.handled.contact_id = Some(contact_id);
        self.refuse_test_contact(contact_id, &workflow).await?;
        let trigger = json!({"type": "webhook", "payload": payload});
        self.start_explicit(&workflow, version, &wf, contact_id, trigger).await?;
        Ok(())
    }

    pub(super) async fn manual(
        &mut self,
        workflow: String,
        contact: ContactRef,
        vars: Map<String, Value>,
    ) -> Result<(), Error> {
        let (version, wf) = self.live_with(&workflow, "manual")?;
        let contact_id = self.resolve_contact(&contact).await?;
        self.handled.contact_id = Some(contact_id);
        self.refuse_test_contact(contact_id, &workflow).await?;
        let trigger = json!({"type": "manual", "vars": vars, "caller": null});
        self.start_explicit(&workflow, version, &wf, contact_id, trigger).await?;
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
}

/// Refuses a shortcut press whose answers do not fit the shortcut's form (a required field
/// left blank, a select answered with something not among its options, a number that is not
/// one, a key the form does not have), naming the field as `form.<id>`.
pub(crate) fn check_shortcut_form(wf: &CompiledWorkflow, form: &Map<String, Value>) -> Result<(), Error> {
    let TriggerKind::Shortcut { form: fields, .. } = &wf.trigger.kind else { return Ok(()) };
    steps::trigger::check_form(fields, form)
        .map_err(|e| Error::Field(FieldError { path: format!("form.{}", e.field), message: e.message }))
}
