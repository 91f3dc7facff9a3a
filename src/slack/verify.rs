//! Slack request signing (v0): HMAC-SHA256 over `v0:{timestamp}:{raw body}` with the app's
//! signing secret, compared in constant time, with the timestamp within five minutes of now.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// How far a request's timestamp may be from our clock, either way (Slack's own guidance:
/// enough for clock skew, short enough that a captured request cannot be replayed later).
pub const MAX_CLOCK_SKEW_SECS: i64 = 5 * 60;

/// Why a request was refused. The text goes to logs, never the request body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("missing X-Slack-Request-Timestamp header")]
    MissingTimestamp,
    #[error("missing X-Slack-Signature header")]
    MissingSignature,
    #[error("timestamp is not a number")]
    BadTimestamp,
    #[error("timestamp is {0} s away from now (limit {MAX_CLOCK_SKEW_SECS} s)")]
    Stale(i64),
    #[error("signature version is not v0")]
    BadVersion,
    #[error("signature does not match")]
    BadSignature,
    #[error("body larger than {0} bytes")]
    TooLarge(usize),
}

/// Checks one request. `timestamp` and `signature` are the raw header values, `now_secs` the
/// current Unix time (passed in so tests can freeze it).
pub fn verify(
    secret: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now_secs: i64,
) -> Result<(), VerifyError> {
    let timestamp = timestamp.ok_or(VerifyError::MissingTimestamp)?;
    let signature = signature.ok_or(VerifyError::MissingSignature)?;
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| VerifyError::BadTimestamp)?;
    let skew = now_secs.saturating_sub(ts);
    if skew.abs() > MAX_CLOCK_SKEW_SECS {
        return Err(VerifyError::Stale(skew));
    }
    let hex_sig = signature
        .strip_prefix("v0=")
        .ok_or(VerifyError::BadVersion)?;
    let given = hex::decode(hex_sig).map_err(|_| VerifyError::BadSignature)?;
    let expected = sign_bytes(secret, timestamp, body);
    if bool::from(expected.as_slice().ct_eq(&given)) {
        Ok(())
    } else {
        Err(VerifyError::BadSignature)
    }
}

fn sign_bytes(secret: &[u8], timestamp: &str, body: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail; an empty MAC would simply never match.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return Vec::new();
    };
    mac.update(b"v0:");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

/// The `X-Slack-Signature` value Slack would send for this body (tests, the demo, the emulator).
pub fn sign(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    format!("v0={}", hex::encode(sign_bytes(secret, timestamp, body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"8f742231b10e8888abcd99yyyzzz85a5";
    const TS: &str = "1531420618";
    const BODY: &[u8] = include_bytes!("../../tests/data/slack/slash_command.txt");
    const SIG: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

    #[test]
    fn slacks_published_vector_verifies_with_a_frozen_clock() {
        assert_eq!(sign(SECRET, TS, BODY), SIG);
        assert_eq!(
            verify(SECRET, Some(TS), Some(SIG), BODY, 1_531_420_618),
            Ok(())
        );
        assert_eq!(
            verify(SECRET, Some(TS), Some(SIG), BODY, 1_531_420_618 + 300),
            Ok(())
        );
    }

    #[test]
    fn slacks_vector_is_refused_with_the_real_clock() {
        let now = chrono::Utc::now().timestamp();
        assert!(matches!(
            verify(SECRET, Some(TS), Some(SIG), BODY, now),
            Err(VerifyError::Stale(_))
        ));
    }

    #[test]
    fn each_defect_is_refused_with_its_own_reason() {
        let now = 1_531_420_618;
        type Case<'a> = (Option<&'a str>, Option<&'a str>, &'a [u8], i64, VerifyError);
        let cases: [Case; 9] = [
            (None, Some(SIG), BODY, now, VerifyError::MissingTimestamp),
            (Some(TS), None, BODY, now, VerifyError::MissingSignature),
            (
                Some("soon"),
                Some(SIG),
                BODY,
                now,
                VerifyError::BadTimestamp,
            ),
            (
                Some(TS),
                Some(SIG),
                BODY,
                now + 301,
                VerifyError::Stale(301),
            ),
            (
                Some(TS),
                Some(SIG),
                BODY,
                now - 301,
                VerifyError::Stale(-301),
            ),
            (
                Some(TS),
                Some(&SIG.replacen("v0=", "v1=", 1)),
                BODY,
                now,
                VerifyError::BadVersion,
            ),
            (
                Some(TS),
                Some("v0=00"),
                BODY,
                now,
                VerifyError::BadSignature,
            ),
            (
                Some(TS),
                Some("v0=not-hex"),
                BODY,
                now,
                VerifyError::BadSignature,
            ),
            (
                Some(TS),
                Some(SIG),
                b"token=tampered",
                now,
                VerifyError::BadSignature,
            ),
        ];
        for (ts, sig, body, at, want) in cases {
            assert_eq!(verify(SECRET, ts, sig, body, at), Err(want));
        }
    }
}
