//! The signature of a signed webhook (`POST /api/webhooks/{workflow}`): the sender sends
//! `X-Switchboard-Timestamp` and `X-Switchboard-Signature: sha256=HEX(HMAC-SHA256(secret,
//! "{timestamp}.{raw body}"))`. Built on the channels' HMAC, so there is one implementation.

/// The signature a webhook sender computes.
pub fn sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
    format!("sha256={}", hex::encode(mac(secret, timestamp, body)))
}

/// Whether `signature` (the header's value) signs `timestamp` and `body` under `secret`,
/// compared in constant time.
pub fn verify(secret: &str, timestamp: &str, body: &[u8], signature: &str) -> bool {
    let given = signature.trim().strip_prefix("sha256=").and_then(|h| hex::decode(h).ok()).unwrap_or_default();
    channels::same(&given, &mac(secret, timestamp, body))
}

fn mac(secret: &str, timestamp: &str, body: &[u8]) -> Vec<u8> {
    channels::hmac_sha256_parts(secret, &[timestamp.as_bytes(), b".", body])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_for_its_secret_timestamp_and_body() {
        let signature = sign("whsec_1", "1700000000", b"{}");
        assert!(signature.starts_with("sha256=") && signature.len() == 7 + 64);
        assert!(verify("whsec_1", "1700000000", b"{}", &signature));
        assert!(!verify("whsec_2", "1700000000", b"{}", &signature));
        assert!(!verify("whsec_1", "1700000001", b"{}", &signature));
        assert!(!verify("whsec_1", "1700000000", b"{ }", &signature));
        assert!(!verify("whsec_1", "1700000000", b"{}", "sha256=zz"));
    }
}
