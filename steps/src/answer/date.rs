//! Dates: ISO, numeric day-first or month-first, English month names, and today /
//! tomorrow / yesterday relative to a date the caller passes in.

use super::{fold, non_empty_answer, Invalid};
use crate::message::InboundMessage;
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How to read a numeric date whose first two parts could be day or month.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DateOrder {
    /// 21/11/2026 is the 21st of November (most of the world).
    #[default]
    DayFirst,
    /// 11/21/2026 is the 21st of November (United States).
    MonthFirst,
}

/// The month number for an English month name or its three-letter abbreviation.
fn month_number(word: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    if word == "sept" {
        return Some(9);
    }
    MONTHS
        .iter()
        .position(|m| *m == word || (word.len() == 3 && m.starts_with(word)))
        .and_then(|i| u32::try_from(i + 1).ok())
}

pub(super) fn digits_of_len(text: &str, lens: &[usize]) -> Option<u32> {
    if lens.contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().ok()
    } else {
        None
    }
}

/// A day of the month, with an optional English ordinal suffix ("21st").
fn day_number(text: &str) -> Option<u32> {
    let bare = ["st", "nd", "rd", "th"].iter().find_map(|s| text.strip_suffix(s)).unwrap_or(text);
    digits_of_len(bare, &[1, 2])
}

/// A four-digit year, or a two-digit one read as 20xx.
fn year_number(text: &str) -> Option<i32> {
    let year = digits_of_len(text, &[2, 4])?;
    let year = if text.len() == 2 { 2000 + year } else { year };
    i32::try_from(year).ok()
}

/// A calendar date. Accepts ISO ("2026-11-21"); numeric dates with `/`, `.` or `-` read
/// per `order` ("21/11/2026", two-digit years as 20xx); English month names or
/// abbreviations ("21 Nov 2026", "Nov 21, 2026", "21st of November 2026"); and "today",
/// "tomorrow", "yesterday" relative to `today`.
///
/// A numeric date that only makes sense the other way round (25/12/2026 with `MonthFirst`)
/// is accepted that way, since 25 cannot be a month. Impossible dates (31/02/2026) are
/// refused. Dates without a year are refused, because whether "21/11" means this year or
/// the next depends on the question.
pub fn parse_date(msg: &InboundMessage, today: NaiveDate, order: DateOrder) -> Result<NaiveDate, Invalid> {
    let text = non_empty_answer(msg)?;
    let folded = fold(text);
    match folded.as_str() {
        "today" => return Ok(today),
        "tomorrow" => return today.succ_opt().ok_or(Invalid::NotADate),
        "yesterday" => return today.pred_opt().ok_or(Invalid::NotADate),
        _ => {}
    }

    let tokens: Vec<&str> = folded
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '/' | '-' | '.'))
        .filter(|t| !t.is_empty() && *t != "of")
        .collect();
    let [a, b, c] = tokens.as_slice() else {
        return Err(Invalid::NotADate);
    };

    let (year, month, day) = if let Some(month) = month_number(b) {
        (year_number(c), Some(month), day_number(a))
    } else if let Some(month) = month_number(a) {
        (year_number(c), Some(month), day_number(b))
    } else if a.len() == 4 {
        (year_number(a), digits_of_len(b, &[1, 2]), digits_of_len(c, &[1, 2]))
    } else {
        let first = digits_of_len(a, &[1, 2]).ok_or(Invalid::NotADate)?;
        let second = digits_of_len(b, &[1, 2]).ok_or(Invalid::NotADate)?;
        let (mut day, mut month) = match order {
            DateOrder::DayFirst => (first, second),
            DateOrder::MonthFirst => (second, first),
        };
        if month > 12 && day <= 12 {
            std::mem::swap(&mut day, &mut month);
        }
        (year_number(c), Some(month), Some(day))
    };

    match (year, month, day) {
        (Some(y), Some(m), Some(d)) => NaiveDate::from_ymd_opt(y, m, d).ok_or(Invalid::NotADate),
        _ => Err(Invalid::NotADate),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn date_cases() {
        let today = date(2026, 3, 15);
        let check = |input: &str, order: DateOrder, expected: Result<NaiveDate, Invalid>| {
            assert_eq!(parse_date(&text(input), today, order), expected, "{input:?} {order:?}");
        };
        use DateOrder::{DayFirst, MonthFirst};
        let nov21 = date(2026, 11, 21);

        check("2026-11-21", DayFirst, Ok(nov21));
        check("2026-11-21", MonthFirst, Ok(nov21));
        check("2026/11/21", DayFirst, Ok(nov21));
        check("21/11/2026", DayFirst, Ok(nov21));
        check("21.11.2026", DayFirst, Ok(nov21));
        check("21-11-2026", DayFirst, Ok(nov21));
        check("21/11/26", DayFirst, Ok(nov21));
        check("11/21/2026", MonthFirst, Ok(nov21));
        check("11-21-26", MonthFirst, Ok(nov21));
        // Day-first vs month-first on the same ambiguous text.
        check("03/04/2026", DayFirst, Ok(date(2026, 4, 3)));
        check("03/04/2026", MonthFirst, Ok(date(2026, 3, 4)));
        check("3/4/26", MonthFirst, Ok(date(2026, 3, 4)));
        // Unambiguous numbers are accepted either way.
        check("25/12/2026", MonthFirst, Ok(date(2026, 12, 25)));
        check("12/25/2026", DayFirst, Ok(date(2026, 12, 25)));
        // Month names.
        check("21 Nov 2026", DayFirst, Ok(nov21));
        check("Nov 21, 2026", DayFirst, Ok(nov21));
        check("21 November 2026", MonthFirst, Ok(nov21));
        check("november 21 2026", DayFirst, Ok(nov21));
        check("21st of November, 2026", DayFirst, Ok(nov21));
        check("NOV. 21, 2026", DayFirst, Ok(nov21));
        check("21-nov-26", DayFirst, Ok(nov21));
        check("1 Sept 2026", DayFirst, Ok(date(2026, 9, 1)));
        check("2 may 2026", DayFirst, Ok(date(2026, 5, 2)));
        // Relative words; DST transitions are irrelevant because dates are naive.
        check("today", DayFirst, Ok(today));
        check("Tomorrow!", DayFirst, Ok(date(2026, 3, 16)));
        check("yesterday", DayFirst, Ok(date(2026, 3, 14)));
        assert_eq!(parse_date(&text("tomorrow"), date(2026, 3, 29), DayFirst), Ok(date(2026, 3, 30)));
        assert_eq!(parse_date(&text("tomorrow"), date(2026, 10, 25), DayFirst), Ok(date(2026, 10, 26)));
        assert_eq!(parse_date(&text("tomorrow"), date(2026, 12, 31), DayFirst), Ok(date(2027, 1, 1)));
        assert_eq!(parse_date(&text("yesterday"), date(2028, 3, 1), DayFirst), Ok(date(2028, 2, 29)));
        // Impossible or unreadable dates.
        check("31/02/2026", DayFirst, Err(Invalid::NotADate));
        check("02/31/2026", MonthFirst, Err(Invalid::NotADate));
        check("29/02/2026", DayFirst, Err(Invalid::NotADate));
        check("29/02/2028", DayFirst, Ok(date(2028, 2, 29)));
        check("13/13/2026", DayFirst, Err(Invalid::NotADate));
        check("2026-13-01", DayFirst, Err(Invalid::NotADate));
        check("32 Nov 2026", DayFirst, Err(Invalid::NotADate));
        check("21 Novemb 2026", DayFirst, Err(Invalid::NotADate));
        check("21/11", DayFirst, Err(Invalid::NotADate));
        check("21/11/226", DayFirst, Err(Invalid::NotADate));
        check("next friday", DayFirst, Err(Invalid::NotADate));
        check("2026-11-21T10:00", DayFirst, Err(Invalid::NotADate));
        check("", DayFirst, Err(Invalid::Empty));
    }

    #[test]
    fn date_order_serde() {
        assert_eq!(DateOrder::default(), DateOrder::DayFirst);
        assert_eq!(serde_json::to_string(&DateOrder::MonthFirst).unwrap(), "\"month_first\"");
        let parsed: DateOrder = serde_json::from_str("\"day_first\"").unwrap();
        assert_eq!(parsed, DateOrder::DayFirst);
    }
}
