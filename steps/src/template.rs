//! Text with variables: `Hello {{contact.first_name}}`. A hole holds a variable path or,
//! for the advanced form, a Rhai expression (`{{ contact.first_name ?? "there" }}`).
//! Templates are parsed once when the workflow is compiled; a hole that does not compile is
//! kept with its error so that the compiler can report it with its location.

use crate::expr::{Expr, ExprError};
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::borrow::Cow;
use std::ops::Range;

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    source: String,
    parts: Vec<Part>,
    error: Option<TemplateError>,
}

#[derive(Debug, Clone)]
enum Part {
    Text(String),
    /// A dotted variable path, resolved without the expression engine (the common case, and
    /// the fast one), with the character offset of its `{{`.
    Path(Vec<String>, usize),
    Expr(Expr, usize),
}

/// A problem in a template, with the character offset of the hole it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub offset: usize,
    pub message: String,
    /// True when the hole parsed as a template but its expression did not compile.
    pub in_expression: bool,
}

impl Template {
    /// Parses `source`. Never fails: problems are kept and returned by [`Template::error`].
    pub fn parse(source: &str) -> Template {
        let mut parts = Vec::new();
        let mut error = None;
        let mut rest = source;
        let mut offset = 0usize;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_owned()));
            }
            let after = &rest[open + 2..];
            let Some(close) = after.find("}}") else {
                error.get_or_insert(TemplateError {
                    offset: offset + char_offset(rest, open),
                    message: "`{{` is never closed with `}}`".to_owned(),
                    in_expression: false,
                });
                parts.push(Part::Text(rest[open..].to_owned()));
                rest = "";
                break;
            };
            let inner = after[..close].trim();
            let hole_offset = offset + char_offset(rest, open);
            if inner.is_empty() {
                error.get_or_insert(TemplateError {
                    offset: hole_offset,
                    message: "empty `{{ }}`: name a variable, for example `{{contact.first_name}}`".to_owned(),
                    in_expression: false,
                });
            } else if let Some(path) = as_path(inner) {
                parts.push(Part::Path(path, hole_offset));
            } else {
                match Expr::compile(inner) {
                    Ok(expr) => parts.push(Part::Expr(expr, hole_offset)),
                    Err(e) => {
                        error.get_or_insert(TemplateError {
                            offset: hole_offset,
                            message: format!("in `{{{{ {inner} }}}}`: {e}"),
                            in_expression: true,
                        });
                    }
                }
            }
            let consumed = open + 2 + close + 2;
            offset += char_offset(rest, consumed);
            rest = &rest[consumed..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Template { source: source.to_owned(), parts, error }
    }

    /// The text as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The first problem found while parsing, if any.
    pub fn error(&self) -> Option<&TemplateError> {
        self.error.as_ref()
    }

    /// Does this template have any variables at all?
    pub fn is_static(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Text(_)))
    }

    /// Every variable path the template reads, dotted.
    pub fn paths(&self, roots: &[&str]) -> Vec<String> {
        self.paths_at(roots).into_iter().map(|(p, _)| p).collect()
    }

    /// Every variable path with the character offset of the `{{` it is in.
    pub fn paths_at(&self, roots: &[&str]) -> Vec<(String, usize)> {
        let mut out = Vec::new();
        for part in &self.parts {
            match part {
                Part::Text(_) => {}
                Part::Path(p, at) => out.push((p.join("."), *at)),
                Part::Expr(e, at) => {
                    out.extend(crate::expr::referenced_paths(e.source(), roots).into_iter().map(|p| (p, *at)))
                }
            }
        }
        out
    }

    /// The plain-path holes that read a secret (`{{ secrets.crm_key }}`): the name after
    /// `secrets.` (or the whole rest of the path, when it is not one name) and the hole's
    /// character offset.
    pub fn secret_holes(&self) -> Vec<(String, usize)> {
        self.parts
            .iter()
            .filter_map(|part| match part {
                Part::Path(p, at) if p.first().is_some_and(|r| r == "secrets") => Some((p[1..].join("."), *at)),
                _ => None,
            })
            .collect()
    }

    /// Fills in the variables. A missing variable renders as nothing, the way inbox products
    /// do it; an expression that fails at run time is an error (the step fails visibly).
    pub fn render(&self, vars: &Value) -> Result<String, ExprError> {
        if let Some(e) = &self.error {
            return Err(ExprError::Runtime(e.message.clone()));
        }
        let mut out = String::with_capacity(self.source.len());
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Path(p, _) => push_value(&mut out, lookup(vars, p)),
                Part::Expr(e, _) => push_value(&mut out, Some(&e.eval(vars)?)),
            }
        }
        Ok(out)
    }

    /// Renders a URL: every filled-in value is percent-encoded (`+49 151` → `%2B49%20151`, and
    /// `/`, `?`, `#`, `\` and `%` too) so contact data cannot change the URL's structure; a hole
    /// at the very start is left alone, so a whole URL can come from a variable.
    ///
    /// Encoding cannot protect a path segment that is only dots: URL parsers (the WHATWG
    /// standard, which browsers, the `url` crate and so the engine's HTTP client follow) read
    /// `.`, `..`, `%2e` and `.%2E` alike as "this directory" and "the parent", so a contact
    /// answering `..` would move the request to another path whatever the spelling. A filled-in
    /// value that makes a whole path segment `.` or `..` is therefore refused
    /// ([`UrlError::DotSegment`]) and nothing is called.
    pub fn render_url(&self, vars: &Value) -> Result<String, UrlError> {
        if let Some(e) = &self.error {
            return Err(ExprError::Runtime(e.message.clone()).into());
        }
        let mut out = String::with_capacity(self.source.len());
        // Where each filled-in (encoded) value sits in `out`, with its hole's offset.
        let mut filled: Vec<(Range<usize>, usize)> = Vec::new();
        for (i, part) in self.parts.iter().enumerate() {
            let mut value = String::new();
            let at = match part {
                Part::Text(t) => {
                    out.push_str(t);
                    continue;
                }
                Part::Path(p, at) => {
                    push_value(&mut value, lookup(vars, p));
                    *at
                }
                Part::Expr(e, at) => {
                    push_value(&mut value, Some(&e.eval(vars)?));
                    *at
                }
            };
            if i == 0 {
                out.push_str(&value);
            } else {
                let start = out.len();
                out.extend(percent_encoding::utf8_percent_encode(&value, URL_VALUE));
                filled.push((start..out.len(), at));
            }
        }
        for segment in path_segments(&out) {
            // An empty value counts too: after a written `.`, it leaves the segment `.`.
            let hole = filled.iter().find(|(range, _)| {
                if range.is_empty() {
                    segment.start <= range.start && range.start <= segment.end
                } else {
                    range.start < segment.end && segment.start < range.end
                }
            });
            if let Some((_, offset)) = hole {
                if is_dot_segment(&out[segment.clone()]) {
                    return Err(UrlError::DotSegment { offset: *offset, segment: out[segment].to_owned() });
                }
            }
        }
        Ok(out)
    }

    /// Like [`Template::render`], but a template that is exactly one hole keeps the value's
    /// type (a number stays a number), which matters when setting fields and HTTP JSON bodies.
    pub fn render_value(&self, vars: &Value) -> Result<Value, ExprError> {
        if let [single] = self.parts.as_slice() {
            match single {
                Part::Path(p, _) => return Ok(lookup(vars, p).cloned().unwrap_or(Value::Null)),
                Part::Expr(e, _) if self.error.is_none() => return e.eval(vars),
                _ => {}
            }
        }
        self.render(vars).map(Value::String)
    }
}

/// `value` percent-encoded the way a filled-in URL value is.
pub fn encode_url_value(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, URL_VALUE).to_string()
}

/// Why a URL template could not be filled in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// An expression in a hole failed.
    #[error(transparent)]
    Expr(#[from] ExprError),
    /// A filled-in value made a whole path segment `.` or `..` (however spelled), which URL
    /// parsers resolve away, moving the request to another path.
    #[error(
        "the value filled in at character {offset} makes the path segment `{segment}`, which would send the \
         request to another path; it was not sent"
    )]
    DotSegment {
        /// The character offset of the hole's `{{`.
        offset: usize,
        /// The segment as it would have been sent.
        segment: String,
    },
}

/// The byte ranges of the path segments of `url`: after the authority (when there is a `//`),
/// up to the query or fragment, split at `/` and at `\` (which WHATWG parsers treat as `/` in
/// http and https URLs).
fn path_segments(url: &str) -> Vec<Range<usize>> {
    let path_start = match scheme_end(url) {
        Some(colon) => {
            let after = colon + 1;
            let rest = &url[after..];
            let slashes = rest.len() - rest.trim_start_matches(['/', '\\']).len();
            // As a WHATWG parser reads it: after a special scheme (`https:`) any run of slashes,
            // even none, leads to the authority; after another, only `//` does.
            let special = matches!(url[..colon].to_ascii_lowercase().as_str(), "http" | "https" | "ws" | "wss" | "ftp");
            if special || rest.starts_with("//") {
                let authority = after + if special { slashes } else { 2 };
                url[authority..].find(['/', '\\', '?', '#']).map_or(url.len(), |end| authority + end)
            } else {
                after
            }
        }
        None => 0,
    };
    let path_end = url[path_start..].find(['?', '#']).map_or(url.len(), |end| path_start + end);
    let mut segments = Vec::new();
    let mut start = path_start;
    for (i, c) in url[path_start..path_end].char_indices() {
        if c == '/' || c == '\\' {
            segments.push(start..path_start + i);
            start = path_start + i + 1;
        }
    }
    segments.push(start..path_end);
    segments
}

/// Where the URL's scheme ends (its `:`), if it starts with one (`[A-Za-z][A-Za-z0-9+.-]*:`).
fn scheme_end(url: &str) -> Option<usize> {
    let colon = url.find(':')?;
    let scheme = &url[..colon];
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic() && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
        .then_some(colon)
}

/// Is this path segment one a URL parser resolves away: `.` or `..`, with any dot spelled
/// `%2e` or `%2E`? WHATWG parsers first delete tabs and line breaks and trim control
/// characters and spaces from the ends of the URL, so those are ignored here too (at the ends
/// of any segment, which may be the URL's last).
fn is_dot_segment(segment: &str) -> bool {
    let dots = segment.replace(['\t', '\n', '\r'], "");
    let dots = dots.trim_matches(|c: char| c <= ' ').to_ascii_lowercase().replace("%2e", ".");
    dots == "." || dots == ".."
}

/// Everything but RFC 3986's unreserved characters is encoded in a filled-in URL value.
const URL_VALUE: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// The character offset of byte index `byte` in `s`.
fn char_offset(s: &str, byte: usize) -> usize {
    s[..byte.min(s.len())].chars().count()
}

/// `contact.first_name` or `steps.ask.answer` → its segments; anything else is an expression.
fn as_path(inner: &str) -> Option<Vec<String>> {
    let segments: Vec<&str> = inner.split('.').collect();
    let ok = segments.iter().all(|s| {
        let mut chars = s.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    });
    ok.then(|| segments.into_iter().map(str::to_owned).collect())
}

/// Follows a dotted path through objects (and numeric segments through arrays).
pub fn lookup<'v, S: AsRef<str>>(vars: &'v Value, path: &[S]) -> Option<&'v Value> {
    let mut cur = vars;
    for seg in path {
        let seg = seg.as_ref();
        cur = match cur {
            Value::Object(m) => m.get(seg)?,
            Value::Array(items) => items.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn push_value(out: &mut String, value: Option<&Value>) {
    match value {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => out.push_str(s),
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                push_value(out, Some(item));
            }
        }
        Some(other) => out.push_str(&other.to_string()),
    }
}

impl Serialize for Template {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.source)
    }
}

impl<'de> Deserialize<'de> for Template {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let source = String::deserialize(d)?;
        Ok(Template::parse(&source))
    }
}

impl PartialEq for Template {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl From<&str> for Template {
    fn from(s: &str) -> Self {
        Template::parse(s)
    }
}

impl JsonSchema for Template {
    fn schema_name() -> Cow<'static, str> {
        "Template".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "Text with variables in double braces, for example `Hi {{contact.first_name}}`.",
            "x-switchboard-template": true
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars() -> Value {
        json!({"contact": {"first_name": "Zoë", "tags": ["a", "b"]}, "steps": {"ask": {"answer": 4}}})
    }

    fn check(src: &str, expected: &str) {
        let t = Template::parse(src);
        assert!(t.error().is_none(), "{src}: {:?}", t.error());
        assert_eq!(t.render(&vars()).unwrap(), expected, "{src}");
    }

    #[test]
    fn renders() {
        check("Hi {{contact.first_name}}!", "Hi Zoë!");
        check("Hi {{ contact.first_name }}", "Hi Zoë");
        check("{{contact.last_name}}", "");
        check("tags: {{contact.tags}}", "tags: a, b");
        check("{{steps.ask.answer}}/5", "4/5");
        check("Hi {{ contact.nickname ?? \"there\" }}", "Hi there");
        check("{{ steps.ask.answer * 2 }}", "8");
        check("no holes", "no holes");
        check("", "");
    }

    #[test]
    fn keeps_types_for_single_holes() {
        assert_eq!(Template::parse("{{steps.ask.answer}}").render_value(&vars()).unwrap(), json!(4));
        assert_eq!(Template::parse("x{{steps.ask.answer}}").render_value(&vars()).unwrap(), json!("x4"));
    }

    #[test]
    fn reports_errors_with_offsets() {
        let t = Template::parse("Hi {{contact.first_name");
        assert_eq!(t.error().unwrap().offset, 3);
        let t = Template::parse("Héllo {{ }}");
        assert_eq!(t.error().unwrap().offset, 6);
        let t = Template::parse("a {{ 1 + }} b");
        assert!(t.error().unwrap().in_expression);
    }

    #[test]
    fn urls_encode_what_they_fill_in() {
        let vars = json!({"contact": {"phone": "+49 151/2", "site": "https://x.example.com/a?b=1"}});
        let t = Template::parse("https://crm.example.com/c?phone={{contact.phone}}");
        assert_eq!(t.render_url(&vars).unwrap(), "https://crm.example.com/c?phone=%2B49%20151%2F2");
        let whole = Template::parse("{{contact.site}}&x={{contact.phone}}");
        assert_eq!(whole.render_url(&vars).unwrap(), "https://x.example.com/a?b=1&x=%2B49%20151%2F2");
    }

    /// A filled-in value stays inside its path segment: separators are encoded, and a segment
    /// that would be only dots (which every URL parser resolves away, encoded or not) is refused.
    #[test]
    fn filled_in_values_stay_inside_their_path_segment() {
        let base = "https://crm.example.com/orders/{{v}}/items";
        let cases: &[(&str, &str, Option<&str>)] = &[
            // (template, value, expected URL or None when refused)
            (base, "A-17", Some("https://crm.example.com/orders/A-17/items")),
            (base, "..", None),
            (base, ".", None),
            (base, "...", Some("https://crm.example.com/orders/.../items")),
            (base, "v1.2", Some("https://crm.example.com/orders/v1.2/items")),
            (base, "../admin", Some("https://crm.example.com/orders/..%2Fadmin/items")),
            (base, "..\\admin", Some("https://crm.example.com/orders/..%5Cadmin/items")),
            (base, "a?b#c", Some("https://crm.example.com/orders/a%3Fb%23c/items")),
            (base, "%2e%2e", Some("https://crm.example.com/orders/%252e%252e/items")),
            (base, "", Some("https://crm.example.com/orders//items")),
            ("https://crm.example.com/orders/{{v}}", "..", None),
            ("https://crm.example.com/orders/{{v}}", ".", None),
            ("https://crm.example.com/orders/.{{v}}/x", ".", None),
            ("https://crm.example.com/orders/%2e{{v}}/x", ".", None),
            ("https://crm.example.com/orders/{{v}}{{v}}/x", ".", None),
            ("https://crm.example.com/a\\{{v}}\\b", "..", None),
            // Found by the `template` fuzz target: an empty value after a written `.` leaves `.`,
            // and a written tab or line break, or a control character at the URL's end, vanishes
            // before the URL is read.
            ("https://crm.example.com/orders/.{{v}}/x", "", None),
            ("https://crm.example.com/orders/.\t{{v}}/x", ".", None),
            ("https://crm.example.com/orders/.\n{{v}}/x", ".", None),
            ("https://crm.example.com/orders/..\u{f}{{v}}", "", None),
            // The authority is where a URL parser finds it: after `https:` and any slashes, not
            // after a later `://` (a malformed `https:/…` template).
            ("https:/a/{{v}}/b://c/d", "..", None),
            ("https://crm.example.com/orders/x{{v}}/x", "", Some("https://crm.example.com/orders/x/x")),
            ("https://crm.example.com/orders/x{{v}}/x", "..", Some("https://crm.example.com/orders/x../x")),
            // Found by the one-hour run of the `template` fuzz target (a false alarm of its
            // harness, kept as a seed): after `https:` a URL parser skips `\` as it skips `/`,
            // so a hole there is in the host, the author's business; values are encoded for
            // the path only.
            ("https://\\{{v}}\\bttps://\\{{v}}\\b", "", Some("https://\\\\bttps://\\\\b")),
            // Outside the path, dots are only text.
            ("https://crm.example.com/lookup?q={{v}}", "..", Some("https://crm.example.com/lookup?q=..")),
            ("https://crm.example.com/lookup?q=1#{{v}}", "..", Some("https://crm.example.com/lookup?q=1#..")),
            ("https://crm.example.com/lookup/x?q=/{{v}}", "..", Some("https://crm.example.com/lookup/x?q=/..")),
            // The author's own dots are the author's business.
            ("https://crm.example.com/a/../{{v}}", "b", Some("https://crm.example.com/a/../b")),
            // A hole at the very start is the whole URL, as the author chose.
            ("{{v}}/x", "https://crm.example.com/..", Some("https://crm.example.com/../x")),
        ];
        for (template, value, expected) in cases {
            let t = Template::parse(template);
            let got = t.render_url(&json!({"v": value}));
            match expected {
                Some(url) => assert_eq!(got.as_deref(), Ok(*url), "{template} with {value:?}"),
                None => assert!(matches!(got, Err(UrlError::DotSegment { .. })), "{template} with {value:?}: {got:?}"),
            }
        }
        let refused = Template::parse(base).render_url(&json!({"v": ".."})).unwrap_err();
        assert_eq!(refused, UrlError::DotSegment { offset: 31, segment: "..".into() });
        assert!(refused.to_string().contains("path segment `..`"), "{refused}");
    }

    /// The URL the engine's HTTP client would request (the WHATWG parser) keeps every filled-in
    /// value where it was put, whatever the value.
    #[test]
    fn parsed_urls_keep_the_path_the_author_wrote() {
        // Why encoding alone cannot do it: the parser reads `%2E%2E` as `..`.
        assert_eq!(url::Url::parse("https://crm.example.com/orders/%2E%2E/items").unwrap().path(), "/items");
        let t = Template::parse("https://crm.example.com/orders/{{v}}/items?x=1");
        for value in ["..", ".", "%2e%2e", ".%2E", "../..", "..\\..", "a/../../b", "..;", "..?", "..#", " .. "] {
            if let Ok(url) = t.render_url(&json!({"v": value})) {
                let parsed = url::Url::parse(&url).unwrap();
                let segments: Vec<&str> = parsed.path_segments().unwrap().collect();
                assert_eq!(segments.len(), 3, "{value:?} → {url} → {}", parsed.path());
                assert_eq!((segments[0], segments[2]), ("orders", "items"), "{value:?} → {}", parsed.path());
            }
        }
    }

    #[test]
    fn finds_secret_holes() {
        let t = Template::parse("Bearer {{ secrets.crm_key }} {{contact.name}} {{secrets.a.b}}");
        assert_eq!(t.secret_holes(), vec![("crm_key".to_owned(), 7), ("a.b".to_owned(), 46)]);
        assert!(Template::parse("{{ secrets.k ?? 1 }}").secret_holes().is_empty(), "an expression is not a hole");
    }

    #[test]
    fn lists_paths() {
        let t = Template::parse("{{contact.first_name}} {{ steps.ask.answer + 1 }}");
        assert_eq!(t.paths(&["contact", "steps"]), vec!["contact.first_name", "steps.ask.answer"]);
    }
}
