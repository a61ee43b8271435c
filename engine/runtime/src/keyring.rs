//! Secrets at rest: the server's secret key (and the previous ones still accepted for
//! reading), and sealing values with ChaCha20-Poly1305 under it. Workspace secrets, channel
//! connections' secrets and webhook signing secrets are stored sealed; only the engine opens
//! them, at the moment it needs the value.
//!
//! - [`Keyring`] — the current key (seals) and previous keys (open only). A sealed value
//!   names the key that sealed it ([`Key::id`]), so rotating is: configure the new key, move
//!   the old one to `SWITCHBOARD_SECRET_KEY_PREVIOUS`, restart; the engine re-seals every
//!   row under the new key at start, after which the old key can be dropped.
//! - [`Sealed`] — a sealed value: key id, nonce and ciphertext (with its tag).
//! - [`default_keyring`] — where the key comes from when none is configured: a key file next
//!   to the SQLite database (created on first start, mode 0600), a throwaway key for an
//!   in-memory database, nothing on PostgreSQL (secrets are refused until one is configured:
//!   several processes share the store, so one process cannot invent the key).
//!
//! Each value is sealed with a context (`secret:crm_key`, `channel:whatsapp`) as associated
//! data, so a sealed value copied into another row does not open there.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The environment variable holding the secret key (base64 of 32 bytes).
pub const KEY_ENV: &str = "SWITCHBOARD_SECRET_KEY";
/// Previous keys, comma-separated, accepted for opening values until they are re-sealed.
pub const PREVIOUS_KEYS_ENV: &str = "SWITCHBOARD_SECRET_KEY_PREVIOUS";
/// The prefix of a sealed value kept in a single text column: `sb1:<key id>:<nonce>:<ciphertext>`.
const TEXT_PREFIX: &str = "sb1:";

/// Why a secret could not be sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error(
        "no secret key is configured, so secrets cannot be stored: set {KEY_ENV} (or `secret_key` in the \
         config file) to 32 random bytes in base64, for example the output of `openssl rand -base64 32`"
    )]
    NoKey,
    #[error("{0}")]
    BadKey(String),
    #[error(
        "a value was sealed with secret key `{0}`, which is neither the current key nor one of \
         {PREVIOUS_KEYS_ENV}"
    )]
    UnknownKey(String),
    #[error("a sealed value does not open with key `{0}`: it was changed, or belongs to another row")]
    Corrupt(String),
    #[error("the secret key file {path}: {message}")]
    KeyFile { path: String, message: String },
}

/// One 256-bit key.
pub struct Key {
    id: String,
    key: LessSafeKey,
    bytes: [u8; 32],
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key").field("id", &self.id).finish_non_exhaustive()
    }
}

impl Key {
    /// A key from its base64 text (32 bytes); the error never quotes the text.
    pub fn from_base64(text: &str) -> Result<Key, Error> {
        let bytes = BASE64
            .decode(text.trim())
            .map_err(|_| Error::BadKey("a secret key must be base64 (of 32 random bytes)".into()))?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
            Error::BadKey(format!("a secret key must be 32 bytes (base64 of 32 random bytes); this one is {}", b.len()))
        })?;
        Ok(Key::from_bytes(bytes))
    }

    /// A new random key.
    pub fn generate() -> Result<Key, Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| Error::BadKey(format!("no randomness for a new key: {e}")))?;
        Ok(Key::from_bytes(bytes))
    }

    fn from_bytes(bytes: [u8; 32]) -> Key {
        // The id names the key in stored rows without revealing anything about it.
        let digest = Sha256::new().chain_update(b"switchboard secret key id\0").chain_update(bytes).finalize();
        let id = hex::encode(&digest[..4]);
        // 32 bytes is exactly what ChaCha20-Poly1305 takes, so this cannot fail.
        let key = LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, &bytes).expect("a 32-byte key"));
        Key { id, key, bytes }
    }

    /// A short public name of the key (8 hex digits of a hash of it).
    pub fn id(&self) -> &str {
        &self.id
    }

    fn to_base64(&self) -> String {
        BASE64.encode(self.bytes)
    }
}

/// A sealed value, as the `secrets` table keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    /// Base64 of the 12-byte nonce.
    pub nonce: String,
    /// Base64 of the ciphertext and its 16-byte tag.
    pub ciphertext: String,
}

/// The current key and the previous ones.
#[derive(Debug, Clone)]
pub struct Keyring {
    current: Arc<Key>,
    previous: Vec<Arc<Key>>,
}

impl Keyring {
    pub fn new(current: Key, previous: Vec<Key>) -> Keyring {
        let previous = previous.into_iter().filter(|k| k.id != current.id).map(Arc::new).collect();
        Keyring { current: Arc::new(current), previous }
    }

    /// A keyring from base64 texts: the current key and the previous ones.
    pub fn from_base64(current: &str, previous: &[String]) -> Result<Keyring, Error> {
        let current = Key::from_base64(current)?;
        let previous = previous
            .iter()
            .filter(|p| !p.trim().is_empty())
            .map(|p| Key::from_base64(p).map_err(|e| Error::BadKey(format!("in {PREVIOUS_KEYS_ENV}: {e}"))))
            .collect::<Result<_, _>>()?;
        Ok(Keyring::new(current, previous))
    }

    /// The id of the key new values are sealed with.
    pub fn current_id(&self) -> &str {
        &self.current.id
    }

    /// Seals `plaintext` under the current key, bound to `context`.
    pub fn seal(&self, context: &str, plaintext: &[u8]) -> Result<Sealed, Error> {
        let mut nonce = [0u8; NONCE_LEN];
        // A random 96-bit nonce per value: far below the 2^32 values per key where random
        // nonces start to risk a repeat.
        getrandom::fill(&mut nonce).map_err(|e| Error::BadKey(format!("no randomness for a nonce: {e}")))?;
        let mut buffer = plaintext.to_vec();
        self.current
            .key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(context.as_bytes()), &mut buffer)
            .map_err(|_| Error::Corrupt(self.current.id.clone()))?;
        Ok(Sealed { key_id: self.current.id.clone(), nonce: BASE64.encode(nonce), ciphertext: BASE64.encode(buffer) })
    }

    /// Opens a value sealed under `context` with the current or a previous key.
    pub fn open(&self, context: &str, sealed: &Sealed) -> Result<Vec<u8>, Error> {
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == sealed.key_id)
            .ok_or_else(|| Error::UnknownKey(sealed.key_id.clone()))?;
        let corrupt = || Error::Corrupt(sealed.key_id.clone());
        let nonce: [u8; NONCE_LEN] =
            BASE64.decode(&sealed.nonce).ok().and_then(|n| n.try_into().ok()).ok_or_else(corrupt)?;
        let mut buffer = BASE64.decode(&sealed.ciphertext).map_err(|_| corrupt())?;
        let plain = key
            .key
            .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(context.as_bytes()), &mut buffer)
            .map_err(|_| corrupt())?;
        Ok(plain.to_vec())
    }

    /// Opens a value sealed as text.
    pub fn open_string(&self, context: &str, sealed: &Sealed) -> Result<String, Error> {
        String::from_utf8(self.open(context, sealed)?).map_err(|_| Error::Corrupt(sealed.key_id.clone()))
    }

    /// Seals text into one column's worth of text (`sb1:<key id>:<nonce>:<ciphertext>`).
    pub fn seal_text(&self, context: &str, plaintext: &str) -> Result<String, Error> {
        let s = self.seal(context, plaintext.as_bytes())?;
        Ok(format!("{TEXT_PREFIX}{}:{}:{}", s.key_id, s.nonce, s.ciphertext))
    }

    /// Opens what [`Keyring::seal_text`] made.
    pub fn open_text(&self, context: &str, text: &str) -> Result<String, Error> {
        let sealed = parse_text(text).ok_or_else(|| Error::Corrupt("?".into()))?;
        self.open_string(context, &sealed)
    }

    /// Does `sealed` need sealing again under the current key?
    pub fn is_stale(&self, key_id: &str) -> bool {
        key_id != self.current.id
    }
}

/// The key that sealed a text column's value, or `None` when it is not sealed (a row written
/// before secrets were encrypted).
pub fn sealed_text_key(text: &str) -> Option<String> {
    parse_text(text).map(|s| s.key_id)
}

fn parse_text(text: &str) -> Option<Sealed> {
    let mut parts = text.strip_prefix(TEXT_PREFIX)?.splitn(3, ':');
    let (key_id, nonce, ciphertext) = (parts.next()?, parts.next()?, parts.next()?);
    Some(Sealed { key_id: key_id.to_owned(), nonce: nonce.to_owned(), ciphertext: ciphertext.to_owned() })
}

/// Is `name` a valid secret name (`[a-z][a-z0-9_]{0,63}`)? The same rule as the compiler's
/// for `{{ secrets.NAME }}`.
pub fn check_name(name: &str) -> Result<(), String> {
    if steps::vars::is_secret_name(name) {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a valid secret name: a lowercase letter, then up to 63 lowercase letters, digits or _"
        ))
    }
}

/// `text` with every value of `secrets` (of 4 characters or more) replaced by `***`, as it
/// is and in the spellings a server echoing a request would use: percent-encoded (a URL, a
/// `Location` header) and base64 (an echoed `Authorization: Basic` header).
pub fn redact(text: &str, secrets: &[String]) -> String {
    use base64::Engine as _;
    secrets.iter().filter(|v| v.len() >= 4).fold(text.to_owned(), |t, v| {
        [
            v.clone(),
            steps::template::encode_url_value(v),
            base64::engine::general_purpose::STANDARD.encode(v),
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v),
        ]
        .iter()
        .fold(t, |t, form| t.replace(form.as_str(), "***"))
    })
}

/// The keyring to use when none is configured. SQLite file: the key file next to the
/// database (`<database>.key`), created with mode 0600 on first start. In-memory SQLite: a
/// throwaway key (the database goes with the process). PostgreSQL: none.
pub fn default_keyring(database_url: &str) -> Result<Option<Keyring>, Error> {
    let Some(path) = key_file_path(database_url) else {
        if database_url.starts_with("sqlite:") {
            return Ok(Some(Keyring::new(Key::generate()?, Vec::new())));
        }
        tracing::warn!(
            "no secret key is configured ({KEY_ENV}): workspace secrets and channel connection secrets \
             are refused on PostgreSQL until every process is given the same key"
        );
        return Ok(None);
    };
    let (key, created) = load_or_create_key_file(&path)?;
    if created {
        tracing::warn!(
            key_file = %path.display(),
            key_id = key.id(),
            "NO SECRET KEY WAS CONFIGURED: generated one and saved it in the key file next to the database \
             (mode 0600). Back it up with the database: without it, stored secrets cannot be read. \
             To manage it yourself, set {KEY_ENV} to its content."
        );
    }
    Ok(Some(Keyring::new(key, Vec::new())))
}

/// The key file of an SQLite database file; `None` for PostgreSQL and in-memory databases.
pub fn key_file_path(database_url: &str) -> Option<PathBuf> {
    let path = database_url.strip_prefix("sqlite://").or_else(|| database_url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path.contains(":memory:") {
        return None;
    }
    Some(PathBuf::from(format!("{path}.key")))
}

/// Reads the key file, or creates it (mode 0600) with a new key. `true` when created.
pub fn load_or_create_key_file(path: &Path) -> Result<(Key, bool), Error> {
    let failed = |message: String| Error::KeyFile { path: path.display().to_string(), message };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                if let Ok(meta) = std::fs::metadata(path) {
                    if meta.permissions().mode() & 0o077 != 0 {
                        tracing::warn!(key_file = %path.display(), "the secret key file is readable by other users; chmod 600 it");
                    }
                }
            }
            Ok((Key::from_base64(&text).map_err(|e| failed(e.to_string()))?, false))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = Key::generate()?;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            use std::io::Write;
            let mut file = options.open(path).map_err(|e| failed(format!("cannot create it: {e}")))?;
            file.write_all(format!("{}\n", key.to_base64()).as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|e| failed(format!("cannot write it: {e}")))?;
            Ok((key, true))
        }
        Err(e) => Err(failed(format!("cannot read it: {e}"))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn key(byte: u8) -> String {
        BASE64.encode([byte; 32])
    }

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_context() {
        let ring = Keyring::from_base64(&key(1), &[]).unwrap();
        let sealed = ring.seal("secret:crm_key", b"hunter2-value").unwrap();
        assert!(!sealed.ciphertext.contains("hunter2") && sealed.key_id == ring.current_id());
        assert_eq!(ring.open_string("secret:crm_key", &sealed).unwrap(), "hunter2-value");
        assert!(matches!(ring.open("secret:other", &sealed), Err(Error::Corrupt(_))), "bound to its row");
        let mut tampered = sealed.clone();
        tampered.ciphertext = BASE64.encode(b"not what was sealed at all");
        assert!(matches!(ring.open("secret:crm_key", &tampered), Err(Error::Corrupt(_))));
        let other = Keyring::from_base64(&key(2), &[]).unwrap();
        assert_eq!(other.open("secret:crm_key", &sealed), Err(Error::UnknownKey(sealed.key_id.clone())));
        // Two seals of one value differ (a fresh nonce each time).
        assert_ne!(ring.seal("secret:crm_key", b"hunter2-value").unwrap().ciphertext, sealed.ciphertext);
    }

    #[test]
    fn a_rotated_key_still_opens_what_the_previous_one_sealed() {
        let old = Keyring::from_base64(&key(1), &[]).unwrap();
        let text = old.seal_text("channel:wa", r#"{"access_token":"tok"}"#).unwrap();
        let rotated = Keyring::from_base64(&key(2), &[key(1)]).unwrap();
        let key_id = sealed_text_key(&text).unwrap();
        assert!(rotated.is_stale(&key_id), "sealed with the previous key: re-seal it");
        assert_eq!(rotated.open_text("channel:wa", &text).unwrap(), r#"{"access_token":"tok"}"#);
        let resealed = rotated.seal_text("channel:wa", &rotated.open_text("channel:wa", &text).unwrap()).unwrap();
        assert!(!rotated.is_stale(&sealed_text_key(&resealed).unwrap()));
        // Once the old key is dropped, only the re-sealed value opens.
        let new_only = Keyring::from_base64(&key(2), &[]).unwrap();
        assert!(matches!(new_only.open_text("channel:wa", &text), Err(Error::UnknownKey(_))));
        assert!(new_only.open_text("channel:wa", &resealed).is_ok());
        assert_eq!(sealed_text_key(r#"{"access_token":"tok"}"#), None, "plaintext JSON is not sealed");
    }

    #[test]
    fn bad_keys_are_refused_without_quoting_them() {
        let short = Keyring::from_base64(&BASE64.encode([7u8; 16]), &[]).unwrap_err();
        assert!(short.to_string().contains("32 bytes"), "{short}");
        let not_base64 = Keyring::from_base64("hunter2 is my key!", &[]).unwrap_err();
        assert!(!not_base64.to_string().contains("hunter2"), "{not_base64}");
        let previous = Keyring::from_base64(&key(1), &["nope".into()]).unwrap_err();
        assert!(previous.to_string().contains(PREVIOUS_KEYS_ENV), "{previous}");
        assert!(!format!("{:?}", Key::from_base64(&key(3)).unwrap()).contains(&key(3)));
    }

    #[test]
    fn echoed_spellings_of_a_secret_are_redacted() {
        let secrets = vec!["crm key/42+x".to_owned()];
        let echoed = "GET /lookup?k=crm%20key%2F42%2Bx auth Y3JtIGtleS80Mit4 Y3JtIGtleS80Mit4";
        assert_eq!(redact(echoed, &secrets), "GET /lookup?k=*** auth *** ***");
    }

    #[test]
    fn secret_names_and_redaction() {
        for ok in ["crm_key", "a", "k1"] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "1key", "CRM", "crm-key", "_x", &"a".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        assert_eq!(redact("Bearer abcd1234 refused", &["abcd1234".into(), "x".into()]), "Bearer *** refused");
    }

    #[test]
    fn the_key_file_is_created_once_private_and_read_back() {
        let dir = std::env::temp_dir().join(format!("sb-key-{}-{}", std::process::id(), line!()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}/sb.db?mode=rwc", dir.display());
        let path = key_file_path(&url).unwrap();
        assert_eq!(path, dir.join("sb.db.key"));
        let _ = std::fs::remove_file(&path);
        let (first, created) = load_or_create_key_file(&path).unwrap();
        assert!(created);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let (again, created) = load_or_create_key_file(&path).unwrap();
        assert_eq!((again.id(), created), (first.id(), false));
        assert_eq!(key_file_path("sqlite::memory:"), None);
        assert_eq!(key_file_path("postgres://db/sb"), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
