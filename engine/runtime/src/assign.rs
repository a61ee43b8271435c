//! Picking an agent for an assignment request: a named agent, or one of a team or of the
//! whole workspace, online only and under a cap when asked, by round-robin (the agent
//! assigned longest ago) or fewest open conversations (ties by round-robin, then id); and
//! whether a target written in a workflow can be assigned at all (the editor's warnings).

use steps::kinds::assign::{StaticTarget, Strategy};
use steps::machine::AssignRequest;
use store::records::Agent;

/// The agent to assign, or `None` when nobody qualifies right now.
pub(super) fn pick<'a>(agents: &'a [Agent], request: &AssignRequest) -> Option<&'a Agent> {
    let qualifies = |a: &&Agent| {
        (!request.online_only || a.online)
            && request.max_open.is_none_or(|cap| a.open_count < i64::from(cap))
            && a.max_open.is_none_or(|cap| a.open_count < cap)
    };
    if let Some(wanted) = &request.agent {
        let wanted = wanted.trim();
        return agents
            .iter()
            .filter(|a| a.id == wanted || a.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(wanted)))
            .find(qualifies);
    }
    let candidates = agents
        .iter()
        .filter(|a| request.team.as_ref().is_none_or(|t| a.teams.iter().any(|at| at == t)))
        .filter(qualifies);
    match request.strategy {
        Strategy::RoundRobin => candidates.min_by(|a, b| (a.last_assigned_at, &a.id).cmp(&(b.last_assigned_at, &b.id))),
        Strategy::FewestOpen => candidates
            .min_by(|a, b| (a.open_count, a.last_assigned_at, &a.id).cmp(&(b.open_count, b.last_assigned_at, &b.id))),
    }
}

/// Why an assignment to `target` cannot succeed with these agents now, if it cannot: a
/// named agent or a team that does not exist (or has nobody), or, for online agents only,
/// nobody online (new agents start offline). Runs would wait in the queue, silently.
pub fn target_warning(agents: &[Agent], target: &StaticTarget) -> Option<String> {
    let online_only = " and the step assigns online agents only (`online_only` defaults to true)";
    if let Some(wanted) = &target.agent {
        let found = agents
            .iter()
            .find(|a| a.id == *wanted || a.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(wanted)));
        return match found {
            None => Some(format!("no agent `{wanted}` exists: runs will wait in the queue until the timeout")),
            Some(a) if target.online_only && !a.online => Some(format!(
                "agent `{wanted}` is offline{online_only}: runs will wait in the queue until they come online"
            )),
            Some(_) => None,
        };
    }
    let (members, whom): (Vec<&Agent>, String) = match &target.team {
        Some(team) => (agents.iter().filter(|a| a.teams.iter().any(|t| t == team)).collect(), format!("team `{team}`")),
        None => (agents.iter().collect(), "the workspace".to_owned()),
    };
    if members.is_empty() {
        return Some(format!("{whom} has no agents: runs will wait in the queue until the timeout"));
    }
    if target.online_only && !members.iter().any(|a| a.online) {
        return Some(format!(
            "nobody in {whom} is online{online_only}: runs will wait in the queue until someone comes online"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(id: &str, team: &str, online: bool, open: i64, last: i64) -> Agent {
        Agent {
            id: id.into(),
            name: id.to_uppercase(),
            email: Some(format!("{id}@example.com")),
            online,
            max_open: None,
            last_assigned_at: last,
            teams: vec![team.into()],
            open_count: open,
        }
    }

    fn request(team: Option<&str>, strategy: Strategy) -> AssignRequest {
        AssignRequest { agent: None, team: team.map(str::to_owned), strategy, online_only: true, max_open: None }
    }

    #[test]
    fn round_robin_takes_the_agent_assigned_longest_ago() {
        let agents =
            [agent("a", "support", true, 0, 300), agent("b", "support", true, 5, 100), agent("c", "sales", true, 0, 0)];
        assert_eq!(pick(&agents, &request(Some("support"), Strategy::RoundRobin)).map(|a| a.id.as_str()), Some("b"));
        assert_eq!(pick(&agents, &request(None, Strategy::RoundRobin)).map(|a| a.id.as_str()), Some("c"));
    }

    #[test]
    fn fewest_open_takes_the_least_busy() {
        let agents = [
            agent("a", "support", true, 3, 0),
            agent("b", "support", true, 1, 900),
            agent("c", "support", true, 1, 100),
        ];
        assert_eq!(pick(&agents, &request(Some("support"), Strategy::FewestOpen)).map(|a| a.id.as_str()), Some("c"));
    }

    #[test]
    fn offline_and_capped_agents_are_skipped() {
        let mut capped = agent("b", "support", true, 2, 0);
        capped.max_open = Some(2);
        let agents = [agent("a", "support", false, 0, 0), capped, agent("c", "support", true, 4, 50)];
        let mut r = request(Some("support"), Strategy::RoundRobin);
        assert_eq!(pick(&agents, &r).map(|a| a.id.as_str()), Some("c"));
        r.max_open = Some(4);
        assert_eq!(pick(&agents, &r), None);
        r.online_only = false;
        assert_eq!(pick(&agents, &r).map(|a| a.id.as_str()), Some("a"));
    }

    #[test]
    fn a_target_nobody_could_take_is_named() {
        let target = |agent: Option<&str>, team: Option<&str>, online_only| StaticTarget {
            agent: agent.map(str::to_owned),
            team: team.map(str::to_owned),
            online_only,
        };
        let agents = [agent("a", "support", false, 0, 0), agent("b", "sales", true, 0, 0)];
        let check = |t: StaticTarget| target_warning(&agents, &t);
        assert!(
            check(target(None, Some("billing"), true)).is_some_and(|w| w.starts_with("team `billing` has no agents"))
        );
        assert!(check(target(None, Some("support"), true))
            .is_some_and(|w| w.starts_with("nobody in team `support` is online")));
        assert_eq!(check(target(None, Some("support"), false)), None, "offline agents may be assigned");
        assert_eq!(check(target(None, Some("sales"), true)), None);
        assert_eq!(check(target(None, None, true)), None, "someone in the workspace is online");
        assert!(target_warning(&[], &target(None, None, false))
            .is_some_and(|w| w.starts_with("the workspace has no agents")));
        assert!(check(target(Some("A@example.com"), None, true)).is_some_and(|w| w.contains("is offline")));
        assert!(check(target(Some("zed"), None, false)).is_some_and(|w| w.starts_with("no agent `zed` exists")));
        assert_eq!(check(target(Some("b"), None, true)), None);
    }

    #[test]
    fn a_named_agent_by_id_or_email() {
        let agents = [agent("a", "support", true, 0, 0), agent("b", "support", false, 0, 0)];
        let mut r = request(None, Strategy::RoundRobin);
        r.agent = Some("A@example.com".into());
        assert_eq!(pick(&agents, &r).map(|a| a.id.as_str()), Some("a"));
        r.agent = Some("b".into());
        assert_eq!(pick(&agents, &r), None, "b is offline");
    }
}
