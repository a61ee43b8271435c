//! Answers about the workspace and the process: health and readiness, API tokens, channel
//! connections and their deliveries, the per-channel message preview, dead letters.

use super::Written;
use runtime::channels::{ApiCall, Kind, Rendered};
use runtime::Readiness;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The process answers.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct Health {
    #[schemars(extend("const" = "ok"))]
    pub status: String,
}

/// Ready: the readiness report, with `status: ready`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct Ready {
    #[serde(flatten)]
    pub report: Readiness,
    #[schemars(extend("const" = "ready"))]
    pub status: String,
}

/// Not ready (503): the error shape, with the problems in `message` and the report in `details`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct NotReady {
    pub code: String,
    pub message: String,
    pub details: Readiness,
}

/// A token just created: the only answer that shows the token itself.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct TokenCreated {
    pub id: i64,
    pub name: String,
    pub role: runtime::tokens::Role,
    pub agent_id: Option<String>,
    pub created_at: String,
    pub token: String,
}

/// An API token as admins list it (never the token or its hash); `current` marks the caller's.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct TokenListed {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub agent_id: Option<String>,
    pub created_at: Option<String>,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
    pub current: bool,
}

impl TokenListed {
    pub fn new(t: runtime::TokenRow, current: bool) -> TokenListed {
        TokenListed {
            id: t.id,
            name: t.name,
            role: t.role,
            agent_id: t.agent_id,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
            current,
        }
    }
}

/// A token revoked, and when.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct TokenRevoked {
    pub id: i64,
    pub revoked_at: String,
}

/// A channel connection as the API shows it: secrets by name only.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = Written(&["used_this_month"]))]
pub struct ConnectionView {
    pub id: String,
    pub kind: Kind,
    pub name: String,
    pub api_base: String,
    pub settings: Map<String, Value>,
    /// The names of the secrets that are set.
    pub secrets_set: Vec<String>,
    /// Where the channel delivers (`/api/channels/{id}/webhook`).
    pub webhook_path: String,
    /// Messages a month the plan allows (`null`: no quota).
    pub monthly_quota: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
    /// Messages sent this month (listing and reading; not in the answer of a change).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_this_month: Option<i64>,
}

/// Every channel connection.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct ConnectionList {
    pub connections: Vec<ConnectionView>,
}

/// A channel's delivery stored: how many events, how many of them seen before.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct ChannelDelivery {
    pub events: usize,
    pub duplicates: usize,
}

/// How a message renders on each channel.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct ChannelPreviews {
    pub whatsapp: ChannelPreview,
    pub line: ChannelPreview,
    pub telegram: ChannelPreview,
}

impl ChannelPreviews {
    /// The previews from one per kind, each in its place.
    pub fn from_kinds(previews: impl IntoIterator<Item = (Kind, ChannelPreview)>) -> Option<ChannelPreviews> {
        let (mut whatsapp, mut line, mut telegram) = (None, None, None);
        for (kind, preview) in previews {
            match kind {
                Kind::Whatsapp => whatsapp = Some(preview),
                Kind::Line => line = Some(preview),
                Kind::Telegram => telegram = Some(preview),
            }
        }
        Some(ChannelPreviews { whatsapp: whatsapp?, line: line?, telegram: telegram? })
    }
}

/// One channel's rendering: inside the customer-service window, and (WhatsApp) outside it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&["outside_window"]))]
pub struct ChannelPreview {
    pub inside_window: RenderedMessage,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outside_window: Option<OutsideWindow>,
}

/// WhatsApp outside the 24-hour window: the template it takes, or why it cannot be sent.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum OutsideWindow {
    Rendered(RenderedMessage),
    Refused { refused: String },
}

/// A message as one channel will show it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct RenderedMessage {
    /// The native form: `text`, `buttons`, `list`, `quick_replies`, `inline_keyboard`,
    /// `numbered_text`, `template`.
    pub format: String,
    /// The calls to the channel's API that send it.
    pub calls: Vec<ChannelCall>,
    /// What the channel's limits changed.
    pub notes: Vec<String>,
}

/// One call to a channel's API: path under the API base, and JSON body.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct ChannelCall {
    pub path: String,
    #[schemars(with = "Map<String, Value>")]
    pub body: Value,
}

impl From<Rendered> for RenderedMessage {
    fn from(r: Rendered) -> RenderedMessage {
        RenderedMessage {
            format: r.format.to_owned(),
            calls: r.calls.into_iter().map(|ApiCall { path, body }| ChannelCall { path, body }).collect(),
            notes: r.notes,
        }
    }
}

/// A dead letter's event queued again.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[schemars(transform = Written(&[]))]
pub struct DeadLetterRequeued {
    pub id: i64,
    pub queued: bool,
}
