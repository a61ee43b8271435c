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

/// The other half of purity: no code in `steps` reads the clock or the environment, or does
/// I/O itself. (chrono's clock is in the dependency tree through `cron`; this keeps us from
/// using it.)
#[test]
fn steps_source_never_reads_the_clock_or_does_io() {
    let forbidden = [
        "Utc::now",
        "Local::now",
        "SystemTime",
        "Instant::now",
        "std::fs",
        "std::net",
        "std::env",
        "std::process",
        "thread::sleep",
    ];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../steps/src");
    let mut stack = vec![dir];
    let mut files = 0;
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("readable dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("readable file");
            // Tests may use real time to make inputs; the code under test may not.
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            for word in forbidden {
                assert!(!code.contains(word), "{} uses {word}", path.display());
            }
            files += 1;
        }
    }
    assert!(files > 10, "found only {files} files");
}
