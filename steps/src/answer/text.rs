//! Free text: trimmed, with optional bounds on its length in characters.

use super::{non_empty_answer, Invalid};
use crate::message::InboundMessage;

/// The trimmed text, with its length counted in characters (not bytes) against the bounds.
pub fn parse_text(msg: &InboundMessage, min_len: Option<usize>, max_len: Option<usize>) -> Result<String, Invalid> {
    let text = non_empty_answer(msg)?;
    let len = text.chars().count();
    if let Some(min) = min_len {
        if len < min {
            return Err(Invalid::TooShort { min });
        }
    }
    if let Some(max) = max_len {
        if len > max {
            return Err(Invalid::TooLong { max });
        }
    }
    Ok(text.to_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn text_cases() {
        let check = |input: &str, min, max, expected: Result<&str, Invalid>| {
            assert_eq!(parse_text(&text(input), min, max), expected.map(str::to_owned), "{input:?}");
        };
        check("  hello  ", None, None, Ok("hello"));
        check("   ", None, None, Err(Invalid::Empty));
        check("", None, None, Err(Invalid::Empty));
        check("ab", Some(3), None, Err(Invalid::TooShort { min: 3 }));
        check("abc", Some(3), Some(3), Ok("abc"));
        check("abcd", None, Some(3), Err(Invalid::TooLong { max: 3 }));
        // Characters, not bytes: "ñññ" is three characters and six bytes.
        check("ñññ", None, Some(3), Ok("ñññ"));
        check("日本語です", Some(5), Some(5), Ok("日本語です"));
        assert_eq!(parse_text(&payload_only("from button"), None, None), Ok("from button".to_owned()));
    }
}
