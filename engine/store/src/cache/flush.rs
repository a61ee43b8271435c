//! Writing the unit of work back before the commit: every changed or new row, in a few
//! multi-row statements of at most [`CHUNK`] rows each.

use super::{Cache, CHUNK};
use crate::records::{self, Contact, Conversation, Run};
use crate::Error;
use crate::{Backend, Conn, Sql};
use serde_json::Value;

impl Cache {
    /// Writes every change, in a few multi-row statements.
    pub async fn flush(&mut self, c: &mut Conn, now: i64) -> Result<(), Error> {
        let backend = Backend::of_conn(c);
        let contacts: Vec<&Contact> = self.dirty_contacts.iter().filter_map(|id| self.contacts.get(id)).collect();
        for chunk in contacts.chunks(CHUNK) {
            let mut q = Sql::new(backend,
                "INSERT INTO contacts (id, name, first_name, last_name, email, phone, country, language, lifecycle, last_channel,
                    last_inbound_at, opted_out, fields, tags, channels, created_at, updated_at, test_workflow) ",
            );
            q.push_values(chunk.iter(), |mut b, ct| {
                b.push_bind(ct.id);
                for col in records::CONTACT_COLUMNS {
                    b.push_bind(records::text_attr(&ct.attrs, col));
                }
                b.push_bind(ct.last_channel.clone())
                    .push_bind(ct.last_inbound_at)
                    .push_bind(i64::from(ct.opted_out))
                    .push_bind(Value::Object(ct.fields.clone()).to_string())
                    .push_bind(serde_json::json!(ct.tags).to_string())
                    .push_bind(serde_json::to_string(&ct.channels).unwrap_or_else(|_| "{}".into()))
                    .push_bind(ct.created_at)
                    .push_bind(now)
                    .push_bind(ct.test_workflow.clone());
            });
            q.push(
                " ON CONFLICT (id) DO UPDATE SET name = excluded.name, first_name = excluded.first_name,
                    last_name = excluded.last_name, email = excluded.email, phone = excluded.phone, country = excluded.country,
                    language = excluded.language, lifecycle = excluded.lifecycle, last_channel = excluded.last_channel,
                    last_inbound_at = excluded.last_inbound_at, opted_out = excluded.opted_out, fields = excluded.fields,
                    tags = excluded.tags, channels = excluded.channels, updated_at = excluded.updated_at",
            );
            q.build().execute(&mut *c).await?;
        }
        self.dirty_contacts.clear();

        for chunk in self.new_addresses.chunks(CHUNK) {
            let mut q = Sql::new(backend, "INSERT INTO contact_addresses (channel, address, contact_id) ");
            q.push_values(chunk.iter(), |mut b, (channel, address, id)| {
                b.push_bind(channel.clone()).push_bind(address.clone()).push_bind(*id);
            });
            q.push(" ON CONFLICT DO NOTHING");
            q.build().execute(&mut *c).await?;
        }
        self.new_addresses.clear();

        for chunk in self.new_identifiers.chunks(CHUNK) {
            let mut q =
                Sql::new(backend, "INSERT INTO contact_identifiers (kind, value, contact_id, channel, verified_at) ");
            q.push_values(chunk.iter(), |mut b, (identifier, id, channel, at)| {
                b.push_bind(identifier.kind())
                    .push_bind(identifier.value().to_owned())
                    .push_bind(*id)
                    .push_bind(channel.clone())
                    .push_bind(*at);
            });
            q.push(" ON CONFLICT DO NOTHING");
            q.build().execute(&mut *c).await?;
        }
        self.new_identifiers.clear();

        let conversations: Vec<&Conversation> =
            self.dirty_conversations.iter().filter_map(|id| self.conversations.get(id)).collect();
        for chunk in conversations.chunks(CHUNK) {
            let mut q = Sql::new(backend,
                "INSERT INTO conversations (id, contact_id, status, channel, assignee_id, team, priority, opened_at, opened_by,
                    closed_at, closing_category, closing_summary, closed_by, bot_run_id) ",
            );
            q.push_values(chunk.iter(), |mut b, v| {
                b.push_bind(v.id)
                    .push_bind(v.contact_id)
                    .push_bind(v.status.clone())
                    .push_bind(v.channel.clone())
                    .push_bind(v.assignee_id.clone())
                    .push_bind(v.team.clone())
                    .push_bind(v.priority.clone())
                    .push_bind(v.opened_at)
                    .push_bind(v.opened_by.clone())
                    .push_bind(v.closed_at)
                    .push_bind(v.closing_category.clone())
                    .push_bind(v.closing_summary.clone())
                    .push_bind(v.closed_by.clone())
                    .push_bind(v.bot_run);
            });
            q.push(
                " ON CONFLICT (id) DO UPDATE SET status = excluded.status, channel = excluded.channel,
                    assignee_id = excluded.assignee_id, team = excluded.team, priority = excluded.priority,
                    closed_at = excluded.closed_at, closing_category = excluded.closing_category,
                    closing_summary = excluded.closing_summary, closed_by = excluded.closed_by,
                    bot_run_id = excluded.bot_run_id",
            );
            q.build().execute(&mut *c).await?;
        }
        self.dirty_conversations.clear();

        for id in self.dirty_agents.drain() {
            let last = self.agents.as_ref().and_then(|a| a.iter().find(|a| a.id == id)).map(|a| a.last_assigned_at);
            if let Some(last) = last {
                sqlx::query("UPDATE agents SET last_assigned_at = $1 WHERE id = $2")
                    .bind(last)
                    .bind(&id)
                    .execute(&mut *c)
                    .await?;
            }
        }

        let runs: Vec<&Run> = self.dirty_runs.iter().filter_map(|id| self.runs.get(id)).collect();
        for chunk in runs.chunks(CHUNK) {
            let mut q = Sql::new(backend,
                "INSERT INTO runs (id, workflow_id, version, contact_id, status, step, visit, visits, state, wait_kind, wait_data,
                    waiting_since, due_at, vars, seq, origin, last_error, created_at, updated_at, ended_at) ",
            );
            q.push_values(chunk.iter(), |mut b, r| {
                b.push_bind(r.id)
                    .push_bind(r.workflow_id.clone())
                    .push_bind(r.version)
                    .push_bind(r.contact_id)
                    .push_bind(r.status.as_str())
                    .push_bind(r.step.clone())
                    .push_bind(i64::from(r.visit))
                    .push_bind(serde_json::json!(r.visits).to_string())
                    .push_bind(if r.state.is_null() { None } else { Some(r.state.to_string()) })
                    .push_bind(r.wait_kind.clone())
                    .push_bind(if r.wait_data.is_null() { None } else { Some(r.wait_data.to_string()) })
                    .push_bind(r.waiting_since)
                    .push_bind(r.due_at)
                    .push_bind(r.vars.to_string())
                    .push_bind(r.seq)
                    .push_bind(serde_json::json!(r.origin).to_string())
                    .push_bind(r.last_error.clone())
                    .push_bind(r.created_at)
                    .push_bind(now)
                    .push_bind(r.ended_at);
            });
            q.push(
                " ON CONFLICT (id) DO UPDATE SET status = excluded.status, step = excluded.step, visit = excluded.visit,
                    visits = excluded.visits, state = excluded.state, wait_kind = excluded.wait_kind,
                    wait_data = excluded.wait_data, waiting_since = excluded.waiting_since, due_at = excluded.due_at,
                    vars = excluded.vars, seq = excluded.seq, last_error = excluded.last_error,
                    updated_at = excluded.updated_at, ended_at = excluded.ended_at",
            );
            q.build().execute(&mut *c).await?;
        }
        self.dirty_runs.clear();

        for chunk in self.journal.chunks(CHUNK) {
            let mut q = Sql::new(backend, "INSERT INTO run_journal (run_id, seq, at, step, visit, kind, data) ");
            q.push_values(chunk.iter(), |mut b, j| {
                b.push_bind(j.run_id)
                    .push_bind(j.seq)
                    .push_bind(j.at)
                    .push_bind(j.step.clone())
                    .push_bind(j.visit)
                    .push_bind(j.kind)
                    .push_bind(j.data.clone());
            });
            q.build().execute(&mut *c).await?;
        }
        self.journal.clear();

        for chunk in self.messages.chunks(CHUNK) {
            let mut q = Sql::new(
                backend,
                "INSERT INTO messages (contact_id, conversation_id, direction, sender, channel, text, body, run_id,
                    idempotency_key, status, error, created_at) ",
            );
            q.push_values(chunk.iter(), |mut b, m| {
                b.push_bind(m.contact_id)
                    .push_bind(m.conversation_id)
                    .push_bind(m.direction)
                    .push_bind(m.sender.clone())
                    .push_bind(m.channel.clone())
                    .push_bind(m.text.clone())
                    .push_bind(m.body.clone())
                    .push_bind(m.run_id)
                    .push_bind(m.idempotency_key.clone())
                    .push_bind(m.status)
                    .push_bind(m.error.clone())
                    .push_bind(m.created_at);
            });
            q.build().execute(&mut *c).await?;
        }
        self.messages.clear();

        for chunk in self.outbox.chunks(CHUNK) {
            let mut q = Sql::new(backend,
                "INSERT INTO outbox (run_id, contact_id, kind, idempotency_key, payload, awaited, token, status, next_attempt_at,
                    created_at) ",
            );
            q.push_values(chunk.iter(), |mut b, o| {
                b.push_bind(o.run_id)
                    .push_bind(o.contact_id)
                    .push_bind(o.kind)
                    .push_bind(o.idempotency_key.clone())
                    .push_bind(o.payload.clone())
                    .push_bind(o.awaited)
                    .push_bind(o.token)
                    .push_bind("pending")
                    .push_bind(o.created_at)
                    .push_bind(o.created_at);
            });
            q.build().execute(&mut *c).await?;
        }
        self.outbox.clear();

        let (set, clear): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.timers).into_iter().partition(|(_, t)| t.is_some());
        for chunk in clear.chunks(CHUNK) {
            let mut q = Sql::new(backend, "DELETE FROM timers WHERE run_id IN (");
            let mut sep = q.separated(", ");
            for (id, _) in chunk {
                sep.push_bind(*id);
            }
            q.push(")");
            q.build().execute(&mut *c).await?;
        }
        let set: Vec<(i64, i64, i64)> =
            set.into_iter().filter_map(|(id, t)| t.map(|(due, token)| (id, due, token))).collect();
        for chunk in set.chunks(CHUNK) {
            let mut q = Sql::new(backend, "INSERT INTO timers (run_id, due_at, token) ");
            q.push_values(chunk.iter(), |mut b, (id, due, token)| {
                b.push_bind(*id).push_bind(*due).push_bind(*token);
            });
            q.push(" ON CONFLICT (run_id) DO UPDATE SET due_at = excluded.due_at, token = excluded.token");
            q.build().execute(&mut *c).await?;
        }

        for chunk in self.new_enrollments.chunks(CHUNK) {
            let mut q = Sql::new(backend, "INSERT INTO enrollments (workflow_id, contact_id) ");
            q.push_values(chunk.iter(), |mut b, (w, id)| {
                b.push_bind(w.clone()).push_bind(*id);
            });
            q.push(" ON CONFLICT DO NOTHING");
            q.build().execute(&mut *c).await?;
        }
        self.new_enrollments.clear();
        Ok(())
    }
}
