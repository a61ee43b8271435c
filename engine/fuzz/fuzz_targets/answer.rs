//! Fuzz target `answer`: feeds a contact's reply to the answer parsers in `steps::answer`
//! (choice, email, phone, URL, number, date, rating, location, text), which decide whether
//! it answers a question and normalise it.
//!
//! Input: byte 0 picks the parser, byte 1 its settings (bounds, integer, date order, rating
//! maximum, text lengths); the rest is the reply as UTF-8, and after a `\x1f`, the payload of
//! a pressed button.
//!
//! Asserts, beyond "never panics", what each parser promises about what it accepts:
//! - choice: the index is an option's; a payload equal to an option's id picks that option;
//! - email, phone, URL, date: the normalised answer, given again (a date as `YYYY-MM-DD`),
//!   is accepted as itself; an email has one `@` before a dotted domain, a phone is digits
//!   with at most a leading `+`, a URL is http(s) with a host;
//! - number: within the question's bounds, whole when it must be;
//! - rating: from 1 to the question's maximum; location: latitude and longitude in range;
//! - text: its length in characters within the question's minimum and maximum.
#![no_main]

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use steps::answer::{self, ChoiceOption, DateOrder};
use steps::message::InboundMessage;

fuzz_target!(|data: &[u8]| {
    let [which, setting, rest @ ..] = data else { return };
    let Ok(reply) = std::str::from_utf8(rest) else { return };
    let (text, payload) = match reply.split_once('\x1f') {
        Some((text, payload)) => (text, Some(payload.to_owned())),
        None => (reply, None),
    };
    let msg = InboundMessage { text: Some(text.to_owned()), payload, ..Default::default() };
    let setting = *setting;
    match which % 9 {
        0 => choice(&msg),
        1 => {
            if let Ok(email) = answer::parse_email(&msg) {
                let (local, domain) = email.rsplit_once('@').expect("an email has an @");
                assert!(!local.is_empty() && domain.contains('.'), "{email:?}");
                assert_eq!(answer::parse_email(&InboundMessage::text(&email)), Ok(email.clone()), "from {msg:?}");
            }
        }
        2 => {
            if let Ok(phone) = answer::parse_phone(&msg) {
                let digits = phone.strip_prefix('+').unwrap_or(&phone);
                assert!(!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()), "{phone:?}");
                assert_eq!(answer::parse_phone(&InboundMessage::text(&phone)), Ok(phone.clone()), "from {msg:?}");
            }
        }
        3 => {
            if let Ok(found) = answer::parse_url(&msg) {
                let parsed = url::Url::parse(&found).unwrap_or_else(|e| panic!("{found:?} does not parse: {e}"));
                assert!(matches!(parsed.scheme(), "http" | "https") && parsed.host_str().is_some(), "{found:?}");
                assert_eq!(answer::parse_url(&InboundMessage::text(&found)), Ok(found.clone()), "from {msg:?}");
            }
        }
        4 => {
            let min = (setting & 1 != 0).then(|| f64::from(setting as i8 >> 1));
            let max = (setting & 2 != 0).then(|| f64::from(setting as i8 >> 1) + 50.0);
            let integer = setting & 4 != 0;
            if let Ok(number) = answer::parse_number(&msg, min, max, integer) {
                let value = number.as_f64().expect("a number is a float too");
                assert!(value.is_finite(), "{number}");
                assert!(min.is_none_or(|min| value >= min) && max.is_none_or(|max| value <= max), "{number}");
                assert!(!integer || value.fract() == 0.0, "{number} for a whole number");
            }
        }
        5 => {
            let today = NaiveDate::from_ymd_opt(2026, 12, 3).expect("a date");
            let order = if setting & 1 == 0 { DateOrder::DayFirst } else { DateOrder::MonthFirst };
            if let Ok(date) = answer::parse_date(&msg, today, order) {
                let iso = InboundMessage::text(date.format("%Y-%m-%d").to_string());
                assert_eq!(answer::parse_date(&iso, today, order), Ok(date), "from {msg:?}");
            }
        }
        6 => {
            let max = 1 + setting % 10;
            if let Ok(rating) = answer::parse_rating(&msg, max) {
                assert!((1..=max).contains(&rating), "{rating} of {max}");
            }
        }
        7 => {
            if let Ok(at) = answer::parse_location(&msg) {
                assert!((-90.0..=90.0).contains(&at.lat) && (-180.0..=180.0).contains(&at.lon), "{at:?}");
            }
        }
        _ => {
            let min = usize::from(setting & 0x0f);
            let max = (setting >> 4 != 0).then(|| usize::from(setting >> 4) * 8);
            if let Ok(answer) = answer::parse_text(&msg, Some(min), max) {
                let len = answer.chars().count();
                assert!(len >= min && max.is_none_or(|max| len <= max), "{len} characters");
            }
        }
    }
});

/// A three-option question with keywords, the shape the reference workflows ask.
fn choice(msg: &InboundMessage) {
    let buy = ["buy".to_owned(), "comprar".to_owned()];
    let help = ["help".to_owned(), "ayuda".to_owned()];
    let options = [
        ChoiceOption { id: "sales", label: "Sales", keywords: &buy },
        ChoiceOption { id: "support", label: "Support", keywords: &help },
        ChoiceOption { id: "other", label: "Something else", keywords: &[] },
    ];
    let picked = answer::match_choice(&options, msg);
    assert!(picked.is_none_or(|i| i < options.len()), "{picked:?}");
    if let Some(by_id) = msg.payload.as_deref().and_then(|p| options.iter().position(|o| o.id == p)) {
        assert_eq!(picked, Some(by_id), "a pressed button picks its option");
    }
}
