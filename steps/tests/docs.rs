//! The README's examples and tables stay true: every YAML example compiles, and the
//! diagnostics table lists every code.

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).expect("README.md")
}

#[test]
fn yaml_examples_in_the_readme_compile() {
    let text = readme();
    let mut examples = 0;
    for block in text.split("```yaml\n").skip(1) {
        let yaml = block.split("```").next().unwrap_or_default();
        let result = steps::compile(yaml);
        assert!(result.workflow.is_some(), "README example does not compile: {:?}\n{yaml}", result.diagnostics);
        examples += 1;
    }
    assert!(examples >= 1);
}

#[test]
fn the_readme_lists_every_diagnostic_code_and_step_kind() {
    let text = readme();
    for code in steps::Code::ALL {
        assert!(
            text.contains(&format!("| {} | {} |", code.as_str(), code.name())),
            "README misses {code} {}",
            code.name()
        );
    }
    for kind in steps::StepConfig::ALL {
        assert!(text.contains(&format!("`{}`", kind.name)), "README misses step kind {}", kind.name);
    }
}
