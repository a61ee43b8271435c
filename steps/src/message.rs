//! Messages as the pure core sees them: what a contact sent (inbound) and what a step
//! asks the engine to send (outbound). Channel formats (WhatsApp, LINE, ...) live in the
//! engine's channel adapters; these types are channel-neutral.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What a contact sent, as the engine hands it to a waiting step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct InboundMessage {
    /// The text the contact typed, if any.
    pub text: Option<String>,
    /// The payload of a pressed button or quick reply (the option's id), if any.
    pub payload: Option<String>,
    /// Images, files, audio or video sent with the message.
    pub attachments: Vec<Attachment>,
    /// A shared location, for channels that support it.
    pub location: Option<Location>,
    /// The channel the message came from (`whatsapp`, `line`, `telegram`, `webhook`, `simulator`, ...).
    pub channel: Option<String>,
}

impl InboundMessage {
    /// A plain text message, the common case in tests and in the simulator.
    pub fn text(text: impl Into<String>) -> Self {
        InboundMessage { text: Some(text.into()), ..Default::default() }
    }

    /// A button press that carries `payload` (and usually the button's title as text).
    pub fn button(payload: impl Into<String>, title: impl Into<String>) -> Self {
        InboundMessage { text: Some(title.into()), payload: Some(payload.into()), ..Default::default() }
    }
}

/// A geographic point shared by a contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// Latitude in degrees, -90 to 90.
    pub lat: f64,
    /// Longitude in degrees, -180 to 180.
    pub lon: f64,
    /// A place name, when the channel gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// The kind of media in an attachment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    Image,
    Video,
    Audio,
    File,
}

/// A media item sent with a message, by URL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// What kind of media this is; channels render each kind differently.
    #[serde(rename = "type")]
    pub kind: AttachmentKind,
    /// Where the media can be fetched (a template: variables allowed).
    pub url: String,
    /// A file name or caption shown to the contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A button under a message; pressing it sends `payload` back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuickReply {
    /// What the button shows.
    pub title: String,
    /// What comes back when it is pressed; defaults to the title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
}

/// A pre-approved template message (WhatsApp outside the 24-hour window).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateMessage {
    /// The template's name as approved by the channel.
    pub name: String,
    /// Its language code, for example `en_US`.
    #[serde(default = "default_template_language")]
    pub language: String,
    /// Body parameters in order; each is a template with variables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<String>,
}

fn default_template_language() -> String {
    "en".to_owned()
}

/// A message a step wants sent to the contact, with every variable already filled in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboundMessage {
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quick_replies: Vec<RenderedQuickReply>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// `None` means the contact's last interacted channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// The template to use where free-form text is not allowed (WhatsApp's 24-hour rule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<TemplateMessage>,
    /// For a question: the answer type it expects (`rating`, `choice`, `email`, ...), so a
    /// channel can render it natively (stars in the test chat, a phone-number button, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expects: Option<String>,
}

/// A quick reply with its payload resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderedQuickReply {
    pub title: String,
    pub payload: String,
}
