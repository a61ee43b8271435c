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
        let row = store::agents::AgentRow {
            id: &agent.id,
            name: &agent.name,
            email: agent.email.as_deref().map(str::trim).filter(|email| !email.is_empty()),
            online: agent.online,
            max_open: agent.max_open,
        };
        store::agents::upsert(batch.conn, row).await.map_err(|e| match e.is_unique_violation() {
            true => Error::Conflict {
                message: format!(
                    "another agent already has the email {:?}",
                    agent.email.as_deref().unwrap_or_default()
                ),
                details: serde_json::Value::Null,
            },
            false => Error::from(e),
        })?;
        let teams: std::collections::BTreeSet<&str> = agent.teams.iter().map(String::as_str).collect();
        let teams: Vec<&str> = teams.into_iter().collect();
        store::agents::set_teams(batch.conn, &agent.id, &teams).await?;
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
        if !store::agents::set_online(batch.conn, id, online).await? {
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
