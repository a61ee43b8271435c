//! Phone numbers: international (`+` or `00`) or local, separators removed.

use super::{non_empty_answer, Invalid};
use crate::message::InboundMessage;

/// A phone number with spaces, dashes, dots and parentheses removed: `+` and 8 to 15 digits
/// when written internationally (`+` or `00`), otherwise 6 to 15 digits as a local number.
///
/// In international numbers the "(0)" trunk-prefix convention ("+44 (0)20 ...") is dropped,
/// and a country code cannot start with 0.
pub fn parse_phone(msg: &InboundMessage) -> Result<String, Invalid> {
    let text = non_empty_answer(msg)?;
    let text = if text.contains('+') || text.starts_with("00") { text.replace("(0)", "") } else { text.to_owned() };

    let mut digits = String::new();
    let mut plus = false;
    for c in text.chars() {
        match c {
            '0'..='9' => digits.push(c),
            // A plus sign only makes sense once, before the first digit.
            '+' if !plus && digits.is_empty() => plus = true,
            '-' | '.' | '(' | ')' | '\u{2010}' | '\u{2011}' | '\u{2013}' => {}
            c if c.is_whitespace() => {}
            _ => return Err(Invalid::NotAPhone),
        }
    }

    let international = if plus { Some(digits.as_str()) } else { digits.strip_prefix("00") };
    match international {
        Some(rest) if (8..=15).contains(&rest.len()) && !rest.starts_with('0') => Ok(format!("+{rest}")),
        Some(_) => Err(Invalid::NotAPhone),
        None if (6..=15).contains(&digits.len()) => Ok(digits),
        None => Err(Invalid::NotAPhone),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn phone_cases() {
        let check = |input: &str, expected: Result<&str, Invalid>| {
            assert_eq!(parse_phone(&text(input)), expected.map(str::to_owned), "{input:?}");
        };
        check("+1 (555) 123-4567", Ok("+15551234567"));
        check("0044 20 7946 0958", Ok("+442079460958"));
        check("+44 (0)20 7946 0958", Ok("+442079460958"));
        check("+49.30.1234.5678", Ok("+493012345678"));
        check("+12345678", Ok("+12345678"));
        check("+1234567", Err(Invalid::NotAPhone));
        check("+1234567890123456", Err(Invalid::NotAPhone));
        check("+0123456789", Err(Invalid::NotAPhone));
        check("020 7946 0958", Ok("02079460958"));
        check("(555) 123-4567", Ok("5551234567"));
        check("123456", Ok("123456"));
        check("12345", Err(Invalid::NotAPhone));
        check("1234567890123456", Err(Invalid::NotAPhone));
        check("call me 555 1234", Err(Invalid::NotAPhone));
        check("555-CALL-NOW", Err(Invalid::NotAPhone));
        check("+1 555 123 4567 ext 2", Err(Invalid::NotAPhone));
        check("12+34567890", Err(Invalid::NotAPhone));
        check("", Err(Invalid::Empty));
    }
}
