//! Role credentials from `GetRoleCredentials`, cached in `~/.aws/cli/cache`
//! exactly as AWS CLI caches them (`SSOCredentialFetcher`): file name
//! `sha1(json.dumps(args, sort_keys=True, separators=(",", ":")))`, content
//! `{"ProviderType": "sso", "Credentials": {…, "Expiration": "…Z", "AccountId": …}}`.

use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::credentials::Credentials;
use crate::pyjson;
use crate::secret::SecretString;
use crate::timefmt;

use super::sha1_hex;
use super::token::parse_cache_time;

/// What the cache file name is hashed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleCacheKey {
    /// `{"accountId","roleName","sessionName"}` for `[sso-session]` profiles.
    Session {
        /// `sso_account_id`
        account_id: String,
        /// `sso_role_name`
        role_name: String,
        /// The `[sso-session]` name.
        session_name: String,
    },
    /// `{"accountId","roleName","startUrl"}` for legacy profiles.
    StartUrl {
        /// `sso_account_id`
        account_id: String,
        /// `sso_role_name`
        role_name: String,
        /// `sso_start_url` as configured.
        start_url: String,
    },
}

impl RoleCacheKey {
    /// The hashed JSON (keys sorted, no spaces).
    pub fn hashed_json(&self) -> String {
        let mut m = Map::new();
        match self {
            RoleCacheKey::Session {
                account_id,
                role_name,
                session_name,
            } => {
                m.insert("accountId".into(), account_id.as_str().into());
                m.insert("roleName".into(), role_name.as_str().into());
                m.insert("sessionName".into(), session_name.as_str().into());
            }
            RoleCacheKey::StartUrl {
                account_id,
                role_name,
                start_url,
            } => {
                m.insert("accountId".into(), account_id.as_str().into());
                m.insert("roleName".into(), role_name.as_str().into());
                m.insert("startUrl".into(), start_url.as_str().into());
            }
        }
        pyjson::dumps_tight(&Value::Object(m))
    }

    /// `<sha1>.json`.
    pub fn file_name(&self) -> String {
        role_cache_file_name(self)
    }
}

/// `<sha1(hashed_json)>.json` (AWS CLI's `_make_file_safe` changes nothing in hex).
pub fn role_cache_file_name(key: &RoleCacheKey) -> String {
    format!("{}.json", sha1_hex(&key.hashed_json()))
}

/// Why a role cache file cannot be used (then GetRoleCredentials is called
/// again and the file replaced: it is a cache of something we can fetch).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RoleCacheError {
    /// Not JSON (empty, half-written).
    #[error("the cached role credentials are not valid JSON ({0})")]
    NotJson(String),
    /// Not an SSO entry, or fields are missing.
    #[error("the cached role credentials lack {0}")]
    Missing(&'static str),
}

/// The cache file's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleCredentialsCache;

impl RoleCredentialsCache {
    /// The bytes AWS CLI writes (`json.dumps`, no trailing newline).
    pub fn to_json(credentials: &Credentials) -> String {
        let mut c = Map::new();
        c.insert(
            "AccessKeyId".into(),
            credentials.access_key_id.as_str().into(),
        );
        c.insert(
            "SecretAccessKey".into(),
            credentials.secret_access_key.expose().into(),
        );
        c.insert(
            "SessionToken".into(),
            credentials.session_token.expose().into(),
        );
        c.insert(
            "Expiration".into(),
            timefmt::format_expires_at(credentials.expiration).into(),
        );
        c.insert(
            "AccountId".into(),
            credentials
                .account_id
                .as_deref()
                .map_or(Value::Null, Value::from),
        );
        let mut top = Map::new();
        top.insert("ProviderType".into(), "sso".into());
        top.insert("Credentials".into(), Value::Object(c));
        pyjson::dumps(&Value::Object(top))
    }

    /// True when the file's JSON says `"ProviderType": "sso"` (what `sso logout` deletes).
    pub fn is_sso_entry(bytes: &[u8]) -> bool {
        matches!(
            serde_json::from_slice::<Value>(bytes),
            Ok(Value::Object(m)) if m.get("ProviderType").and_then(Value::as_str) == Some("sso")
        )
    }

    /// Reads the credentials from a file's bytes.
    pub fn from_json(bytes: &[u8]) -> Result<Credentials, RoleCacheError> {
        let value: Value =
            serde_json::from_slice(bytes).map_err(|e| RoleCacheError::NotJson(e.to_string()))?;
        let creds = value
            .get("Credentials")
            .and_then(Value::as_object)
            .ok_or(RoleCacheError::Missing("Credentials"))?;
        let s = |k: &'static str| {
            creds
                .get(k)
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
                .ok_or(RoleCacheError::Missing(k))
        };
        let expiration =
            parse_cache_time(s("Expiration")?).ok_or(RoleCacheError::Missing("Expiration"))?;
        Ok(Credentials {
            access_key_id: s("AccessKeyId")?.to_owned(),
            secret_access_key: SecretString::new(s("SecretAccessKey")?),
            session_token: SecretString::new(s("SessionToken")?),
            expiration,
            account_id: creds
                .get("AccountId")
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    }

    /// AWS CLI's reuse rule: usable while more than `window_seconds` remain.
    pub fn is_fresh(credentials: &Credentials, now: OffsetDateTime, window_seconds: i64) -> bool {
        credentials.seconds_left(now) > window_seconds
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn key_matches_the_documented_example() {
        let k = RoleCacheKey::Session {
            account_id: "111122223333".into(),
            role_name: "ReadOnly".into(),
            session_name: "my-sso".into(),
        };
        assert_eq!(
            k.hashed_json(),
            r#"{"accountId":"111122223333","roleName":"ReadOnly","sessionName":"my-sso"}"#
        );
        assert_eq!(
            k.file_name(),
            "0521d1f6a6c4e68f9e18540309367cc3cccb6305.json"
        );
    }

    #[test]
    fn content_round_trips() {
        let c = Credentials {
            access_key_id: "ASIA1".into(),
            secret_access_key: "s".into(),
            session_token: "t".into(),
            expiration: datetime!(2025-01-02 04:04:05 UTC),
            account_id: Some("111122223333".into()),
        };
        let json = RoleCredentialsCache::to_json(&c);
        assert_eq!(
            json,
            r#"{"ProviderType": "sso", "Credentials": {"AccessKeyId": "ASIA1", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "2025-01-02T04:04:05Z", "AccountId": "111122223333"}}"#
        );
        assert!(RoleCredentialsCache::is_sso_entry(json.as_bytes()));
        assert!(!RoleCredentialsCache::is_sso_entry(
            br#"{"Credentials": {}}"#
        ));
        assert_eq!(RoleCredentialsCache::from_json(json.as_bytes()).unwrap(), c);
        let now = datetime!(2025-01-02 03:49:05 UTC);
        assert!(!RoleCredentialsCache::is_fresh(&c, now, 900));
        assert!(RoleCredentialsCache::is_fresh(
            &c,
            now - time::Duration::seconds(1),
            900
        ));
        assert!(RoleCredentialsCache::from_json(b"{").is_err());
    }
}
