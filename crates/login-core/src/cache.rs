//! The token cache entry shared by AWS CLI, botocore, the JS SDK and us:
//! `~/.aws/login/cache/<sha256(session)>.json`.

use std::fmt;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::credentials::Credentials;
use crate::dpop::{DpopKey, DpopKeyError};
use crate::pyjson;
use crate::secret::SecretString;
use crate::timefmt;
use crate::token::TokenOutput;

/// Refresh when this little validity is left (botocore and the JS SDK use
/// the same 5 minutes).
pub const REFRESH_WINDOW_SECONDS: i64 = 5 * 60;

/// `sha256(session ARN)` in lowercase hex plus `.json`.
pub fn cache_file_name(session_arn: &str) -> String {
    let digest = Sha256::digest(session_arn.as_bytes());
    format!("{}.json", hex::encode(digest))
}

/// True when `json` is a login cache entry (an object whose `accessToken`
/// object has `accessKeyId`): what `logout --all` may delete, and only that.
pub fn is_login_cache_entry(json: &[u8]) -> bool {
    matches!(
        serde_json::from_slice::<Value>(json),
        Ok(Value::Object(map)) if map
            .get("accessToken")
            .and_then(Value::as_object)
            .is_some_and(|a| a.contains_key("accessKeyId"))
    )
}

/// Why a cache file cannot be used. Every variant ends in "log in again":
/// the file is never repaired by guessing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// Not UTF-8 JSON.
    #[error("the login cache file is not valid JSON ({0}); log in again to replace it")]
    NotJson(String),
    /// JSON, but not an object.
    #[error("the login cache file does not hold a JSON object; log in again to replace it")]
    NotAnObject,
    /// Required fields are absent or empty.
    #[error("the login cache file is missing required fields: {}; log in again", .0.join(", "))]
    MissingFields(Vec<&'static str>),
    /// A field has the wrong type or an unreadable value.
    #[error("the login cache file has an invalid `{field}` ({reason}); log in again")]
    InvalidField {
        /// JSON path of the field.
        field: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// `dpopKey` is not a usable P-256 private key.
    #[error("the login cache file's DPoP key cannot be read ({0}); log in again")]
    InvalidDpopKey(DpopKeyError),
}

impl CacheError {
    /// The variant's stable name: what the shared fixtures and the Python and Node bindings
    /// report as the error kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::NotJson(_) => "NotJson",
            Self::NotAnObject => "NotAnObject",
            Self::MissingFields(_) => "MissingFields",
            Self::InvalidField { .. } => "InvalidField",
            Self::InvalidDpopKey(_) => "InvalidDpopKey",
        }
    }
}

/// Which spelling of the id token field the entry was read with, so a
/// rewrite keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IdTokenField {
    /// `idToken` (AWS CLI).
    #[default]
    IdToken,
    /// `identityToken`.
    IdentityToken,
}

impl IdTokenField {
    fn key(self) -> &'static str {
        match self {
            IdTokenField::IdToken => "idToken",
            IdTokenField::IdentityToken => "identityToken",
        }
    }
}

/// The `accessToken` object: the current temporary credentials.
#[derive(Clone, PartialEq)]
pub struct AccessToken {
    /// `accessKeyId`
    pub access_key_id: String,
    /// `secretAccessKey`
    pub secret_access_key: SecretString,
    /// `sessionToken`
    pub session_token: SecretString,
    /// `accountId` (botocore and the JS SDK need it to build credentials).
    pub account_id: Option<String>,
    /// `expiresAt`
    pub expires_at: OffsetDateTime,
    /// Fields we do not know, kept on rewrite.
    pub extra: Map<String, Value>,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key)
            .field("session_token", &self.session_token)
            .field("account_id", &self.account_id)
            .field("expires_at", &timefmt::format_expires_at(self.expires_at))
            .finish_non_exhaustive()
    }
}

/// One login session's cache file.
#[derive(Clone, PartialEq)]
pub struct CacheEntry {
    /// `accessToken`
    pub access_token: AccessToken,
    /// `tokenType` (`aws_sigv4`)
    pub token_type: Option<String>,
    /// `clientId`: which client (same-device / cross-device) the session belongs to.
    pub client_id: String,
    /// `refreshToken`, bound to the DPoP key.
    pub refresh_token: SecretString,
    /// `idToken` / `identityToken`, when present.
    pub id_token: Option<SecretString>,
    /// The spelling of the id token field to write back.
    pub id_token_field: IdTokenField,
    /// `dpopKey`: the PEM exactly as stored (SEC1 or PKCS#8).
    pub dpop_key: SecretString,
    /// `signInRegion`: botocore and the JS SDK refresh in this region when set.
    pub sign_in_region: Option<String>,
    /// Top-level fields we do not know, kept on rewrite.
    pub extra: Map<String, Value>,
    /// Top-level key order as read, so a rewrite keeps it (botocore does).
    key_order: Vec<String>,
}

impl fmt::Debug for CacheEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheEntry")
            .field("access_key_id", &self.access_token.access_key_id)
            .field("account_id", &self.access_token.account_id)
            .field("expires_at", &self.expires_at_string())
            .field("client_id", &self.client_id)
            .field("sign_in_region", &self.sign_in_region)
            .field("secrets", &"[redacted]")
            .finish_non_exhaustive()
    }
}

const TOP_ORDER: [&str; 7] = [
    "accessToken",
    "tokenType",
    "clientId",
    "refreshToken",
    "idToken",
    "dpopKey",
    "signInRegion",
];

impl CacheEntry {
    /// A new entry from a successful authorization-code exchange.
    pub fn new(
        output: &TokenOutput,
        account_id: Option<&str>,
        client_id: &str,
        dpop_key: &DpopKey,
        sign_in_region: Option<&str>,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            access_token: AccessToken {
                access_key_id: output.access_key_id.clone(),
                secret_access_key: output.secret_access_key.clone(),
                session_token: output.session_token.clone(),
                account_id: account_id.map(str::to_owned),
                expires_at: expiry(now, output.expires_in),
                extra: Map::new(),
            },
            token_type: Some(output.token_type.clone()),
            client_id: client_id.to_owned(),
            refresh_token: output.refresh_token.clone(),
            id_token: output.id_token.clone(),
            id_token_field: IdTokenField::IdToken,
            dpop_key: dpop_key.to_sec1_pem(),
            sign_in_region: sign_in_region.map(str::to_owned),
            extra: Map::new(),
            key_order: Vec::new(),
        }
    }

    /// Reads and validates a cache file's bytes.
    pub fn from_json(bytes: &[u8]) -> Result<Self, CacheError> {
        let value: Value =
            serde_json::from_slice(bytes).map_err(|e| CacheError::NotJson(e.to_string()))?;
        let Value::Object(mut map) = value else {
            return Err(CacheError::NotAnObject);
        };
        let key_order: Vec<String> = map.keys().cloned().collect();

        let mut missing = Vec::new();
        let access_obj = match map.get("accessToken") {
            Some(Value::Object(a)) => Some(a.clone()),
            Some(Value::Null) | None => {
                missing.push("accessToken");
                None
            }
            Some(_) => return Err(invalid("accessToken", "not an object")),
        };
        let client_id = take_str(&map, "clientId", &mut missing)?;
        let refresh_token = take_str(&map, "refreshToken", &mut missing)?;
        let dpop_pem = take_str(&map, "dpopKey", &mut missing)?;
        let access = match access_obj {
            Some(a) => Some(parse_access_token(a, &mut missing)?),
            None => None,
        };
        if !missing.is_empty() {
            return Err(CacheError::MissingFields(missing));
        }
        let (Some(access), Some(client_id), Some(refresh_token), Some(dpop_pem)) =
            (access, client_id, refresh_token, dpop_pem)
        else {
            return Err(CacheError::MissingFields(vec!["accessToken"]));
        };
        DpopKey::check_pem(&dpop_pem).map_err(CacheError::InvalidDpopKey)?;

        let token_type = opt_str(&map, "tokenType")?;
        let sign_in_region = opt_str(&map, "signInRegion")?.filter(|r| !r.is_empty());
        let (id_token, id_token_field) =
            match (opt_str(&map, "idToken")?, opt_str(&map, "identityToken")?) {
                (Some(t), _) => (Some(SecretString::new(t)), IdTokenField::IdToken),
                (None, Some(t)) => (Some(SecretString::new(t)), IdTokenField::IdentityToken),
                (None, None) => (None, IdTokenField::IdToken),
            };
        for known in TOP_ORDER {
            map.shift_remove(known);
        }
        if id_token_field == IdTokenField::IdentityToken {
            map.shift_remove("identityToken");
        }
        Ok(Self {
            access_token: access,
            token_type,
            client_id,
            refresh_token: SecretString::new(refresh_token),
            id_token,
            id_token_field,
            dpop_key: SecretString::new(dpop_pem),
            sign_in_region,
            extra: map,
            key_order,
        })
    }

    /// Serializes the entry the way botocore / AWS CLI write it
    /// (`json.dumps`: one line, `", "` / `": "`), keeping the key order it was
    /// read with and every unknown field.
    pub fn to_json(&self) -> String {
        pyjson::dumps(&Value::Object(self.to_map()))
    }

    /// Serializes the entry as the JS SDK writes it (`JSON.stringify(t, null, 2)`).
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(&Value::Object(self.to_map())).unwrap_or_default()
    }

    fn to_map(&self) -> Map<String, Value> {
        let mut known = Map::new();
        let at = &self.access_token;
        let mut access = Map::new();
        access.insert("accessKeyId".into(), at.access_key_id.clone().into());
        access.insert(
            "secretAccessKey".into(),
            at.secret_access_key.expose().into(),
        );
        access.insert("sessionToken".into(), at.session_token.expose().into());
        if let Some(account) = &at.account_id {
            access.insert("accountId".into(), account.clone().into());
        }
        access.insert("expiresAt".into(), self.expires_at_string().into());
        for (k, v) in &at.extra {
            access.entry(k.clone()).or_insert_with(|| v.clone());
        }
        known.insert("accessToken".into(), Value::Object(access));
        if let Some(t) = &self.token_type {
            known.insert("tokenType".into(), t.clone().into());
        }
        known.insert("clientId".into(), self.client_id.clone().into());
        known.insert("refreshToken".into(), self.refresh_token.expose().into());
        if let Some(t) = &self.id_token {
            known.insert(self.id_token_field.key().into(), t.expose().into());
        }
        known.insert("dpopKey".into(), self.dpop_key.expose().into());
        if let Some(r) = &self.sign_in_region {
            known.insert("signInRegion".into(), r.clone().into());
        }

        let mut out = Map::new();
        for key in &self.key_order {
            if let Some(v) = known.remove(key).or_else(|| self.extra.get(key).cloned()) {
                out.insert(key.clone(), v);
            }
        }
        for (k, v) in known {
            out.entry(k).or_insert(v);
        }
        for (k, v) in &self.extra {
            out.entry(k.clone()).or_insert_with(|| v.clone());
        }
        out
    }

    /// `expiresAt` as written: `2025-12-05T10:51:31Z`.
    pub fn expires_at_string(&self) -> String {
        timefmt::format_expires_at(self.access_token.expires_at)
    }

    /// The credentials currently in the entry (expired or not).
    pub fn credentials(&self) -> Credentials {
        let at = &self.access_token;
        Credentials {
            access_key_id: at.access_key_id.clone(),
            secret_access_key: at.secret_access_key.clone(),
            session_token: at.session_token.clone(),
            expiration: at.expires_at,
            account_id: at.account_id.clone(),
        }
    }

    /// The DPoP key that signs this session's refreshes.
    pub fn dpop_key(&self) -> Result<DpopKey, CacheError> {
        DpopKey::from_pem(self.dpop_key.expose()).map_err(CacheError::InvalidDpopKey)
    }

    /// When the user signed in (the id token's `auth_time`, else `iat`), if
    /// the entry has a readable id token. The session ends at most 12 hours
    /// after it.
    pub fn signed_in_at(&self) -> Option<OffsetDateTime> {
        self.id_token
            .as_ref()
            .and_then(|t| crate::login::id_token_signed_in_at(t.expose()))
    }

    /// Seconds of validity left at `now`.
    pub fn seconds_left(&self, now: OffsetDateTime) -> i64 {
        (self.access_token.expires_at - now).whole_seconds()
    }

    /// Folds a refresh result in: new key id, secret, session token,
    /// `expiresAt = now + expiresIn` (whole seconds), rotated refresh token;
    /// `accountId` and everything else stay.
    pub fn apply_refresh(&mut self, output: &TokenOutput, now: OffsetDateTime) {
        let at = &mut self.access_token;
        at.access_key_id = output.access_key_id.clone();
        at.secret_access_key = output.secret_access_key.clone();
        at.session_token = output.session_token.clone();
        at.expires_at = expiry(now, output.expires_in);
        self.refresh_token = output.refresh_token.clone();
    }
}

/// `now + expires_in`, truncated to whole seconds.
fn expiry(now: OffsetDateTime, expires_in: u64) -> OffsetDateTime {
    let secs = i64::try_from(expires_in)
        .unwrap_or(i64::MAX / 4)
        .min(10 * 365 * 86_400);
    let at = now + Duration::seconds(secs);
    at.replace_nanosecond(0).unwrap_or(at)
}

fn invalid(field: &'static str, reason: &'static str) -> CacheError {
    CacheError::InvalidField { field, reason }
}

fn take_str(
    map: &Map<String, Value>,
    key: &'static str,
    missing: &mut Vec<&'static str>,
) -> Result<Option<String>, CacheError> {
    match map.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
        Some(Value::String(_)) | Some(Value::Null) | None => {
            missing.push(key);
            Ok(None)
        }
        Some(_) => Err(invalid(key, "not a string")),
    }
}

fn opt_str(map: &Map<String, Value>, key: &'static str) -> Result<Option<String>, CacheError> {
    match map.get(key) {
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Null) | None => Ok(None),
        Some(_) => Err(invalid(key, "not a string")),
    }
}

fn parse_access_token(
    mut a: Map<String, Value>,
    missing: &mut Vec<&'static str>,
) -> Result<AccessToken, CacheError> {
    let access_key_id = take_str(&a, "accessKeyId", missing)
        .map_err(|_| invalid("accessToken.accessKeyId", "not a string"))?;
    let secret = take_str(&a, "secretAccessKey", missing)
        .map_err(|_| invalid("accessToken.secretAccessKey", "not a string"))?;
    let session = take_str(&a, "sessionToken", missing)
        .map_err(|_| invalid("accessToken.sessionToken", "not a string"))?;
    let expires = take_str(&a, "expiresAt", missing)
        .map_err(|_| invalid("accessToken.expiresAt", "not a string"))?;
    // Name the nested fields by their path in the message.
    for m in missing.iter_mut() {
        *m = match *m {
            "accessKeyId" => "accessToken.accessKeyId",
            "secretAccessKey" => "accessToken.secretAccessKey",
            "sessionToken" => "accessToken.sessionToken",
            "expiresAt" => "accessToken.expiresAt",
            other => other,
        };
    }
    let account_id = match a.get("accountId") {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::String(_)) | Some(Value::Null) | None => None,
        Some(_) => return Err(invalid("accessToken.accountId", "not a string")),
    };
    let expires_at = match expires {
        Some(text) => Some(
            timefmt::parse_timestamp(&text)
                .ok_or_else(|| invalid("accessToken.expiresAt", "not an ISO 8601 time stamp"))?,
        ),
        None => None,
    };
    for key in [
        "accessKeyId",
        "secretAccessKey",
        "sessionToken",
        "accountId",
        "expiresAt",
    ] {
        // `shift_remove`: a plain `remove` swaps the last key into the hole and reorders the
        // unknown fields kept for the rewrite.
        a.shift_remove(key);
    }
    match (access_key_id, secret, session, expires_at) {
        (Some(id), Some(secret), Some(session), Some(expires_at)) => Ok(AccessToken {
            access_key_id: id,
            secret_access_key: SecretString::new(secret),
            session_token: SecretString::new(session),
            account_id,
            expires_at,
            extra: a,
        }),
        // Missing pieces were recorded in `missing`; the caller reports them.
        _ => Ok(AccessToken {
            access_key_id: String::new(),
            secret_access_key: SecretString::default(),
            session_token: SecretString::default(),
            account_id,
            expires_at: OffsetDateTime::UNIX_EPOCH,
            extra: a,
        }),
    }
}

/// Whether cached credentials can be used as they are.
#[derive(Debug, Clone, PartialEq)]
pub enum RefreshPlan {
    /// More than five minutes left: use these.
    Fresh(Credentials),
    /// Five minutes or less left (or expired): refresh first.
    NeedsRefresh,
}

impl RefreshPlan {
    /// Decides at `now` (peers refresh when `expiresAt - now <= 300 s`).
    pub fn decide(entry: &CacheEntry, now: OffsetDateTime) -> RefreshPlan {
        if entry.seconds_left(now) > REFRESH_WINDOW_SECONDS {
            RefreshPlan::Fresh(entry.credentials())
        } else {
            RefreshPlan::NeedsRefresh
        }
    }
}

#[cfg(test)]
mod tests {
    /// Found by the `cache_entry` fuzz target: unknown fields inside `accessToken` came back in
    /// another order after the known ones were taken out, so writing the file twice gave two
    /// different files.
    #[test]
    fn unknown_access_token_fields_keep_their_order_on_rewrite() {
        let file = br#"{"accessToken": {"accessKeyId": "ASIA1", "secretAccessKey": "s", "sessionToken": "t", "expiresAt": "2025-12-05T11:02:00Z", "futureField": {"kept": true}, "zeta": 1, "accountId": "111122223333"}, "clientId": "arn:aws:signin:::devtools/same-device", "refreshToken": "r", "dpopKey": "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIMmdHGd4t1rh6pWvb2LjWv1XOdZO9QnjdWTPlKzjZ0vCoAoGCCqGSM49\nAwEHoUQDQgAEYP7UuiVanTHJYet0xjVtaMBJuJI7Yfps5mliLmDyn7Z5A/4QCLi8\nmaQa6elWKLxk8vLGDC1+n0V3o8KU1EYimQ==\n-----END EC PRIVATE KEY-----\n", "other": 2}"#;
        let entry = super::CacheEntry::from_json(file).unwrap();
        let once = entry.to_json();
        let twice = super::CacheEntry::from_json(once.as_bytes())
            .unwrap()
            .to_json();
        assert_eq!(once, twice);
        let future = once.find("futureField").unwrap();
        assert!(future < once.find("zeta").unwrap(), "{once}");
    }

    use super::*;
    use time::macros::datetime;

    pub(crate) fn sample_json(key_pem: &str) -> String {
        serde_json::json!({
            "accessToken": {
                "accessKeyId": "ASIAOLD", "secretAccessKey": "oldsecret", "sessionToken": "oldtoken",
                "accountId": "012345678910", "expiresAt": "2025-12-05T10:51:31Z"
            },
            "tokenType": "aws_sigv4",
            "clientId": "arn:aws:signin:::devtools/same-device",
            "refreshToken": "oldrefresh",
            "idToken": "a.b.c",
            "dpopKey": key_pem,
        })
        .to_string()
    }

    fn key() -> DpopKey {
        DpopKey::from_scalar_bytes(&[9u8; 32]).unwrap()
    }

    #[test]
    fn file_name_matches_protocol_example() {
        assert_eq!(
            cache_file_name("arn:aws:sts::012345678910:assumed-role/Admin/admin"),
            "4b0ba8f99f075c0633e122fd73346ce203a3faf18ea0310eb2d29df1bab2e255.json"
        );
    }

    #[test]
    fn round_trip_is_python_json() {
        let pem = key().to_sec1_pem();
        let text = sample_json(pem.expose());
        let entry = CacheEntry::from_json(text.as_bytes()).unwrap();
        let out = entry.to_json();
        let python_style = pyjson::dumps(&serde_json::from_str::<Value>(&text).unwrap());
        assert_eq!(out, python_style);
        assert_eq!(
            entry.credentials().account_id.as_deref(),
            Some("012345678910")
        );
    }

    #[test]
    fn unknown_fields_and_order_survive_refresh() {
        let pem = key().to_pkcs8_pem();
        let text = serde_json::json!({
            "zzz": 1,
            "dpopKey": pem.expose(),
            "clientId": "c",
            "refreshToken": "r",
            "identityToken": "x.y.z",
            "accessToken": {"accessKeyId": "A", "secretAccessKey": "s", "sessionToken": "t", "accountId": "111122223333", "expiresAt": "2025-01-01T00:00:00.123Z", "note": "kept"},
            "signInRegion": "eu-west-1",
        })
        .to_string();
        let mut entry = CacheEntry::from_json(text.as_bytes()).unwrap();
        assert_eq!(entry.id_token_field, IdTokenField::IdentityToken);
        assert_eq!(entry.sign_in_region.as_deref(), Some("eu-west-1"));
        let out = TokenOutput {
            access_key_id: "ASIANEW".into(),
            secret_access_key: "ns".into(),
            session_token: "nt".into(),
            token_type: "aws_sigv4".into(),
            expires_in: 900,
            refresh_token: "nr".into(),
            id_token: None,
        };
        entry.apply_refresh(&out, datetime!(2025-01-01 00:00:00.5 UTC));
        let v: Value = serde_json::from_str(&entry.to_json()).unwrap();
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "zzz",
                "dpopKey",
                "clientId",
                "refreshToken",
                "identityToken",
                "accessToken",
                "signInRegion"
            ]
        );
        assert_eq!(v["accessToken"]["expiresAt"], "2025-01-01T00:15:00Z");
        assert_eq!(v["accessToken"]["accountId"], "111122223333");
        assert_eq!(v["accessToken"]["note"], "kept");
        assert_eq!(v["accessToken"]["accessKeyId"], "ASIANEW");
        assert_eq!(v["refreshToken"], "nr");
        assert_eq!(v["identityToken"], "x.y.z");
        assert_eq!(v["dpopKey"], pem.expose());
    }

    #[test]
    fn validation_errors() {
        assert!(matches!(
            CacheEntry::from_json(b"{"),
            Err(CacheError::NotJson(_))
        ));
        assert_eq!(CacheEntry::from_json(b"[]"), Err(CacheError::NotAnObject));
        assert_eq!(
            CacheEntry::from_json(b"{}"),
            Err(CacheError::MissingFields(vec![
                "accessToken",
                "clientId",
                "refreshToken",
                "dpopKey"
            ]))
        );
        let e = CacheEntry::from_json(br#"{"accessToken":{"accessKeyId":"A"},"clientId":"c","refreshToken":"r","dpopKey":"k"}"#).unwrap_err();
        assert_eq!(
            e,
            CacheError::MissingFields(vec![
                "accessToken.secretAccessKey",
                "accessToken.sessionToken",
                "accessToken.expiresAt"
            ])
        );
        let e = CacheEntry::from_json(br#"{"accessToken":{"accessKeyId":"A","secretAccessKey":"s","sessionToken":"t","expiresAt":"soon"},"clientId":"c","refreshToken":"r","dpopKey":"k"}"#).unwrap_err();
        assert!(matches!(
            e,
            CacheError::InvalidField {
                field: "accessToken.expiresAt",
                ..
            }
        ));
        let e = CacheEntry::from_json(br#"{"accessToken":{"accessKeyId":"A","secretAccessKey":"s","sessionToken":"t","expiresAt":"2025-01-01T00:00:00Z"},"clientId":"c","refreshToken":"r","dpopKey":"k"}"#).unwrap_err();
        assert!(matches!(e, CacheError::InvalidDpopKey(_)));
        assert!(e.to_string().contains("log in again"));
    }

    #[test]
    fn refresh_window() {
        let pem = key().to_sec1_pem();
        let entry = CacheEntry::from_json(sample_json(pem.expose()).as_bytes()).unwrap();
        let exp = datetime!(2025-12-05 10:51:31 UTC);
        assert!(matches!(
            RefreshPlan::decide(&entry, exp - Duration::seconds(301)),
            RefreshPlan::Fresh(_)
        ));
        assert_eq!(
            RefreshPlan::decide(&entry, exp - Duration::seconds(300)),
            RefreshPlan::NeedsRefresh
        );
        assert_eq!(
            RefreshPlan::decide(&entry, exp + Duration::hours(1)),
            RefreshPlan::NeedsRefresh
        );
    }

    #[test]
    fn logout_all_filter() {
        assert!(is_login_cache_entry(
            br#"{"accessToken":{"accessKeyId":"A"}}"#
        ));
        assert!(!is_login_cache_entry(br#"{"accessToken":"A"}"#));
        assert!(!is_login_cache_entry(b"nope"));
    }

    #[test]
    fn debug_hides_secrets() {
        let pem = key().to_sec1_pem();
        let entry = CacheEntry::from_json(sample_json(pem.expose()).as_bytes()).unwrap();
        let text = format!("{entry:?}");
        assert!(
            !text.contains("oldsecret")
                && !text.contains("oldrefresh")
                && !text.contains("PRIVATE")
        );
    }
}
