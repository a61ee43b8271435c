//! Loading a workflow file: YAML 1.2 (JSON is a subset) into a `serde_json::Value`, plus a
//! source map from JSON pointers to line and column, so that every later diagnostic can
//! point at the exact place in the file.
//!
//! We read saphyr-parser's event stream ourselves instead of deserialising with serde,
//! because serde loses positions after parsing; here every value and every key keeps its own.

use crate::diagnostic::{child, Code, Diagnostic, Pos};
use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use serde_json::{Map, Number, Value};
use std::collections::HashMap;

/// The most values a file may expand to; stops alias bombs ("billion laughs").
const MAX_NODES: usize = 1_000_000;
/// The most bytes a file may expand to once its aliases are copied in. Counting values alone
/// is not enough: one large string aliased a few thousand times stays under [`MAX_NODES`] and
/// still expands a 100 KB body to hundreds of megabytes. 16 MiB is far above any real workflow
/// (the 5,000-step benchmark workflow is about 1 MB) and small enough for every process.
pub const MAX_EXPANDED_BYTES: usize = 16 * 1024 * 1024;
/// What a value costs beyond its text (its slot in a list or map), so that a file of many
/// empty values is counted too.
const VALUE_OVERHEAD: usize = 8;
/// The deepest nesting accepted; stops stack exhaustion on pathological input.
const MAX_DEPTH: usize = 128;

/// A parsed file: its value and where each part of it came from.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    values: HashMap<String, Pos>,
    keys: HashMap<String, Pos>,
}

impl SourceMap {
    /// Where the value at `pointer` starts; falls back to the nearest enclosing value that has
    /// a position, so a diagnostic always has a place.
    pub fn value_pos(&self, pointer: &str) -> Option<Pos> {
        let mut p = pointer;
        loop {
            if let Some(pos) = self.values.get(p) {
                return Some(*pos);
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return self.values.get("").copied(),
            }
        }
    }

    /// Where the key of the entry at `pointer` starts (for "unknown field" errors), or the
    /// value's position when there is no key (list items, the root).
    pub fn key_pos(&self, pointer: &str) -> Option<Pos> {
        self.keys.get(pointer).copied().or_else(|| self.value_pos(pointer))
    }
}

/// The result of loading: a value when the syntax was good, and every problem found.
#[derive(Debug)]
pub struct Loaded {
    pub value: Option<Value>,
    pub map: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses `text` as YAML (or JSON). Syntax errors come back as a diagnostic with the position
/// the parser gave; duplicate keys are reported too (the later one wins, as in most loaders,
/// but it is an error, so it blocks publishing).
pub fn load(text: &str) -> Loaded {
    let mut loader = Loader::default();
    let mut parser = Parser::new_from_str(text);
    let mut documents = 0usize;
    let mut root: Option<Value> = None;
    loop {
        match parser.next_event() {
            None => break,
            Some(Err(e)) => {
                let mark = e.marker();
                let mut d = Diagnostic::error(Code::YamlSyntax, "", format!("YAML syntax: {}", e.info()));
                d.pos = Some(Pos { line: mark.line(), col: mark.col() + 1 });
                loader.diagnostics.push(d);
                return Loaded { value: None, map: loader.map, diagnostics: loader.diagnostics };
            }
            Some(Ok((event, span))) => match event {
                Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
                Event::DocumentStart(_) => {
                    documents += 1;
                    if documents > 1 {
                        let mut d = Diagnostic::error(
                            Code::YamlSyntax,
                            "",
                            "a workflow file holds one YAML document; found a second `---`",
                        );
                        d.pos = Some(pos_of(&span));
                        loader.diagnostics.push(d);
                        break;
                    }
                }
                other => {
                    if let Err(d) = loader.event(other, span, &mut root) {
                        loader.diagnostics.push(*d);
                        return Loaded { value: None, map: loader.map, diagnostics: loader.diagnostics };
                    }
                }
            },
        }
    }
    if root.is_none() && loader.diagnostics.is_empty() {
        let mut d = Diagnostic::error(Code::YamlSyntax, "", "the file is empty");
        d.pos = Some(Pos { line: 1, col: 1 });
        loader.diagnostics.push(d);
    }
    Loaded { value: root, map: loader.map, diagnostics: loader.diagnostics }
}

fn pos_of(span: &Span) -> Pos {
    Pos { line: span.start.line(), col: span.start.col() + 1 }
}

/// An open collection while events stream in.
#[derive(Debug)]
enum Frame {
    Seq { pointer: String, items: Vec<Value>, anchor: usize },
    Map { pointer: String, entries: Map<String, Value>, pending_key: Option<String>, anchor: usize },
}

#[derive(Debug, Default)]
struct Loader {
    stack: Vec<Frame>,
    /// Anchored values with their size in values and bytes, measured once.
    anchors: HashMap<usize, (Value, usize, usize)>,
    nodes: usize,
    bytes: usize,
    map: SourceMap,
    diagnostics: Vec<Diagnostic>,
}

impl Loader {
    /// The pointer of the value that the next event will produce.
    fn next_pointer(&self) -> String {
        match self.stack.last() {
            None => String::new(),
            Some(Frame::Seq { pointer, items, .. }) => child(pointer, &items.len().to_string()),
            Some(Frame::Map { pointer, pending_key: Some(key), .. }) => child(pointer, key),
            // A key is being read; keys are not addressed by pointers of their own.
            Some(Frame::Map { pointer, .. }) => pointer.clone(),
        }
    }

    fn expecting_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { pending_key: None, .. }))
    }

    /// Counts `nodes` values of `bytes` bytes against the expansion budget; the diagnostic
    /// points at the place (usually an alias) where the budget ran out.
    fn count(&mut self, nodes: usize, bytes: usize, span: &Span) -> Result<(), Box<Diagnostic>> {
        self.nodes = self.nodes.saturating_add(nodes);
        self.bytes = self.bytes.saturating_add(bytes);
        let message = if self.nodes > MAX_NODES {
            format!("the file expands to more than {MAX_NODES} values (aliases nested too deeply?)")
        } else if self.bytes > MAX_EXPANDED_BYTES {
            format!(
                "the file expands to more than {} MiB once its aliases are copied in (a large value aliased many times?)",
                MAX_EXPANDED_BYTES / (1024 * 1024)
            )
        } else {
            return Ok(());
        };
        let mut d = Diagnostic::error(Code::YamlSyntax, self.next_pointer(), message);
        d.pos = Some(pos_of(span));
        Err(Box::new(d))
    }

    fn event(&mut self, event: Event<'_>, span: Span, root: &mut Option<Value>) -> Result<(), Box<Diagnostic>> {
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let bytes = VALUE_OVERHEAD + text.len();
                self.count(1, bytes, &span)?;
                let forced_string = tag.as_ref().is_some_and(|t| t.suffix == "str");
                if self.expecting_key() {
                    return self.key(text.into_owned(), span);
                }
                let value = if style != ScalarStyle::Plain || forced_string {
                    Value::String(text.into_owned())
                } else {
                    resolve_plain(&text)
                };
                if anchor > 0 {
                    // Keeping the anchored copy costs memory too.
                    self.count(1, bytes, &span)?;
                    self.anchors.insert(anchor, (value.clone(), 1, bytes));
                }
                let pointer = self.next_pointer();
                self.map.values.insert(pointer, pos_of(&span));
                self.push_value(value, root);
            }
            Event::Alias(id) => {
                // The budget is checked before the copy is made, so a bomb never allocates.
                let (nodes, bytes) = self.anchors.get(&id).map_or((1, VALUE_OVERHEAD), |(_, n, b)| (*n, *b));
                self.count(nodes, bytes, &span)?;
                let value = self.anchors.get(&id).map_or(Value::Null, |(v, _, _)| v.clone());
                if self.expecting_key() {
                    let key = match value {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    return self.key(key, span);
                }
                let pointer = self.next_pointer();
                self.map.values.insert(pointer, pos_of(&span));
                self.push_value(value, root);
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                let is_map = matches!(event, Event::MappingStart(..));
                self.count(1, VALUE_OVERHEAD, &span)?;
                if self.expecting_key() {
                    let mut d = Diagnostic::error(
                        Code::YamlSyntax,
                        self.next_pointer(),
                        "a mapping key must be plain text, not a list or a mapping",
                    );
                    d.pos = Some(pos_of(&span));
                    return Err(Box::new(d));
                }
                if self.stack.len() >= MAX_DEPTH {
                    let mut d = Diagnostic::error(
                        Code::YamlSyntax,
                        self.next_pointer(),
                        format!("nesting deeper than {MAX_DEPTH} levels"),
                    );
                    d.pos = Some(pos_of(&span));
                    return Err(Box::new(d));
                }
                let pointer = self.next_pointer();
                self.map.values.insert(pointer.clone(), pos_of(&span));
                self.stack.push(if is_map {
                    Frame::Map { pointer, entries: Map::new(), pending_key: None, anchor }
                } else {
                    Frame::Seq { pointer, items: Vec::new(), anchor }
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (value, anchor) = match self.stack.pop() {
                    Some(Frame::Seq { items, anchor, .. }) => (Value::Array(items), anchor),
                    Some(Frame::Map { entries, anchor, .. }) => (Value::Object(entries), anchor),
                    None => return Ok(()),
                };
                if anchor > 0 {
                    // Keeping the anchored copy costs memory too: nested anchors would
                    // otherwise hold a copy per level without counting any.
                    let (nodes, bytes) = measure(&value);
                    self.count(nodes, bytes, &span)?;
                    self.anchors.insert(anchor, (value.clone(), nodes, bytes));
                }
                self.push_value(value, root);
            }
            _ => {}
        }
        Ok(())
    }

    fn key(&mut self, key: String, span: Span) -> Result<(), Box<Diagnostic>> {
        if let Some(Frame::Map { pointer, entries, pending_key, .. }) = self.stack.last_mut() {
            let key_pointer = child(pointer, &key);
            if entries.contains_key(&key) {
                let mut d =
                    Diagnostic::error(Code::DuplicateKey, key_pointer.clone(), format!("duplicate key `{key}`"))
                        .with_help(
                        "a key may appear once in a mapping; the later value would silently replace the earlier one",
                    );
                d.pos = Some(pos_of(&span));
                self.diagnostics.push(d);
            }
            self.map.keys.insert(key_pointer, pos_of(&span));
            *pending_key = Some(key);
        }
        Ok(())
    }

    fn push_value(&mut self, value: Value, root: &mut Option<Value>) {
        match self.stack.last_mut() {
            None => *root = Some(value),
            Some(Frame::Seq { items, .. }) => items.push(value),
            Some(Frame::Map { entries, pending_key, .. }) => {
                if let Some(key) = pending_key.take() {
                    entries.insert(key, value);
                }
            }
        }
    }
}

/// A value's size as the expansion budget counts it: values, and bytes of text (keys
/// included) plus [`VALUE_OVERHEAD`] per value.
fn measure(value: &Value) -> (usize, usize) {
    match value {
        Value::Array(items) => items
            .iter()
            .map(measure)
            .fold((1, VALUE_OVERHEAD), |(n, b), (n2, b2)| (n.saturating_add(n2), b.saturating_add(b2))),
        Value::Object(map) => {
            map.iter().map(|(k, v)| (k.len(), measure(v))).fold((1, VALUE_OVERHEAD), |(n, b), (k, (n2, b2))| {
                (n.saturating_add(n2), b.saturating_add(b2).saturating_add(k))
            })
        }
        Value::String(s) => (1, VALUE_OVERHEAD + s.len()),
        _ => (1, VALUE_OVERHEAD),
    }
}

/// Resolves a plain scalar by the YAML 1.2 core schema: null, booleans, integers, floats,
/// otherwise text. Infinity and NaN have no JSON form, so they stay text.
fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    let negative = text.starts_with('-');
    if let Some(hex) = text.strip_prefix("0x") {
        if let Ok(n) = i64::from_str_radix(hex, 16) {
            return Value::Number(n.into());
        }
    }
    if let Some(oct) = text.strip_prefix("0o") {
        if let Ok(n) = i64::from_str_radix(oct, 8) {
            return Value::Number(n.into());
        }
    }
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(n) = text.parse::<i64>() {
            return Value::Number(n.into());
        }
        if !negative {
            if let Ok(n) = digits.parse::<u64>() {
                return Value::Number(n.into());
            }
        }
    }
    let looks_float = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        && digits.bytes().next().is_some_and(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().any(|b| b.is_ascii_digit());
    if looks_float {
        if let Some(n) = text.parse::<f64>().ok().and_then(Number::from_f64) {
            return Value::Number(n);
        }
    }
    Value::String(text.to_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_and_positions() {
        let text = "schema: 1\nsteps:\n  hello:\n    kind: send_message\n    text: 'Hi {{contact.first_name}}'\n    quick_replies: [a, b]\n";
        let loaded = load(text);
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        assert_eq!(
            loaded.value.unwrap(),
            json!({"schema": 1, "steps": {"hello": {"kind": "send_message", "text": "Hi {{contact.first_name}}", "quick_replies": ["a", "b"]}}})
        );
        assert_eq!(loaded.map.value_pos("/steps/hello/kind"), Some(Pos { line: 4, col: 11 }));
        assert_eq!(loaded.map.key_pos("/steps/hello/kind"), Some(Pos { line: 4, col: 5 }));
        assert_eq!(loaded.map.value_pos("/steps/hello/quick_replies/1"), Some(Pos { line: 6, col: 24 }));
        // A pointer below a scalar falls back to the scalar.
        assert_eq!(loaded.map.value_pos("/steps/hello/text/nope"), Some(Pos { line: 5, col: 11 }));
    }

    #[test]
    fn scalars_follow_the_core_schema() {
        let loaded = load("[1, -2, 0x1f, 1.5, 1e3, true, no, null, ~, '1', .inf, 2026-11-21, 09:00]");
        assert_eq!(
            loaded.value.unwrap(),
            json!([1, -2, 31, 1.5, 1000.0, true, "no", null, null, "1", ".inf", "2026-11-21", "09:00"])
        );
    }

    #[test]
    fn json_is_accepted() {
        let loaded = load(r#"{"schema": 1, "steps": {"a": {"kind": "send_message", "text": "x"}}}"#);
        assert!(loaded.diagnostics.is_empty());
        assert_eq!(loaded.value.unwrap()["steps"]["a"]["text"], "x");
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let loaded = load("schema: 1\nsteps:\n  a: [unclosed\n");
        assert!(loaded.value.is_none());
        assert_eq!(loaded.diagnostics.len(), 1);
        assert_eq!(loaded.diagnostics[0].code, Code::YamlSyntax);
        assert!(loaded.diagnostics[0].pos.is_some());
    }

    #[test]
    fn duplicate_keys_are_reported() {
        let loaded = load("a: 1\nb: 2\na: 3\n");
        assert_eq!(loaded.diagnostics.len(), 1);
        assert_eq!(loaded.diagnostics[0].code, Code::DuplicateKey);
        assert_eq!(loaded.diagnostics[0].pos, Some(Pos { line: 3, col: 1 }));
    }

    #[test]
    fn aliases_are_expanded_but_bounded() {
        let loaded = load("a: &x {k: 1}\nb: *x\n");
        assert_eq!(loaded.value.unwrap(), json!({"a": {"k": 1}, "b": {"k": 1}}));
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..8 {
            let prev = if i == 0 { "a".to_owned() } else { format!("l{}", i - 1) };
            bomb.push_str(&format!("l{i}: &l{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        let loaded = load(&bomb);
        assert!(loaded.value.is_none());
        assert_eq!(loaded.diagnostics[0].code, Code::YamlSyntax);
    }

    #[test]
    fn aliases_are_bounded_in_bytes() {
        // A 100 KB string aliased a few hundred times: few values, hundreds of megabytes.
        let big = "x".repeat(100_000);
        let mut text = format!("a: &big \"{big}\"\nb: [");
        for _ in 0..3_000 {
            text.push_str("*big, ");
        }
        text.push_str("]\n");
        assert!(text.len() < 200_000);
        let loaded = load(&text);
        assert!(loaded.value.is_none());
        let d = &loaded.diagnostics[0];
        assert_eq!(d.code, Code::YamlSyntax);
        assert!(d.message.contains("16 MiB"), "{}", d.message);
        // It points at the alias where the budget ran out, inside `b`.
        assert_eq!(d.pos.map(|p| p.line), Some(2));
        assert!(d.path.starts_with("/b/"), "{}", d.path);
        // Nested anchors keep a copy per level: 60 levels around 200,000 values.
        let mut nested = String::new();
        for i in 0..60 {
            nested.push_str(&format!("&a{i} ["));
        }
        nested.push_str(&"0, ".repeat(200_000));
        nested.push_str(&"]".repeat(60));
        let loaded = load(&nested);
        assert!(loaded.value.is_none(), "nested anchors are counted");
        assert!(
            loaded.diagnostics[0].message.contains("the file expands to more than"),
            "{}",
            loaded.diagnostics[0].message
        );
        // A few copies of a large value are fine.
        let ok = format!("a: &big \"{big}\"\nb: [*big, *big, *big]\n");
        assert!(load(&ok).diagnostics.is_empty());
    }

    #[test]
    fn empty_and_multi_document_files_are_refused() {
        assert_eq!(load("").diagnostics[0].code, Code::YamlSyntax);
        assert_eq!(load("a: 1\n---\nb: 2\n").diagnostics[0].code, Code::YamlSyntax);
    }
}
