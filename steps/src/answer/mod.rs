//! Answer recognition: decides whether a contact's reply answers a question (a choice, an
//! email, a phone number, a URL, a number, a date, a rating or a location) and normalizes it.
//!
//! Everything here is pure: no I/O and no clock reads. The current date is passed in by the
//! caller so that relative answers such as "tomorrow" are deterministic and testable.
//!
//! One file per answer type (`choice.rs`, `text.rs`, `email.rs`, `phone.rs`, `url.rs`,
//! `number.rs`, `date.rs`, `rating.rs`, `location.rs`); this one holds what they share: why
//! an answer is refused ([`Invalid`]), the text to read, and [`fold`] for comparing words.

mod choice;
mod date;
mod email;
mod location;
mod number;
mod phone;
mod rating;
mod text;
mod url;

pub use choice::{match_choice, ChoiceOption};
pub use date::{parse_date, DateOrder};
pub use email::parse_email;
pub use location::parse_location;
pub use number::parse_number;
pub use phone::parse_phone;
pub use rating::parse_rating;
pub use text::parse_text;
pub use url::parse_url;

use crate::message::InboundMessage;
use std::fmt;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

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

/// The text to interpret: what the contact typed, or the button payload when the channel
/// sent no text (some channels deliver a quick reply as a bare payload).
fn answer_text(msg: &InboundMessage) -> &str {
    let text = msg.text.as_deref().map(str::trim).unwrap_or("");
    if !text.is_empty() {
        return text;
    }
    msg.payload.as_deref().map(str::trim).unwrap_or("")
}

/// The text to interpret ([`answer_text`]), or [`Invalid::Empty`] when there is none.
fn non_empty_answer(msg: &InboundMessage) -> Result<&str, Invalid> {
    let text = answer_text(msg);
    if text.is_empty() {
        return Err(Invalid::Empty);
    }
    Ok(text)
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

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers for the unit tests at the bottom of each answer type's file.
    #![allow(clippy::unwrap_used)]
    pub(crate) use crate::message::InboundMessage;
    pub(crate) use chrono::NaiveDate;

    pub(crate) fn text(s: &str) -> InboundMessage {
        InboundMessage::text(s)
    }

    pub(crate) fn payload_only(p: &str) -> InboundMessage {
        InboundMessage { payload: Some(p.to_owned()), ..Default::default() }
    }

    pub(crate) fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

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
