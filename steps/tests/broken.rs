//! The broken-file corpus: every file in `tests/broken/` names the diagnostics it must
//! produce (`# expect: E0200 at 9:11`). Together the files cover every diagnostic code, so a
//! code that stops being reported, or moves, fails here.

use std::collections::BTreeSet;
use std::path::PathBuf;
use steps::{compile, Code};

fn corpus() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/broken");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("tests/broken exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            (name, std::fs::read_to_string(&p).expect("readable file"))
        })
        .collect();
    files.sort();
    files
}

/// `# expect: E0200 at 9:11` lines.
fn expectations(text: &str) -> Vec<(String, usize, usize)> {
    text.lines()
        .filter_map(|l| l.strip_prefix("# expect: "))
        .map(|e| {
            let (code, at) = e.split_once(" at ").expect("`CODE at LINE:COL`");
            let (line, col) = at.trim().split_once(':').expect("LINE:COL");
            (code.trim().to_owned(), line.parse().expect("line"), col.parse().expect("col"))
        })
        .collect()
}

#[test]
fn each_broken_file_reports_its_code_at_its_place() {
    let files = corpus();
    assert!(files.len() >= Code::ALL.len(), "one file per code at least");
    for (name, text) in &files {
        let result = compile(text);
        assert!(result.workflow.is_none(), "{name}: a broken file must not compile");
        let got: Vec<(String, usize, usize)> = result
            .diagnostics
            .iter()
            .map(|d| {
                let pos = d.pos.unwrap_or(steps::Pos { line: 0, col: 0 });
                (d.code.as_str().to_owned(), pos.line, pos.col)
            })
            .collect();
        let expected = expectations(text);
        assert!(!expected.is_empty(), "{name} has no `# expect:` line");
        // Exactly these: a missing one is a lost check, an extra one a cascade or a regression.
        assert_eq!(got, expected, "{name}: diagnostics differ from the `# expect:` lines");
    }
}

#[test]
fn the_corpus_covers_every_code() {
    let mut covered = BTreeSet::new();
    for (_, text) in corpus() {
        for (code, _, _) in expectations(&text) {
            covered.insert(code);
        }
    }
    let missing: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).filter(|c| !covered.contains(*c)).collect();
    assert!(missing.is_empty(), "codes without a broken file: {missing:?}");
}

#[test]
fn diagnostics_come_in_file_order() {
    for (name, text) in corpus() {
        let positions: Vec<_> = compile(&text).diagnostics.iter().map(|d| d.pos).collect();
        let mut sorted = positions.clone();
        sorted.sort();
        assert_eq!(positions, sorted, "{name}");
    }
}
