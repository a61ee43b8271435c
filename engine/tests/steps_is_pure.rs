//! The pure core must stay pure: `switchboard-steps` may not depend, even indirectly, on an
//! async runtime, a database driver, a web framework or an HTTP client. This reads the real
//! dependency tree with `cargo tree`, so a new dependency that drags one in fails here.

use std::process::Command;

const FORBIDDEN: &[&str] =
    &["tokio", "sqlx", "axum", "hyper", "reqwest", "tower", "ureq", "isahc", "surf", "async-std", "mio"];

#[test]
fn steps_depends_on_no_runtime_database_or_http_crate() {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "-p",
            "switchboard-steps",
            "-e",
            "normal,build",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let tree = String::from_utf8_lossy(&out.stdout);
    let crates: Vec<&str> = tree.lines().filter_map(|l| l.split_whitespace().next()).collect();
    assert!(crates.contains(&"rhai") && crates.contains(&"petgraph"), "unexpected tree:\n{tree}");
    let found: Vec<&&str> = FORBIDDEN.iter().filter(|f| crates.contains(f)).collect();
    assert!(found.is_empty(), "switchboard-steps depends on {found:?}:\n{tree}");
}
