//! Cron schedules. A schedule-triggered workflow fires at each time its cron expression names,
//! in its timezone (the workspace's by default), starting a run for every contact that meets
//! its conditions. Contacts are walked in pages, one transaction each, with the position
//! saved, so a firing over a million contacts survives a crash midway and never starts a
//! contact twice for the same firing (the usual run settings still apply).

use super::batch::Batch;
use super::{Engine, Error};
use crate::clock::{from_millis, to_millis};
use chrono::{DateTime, Utc};
use serde_json::json;
use steps::trigger::{parse_cron, TriggerKind};
use steps::CompiledWorkflow;
use store::Conn;

/// Contacts started per transaction while a schedule fires.
const PAGE: i64 = 500;

/// The first time after `after` the workflow's cron names, if it is a schedule workflow.
pub(super) fn next_fire(
    wf: &CompiledWorkflow,
    workspace: chrono_tz::Tz,
    after: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let TriggerKind::Schedule { cron, timezone } = &wf.trigger.kind else { return None };
    let tz: chrono_tz::Tz = timezone.as_deref().and_then(|t| t.parse().ok()).unwrap_or(workspace);
    let schedule = parse_cron(cron).ok()?;
    schedule.after(&after.with_timezone(&tz)).next().map(|t| t.with_timezone(&Utc))
}

/// Records (or clears) the schedule of a just-published workflow.
pub(super) async fn on_publish(
    c: &mut Conn,
    wf: &CompiledWorkflow,
    workspace: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    match next_fire(wf, workspace, now) {
        Some(next) => {
            store::schedules::set_next(c, &wf.id, to_millis(next)).await?;
        }
        None => {
            store::schedules::delete(c, &wf.id).await?;
        }
    }
    Ok(())
}

impl Engine {
    /// Fires every schedule that is due, a page of contacts per transaction. Returns how many
    /// runs it started.
    pub async fn fire_due_schedules(&self) -> Result<usize, Error> {
        let now = self.inner.clock.now();
        let due = store::schedules::due(&self.inner.pool, to_millis(now)).await?;
        let mut started = 0;
        for workflow in due {
            let Some((version, wf)) = self.inner.registry.live(&workflow) else {
                store::schedules::delete_now(&self.inner.pool, &workflow).await?;
                continue;
            };
            loop {
                let mut tx = self.begin().await?;
                // Each page claims the schedule's row and reads where the firing stands, so
                // processes sharing the store never fire one page twice: a page another
                // process is firing is skipped, and a firing it finished is no longer due.
                let row = store::schedules::claim(tx.conn(), self.inner.backend, &workflow, to_millis(now)).await?;
                let Some(store::schedules::Firing { next_at, firing_at, mut cursor }) = row else { break };
                let firing = firing_at.unwrap_or(next_at);
                let mut batch = Batch::new(self.batch_env(), tx.conn());
                let ids = store::records::reachable_contacts_after(batch.conn, cursor, PAGE).await?;
                let trigger = json!({"type": "schedule", "fired_at": from_millis(firing).to_rfc3339()});
                for id in &ids {
                    if batch.conditions_hold(&wf, *id, &trigger).await? {
                        if let super::batch::Start::Started(_) =
                            batch.try_start(&workflow, version, &wf, *id, trigger.clone(), Vec::new()).await?
                        {
                            started += 1;
                        }
                    }
                }
                batch.finish().await?;
                let (o, t) = (batch.wake_outbox, batch.wake_timers);
                let done = (ids.len() as i64) < PAGE;
                cursor = ids.last().copied().unwrap_or(cursor);
                if done {
                    match next_fire(&wf, self.inner.timezone, now.max(from_millis(firing))).map(to_millis) {
                        Some(next) => store::schedules::fired(tx.conn(), &workflow, next).await?,
                        // A cron with a year can run out of firings.
                        None => store::schedules::delete(tx.conn(), &workflow).await?,
                    }
                } else {
                    store::schedules::advance(tx.conn(), &workflow, firing, cursor).await?;
                }
                self.commit(tx).await?;
                self.after_commit(o, t);
                if done {
                    break;
                }
            }
        }
        Ok(started)
    }

    /// When the next schedule fires, if any.
    pub async fn next_schedule_due(&self) -> Result<Option<DateTime<Utc>>, Error> {
        let due = store::schedules::next_due(&self.inner.pool).await?;
        Ok(due.map(from_millis))
    }
}
