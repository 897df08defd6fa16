//! STS `AssumeRole` as values: the Query API request body (unsigned — the driver signs it with
//! SigV4), the XML response and error parsing, and the role-credential cache that AWS CLI v2
//! keeps in `~/.aws/cli/cache`: the same file name (SHA-1 of the arguments as Python's
//! `json.dumps(args, sort_keys=True)` spells them) and the same content, so both tools reuse each
//! other's role sessions.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use sha1::{Digest, Sha1};
use time::OffsetDateTime;

use crate::chain::RoleStep;
use crate::credentials::Credentials;
use crate::http::{HttpRequest, HttpResponse};
use crate::pyjson;
use crate::secret::SecretString;
use crate::timefmt;

/// The STS API version every SDK sends.
pub const STS_API_VERSION: &str = "2011-06-15";

/// Cached role credentials are reused while more than this many seconds remain (botocore's
/// `AssumeRoleCredentialFetcher` expiry window).
pub const ROLE_CACHE_REUSE_SECONDS: i64 = 15 * 60;

/// The arguments of one AssumeRole call, as botocore builds them from a role profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRoleArgs {
    pub role_arn: String,
    pub role_session_name: String,
    /// True when `role_session_name` was generated (`botocore-session-<unix seconds>`): then it
    /// is left out of the cache key, so the next process finds the same file.
    pub session_name_generated: bool,
    pub external_id: Option<String>,
    /// `mfa_serial`: the call then needs a `TokenCode` from the user.
    pub serial_number: Option<String>,
    pub duration_seconds: Option<u32>,
}

impl AssumeRoleArgs {
    /// The arguments for a planned role step; `now` names a generated session.
    pub fn for_step(step: &RoleStep, now: OffsetDateTime) -> Self {
        let (role_session_name, session_name_generated) = match &step.role_session_name {
            Some(name) => (name.clone(), false),
            None => (format!("botocore-session-{}", now.unix_timestamp()), true),
        };
        AssumeRoleArgs {
            role_arn: step.role_arn.clone(),
            role_session_name,
            session_name_generated,
            external_id: step.external_id.clone(),
            serial_number: step.mfa_serial.clone(),
            duration_seconds: step.duration_seconds,
        }
    }

    /// `json.dumps(args, sort_keys=True)` of the arguments that identify the cached session:
    /// no `TokenCode`, no generated `RoleSessionName`.
    pub fn cache_key_json(&self) -> String {
        let mut args: BTreeMap<&str, Value> = BTreeMap::new();
        args.insert("RoleArn", Value::from(self.role_arn.as_str()));
        if !self.session_name_generated {
            args.insert(
                "RoleSessionName",
                Value::from(self.role_session_name.as_str()),
            );
        }
        if let Some(id) = &self.external_id {
            args.insert("ExternalId", Value::from(id.as_str()));
        }
        if let Some(serial) = &self.serial_number {
            args.insert("SerialNumber", Value::from(serial.as_str()));
        }
        if let Some(seconds) = self.duration_seconds {
            args.insert("DurationSeconds", Value::from(seconds));
        }
        pyjson::dumps(&args)
    }

    /// The cache file name: lowercase hex SHA-1 of [`Self::cache_key_json`] with `:` and `/`
    /// replaced by `_` (botocore's `_make_file_safe`; hex has neither) plus `.json`.
    pub fn cache_file_name(&self) -> String {
        let digest = Sha1::digest(self.cache_key_json().as_bytes());
        let key = hex::encode(digest).replace([':', '/'], "_");
        format!("{key}.json")
    }

    /// The form-encoded Query API body; `token_code` is the MFA code when `serial_number` is set.
    pub fn form_body(&self, token_code: Option<&str>) -> String {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("Action", "AssumeRole");
        form.append_pair("Version", STS_API_VERSION);
        form.append_pair("RoleArn", &self.role_arn);
        form.append_pair("RoleSessionName", &self.role_session_name);
        if let Some(seconds) = self.duration_seconds {
            form.append_pair("DurationSeconds", &seconds.to_string());
        }
        if let Some(id) = &self.external_id {
            form.append_pair("ExternalId", id);
        }
        if let Some(serial) = &self.serial_number {
            form.append_pair("SerialNumber", serial);
        }
        if let Some(code) = token_code {
            form.append_pair("TokenCode", code);
        }
        form.finish()
    }

    /// The unsigned request to `url` (the STS endpoint, e.g. `https://sts.us-east-1.amazonaws.com/`).
    pub fn request(&self, url: &str, token_code: Option<&str>) -> HttpRequest {
        HttpRequest {
            method: "POST".into(),
            url: url.to_owned(),
            headers: vec![(
                "Content-Type".into(),
                "application/x-www-form-urlencoded; charset=utf-8".into(),
            )],
            body: self.form_body(token_code).into_bytes(),
        }
    }
}

/// Why AssumeRole gave no credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StsError {
    /// The caller may not assume the role (trust policy, permissions, wrong `ExternalId`).
    #[error("AccessDenied: {message}")]
    AccessDenied { message: String },
    /// The MFA code was wrong, expired or already used.
    #[error("AccessDenied: {message}")]
    MfaFailed { message: String },
    /// The source credentials have expired.
    #[error("ExpiredToken: {message}")]
    ExpiredToken { message: String },
    /// The source credentials are not known to STS.
    #[error("{code}: {message}")]
    InvalidSourceCredentials { code: String, message: String },
    /// STS is not enabled in the region.
    #[error("RegionDisabledException: {message}")]
    RegionDisabled { message: String },
    /// Throttled (after the driver's retries).
    #[error("{code}: {message}")]
    Throttled { code: String, message: String },
    /// A parameter was refused (e.g. `DurationSeconds` above the role's maximum, or above 1 h
    /// for a chained role session).
    #[error("{code}: {message}")]
    Invalid { code: String, message: String },
    /// Any other error response.
    #[error("HTTP {status} {code}: {message}")]
    Service {
        status: u16,
        code: String,
        message: String,
    },
    /// A response that cannot be read.
    #[error("unreadable STS response (HTTP {status}): {detail}")]
    Malformed { status: u16, detail: String },
}

impl StsError {
    /// The variant's name, stable for bindings and fixtures (`"MfaFailed"`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            StsError::AccessDenied { .. } => "AccessDenied",
            StsError::MfaFailed { .. } => "MfaFailed",
            StsError::ExpiredToken { .. } => "ExpiredToken",
            StsError::InvalidSourceCredentials { .. } => "InvalidSourceCredentials",
            StsError::RegionDisabled { .. } => "RegionDisabled",
            StsError::Throttled { .. } => "Throttled",
            StsError::Invalid { .. } => "Invalid",
            StsError::Service { .. } => "Service",
            StsError::Malformed { .. } => "Malformed",
        }
    }

    /// The STS error code (`AccessDenied`, `ExpiredToken`, …), or `Malformed`.
    pub fn code(&self) -> &str {
        match self {
            StsError::AccessDenied { .. } | StsError::MfaFailed { .. } => "AccessDenied",
            StsError::ExpiredToken { .. } => "ExpiredToken",
            StsError::RegionDisabled { .. } => "RegionDisabledException",
            StsError::InvalidSourceCredentials { code, .. }
            | StsError::Throttled { code, .. }
            | StsError::Invalid { code, .. }
            | StsError::Service { code, .. } => code,
            StsError::Malformed { .. } => "Malformed",
        }
    }

    /// Worth another attempt after a pause (throttling, service faults, garbled answers).
    pub fn retryable(&self) -> bool {
        match self {
            StsError::Throttled { .. } | StsError::Malformed { .. } => true,
            StsError::Service { status, .. } => *status >= 500,
            _ => false,
        }
    }
}

/// A successful AssumeRole, as parsed from the XML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumedRole {
    /// Account id set from the assumed-role ARN.
    pub credentials: Credentials,
    pub assumed_role_arn: String,
    pub assumed_role_id: String,
    pub packed_policy_size: Option<i64>,
    pub source_identity: Option<String>,
    pub request_id: Option<String>,
}

fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn text_of(node: roxmltree::Node<'_, '_>, name: &str) -> Option<String> {
    child(node, name).map(|c| c.text().unwrap_or_default().trim().to_owned())
}

/// Reads an AssumeRole response (success or error XML).
pub fn parse_assume_role_response(response: &HttpResponse) -> Result<AssumedRole, StsError> {
    let status = response.status;
    let malformed = |detail: String| StsError::Malformed { status, detail };
    let text = std::str::from_utf8(&response.body)
        .map_err(|_| malformed("the body is not UTF-8".into()))?;
    if !(200..300).contains(&status) {
        return Err(parse_error(status, text));
    }
    let doc = roxmltree::Document::parse(text).map_err(|e| malformed(format!("not XML: {e}")))?;
    let root = doc.root_element();
    let result = child(root, "AssumeRoleResult")
        .ok_or_else(|| malformed("no AssumeRoleResult element".into()))?;
    let creds =
        child(result, "Credentials").ok_or_else(|| malformed("no Credentials element".into()))?;
    let field = |node, name: &str| {
        text_of(node, name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| malformed(format!("no {name}")))
    };
    let user = child(result, "AssumedRoleUser")
        .ok_or_else(|| malformed("no AssumedRoleUser element".into()))?;
    let arn = field(user, "Arn")?;
    let expiration_text = field(creds, "Expiration")?;
    let expiration = timefmt::parse_timestamp(&expiration_text)
        .ok_or_else(|| malformed(format!("Expiration `{expiration_text}` is not a time")))?;
    Ok(AssumedRole {
        credentials: Credentials {
            access_key_id: field(creds, "AccessKeyId")?,
            secret_access_key: SecretString::from(field(creds, "SecretAccessKey")?),
            session_token: SecretString::from(field(creds, "SessionToken")?),
            expiration,
            account_id: account_of_arn(&arn),
        },
        assumed_role_id: field(user, "AssumedRoleId")?,
        assumed_role_arn: arn,
        packed_policy_size: text_of(result, "PackedPolicySize").and_then(|v| v.parse().ok()),
        source_identity: text_of(result, "SourceIdentity").filter(|v| !v.is_empty()),
        request_id: child(root, "ResponseMetadata").and_then(|m| text_of(m, "RequestId")),
    })
}

fn parse_error(status: u16, text: &str) -> StsError {
    let parsed = roxmltree::Document::parse(text).ok().and_then(|doc| {
        let error = doc
            .descendants()
            .find(|n| n.is_element() && n.tag_name().name() == "Error")?;
        Some((
            text_of(error, "Code").unwrap_or_default(),
            text_of(error, "Message").unwrap_or_default(),
        ))
    });
    let Some((code, message)) = parsed.filter(|(code, _)| !code.is_empty()) else {
        let snippet: String = text.chars().take(200).collect();
        return if status >= 500 || status == 429 {
            StsError::Service {
                status,
                code: format!("HTTP{status}"),
                message: snippet,
            }
        } else {
            StsError::Malformed {
                status,
                detail: format!("no STS error in the body: {snippet}"),
            }
        };
    };
    match code.as_str() {
        "AccessDenied"
            if message.contains("MultiFactorAuthentication") || message.contains("MFA") =>
        {
            StsError::MfaFailed { message }
        }
        "AccessDenied" => StsError::AccessDenied { message },
        "ExpiredToken" | "ExpiredTokenException" => StsError::ExpiredToken { message },
        "InvalidClientTokenId"
        | "SignatureDoesNotMatch"
        | "IncompleteSignature"
        | "MissingAuthenticationToken" => StsError::InvalidSourceCredentials { code, message },
        "RegionDisabledException" => StsError::RegionDisabled { message },
        "Throttling"
        | "ThrottlingException"
        | "RequestLimitExceeded"
        | "TooManyRequestsException" => StsError::Throttled { code, message },
        "ValidationError"
        | "MalformedPolicyDocument"
        | "PackedPolicyTooLarge"
        | "InvalidParameterValue"
        | "MissingParameter" => StsError::Invalid { code, message },
        _ => StsError::Service {
            status,
            code,
            message,
        },
    }
}

/// The account field of an ARN when it is 12 digits.
fn account_of_arn(arn: &str) -> Option<String> {
    let account = arn.split(':').nth(4)?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then(|| account.to_owned())
}

impl AssumedRole {
    /// The cache file content botocore's `JSONFileCache` writes for this response: one line,
    /// Python's separators, `Expiration` as `…+00:00`, `AccountId` added, then
    /// `ResponseMetadata` with the status and (lowercased) headers of `response`.
    pub fn cache_json(&self, status: u16, headers: &[(String, String)]) -> String {
        let c = &self.credentials;
        let mut credentials = Map::new();
        credentials.insert("AccessKeyId".into(), c.access_key_id.clone().into());
        credentials.insert(
            "SecretAccessKey".into(),
            c.secret_access_key.expose().into(),
        );
        credentials.insert("SessionToken".into(), c.session_token.expose().into());
        credentials.insert("Expiration".into(), c.expiration_iso().into());
        if let Some(account) = &c.account_id {
            credentials.insert("AccountId".into(), account.clone().into());
        }
        let mut user = Map::new();
        user.insert("AssumedRoleId".into(), self.assumed_role_id.clone().into());
        user.insert("Arn".into(), self.assumed_role_arn.clone().into());
        let mut out = Map::new();
        out.insert("Credentials".into(), Value::Object(credentials));
        out.insert("AssumedRoleUser".into(), Value::Object(user));
        if let Some(size) = self.packed_policy_size {
            out.insert("PackedPolicySize".into(), size.into());
        }
        if let Some(identity) = &self.source_identity {
            out.insert("SourceIdentity".into(), identity.clone().into());
        }
        let mut header_map = Map::new();
        for (name, value) in headers {
            header_map.insert(name.to_ascii_lowercase(), value.clone().into());
        }
        let mut metadata = Map::new();
        if let Some(id) = &self.request_id {
            metadata.insert("RequestId".into(), id.clone().into());
        }
        metadata.insert("HTTPStatusCode".into(), status.into());
        metadata.insert("HTTPHeaders".into(), Value::Object(header_map));
        metadata.insert("RetryAttempts".into(), 0.into());
        out.insert("ResponseMetadata".into(), Value::Object(metadata));
        pyjson::dumps(&Value::Object(out))
    }
}

/// Why a role cache file cannot be used (it is then ignored and replaced, never fatal).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RoleCacheError {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("no Credentials.{0}")]
    MissingField(&'static str),
    #[error("Credentials.Expiration `{0}` is not a time")]
    BadExpiration(String),
}

/// A role cache file as AWS CLI v2, botocore's `JSONFileCache` or aws-login wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleCacheEntry {
    pub credentials: Credentials,
    /// `AssumedRoleUser.Arn`, when present.
    pub assumed_role_arn: Option<String>,
}

/// `Credentials.Expiration` as the writers spell it: AWS CLI v2 `2026-12-01T21:44:27+00:00`,
/// botocore's `JSONFileCache` `strftime('%Y-%m-%dT%H:%M:%S%Z')` = `2026-12-01T21:44:27UTC`.
fn parse_cache_time(text: &str) -> Option<OffsetDateTime> {
    let text = text.trim();
    match text
        .strip_suffix("UTC")
        .or_else(|| text.strip_suffix("GMT"))
    {
        Some(naive) => timefmt::parse_timestamp(naive),
        None => timefmt::parse_timestamp(text),
    }
}

impl RoleCacheEntry {
    pub fn from_json(bytes: &[u8]) -> Result<Self, RoleCacheError> {
        let value: Value =
            serde_json::from_slice(bytes).map_err(|e| RoleCacheError::NotJson(e.to_string()))?;
        let creds = value
            .get("Credentials")
            .ok_or(RoleCacheError::MissingField("AccessKeyId"))?;
        let field = |name: &'static str| {
            creds
                .get(name)
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
                .ok_or(RoleCacheError::MissingField(name))
        };
        let expiration_text = field("Expiration")?;
        let expiration = parse_cache_time(expiration_text)
            .ok_or_else(|| RoleCacheError::BadExpiration(expiration_text.to_owned()))?;
        let assumed_role_arn = value
            .pointer("/AssumedRoleUser/Arn")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let account_id = creds
            .get("AccountId")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| assumed_role_arn.as_deref().and_then(account_of_arn));
        Ok(RoleCacheEntry {
            credentials: Credentials {
                access_key_id: field("AccessKeyId")?.to_owned(),
                secret_access_key: SecretString::from(field("SecretAccessKey")?),
                session_token: SecretString::from(field("SessionToken")?),
                expiration,
                account_id,
            },
            assumed_role_arn,
        })
    }

    /// True while more than [`ROLE_CACHE_REUSE_SECONDS`] remain at `now`.
    pub fn reusable(&self, now: OffsetDateTime) -> bool {
        self.credentials.seconds_left(now) > ROLE_CACHE_REUSE_SECONDS
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn step(name: Option<&str>) -> RoleStep {
        RoleStep {
            profile: "admin".into(),
            role_arn: "arn:aws:iam::111122223333:role/Deploy".into(),
            role_session_name: name.map(str::to_owned),
            external_id: None,
            mfa_serial: None,
            duration_seconds: None,
        }
    }

    #[test]
    fn protocol_example_cache_key() {
        let args = AssumeRoleArgs::for_step(&step(None), datetime!(2026-12-01 20:44:27 UTC));
        assert_eq!(args.role_session_name, "botocore-session-1796157867");
        assert_eq!(
            args.cache_key_json(),
            r#"{"RoleArn": "arn:aws:iam::111122223333:role/Deploy"}"#
        );
        assert_eq!(
            args.cache_file_name(),
            "f553113ab03f10986b8503b601ff219b8f3584f3.json"
        );
    }

    #[test]
    fn key_is_sorted_and_skips_token_code() {
        let mut s = step(Some("me"));
        s.mfa_serial = Some("arn:aws:iam::1:mfa/me".into());
        s.duration_seconds = Some(900);
        s.external_id = Some("x".into());
        let args = AssumeRoleArgs::for_step(&s, datetime!(2026-12-01 20:44:27 UTC));
        assert_eq!(
            args.cache_key_json(),
            r#"{"DurationSeconds": 900, "ExternalId": "x", "RoleArn": "arn:aws:iam::111122223333:role/Deploy", "RoleSessionName": "me", "SerialNumber": "arn:aws:iam::1:mfa/me"}"#
        );
        let body = args.form_body(Some("123456"));
        assert!(body.starts_with("Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2FDeploy&RoleSessionName=me&DurationSeconds=900"), "{body}");
        assert!(body.ends_with("&TokenCode=123456"));
    }

    const OK: &str = "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  <AssumeRoleResult>\n    <AssumedRoleUser>\n      <Arn>arn:aws:sts::111122223333:assumed-role/Deploy/botocore-session-1796157867</Arn>\n      <AssumedRoleId>AROAEXAMPLE:botocore-session-1796157867</AssumedRoleId>\n    </AssumedRoleUser>\n    <Credentials>\n      <AccessKeyId>ASIAEXAMPLE</AccessKeyId>\n      <SecretAccessKey>sec/ret</SecretAccessKey>\n      <SessionToken>tok==</SessionToken>\n      <Expiration>2026-12-01T21:44:27Z</Expiration>\n    </Credentials>\n    <PackedPolicySize>0</PackedPolicySize>\n  </AssumeRoleResult>\n  <ResponseMetadata>\n    <RequestId>req-1</RequestId>\n  </ResponseMetadata>\n</AssumeRoleResponse>\n";

    #[test]
    fn parses_and_caches_like_botocore() {
        let role = parse_assume_role_response(&HttpResponse::new(200, vec![], OK)).unwrap();
        assert_eq!(role.credentials.account_id.as_deref(), Some("111122223333"));
        let json = role.cache_json(200, &[("x-amzn-RequestId".into(), "req-1".into())]);
        assert_eq!(
            json,
            r#"{"Credentials": {"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "sec/ret", "SessionToken": "tok==", "Expiration": "2026-12-01T21:44:27+00:00", "AccountId": "111122223333"}, "AssumedRoleUser": {"AssumedRoleId": "AROAEXAMPLE:botocore-session-1796157867", "Arn": "arn:aws:sts::111122223333:assumed-role/Deploy/botocore-session-1796157867"}, "PackedPolicySize": 0, "ResponseMetadata": {"RequestId": "req-1", "HTTPStatusCode": 200, "HTTPHeaders": {"x-amzn-requestid": "req-1"}, "RetryAttempts": 0}}"#
        );
        let entry = RoleCacheEntry::from_json(json.as_bytes()).unwrap();
        assert_eq!(entry.credentials, role.credentials);
        assert!(entry.reusable(datetime!(2026-12-01 21:29:26 UTC)));
        assert!(!entry.reusable(datetime!(2026-12-01 21:29:27 UTC)));
    }

    #[test]
    fn errors_are_classified() {
        let err = |status: u16, code: &str, message: &str| {
            let body = format!("<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>r</RequestId></ErrorResponse>");
            parse_assume_role_response(&HttpResponse::new(status, vec![], body)).unwrap_err()
        };
        assert!(matches!(
            err(403, "AccessDenied", "User: x is not authorized"),
            StsError::AccessDenied { .. }
        ));
        assert!(matches!(
            err(
                403,
                "AccessDenied",
                "MultiFactorAuthentication failed with invalid MFA one time pass code."
            ),
            StsError::MfaFailed { .. }
        ));
        assert!(matches!(
            err(
                403,
                "ExpiredToken",
                "The security token included in the request is expired"
            ),
            StsError::ExpiredToken { .. }
        ));
        assert!(matches!(
            err(403, "RegionDisabledException", "STS is not activated"),
            StsError::RegionDisabled { .. }
        ));
        let t = err(400, "Throttling", "Rate exceeded");
        assert!(t.retryable() && t.code() == "Throttling");
        assert!(matches!(
            err(400, "ValidationError", "DurationSeconds"),
            StsError::Invalid { .. }
        ));
        assert!(err(500, "InternalFailure", "x").retryable());
        let garbled =
            parse_assume_role_response(&HttpResponse::new(200, vec![], "<AssumeRoleResp"))
                .unwrap_err();
        assert!(matches!(garbled, StsError::Malformed { .. }));
        let html =
            parse_assume_role_response(&HttpResponse::new(502, vec![], "<html>bad gateway</html>"))
                .unwrap_err();
        assert!(html.retryable());
    }

    #[test]
    fn reads_botocore_json_file_cache_spelling() {
        let json = br#"{"Credentials": {"AccessKeyId": "ASIA1", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "2026-12-01T23:38:05UTC", "AccountId": "111122223333"}}"#;
        let entry = RoleCacheEntry::from_json(json).unwrap();
        assert_eq!(
            entry.credentials.expiration,
            datetime!(2026-12-01 23:38:05 UTC)
        );
    }

    #[test]
    fn bad_cache_files_are_errors() {
        assert!(RoleCacheEntry::from_json(b"").is_err());
        assert!(RoleCacheEntry::from_json(b"{\"Credentials\": {}}").is_err());
        assert!(RoleCacheEntry::from_json(br#"{"Credentials": {"AccessKeyId": "A", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "soon"}}"#).is_err());
    }
}
