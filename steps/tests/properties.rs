//! Property tests for the compiler: it never panics, whatever it is given, and every graph
//! it accepts loops only through jump steps, whose `max_jumps` bounds each loop.

use petgraph::graph::DiGraph;
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use steps::kinds::jump::MAX_JUMPS;
use steps::{compile, StepConfig};

fn reference_workflows() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../workflows");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("workflows/ exists") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "yaml") {
            out.push(std::fs::read_to_string(path).expect("readable"));
        }
    }
    out
}

/// Text that looks like YAML: keys, colons, brackets, indentation, quotes, template braces.
fn yamlish() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("schema: 1\n".to_owned()),
        Just("steps:\n".to_owned()),
        Just("  a:\n    kind: ask\n".to_owned()),
        Just("    next: { x: a }\n".to_owned()),
        Just("kind: jump\n".to_owned()),
        Just("{{ contact.".to_owned()),
        Just("}}".to_owned()),
        Just("- ".to_owned()),
        Just("&x ".to_owned()),
        Just("*x ".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just("'".to_owned()),
        Just("\"".to_owned()),
        Just("\t".to_owned()),
        "[a-z_]{1,8}: ".prop_map(|s| s),
        "[ -~]{0,12}".prop_map(|s| s),
        "\n {0,6}".prop_map(|s| s),
    ];
    proptest::collection::vec(token, 0..60).prop_map(|parts| parts.concat())
}

/// A random workflow: steps of a few kinds with random edges, some to missing steps,
/// random jump targets and limits.
fn random_workflow() -> impl Strategy<Value = Value> {
    (1usize..10).prop_flat_map(|n| {
        let step = (0usize..5, proptest::collection::vec((0usize..4, 0usize..12), 0..4), 0usize..12, 0u32..120);
        (proptest::collection::vec(step, n), 0usize..12).prop_map(move |(steps, start)| {
            let id = |i: usize| format!("s{i}");
            let mut map = Map::new();
            for (i, (kind, edges, jump_to, max)) in steps.into_iter().enumerate() {
                let ports = ["next", "a", "b", "else"];
                let mut next = Map::new();
                for (p, t) in edges {
                    next.insert(ports[p].to_owned(), json!(id(t)));
                }
                let mut step = match kind {
                    0 => json!({"kind": "send_message", "text": "hi"}),
                    1 => json!({"kind": "add_comment", "text": "x"}),
                    2 => json!({"kind": "jump", "to": id(jump_to), "max_jumps": max}),
                    3 => json!({"kind": "branch", "branches": [{"name": "a", "when": {"field": "contact.tags", "op": "contains", "value": "x"}}]}),
                    _ => json!({"kind": "ask", "type": "choice", "text": "?", "options": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}]}),
                };
                step["next"] = Value::Object(next);
                map.insert(id(i), step);
            }
            json!({"schema": 1, "id": "random", "name": "Random", "trigger": {"type": "manual"}, "start": id(start), "steps": map})
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_arbitrary_text(text in "\\PC{0,400}") {
        let _ = compile(&text);
    }

    #[test]
    fn never_panics_on_yamlish_text(text in yamlish()) {
        let result = compile(&text);
        // Whatever went wrong has a place in the file.
        for d in &result.diagnostics {
            prop_assert!(d.pos.is_some() || text.trim().is_empty(), "{d:?}");
        }
    }

    #[test]
    fn never_panics_on_damaged_reference_workflows(which in 0usize..5, cut in 0usize..4000, len in 0usize..40, insert in "[ -~\\n]{0,5}") {
        let workflows = reference_workflows();
        let text = &workflows[which % workflows.len()];
        let chars: Vec<char> = text.chars().collect();
        let at = cut.min(chars.len());
        let end = (at + len).min(chars.len());
        let damaged: String = chars[..at].iter().chain(insert.chars().collect::<Vec<_>>().iter()).chain(chars[end..].iter()).collect();
        let _ = compile(&damaged);
    }

    #[test]
    fn accepted_graphs_only_loop_through_bounded_jumps(workflow in random_workflow()) {
        let text = serde_json::to_string(&workflow).expect("json");
        let result = compile(&text);
        if let Some(w) = result.workflow {
            let mut plain: DiGraph<(), ()> = DiGraph::new();
            let nodes: Vec<_> = w.graph.node_indices().map(|_| plain.add_node(())).collect();
            for e in w.graph.edge_indices() {
                let (a, b) = w.graph.edge_endpoints(e).expect("endpoints");
                let edge = &w.graph[e];
                if edge.jump {
                    // Every loop-closing edge belongs to a jump step with a bounded count.
                    match &w.steps[&w.graph[a]].config {
                        StepConfig::Jump(j) => prop_assert!(j.max_jumps >= 1 && j.max_jumps <= MAX_JUMPS),
                        other => prop_assert!(false, "jump edge from {other:?}"),
                    }
                } else {
                    plain.add_edge(nodes[a.index()], nodes[b.index()], ());
                }
            }
            prop_assert!(!petgraph::algo::is_cyclic_directed(&plain), "accepted an unbounded loop: {text}");
        }
    }
}
