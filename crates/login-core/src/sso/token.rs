//! The SSO token cache file `~/.aws/sso/cache/<sha1(key)>.json`, where the key
//! is the `[sso-session]` name (or, for a legacy profile, its start URL).
//!
//! Read from every writer: AWS CLI / botocore (`json.dumps`, `…Z`), old AWS CLI
//! (`…UTC`), the JS SDK (indent 2, milliseconds), the Rust SDK (compact,
//! microseconds, keys matched case-insensitively) and Go (sorted keys).
//! Written as AWS CLI writes it: one line, `", "` / `": "`, second-precision
//! `Z` time stamps, keys in `aws sso login`'s order, then any keys we did not
//! know (so another tool's extra fields survive our refresh).

use std::fmt;

use serde_json::{Map, Value};
use time::{Duration, OffsetDateTime};

use crate::http::HttpRequest;
use crate::pyjson;
use crate::secret::SecretString;
use crate::timefmt;

use super::oidc::{self, CreateTokenOutput};
use super::sha1_hex;

/// `sha1(key)` in lowercase hex plus `.json`: the token file of an
/// `[sso-session]` (key = its name) or a legacy profile (key = its start URL,
/// exactly as configured).
pub fn token_cache_file_name(key: &str) -> String {
    format!("{}.json", sha1_hex(key))
}

/// Why a token file cannot be used. The file is never repaired or deleted;
/// the driver adds the `sso login` command that replaces it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SsoTokenError {
    /// Empty, half-written or not JSON.
    #[error("the SSO token file is not valid JSON ({0}); it may be half-written by another tool")]
    NotJson(String),
    /// JSON, but not an object.
    #[error(
        "the SSO token file does not hold a JSON object; sign in again with `aws-login sso login`"
    )]
    NotAnObject,
    /// `accessToken` or `expiresAt` is absent or empty.
    #[error("the SSO token file is missing {}", .0.join(", "))]
    MissingFields(Vec<&'static str>),
    /// A field has the wrong type or an unreadable value.
    #[error("the SSO token file has an invalid `{field}` ({reason})")]
    InvalidField {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl SsoTokenError {
    /// The variant's stable name (fixtures, bindings).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::NotJson(_) => "NotJson",
            Self::NotAnObject => "NotAnObject",
            Self::MissingFields(_) => "MissingFields",
            Self::InvalidField { .. } => "InvalidField",
        }
    }
}

/// One cached IAM Identity Center access token, with what refreshing it needs.
#[derive(Clone, PartialEq)]
pub struct SsoToken {
    /// `startUrl` as configured.
    pub start_url: Option<String>,
    /// `region` of the Identity Center instance.
    pub region: Option<String>,
    /// `accessToken`: the bearer token for the portal.
    pub access_token: SecretString,
    /// `expiresAt`.
    pub expires_at: OffsetDateTime,
    /// `clientId` of the registration the token was issued to.
    pub client_id: Option<String>,
    /// `clientSecret` of that registration.
    pub client_secret: Option<SecretString>,
    /// `registrationExpiresAt`: when the registration (and so refreshing) ends.
    pub registration_expires_at: Option<OffsetDateTime>,
    /// `refreshToken`, when the service issued one.
    pub refresh_token: Option<SecretString>,
    /// Keys we do not know, written back after ours.
    pub extra: Map<String, Value>,
}

impl fmt::Debug for SsoToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SsoToken")
            .field("start_url", &self.start_url)
            .field("region", &self.region)
            .field("expires_at", &timefmt::format_expires_at(self.expires_at))
            .field("client_id", &self.client_id)
            .field(
                "registration_expires_at",
                &self.registration_expires_at.map(timefmt::format_expires_at),
            )
            .field("refreshable", &self.refresh_token.is_some())
            .field("secrets", &"[redacted]")
            .finish_non_exhaustive()
    }
}

/// What to do with a cached token at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPlan {
    /// More than the refresh window left: use it.
    Fresh,
    /// Inside the window and refreshable: take the lock, re-read, refresh.
    Refresh,
    /// Inside the window, cannot be refreshed, not expired yet: use it.
    UseUnrefreshable(UnrefreshableReason),
    /// Expired and cannot be refreshed: only `sso login` helps.
    Expired(UnrefreshableReason),
}

/// Why a token cannot be refreshed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnrefreshableReason {
    /// No `refreshToken` (legacy profile, or a refresh answer that had none).
    NoRefreshToken,
    /// No `clientId` / `clientSecret` / `registrationExpiresAt`.
    NoRegistration,
    /// `registrationExpiresAt` has passed.
    RegistrationExpired,
}

impl UnrefreshableReason {
    /// Words for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Self::NoRefreshToken => "the cached token has no refresh token",
            Self::NoRegistration => "the cached token has no client registration",
            Self::RegistrationExpired => "its client registration has expired",
        }
    }
}

const KNOWN: [&str; 8] = [
    "startUrl",
    "region",
    "accessToken",
    "expiresAt",
    "clientId",
    "clientSecret",
    "registrationExpiresAt",
    "refreshToken",
];

impl SsoToken {
    /// A token from a successful `CreateToken` (login): `expiresAt = now +
    /// expiresIn`, the registration's id, secret and expiry copied in.
    pub fn from_create_token(
        output: &CreateTokenOutput,
        start_url: &str,
        region: &str,
        registration: &super::Registration,
        now: OffsetDateTime,
    ) -> SsoToken {
        SsoToken {
            start_url: Some(start_url.to_owned()),
            region: Some(region.to_owned()),
            access_token: output.access_token.clone(),
            expires_at: expiry(now, output.expires_in),
            client_id: Some(registration.client_id.clone()),
            client_secret: Some(registration.client_secret.clone()),
            registration_expires_at: Some(registration.expires_at),
            refresh_token: output.refresh_token.clone(),
            extra: Map::new(),
        }
    }

    /// Reads a token file's bytes.
    pub fn from_json(bytes: &[u8]) -> Result<SsoToken, SsoTokenError> {
        let value: Value =
            serde_json::from_slice(bytes).map_err(|e| SsoTokenError::NotJson(e.to_string()))?;
        let Value::Object(map) = value else {
            return Err(SsoTokenError::NotAnObject);
        };
        let mut known: [Option<Value>; 8] = Default::default();
        let mut extra = Map::new();
        for (key, value) in map {
            // The Rust SDK matches keys case-insensitively; so do we.
            match KNOWN.iter().position(|k| k.eq_ignore_ascii_case(&key)) {
                Some(i) if known[i].is_none() => known[i] = Some(value),
                Some(_) => {}
                None => {
                    extra.insert(key, value);
                }
            }
        }
        let [start_url, region, access_token, expires_at, client_id, client_secret, registration_expires_at, refresh_token] =
            known;
        let text =
            |field: &'static str, v: Option<Value>| -> Result<Option<String>, SsoTokenError> {
                match v {
                    None | Some(Value::Null) => Ok(None),
                    Some(Value::String(s)) if s.is_empty() => Ok(None),
                    Some(Value::String(s)) => Ok(Some(s)),
                    Some(_) => Err(SsoTokenError::InvalidField {
                        field,
                        reason: "not a string",
                    }),
                }
            };
        let time = |field: &'static str,
                    v: Option<String>|
         -> Result<Option<OffsetDateTime>, SsoTokenError> {
            v.map(|s| {
                parse_cache_time(&s).ok_or(SsoTokenError::InvalidField {
                    field,
                    reason: "not a time stamp",
                })
            })
            .transpose()
        };
        let access_token = text("accessToken", access_token)?;
        let expires_at = time("expiresAt", text("expiresAt", expires_at)?)?;
        let mut missing = Vec::new();
        if access_token.is_none() {
            missing.push("accessToken");
        }
        if expires_at.is_none() {
            missing.push("expiresAt");
        }
        let (Some(access_token), Some(expires_at)) = (access_token, expires_at) else {
            return Err(SsoTokenError::MissingFields(missing));
        };
        Ok(SsoToken {
            start_url: text("startUrl", start_url)?,
            region: text("region", region)?,
            access_token: SecretString::new(access_token),
            expires_at,
            client_id: text("clientId", client_id)?,
            client_secret: text("clientSecret", client_secret)?.map(SecretString::new),
            registration_expires_at: time(
                "registrationExpiresAt",
                text("registrationExpiresAt", registration_expires_at)?,
            )?,
            refresh_token: text("refreshToken", refresh_token)?.map(SecretString::new),
            extra,
        })
    }

    /// The file as AWS CLI writes it (`json.dumps`, no trailing newline).
    pub fn to_json(&self) -> String {
        let mut map = Map::new();
        let mut put = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                map.insert(k.to_owned(), Value::String(v));
            }
        };
        put("startUrl", self.start_url.clone());
        put("region", self.region.clone());
        put("accessToken", Some(self.access_token.expose().to_owned()));
        put(
            "expiresAt",
            Some(timefmt::format_expires_at(self.expires_at)),
        );
        put("clientId", self.client_id.clone());
        put(
            "clientSecret",
            self.client_secret.as_ref().map(|s| s.expose().to_owned()),
        );
        put(
            "registrationExpiresAt",
            self.registration_expires_at.map(timefmt::format_expires_at),
        );
        put(
            "refreshToken",
            self.refresh_token.as_ref().map(|s| s.expose().to_owned()),
        );
        for (k, v) in &self.extra {
            map.entry(k.clone()).or_insert_with(|| v.clone());
        }
        pyjson::dumps(&Value::Object(map))
    }

    /// Seconds left at `now` (negative once expired).
    pub fn seconds_left(&self, now: OffsetDateTime) -> i64 {
        (self.expires_at - now).whole_seconds()
    }

    /// Why the token cannot be refreshed at `now`, or `None` when it can.
    pub fn unrefreshable(&self, now: OffsetDateTime) -> Option<UnrefreshableReason> {
        if self.client_id.is_none() || self.client_secret.is_none() {
            return Some(UnrefreshableReason::NoRegistration);
        }
        match self.registration_expires_at {
            None => return Some(UnrefreshableReason::NoRegistration),
            Some(at) if at <= now => return Some(UnrefreshableReason::RegistrationExpired),
            Some(_) => {}
        }
        if self.refresh_token.is_none() {
            return Some(UnrefreshableReason::NoRefreshToken);
        }
        None
    }

    /// The refresh rule: fresh while more than `window_seconds` remain
    /// ([`super::TOKEN_REFRESH_WINDOW_SECONDS`]), else refresh if possible.
    pub fn plan(&self, now: OffsetDateTime, window_seconds: i64) -> TokenPlan {
        if self.seconds_left(now) > window_seconds {
            return TokenPlan::Fresh;
        }
        match self.unrefreshable(now) {
            None => TokenPlan::Refresh,
            Some(reason) if self.seconds_left(now) > 0 => TokenPlan::UseUnrefreshable(reason),
            Some(reason) => TokenPlan::Expired(reason),
        }
    }

    /// `CreateToken` with the refresh grant, or `None` when not refreshable
    /// (see [`SsoToken::unrefreshable`], which also checks the registration's
    /// expiry).
    pub fn refresh_request(&self, oidc_base: &str) -> Option<HttpRequest> {
        Some(oidc::create_token_refresh(
            oidc_base,
            self.client_id.as_deref()?,
            self.client_secret.as_ref()?,
            self.refresh_token.as_ref()?,
        ))
    }

    /// The token after a successful refresh at `now`. A response without a
    /// `refreshToken` keeps the old one (as the Rust SDK does; botocore drops
    /// it, which leaves a file that can never be refreshed again), so the file
    /// stays usable and refreshable as long as the service accepts it.
    pub fn apply_refresh(&self, output: &CreateTokenOutput, now: OffsetDateTime) -> SsoToken {
        let mut next = self.clone();
        next.access_token = output.access_token.clone();
        next.expires_at = expiry(now, output.expires_in);
        if let Some(rt) = &output.refresh_token {
            next.refresh_token = Some(rt.clone());
        }
        next
    }
}

/// `now + expires_in`, truncated to whole seconds as AWS CLI writes it.
fn expiry(now: OffsetDateTime, expires_in: i64) -> OffsetDateTime {
    let at = now + Duration::seconds(expires_in);
    at.replace_nanosecond(0).unwrap_or(at)
}

/// The time stamps every writer uses: RFC 3339 with `Z` or an offset, with or
/// without a fraction, a bare local-less time (UTC), and the pre-2.1.14 AWS
/// CLI spelling `2019-10-26T05:19:09UTC`.
pub fn parse_cache_time(text: &str) -> Option<OffsetDateTime> {
    let text = text.trim();
    if let Some(bare) = text.strip_suffix("UTC") {
        return timefmt::parse_timestamp(bare.trim_end());
    }
    timefmt::parse_timestamp(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const CLI: &str = r#"{"startUrl": "https://d-1234567890.awsapps.com/start", "region": "us-east-1", "accessToken": "AT", "expiresAt": "2025-01-02T04:04:05Z", "clientId": "CID", "clientSecret": "CSECRET", "registrationExpiresAt": "2025-04-02T02:46:40Z", "refreshToken": "RT"}"#;

    #[test]
    fn cli_file_round_trips_byte_for_byte() {
        let t = SsoToken::from_json(CLI.as_bytes()).unwrap();
        assert_eq!(t.expires_at, datetime!(2025-01-02 04:04:05 UTC));
        assert_eq!(t.to_json(), CLI);
        assert!(!format!("{t:?}").contains("CSECRET"));
        assert!(!format!("{t:?}").contains("\"AT\""));
    }

    #[test]
    fn reads_other_writers() {
        let js = "{\n  \"startUrl\": \"u\",\n  \"region\": \"us-east-1\",\n  \"accessToken\": \"AT\",\n  \"expiresAt\": \"2025-01-02T04:04:05.123Z\",\n  \"refreshToken\": \"RT\",\n  \"ssoSessionName\": \"x\"\n}";
        let t = SsoToken::from_json(js.as_bytes()).unwrap();
        assert_eq!(t.expires_at, datetime!(2025-01-02 04:04:05.123 UTC));
        assert_eq!(t.extra["ssoSessionName"], "x");
        let rust = r#"{"AccessToken":"AT","ExpiresAt":"2025-01-02T04:04:05.123456Z"}"#;
        let t = SsoToken::from_json(rust.as_bytes()).unwrap();
        assert_eq!(t.expires_at, datetime!(2025-01-02 04:04:05.123456 UTC));
        let old = r#"{"startUrl": "u", "region": "r", "accessToken": "AT", "expiresAt": "2019-10-26T05:19:09UTC"}"#;
        let t = SsoToken::from_json(old.as_bytes()).unwrap();
        assert_eq!(t.expires_at, datetime!(2019-10-26 05:19:09 UTC));
        assert_eq!(
            t.plan(datetime!(2019-10-26 05:10:00 UTC), 900),
            TokenPlan::UseUnrefreshable(UnrefreshableReason::NoRegistration)
        );
    }

    #[test]
    fn rejects_unusable_files() {
        assert_eq!(SsoToken::from_json(b"").unwrap_err().kind(), "NotJson");
        assert_eq!(
            SsoToken::from_json(br#"{"accessToken": "A"#)
                .unwrap_err()
                .kind(),
            "NotJson"
        );
        assert_eq!(
            SsoToken::from_json(b"[]").unwrap_err().kind(),
            "NotAnObject"
        );
        assert_eq!(
            SsoToken::from_json(br#"{"accessToken": ""}"#).unwrap_err(),
            SsoTokenError::MissingFields(vec!["accessToken", "expiresAt"])
        );
        let e = SsoToken::from_json(br#"{"accessToken": "a", "expiresAt": "soon"}"#).unwrap_err();
        assert_eq!(e.kind(), "InvalidField");
        assert!(e.to_string().contains("expiresAt"), "{e}");
        let e = SsoToken::from_json(br#"{"accessToken": 5, "expiresAt": "2025-01-01T00:00:00Z"}"#)
            .unwrap_err();
        assert_eq!(e.kind(), "InvalidField");
    }

    #[test]
    fn plan_follows_the_window() {
        let t = SsoToken::from_json(CLI.as_bytes()).unwrap();
        let exp = datetime!(2025-01-02 04:04:05 UTC);
        assert_eq!(t.plan(exp - Duration::seconds(901), 900), TokenPlan::Fresh);
        assert_eq!(
            t.plan(exp - Duration::seconds(900), 900),
            TokenPlan::Refresh
        );
        assert_eq!(t.plan(exp + Duration::hours(1), 900), TokenPlan::Refresh);
        let after_registration = datetime!(2025-04-03 00:00:00 UTC);
        assert_eq!(
            t.plan(after_registration, 900),
            TokenPlan::Expired(UnrefreshableReason::RegistrationExpired)
        );
        let mut no_rt = t.clone();
        no_rt.refresh_token = None;
        assert_eq!(
            no_rt.plan(exp - Duration::seconds(60), 900),
            TokenPlan::UseUnrefreshable(UnrefreshableReason::NoRefreshToken)
        );
        assert!(no_rt.refresh_request("http://x").is_none());
    }

    #[test]
    fn refresh_keeps_the_old_refresh_token_when_none_comes_back() {
        let t = SsoToken::from_json(CLI.as_bytes()).unwrap();
        let now = datetime!(2025-01-02 04:00:00.75 UTC);
        let out = CreateTokenOutput {
            access_token: SecretString::new("AT2"),
            expires_in: 3600,
            refresh_token: None,
            token_type: Some("Bearer".into()),
        };
        let next = t.apply_refresh(&out, now);
        assert_eq!(next.expires_at, datetime!(2025-01-02 05:00:00 UTC));
        assert_eq!(next.refresh_token.as_ref().unwrap().expose(), "RT");
        assert_eq!(
            next.to_json(),
            CLI.replace("\"AT\"", "\"AT2\"")
                .replace("2025-01-02T04:04:05Z", "2025-01-02T05:00:00Z")
        );
        let rotated = CreateTokenOutput {
            refresh_token: Some(SecretString::new("RT2")),
            ..out
        };
        assert_eq!(
            t.apply_refresh(&rotated, now)
                .refresh_token
                .unwrap()
                .expose(),
            "RT2"
        );
    }
}
