//! Durations as people write them in workflow files: `30s`, `15m`, `2h`, `7d`, `1h 30m`.

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::time::Duration;

/// A duration that remembers how it was written, so saving a file keeps `2h` as `2h`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationText {
    text: String,
    value: Duration,
}

impl DurationText {
    /// Parses `30m`, `2h`, `7d`, `1h 30m`.
    pub fn parse(text: &str) -> Result<DurationText, String> {
        let value = humantime::parse_duration(text.trim())
            .map_err(|e| format!("`{text}` is not a duration ({e}); write it like `30s`, `15m`, `2h` or `7d`"))?;
        Ok(DurationText { text: text.to_owned(), value })
    }

    /// Whole hours, written as `{n}h`; used for defaults.
    pub fn hours(n: u64) -> DurationText {
        DurationText { text: format!("{n}h"), value: Duration::from_secs(n * 3600) }
    }

    /// The duration.
    pub fn get(&self) -> Duration {
        self.value
    }

    /// The duration as chrono's type, for adding to `now`.
    pub fn chrono(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.value).unwrap_or(chrono::Duration::MAX)
    }

    /// As written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// `now + d`, saturating at the end of time instead of panicking on overflow.
pub fn after(now: chrono::DateTime<chrono::Utc>, d: &DurationText) -> chrono::DateTime<chrono::Utc> {
    now.checked_add_signed(d.chrono()).unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
}

impl Serialize for DurationText {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for DurationText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        DurationText::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for DurationText {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "A duration such as `30s`, `15m`, `2h`, `7d` or `1h 30m`.",
            "pattern": "^\\s*\\d+\\s*[a-zA-Z]+(\\s*\\d+\\s*[a-zA-Z]+)*\\s*$",
            "examples": ["30m", "24h", "7d"]
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_forms() {
        for (text, secs) in [("30s", 30), ("15m", 900), ("2h", 7200), ("7d", 604_800), ("1h 30m", 5400)] {
            assert_eq!(DurationText::parse(text).unwrap().get().as_secs(), secs, "{text}");
        }
        assert!(DurationText::parse("soon").is_err());
        assert!(DurationText::parse("10").is_err());
        let huge = DurationText::parse("100000000000d").unwrap();
        assert_eq!(after(chrono::Utc::now(), &huge), chrono::DateTime::<chrono::Utc>::MAX_UTC);
    }
}
