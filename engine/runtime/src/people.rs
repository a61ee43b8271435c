//! Agents and teams: who can be assigned. Changing an agent's availability offers the
//! assignment queue to them at once. Warnings on workflow steps whose target nobody could take.

use super::batch::Batch;
use super::{Engine, Error};
use serde::{Deserialize, Serialize};

/// An agent as the API creates or updates one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AgentSpec {
    /// The agent's id (in `PUT /api/agents/{id}`, the path's; a different one here is refused).
    #[serde(default)]
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub teams: Vec<String>,
    #[serde(default)]
    pub online: bool,
    /// At most this many open conversations at once.
    #[serde(default)]
    pub max_open: Option<i64>,
}

impl Engine {
    /// Creates or updates an agent and their team memberships (teams are created as needed).
    pub async fn upsert_agent(&self, agent: &AgentSpec) -> Result<(), Error> {
        let mut tx = self.begin().await?;
        let mut batch = Batch::new(self.batch_env(), tx.conn());
        sqlx::query(
            "INSERT INTO agents (id, name, email, online, max_open) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email, online = excluded.online,
                max_open = excluded.max_open",
        )
        .bind(&agent.id)
        .bind(&agent.name)
        .bind(agent.email.as_deref().map(str::trim).filter(|email| !email.is_empty()))
        .bind(i64::from(agent.online))
        .bind(agent.max_open)
        .execute(&mut *batch.conn)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => Error::Conflict {
                message: format!(
                    "another agent already has the email {:?}",
                    agent.email.as_deref().unwrap_or_default()
                ),
                details: serde_json::Value::Null,
            },
            _ => Error::from(e),
        })?;
        sqlx::query("DELETE FROM agent_teams WHERE agent_id = $1").bind(&agent.id).execute(&mut *batch.conn).await?;
        let teams: std::collections::BTreeSet<&String> = agent.teams.iter().collect();
        for team in teams {
            sqlx::query("INSERT INTO teams (id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(team)
                .bind(team)
                .execute(&mut *batch.conn)
                .await?;
            sqlx::query("INSERT INTO agent_teams (agent_id, team_id) VALUES ($1, $2)")
                .bind(&agent.id)
                .bind(team)
                .execute(&mut *batch.conn)
                .await?;
        }
        batch.agents_changed = true;
        // Concluded, not just finished: what the queue assigned to a newly available agent is
        // announced live, so consoles see the conversation move.
        let concluded = batch.conclude().await?;
        self.commit_concluded(tx, concluded).await?;
        Ok(())
    }

    /// Sets an agent online or offline; coming online offers them queued conversations.
    pub async fn set_agent_online(&self, id: &str, online: bool) -> Result<(), Error> {
        let mut tx = self.begin().await?;
        let mut batch = Batch::new(self.batch_env(), tx.conn());
        let changed = sqlx::query("UPDATE agents SET online = $1 WHERE id = $2")
            .bind(i64::from(online))
            .bind(id)
            .execute(&mut *batch.conn)
            .await?
            .rows_affected();
        if changed == 0 {
            return Err(Error::NotFound(format!("agent {id}")));
        }
        batch.agents_changed = online;
        // Concluded, not just finished: what the queue assigned to a newly available agent is
        // announced live, so consoles see the conversation move.
        let concluded = batch.conclude().await?;
        self.commit_concluded(tx, concluded).await?;
        Ok(())
    }
}

/// An `assign` or `escalate` step whose target (spelled out in the file) nobody could take
/// now: the editor shows it on the step like a compiler warning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssignmentWarning {
    pub step: String,
    /// A JSON pointer to the field naming the target (the step itself for the workspace).
    pub path: String,
    pub message: String,
}

impl Engine {
    /// Warnings on the steps of `wf` that assign to a target no agent could take now (see
    /// `assign::target_warning`); targets filled in from variables are not checked.
    pub async fn assignment_warnings(&self, wf: &steps::CompiledWorkflow) -> Result<Vec<AssignmentWarning>, Error> {
        let targets: Vec<_> =
            wf.steps.iter().filter_map(|(id, step)| Some((id, step.config.static_assign_target()?))).collect();
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        let agents = self.agents().await?;
        Ok(targets
            .into_iter()
            .filter_map(|(id, target)| {
                let message = super::assign::target_warning(&agents, &target)?;
                let step = steps::diagnostic::child("/steps", id);
                let path = match target.field() {
                    Some(field) => steps::diagnostic::child(&step, field),
                    None => step,
                };
                Some(AssignmentWarning { step: id.to_string(), path, message })
            })
            .collect())
    }
}
