//! How the compiler's passes report: "did you mean" hints, and where in the text each
//! problem points (a key or a value, a character inside a one-line scalar).

use crate::diagnostic::{source_lines, Code, Diagnostic, Pos};
use crate::source::SourceMap;

/// Gives every diagnostic without a position one from the source map: the key for problems
/// with a key or with a whole step, the value otherwise, and the character at `offset` inside
/// a one-line scalar.
pub(super) fn place(diagnostics: &mut [Diagnostic], map: &SourceMap, text: &str) {
    for d in diagnostics {
        if d.pos.is_none() {
            let is_step_itself = d.path.starts_with("/steps/") && d.path.matches('/').count() == 2;
            d.pos = match d.code {
                Code::UnknownField | Code::UnknownPort => map.key_pos(&d.path),
                Code::InvalidId
                | Code::UnconnectedPort
                | Code::Unreachable
                | Code::UnboundedCycle
                | Code::OutsideWhatsappWindow
                    if is_step_itself =>
                {
                    map.key_pos(&d.path)
                }
                _ => map.value_pos(&d.path),
            };
            if let (Some(pos), Some(offset)) = (d.pos, d.offset) {
                d.pos = Some(within_scalar(text, pos, offset));
            }
        }
    }
}

/// The position of the `offset`-th character of the scalar that starts at `pos`, when the
/// scalar sits on one line (plain or quoted); otherwise the scalar's start.
fn within_scalar(text: &str, pos: Pos, offset: usize) -> Pos {
    let Some(line) = source_lines(text).nth(pos.line.saturating_sub(1)) else { return pos };
    let rest: Vec<char> = line.chars().skip(pos.col.saturating_sub(1)).collect();
    if matches!(rest.first(), Some('|' | '>')) {
        return pos;
    }
    let skip = usize::from(matches!(rest.first(), Some('\'' | '"')));
    if skip + offset < rest.len() {
        Pos { line: pos.line, col: pos.col + skip + offset }
    } else {
        pos
    }
}

/// The closest of `candidates` to `word`, for "did you mean" hints.
fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// `d` with a hint: the candidate closest to `word`, or the list of candidates.
pub(super) fn with_suggestion(d: Diagnostic, word: &str, candidates: &[&str]) -> Diagnostic {
    match suggest(word, candidates.iter().copied()) {
        Some(s) => d.with_help(format!("did you mean `{s}`?")),
        None => d.with_help(format!("expected one of: {}", candidates.join(", "))),
    }
}
