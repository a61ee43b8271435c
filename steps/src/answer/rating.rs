//! Ratings (CSAT): a button payload, digits, "4/5", "4 out of 5", stars, or a number word.

use super::date::digits_of_len;
use super::{fold, non_empty_answer, Invalid};
use crate::message::InboundMessage;

/// A small whole number written as digits or as an English word from "one" to "ten".
fn small_number(text: &str) -> Option<u32> {
    const WORDS: [&str; 10] = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];
    if let Some(n) = digits_of_len(text, &[1, 2, 3]) {
        return Some(n);
    }
    WORDS.iter().position(|w| *w == text).and_then(|i| u32::try_from(i + 1).ok())
}

/// The trailing digits of a button payload ("4", "rating:4"), if it has any.
fn payload_digits(payload: &str) -> Option<&str> {
    let payload = payload.trim();
    let digits = &payload[payload.trim_end_matches(|c: char| c.is_ascii_digit()).len()..];
    (!digits.is_empty()).then_some(digits)
}

/// The rating in typed text: "4", "4/5", "4 / 5", "4 out of 5", "★★★★☆", "⭐⭐⭐",
/// "4 stars", "four". A denominator must equal `max`.
fn text_rating(text: &str, max: u8) -> Option<u32> {
    let folded = fold(text);
    let is_filled = |c: char| c == '★' || c == '⭐';
    if folded.chars().any(|c| is_filled(c) || c == '☆') {
        let only_stars = folded.chars().all(|c| is_filled(c) || c == '☆' || c.is_whitespace());
        let filled = folded.chars().filter(|c| is_filled(*c)).count();
        return if only_stars { u32::try_from(filled).ok() } else { None };
    }

    let bare = ["stars", "star"].iter().find_map(|s| folded.strip_suffix(s)).unwrap_or(&folded).trim();
    let fraction = bare.split_once('/').or_else(|| bare.split_once(" out of "));
    match fraction {
        Some((n, d)) => {
            if small_number(d.trim())? != u32::from(max) {
                return None;
            }
            small_number(n.trim())
        }
        None => small_number(bare),
    }
}

/// A rating from 1 to `max`. A button payload with trailing digits ("4", "rating:4") takes
/// precedence over the text; otherwise the text may be "4", "4/5" or "4 / 5" (the
/// denominator must equal `max`), "4 out of 5", filled stars ("★★★★☆" is 4, "⭐⭐⭐" is 3),
/// "4 stars", or an English word from "one" to "ten".
pub fn parse_rating(msg: &InboundMessage, max: u8) -> Result<u8, Invalid> {
    let refused = Invalid::NotARating { max };
    let value = match msg.payload.as_deref().and_then(payload_digits) {
        Some(digits) => digits.parse::<u32>().map_err(|_| refused.clone())?,
        None => {
            let text = non_empty_answer(msg)?;
            text_rating(text, max).ok_or_else(|| refused.clone())?
        }
    };
    match u8::try_from(value) {
        Ok(v) if (1..=max).contains(&v) => Ok(v),
        _ => Err(refused),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn rating_cases() {
        let check = |msg: InboundMessage, max: u8, expected: Result<u8, Invalid>| {
            assert_eq!(parse_rating(&msg, max), expected, "{msg:?}");
        };
        let bad5 = Err(Invalid::NotARating { max: 5 });

        check(payload_only("4"), 5, Ok(4));
        check(payload_only("rating:5"), 5, Ok(5));
        // The payload wins over the text.
        check(InboundMessage::button("rating:2", "5 stars"), 5, Ok(2));
        check(payload_only("rating:6"), 5, bad5.clone());
        // A payload without digits leaves the text to decide.
        check(InboundMessage::button("great", "5"), 5, Ok(5));
        check(text("5"), 5, Ok(5));
        check(text(" 1 "), 5, Ok(1));
        check(text("5/5"), 5, Ok(5));
        check(text("4 / 5"), 5, Ok(4));
        check(text("4 out of 5"), 5, Ok(4));
        check(text("8/10"), 10, Ok(8));
        check(text("4/10"), 5, bad5.clone());
        check(text("★★★★☆"), 5, Ok(4));
        check(text("★★★★★"), 5, Ok(5));
        check(text("⭐⭐⭐"), 5, Ok(3));
        check(text("⭐\u{fe0f}⭐\u{fe0f}"), 5, Ok(2));
        check(text("★ ★ ★"), 5, Ok(3));
        check(text("☆☆☆☆☆"), 5, bad5.clone());
        check(text("★★★★★★"), 5, bad5.clone());
        check(text("★★ good"), 5, bad5.clone());
        check(text("5 stars"), 5, Ok(5));
        check(text("1 star"), 5, Ok(1));
        check(text("3stars"), 5, Ok(3));
        check(text("Five!"), 5, Ok(5));
        check(text("one"), 5, Ok(1));
        check(text("four stars"), 5, Ok(4));
        check(text("ten"), 10, Ok(10));
        check(text("ten"), 5, bad5.clone());
        check(text("0"), 5, bad5.clone());
        check(text("6"), 5, bad5.clone());
        check(text("4.5"), 5, bad5.clone());
        check(text("great"), 5, bad5.clone());
        check(text("999999999999"), 5, bad5);
        check(text(""), 5, Err(Invalid::Empty));
    }
}
