//! The client registration AWS CLI caches beside the tokens, keyed by
//! `sha1(json.dumps({"region","scopes","session_name","startUrl","tool":
//! "botocore"}, sort_keys=True))`, so we reuse its registrations and it ours.

use std::fmt;

use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::pyjson;
use crate::secret::SecretString;
use crate::timefmt;

use super::oidc::RegisterClientOutput;
use super::sha1_hex;
use super::token::parse_cache_time;

/// What the registration file name is hashed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationKey {
    /// `sso_start_url` as configured.
    pub start_url: String,
    /// `sso_region`.
    pub region: String,
    /// `sso_registration_scopes` as configured (`None` when absent, even
    /// though PKCE then registers with the default scope).
    pub scopes: Option<Vec<String>>,
    /// The `[sso-session]` name (`None` for legacy profiles).
    pub session_name: Option<String>,
}

impl RegistrationKey {
    /// The hashed JSON: Python's `json.dumps(…, sort_keys=True)`.
    pub fn hashed_json(&self) -> String {
        let mut m = Map::new();
        m.insert("region".into(), self.region.as_str().into());
        m.insert(
            "scopes".into(),
            self.scopes.as_ref().map_or(Value::Null, |s| {
                Value::Array(s.iter().cloned().map(Value::String).collect())
            }),
        );
        m.insert(
            "session_name".into(),
            self.session_name
                .as_deref()
                .map_or(Value::Null, Value::from),
        );
        m.insert("startUrl".into(), self.start_url.as_str().into());
        m.insert("tool".into(), "botocore".into());
        pyjson::dumps(&Value::Object(m))
    }

    /// `<sha1>.json`.
    pub fn file_name(&self) -> String {
        format!("{}.json", sha1_hex(&self.hashed_json()))
    }
}

/// Which login flow a registration is for (they reject each other's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationFlow {
    /// Authorization code + PKCE (`grantTypes` has `authorization_code`).
    AuthCode,
    /// Device code.
    Device,
}

/// A cached client registration.
#[derive(Clone, PartialEq)]
pub struct Registration {
    /// `clientId`
    pub client_id: String,
    /// `clientSecret`
    pub client_secret: SecretString,
    /// `expiresAt` (from `clientSecretExpiresAt`).
    pub expires_at: OffsetDateTime,
    /// `scopes`, when registered with some.
    pub scopes: Option<Vec<String>>,
    /// `grantTypes` (PKCE registrations only).
    pub grant_types: Option<Vec<String>>,
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("client_id", &self.client_id)
            .field("expires_at", &timefmt::format_expires_at(self.expires_at))
            .field("scopes", &self.scopes)
            .field("grant_types", &self.grant_types)
            .finish_non_exhaustive()
    }
}

impl Registration {
    /// A registration from `RegisterClient`'s answer.
    pub fn from_output(
        output: &RegisterClientOutput,
        scopes: Option<Vec<String>>,
        grant_types: Option<Vec<String>>,
    ) -> Option<Registration> {
        Some(Registration {
            client_id: output.client_id.clone(),
            client_secret: output.client_secret.clone(),
            expires_at: OffsetDateTime::from_unix_timestamp(output.client_secret_expires_at)
                .ok()?,
            scopes,
            grant_types,
        })
    }

    /// Reads a registration file; `None` when it is not one (then we register again).
    pub fn from_json(bytes: &[u8]) -> Option<Registration> {
        let Ok(Value::Object(m)) = serde_json::from_slice::<Value>(bytes) else {
            return None;
        };
        let s = |k: &str| m.get(k).and_then(Value::as_str).filter(|v| !v.is_empty());
        let list = |k: &str| {
            m.get(k).and_then(Value::as_array).map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
        };
        Some(Registration {
            client_id: s("clientId")?.to_owned(),
            client_secret: SecretString::new(s("clientSecret")?),
            expires_at: parse_cache_time(s("expiresAt")?)?,
            scopes: list("scopes"),
            grant_types: list("grantTypes"),
        })
    }

    /// The file as AWS CLI writes it.
    pub fn to_json(&self) -> String {
        let mut m = Map::new();
        m.insert("clientId".into(), self.client_id.as_str().into());
        m.insert("clientSecret".into(), self.client_secret.expose().into());
        m.insert(
            "expiresAt".into(),
            timefmt::format_expires_at(self.expires_at).into(),
        );
        let strings = |v: &[String]| Value::Array(v.iter().cloned().map(Value::String).collect());
        if let Some(s) = &self.scopes {
            m.insert("scopes".into(), strings(s));
        }
        if let Some(g) = &self.grant_types {
            m.insert("grantTypes".into(), strings(g));
        }
        pyjson::dumps(&Value::Object(m))
    }

    /// Usable for `flow` at `now`: not within 15 minutes of expiry, and made
    /// for the same flow (AWS CLI re-registers when they differ).
    pub fn usable_for(&self, flow: RegistrationFlow, now: OffsetDateTime) -> bool {
        let auth_code = self
            .grant_types
            .as_ref()
            .is_some_and(|g| g.iter().any(|t| t == "authorization_code"));
        let same_flow = match flow {
            RegistrationFlow::AuthCode => auth_code,
            RegistrationFlow::Device => !auth_code,
        };
        same_flow && (self.expires_at - now).whole_seconds() > super::REGISTRATION_WINDOW_SECONDS
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn keys_match_the_documented_hashes() {
        let mut k = RegistrationKey {
            start_url: "https://my-sso-portal.awsapps.com/start".into(),
            region: "us-east-1".into(),
            scopes: None,
            session_name: Some("my-sso".into()),
        };
        assert_eq!(
            k.hashed_json(),
            r#"{"region": "us-east-1", "scopes": null, "session_name": "my-sso", "startUrl": "https://my-sso-portal.awsapps.com/start", "tool": "botocore"}"#
        );
        assert_eq!(
            k.file_name(),
            "5d2ad48f7ce068c072924f44a42fb81ca0fd6b99.json"
        );
        k.scopes = Some(vec!["sso:account:access".into()]);
        assert_eq!(
            k.file_name(),
            "c5cfae6e3e4f067423a532368c8b514b6a4b0ace.json"
        );
        k.scopes = None;
        k.session_name = None;
        assert_eq!(
            k.file_name(),
            "0e093f10f65cee6c5c1898a8e240f5726875bf08.json"
        );
    }

    #[test]
    fn file_round_trips_and_flows_do_not_mix() {
        let json = r#"{"clientId": "c", "clientSecret": "s", "expiresAt": "2025-04-02T02:46:40Z", "scopes": ["sso:account:access"], "grantTypes": ["authorization_code", "refresh_token"]}"#;
        let r = Registration::from_json(json.as_bytes()).unwrap();
        assert_eq!(r.to_json(), json);
        let now = datetime!(2025-04-01 00:00:00 UTC);
        assert!(r.usable_for(RegistrationFlow::AuthCode, now));
        assert!(!r.usable_for(RegistrationFlow::Device, now));
        assert!(!r.usable_for(
            RegistrationFlow::AuthCode,
            datetime!(2025-04-02 02:32:00 UTC)
        ));
        assert!(Registration::from_json(b"{\"clientId\": 1}").is_none());
        assert!(!format!("{r:?}").contains("\"s\""));
    }
}
