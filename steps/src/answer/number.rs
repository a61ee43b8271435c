//! Numbers: decimal point or comma, thousands separators, bounds and whole numbers.

use super::{non_empty_answer, Invalid};
use crate::message::InboundMessage;

/// True for "1,000" and "12,345,678": a non-zero-led group of one to three digits, then
/// groups of exactly three, which is how thousands separators are written.
fn is_thousands(int_part: &str) -> bool {
    let mut groups = int_part.split(',');
    let first = groups.next().unwrap_or("");
    let first_ok =
        (1..=3).contains(&first.len()) && first.bytes().all(|b| b.is_ascii_digit()) && !first.starts_with('0');
    let mut rest = groups.peekable();
    first_ok && rest.peek().is_some() && rest.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
}

/// A written decimal number, split into its sign and canonical digits: `(negative, integer
/// part, fractional part)`. Only digits, one decimal separator and thousands commas are
/// allowed, so "NaN", "inf" and "1e5" are refused before `f64` parsing could accept them.
pub(super) fn decimal_parts(text: &str) -> Option<(bool, String, String)> {
    let (negative, body) = if let Some(rest) = text.strip_prefix(['-', '\u{2212}']) {
        (true, rest)
    } else {
        (false, text.strip_prefix('+').unwrap_or(text))
    };

    let canonical: String = if body.contains(',') {
        let (int_part, frac_part) = match body.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (body, None),
        };
        if is_thousands(int_part) {
            let int_digits: String = int_part.chars().filter(|c| *c != ',').collect();
            match frac_part {
                Some(f) => format!("{int_digits}.{f}"),
                None => int_digits,
            }
        } else if body.matches(',').count() == 1 && !body.contains('.') {
            body.replace(',', ".")
        } else {
            return None;
        }
    } else {
        body.to_owned()
    };

    let (int_part, frac_part) = canonical.split_once('.').unwrap_or((canonical.as_str(), ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int_part.is_empty() && frac_part.is_empty()) || !all_digits(int_part) || !all_digits(frac_part) {
        return None;
    }
    Some((negative, int_part.to_owned(), frac_part.to_owned()))
}

/// Formats a bound for a message: whole numbers without ".0", and never "-0".
fn format_bound(bound: f64) -> String {
    if bound == 0.0 {
        "0".to_owned()
    } else {
        bound.to_string()
    }
}

/// A number as JSON: an integer when the value is whole (so "5" and "5.0" give `5`),
/// otherwise a float. Accepts "3,5" as 3.5 and "1,000" as 1000 (see `is_thousands`).
///
/// Bounds are inclusive. With `integer`, a fractional value is refused before the bounds are
/// checked. A leading "0" group ("0,500") is read as a decimal comma, not thousands.
pub fn parse_number(
    msg: &InboundMessage,
    min: Option<f64>,
    max: Option<f64>,
    integer: bool,
) -> Result<serde_json::Number, Invalid> {
    let text = non_empty_answer(msg)?;
    let (negative, int_part, frac_part) = decimal_parts(text).ok_or(Invalid::NotANumber)?;
    let sign = if negative { "-" } else { "" };
    let int_part = if int_part.is_empty() { "0" } else { int_part.as_str() };
    let value: f64 = format!("{sign}{int_part}.{frac_part}0").parse().map_err(|_| Invalid::NotANumber)?;
    if !value.is_finite() {
        return Err(Invalid::NotANumber);
    }

    let whole = frac_part.bytes().all(|b| b == b'0');
    if integer && !whole {
        return Err(Invalid::NotAnInteger);
    }
    if let Some(min) = min {
        if value < min {
            return Err(Invalid::BelowMin(format_bound(min)));
        }
    }
    if let Some(max) = max {
        if value > max {
            return Err(Invalid::AboveMax(format_bound(max)));
        }
    }

    if whole {
        // Parsing the digits keeps large integers exact where the f64 would round them.
        if let Ok(i) = format!("{sign}{int_part}").parse::<i64>() {
            return Ok(serde_json::Number::from(i));
        }
        if let Ok(u) = int_part.parse::<u64>() {
            if !negative {
                return Ok(serde_json::Number::from(u));
            }
        }
    }
    serde_json::Number::from_f64(value).ok_or(Invalid::NotANumber)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn number_cases() {
        let check = |input: &str, min, max, integer, expected: Result<&str, Invalid>| {
            let got = parse_number(&text(input), min, max, integer).map(|n| n.to_string());
            assert_eq!(got, expected.map(str::to_owned), "{input:?}");
        };
        check("42", None, None, false, Ok("42"));
        check(" 3.5 ", None, None, false, Ok("3.5"));
        check("3,5", None, None, false, Ok("3.5"));
        check("-2", None, None, false, Ok("-2"));
        check("+7", None, None, false, Ok("7"));
        check("5.0", None, None, false, Ok("5"));
        check("5.", None, None, false, Ok("5"));
        check(".5", None, None, false, Ok("0.5"));
        check("-0", None, None, false, Ok("0"));
        // Thousands separators.
        check("1,000", None, None, false, Ok("1000"));
        check("12,345,678", None, None, false, Ok("12345678"));
        check("1,234.5", None, None, false, Ok("1234.5"));
        check("1,0000", None, None, false, Ok("1"));
        check("0,500", None, None, false, Ok("0.5"));
        check("1,00,000", None, None, false, Err(Invalid::NotANumber));
        check("1,2,3", None, None, false, Err(Invalid::NotANumber));
        check("1,5.5", None, None, false, Err(Invalid::NotANumber));
        check("9007199254740993", None, None, false, Ok("9007199254740993"));
        // Not numbers.
        check("abc", None, None, false, Err(Invalid::NotANumber));
        check("NaN", None, None, false, Err(Invalid::NotANumber));
        check("inf", None, None, false, Err(Invalid::NotANumber));
        check("1e5", None, None, false, Err(Invalid::NotANumber));
        check("12 kg", None, None, false, Err(Invalid::NotANumber));
        check("-", None, None, false, Err(Invalid::NotANumber));
        check(".", None, None, false, Err(Invalid::NotANumber));
        check("1.2.3", None, None, false, Err(Invalid::NotANumber));
        check("", None, None, false, Err(Invalid::Empty));
        // Integers.
        check("3.5", None, None, true, Err(Invalid::NotAnInteger));
        check("3.0", None, None, true, Ok("3"));
        check("1,000", None, None, true, Ok("1000"));
        // Bounds, inclusive, formatted without ".0".
        check("0", Some(1.0), Some(10.0), false, Err(Invalid::BelowMin("1".to_owned())));
        check("11", Some(1.0), Some(10.0), false, Err(Invalid::AboveMax("10".to_owned())));
        check("1", Some(1.0), Some(10.0), false, Ok("1"));
        check("10", Some(1.0), Some(10.0), false, Ok("10"));
        check("0.4", Some(0.5), None, false, Err(Invalid::BelowMin("0.5".to_owned())));
        check("-5", Some(-2.5), None, false, Err(Invalid::BelowMin("-2.5".to_owned())));
        check("3.5", Some(5.0), None, true, Err(Invalid::NotAnInteger));
    }
}
