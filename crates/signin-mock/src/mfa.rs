//! Virtual MFA devices for `AssumeRole`'s `SerialNumber` + `TokenCode`.
//!
//! A code is RFC 6238 TOTP with HMAC-SHA256 (RFC 6238 §1.2 allows it), a 30-second step and
//! six digits; the key is the UTF-8 bytes of the device's configured `secret`. A test computes
//! it in a few lines (Python: `hmac.new(secret.encode(), struct.pack(">Q", int(time.time()) // 30),
//! "sha256")` then RFC 4226 dynamic truncation), or asks `GET /__admin/mfa/{serial}/code`.
//! The codes of the previous, current and next step are accepted (clock drift, as AWS allows),
//! and each one only once per device.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Seconds per TOTP step.
pub const STEP_SECS: i64 = 30;

/// The six-digit code of `secret` for TOTP step `step` (`unix_secs / 30`).
pub fn code_at_step(secret: &str, step: i64) -> String {
    let counter = u64::try_from(step).unwrap_or(0);
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    // RFC 4226 §5.3 dynamic truncation: the low nibble of the last byte picks four bytes.
    let offset = usize::from(digest[digest.len() - 1] & 0x0f);
    let binary = (u32::from(digest[offset] & 0x7f) << 24)
        | (u32::from(digest[offset + 1]) << 16)
        | (u32::from(digest[offset + 2]) << 8)
        | u32::from(digest[offset + 3]);
    format!("{:06}", binary % 1_000_000)
}

/// The step a Unix time falls in.
pub fn step_of(unix_secs: i64) -> i64 {
    unix_secs.div_euclid(STEP_SECS)
}

/// The step whose code equals `code`, among the previous, current and next step.
pub fn matching_step(secret: &str, code: &str, now_secs: i64) -> Option<i64> {
    let now = step_of(now_secs);
    [now, now - 1, now + 1]
        .into_iter()
        .find(|step| code_at_step(secret, *step) == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-256 column (8 digits there; the low six digits here), with the
    /// RFC's 32-byte SHA-256 seed.
    #[test]
    fn rfc6238_sha256_vectors() {
        let seed = "12345678901234567890123456789012";
        for (time, eight_digits) in [
            (59_i64, "46119246"),
            (1_111_111_109, "68084774"),
            (1_111_111_111, "67062674"),
            (1_234_567_890, "91819424"),
            (2_000_000_000, "90698825"),
        ] {
            assert_eq!(
                code_at_step(seed, step_of(time)),
                eight_digits[2..],
                "T = {time}"
            );
        }
    }

    #[test]
    fn accepts_one_step_of_drift_and_no_more() {
        let secret = "s3cret";
        let now = 1_700_000_000;
        let current = code_at_step(secret, step_of(now));
        assert_eq!(matching_step(secret, &current, now), Some(step_of(now)));
        let previous = code_at_step(secret, step_of(now) - 1);
        assert_eq!(
            matching_step(secret, &previous, now),
            Some(step_of(now) - 1)
        );
        let stale = code_at_step(secret, step_of(now) - 3);
        if stale != current && stale != previous && stale != code_at_step(secret, step_of(now) + 1)
        {
            assert_eq!(matching_step(secret, &stale, now), None);
        }
        assert_eq!(matching_step(secret, "12345", now), None);
    }
}
