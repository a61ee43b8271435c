//! Passes 3 and 4: the graph. Wires `next:` and config edges (a jump's `to`) into a petgraph,
//! checking ports, targets and required ports; finds `start`; marks what is reachable from it;
//! reports loops not bounded by a jump (Tarjan's SCCs on the graph without jump edges) and
//! steps that can never run. Then hands the graph to the variable checks ([`super::variables`])
//! and assembles the compiled steps.

use super::diagnostics::with_suggestion;
use super::variables::Scope;
use super::{CompiledStep, Compiler, Edge, StepEntry};
use crate::diagnostic::{child, Code, Diagnostic};
use crate::kinds::PortSpec;
use indexmap::IndexMap;
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::{Bfs, EdgeFiltered, EdgeRef};
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

/// The steps joined by their edges, before any check on reachability.
struct Wiring {
    graph: DiGraph<String, Edge>,
    /// Step id → its node.
    nodes: HashMap<String, NodeIndex>,
    /// Per step (in file order): the ports that lead somewhere.
    connected: Vec<BTreeSet<String>>,
    /// Per step (in file order): port → the id of the step it leads to.
    edge_maps: Vec<IndexMap<String, String>>,
}

impl Compiler {
    /// Builds the graph of `entries`, checks it and every step's variables, and returns the
    /// graph with the steps whose config parsed.
    pub(super) fn graph(
        &mut self,
        entries: Vec<StepEntry>,
        start: Option<&str>,
    ) -> (DiGraph<String, Edge>, IndexMap<String, CompiledStep>) {
        let Wiring { graph, nodes, connected, edge_maps } = self.wire(&entries);
        let start_node = self.start_node(&entries, &nodes, start);
        let reachable = reachable_from(&graph, start_node, entries.len());
        let orphaned_by_loop = self.loops(&entries, &graph, &reachable);
        if start_node.is_some() {
            self.unreachable(&entries, &reachable, &orphaned_by_loop);
        }

        let index: HashMap<&str, usize> = entries.iter().enumerate().map(|(i, e)| (e.id.as_str(), i)).collect();
        let scope = Scope {
            entries: &entries,
            index: &index,
            graph: Some(&graph),
            start: start_node,
            connected: &connected,
            reachable: &reachable,
            avoiding: RefCell::new(HashMap::new()),
        };
        // Every step's templates and conditions are checked, reachable or not, so that all
        // problems show at once; only "not available here" needs the step to be reachable.
        for (i, e) in entries.iter().enumerate() {
            self.step_variables(&scope, i, e);
        }

        let mut steps = IndexMap::with_capacity(entries.len());
        for ((e, connected), edges) in entries.into_iter().zip(connected).zip(edge_maps) {
            if let Some(config) = e.config {
                let node = nodes[&e.id];
                let ports = config.behaviour().ports();
                steps.insert(
                    e.id.clone(),
                    CompiledStep { id: e.id, label: e.label, config, ports, edges, connected, node },
                );
            }
        }
        (graph, steps)
    }

    /// One node per step, one edge per `next:` entry and per config edge; reports unknown
    /// ports, unknown targets and required ports left unconnected.
    fn wire(&mut self, entries: &[StepEntry]) -> Wiring {
        let mut graph: DiGraph<String, Edge> = DiGraph::with_capacity(entries.len(), entries.len() * 2);
        let mut nodes: HashMap<String, NodeIndex> = HashMap::with_capacity(entries.len());
        for e in entries {
            nodes.insert(e.id.clone(), graph.add_node(e.id.clone()));
        }
        let mut connected: Vec<BTreeSet<String>> = vec![BTreeSet::new(); entries.len()];
        let mut edge_maps: Vec<IndexMap<String, String>> = vec![IndexMap::new(); entries.len()];
        for (i, e) in entries.iter().enumerate() {
            let at = child("/steps", &e.id);
            let from = nodes[&e.id];
            let ports: Option<Vec<PortSpec>> = e.config.as_ref().map(|c| c.behaviour().ports());
            let config_edges = e.config.as_ref().map(|c| c.behaviour().config_edges()).unwrap_or_default();
            for (port, target) in &e.next {
                let port_at = child(&child(&at, "next"), port);
                if let Some(ports) = &ports {
                    let from_config = config_edges.iter().any(|(p, _, _)| p == port);
                    if from_config || !ports.iter().any(|p| &p.name == port) {
                        let names: Vec<&str> = ports
                            .iter()
                            .map(|p| p.name.as_str())
                            .filter(|n| !config_edges.iter().any(|(p, _, _)| p == n))
                            .collect();
                        let d = Diagnostic::error(
                            Code::UnknownPort,
                            port_at.clone(),
                            format!("step `{}` has no port `{port}`", e.id),
                        );
                        let d = if from_config {
                            d.with_help("a jump's target is set with `to:`")
                        } else {
                            with_suggestion(d, port, &names)
                        };
                        self.push(d);
                        continue;
                    }
                }
                match nodes.get(target) {
                    Some(&to) => {
                        graph.add_edge(from, to, Edge { port: port.clone(), jump: false });
                        connected[i].insert(port.clone());
                        edge_maps[i].insert(port.clone(), target.clone());
                    }
                    None => self.unknown_target(entries, port_at, format!("there is no step `{target}`"), target),
                }
            }
            for (port, target, field) in config_edges {
                match nodes.get(&target) {
                    Some(&to) => {
                        graph.add_edge(from, to, Edge { port: port.clone(), jump: true });
                        connected[i].insert(port.clone());
                        edge_maps[i].insert(port, target);
                    }
                    None => self.unknown_target(
                        entries,
                        format!("{at}{field}"),
                        format!("there is no step `{target}` to jump to"),
                        &target,
                    ),
                }
            }
            if let Some(ports) = &ports {
                for p in ports.iter().filter(|p| p.required && !connected[i].contains(&p.name)) {
                    self.push(
                        Diagnostic::error(
                            Code::UnconnectedPort,
                            at.clone(),
                            format!("port `{}` of step `{}` must lead somewhere", p.name, e.id),
                        )
                        .with_help(format!("add `next: {{ {}: <step id> }}`", p.name)),
                    );
                }
            }
        }
        Wiring { graph, nodes, connected, edge_maps }
    }

    /// E0300 at `path`: `target` names no step; the hint is the closest step id.
    fn unknown_target(&mut self, entries: &[StepEntry], path: String, message: String, target: &str) {
        let ids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
        let d = Diagnostic::error(Code::UnknownTarget, path, message);
        self.push(with_suggestion(d, target, &ids));
    }

    /// The node of the `start` step; reports a missing or unknown `start` (and, without steps,
    /// warns that the workflow is empty).
    fn start_node(
        &mut self,
        entries: &[StepEntry],
        nodes: &HashMap<String, NodeIndex>,
        start: Option<&str>,
    ) -> Option<NodeIndex> {
        match start {
            None if !entries.is_empty() => {
                self.push(
                    Diagnostic::error(Code::MissingField, "", "missing `start`: the first step after the trigger")
                        .with_help(format!("add `start: {}`", entries[0].id)),
                );
                None
            }
            None => {
                self.push(Diagnostic::warning(Code::MissingField, "/steps", "this workflow has no steps"));
                None
            }
            Some(s) => match nodes.get(s) {
                Some(&n) => Some(n),
                None => {
                    self.unknown_target(
                        entries,
                        "/start".to_owned(),
                        format!("there is no step `{s}` to start with"),
                        s,
                    );
                    None
                }
            },
        }
    }

    /// Reports every loop not bounded by a jump (once per loop). Returns, per step, whether
    /// it is unreachable only because a loop nothing enters stands before it.
    fn loops(&mut self, entries: &[StepEntry], graph: &DiGraph<String, Edge>, reachable: &[bool]) -> Vec<bool> {
        // Loops are allowed only through jump edges, which count their jumps.
        let without_jumps = EdgeFiltered::from_fn(graph, |e| !e.weight().jump);
        let mut loops: Vec<Vec<usize>> = tarjan_scc(&without_jumps)
            .into_iter()
            .filter(|scc| scc.len() > 1 || graph.edges(scc[0]).any(|e| e.target() == scc[0] && !e.weight().jump))
            .map(|scc| {
                let mut members: Vec<usize> = scc.iter().map(|n| n.index()).collect();
                members.sort_unstable();
                members
            })
            .collect();
        loops.sort_unstable();
        // A loop no path from `start` enters orphans its own steps and everything after them;
        // its error says so once instead of a "can never run" per step.
        let mut orphaned_by_loop = vec![false; entries.len()];
        for members in loops.iter().filter(|m| !reachable[m[0]]) {
            for &m in members {
                let mut bfs = Bfs::new(graph, NodeIndex::new(m));
                while let Some(n) = bfs.next(graph) {
                    orphaned_by_loop[n.index()] = !reachable[n.index()];
                }
            }
        }
        for members in &loops {
            let names: Vec<&str> = members.iter().map(|&i| entries[i].id.as_str()).collect();
            let listed = names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
            let d = if reachable[members[0]] {
                Diagnostic::error(
                    Code::UnboundedCycle,
                    child("/steps", names[0]),
                    format!("steps {listed} form a loop with no limit"),
                )
                .with_help("loop back with a `jump` step, whose `max_jumps` bounds the loop")
            } else {
                Diagnostic::error(
                    Code::UnboundedCycle,
                    child("/steps", names[0]),
                    format!(
                        "steps {listed} form a loop with no limit, and no path from `start` leads into it, \
                         so they can never run"
                    ),
                )
                .with_help(
                    "connect the loop from another step's port (or delete it), and loop back with a `jump` \
                     step, whose `max_jumps` bounds the loop",
                )
            };
            self.push(d);
        }
        orphaned_by_loop
    }

    /// Reports each step no path from `start` leads to (unless an orphaned loop explains it).
    fn unreachable(&mut self, entries: &[StepEntry], reachable: &[bool], orphaned_by_loop: &[bool]) {
        // A jump whose config did not parse hides its edge (`to`), so "can never run" would
        // be a cascade of that error; it is reported once the config is fixed.
        let configs_ok = !entries.iter().any(|e| e.config.is_none() && e.kind.as_deref() == Some("jump"));
        for (i, e) in entries.iter().enumerate() {
            if !reachable[i] && !orphaned_by_loop[i] && configs_ok {
                self.push(
                    Diagnostic::error(
                        Code::Unreachable,
                        child("/steps", &e.id),
                        format!("step `{}` can never run: no path from `start` leads to it", e.id),
                    )
                    .with_help("connect it from another step's port, or delete it"),
                );
            }
        }
    }
}

/// Per step: can a path from `start` reach it? Every step counts as reachable when there is
/// no start (that problem is reported once, not per step).
fn reachable_from(graph: &DiGraph<String, Edge>, start: Option<NodeIndex>, steps: usize) -> Vec<bool> {
    let mut reachable = vec![start.is_none(); steps];
    if let Some(start) = start {
        let mut bfs = Bfs::new(graph, start);
        while let Some(n) = bfs.next(graph) {
            reachable[n.index()] = true;
        }
    }
    reachable
}
