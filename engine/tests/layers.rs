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
    // The deterministic simulator: a test tool over the engine's crates, beside the binary.
    ("switchboard-sim", &["switchboard-steps", "switchboard-store", "switchboard-runtime"]),
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
    ("switchboard-runtime", &["axum", "sqlx"]),
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

/// The crates whose top-level modules must not import each other in a circle.
const CRATE_SOURCES: &[&str] = &["../steps/src", "store/src", "channels/src", "runtime/src", "server/src", "src"];

/// The top-level module a source file belongs to (`batch` for `batch/effects/tags.rs`), or
/// `None` for the crate root.
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?.trim_end_matches(".rs").to_owned();
    (!matches!(first.as_str(), "lib" | "main")).then_some(first)
}

/// The first path segment after each `prefix::` in `code`, `{a, b::c}` groups included.
fn named_after(code: &str, prefix: &str) -> BTreeSet<String> {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut names = BTreeSet::new();
    let needle = format!("{prefix}::");
    for (at, _) in code.match_indices(&needle) {
        if code[..at].ends_with(is_ident) {
            continue; // `foo_crate::`, not `crate::`
        }
        let rest = &code[at + needle.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let (mut depth, mut item_start, mut items) = (0usize, 0usize, Vec::new());
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        items.push(&group[item_start..i]);
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        items.push(&group[item_start..i]);
                        item_start = i + 1;
                    }
                    _ => {}
                }
            }
            for item in items {
                let first: String = item.trim().chars().take_while(|c| is_ident(*c)).collect();
                names.insert(first);
            }
        } else {
            names.insert(rest.chars().take_while(|c| is_ident(*c)).collect());
        }
    }
    names
}

#[test]
fn no_crate_has_an_import_cycle_between_its_modules() {
    let engine = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut problems = Vec::new();
    for crate_src in CRATE_SOURCES {
        let src = engine.join(crate_src);
        let files = rust_files(&src);
        let modules: BTreeSet<String> = files.iter().filter_map(|f| top_module(&src, f)).collect();
        let mut graph = petgraph::graphmap::DiGraphMap::<&str, (), std::hash::RandomState>::new();
        for module in &modules {
            graph.add_node(module);
        }
        for file in &files {
            let Some(from) = top_module(&src, file).and_then(|m| modules.get(&m)) else { continue };
            let text = std::fs::read_to_string(file).expect("readable source");
            // Unit tests (at the bottom of a file, by the house rule) may use anything.
            let text = text.split("#[cfg(test)]").next().unwrap_or_default();
            let code: Vec<&str> = text.lines().map(|l| l.split("//").next().unwrap_or_default()).collect();
            let code = code.join("\n");
            let mut names = named_after(&code, "crate");
            // A top-level file's `super` is the crate root; a nested file's is its own module.
            if file.parent() == Some(src.as_path()) {
                names.extend(named_after(&code, "super"));
            }
            for to in names.iter().filter_map(|n| modules.get(n)).filter(|to| *to != from) {
                graph.add_edge(from.as_str(), to.as_str(), ());
            }
        }
        for component in petgraph::algo::tarjan_scc(&graph) {
            if component.len() > 1 {
                problems.push(format!("{crate_src}: the modules {component:?} import each other in a circle"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
