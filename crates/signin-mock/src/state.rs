//! The server's memory: pending sign-ins, codes, sessions, refresh tokens, issued credentials,
//! seen DPoP `jti`s, counters and faults. One mutex; every critical section is short.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use base64ct::{Base64, Base64UrlUnpadded, Encoding};
use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};

use crate::config::{Identity, MockConfig};
use crate::faults::FaultPlan;

/// Milliseconds since the Unix epoch, on the server's (possibly offset) clock.
pub(crate) type Millis = i64;

/// A validated authorize request waiting for the person to pick an identity.
#[derive(Debug, Clone)]
pub(crate) struct AuthorizeRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub state: String,
    pub code_challenge: String,
}

#[derive(Debug, Clone)]
pub(crate) struct PendingSignIn {
    pub request: AuthorizeRequest,
    pub created_at: Millis,
}

#[derive(Debug, Clone)]
pub(crate) struct IssuedCode {
    pub request: AuthorizeRequest,
    pub identity: String,
    pub issued_at: Millis,
    pub redeemed: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct LoginSessionRecord {
    pub identity: String,
    pub arn: String,
    pub client_id: String,
    pub jkt: String,
    pub created_at: Millis,
    pub expires_at: Millis,
}

/// The answer given when a refresh token was redeemed, replayed during the grace window.
#[derive(Debug, Clone)]
pub(crate) struct RefreshAnswer {
    pub used_at: Millis,
    pub access_key_id: String,
    pub next_refresh_token: String,
}

#[derive(Debug, Clone)]
pub(crate) struct RefreshRecord {
    pub session_id: String,
    pub used: Option<RefreshAnswer>,
}

/// Credentials this server handed out, by access key id; STS verifies signatures against them.
#[derive(Debug, Clone)]
pub(crate) struct IssuedCredentials {
    pub secret_access_key: String,
    pub session_token: String,
    pub expires_at: Millis,
    /// The caller ARN STS reports (user ARN, or assumed-role session ARN).
    pub arn: String,
    pub user_id: String,
    /// The signed-in identity these credentials descend from.
    pub identity: String,
    /// Issued by `sts:AssumeRole` (so a further AssumeRole is role chaining).
    pub from_assume_role: bool,
    /// The role these are a session of (`arn:aws:iam::…:role/NAME`), for assumed-role callers.
    pub role_arn: Option<String>,
    /// Issued by a call that presented a valid MFA code (`aws:MultiFactorAuthPresent`).
    pub mfa_authenticated: bool,
}

/// Counters the admin API reports. Outcomes are `ok` or the error code returned.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Authorize-flow events by outcome: `page`, `invalid`, `auto_approved`, `approved`,
    /// `denied`, `forbidden`, `expired_request`, `confirmation`.
    pub authorize: BTreeMap<String, u64>,
    /// `POST /v1/token` calls: grant (`authorization_code`, `refresh_token`, `unknown`) → outcome → count.
    pub token: BTreeMap<String, BTreeMap<String, u64>>,
    /// The same, per DPoP key thumbprint (RFC 7638), for calls whose proof had a parseable key.
    pub token_by_key: BTreeMap<String, BTreeMap<String, BTreeMap<String, u64>>>,
    /// IAM Identity Center OIDC calls: operation (`RegisterClient`, `StartDeviceAuthorization`,
    /// `CreateToken`) → outcome (`ok` or the exception name) → count.
    #[serde(default)]
    pub sso_oidc: BTreeMap<String, BTreeMap<String, u64>>,
    /// `CreateToken` by grant (`device_code`, `authorization_code`, `refresh_token`, `unknown`)
    /// → outcome → count.
    #[serde(default)]
    pub sso_token: BTreeMap<String, BTreeMap<String, u64>>,
    /// Portal calls: `GetRoleCredentials`, `ListAccounts`, `ListAccountRoles`, `Logout` →
    /// outcome → count.
    #[serde(default)]
    pub sso_portal: BTreeMap<String, BTreeMap<String, u64>>,
    /// Browser-side events of `/authorize` and the device page: `authorize_page`,
    /// `authorize_approved`, `authorize_denied`, `authorize_auto_approved`, `authorize_invalid`,
    /// `device_page`, `device_approved`, `device_denied`, `device_auto_approved`, `device_unknown_code`.
    #[serde(default)]
    pub sso_pages: BTreeMap<String, u64>,
    /// STS calls: action → outcome → count.
    pub sts: BTreeMap<String, BTreeMap<String, u64>>,
    /// `AssumeRole` calls that got past authentication: requested `RoleArn` → outcome → count.
    #[serde(default)]
    pub assume_role: BTreeMap<String, BTreeMap<String, u64>>,
    /// Faults injected, by kind (`drop`, `status_429`, `malformed`, …).
    pub faults: BTreeMap<String, u64>,
}

impl Stats {
    /// All token calls with this grant, whatever the outcome.
    pub fn token_calls(&self, grant: &str) -> u64 {
        self.token.get(grant).map_or(0, |m| m.values().sum())
    }

    /// Token calls with this grant and outcome (`ok`, `TOKEN_EXPIRED`, …).
    pub fn token_outcome(&self, grant: &str, outcome: &str) -> u64 {
        self.token
            .get(grant)
            .and_then(|m| m.get(outcome))
            .copied()
            .unwrap_or(0)
    }

    /// Token calls with this grant signed by the DPoP key with this thumbprint.
    pub fn token_calls_for_key(&self, jkt: &str, grant: &str) -> u64 {
        self.token_by_key
            .get(jkt)
            .and_then(|g| g.get(grant))
            .map_or(0, |m| m.values().sum())
    }

    pub fn sts_calls(&self, action: &str) -> u64 {
        self.sts.get(action).map_or(0, |m| m.values().sum())
    }

    pub fn sts_outcome(&self, action: &str, outcome: &str) -> u64 {
        self.sts
            .get(action)
            .and_then(|m| m.get(outcome))
            .copied()
            .unwrap_or(0)
    }

    /// AssumeRole calls for this role ARN, whatever the outcome.
    pub fn assume_role_calls(&self, role_arn: &str) -> u64 {
        self.assume_role
            .get(role_arn)
            .map_or(0, |m| m.values().sum())
    }

    /// AssumeRole calls for this role ARN with this outcome (`ok`, `AccessDenied`, …).
    pub fn assume_role_outcome(&self, role_arn: &str, outcome: &str) -> u64 {
        self.assume_role
            .get(role_arn)
            .and_then(|m| m.get(outcome))
            .copied()
            .unwrap_or(0)
    }

    /// IAM Identity Center OIDC calls of this operation with this outcome.
    pub fn sso_oidc_outcome(&self, operation: &str, outcome: &str) -> u64 {
        nested(&self.sso_oidc, operation, outcome)
    }

    /// `CreateToken` calls with this grant (`device_code`, `authorization_code`,
    /// `refresh_token`), whatever the outcome.
    pub fn sso_token_calls(&self, grant: &str) -> u64 {
        self.sso_token.get(grant).map_or(0, |m| m.values().sum())
    }

    /// `CreateToken` calls with this grant and outcome (`ok`, `AuthorizationPendingException`, …).
    pub fn sso_token_outcome(&self, grant: &str, outcome: &str) -> u64 {
        nested(&self.sso_token, grant, outcome)
    }

    /// Portal calls of this operation, whatever the outcome.
    pub fn sso_portal_calls(&self, operation: &str) -> u64 {
        self.sso_portal
            .get(operation)
            .map_or(0, |m| m.values().sum())
    }

    /// Portal calls of this operation with this outcome.
    pub fn sso_portal_outcome(&self, operation: &str, outcome: &str) -> u64 {
        nested(&self.sso_portal, operation, outcome)
    }

    pub fn sso_page_events(&self, event: &str) -> u64 {
        self.sso_pages.get(event).copied().unwrap_or(0)
    }

    pub fn authorize_outcome(&self, outcome: &str) -> u64 {
        self.authorize.get(outcome).copied().unwrap_or(0)
    }
}

fn nested(map: &BTreeMap<String, BTreeMap<String, u64>>, key: &str, outcome: &str) -> u64 {
    map.get(key)
        .and_then(|m| m.get(outcome))
        .copied()
        .unwrap_or(0)
}

pub(crate) fn bump(map: &mut BTreeMap<String, BTreeMap<String, u64>>, key: &str, outcome: &str) {
    *map.entry(key.to_owned())
        .or_default()
        .entry(outcome.to_owned())
        .or_default() += 1;
}

#[derive(Debug, Default)]
pub(crate) struct Inner {
    pub pending: HashMap<String, PendingSignIn>,
    pub codes: HashMap<String, IssuedCode>,
    pub sessions: HashMap<String, LoginSessionRecord>,
    pub refresh_tokens: HashMap<String, RefreshRecord>,
    pub credentials: HashMap<String, IssuedCredentials>,
    /// jti → time after which it can be forgotten (its `iat` is then out of the window anyway).
    pub seen_jti: HashMap<String, Millis>,
    /// identity name → when its password was last changed.
    pub password_changed: HashMap<String, Millis>,
    pub stats: Stats,
    pub faults: FaultPlan,
    pub clock_offset_secs: i64,
    pub auto_approve: Option<String>,
    /// identity name → permissions in force (starts from the config; the admin API can change it).
    pub permissions: HashMap<String, Permissions>,
    /// MFA serial → TOTP steps whose code was already accepted (a code works once).
    pub used_mfa_steps: HashMap<String, std::collections::BTreeSet<i64>>,
    /// Regions where STS answers `RegionDisabledException` (config, then the admin API).
    pub sts_disabled_regions: std::collections::BTreeSet<String>,
    /// IAM Identity Center: registrations, device authorizations, codes, sign-ins, tokens.
    pub sso: crate::sso::SsoState,
}

/// The two Sign-In actions a principal needs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permissions {
    /// `signin:AuthorizeOAuth2Access`
    pub can_authorize: bool,
    /// `signin:CreateOAuth2Token`
    pub can_create_token: bool,
}

/// Shared by every handler and by the library handle.
#[derive(Debug)]
pub(crate) struct MockState {
    pub config: MockConfig,
    pub inner: Mutex<Inner>,
    /// Signs id tokens (clients decode them without verifying, but they are real JWTs).
    pub id_token_key: p256::ecdsa::SigningKey,
}

pub(crate) type SharedState = Arc<MockState>;

impl MockState {
    pub fn new(config: MockConfig) -> Self {
        let inner = Inner {
            faults: config.faults.clone(),
            clock_offset_secs: config.clock_offset_secs,
            auto_approve: config.auto_approve.clone(),
            sts_disabled_regions: config.sts_disabled_regions.iter().cloned().collect(),
            sso: crate::sso::SsoState {
                auto_approve: config.sso.auto_approve.clone(),
                ..Default::default()
            },
            permissions: config
                .identities
                .iter()
                .map(|i| {
                    let permissions = Permissions {
                        can_authorize: i.can_authorize,
                        can_create_token: i.can_create_token,
                    };
                    (i.name.clone(), permissions)
                })
                .collect(),
            ..Inner::default()
        };
        MockState {
            config,
            inner: Mutex::new(inner),
            id_token_key: p256::ecdsa::SigningKey::random(&mut rand::rngs::OsRng),
        }
    }

    /// Locks the state; a panic elsewhere never wedges the server.
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The server's clock in milliseconds, with the configured offset.
    pub fn now_ms(&self) -> Millis {
        let offset = self.lock().clock_offset_secs;
        system_ms() + offset * 1000
    }

    pub fn identity(&self, name_or_arn: &str) -> Option<&Identity> {
        self.config.identity(name_or_arn)
    }
}

pub(crate) fn system_ms() -> Millis {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

impl Inner {
    pub fn permissions(&self, identity: &str) -> Permissions {
        self.permissions.get(identity).copied().unwrap_or_default()
    }

    pub fn count_token(&mut self, grant: &str, outcome: &str, jkt: Option<&str>) {
        *self
            .stats
            .token
            .entry(grant.to_owned())
            .or_default()
            .entry(outcome.to_owned())
            .or_default() += 1;
        if let Some(jkt) = jkt {
            *self
                .stats
                .token_by_key
                .entry(jkt.to_owned())
                .or_default()
                .entry(grant.to_owned())
                .or_default()
                .entry(outcome.to_owned())
                .or_default() += 1;
        }
    }

    pub fn count_authorize(&mut self, outcome: &str) {
        *self.stats.authorize.entry(outcome.to_owned()).or_default() += 1;
    }

    pub fn count_sts(&mut self, action: &str, outcome: &str) {
        *self
            .stats
            .sts
            .entry(action.to_owned())
            .or_default()
            .entry(outcome.to_owned())
            .or_default() += 1;
    }

    pub fn count_assume_role(&mut self, role_arn: &str, outcome: &str) {
        *self
            .stats
            .assume_role
            .entry(role_arn.to_owned())
            .or_default()
            .entry(outcome.to_owned())
            .or_default() += 1;
    }

    pub fn count_fault(&mut self, kind: &str) {
        *self.stats.faults.entry(kind.to_owned()).or_default() += 1;
    }

    /// Forgets what can no longer matter, so a long demo does not grow without bound.
    pub fn prune(&mut self, now: Millis) {
        self.seen_jti.retain(|_, forget_after| *forget_after > now);
        self.pending
            .retain(|_, p| now - p.created_at < PENDING_SIGN_IN_MS);
        let sessions = &self.sessions;
        self.refresh_tokens.retain(|_, r| {
            sessions
                .get(&r.session_id)
                .is_some_and(|s| s.expires_at + DAY_MS > now)
        });
        self.codes.retain(|_, c| now - c.issued_at < DAY_MS);
        self.credentials.retain(|_, c| c.expires_at + DAY_MS > now);
        self.sessions.retain(|_, s| s.expires_at + DAY_MS > now);
        self.sso.prune(now);
        // Steps older than the accepted window can never match again.
        let oldest_step = crate::mfa::step_of(now.div_euclid(1000)) - 2;
        for steps in self.used_mfa_steps.values_mut() {
            steps.retain(|step| *step >= oldest_step);
        }
    }
}

/// A sign-in page stays usable for 10 minutes, as long as the CLI waits.
pub(crate) const PENDING_SIGN_IN_MS: Millis = 10 * 60 * 1000;
const DAY_MS: Millis = 24 * 3600 * 1000;

/// Random values shaped like the real ones.
pub(crate) mod tokens {
    use super::*;

    const KEY_ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    fn random_bytes<const N: usize>() -> [u8; N] {
        let mut bytes = [0u8; N];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        bytes
    }

    /// `ASIA` + 16 characters, like temporary credentials from STS.
    pub fn access_key_id() -> String {
        let mut rng = rand::rngs::OsRng;
        let tail: String = (0..16)
            .map(|_| KEY_ID_ALPHABET[rng.gen_range(0..KEY_ID_ALPHABET.len())] as char)
            .collect();
        format!("ASIA{tail}")
    }

    /// 40 characters of base64, like a real secret access key.
    pub fn secret_access_key() -> String {
        Base64::encode_string(&random_bytes::<30>())
    }

    pub fn session_token() -> String {
        Base64::encode_string(&random_bytes::<192>())
    }

    /// `ASOR…`: the real service's refresh tokens carry this prefix.
    pub fn refresh_token() -> String {
        format!(
            "ASOR{}",
            Base64UrlUnpadded::encode_string(&random_bytes::<48>())
        )
    }

    pub fn authorization_code() -> String {
        Base64UrlUnpadded::encode_string(&random_bytes::<32>())
    }

    pub fn opaque_id() -> String {
        Base64UrlUnpadded::encode_string(&random_bytes::<18>())
    }

    /// A stable IAM unique id (`AIDA…`, `AROA…`) derived from the ARN.
    pub fn unique_id(prefix: &str, seed: &str) -> String {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(seed.as_bytes());
        let tail: String = digest
            .iter()
            .take(17)
            .map(|b| KEY_ID_ALPHABET[usize::from(*b) % KEY_ID_ALPHABET.len()] as char)
            .collect();
        format!("{prefix}{tail}")
    }
}
