//! Diagnostics: every problem the compiler finds, with a stable code and a location, and
//! their rendering in the style of rustc for the command line.

use serde::Serialize;
use std::fmt::{self, Write as _};

/// A position in a source file; both numbers start at 1, columns count characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

/// How bad a diagnostic is: errors block publishing, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

/// The stable codes of every diagnostic. Codes never change meaning once released; the
/// editor and the tests key on them. `docs` in the README lists them with examples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    /// The text is not valid YAML (or JSON).
    YamlSyntax,
    /// A mapping has the same key twice.
    DuplicateKey,
    /// `schema` is missing or names a version this build does not know.
    SchemaVersion,
    /// A required field is missing.
    MissingField,
    /// A field that this place does not have.
    UnknownField,
    /// A value of the wrong type (a list where text is expected, ...).
    WrongType,
    /// A value of the right type that is not allowed (out of range, bad duration, bad timezone, ...).
    InvalidValue,
    /// More items than allowed (choice options, branches, conditions, headers).
    TooMany,
    /// A workflow or step id that is not a lowercase identifier.
    InvalidId,
    /// A step `kind` that does not exist.
    UnknownStepKind,
    /// A trigger `type` that does not exist.
    UnknownTriggerType,
    /// An edge (or `start`, or a jump) that names a step that does not exist.
    UnknownTarget,
    /// An edge on a port that this step does not have.
    UnknownPort,
    /// A port that must be connected is not.
    UnconnectedPort,
    /// A step that no path from the start reaches.
    Unreachable,
    /// A loop that is not bounded by a jump step.
    UnboundedCycle,
    /// A Rhai expression that does not compile.
    ExpressionSyntax,
    /// A `{{ ... }}` template that is not well formed.
    TemplateSyntax,
    /// A variable that does not exist anywhere (`contact.shoe_size`, `steps.nope.answer`).
    UnknownVariable,
    /// A variable that exists, but not on every path to this point.
    VariableNotAvailable,
    /// A trigger condition on a field the trigger does not have.
    UnknownTriggerField,
    /// A JSON path (`$.customer.phone`) that does not parse.
    JsonPathSyntax,
    /// (Warning) A message or question that can be sent more than 24 hours after the
    /// contact last wrote, without an approved WhatsApp template.
    OutsideWhatsappWindow,
}

impl Code {
    /// Every code, in order; used by the documentation test and the editor.
    pub const ALL: [Code; 23] = [
        Code::YamlSyntax,
        Code::DuplicateKey,
        Code::SchemaVersion,
        Code::MissingField,
        Code::UnknownField,
        Code::WrongType,
        Code::InvalidValue,
        Code::TooMany,
        Code::InvalidId,
        Code::UnknownStepKind,
        Code::UnknownTriggerType,
        Code::UnknownTarget,
        Code::UnknownPort,
        Code::UnconnectedPort,
        Code::Unreachable,
        Code::UnboundedCycle,
        Code::ExpressionSyntax,
        Code::TemplateSyntax,
        Code::UnknownVariable,
        Code::VariableNotAvailable,
        Code::UnknownTriggerField,
        Code::JsonPathSyntax,
        Code::OutsideWhatsappWindow,
    ];

    /// The short stable identifier printed as `error[E0200]`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::YamlSyntax => "E0001",
            Code::DuplicateKey => "E0002",
            Code::SchemaVersion => "E0003",
            Code::MissingField => "E0100",
            Code::UnknownField => "E0101",
            Code::WrongType => "E0102",
            Code::InvalidValue => "E0103",
            Code::TooMany => "E0104",
            Code::InvalidId => "E0105",
            Code::UnknownStepKind => "E0200",
            Code::UnknownTriggerType => "E0201",
            Code::UnknownTarget => "E0300",
            Code::UnknownPort => "E0301",
            Code::UnconnectedPort => "E0302",
            Code::Unreachable => "E0303",
            Code::UnboundedCycle => "E0304",
            Code::ExpressionSyntax => "E0400",
            Code::TemplateSyntax => "E0401",
            Code::UnknownVariable => "E0402",
            Code::VariableNotAvailable => "E0403",
            Code::UnknownTriggerField => "E0404",
            Code::JsonPathSyntax => "E0405",
            Code::OutsideWhatsappWindow => "W0500",
        }
    }

    /// A human name for the code, used in documentation and the editor's problem list.
    pub fn name(self) -> &'static str {
        match self {
            Code::YamlSyntax => "yaml-syntax",
            Code::DuplicateKey => "duplicate-key",
            Code::SchemaVersion => "schema-version",
            Code::MissingField => "missing-field",
            Code::UnknownField => "unknown-field",
            Code::WrongType => "wrong-type",
            Code::InvalidValue => "invalid-value",
            Code::TooMany => "too-many",
            Code::InvalidId => "invalid-id",
            Code::UnknownStepKind => "unknown-step-kind",
            Code::UnknownTriggerType => "unknown-trigger-type",
            Code::UnknownTarget => "unknown-target",
            Code::UnknownPort => "unknown-port",
            Code::UnconnectedPort => "unconnected-port",
            Code::Unreachable => "unreachable-step",
            Code::UnboundedCycle => "unbounded-cycle",
            Code::ExpressionSyntax => "expression-syntax",
            Code::TemplateSyntax => "template-syntax",
            Code::UnknownVariable => "unknown-variable",
            Code::VariableNotAvailable => "variable-not-available",
            Code::UnknownTriggerField => "unknown-trigger-field",
            Code::JsonPathSyntax => "json-path-syntax",
            Code::OutsideWhatsappWindow => "whatsapp-window",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One problem found in a workflow file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    /// Where in the file; `None` only when the problem has no place (an empty file).
    pub pos: Option<Pos>,
    /// A JSON pointer to the offending value (`/steps/ask/options/3`), which the editor maps
    /// to a node and a form field.
    pub path: String,
    /// The step the problem belongs to, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// A hint on how to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Where inside the value the problem is (characters from its start), for templates and
    /// expressions; the compiler folds it into `pos`.
    #[serde(skip)]
    pub offset: Option<usize>,
}

impl Diagnostic {
    /// An error at `path`; the compiler fills in the position from its source map.
    pub fn error(code: Code, path: impl Into<String>, message: impl Into<String>) -> Self {
        let path = path.into();
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            pos: None,
            step: step_of_path(&path),
            path,
            help: None,
            offset: None,
        }
    }

    /// The same, as a warning.
    pub fn warning(code: Code, path: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(code, path, message) }
    }

    /// Adds a hint.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Is this an error (as opposed to a warning)?
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Renders the diagnostic as `file:line:col: error[CODE]: message`, then the offending
    /// source line with a caret under the column, then the hint if there is one.
    pub fn render(&self, file: &str, source: &str) -> String {
        let mut out = String::new();
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        match self.pos {
            Some(pos) => {
                let _ = write!(out, "{file}:{}:{}: ", pos.line, pos.col);
            }
            None => {
                let _ = write!(out, "{file}: ");
            }
        }
        let _ = writeln!(out, "{level}[{}]: {}", self.code, self.message);
        if let Some(pos) = self.pos {
            if let Some(line) = source_lines(source).nth(pos.line.saturating_sub(1)) {
                let gutter = pos.line.to_string();
                let pad = " ".repeat(gutter.len());
                let caret_indent: String =
                    line.chars().take(pos.col.saturating_sub(1)).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
                let _ = writeln!(out, "{pad} |");
                let _ = writeln!(out, "{gutter} | {line}");
                let _ = writeln!(out, "{pad} | {caret_indent}^");
            }
        }
        if let Some(help) = &self.help {
            let _ = writeln!(out, "  = help: {help}");
        }
        out
    }
}

/// The lines of a source text as positions count them: YAML (and the editor) end a line at
/// `\n`, `\r\n` or a lone `\r`, where `str::lines` knows only the first two.
pub fn source_lines(source: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(source);
    std::iter::from_fn(move || {
        let text = rest?;
        match text.find(['\r', '\n']) {
            Some(end) => {
                let next = if text[end..].starts_with("\r\n") { end + 2 } else { end + 1 };
                rest = Some(&text[next..]).filter(|r| !r.is_empty());
                Some(&text[..end])
            }
            None => {
                rest = None;
                Some(text).filter(|t| !t.is_empty())
            }
        }
    })
}

/// `/steps/ask/options/0` belongs to step `ask`.
fn step_of_path(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/steps/")?;
    let id = rest.split('/').next()?;
    (!id.is_empty()).then(|| unescape_pointer(id))
}

/// Escapes one segment of a JSON pointer (RFC 6901).
pub fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Reverses [`escape_pointer`].
pub fn unescape_pointer(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// Joins a pointer and a segment.
pub fn child(path: &str, segment: &str) -> String {
    format!("{path}/{}", escape_pointer(segment))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `compile_workflow` fuzz target: YAML counts a lone `\r` as a line break,
    /// so positions did, and the rendering (which counted only `\n`) showed another line or none.
    #[test]
    fn a_lone_carriage_return_ends_a_line_for_the_rendering_as_for_the_position() {
        let source = "schema: 1\rid: x\rid: y\rname: N\r";
        let result = crate::compile(source);
        let d = result.diagnostics.iter().find(|d| d.code == Code::DuplicateKey).expect("a duplicate key");
        let pos = d.pos.expect("a position");
        assert!(pos.line > 1, "{d:?}");
        let rendered = d.render("flow.yaml", source);
        let expected = source.split('\r').nth(pos.line - 1).expect("the line exists");
        assert!(rendered.contains(&format!("{} | {expected}\n", pos.line)), "{rendered}");
        assert_eq!(source_lines("a\r\nb\rc\n\nd\n").collect::<Vec<_>>(), ["a", "b", "c", "", "d"]);
        assert_eq!(source_lines("").count(), 0);
    }

    #[test]
    fn renders_like_rustc_with_a_caret() {
        let source = "schema: 1\nsteps:\n  a:\n    kind: sendd\n";
        let mut d = Diagnostic::error(Code::UnknownStepKind, "/steps/a/kind", "unknown step kind `sendd`")
            .with_help("did you mean `send_message`?");
        d.pos = Some(Pos { line: 4, col: 11 });
        let text = d.render("flow.yaml", source);
        assert_eq!(
            text,
            "flow.yaml:4:11: error[E0200]: unknown step kind `sendd`\n  |\n4 |     kind: sendd\n  |           ^\n  = help: did you mean `send_message`?\n"
        );
        assert_eq!(d.step.as_deref(), Some("a"));
    }

    #[test]
    fn codes_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.as_str()), "duplicate code {code}");
        }
    }
}
