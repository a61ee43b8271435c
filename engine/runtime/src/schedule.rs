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
            sqlx::query(
                "INSERT INTO schedules (workflow_id, next_at) VALUES ($1, $2)
                 ON CONFLICT (workflow_id) DO UPDATE SET next_at = excluded.next_at, firing_at = NULL, cursor = 0",
            )
            .bind(&wf.id)
            .bind(to_millis(next))
            .execute(&mut *c)
            .await?;
        }
        None => {
            sqlx::query("DELETE FROM schedules WHERE workflow_id = $1").bind(&wf.id).execute(&mut *c).await?;
        }
    }
    Ok(())
}

impl Engine {
    /// Fires every schedule that is due, a page of contacts per transaction. Returns how many
    /// runs it started.
    pub async fn fire_due_schedules(&self) -> Result<usize, Error> {
        let now = self.inner.clock.now();
        let due: Vec<(String, i64, Option<i64>, i64)> = sqlx::query_as(
            "SELECT workflow_id, next_at, firing_at, cursor FROM schedules WHERE next_at <= $1 OR firing_at IS NOT NULL",
        )
        .bind(to_millis(now))
        .fetch_all(&self.inner.pool)
        .await?;
        let mut started = 0;
        for (workflow, _, _, _) in due {
            let Some((version, wf)) = self.inner.registry.live(&workflow) else {
                sqlx::query("DELETE FROM schedules WHERE workflow_id = $1")
                    .bind(&workflow)
                    .execute(&self.inner.pool)
                    .await?;
                continue;
            };
            loop {
                let mut tx = self.begin().await?;
                // Each page claims the schedule's row and reads where the firing stands, so
                // processes sharing the store never fire one page twice: a page another
                // process is firing is skipped, and a firing it finished is no longer due.
                let claim = format!(
                    "SELECT next_at, firing_at, cursor FROM schedules
                     WHERE workflow_id = $1 AND (next_at <= $2 OR firing_at IS NOT NULL){}",
                    self.inner.backend.skip_locked()
                );
                let row: Option<(i64, Option<i64>, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(claim))
                    .bind(&workflow)
                    .bind(to_millis(now))
                    .fetch_optional(tx.conn())
                    .await?;
                let Some((next_at, firing_at, mut cursor)) = row else { break };
                let firing = firing_at.unwrap_or(next_at);
                let mut batch = Batch::new(self.batch_env(), tx.conn());
                let ids: Vec<i64> =
                    sqlx::query_scalar("SELECT id FROM contacts WHERE id > $1 AND opted_out = 0 AND test_workflow IS NULL ORDER BY id LIMIT $2")
                        .bind(cursor)
                        .bind(PAGE)
                        .fetch_all(&mut *batch.conn)
                        .await?;
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
                        Some(next) => {
                            sqlx::query(
                                "UPDATE schedules SET next_at = $1, firing_at = NULL, cursor = 0 WHERE workflow_id = $2",
                            )
                            .bind(next)
                            .bind(&workflow)
                            .execute(tx.conn())
                            .await?;
                        }
                        // A cron with a year can run out of firings.
                        None => {
                            sqlx::query("DELETE FROM schedules WHERE workflow_id = $1")
                                .bind(&workflow)
                                .execute(tx.conn())
                                .await?;
                        }
                    }
                } else {
                    sqlx::query("UPDATE schedules SET firing_at = $1, cursor = $2 WHERE workflow_id = $3")
                        .bind(firing)
                        .bind(cursor)
                        .bind(&workflow)
                        .execute(tx.conn())
                        .await?;
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
        let due: Option<i64> =
            sqlx::query_scalar("SELECT MIN(next_at) FROM schedules").fetch_one(&self.inner.pool).await?;
        Ok(due.map(from_millis))
    }
}
