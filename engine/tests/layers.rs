//! The engine's layers point one way, and Cargo enforces it: each crate may depend only on
//! the crates below it (ARCHITECTURE.md, "Layers"). This reads the real manifests with
//! `cargo metadata`, so a new edge that points up, or a database or web crate where it does
//! not belong, fails here; and it reads the sources for the names a layer must never say.

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Our crates, each with the crates of ours it may depend on (normal and build edges).
const LAYERS: &[(&str, &[&str])] = &[
    ("switchboard-steps", &[]),
    ("switchboard-store", &["switchboard-steps"]),
    ("switchboard-channels", &["switchboard-steps"]),
    ("switchboard-runtime", &["switchboard-steps", "switchboard-store", "switchboard-channels"]),
    ("switchboard-server", &["switchboard-runtime"]),
    (
        "switchboard",
        &[
            "switchboard-steps",
            "switchboard-store",
            "switchboard-channels",
            "switchboard-runtime",
            "switchboard-server",
        ],
    ),
];

/// Outside crates a layer must not depend on directly.
const FORBIDDEN: &[(&str, &[&str])] = &[
    ("switchboard-store", &["axum", "reqwest", "tokio"]),
    ("switchboard-channels", &["sqlx", "axum"]),
    ("switchboard-runtime", &["axum"]),
    ("switchboard-server", &["sqlx"]),
];

/// Words a layer's source never says (outside comments), and why.
const NEVER_SAID: &[(&str, &str, &str)] = &[
    ("server/src", "sqlx", "`server` never names sqlx: SQL lives in the store"),
    ("server/src", "store::", "`server` speaks to the runtime only"),
    ("channels/src", "sqlx", "`channels` never touches the database"),
    ("channels/src", "store::", "`channels` never touches the database"),
    ("channels/src", "runtime::", "`channels` knows no runtime type"),
    ("channels/src", "axum", "`channels` uses `http`'s types, not axum's"),
    ("store/src", "runtime::", "`store` knows nothing above it"),
    ("store/src", "channels::", "`store` knows nothing above it"),
    ("runtime/src", "sqlx", "`runtime` never names sqlx: SQL lives in the store"),
];

/// Files that may still say one of the words above, each with why. Shrink it; never grow it.
const STILL_ALLOWED: &[(&str, &str, &str)] = &[
    // The batch files are being rewritten (issue 17); their statements move to the store then.
    ("runtime/src/advance.rs", "sqlx", "batch file, statements not yet moved"),
    ("runtime/src/triggers.rs", "sqlx", "batch file, statements not yet moved"),
    ("runtime/src/events.rs", "sqlx", "batch file, statements not yet moved"),
    ("runtime/src/testchat.rs", "sqlx", "batch file, statements not yet moved"),
    ("runtime/src/channel_rules.rs", "sqlx", "batch file, statements not yet moved"),
    ("runtime/src/assign.rs", "sqlx", "batch file, statements not yet moved"),
    ("runtime/src/batch/", "sqlx", "batch files, statements not yet moved"),
    // `From<sqlx::Error>`, for the batch files' own statements; goes with them.
    ("runtime/src/error.rs", "sqlx", "the batch files' driver errors"),
];

fn metadata() -> Value {
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--no-deps", "--offline", "--format-version", "1"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

/// The direct normal and build dependencies of each workspace package.
fn direct_dependencies(meta: &Value) -> Vec<(String, BTreeSet<String>)> {
    let packages = meta["packages"].as_array().expect("packages");
    packages
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .expect("dependencies")
                .iter()
                .filter(|d| d["kind"].is_null() || d["kind"] == "build")
                .map(|d| d["name"].as_str().expect("name").to_owned())
                .collect();
            (p["name"].as_str().expect("name").to_owned(), deps)
        })
        .collect()
}

#[test]
fn each_crate_depends_only_on_the_layers_below_it() {
    let packages = direct_dependencies(&metadata());
    let ours: BTreeSet<&str> = LAYERS.iter().map(|(name, _)| *name).collect();
    let names: BTreeSet<&str> = packages.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ours, "the workspace's crates and the table of layers differ");
    for (name, deps) in &packages {
        let allowed = LAYERS.iter().find(|(n, _)| n == name).map(|(_, a)| *a).unwrap_or_default();
        let wrong: Vec<&String> =
            deps.iter().filter(|d| ours.contains(d.as_str()) && !allowed.contains(&d.as_str())).collect();
        assert!(wrong.is_empty(), "`{name}` depends on {wrong:?}; it may depend on {allowed:?} only");
        let forbidden = FORBIDDEN.iter().find(|(n, _)| n == name).map(|(_, f)| *f).unwrap_or_default();
        let bad: Vec<&String> = deps.iter().filter(|d| forbidden.contains(&d.as_str())).collect();
        assert!(bad.is_empty(), "`{name}` depends on {bad:?}, which its layer must not");
    }
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("readable dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files
}

#[test]
fn no_layer_names_what_is_above_or_beside_it() {
    let engine = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut problems = Vec::new();
    for (dir, word, rule) in NEVER_SAID {
        let files = rust_files(&engine.join(dir));
        assert!(!files.is_empty(), "no sources under engine/{dir}");
        for file in files {
            let relative = file.strip_prefix(engine).unwrap_or(&file).to_string_lossy().replace('\\', "/");
            if STILL_ALLOWED.iter().any(|(path, w, _)| w == word && relative.starts_with(path)) {
                continue;
            }
            let text = std::fs::read_to_string(&file).expect("readable source");
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or_default();
                if code.contains(word) {
                    problems.push(format!("{}:{}: {rule}\n    {}", file.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
