//! A channel connection: one account a workspace connects (a WhatsApp number, a LINE
//! official account, a Telegram bot), its settings and its secrets, and the rules a new or
//! changed one must meet ([`Connection::build`]). Secrets are write-only: the API reports
//! which are set, never their values, and `Debug` leaves them out, so they cannot reach a log.
//! Storing and sealing them is the runtime's (`runtime/src/connections.rs`).

use crate::Kind;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// LINE's monthly message allowances by plan (Japan, 2023 pricing: Communication, Light,
/// Standard). `monthly_quota` in a connection's settings overrides them.
pub const LINE_PLANS: [(&str, i64); 3] = [("free", 200), ("light", 5_000), ("standard", 30_000)];

/// One connected account.
#[derive(Clone, PartialEq)]
pub struct Connection {
    /// The channel name messages, contacts' addresses and steps use (`whatsapp`, `line-jp`).
    pub id: String,
    pub kind: Kind,
    pub name: String,
    /// Where the channel's API is (tests point it at a mock on 127.0.0.1).
    pub api_base: String,
    /// Settings that are not secret (WhatsApp's phone number id, LINE's plan).
    pub settings: Map<String, Value>,
    secrets: BTreeMap<String, String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("api_base", &self.api_base)
            .field("secrets", &self.secrets.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// What the API takes to create or change a connection. On a change, secrets left out keep
/// their value.
#[derive(Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionInput {
    pub kind: Option<Kind>,
    pub name: Option<String>,
    /// The channel's API base URL; the channel's public API when left out.
    pub api_base: Option<String>,
    /// WhatsApp: `phone_number_id` (required), `api_version`. LINE: `plan` (`free`,
    /// `light`, `standard`) or `monthly_quota`.
    #[serde(default)]
    pub settings: Option<Map<String, Value>>,
    /// WhatsApp: `app_secret`, `access_token`, `verify_token`. LINE: `channel_secret`,
    /// `access_token`. Telegram: `bot_token`, `secret_token` (the one given to `setWebhook`).
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
}

impl std::fmt::Debug for ConnectionInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionInput")
            .field("kind", &self.kind)
            .field("api_base", &self.api_base)
            .field("secrets", &self.secrets.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Kind {
    /// The secrets a connection of this kind needs.
    pub fn required_secrets(self) -> &'static [&'static str] {
        match self {
            Kind::Whatsapp => &["app_secret", "access_token", "verify_token"],
            Kind::Line => &["channel_secret", "access_token"],
            Kind::Telegram => &["bot_token", "secret_token"],
        }
    }

    /// The channel's public API.
    pub fn default_api_base(self) -> &'static str {
        match self {
            Kind::Whatsapp => "https://graph.facebook.com",
            Kind::Line => "https://api.line.me",
            Kind::Telegram => "https://api.telegram.org",
        }
    }
}

impl Connection {
    /// A connection as stored: its secrets given as the JSON object they are kept as (once
    /// opened); unreadable settings or secrets become empty.
    #[allow(clippy::too_many_arguments)]
    pub fn stored(
        id: String,
        kind: Kind,
        name: String,
        api_base: String,
        settings_json: &str,
        secrets_json: &str,
        created_at: i64,
        updated_at: i64,
    ) -> Connection {
        Connection {
            id,
            kind,
            name,
            api_base,
            settings: serde_json::from_str(settings_json).unwrap_or_default(),
            secrets: serde_json::from_str(secrets_json).unwrap_or_default(),
            created_at,
            updated_at,
        }
    }

    /// The secrets as the JSON object they are stored as (sealed by the caller).
    pub fn secrets_json(&self) -> String {
        serde_json::to_string(&self.secrets).unwrap_or_default()
    }

    /// `text` with every secret of this connection replaced by `***` (a channel's error
    /// message may quote the token it refused).
    pub fn redact(&self, text: &str) -> String {
        self.secrets.values().filter(|v| v.len() >= 4).fold(text.to_owned(), |t, v| t.replace(v.as_str(), "***"))
    }

    pub fn secret(&self, name: &str) -> Option<&str> {
        self.secrets.get(name).map(String::as_str)
    }

    pub fn setting(&self, name: &str) -> Option<&str> {
        self.settings.get(name).and_then(Value::as_str)
    }

    /// LINE: messages allowed per calendar month (UTC); `None` for no cap.
    pub fn monthly_quota(&self) -> Option<i64> {
        if self.kind != Kind::Line {
            return None;
        }
        if let Some(n) = self.settings.get("monthly_quota").and_then(Value::as_i64) {
            return Some(n);
        }
        let plan = self.setting("plan")?;
        LINE_PLANS.iter().find(|(p, _)| *p == plan).map(|(_, n)| *n)
    }

    /// The connection as the API shows it: secrets by name only.
    pub fn public(&self) -> Value {
        json!({
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "api_base": self.api_base,
            "settings": self.settings,
            "secrets_set": self.secrets.keys().collect::<Vec<_>>(),
            "webhook_path": format!("/api/channels/{}/webhook", self.id),
            "monthly_quota": self.monthly_quota(),
            "created_at": rfc3339(self.created_at),
            "updated_at": rfc3339(self.updated_at),
        })
    }

    /// A stand-in connection for previews: the channel's limits, no account, no secrets.
    pub fn preview(kind: Kind) -> Connection {
        let mut settings = Map::new();
        settings.insert("phone_number_id".into(), json!("PHONE_NUMBER_ID"));
        Connection {
            id: kind.as_str().to_owned(),
            kind,
            name: kind.as_str().to_owned(),
            api_base: kind.default_api_base().to_owned(),
            settings,
            secrets: BTreeMap::new(),
            created_at: 0,
            updated_at: 0,
        }
    }

    /// Applies `input` over `previous` (or creates), checking what the kind needs.
    pub fn build(
        id: &str,
        input: ConnectionInput,
        previous: Option<&Connection>,
        now: i64,
    ) -> Result<Connection, String> {
        let bad = |m: String| m;
        if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(bad(format!("`{id}` is not a valid connection id (letters, digits, - and _, up to 64)")));
        }
        if matches!(id, "simulator" | "webhook" | "preview") {
            return Err(bad(format!("`{id}` is a reserved name")));
        }
        let kind = match (input.kind, previous) {
            (Some(k), Some(p)) if k != p.kind => {
                return Err(bad(format!(
                    "connection `{id}` is a {} connection; its kind cannot change",
                    p.kind.as_str()
                )))
            }
            (Some(k), _) => k,
            (None, Some(p)) => p.kind,
            (None, None) => return Err(bad("`kind` is required (whatsapp, line or telegram)".into())),
        };
        // Secrets go only where they were entered for: moving a connection to another API
        // address needs them all again, so nobody can send the stored ones elsewhere.
        let moved =
            matches!((&input.api_base, previous), (Some(base), Some(p)) if base.trim_end_matches('/') != p.api_base);
        if moved {
            if let Some(missing) = kind.required_secrets().iter().find(|s| !input.secrets.contains_key(**s)) {
                return Err(bad(format!(
                    "changing `api_base` needs every secret again (`secrets.{missing}` is missing)"
                )));
            }
        }
        let mut secrets = previous.map(|p| p.secrets.clone()).unwrap_or_default();
        for (name, value) in input.secrets {
            if !kind.required_secrets().contains(&name.as_str()) {
                return Err(bad(format!(
                    "`secrets.{name}` is not a {} secret (expected {})",
                    kind.as_str(),
                    kind.required_secrets().join(", ")
                )));
            }
            secrets.insert(name, value);
        }
        if let Some(missing) = kind.required_secrets().iter().find(|s| secrets.get(**s).is_none_or(String::is_empty)) {
            return Err(bad(format!("`secrets.{missing}` is required for a {} connection", kind.as_str())));
        }
        if kind == Kind::Telegram {
            let token = &secrets["secret_token"];
            if token.len() > 256 || !token.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                return Err(bad(
                    "`secrets.secret_token`: Telegram allows 1-256 characters A-Z, a-z, 0-9, _ and -".into()
                ));
            }
        }
        let settings = input.settings.or_else(|| previous.map(|p| p.settings.clone())).unwrap_or_default();
        match kind {
            Kind::Whatsapp if settings.get("phone_number_id").and_then(Value::as_str).is_none_or(str::is_empty) => {
                return Err(bad("`settings.phone_number_id` is required for a WhatsApp connection".into()));
            }
            Kind::Line => {
                if let Some(plan) = settings.get("plan") {
                    if !LINE_PLANS.iter().any(|(p, _)| Some(*p) == plan.as_str()) {
                        return Err(bad("`settings.plan` is one of free, light, standard".into()));
                    }
                }
                if settings.get("monthly_quota").is_some_and(|q| q.as_i64().is_none_or(|n| n < 0)) {
                    return Err(bad("`settings.monthly_quota` is a number of messages (0 or more)".into()));
                }
            }
            _ => {}
        }
        let api_base = input
            .api_base
            .or_else(|| previous.map(|p| p.api_base.clone()))
            .unwrap_or_else(|| kind.default_api_base().to_owned());
        // Plain http only to this machine (a local proxy or a test double): tokens travel in it.
        match url::Url::parse(&api_base) {
            Ok(u) if u.scheme() == "https" => {}
            Ok(u) if u.scheme() == "http" && matches!(u.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")) => {}
            _ => return Err(bad(format!("`api_base` `{api_base}` is not an https URL (http only to 127.0.0.1)"))),
        }
        Ok(Connection {
            id: id.to_owned(),
            kind,
            name: input.name.or_else(|| previous.map(|p| p.name.clone())).unwrap_or_else(|| id.to_owned()),
            api_base: api_base.trim_end_matches('/').to_owned(),
            settings,
            secrets,
            created_at: previous.map_or(now, |p| p.created_at),
            updated_at: now,
        })
    }
}

/// A time stored as milliseconds since the epoch, in RFC 3339 (what the API shows).
fn rfc3339(ms: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms).unwrap_or_default().to_rfc3339()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(kind: Kind, secrets: &[(&str, &str)], settings: Value) -> ConnectionInput {
        ConnectionInput {
            kind: Some(kind),
            secrets: secrets.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            settings: settings.as_object().cloned(),
            ..ConnectionInput::default()
        }
    }

    #[test]
    fn a_connection_needs_its_kinds_secrets_and_never_shows_them() {
        let missing = Connection::build("wa", input(Kind::Whatsapp, &[("app_secret", "s")], json!({})), None, 0);
        assert!(matches!(missing, Err(m) if m.contains("access_token")));
        let all = [("app_secret", "hunter2"), ("access_token", "tok"), ("verify_token", "v")];
        let no_number = Connection::build("wa", input(Kind::Whatsapp, &all, json!({})), None, 0);
        assert!(matches!(no_number, Err(m) if m.contains("phone_number_id")));
        let conn = Connection::build("wa", input(Kind::Whatsapp, &all, json!({"phone_number_id": "106"})), None, 0)
            .expect("valid");
        let shown = format!("{} {conn:?}", conn.public());
        assert!(!shown.contains("hunter2") && !shown.contains("\"tok\""), "{shown}");
        assert!(shown.contains("app_secret"));
        // A change without secrets keeps them; the kind cannot change.
        let renamed = ConnectionInput { name: Some("Sales".into()), ..ConnectionInput::default() };
        let changed = Connection::build("wa", renamed, Some(&conn), 5).expect("valid");
        assert_eq!((changed.secret("app_secret"), changed.name.as_str()), (Some("hunter2"), "Sales"));
        let other = ConnectionInput { kind: Some(Kind::Line), ..ConnectionInput::default() };
        assert!(Connection::build("wa", other, Some(&conn), 5).is_err());
        // Stored secrets are not sent to a new address; plain http only to this machine.
        let elsewhere =
            ConnectionInput { api_base: Some("https://collector.example".into()), ..ConnectionInput::default() };
        let refused = Connection::build("wa", elsewhere, Some(&conn), 5);
        assert!(matches!(refused, Err(m) if m.contains("needs every secret again")));
        let plain = ConnectionInput {
            api_base: Some("http://10.0.0.5".into()),
            ..input(Kind::Whatsapp, &all, json!({"phone_number_id": "1"}))
        };
        assert!(Connection::build("wa", plain, Some(&conn), 5).is_err());
    }

    #[test]
    fn line_quota_comes_from_the_plan_or_an_explicit_number() {
        let secrets = [("channel_secret", "s"), ("access_token", "t")];
        let plan =
            Connection::build("line", input(Kind::Line, &secrets, json!({"plan": "light"})), None, 0).expect("valid");
        assert_eq!(plan.monthly_quota(), Some(5_000));
        let own = Connection::build("line", input(Kind::Line, &secrets, json!({"monthly_quota": 3})), None, 0)
            .expect("valid");
        assert_eq!(own.monthly_quota(), Some(3));
        assert!(Connection::build("line", input(Kind::Line, &secrets, json!({"plan": "gold"})), None, 0).is_err());
        assert!(Connection::build("simulator", input(Kind::Line, &secrets, json!({})), None, 0).is_err());
    }
}
