//! Answer recognition: decides whether a contact's reply answers a question (a choice, an
//! email, a phone number, a URL, a number, a date, a rating or a location) and normalizes it.
//!
//! Everything here is pure: no I/O and no clock reads. The current date is passed in by the
//! caller so that relative answers such as "tomorrow" are deterministic and testable.

use std::fmt;

use chrono::NaiveDate;
use email_address::{EmailAddress, Options};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;
use url::{Host, Url};

use crate::message::{InboundMessage, Location};

/// Why an answer was refused; shown to ops in the journal, not to the contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    /// The message carried no usable text (blank, or only an attachment).
    Empty,
    /// The reply matched none of the options of a multiple-choice question.
    NotAnOption,
    /// The reply is not a syntactically valid email address with a dotted domain.
    NotAnEmail,
    /// The reply is not a plausible international or local phone number.
    NotAPhone,
    /// The reply is not an http or https URL with a dotted host.
    NotAUrl,
    /// The reply is not a plain decimal number.
    NotANumber,
    /// The number is below the question's minimum, which is carried as display text.
    BelowMin(String),
    /// The number is above the question's maximum, which is carried as display text.
    AboveMax(String),
    /// The question wants a whole number and the reply has a fractional part.
    NotAnInteger,
    /// The reply is not a recognizable, existing calendar date.
    NotADate,
    /// The reply is not a rating between 1 and `max`.
    NotARating {
        /// The highest rating the question accepts.
        max: u8,
    },
    /// The reply is neither a shared location nor a "lat, lon" pair in range.
    NotALocation,
    /// The text has fewer than `min` characters.
    TooShort {
        /// The minimum number of characters.
        min: usize,
    },
    /// The text has more than `max` characters.
    TooLong {
        /// The maximum number of characters.
        max: usize,
    },
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Invalid::Empty => f.write_str("the answer is empty"),
            Invalid::NotAnOption => f.write_str("not one of the options"),
            Invalid::NotAnEmail => f.write_str("not a valid email address"),
            Invalid::NotAPhone => f.write_str("not a valid phone number"),
            Invalid::NotAUrl => f.write_str("not a valid web address"),
            Invalid::NotANumber => f.write_str("not a number"),
            Invalid::BelowMin(min) => write!(f, "below the minimum of {min}"),
            Invalid::AboveMax(max) => write!(f, "above the maximum of {max}"),
            Invalid::NotAnInteger => f.write_str("not a whole number"),
            Invalid::NotADate => f.write_str("not a valid date"),
            Invalid::NotARating { max } => write!(f, "not a rating from 1 to {max}"),
            Invalid::NotALocation => f.write_str("not a valid location"),
            Invalid::TooShort { min } => write!(f, "shorter than {min} characters"),
            Invalid::TooLong { max } => write!(f, "longer than {max} characters"),
        }
    }
}

impl std::error::Error for Invalid {}

/// One option of a multiple-choice question as the matcher needs it.
#[derive(Debug, Clone, Copy)]
pub struct ChoiceOption<'a> {
    /// The option's id, which is also the payload of its button.
    pub id: &'a str,
    /// The text shown to the contact.
    pub label: &'a str,
    /// Extra words that also select this option when typed on their own.
    pub keywords: &'a [String],
}

/// The text to interpret: what the contact typed, or the button payload when the channel
/// sent no text (some channels deliver a quick reply as a bare payload).
fn answer_text(msg: &InboundMessage) -> &str {
    let text = msg.text.as_deref().map(str::trim).unwrap_or("");
    if !text.is_empty() {
        return text;
    }
    msg.payload.as_deref().map(str::trim).unwrap_or("")
}

/// Non-ASCII punctuation that `fold` trims from the end along with ASCII punctuation, so
/// "¡Sí!" and "はい。" fold like "¡si" and "はい".
const TRAILING_PUNCTUATION: &[char] =
    &['¡', '¿', '…', '‘', '’', '“', '”', '«', '»', '·', '–', '—', '。', '、', '，', '．', '！', '？', '：', '；'];

fn is_trailing_punctuation(c: char) -> bool {
    c.is_ascii_punctuation() || TRAILING_PUNCTUATION.contains(&c)
}

/// Folds text for comparison: NFD, strip combining marks, lowercase, collapse whitespace,
/// trim trailing punctuation. Public because the engine's keyword triggers reuse it.
///
/// The result is recomposed to NFC so that scripts whose letters decompose into
/// non-mark parts (Hangul) stay readable; equality between folded strings is unaffected.
pub fn fold(text: &str) -> String {
    // Lowercasing first matters: 'İ' lowercases to 'i' plus a combining dot, which the mark
    // stripping below then removes.
    let lowered = text.to_lowercase();
    let stripped: String = lowered.nfd().filter(|c| !is_combining_mark(*c)).collect();
    let collapsed = stripped.split_whitespace().collect::<Vec<_>>().join(" ");
    let trimmed = collapsed.trim_end_matches(|c: char| is_trailing_punctuation(c) || c.is_whitespace());
    trimmed.nfc().collect()
}

/// Splits folded text into words, so "billing, please" and "billing please" look alike.
fn words(folded: &str) -> Vec<&str> {
    folded.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect()
}

/// How many options a matching rule selected.
enum Hits {
    None,
    One(usize),
    Several,
}

fn hits(mut indices: impl Iterator<Item = usize>) -> Hits {
    match (indices.next(), indices.next()) {
        (None, _) => Hits::None,
        (Some(i), None) => Hits::One(i),
        (Some(_), Some(_)) => Hits::Several,
    }
}

/// Reads "2", "2.", "2)", "#2" as the 0-based index of a listed option.
fn option_number(text: &str, count: usize) -> Option<usize> {
    let t = text.trim();
    let t = t.strip_prefix('#').unwrap_or(t);
    let t = t.strip_suffix(['.', ')']).unwrap_or(t);
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: usize = t.parse().ok()?;
    (1..=count).contains(&n).then(|| n - 1)
}

/// Index of the option the contact picked, matching in this order:
///
/// 1. the button payload equals an option id (exact);
/// 2. the text equals the option id (case-insensitive);
/// 3. the text is the option's 1-based number ("2", "2.", "2)", "#2", " 2 ");
/// 4. the text equals the label ignoring case, accents ("Facturación" == "facturacion"),
///    surrounding whitespace and trailing punctuation (see [`fold`]);
/// 5. the text equals one of the option's keywords the same way;
/// 6. the folded text contains exactly one option's folded label as a whole word sequence
///    ("I want billing please" picks Billing); several labels make it ambiguous: `None`.
///
/// When the channel sends a payload but no text, the payload is also tried as text, so a
/// bare quick-reply title still matches. When the exact label or keyword rules select more
/// than one option, the answer is ambiguous and no later rule is tried. In the last rule, a
/// label found only inside a longer label's occurrence ("card" inside "credit card") does not
/// count as a separate mention.
pub fn match_choice(options: &[ChoiceOption<'_>], msg: &InboundMessage) -> Option<usize> {
    if let Some(payload) = msg.payload.as_deref() {
        if let Some(i) = options.iter().position(|o| o.id == payload) {
            return Some(i);
        }
    }

    let text = answer_text(msg);
    if text.is_empty() {
        return None;
    }

    let lowered = text.to_lowercase();
    if let Some(i) = options.iter().position(|o| o.id.to_lowercase() == lowered) {
        return Some(i);
    }

    let folded = fold(text);
    if folded.is_empty() {
        return None;
    }

    // A label that is exactly the text wins over option numbers, so that with options
    // labelled "5", "10" and "20" typing "10" picks "10", not the tenth option.
    let by_label = options.iter().enumerate().filter(|(_, o)| fold(o.label) == folded);
    match hits(by_label.map(|(i, _)| i)) {
        Hits::One(i) => return Some(i),
        Hits::Several => return None,
        Hits::None => {}
    }

    if let Some(i) = option_number(text, options.len()) {
        return Some(i);
    }

    let by_keyword = options.iter().enumerate().filter(|(_, o)| {
        o.keywords.iter().any(|k| {
            let k = fold(k);
            !k.is_empty() && k == folded
        })
    });
    match hits(by_keyword.map(|(i, _)| i)) {
        Hits::One(i) => return Some(i),
        Hits::Several => return None,
        Hits::None => {}
    }

    label_mentioned(options, &folded)
}

/// The last matching rule: exactly one option's label appears in the text as whole words.
fn label_mentioned(options: &[ChoiceOption<'_>], folded: &str) -> Option<usize> {
    let text_words = words(folded);
    // Every occurrence as (option index, first word, one past the last word).
    let mut spans: Vec<(usize, usize, usize)> = Vec::new();
    for (i, option) in options.iter().enumerate() {
        let label = fold(option.label);
        let label_words = words(&label);
        if label_words.is_empty() || label_words.len() > text_words.len() {
            continue;
        }
        for (start, window) in text_words.windows(label_words.len()).enumerate() {
            if window == label_words.as_slice() {
                spans.push((i, start, start + label_words.len()));
            }
        }
    }

    let inside_longer = |&(i, s, e): &(usize, usize, usize)| {
        spans.iter().any(|&(j, s2, e2)| j != i && s2 <= s && e <= e2 && e2 - s2 > e - s)
    };
    let mut mentioned: Vec<usize> = spans.iter().filter(|span| !inside_longer(span)).map(|&(i, _, _)| i).collect();
    mentioned.dedup();
    match mentioned.as_slice() {
        [only] => Some(*only),
        _ => None,
    }
}

/// The trimmed text, with its length counted in characters (not bytes) against the bounds.
pub fn parse_text(msg: &InboundMessage, min_len: Option<usize>, max_len: Option<usize>) -> Result<String, Invalid> {
    let text = answer_text(msg);
    if text.is_empty() {
        return Err(Invalid::Empty);
    }
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

/// A trimmed email address with its domain lowercased; the local part keeps its case
/// because mail servers may treat it as significant. The domain must contain a dot.
pub fn parse_email(msg: &InboundMessage) -> Result<String, Invalid> {
    let text = answer_text(msg);
    if text.is_empty() {
        return Err(Invalid::Empty);
    }
    // Display names ("Ann <ann@x.org>") and IP literals are not what a contact types as
    // their address, so both are refused rather than half-accepted.
    let options = Options::default().with_required_tld().without_domain_literal().without_display_text();
    EmailAddress::parse_with_options(text, options).map_err(|_| Invalid::NotAnEmail)?;
    let (local, domain) = text.rsplit_once('@').ok_or(Invalid::NotAnEmail)?;
    if !domain.contains('.') || domain.split('.').any(str::is_empty) {
        return Err(Invalid::NotAnEmail);
    }
    Ok(format!("{local}@{}", domain.to_lowercase()))
}

/// A phone number with spaces, dashes, dots and parentheses removed: `+` and 8 to 15 digits
/// when written internationally (`+` or `00`), otherwise 6 to 15 digits as a local number.
///
/// In international numbers the "(0)" trunk-prefix convention ("+44 (0)20 ...") is dropped,
/// and a country code cannot start with 0.
pub fn parse_phone(msg: &InboundMessage) -> Result<String, Invalid> {
    let text = answer_text(msg);
    if text.is_empty() {
        return Err(Invalid::Empty);
    }
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

/// True when the host has at least two non-empty dot-separated labels ("example.com").
fn dotted(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    host.contains('.') && host.split('.').all(|label| !label.is_empty())
}

/// True when the text starts with its own scheme ("https://...", "mailto:...") rather than a
/// host with a port ("example.com:8080"), which gets "https://" put in front instead.
fn has_scheme(text: &str) -> bool {
    if text.contains("://") {
        return true;
    }
    match text.split_once(':') {
        Some((scheme, rest)) => {
            !scheme.is_empty()
                && scheme.chars().all(|c| c.is_ascii_alphabetic())
                && !rest.starts_with(|c: char| c.is_ascii_digit())
        }
        None => false,
    }
}

/// An http or https URL whose host contains a dot, normalized by the `url` crate (so
/// "https://Example.com" becomes "https://example.com/"). Text without a scheme
/// ("example.com/x") is read as https.
///
/// Text with whitespace inside is refused, because the `url` crate would percent-encode it
/// into a URL the contact did not type. Without a scheme, the host must be a domain name (not
/// an IP address, so "3.5" is no URL) and no user part is allowed (so an email address typed
/// by mistake is no URL).
pub fn parse_url(msg: &InboundMessage) -> Result<String, Invalid> {
    let text = answer_text(msg);
    if text.is_empty() {
        return Err(Invalid::Empty);
    }
    if text.chars().any(char::is_whitespace) {
        return Err(Invalid::NotAUrl);
    }

    let explicit = has_scheme(text);
    let url = if explicit { Url::parse(text) } else { Url::parse(&format!("https://{text}")) }
        .map_err(|_| Invalid::NotAUrl)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Invalid::NotAUrl);
    }
    let host_ok = match url.host() {
        Some(Host::Domain(domain)) => dotted(domain),
        Some(Host::Ipv4(_)) => explicit,
        Some(Host::Ipv6(_)) | None => false,
    };
    let userinfo = !url.username().is_empty() || url.password().is_some();
    if !host_ok || (!explicit && userinfo) {
        return Err(Invalid::NotAUrl);
    }
    Ok(url.to_string())
}

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
fn decimal_parts(text: &str) -> Option<(bool, String, String)> {
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
    let text = answer_text(msg);
    if text.is_empty() {
        return Err(Invalid::Empty);
    }
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

fn digits_of_len(text: &str, lens: &[usize]) -> Option<u32> {
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
    let text = answer_text(msg);
    if text.is_empty() {
        return Err(Invalid::Empty);
    }
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
            let text = answer_text(msg);
            if text.is_empty() {
                return Err(Invalid::Empty);
            }
            text_rating(text, max).ok_or_else(|| refused.clone())?
        }
    };
    match u8::try_from(value) {
        Ok(v) if (1..=max).contains(&v) => Ok(v),
        _ => Err(refused),
    }
}

/// Decimal degrees as a contact types them ("48.8566", "-2.35"), with an optional trailing
/// "°". A decimal comma is refused because the comma separates latitude from longitude.
fn degrees(text: &str) -> Option<f64> {
    let text = text.trim();
    let text = text.strip_suffix('°').unwrap_or(text);
    if text.contains(',') {
        return None;
    }
    let (negative, int_part, frac_part) = decimal_parts(text)?;
    let sign = if negative { "-" } else { "" };
    let int_part = if int_part.is_empty() { "0" } else { int_part.as_str() };
    format!("{sign}{int_part}.{frac_part}0").parse().ok()
}

fn in_range(lat: f64, lon: f64) -> bool {
    (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)
}

/// A location: the shared location when it is in range, otherwise typed "lat, lon" or
/// "lat lon" in decimal degrees (latitude -90 to 90, longitude -180 to 180).
///
/// A message with neither a location nor any text is `Empty`, like in the other parsers.
pub fn parse_location(msg: &InboundMessage) -> Result<Location, Invalid> {
    if let Some(location) = &msg.location {
        if in_range(location.lat, location.lon) {
            return Ok(location.clone());
        }
    }
    let text = answer_text(msg);
    if text.is_empty() {
        return Err(if msg.location.is_some() { Invalid::NotALocation } else { Invalid::Empty });
    }
    let parts: Vec<&str> = match text.matches(',').count() {
        0 => text.split_whitespace().collect(),
        1 => text.split(',').collect(),
        _ => return Err(Invalid::NotALocation),
    };
    let [lat, lon] = parts.as_slice() else {
        return Err(Invalid::NotALocation);
    };
    match (degrees(lat), degrees(lon)) {
        (Some(lat), Some(lon)) if in_range(lat, lon) => Ok(Location { lat, lon, name: None }),
        _ => Err(Invalid::NotALocation),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn text(s: &str) -> InboundMessage {
        InboundMessage::text(s)
    }

    fn payload_only(p: &str) -> InboundMessage {
        InboundMessage { payload: Some(p.to_owned()), ..Default::default() }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    // ---- fold ----

    #[test]
    fn a_label_that_is_a_number_wins_over_the_option_number() {
        let kw: Vec<String> = Vec::new();
        let options = [
            ChoiceOption { id: "five", label: "5", keywords: &kw },
            ChoiceOption { id: "ten", label: "10", keywords: &kw },
            ChoiceOption { id: "twenty", label: "20", keywords: &kw },
        ];
        assert_eq!(match_choice(&options, &InboundMessage::text("10")), Some(1));
        assert_eq!(match_choice(&options, &InboundMessage::text("2")), Some(1));
    }

    #[test]
    fn fold_cases() {
        let cases = [
            ("Facturación", "facturacion"),
            ("  Hello   World  ", "hello world"),
            ("Yes!!", "yes"),
            ("ok ?", "ok"),
            ("¿Qué?", "¿que"),
            ("CAFÉ", "cafe"),
            ("İstanbul", "istanbul"),
            ("Ñandú", "nandu"),
            ("はい。", "はい"),
            ("한국어", "한국어"),
            ("", ""),
            ("...", ""),
        ];
        for (input, expected) in cases {
            assert_eq!(fold(input), expected, "fold({input:?})");
        }
    }

    // ---- match_choice ----

    fn kw(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn choice_cases() {
        let billing_kw = kw(&["invoice", "payment"]);
        let sales_kw = kw(&["buy", "pricing"]);
        let support_kw = kw(&["help", "broken"]);
        let options = [
            ChoiceOption { id: "billing", label: "Facturación", keywords: &billing_kw },
            ChoiceOption { id: "sales", label: "Sales", keywords: &sales_kw },
            ChoiceOption { id: "support", label: "Technical support", keywords: &support_kw },
        ];
        let check = |msg: InboundMessage, expected: Option<usize>| {
            assert_eq!(match_choice(&options, &msg), expected, "{msg:?}");
        };

        // Payload first, exact, and it wins over the text.
        check(InboundMessage::button("sales", "Facturación"), Some(1));
        check(InboundMessage::button("support", "1"), Some(2));
        // A payload that is not an id (a stale button) falls back to the text.
        check(InboundMessage::button("old-button", "Sales"), Some(1));
        // A payload with no text is tried as text too.
        check(payload_only("SALES"), Some(1));
        // The id typed, ignoring case.
        check(text("BILLING"), Some(0));
        check(text(" support "), Some(2));
        // Option numbers.
        check(text("2"), Some(1));
        check(text("2."), Some(1));
        check(text("2)"), Some(1));
        check(text("#3"), Some(2));
        check(text(" 1 "), Some(0));
        check(text("4"), None);
        check(text("0"), None);
        // Labels: case, accents, whitespace, trailing punctuation.
        check(text("facturacion"), Some(0));
        check(text("FACTURACIÓN!"), Some(0));
        check(text("  technical   SUPPORT . "), Some(2));
        // Keywords, folded the same way.
        check(text("Invoice"), Some(0));
        check(text("pricing?"), Some(1));
        check(text("HELP!"), Some(2));
        // A label mentioned as whole words.
        check(text("I want facturacion please"), Some(0));
        check(text("I need technical support, now"), Some(2));
        check(text("¿Facturación?"), Some(0));
        // Part of a word is no mention.
        check(text("salesforce"), None);
        // Two labels mentioned: ambiguous.
        check(text("sales or facturación"), None);
        // Nothing matches.
        check(text("banana"), None);
        check(text(""), None);
        check(InboundMessage::default(), None);
        check(text("?!"), None);
    }

    #[test]
    fn choice_ambiguity_and_overlap() {
        let none: Vec<String> = Vec::new();
        let shared = kw(&["card"]);
        let options = [
            ChoiceOption { id: "a", label: "Card", keywords: &none },
            ChoiceOption { id: "b", label: "Credit card", keywords: &shared },
            ChoiceOption { id: "c", label: "Debit card", keywords: &shared },
        ];
        let check = |input: &str, expected: Option<usize>| {
            assert_eq!(match_choice(&options, &text(input)), expected, "{input:?}");
        };
        // The exact label beats the keyword shared by two options.
        check("card", Some(0));
        // "card" inside "credit card" is not a separate mention.
        check("I'd like a credit card", Some(1));
        check("pay by debit card please", Some(2));
        // A standalone "card" as well as "credit card" is ambiguous.
        check("credit card or just a card", None);
        check("credit card or debit card", None);

        let dup = [
            ChoiceOption { id: "x", label: "Other", keywords: &shared },
            ChoiceOption { id: "y", label: "Something", keywords: &shared },
        ];
        // A keyword shared by two options is ambiguous.
        assert_eq!(match_choice(&dup, &text("card")), None);
    }

    // ---- parse_text ----

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

    // ---- parse_email ----

    #[test]
    fn email_cases() {
        let check = |input: &str, expected: Result<&str, Invalid>| {
            assert_eq!(parse_email(&text(input)), expected.map(str::to_owned), "{input:?}");
        };
        check("ann@example.com", Ok("ann@example.com"));
        check("  Ann.Lee@Example.COM ", Ok("Ann.Lee@example.com"));
        check("first+tag@mail.example.co.uk", Ok("first+tag@mail.example.co.uk"));
        check("a@b", Err(Invalid::NotAnEmail));
        check("ann", Err(Invalid::NotAnEmail));
        check("ann@", Err(Invalid::NotAnEmail));
        check("@example.com", Err(Invalid::NotAnEmail));
        check("ann @example.com", Err(Invalid::NotAnEmail));
        check("ann@exa mple.com", Err(Invalid::NotAnEmail));
        check("Ann <ann@example.com>", Err(Invalid::NotAnEmail));
        check("ann@[127.0.0.1]", Err(Invalid::NotAnEmail));
        check("ann@@example.com", Err(Invalid::NotAnEmail));
        check("", Err(Invalid::Empty));
    }

    // ---- parse_phone ----

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

    // ---- parse_url ----

    #[test]
    fn url_cases() {
        let check = |input: &str, expected: Result<&str, Invalid>| {
            assert_eq!(parse_url(&text(input)), expected.map(str::to_owned), "{input:?}");
        };
        check("https://example.com", Ok("https://example.com/"));
        check("http://Example.com/Path?q=1", Ok("http://example.com/Path?q=1"));
        check("example.com/x", Ok("https://example.com/x"));
        check("www.example.org", Ok("https://www.example.org/"));
        check("example.com:8080/x", Ok("https://example.com:8080/x"));
        check("http://192.168.1.10/status", Ok("http://192.168.1.10/status"));
        check("http://localhost", Err(Invalid::NotAUrl));
        check("http://localhost:3000", Err(Invalid::NotAUrl));
        check("localhost:3000", Err(Invalid::NotAUrl));
        check("ftp://example.com/file", Err(Invalid::NotAUrl));
        check("mailto:ann@example.com", Err(Invalid::NotAUrl));
        check("javascript:alert(1)", Err(Invalid::NotAUrl));
        check("ann@example.com", Err(Invalid::NotAUrl));
        check("3.5", Err(Invalid::NotAUrl));
        check("hello", Err(Invalid::NotAUrl));
        check("see example.com", Err(Invalid::NotAUrl));
        check("https://example.com/a b", Err(Invalid::NotAUrl));
        check("https://", Err(Invalid::NotAUrl));
        check("", Err(Invalid::Empty));
    }

    // ---- parse_number ----

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

    // ---- parse_date ----

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

    // ---- parse_rating ----

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

    // ---- parse_location ----

    #[test]
    fn location_cases() {
        let at = |lat: f64, lon: f64| Location { lat, lon, name: None };
        let check = |input: &str, expected: Result<Location, Invalid>| {
            assert_eq!(parse_location(&text(input)), expected, "{input:?}");
        };
        check("48.8566, 2.3522", Ok(at(48.8566, 2.3522)));
        check("48.8566,2.3522", Ok(at(48.8566, 2.3522)));
        check("-33.8688 151.2093", Ok(at(-33.8688, 151.2093)));
        check("90, -180", Ok(at(90.0, -180.0)));
        check("40.7° , -74.0°", Ok(at(40.7, -74.0)));
        check("91, 0", Err(Invalid::NotALocation));
        check("0, 181", Err(Invalid::NotALocation));
        check("48,85 2,35", Err(Invalid::NotALocation));
        check("48.8566", Err(Invalid::NotALocation));
        check("1 2 3", Err(Invalid::NotALocation));
        check("NaN, 0", Err(Invalid::NotALocation));
        check("Paris", Err(Invalid::NotALocation));
        check("", Err(Invalid::Empty));

        let shared = Location { lat: 52.52, lon: 13.405, name: Some("Berlin".to_owned()) };
        let msg = InboundMessage { location: Some(shared.clone()), ..Default::default() };
        assert_eq!(parse_location(&msg), Ok(shared));
        // An out-of-range shared location falls back to the text.
        let broken = Location { lat: 200.0, lon: 0.0, name: None };
        let msg =
            InboundMessage { location: Some(broken.clone()), text: Some("1.5, 2.5".to_owned()), ..Default::default() };
        assert_eq!(parse_location(&msg), Ok(at(1.5, 2.5)));
        let msg = InboundMessage { location: Some(broken), ..Default::default() };
        assert_eq!(parse_location(&msg), Err(Invalid::NotALocation));
    }

    #[test]
    fn invalid_display() {
        let cases = [
            (Invalid::Empty, "the answer is empty"),
            (Invalid::NotAnEmail, "not a valid email address"),
            (Invalid::BelowMin("1".to_owned()), "below the minimum of 1"),
            (Invalid::AboveMax("2.5".to_owned()), "above the maximum of 2.5"),
            (Invalid::NotARating { max: 5 }, "not a rating from 1 to 5"),
            (Invalid::TooShort { min: 3 }, "shorter than 3 characters"),
            (Invalid::TooLong { max: 9 }, "longer than 9 characters"),
        ];
        for (invalid, expected) in cases {
            assert_eq!(invalid.to_string(), expected);
        }
        let boxed: Box<dyn std::error::Error> = Box::new(Invalid::NotAUrl);
        assert_eq!(boxed.to_string(), "not a valid web address");
    }
}
