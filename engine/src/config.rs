//! Settings of `switchboard serve` and `switchboard run`. Each comes, in this order of
//! precedence, from a flag, an environment variable (`SWITCHBOARD_*`), a YAML config file
//! (`--config`, or `switchboard.yaml` in the current folder when it exists), or a default.
//! A config file with an unknown key or a value of the wrong type is refused with its
//! `file:line:col`, like a workflow file.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The config file read when none is named.
pub const DEFAULT_CONFIG_FILE: &str = "switchboard.yaml";

/// What a config file may set (every key optional). `Debug` leaves the credentials out.
#[derive(Default, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    pub listen: Option<String>,
    pub db: Option<String>,
    pub workflows: Option<PathBuf>,
    pub timezone: Option<String>,
    pub webhook_url: Option<String>,
    pub http_allow: Option<Vec<String>>,
    pub log_json: Option<bool>,
    pub admin_token: Option<String>,
    /// `reopen` (default) or `refuse`: what an agent's reply to a closed conversation does.
    pub reply_to_closed: Option<crate::runtime::ReplyToClosed>,
    /// Keywords that opt a contact out (`stop: [STOP, ...]`) and back in (`start: [START]`).
    pub opt_out: Option<crate::runtime::OptOutKeywords>,
    /// The key that encrypts secrets at rest (base64 of 32 bytes); see `crate::secrets`.
    pub secret_key: Option<String>,
    /// Previous keys still accepted for reading while rotating.
    pub secret_key_previous: Option<Vec<String>>,
    /// Readiness thresholds, in seconds (`/readyz`).
    pub ready: Option<ReadySettings>,
    /// How long finished history is kept (`outbox: 7d`, `runs: 30d`, `messages: forever`).
    pub retention: Option<RetentionSettings>,
}

/// The `retention:` block: each key optional (see `crate::runtime::Retention` for the
/// defaults).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    /// Outbox rows performed or given up.
    pub outbox: Option<Kept>,
    /// Ended runs and their journals.
    pub runs: Option<Kept>,
    /// Transcript lines.
    pub messages: Option<Kept>,
}

/// A retention as written: a duration (`7d`, `12h`) or `forever` (`Kept(None)`); a flag, an
/// environment variable or a config value, refused with its place when it is neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kept(pub Option<std::time::Duration>);

impl std::str::FromStr for Kept {
    type Err = String;
    fn from_str(text: &str) -> Result<Kept, String> {
        crate::runtime::parse_retention(text).map(Kept)
    }
}

impl<'de> Deserialize<'de> for Kept {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Kept, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

/// The `ready:` block: how late background work may run, in whole seconds, before `/readyz`
/// answers 503. Each key optional (see `crate::runtime::ReadyThresholds` for the defaults).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadySettings {
    /// A background loop busy in one iteration for longer than this.
    pub loop_silent: Option<u64>,
    /// The oldest queued event.
    pub queued_event: Option<u64>,
    /// The oldest outbox row that is due.
    pub outbox_due: Option<u64>,
    /// The most overdue timer.
    pub timer_overdue: Option<u64>,
}

impl std::fmt::Debug for FileSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |set: bool| if set { "***" } else { "-" };
        f.debug_struct("FileSettings")
            .field("listen", &self.listen)
            .field("db", &self.db.as_deref().map(crate::store::redact))
            .field("workflows", &self.workflows)
            .field("timezone", &self.timezone)
            .field("webhook_url", &self.webhook_url.as_deref().map(crate::store::redact))
            .field("http_allow", &self.http_allow)
            .field("log_json", &self.log_json)
            .field("admin_token", &hidden(self.admin_token.is_some()))
            .field("reply_to_closed", &self.reply_to_closed)
            .field("opt_out", &self.opt_out)
            .field("secret_key", &hidden(self.secret_key.is_some()))
            .field("secret_key_previous", &hidden(self.secret_key_previous.is_some()))
            .field("ready", &self.ready)
            .field("retention", &self.retention)
            .finish()
    }
}

impl FileSettings {
    /// Reads a config file. `Ok(None)` when `path` is the default file and it does not exist.
    pub fn read(path: Option<&Path>) -> Result<FileSettings, String> {
        let (path, named) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => (PathBuf::from(DEFAULT_CONFIG_FILE), false),
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => FileSettings::parse(&text, &path.display().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !named => Ok(FileSettings::default()),
            Err(e) => Err(format!("{}: cannot read the config file: {e}", path.display())),
        }
    }

    /// Parses a config file's text; errors name `file:line:col`.
    pub fn parse(text: &str, file: &str) -> Result<FileSettings, String> {
        // A file of comments only (every setting left to its default) is fine.
        if text.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#')) {
            return Ok(FileSettings::default());
        }
        let loaded = steps::source::load(text);
        if let Some(d) = loaded.diagnostics.iter().find(|d| d.is_error()) {
            return Err(d.render(file, text));
        }
        let value = match loaded.value {
            None | Some(serde_json::Value::Null) => return Ok(FileSettings::default()),
            Some(v) => v,
        };
        let Some(object) = value.as_object() else {
            return Err(format!("{file}:1:1: the config file must be a mapping of settings (`listen: ...`)"));
        };
        // Key by key, so an error points at the key or value that caused it.
        for (key, v) in object {
            let one = serde_json::Value::Object([(key.clone(), v.clone())].into_iter().collect());
            if let Err(e) = serde_path_to_error::deserialize::<_, FileSettings>(one) {
                // Where the error is: a bad value inside a block (`retention: {runs: soon}`)
                // points at that value; an unknown key (`ready: {loop_quiet: 1}`) at that key.
                let mut path = String::new();
                for segment in e.path().iter() {
                    if let serde_path_to_error::Segment::Map { key } = segment {
                        path.push('/');
                        path.push_str(key);
                    }
                }
                let e = e.into_inner();
                let text = e.to_string();
                let (pointer, label) = match text.strip_prefix("unknown field `").and_then(|t| t.split('`').next()) {
                    Some(inner) if v.get(inner).is_some() => (format!("/{key}/{inner}"), key.clone()),
                    Some(_) => (format!("/{key}"), key.clone()),
                    None if path.is_empty() => (format!("/{key}"), key.clone()),
                    None => (path.clone(), path.trim_start_matches('/').replace('/', ".")),
                };
                let pos = if text.starts_with("unknown field") {
                    loaded.map.key_pos(&pointer)
                } else {
                    loaded.map.value_pos(&pointer)
                };
                let at = pos.map(|p| format!("{}:{}", p.line, p.col)).unwrap_or_else(|| "1:1".into());
                return Err(format!("{file}:{at}: `{label}`: {e}"));
            }
        }
        serde_json::from_value(value).map_err(|e| format!("{file}: {e}"))
    }
}

/// The database a `--db` setting names: an SQLite or PostgreSQL URL as it is, or a path to
/// an SQLite file.
pub fn database_url(db: &str) -> Result<String, String> {
    if db.starts_with("sqlite:") || db.starts_with("postgres://") || db.starts_with("postgresql://") {
        return Ok(db.to_owned());
    }
    if db.contains("://") {
        return Err(format!(
            "`{}` is not a database Switchboard knows; give a file path, an `sqlite://` or a `postgres://` URL",
            crate::store::redact(db)
        ));
    }
    Ok(format!("sqlite://{db}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_file_sets_what_it_names() {
        let text = "listen: 0.0.0.0:9000\ndb: data/sb.db\nhttp_allow: [10.0.0.0/8]\nlog_json: true\n";
        let settings = FileSettings::parse(text, "switchboard.yaml").expect("valid");
        assert_eq!(settings.listen.as_deref(), Some("0.0.0.0:9000"));
        assert_eq!(settings.db.as_deref(), Some("data/sb.db"));
        assert_eq!(settings.http_allow, Some(vec!["10.0.0.0/8".to_owned()]));
        assert_eq!(settings.log_json, Some(true));
        assert_eq!(settings.timezone, None);
    }

    #[test]
    fn readiness_thresholds_are_read_and_unknown_ones_refused() {
        let settings =
            FileSettings::parse("ready:\n  loop_silent: 10\n  timer_overdue: 5\n", "sb.yaml").expect("valid");
        let ready = settings.ready.expect("a ready block");
        assert_eq!((ready.loop_silent, ready.timer_overdue, ready.queued_event), (Some(10), Some(5), None));
        let err = FileSettings::parse("ready:\n  loop_quiet: 10\n", "sb.yaml").expect_err("unknown key");
        assert!(err.starts_with("sb.yaml:2:3: `ready`: unknown field `loop_quiet`"), "{err}");
    }

    #[test]
    fn retentions_are_read_and_a_bad_one_refused_at_its_position() {
        let settings =
            FileSettings::parse("retention:\n  outbox: 2d\n  messages: forever\n", "sb.yaml").expect("valid");
        let retention = settings.retention.expect("a retention block");
        let two_days = std::time::Duration::from_secs(2 * 24 * 3600);
        assert_eq!(
            (retention.outbox, retention.runs, retention.messages),
            (Some(Kept(Some(two_days))), None, Some(Kept(None)))
        );
        let err = FileSettings::parse("retention:\n  runs: soon\n", "sb.yaml").expect_err("not a duration");
        assert!(err.starts_with("sb.yaml:2:9: `retention.runs`: `soon` is not a duration"), "{err}");
    }

    #[test]
    fn an_unknown_key_is_refused_at_its_position() {
        let err = FileSettings::parse("listen: 127.0.0.1:1\nlisten_port: 80\n", "sb.yaml").expect_err("unknown key");
        assert!(err.starts_with("sb.yaml:2:1: `listen_port`: unknown field"), "{err}");
    }

    #[test]
    fn a_value_of_the_wrong_type_is_refused_at_its_position() {
        let err = FileSettings::parse("log_json: true\nhttp_allow: 10.0.0.1\n", "sb.yaml").expect_err("bad type");
        assert!(err.starts_with("sb.yaml:2:13: `http_allow`: invalid type"), "{err}");
    }

    #[test]
    fn broken_yaml_and_a_non_mapping_are_refused_and_an_empty_file_is_fine() {
        let err = FileSettings::parse("listen: [\n", "sb.yaml").expect_err("broken");
        assert!(err.contains("sb.yaml:"), "{err}");
        let err = FileSettings::parse("- listen\n", "sb.yaml").expect_err("a list");
        assert!(err.contains("must be a mapping"), "{err}");
        assert_eq!(FileSettings::parse("", "sb.yaml"), Ok(FileSettings::default()));
    }

    #[test]
    fn a_missing_default_file_is_no_error_but_a_missing_named_one_is() {
        let missing = Path::new("/nonexistent/switchboard.yaml");
        assert!(FileSettings::read(Some(missing)).is_err());
    }

    #[test]
    fn credentials_stay_out_of_debug_output() {
        let text = "db: postgres://sb:hunter2@db/sb\nadmin_token: sb_admin_token_value\nsecret_key: a2V5LWtleS1rZXk=\n";
        let settings = FileSettings::parse(text, "sb.yaml").expect("valid");
        assert_eq!(settings.secret_key.as_deref(), Some("a2V5LWtleS1rZXk="));
        let shown = format!("{settings:?}");
        for secret in ["hunter2", "sb_admin_token_value", "a2V5LWtleS1rZXk="] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn database_settings_become_urls() {
        assert_eq!(database_url("switchboard.db").as_deref(), Ok("sqlite://switchboard.db"));
        assert_eq!(database_url("sqlite::memory:").as_deref(), Ok("sqlite::memory:"));
        assert!(database_url("mysql://x").is_err());
        assert_eq!(database_url("postgres://db/sb").as_deref(), Ok("postgres://db/sb"));
    }
}
