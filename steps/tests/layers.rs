//! Inside the pure core, layers point one way too: the step kinds (`src/kinds/`) are below the
//! compiler, which reads their configs, so no file under `src/kinds/` names the compiler
//! module — the id rules and the compiled types they need are in `ids.rs` and `workflow.rs`.
//! This reads the sources, as `engine/tests/steps_is_pure.rs` does for I/O. It also keeps the
//! crate's map true: `lib.rs`'s header names every module the crate declares.

use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
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
    files.sort();
    files
}

/// The code of a source file: comments and the contents of string and char literals blanked
/// out (so a message saying "compile" is not a use of the module), line breaks kept.
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    // Copies the line breaks of chars[from..to], drops the rest.
    let blank = |out: &mut String, from: usize, to: usize| {
        out.extend(chars[from..to.min(chars.len())].iter().filter(|c| **c == '\n'));
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let after_ident = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        if c == '/' && next == Some('/') {
            let end = chars[i..].iter().position(|c| *c == '\n').map_or(chars.len(), |p| i + p);
            i = end;
        } else if c == 'r' && !after_ident && matches!(next, Some('"' | '#')) {
            // A raw string: r"…", r#"…"#.
            let hashes = chars[i + 1..].iter().take_while(|c| **c == '#').count();
            if chars.get(i + 1 + hashes) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            let close = format!("\"{}", "#".repeat(hashes));
            let body = i + 2 + hashes;
            let rest: String = chars[body..].iter().collect();
            let end = rest.find(&close).map_or(chars.len(), |p| body + rest[..p].chars().count() + 1 + hashes);
            out.push_str("\"\"");
            blank(&mut out, body, end);
            i = end;
        } else if c == '"' {
            let mut j = i + 1;
            while j < chars.len() && chars[j] != '"' {
                j += if chars[j] == '\\' { 2 } else { 1 };
            }
            out.push_str("\"\"");
            blank(&mut out, i + 1, j);
            i = j + 1;
        } else if c == '\'' && next == Some('\\') {
            // An escaped char literal: '\n', '\'', '\u{…}'.
            let end = chars[i + 3..].iter().position(|c| *c == '\'').map_or(chars.len(), |p| i + 3 + p + 1);
            out.push_str("' '");
            i = end;
        } else if c == '\'' && chars.get(i + 2) == Some(&'\'') {
            out.push_str("' '");
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Where `code` names the compiler module: `crate::compile` (the module or the function
/// re-exported beside it), `super::compile`, `steps::compile`, `compile::…`, or `compile` in a
/// `use` list. `Expr::compile(…)` is a method, not the module. Returns 1-based line numbers.
fn names_the_compiler(code: &str) -> Vec<usize> {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut lines = Vec::new();
    for (at, _) in code.match_indices("compile") {
        let before = &code[..at];
        let after = &code[at + "compile".len()..];
        if before.chars().next_back().is_some_and(is_ident) || after.chars().next().is_some_and(is_ident) {
            continue;
        }
        let path_before = before.trim_end();
        let via_module = ["crate::", "super::", "self::", "steps::"].iter().any(|p| path_before.ends_with(p));
        let statement = &before[before.rfind([';', '}']).map_or(0, |i| i + 1)..];
        let in_use = statement
            .trim_start()
            .trim_start_matches("pub")
            .trim_start_matches("(crate)")
            .trim_start()
            .starts_with("use ");
        if via_module || after.trim_start().starts_with("::") || in_use {
            lines.push(before.matches('\n').count() + 1);
        }
    }
    lines
}

#[test]
fn the_scanner_sees_every_way_of_naming_the_compiler() {
    for named in [
        "use crate::compile::is_valid_id;",
        "if !crate::compile::is_valid_id(x) {}",
        "let c = crate::compile(text);",
        "use crate::{compile, vars};",
        "use super::super::compile::CompiledWorkflow;",
        "pub(crate) use crate::compile;",
        "let w: compile::CompiledWorkflow;",
    ] {
        assert_eq!(names_the_compiler(&code_only(named)), [1], "missed: {named}");
    }
    for clean in [
        "let e = Expr::compile(src)?;",
        "// the compiler: crate::compile::is_valid_id",
        "let m = \"expression does not compile::here\";",
        "use crate::ids::is_valid_id;\nfn compiled() {}",
        "let recompile = 1; let compiles = true;",
        "let q = '\"'; let m = \"compile::x\"; let r = r#\"crate::compile\"#;",
    ] {
        assert!(names_the_compiler(&code_only(clean)).is_empty(), "false alarm: {clean}");
    }
}

#[test]
fn no_step_kind_names_the_compiler() {
    let files = rust_files(&src().join("kinds"));
    assert!(files.len() > 10, "found only {} files under src/kinds", files.len());
    let mut problems = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable source");
        for line in names_the_compiler(&code_only(&text)) {
            let shown = text.lines().nth(line - 1).unwrap_or_default().trim();
            problems.push(format!("{}:{line}: {shown}", file.display()));
        }
    }
    assert!(
        problems.is_empty(),
        "step kinds sit below the compiler and must not name it (use `crate::ids` and `crate::workflow`):\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_crate_header_names_every_module() {
    let lib = std::fs::read_to_string(src().join("lib.rs")).expect("readable lib.rs");
    let header: String = lib.lines().filter(|l| l.starts_with("//!")).collect::<Vec<_>>().join("\n");
    let modules: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.strip_prefix("pub mod ").or_else(|| l.strip_prefix("mod ")))
        .filter_map(|l| l.strip_suffix(';'))
        .collect();
    assert!(modules.len() > 10, "found only {modules:?} in lib.rs");
    for module in modules {
        assert!(header.contains(&format!("[`{module}`]")), "lib.rs's header does not name `{module}`");
        let file = src().join(format!("{module}.rs"));
        let dir = src().join(module).join("mod.rs");
        assert!(file.exists() || dir.exists(), "`{module}` is declared but has no file");
    }
}
