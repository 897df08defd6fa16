//! The refresh exchange as a state machine: plan, send, fold the answer in.
//!
//! ```text
//! Refresh::plan(entry, now) ─┬─ Fresh(credentials)            use them
//!                            └─ Send(pending)
//!                                 pending.request(url, iat, jti) → HttpRequest   (again per retry)
//!                                 pending.on_response(&resp, now) → Refreshed { entry, credentials }
//! ```
//! The driver re-reads the file under its lock before planning (another
//! process may have refreshed already) and writes `Refreshed::entry` back.

use time::OffsetDateTime;

use crate::cache::{CacheEntry, CacheError, RefreshPlan};
use crate::credentials::Credentials;
use crate::dpop::DpopKey;
use crate::http::{HttpRequest, HttpResponse};
use crate::token::{parse_token_response, TokenError, TokenRequest};

/// What to do with a cache entry now.
// Short-lived value handed straight to the caller; boxing buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Refresh {
    /// More than five minutes left.
    Fresh(Credentials),
    /// Call the token endpoint first.
    Send(PendingRefresh),
}

impl Refresh {
    /// Plans with the 5-minute window of [`RefreshPlan::decide`].
    pub fn plan(entry: CacheEntry, now: OffsetDateTime) -> Result<Refresh, CacheError> {
        match RefreshPlan::decide(&entry, now) {
            RefreshPlan::Fresh(creds) => Ok(Refresh::Fresh(creds)),
            RefreshPlan::NeedsRefresh => Ok(Refresh::Send(PendingRefresh::new(entry)?)),
        }
    }

    /// Refreshes regardless of the time left (e.g. `--force`).
    pub fn force(entry: CacheEntry) -> Result<PendingRefresh, CacheError> {
        PendingRefresh::new(entry)
    }
}

/// A refresh waiting for the token endpoint's answer.
#[derive(Debug, Clone)]
pub struct PendingRefresh {
    entry: CacheEntry,
    key: DpopKey,
}

/// The outcome of a successful refresh.
#[derive(Debug, Clone)]
pub struct Refreshed {
    /// The entry to write back (atomically) to the cache file.
    pub entry: CacheEntry,
    /// The new credentials.
    pub credentials: Credentials,
}

impl PendingRefresh {
    fn new(entry: CacheEntry) -> Result<Self, CacheError> {
        let key = entry.dpop_key()?;
        Ok(Self { entry, key })
    }

    /// The entry being refreshed.
    pub fn entry(&self) -> &CacheEntry {
        &self.entry
    }

    /// The refresh request for `token_url` with a fresh proof. Call again
    /// for each retry with a new `jti` (the service rejects replays). When
    /// the entry has `signInRegion`, peers send to that region's endpoint.
    pub fn request(&self, token_url: &str, iat: i64, jti: &str) -> HttpRequest {
        TokenRequest::refresh(
            &self.entry.client_id,
            &self.entry.refresh_token,
            token_url,
            &self.key,
            iat,
            jti,
        )
    }

    /// Folds the token endpoint's answer in. On a retryable error the
    /// pending refresh stays usable for another attempt.
    pub fn on_response(
        &self,
        response: &HttpResponse,
        now: OffsetDateTime,
    ) -> Result<Refreshed, TokenError> {
        let output = parse_token_response(response)?;
        let mut entry = self.entry.clone();
        entry.apply_refresh(&output, now);
        let credentials = entry.credentials();
        Ok(Refreshed { entry, credentials })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dpop::DpopProof;
    use time::macros::datetime;
    use time::Duration;

    fn entry() -> CacheEntry {
        let key = DpopKey::from_scalar_bytes(&[3u8; 32]).unwrap();
        let text = serde_json::json!({
            "accessToken": {"accessKeyId": "ASIAOLD", "secretAccessKey": "s", "sessionToken": "t", "accountId": "123456789012", "expiresAt": "2025-12-05T10:51:31Z"},
            "tokenType": "aws_sigv4",
            "clientId": "arn:aws:signin:::devtools/same-device",
            "refreshToken": "rt-1",
            "dpopKey": key.to_sec1_pem().expose(),
        })
        .to_string();
        CacheEntry::from_json(text.as_bytes()).unwrap()
    }

    #[test]
    fn fresh_entry_needs_nothing() {
        let now = datetime!(2025-12-05 10:40:00 UTC);
        assert!(matches!(
            Refresh::plan(entry(), now).unwrap(),
            Refresh::Fresh(_)
        ));
    }

    #[test]
    fn stale_entry_refreshes() {
        let now = datetime!(2025-12-05 10:50:00 UTC);
        let Refresh::Send(pending) = Refresh::plan(entry(), now).unwrap() else {
            panic!("expected a refresh")
        };
        let req = pending.request("http://127.0.0.1:1/v1/token", now.unix_timestamp(), "j1");
        let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
        assert_eq!(body["refreshToken"], "rt-1");
        let proof = DpopProof::verify(req.header("DPoP").unwrap()).unwrap();
        assert_eq!(
            proof.thumbprint,
            pending.entry().dpop_key().unwrap().thumbprint()
        );

        let err = pending
            .on_response(
                &HttpResponse::new(500, vec![], r#"{"error":"server_error","message":"x"}"#),
                now,
            )
            .unwrap_err();
        assert!(err.is_retryable());

        let ok = HttpResponse::new(
            200,
            vec![],
            r#"{"accessToken":{"accessKeyId":"ASIANEW","secretAccessKey":"s2","sessionToken":"t2"},"tokenType":"aws_sigv4","expiresIn":900,"refreshToken":"rt-2"}"#,
        );
        let done = pending.on_response(&ok, now).unwrap();
        assert_eq!(done.credentials.access_key_id, "ASIANEW");
        assert_eq!(done.credentials.expiration, now + Duration::seconds(900));
        assert_eq!(done.credentials.account_id.as_deref(), Some("123456789012"));
        assert_eq!(done.entry.refresh_token.expose(), "rt-2");
    }
}
