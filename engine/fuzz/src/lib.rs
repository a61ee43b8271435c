//! What the fuzz targets share: the run's variables an expression or template is evaluated
//! against, the monotonic clock the sandbox's time budget reads, and a check that a value
//! stays within the sandbox's size limits. The targets themselves are in `fuzz_targets/`,
//! one file each; `TESTING.md` says how to run them.

use serde_json::{json, Value};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use steps::expr::limits;

/// The variables of a run in the middle of a conversation: every root an expression may read
/// (`contact`, `conversation`, `assignee`, `trigger`, `steps`, `system`), with text, numbers,
/// lists, maps and a missing value to reach the operators' forgiving paths.
pub fn sample_vars() -> &'static Value {
    static VARS: OnceLock<Value> = OnceLock::new();
    VARS.get_or_init(|| {
        json!({
            "contact": {"id": 7, "first_name": "Ana", "last_name": "Ruiz", "phone": "+4915112345678",
                "email": "ana@example.org", "language": "es", "tags": ["vip", "es"],
                "fields": {"plan": "Gold", "age": "41", "score": 3.5, "empty": "", "nothing": null}},
            "conversation": {"open": true, "channel": "whatsapp", "assignee": null, "tags": []},
            "assignee": {"id": "u1", "name": "Bo", "team": "sales", "online": true},
            "trigger": {"text": "hola", "payload": {"order": {"id": 12, "items": [1, 2, 3]}}},
            "steps": {"ask": {"answer": 2, "text": "two"}, "menu": {"answer": "sales"}},
            "system": {"now": "2026-12-03T10:00:00Z", "today": "2026-12-03", "weekday": "thursday",
                "timezone": "Europe/Madrid"},
        })
    })
}

/// Gives the sandbox a monotonic clock, so that every evaluation runs under its time budget
/// as it does in the engine (which installs the same kind of clock at start-up).
pub fn install_stopwatch() {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now);
    steps::expr::use_stopwatch(|| START.get().map_or(Duration::ZERO, Instant::elapsed));
}

/// How much longer than its budget an evaluation may take before the target calls it a
/// runaway: the budget is checked every 256 operations, and sanitizers slow everything down.
pub const SLACK: Duration = Duration::from_secs(2);

/// Panics when a value produced by an evaluation breaks the sandbox's size limits: a string
/// longer than `MAX_STRING_SIZE` characters, a list or map with more than `MAX_ARRAY_SIZE` or
/// `MAX_MAP_SIZE` entries, at any depth.
pub fn assert_within_size_limits(value: &Value, source: &str) {
    match value {
        Value::String(s) => {
            let chars = s.chars().count();
            assert!(chars <= limits::MAX_STRING_SIZE, "`{source}` built a text of {chars} characters");
        }
        Value::Array(items) => {
            assert!(items.len() <= limits::MAX_ARRAY_SIZE, "`{source}` built a list of {} items", items.len());
            items.iter().for_each(|v| assert_within_size_limits(v, source));
        }
        Value::Object(map) => {
            assert!(map.len() <= limits::MAX_MAP_SIZE, "`{source}` built a map of {} entries", map.len());
            map.values().for_each(|v| assert_within_size_limits(v, source));
        }
        _ => {}
    }
}

/// The secrets the webhook targets' connection has (one per channel's signing scheme).
const APP_SECRET: &str = "fuzz-app-secret";
const CHANNEL_SECRET: &str = "fuzz-channel-secret";
const SECRET_TOKEN: &str = "fuzz-secret-token";

/// A connection of `kind` as stored, with every channel's signing secret and the WhatsApp
/// number id the tests' payloads are addressed to.
pub fn connection(kind: channels::Kind) -> channels::Connection {
    let secrets =
        json!({"app_secret": APP_SECRET, "channel_secret": CHANNEL_SECRET, "secret_token": SECRET_TOKEN}).to_string();
    let settings = json!({"phone_number_id": "106540352242922"}).to_string();
    channels::Connection::stored(
        kind.as_str().to_owned(),
        kind,
        kind.as_str().to_owned(),
        kind.default_api_base().to_owned(),
        &settings,
        &secrets,
        0,
        0,
    )
}

/// The signature header a channel sends with `body`, computed here with the `hmac` crate
/// (not the adapters' helper): WhatsApp's hex `sha256=` HMAC, LINE's base64 HMAC, Telegram's
/// fixed secret token.
fn signature(kind: channels::Kind, body: &[u8]) -> (&'static str, String) {
    use base64::Engine as _;
    use hmac::{Hmac, KeyInit, Mac};
    let mac = |secret: &str| {
        let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("any key length");
        mac.update(body);
        mac.finalize().into_bytes().to_vec()
    };
    match kind {
        channels::Kind::Whatsapp => ("x-hub-signature-256", format!("sha256={}", hex::encode(mac(APP_SECRET)))),
        channels::Kind::Line => {
            ("x-line-signature", base64::engine::general_purpose::STANDARD.encode(mac(CHANNEL_SECRET)))
        }
        channels::Kind::Telegram => ("x-telegram-bot-api-secret-token", SECRET_TOKEN.to_owned()),
    }
}

/// The body of every webhook target: `body` as one delivery to a `kind` connection.
///
/// Asserts, beyond "never panics":
/// - `verify` accepts the body with its correct signature, and refuses it with a signature
///   for other bytes (WhatsApp, LINE) or another token (Telegram);
/// - whatever `parse` makes of it, turned into engine events (`runtime::channel_events`) and
///   with NULs replaced as the queue does for channel deliveries, holds no NUL and reads
///   back equal from the JSON the queue stores (`runtime::EventKind`).
pub fn check_webhook(kind: channels::Kind, body: &[u8]) {
    let conn = connection(kind);
    let adapter = kind.adapter();
    let headers = |(name, value): (&'static str, String)| {
        let mut headers = http::HeaderMap::new();
        headers.insert(name, http::HeaderValue::from_str(&value).expect("a signature is a valid header"));
        headers
    };
    let signed = headers(signature(kind, body));
    assert_eq!(adapter.verify(&conn, &signed, body), Ok(()), "{kind:?} refused a correctly signed body");
    let forged = match kind {
        channels::Kind::Telegram => headers(("x-telegram-bot-api-secret-token", format!("{SECRET_TOKEN}x"))),
        _ => headers(signature(kind, &[body, b" "].concat())),
    };
    assert!(adapter.verify(&conn, &forged, body).is_err(), "{kind:?} accepted a forged signature");

    let Ok(items) = adapter.parse(&conn, body) else { return };
    for mut event in runtime::channel_events(&conn, items) {
        assert!(event.source.starts_with("channel:"), "{:?}", event.source);
        event.replace_nul();
        let stored = serde_json::to_string(&event.kind).expect("an event kind serialises");
        let value = serde_json::to_value(&event.kind).expect("an event kind serialises");
        assert!(!has_nul(&value) && !event.source.contains('\0'), "a NUL survived in {stored}");
        let read: runtime::EventKind =
            serde_json::from_str(&stored).unwrap_or_else(|e| panic!("stored {stored} is unreadable: {e}"));
        assert_eq!(read, event.kind, "stored as {stored}");
    }
}

/// Does any text or key in `value` hold a NUL character?
pub fn has_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(has_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}
