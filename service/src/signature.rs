//! Webhook signatures, two ways on every delivery, so receivers can reuse
//! the verification code they have:
//!
//! - Stripe's scheme: `Usd1-Signature: t=<unix>,v1=<hex>` with
//!   `v1 = HMAC-SHA256(secret, "<t>.<body>")`;
//! - Standard Webhooks (standardwebhooks.com, whose libraries verify it
//!   unchanged): `webhook-id`, `webhook-timestamp` and `webhook-signature:
//!   v1,<base64>` with `HMAC-SHA256(key, "<id>.<t>.<body>")`, the key being
//!   the base64 after the secret's `whsec_`.
//!
//! One signature per live secret (two during a rotation).
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const SIGNATURE_HEADER: &str = "Usd1-Signature";
pub const EVENT_ID_HEADER: &str = "Usd1-Event-Id";
pub const STANDARD_ID_HEADER: &str = "webhook-id";
pub const STANDARD_TIMESTAMP_HEADER: &str = "webhook-timestamp";
pub const STANDARD_SIGNATURE_HEADER: &str = "webhook-signature";

/// A new signing secret: `whsec_` and 32 random bytes in base64, as
/// Standard Webhooks writes them.
pub fn new_secret() -> String {
    format!("whsec_{}", B64.encode(rand::random::<[u8; 32]>()))
}

/// The Standard Webhooks key of `secret`: the base64 after `whsec_` (the
/// libraries' reading; a secret that is not base64 signs with its bytes).
fn standard_key(secret: &str) -> Vec<u8> {
    let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
    B64.decode(encoded)
        .ok()
        .filter(|k| !k.is_empty())
        .unwrap_or_else(|| secret.as_bytes().to_vec())
}

fn standard_mac(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(&standard_key(secret)).expect("any key length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    B64.encode(mac.finalize().into_bytes())
}

/// `webhook-signature`'s value for message `id` with `body` signed at
/// `timestamp` by each secret: `v1,<base64>` separated by spaces.
pub fn sign_standard(secrets: &[&str], id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets
        .iter()
        .map(|s| format!("v1,{}", standard_mac(s, id, timestamp, body)))
        .collect::<Vec<_>>()
        .join(" ")
}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    usd1_client::hex(&mac.finalize().into_bytes())
}

/// The header's value for `body` signed at `timestamp` by each secret.
pub fn sign(secrets: &[&str], timestamp: i64, body: &[u8]) -> String {
    let mut parts = vec![format!("t={timestamp}")];
    parts.extend(
        secrets
            .iter()
            .map(|s| format!("v1={}", mac(s, timestamp, body))),
    );
    parts.join(",")
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    #[error("the signature header is malformed")]
    Malformed,
    #[error("no v1 signature matches the body")]
    NoMatch,
    #[error("the signature is {0} s away from now (tolerance {1} s)")]
    Stale(i64, i64),
}

/// A receiver's check: some `v1` matches `secret` and `t` is within
/// `tolerance` seconds of `now` (replays of old requests refused).
pub fn verify(
    header: &str,
    secret: &str,
    body: &[u8],
    now: i64,
    tolerance: i64,
) -> Result<(), VerifyError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => {
                timestamp = Some(t.parse::<i64>().map_err(|_| VerifyError::Malformed)?)
            }
            Some(("v1", v)) => signatures.push(v),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(VerifyError::Malformed)?;
    let expected = mac(secret, timestamp, body);
    // Compared in constant time.
    let matches = |candidate: &&str| {
        candidate.len() == expected.len()
            && candidate
                .bytes()
                .zip(expected.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    };
    if !signatures.iter().any(matches) {
        return Err(VerifyError::NoMatch);
    }
    if (now - timestamp).abs() > tolerance {
        return Err(VerifyError::Stale(now - timestamp, tolerance));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn standard_webhooks_sign_as_their_specification_shows() {
        // The Standard Webhooks specification's example, which its PyPI library signs the same.
        let signed = super::sign_standard(
            &["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(signed, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    use super::*;

    #[test]
    fn signs_like_stripe_and_verifies() {
        let body = br#"{"id":"evt_1"}"#;
        let header = sign(&["whsec_a"], 1_700_000_000, body);
        // HMAC-SHA256("whsec_a", "1700000000.{\"id\":\"evt_1\"}"), by Python's hmac module.
        assert_eq!(
            header,
            "t=1700000000,v1=97ea69f91fd566038386bacf87292eb0d73a8207414ee62ed313d49996fe0639"
        );
        assert_eq!(verify(&header, "whsec_a", body, 1_700_000_010, 300), Ok(()));
        assert_eq!(
            verify(&header, "whsec_b", body, 1_700_000_010, 300),
            Err(VerifyError::NoMatch)
        );
        assert_eq!(
            verify(&header, "whsec_a", b"{}", 1_700_000_010, 300),
            Err(VerifyError::NoMatch)
        );
        assert_eq!(
            verify(&header, "whsec_a", body, 1_700_001_000, 300),
            Err(VerifyError::Stale(1000, 300))
        );
        let both = sign(&["whsec_new", "whsec_old"], 5, body);
        assert_eq!(verify(&both, "whsec_old", body, 5, 300), Ok(()));
        assert_eq!(verify(&both, "whsec_new", body, 5, 300), Ok(()));
    }
}
