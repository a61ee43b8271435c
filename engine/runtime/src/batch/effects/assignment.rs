//! Assignment: a step asking for a person (assign, escalate) gets an agent now or waits in the
//! assignment queue, which is offered again whenever agents change; unassigning frees one.

use super::World;
use crate::batch::conversations::Opens;
use crate::batch::{Batch, Expect, Work};
use crate::Error;
use steps::machine::{AgentRef, AssignRequest, Input, Outcome};
use store::records::{Agent, Run};

impl Batch<'_> {
    /// Assigns the conversation to the agent the request picks, or remembers the request for
    /// the queue when nobody qualifies.
    pub(super) async fn assign(
        &mut self,
        run: &mut Run,
        world: &mut World,
        request: &AssignRequest,
    ) -> Result<Option<Outcome>, Error> {
        // Asking for a person (assign, escalate) makes the conversation people's, even
        // while nobody qualifies yet: it waits in the inbox, not hidden.
        self.ensure_conversation(world, run, Opens::ForPeople).await?;
        let picked = crate::assign::pick(self.cache.agents(self.conn).await?, request).cloned();
        match picked {
            Some(agent) => {
                self.assign_to(world, &agent, request.team.clone(), run.id).await?;
                Ok(Some(Outcome::Assigned {
                    agent: AgentRef {
                        id: agent.id.clone(),
                        name: agent.name.clone(),
                        team: agent.teams.first().cloned(),
                    },
                }))
            }
            None => {
                // Remember the request so the queue can offer it again when an agent frees up.
                run.wait_data = serde_json::to_value(request).unwrap_or(serde_json::Value::Null);
                Ok(Some(Outcome::NoAgentAvailable))
            }
        }
    }

    pub(super) async fn unassign(&mut self, run: &Run, world: &mut World) -> Result<(), Error> {
        if let Some(conv) = world.conversation.as_mut().filter(|c| c.status == "open") {
            if let Some(agent) = conv.assignee_id.take() {
                let conv_id = conv.id;
                self.cache.put_conversation(conv.clone());
                self.cache.released(self.conn, &agent).await?;
                world.assignee = None;
                self.agents_changed = true;
                self.note(run.contact_id, Some(conv_id), "system", "Unassigned by a workflow", run.id);
            }
        }
        Ok(())
    }

    async fn assign_to(
        &mut self,
        world: &mut World,
        agent: &Agent,
        team: Option<String>,
        run_id: i64,
    ) -> Result<(), Error> {
        if let Some(conv) = world.conversation.as_mut() {
            conv.hand_over();
            let previous = conv.assignee_id.replace(agent.id.clone());
            conv.team = team.or_else(|| agent.teams.first().cloned());
            let conv_id = conv.id;
            self.cache.put_conversation(conv.clone());
            if let Some(previous) = previous {
                self.cache.released(self.conn, &previous).await?;
                self.agents_changed = true;
            }
            let text = format!("Assigned to {} by a workflow", agent.name);
            self.note(world.contact.id, Some(conv_id), "system", &text, run_id);
        }
        self.cache.assigned(self.conn, &agent.id, self.now_ms).await?;
        let mut agent = agent.clone();
        agent.open_count += 1;
        world.assignee = Some(agent);
        Ok(())
    }

    /// Offers free agents to the runs waiting in the assignment queue, oldest first.
    pub(crate) async fn offer_queue(&mut self) -> Result<(), Error> {
        // The queue spans every contact, so ask the database, which must be current first.
        self.cache.flush(self.conn, self.now_ms).await?;
        for id in store::assignment_queue::waiting(self.conn).await? {
            let run = self.cache.run(self.conn, id).await?;
            let Ok(request) = serde_json::from_value::<steps::machine::AssignRequest>(run.wait_data.clone()) else {
                continue;
            };
            let Some(agent) = crate::assign::pick(self.cache.agents(self.conn).await?, &request).cloned() else {
                continue;
            };
            let mut world = self.world(run.contact_id).await?;
            if world.conversation.as_ref().is_none_or(|c| c.status != "open") {
                continue;
            }
            self.assign_to(&mut world, &agent, request.team.clone(), run.id).await?;
            let outcome = Outcome::Assigned {
                agent: AgentRef { id: agent.id.clone(), name: agent.name.clone(), team: agent.teams.first().cloned() },
            };
            self.work.push_back(Work::Resume {
                run_id: run.id,
                input: Input::Outcome { outcome },
                expect: Expect::Agent,
            });
        }
        Ok(())
    }
}
