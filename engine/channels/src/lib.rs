//! Messaging channels: WhatsApp Cloud API, LINE and Telegram, each behind [`ChannelAdapter`].
//!
//! An adapter knows one channel's wire format and nothing about runs:
//! - inbound: [`ChannelAdapter::verify`] checks the channel's signature on the raw body
//!   (before anything is parsed or stored), [`ChannelAdapter::parse`] maps a verified delivery
//!   to channel-neutral [`Inbound`] items (messages, button replies, follow/unfollow, delivery
//!   statuses);
//! - outbound: [`ChannelAdapter::render`] turns an [`OutboundMessage`] into the channel's API
//!   requests within its limits (3 reply buttons or a 10-row list on WhatsApp, 13 quick
//!   replies on LINE, an inline keyboard on Telegram), and [`ChannelAdapter::read_answer`]
//!   reads the channel's id for the sent message, or why it refused it.
//!
//! A [`Connection`] (one per configured account: a WhatsApp number, a LINE official account,
//! a Telegram bot) is in `connection.rs`; its secrets are write-only. Storing connections is the
//! runtime's (`engine/runtime/src/connections.rs`), and so are the rules the engine enforces
//! before sending (WhatsApp's 24-hour window, LINE friends and monthly quota, opt-out:
//! `engine/runtime/src/channel_rules.rs`), built on [`Kind`]'s properties here. This crate
//! touches no database and knows no runtime type.

mod connection;
mod line;
mod telegram;
mod whatsapp;

pub use telegram::acknowledge_presses;

pub use connection::{Connection, ConnectionInput, LINE_PLANS};

use http::HeaderMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use steps::identifier::Identifier;
use steps::message::{InboundMessage, OutboundMessage};

/// The channels Switchboard speaks natively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Whatsapp,
    Line,
    Telegram,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Whatsapp, Kind::Line, Kind::Telegram];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Whatsapp => "whatsapp",
            Kind::Line => "line",
            Kind::Telegram => "telegram",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether the channel recognises a repeated send as the same message (LINE, by its
    /// `X-Line-Retry-Key`). WhatsApp Cloud and Telegram do not: a send whose outcome is
    /// unknown is not repeated on them (see `engine/runtime/src/outbox.rs`).
    pub fn deduplicates(self) -> bool {
        match self {
            Kind::Line => true,
            Kind::Whatsapp | Kind::Telegram => false,
        }
    }

    /// The adapter for this channel.
    pub fn adapter(self) -> &'static dyn ChannelAdapter {
        match self {
            Kind::Whatsapp => &whatsapp::WhatsApp,
            Kind::Line => &line::Line,
            Kind::Telegram => &telegram::Telegram,
        }
    }
}

/// How long after the contact's last message WhatsApp allows free-form messages.
pub const WHATSAPP_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

/// One HTTP call to a channel's API. The URL is relative to the connection's API base and
/// never holds a secret: credentials are added by [`ChannelAdapter::authorize`] when sending,
/// so a rendered request can be shown in the editor's preview.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiCall {
    /// Path under the API base (Telegram's bot token goes in front of it when sending).
    pub path: String,
    pub body: Value,
}

/// A message as one channel will show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rendered {
    /// The native form the message takes: `text`, `buttons`, `list`, `quick_replies`,
    /// `inline_keyboard`, `numbered_text` (options written out, answered by number),
    /// `template`.
    pub format: &'static str,
    pub calls: Vec<ApiCall>,
    /// What the channel's limits changed (shortened titles, options written as text, a file
    /// sent as a link).
    pub notes: Vec<String>,
}

/// Why a channel did not take a message, and whether trying again could help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub reason: String,
    pub retry: bool,
}

/// What a verified delivery from a channel carries, channel-neutral.
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    /// The contact wrote, pressed a button or shared something. `id` is the channel's id for
    /// the message (a repeated delivery carries the same id and is ignored). `verified` holds
    /// only identifiers the channel itself vouches for (see [`Identifier`]); `profile` is
    /// what the contact says about themselves.
    Message {
        id: String,
        address: String,
        message: Box<InboundMessage>,
        profile: Map<String, Value>,
        verified: Vec<Identifier>,
    },
    /// The contact added the account (LINE follow) or unblocked the bot (Telegram).
    Followed { id: String, address: String },
    /// The contact removed or blocked the account.
    Unfollowed { id: String, address: String },
    /// A sent message was delivered, read, or failed after all.
    Status { id: String, message_id: String, status: DeliveryStatus, error: Option<String> },
}

/// A sent message's later fate, as channels report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Sent,
    Delivered,
    Read,
    Failed,
}

impl DeliveryStatus {
    pub fn parse(s: &str) -> Option<DeliveryStatus> {
        [DeliveryStatus::Sent, DeliveryStatus::Delivered, DeliveryStatus::Read, DeliveryStatus::Failed]
            .into_iter()
            .find(|d| d.as_str() == s)
    }

    /// Order of a message's fate: a status never moves it back.
    pub fn rank(self) -> i64 {
        match self {
            DeliveryStatus::Sent => 1,
            DeliveryStatus::Delivered => 2,
            DeliveryStatus::Read => 3,
            DeliveryStatus::Failed => 4,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Read => "read",
            DeliveryStatus::Failed => "failed",
        }
    }
}

/// Why a delivery to the inbound endpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboundError {
    /// Missing or wrong signature (401): nothing is stored.
    Unauthorized(String),
    /// Not a payload this channel sends (400): logged, nothing stored.
    Malformed(String),
}

/// One channel's wire format.
pub trait ChannelAdapter: Send + Sync {
    /// Checks that a delivery to the inbound endpoint came from the channel, on the raw body.
    fn verify(&self, conn: &Connection, headers: &HeaderMap, body: &[u8]) -> Result<(), InboundError>;

    /// What a verified delivery carries. A payload of an unknown shape is an error; a known
    /// one with nothing for Switchboard (a LINE verification ping) is an empty list.
    fn parse(&self, conn: &Connection, body: &[u8]) -> Result<Vec<Inbound>, InboundError>;

    /// The API calls that send `message` to `to` (the contact's address on this channel).
    /// With `template`, the message's approved template is sent instead of its text.
    fn render(
        &self,
        conn: &Connection,
        to: &str,
        message: &OutboundMessage,
        template: bool,
    ) -> Result<Rendered, String>;

    /// Adds the connection's credentials to a call (a header, or the URL for Telegram).
    fn authorize(&self, conn: &Connection, call: &ApiCall, key: &str) -> Result<reqwest::RequestBuilder, String>;

    /// The channel's id for a message it accepted, or why it refused it.
    fn read_answer(&self, status: u16, body: &Value) -> Result<String, Refusal>;
}

/// Shortens `text` to `max` characters (not bytes), marking the cut with `…`.
pub fn clip(text: &str, max: usize, what: &str, notes: &mut Vec<String>) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    notes.push(format!("{what} shortened to {max} characters"));
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// How a message's options fit a channel: none (`text`); the channel's `native` form when
/// there are at most `max`; else written out as numbered text (with a note saying so).
/// Returns the format and the text to send: native buttons need a text, so an empty one
/// becomes a prompt.
pub fn fit_options(
    m: &OutboundMessage,
    max: usize,
    native: &'static str,
    holder: &str,
    notes: &mut Vec<String>,
) -> (&'static str, String) {
    let n = m.quick_replies.len();
    if n == 0 {
        ("text", m.text.clone())
    } else if n > max {
        notes.push(format!("{n} options are more than {holder} holds ({max}): written out, answered by number"));
        ("numbered_text", numbered(m))
    } else if m.text.is_empty() {
        (native, "Choose one:".to_owned())
    } else {
        (native, m.text.clone())
    }
}

/// The options of a message written out as text, answered by number (for more options than
/// a channel's buttons hold).
fn numbered(message: &OutboundMessage) -> String {
    let mut text = message.text.clone();
    for (i, q) in message.quick_replies.iter().enumerate() {
        text.push_str(&format!("\n{}. {}", i + 1, q.title));
    }
    text
}

/// Checks the signature header `name`: HMAC-SHA256 of the raw body under `secret`, in the
/// channel's encoding (`decode` turns the header into the MAC's bytes).
pub fn check_hmac(
    headers: &HeaderMap,
    name: &str,
    decode: impl Fn(&str) -> Option<Vec<u8>>,
    secret: Option<&str>,
    body: &[u8],
) -> Result<(), InboundError> {
    let given = header(headers, name).ok_or_else(|| InboundError::Unauthorized(format!("missing {name}")))?;
    let given = decode(given).ok_or_else(|| InboundError::Unauthorized(format!("{name} is not well formed")))?;
    match secret {
        Some(secret) if same(&given, &hmac_sha256(secret, body)) => Ok(()),
        _ => Err(InboundError::Unauthorized(format!("{name} does not match the body"))),
    }
}

/// HMAC-SHA256 of `body` under `secret`.
pub fn hmac_sha256(secret: &str, body: &[u8]) -> Vec<u8> {
    hmac_sha256_parts(secret, &[body])
}

/// HMAC-SHA256 of the concatenation of `parts` under `secret` (a signed webhook's
/// `timestamp.body`), without copying them into one buffer.
pub fn hmac_sha256_parts(secret: &str, parts: &[&[u8]]) -> Vec<u8> {
    use hmac::{Hmac, KeyInit, Mac};
    let mut mac =
        <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

/// Compares two byte strings in time independent of where they differ.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Installs rustls' crypto provider (ring) for the process. An `Err` from rustls only means a
/// provider is already installed, which is just as good.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The HTTP client every channel sends with (the adapters and the generic webhook channel).
pub fn client() -> &'static reqwest::Client {
    static CLIENT: std::sync::LazyLock<reqwest::Client> = std::sync::LazyLock::new(|| {
        install_crypto();
        // Channel APIs answer where they are asked; a redirect would carry credentials
        // (Telegram's bot token is in the URL, the others in headers) somewhere else, so none
        // is followed and no `Referer` is ever sent.
        reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .user_agent(concat!("Switchboard/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .referer(false)
            .build()
            .unwrap_or_default()
    });
    &CLIENT
}

/// A header's value as text, if present.
pub fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_counts_characters_and_says_so() {
        let mut notes = Vec::new();
        assert_eq!(clip("héllo", 5, "title", &mut notes), "héllo");
        assert!(notes.is_empty());
        assert_eq!(clip("こんにちは世界", 5, "title", &mut notes), "こんにち…");
        assert_eq!(notes, ["title shortened to 5 characters"]);
    }

    #[test]
    fn signatures_compare_whole_values() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"ab"));
    }
}

#[cfg(test)]
mod rendering {
    use super::*;
    use steps::message::{Attachment, AttachmentKind, RenderedQuickReply, TemplateMessage};

    fn question(n: usize) -> OutboundMessage {
        OutboundMessage {
            text: "Pick one".into(),
            quick_replies: (1..=n)
                .map(|i| RenderedQuickReply {
                    title: format!("Option number {i} with a long title"),
                    payload: format!("o{i}"),
                })
                .collect(),
            attachments: Vec::new(),
            channel: None,
            template: None,
            expects: None,
        }
    }

    fn render(kind: Kind, m: &OutboundMessage) -> Rendered {
        kind.adapter().render(&Connection::preview(kind), "to", m, false).expect("renders")
    }

    #[test]
    fn whatsapp_uses_buttons_up_to_3_a_list_up_to_10_then_numbered_text() {
        let three = render(Kind::Whatsapp, &question(3));
        assert_eq!(three.format, "buttons");
        let title = three.calls[0].body.pointer("/interactive/action/buttons/0/reply/title").cloned();
        assert_eq!(title, Some(serde_json::json!("Option number 1 wit…")), "20 characters");
        assert!(three.notes.iter().any(|n| n.contains("button title shortened")));
        assert_eq!(render(Kind::Whatsapp, &question(10)).format, "list");
        let eleven = render(Kind::Whatsapp, &question(11));
        assert_eq!(eleven.format, "numbered_text");
        let body = eleven.calls[0].body.pointer("/text/body").and_then(Value::as_str).unwrap_or_default().to_owned();
        assert!(body.starts_with("Pick one\n1. Option number 1") && body.contains("\n11. "), "{body}");
    }

    #[test]
    fn line_takes_13_quick_replies_and_telegram_numbers_long_payloads() {
        assert_eq!(render(Kind::Line, &question(13)).format, "quick_replies");
        assert_eq!(render(Kind::Line, &question(14)).format, "numbered_text");
        let mut long = question(2);
        long.quick_replies[1].payload = "x".repeat(65);
        let tg = render(Kind::Telegram, &long);
        let data = tg.calls[0].body.pointer("/reply_markup/inline_keyboard/1/0/callback_data").cloned();
        assert_eq!(data, Some(serde_json::json!("2")), "answered by its number");
    }

    #[test]
    fn images_and_files_go_out_in_each_channels_own_way() {
        let mut m = question(0);
        m.attachments = vec![
            Attachment { kind: AttachmentKind::Image, url: "https://cdn.example/a.png".into(), name: None },
            Attachment {
                kind: AttachmentKind::File,
                url: "https://cdn.example/invoice.pdf".into(),
                name: Some("invoice.pdf".into()),
            },
        ];
        let wa = render(Kind::Whatsapp, &m);
        let types: Vec<&str> = wa.calls.iter().filter_map(|c| c.body.get("type").and_then(Value::as_str)).collect();
        assert_eq!(types, ["image", "document", "text"]);
        assert_eq!(wa.calls[1].body.pointer("/document/filename"), Some(&serde_json::json!("invoice.pdf")));
        let line = render(Kind::Line, &m);
        let messages = line.calls[0].body["messages"].as_array().cloned().unwrap_or_default();
        assert_eq!(messages[0]["type"], "image");
        assert_eq!(messages[1]["text"], "invoice.pdf: https://cdn.example/invoice.pdf", "LINE sends no files: a link");
        let tg = render(Kind::Telegram, &m);
        let paths: Vec<&str> = tg.calls.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["/sendPhoto", "/sendDocument", "/sendMessage"]);
    }

    #[test]
    fn a_whatsapp_template_needs_one() {
        let mut m = question(0);
        let conn = Connection::preview(Kind::Whatsapp);
        assert!(Kind::Whatsapp.adapter().render(&conn, "to", &m, true).is_err());
        m.template = Some(TemplateMessage { name: "hello".into(), language: "en".into(), params: Vec::new() });
        let t = Kind::Whatsapp.adapter().render(&conn, "to", &m, true).expect("renders");
        assert_eq!(t.calls[0].body["template"], serde_json::json!({"name": "hello", "language": {"code": "en"}}));
    }
}
