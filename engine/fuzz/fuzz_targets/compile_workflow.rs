//! Fuzz target `compile_workflow`: feeds arbitrary text (any UTF-8; other bytes are skipped)
//! to `steps::compile`, the compiler every workflow file and editor save goes through.
//!
//! Asserts, beyond "never panics":
//! - there is a workflow or at least one error, never neither (nothing is silently dropped);
//! - every diagnostic has a position in the text (unless the text is blank), on a line that
//!   exists (counting lines as YAML does), and renders without panicking;
//! - a workflow it accepts loops only through jump steps, each bounded by `max_jumps` in
//!   `1..=MAX_JUMPS` (the same rule as `steps/tests/properties.rs`, on fuzzed text).
#![no_main]

use libfuzzer_sys::fuzz_target;
use steps::kinds::jump::MAX_JUMPS;
use steps::{compile, StepConfig};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let result = compile(text);
    let has_errors = result.diagnostics.iter().any(|d| d.is_error());
    assert!(result.workflow.is_some() || has_errors, "no workflow and no error for {text:?}");
    assert!(result.workflow.is_none() || !has_errors, "a workflow despite errors");
    // Lines as YAML counts them (a lone `\r` ends one too), which is how the rendering reads them.
    let lines = steps::diagnostic::source_lines(text).count().max(1);
    for d in &result.diagnostics {
        match d.pos {
            Some(pos) => {
                assert!(pos.line >= 1 && pos.col >= 1, "position {pos:?} of {d:?}");
                assert!(pos.line <= lines + 1, "line {} of a text with {lines} lines: {d:?}", pos.line);
            }
            None => assert!(text.trim().is_empty(), "a diagnostic without a position: {d:?}"),
        }
        let _ = d.render("fuzz.yaml", text);
    }
    if let Some(w) = &result.workflow {
        // Every cycle of the graph without jump edges would be an unbounded loop.
        let mut plain = cycles::Graph::new(w.graph.node_count());
        for e in w.graph.edge_indices() {
            let (a, b) = w.graph.edge_endpoints(e).expect("an edge has endpoints");
            if w.graph[e].jump {
                match &w.steps[&w.graph[a]].config {
                    StepConfig::Jump(j) => assert!((1..=MAX_JUMPS).contains(&j.max_jumps), "{j:?}"),
                    other => panic!("a jump edge from a {other:?}"),
                }
            } else {
                plain.add_edge(a.index(), b.index());
            }
        }
        assert!(!plain.is_cyclic(), "accepted an unbounded loop: {text:?}");
    }
});

/// A cycle check written here (depth-first search with colours), independent of the
/// compiler's petgraph-based one.
mod cycles {
    pub struct Graph {
        edges: Vec<Vec<usize>>,
    }

    impl Graph {
        pub fn new(nodes: usize) -> Graph {
            Graph { edges: vec![Vec::new(); nodes] }
        }

        pub fn add_edge(&mut self, a: usize, b: usize) {
            self.edges[a].push(b);
        }

        pub fn is_cyclic(&self) -> bool {
            // 0: unvisited, 1: on the current path, 2: done.
            let mut colour = vec![0u8; self.edges.len()];
            for start in 0..self.edges.len() {
                if colour[start] != 0 {
                    continue;
                }
                let mut stack = vec![(start, 0usize)];
                colour[start] = 1;
                while let Some((node, next)) = stack.pop() {
                    if let Some(&to) = self.edges[node].get(next) {
                        stack.push((node, next + 1));
                        match colour[to] {
                            1 => return true,
                            0 => {
                                colour[to] = 1;
                                stack.push((to, 0));
                            }
                            _ => {}
                        }
                    } else {
                        colour[node] = 2;
                    }
                }
            }
            false
        }
    }
}
