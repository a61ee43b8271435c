//! `agents`, `teams`, `agent_teams`: the people conversations are assigned to and their
//! teams, as operators set them. Reading agents for assignment is in `records.rs`; the
//! assignment rules are the runtime's (`engine/runtime/src/assign.rs`, `people.rs`).

use crate::{Conn, Error};

/// An agent to create or update.
#[derive(Debug, Clone, Copy)]
pub struct AgentRow<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub email: Option<&'a str>,
    pub online: bool,
    pub max_open: Option<i64>,
}

/// Creates or updates an agent. Another agent with the same email breaks a unique
/// constraint ([`Error::is_unique_violation`]).
pub async fn upsert(c: &mut Conn, a: AgentRow<'_>) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO agents (id, name, email, online, max_open) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email, online = excluded.online,
            max_open = excluded.max_open",
    )
    .bind(a.id)
    .bind(a.name)
    .bind(a.email)
    .bind(i64::from(a.online))
    .bind(a.max_open)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Makes the agent a member of exactly these teams (teams are created as needed).
pub async fn set_teams(c: &mut Conn, agent: &str, teams: &[&str]) -> Result<(), Error> {
    sqlx::query("DELETE FROM agent_teams WHERE agent_id = $1").bind(agent).execute(&mut *c).await?;
    for team in teams {
        sqlx::query("INSERT INTO teams (id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(team)
            .bind(team)
            .execute(&mut *c)
            .await?;
        sqlx::query("INSERT INTO agent_teams (agent_id, team_id) VALUES ($1, $2)")
            .bind(agent)
            .bind(team)
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}

/// Sets an agent online or offline; returns whether the agent exists.
pub async fn set_online(c: &mut Conn, id: &str, online: bool) -> Result<bool, Error> {
    let changed = sqlx::query("UPDATE agents SET online = $1 WHERE id = $2")
        .bind(i64::from(online))
        .bind(id)
        .execute(&mut *c)
        .await?
        .rows_affected();
    Ok(changed > 0)
}
