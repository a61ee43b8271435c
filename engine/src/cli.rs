//! The workflow tools of the `switchboard` command: `validate` prints diagnostics in the
//! style of rustc, `schema` prints JSON Schemas (the file format, a step kind, a trigger type). Kept apart from `main.rs` so that tests can
//! call them and read what they print.

use std::io::Write;
use std::path::Path;

/// What `validate` found across all files.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
}

/// Validates each file and writes its diagnostics to `out`. A file that cannot be read
/// counts as one error.
pub fn validate(paths: &[impl AsRef<Path>], out: &mut dyn Write) -> std::io::Result<Summary> {
    let mut summary = Summary::default();
    for path in paths {
        let path = path.as_ref();
        let name = path.display().to_string();
        summary.files += 1;
        let text = match std::fs::read(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(e) => {
                    writeln!(
                        out,
                        "{name}: error[E0001]: the file is not UTF-8 text (byte {})",
                        e.utf8_error().valid_up_to()
                    )?;
                    summary.errors += 1;
                    continue;
                }
            },
            Err(e) => {
                writeln!(out, "{name}: error: cannot read the file: {e}")?;
                summary.errors += 1;
                continue;
            }
        };
        let compiled = steps::compile(&text);
        for d in &compiled.diagnostics {
            write!(out, "{}", d.render(&name, &text))?;
            if d.is_error() {
                summary.errors += 1;
            } else {
                summary.warnings += 1;
            }
        }
    }
    let Summary { files, errors, warnings } = summary;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    writeln!(out, "{}: {}, {}", plural(files, "file"), plural(errors, "error"), plural(warnings, "warning"))?;
    Ok(summary)
}

/// The JSON Schema of one trigger type's `trigger:` block; `list` gives every type with its
/// description and schema. An unknown type is an error that lists the types.
pub fn trigger_schema(trigger_type: &str) -> Result<serde_json::Value, String> {
    if trigger_type == "list" {
        return Ok(steps::schema::triggers_catalog());
    }
    steps::schema::trigger_schema(trigger_type).ok_or_else(|| {
        format!("unknown trigger type `{trigger_type}`; types: {}", steps::trigger::TRIGGER_TYPES.join(", "))
    })
}

/// The JSON Schema of the file format, or of one step kind's config.
pub fn schema(kind: Option<&str>) -> Result<serde_json::Value, String> {
    match kind {
        None => Ok(steps::schema::workflow_schema()),
        Some("kinds") => Ok(steps::schema::kinds_catalog()),
        Some(k) => steps::schema::step_schema(k).ok_or_else(|| {
            let names: Vec<&str> = steps::StepConfig::ALL.iter().map(|i| i.name).collect();
            format!("unknown step kind `{k}`; kinds: {}", names.join(", "))
        }),
    }
}
