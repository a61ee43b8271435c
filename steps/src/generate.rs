//! Generated workflows for benchmarks and tests: large, valid, and shaped like real flows
//! (questions, branches on answers, HTTP lookups, tags, bounded loops back).

use std::fmt::Write;

/// A valid workflow of `n` steps (at least 1) as YAML text. Steps cycle through the
/// common kinds; every port is connected to the next step, branches read earlier answers,
/// and every 50th step jumps back to an earlier one, so the compiler's graph, dominator and
/// variable passes all have work to do.
pub fn large_workflow(n: usize) -> String {
    let n = n.max(1);
    let mut y = String::with_capacity(n * 160);
    let _ = writeln!(y, "schema: 1\nid: generated-{n}\nname: Generated {n} steps\ntrigger:\n  type: message_received\nstart: s0\nsteps:");
    let mut last_ask: Option<usize> = None;
    for i in 0..n {
        let next = if i + 1 < n { format!("s{}", i + 1) } else { String::new() };
        let edge = |port: &str| format!("{port}: {next}");
        let _ = writeln!(y, "  s{i}:");
        // The last step is a plain message, so the flow ends without a loop.
        let shape = if next.is_empty() { 0 } else { i % 6 };
        match (i % 50 == 49 && !next.is_empty(), shape) {
            (true, _) => {
                let _ = writeln!(y, "    kind: jump\n    to: s{}\n    max_jumps: 2", i.saturating_sub(10));
                let _ = writeln!(y, "    next: {{ {} }}", edge("exhausted"));
            }
            (false, 0) => {
                let _ = writeln!(y, "    kind: send_message\n    text: 'Step {i} for {{{{contact.first_name}}}}'");
                if !next.is_empty() {
                    let _ = writeln!(y, "    next: {{ {} }}", edge("next"));
                }
            }
            (false, 1) => {
                last_ask = Some(i);
                let _ = writeln!(y, "    kind: ask\n    type: choice\n    text: Question {i}?");
                let _ = writeln!(
                    y,
                    "    options: [{{ id: a, label: Alpha }}, {{ id: b, label: Beta }}, {{ id: c, label: Gamma }}]"
                );
                let _ = writeln!(y, "    timeout: 1h");
                let _ = writeln!(y, "    next: {{ {}, {}, {}, {} }}", edge("a"), edge("b"), edge("c"), edge("timeout"));
            }
            (false, 2) => {
                let field = match last_ask {
                    Some(a) => format!("steps.s{a}.attempts"),
                    None => "contact.fields.plan".to_owned(),
                };
                let _ = writeln!(y, "    kind: branch\n    branches:");
                let _ = writeln!(y, "      - {{ name: first, when: {{ field: {field}, op: gte, value: 2 }} }}");
                let _ =
                    writeln!(y, "      - {{ name: second, when: {{ expression: 'contact.tags.contains(\"vip\")' }} }}");
                let _ = writeln!(y, "    next: {{ {}, {}, {} }}", edge("first"), edge("second"), edge("else"));
            }
            (false, 3) => {
                let _ = writeln!(y, "    kind: http\n    url: 'https://crm.example.com/c/{{{{contact.id}}}}'\n    save: {{ tier: $.tier }}");
                let _ = writeln!(y, "    next: {{ {}, {} }}", edge("success"), edge("failure"));
            }
            (false, 4) => {
                let _ = writeln!(y, "    kind: update_tags\n    add: [seen-{i}]");
                if !next.is_empty() {
                    let _ = writeln!(y, "    next: {{ {} }}", edge("next"));
                }
            }
            (false, _) => {
                let _ = writeln!(y, "    kind: add_comment\n    text: 'Passed step {i}'");
                if !next.is_empty() {
                    let _ = writeln!(y, "    next: {{ {} }}", edge("next"));
                }
            }
        }
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_workflows_compile() {
        for n in [1, 2, 7, 60, 300] {
            let result = crate::compile(&large_workflow(n));
            // Chains of question timeouts can pass WhatsApp's window: warnings, no errors.
            let errors: Vec<_> = result.diagnostics.iter().filter(|d| d.is_error()).collect();
            assert!(errors.is_empty(), "{n}: {errors:?}");
            assert_eq!(result.workflow.map(|w| w.steps.len()), Some(n));
        }
    }
}
