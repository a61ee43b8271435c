//! Fuzz target `template`: feeds arbitrary text to `steps::template::Template::parse`, the
//! parser of every message text, URL, header and field value with `{{ ... }}` holes, then
//! renders what parsed (as text, as a value and as a URL) against a run's variables.
//!
//! Asserts, beyond "never panics":
//! - the template keeps its source, and every offset it reports (the first error, each
//!   variable path, each secret) points at the `{{` of its hole;
//! - a template without holes renders to its own text, and rendering all three ways ends
//!   within one step's time budget (`MAX_STEP_TIME`, plus `SLACK` for sanitizers);
//! - a rendered URL has the structure its author wrote: with every hole (all in the
//!   path) replaced by `x`, the URL parses to the same number of path segments and the same query
//!   and fragment presence (filled-in values cannot add a `/`, `?` or `#`, nor make a `..`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::time::Instant;
use steps::expr::{limits, within_budget};
use steps::template::Template;
use switchboard_fuzz::{install_stopwatch, sample_vars, SLACK};

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else { return };
    install_stopwatch();
    let template = Template::parse(source);
    assert_eq!(template.source(), source);
    let chars: Vec<char> = source.chars().collect();
    let at_hole = |offset: usize| chars.get(offset..offset + 2) == Some(&['{', '{'][..]);
    if let Some(e) = template.error() {
        assert!(at_hole(e.offset), "error offset {} is not at a `{{{{`: {source:?}", e.offset);
    }
    for (path, offset) in template.paths_at(steps::vars::ROOTS) {
        assert!(at_hole(offset), "path {path} at {offset} is not at a `{{{{`: {source:?}");
    }
    for (name, offset) in template.secret_holes() {
        assert!(at_hole(offset), "secret {name} at {offset} is not at a `{{{{`: {source:?}");
    }
    let vars = sample_vars();
    let started = Instant::now();
    let (text, _value, url) = within_budget(limits::MAX_STEP_TIME, || {
        (template.render(vars), template.render_value(vars), template.render_url(vars))
    });
    let took = started.elapsed();
    assert!(took <= limits::MAX_STEP_TIME + SLACK, "rendering {source:?} took {took:?}");
    if template.error().is_none() && template.is_static() {
        assert_eq!(text.as_deref().ok(), Some(source), "a template without holes");
    }
    if let (Ok(rendered), Some(skeleton)) = (url, skeleton(source)) {
        // A hole inside the scheme can turn a special scheme (where `\\` is a `/`) into
        // another: only URLs of one scheme are compared.
        let parsed = (url::Url::parse(&skeleton), url::Url::parse(&rendered));
        if let (Ok(written), Ok(filled)) = parsed {
            if written.scheme() != filled.scheme() {
                return;
            }
            let segments = |u: &url::Url| u.path_segments().map(Iterator::count);
            assert_eq!(
                (segments(&written), written.query().is_some(), written.fragment().is_some()),
                (segments(&filled), filled.query().is_some(), filled.fragment().is_some()),
                "{source:?} rendered as {rendered:?} has another structure than {skeleton:?}"
            );
        }
    }
});

/// The template with each hole replaced by `x` (holes found the way a reader of the
/// documentation would: `{{` up to the next `}}`), when every hole is in the URL's path or
/// after it (the scheme, host and the path's first `/` are written out before the first
/// hole). Holes in the host or scheme are the author's business: encoding protects the path.
/// A URL parser skips every `/` and `\` after `https:` before the host, so
/// `https://\{{v}}\b` has its hole in the host, not the path (the one-hour run's finding).
fn skeleton(source: &str) -> Option<String> {
    let written = &source[..source.find("{{")?];
    let authority = written.find("://")? + 3;
    let host = written[authority..].trim_start_matches(['/', '\\']);
    host.find(['/', '\\'])?;
    let mut out = String::new();
    let mut rest = source;
    while let Some(open) = rest.find("{{") {
        let close = rest[open + 2..].find("}}")?;
        out.push_str(&rest[..open]);
        out.push('x');
        rest = &rest[open + 2 + close + 2..];
    }
    out.push_str(rest);
    Some(out)
}
