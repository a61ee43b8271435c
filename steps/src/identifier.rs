//! Identifiers of a person that a channel itself verified (a WhatsApp sender's number, a
//! phone number a Telegram user shared): the channels produce them, the store keeps them in
//! `contact_identifiers`, and only they join a new channel address to an existing contact.

use serde::{Deserialize, Serialize};

/// An identifier of a person that a channel itself verified: WhatsApp's sender number (the
/// `wa_id` the message came from), a phone number a Telegram user shared from their own
/// account. Only these join a new channel address to an existing contact; a phone or email
/// in a profile or a field is just an attribute.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Identifier {
    /// A phone number in E.164 form (`+4915112345678`).
    Phone(String),
}

impl Identifier {
    /// A phone number as channels give it (`4915112345678`, `+49 151 12345678`), in E.164
    /// form; `None` when it is not 6 to 15 digits.
    pub fn phone(raw: &str) -> Option<Identifier> {
        let rest = raw.trim().strip_prefix('+').unwrap_or(raw.trim());
        let digits: String = rest.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.')).collect();
        let valid = (6..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
        valid.then(|| Identifier::Phone(format!("+{digits}")))
    }

    /// An identifier as stored (`contact_identifiers.kind`, `value`); `None` for a kind this
    /// version does not know.
    pub fn stored(kind: &str, value: String) -> Option<Identifier> {
        match kind {
            "phone" => Some(Identifier::Phone(value)),
            _ => None,
        }
    }

    /// The kind as stored (`contact_identifiers.kind`).
    pub fn kind(&self) -> &'static str {
        match self {
            Identifier::Phone(_) => "phone",
        }
    }

    pub fn value(&self) -> &str {
        match self {
            Identifier::Phone(v) => v,
        }
    }
}
