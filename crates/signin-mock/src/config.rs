//! What the mock knows before it starts: identities, roles, lifetimes and clock knobs.

use serde::{Deserialize, Serialize};

use crate::faults::FaultPlan;

/// A principal a person can pick on the sign-in page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// Short name used on the page (`#identity-{name}`), by `--auto-approve` and by the admin API.
    pub name: String,
    /// The login session ARN (the id token's `sub`).
    pub arn: String,
    /// Whether the principal holds `signin:AuthorizeOAuth2Access`.
    #[serde(default = "yes")]
    pub can_authorize: bool,
    /// Whether the principal holds `signin:CreateOAuth2Token`.
    #[serde(default = "yes")]
    pub can_create_token: bool,
    /// Overrides the server-wide session lifetime for this principal.
    #[serde(default)]
    pub session_lifetime_secs: Option<u64>,
}

fn yes() -> bool {
    true
}

impl Identity {
    pub fn new(name: &str, arn: &str) -> Self {
        Identity {
            name: name.to_owned(),
            arn: arn.to_owned(),
            can_authorize: true,
            can_create_token: true,
            session_lifetime_secs: None,
        }
    }

    /// The 12-digit account id in the ARN (`arn:aws:iam::ACCOUNT:…`).
    pub fn account_id(&self) -> &str {
        arn_account(&self.arn)
    }
}

/// STS's `externalIdType`: 2–1224 characters of `[\w+=,.@:\/-]`.
pub(crate) fn valid_external_id(value: &str) -> bool {
    (2..=1224).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@:/-".contains(&b))
}

/// STS's `serialNumberType`: 9–256 characters of `[\w+=/:,.@-]`.
pub(crate) fn valid_serial_number(value: &str) -> bool {
    (9..=256).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=/:,.@-".contains(&b))
}

pub(crate) fn arn_account(arn: &str) -> &str {
    arn.split(':').nth(4).unwrap_or("")
}

/// An IAM role that logged-in principals may assume through STS.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    /// `arn:aws:iam::ACCOUNT:role/NAME`.
    pub arn: String,
    /// Who may assume it: identity names, principal ARNs, or `*`.
    #[serde(default = "everyone")]
    pub trusted: Vec<String>,
    /// The role's MaxSessionDuration (3600 by default, as in IAM).
    #[serde(default = "one_hour")]
    pub max_session_duration_secs: u64,
    /// The trust policy's `sts:ExternalId` condition: AssumeRole must send exactly this.
    #[serde(default)]
    pub external_id: Option<String>,
    /// The trust policy's `aws:MultiFactorAuthPresent` condition: AssumeRole must carry a valid
    /// `SerialNumber` + `TokenCode` (or be called with credentials that were issued with MFA).
    #[serde(default)]
    pub mfa_required: bool,
}

impl Role {
    /// A role everyone may assume for up to an hour, with no conditions. Build others with
    /// `Role { trusted: …, ..Role::new(arn) }`.
    pub fn new(arn: &str) -> Self {
        Role {
            arn: arn.to_owned(),
            trusted: everyone(),
            max_session_duration_secs: one_hour(),
            external_id: None,
            mfa_required: false,
        }
    }

    /// The role's name (the last path segment of its ARN).
    pub fn name(&self) -> &str {
        self.arn.rsplit('/').next().unwrap_or("")
    }
}

/// A virtual MFA device (see [`crate::mfa`] for how its codes are computed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MfaDevice {
    /// `arn:aws:iam::ACCOUNT:mfa/NAME`, what clients send as `SerialNumber`.
    pub serial: String,
    /// The identity (name) the device belongs to.
    pub identity: String,
    /// The TOTP key (its UTF-8 bytes).
    pub secret: String,
}

/// The documented secret of the built-in device `arn:aws:iam::111122223333:mfa/alice`.
pub const BUILTIN_MFA_SECRET: &str = "signin-mock-alice-totp";

fn everyone() -> Vec<String> {
    vec!["*".to_owned()]
}

fn one_hour() -> u64 {
    3600
}

/// Everything the server needs to start. `Default` gives the built-in identities and AWS's lifetimes.
///
/// The same shape is read from a JSON config file (`--config`); every field is optional there.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MockConfig {
    /// TCP port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    pub identities: Vec<Identity>,
    pub roles: Vec<Role>,
    /// Lifetime of issued credentials (`expiresIn`), at most 900 on the real service.
    pub access_token_lifetime_secs: u64,
    /// How long a login session can be refreshed.
    pub session_lifetime_secs: u64,
    /// How long an authorization code can be redeemed.
    pub auth_code_lifetime_secs: u64,
    /// Allowed distance between a DPoP proof's `iat` and the server clock.
    pub dpop_iat_skew_secs: u64,
    /// How long a refresh token that was already used still returns the same answer.
    pub refresh_grace_secs: u64,
    /// Shifts the server's own clock (Date headers, `iat` checks, SigV4 time checks, expiry).
    pub clock_offset_secs: i64,
    /// Approve every valid authorize request at once as this identity (headless tests).
    pub auto_approve: Option<String>,
    /// Faults active from the start.
    pub faults: FaultPlan,
    /// Virtual MFA devices for AssumeRole's `SerialNumber` + `TokenCode`.
    pub mfa_devices: Vec<MfaDevice>,
    /// Regions (from the SigV4 scope) where STS answers `RegionDisabledException`.
    pub sts_disabled_regions: Vec<String>,
    /// The IAM Identity Center instance (OIDC + portal) served on the same port.
    pub sso: SsoConfig,
}

/// An AWS account in the IAM Identity Center portal, with the permission sets (role names)
/// provisioned in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SsoAccount {
    pub account_id: String,
    pub account_name: String,
    pub email_address: String,
    /// Role names (permission sets) that exist in this account.
    pub roles: Vec<String>,
}

/// One assignment: this user may use this role in this account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SsoAssignment {
    pub account_id: String,
    pub role_name: String,
}

/// A person who signs in to the access portal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SsoUser {
    /// Short name: `#user-{name}` on the pages, `sso.auto_approve`, the admin API; also the
    /// role session name of the credentials (`…/AWSReservedSSO_ROLE_…/NAME`).
    pub name: String,
    pub assignments: Vec<SsoAssignment>,
}

/// IAM Identity Center: instance, accounts, users and their assignments, lifetimes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SsoConfig {
    /// The access portal URL: `StartDeviceAuthorization`'s `startUrl` and `RegisterClient`'s
    /// `issuerUrl` must be exactly this.
    pub start_url: String,
    pub accounts: Vec<SsoAccount>,
    pub users: Vec<SsoUser>,
    /// `expiresIn` of access tokens given with a refresh token (registrations with scopes).
    pub access_token_lifetime_secs: u64,
    /// `expiresIn` of tokens of legacy registrations (no scopes, so no refresh token).
    pub legacy_access_token_lifetime_secs: u64,
    /// How long a sign-in can be refreshed (the refresh token family's lifetime).
    pub refresh_token_lifetime_secs: u64,
    /// `clientSecretExpiresAt` − now for new registrations.
    pub registration_lifetime_secs: u64,
    /// `expiresIn` of device authorizations and lifetime of authorization codes' pages.
    pub device_code_lifetime_secs: u64,
    /// `interval` of device authorizations.
    pub device_poll_interval_secs: u64,
    /// How long an authorization code can be redeemed.
    pub auth_code_lifetime_secs: u64,
    /// Lifetime of GetRoleCredentials credentials.
    pub role_credentials_lifetime_secs: u64,
    /// A used refresh token redeemed again within this window gets the same next refresh token
    /// (and a fresh access token); later, reuse revokes the whole sign-in.
    pub refresh_reuse_grace_secs: u64,
    /// Approve as this user at once: `/authorize` redirects with a code without a page, and
    /// opening a device verification URL approves it.
    pub auto_approve: Option<String>,
}

impl Default for SsoConfig {
    fn default() -> Self {
        let account = |id: &str, name: &str, email: &str, roles: &[&str]| SsoAccount {
            account_id: id.to_owned(),
            account_name: name.to_owned(),
            email_address: email.to_owned(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        };
        let assign = |account_id: &str, role_name: &str| SsoAssignment {
            account_id: account_id.to_owned(),
            role_name: role_name.to_owned(),
        };
        SsoConfig {
            start_url: DEFAULT_SSO_START_URL.to_owned(),
            accounts: vec![
                account(
                    "111122223333",
                    "Development",
                    "dev@example.com",
                    &["AdministratorAccess", "ReadOnly"],
                ),
                account(
                    "444455556666",
                    "Production",
                    "prod@example.com",
                    &["ReadOnly", "Deploy"],
                ),
            ],
            users: vec![
                SsoUser {
                    name: "alice".to_owned(),
                    assignments: vec![
                        assign("111122223333", "AdministratorAccess"),
                        assign("111122223333", "ReadOnly"),
                        assign("444455556666", "ReadOnly"),
                        assign("444455556666", "Deploy"),
                    ],
                },
                SsoUser {
                    name: "carol".to_owned(),
                    assignments: vec![assign("111122223333", "ReadOnly")],
                },
            ],
            access_token_lifetime_secs: 3600,
            legacy_access_token_lifetime_secs: 8 * 3600,
            refresh_token_lifetime_secs: 90 * 24 * 3600,
            registration_lifetime_secs: 90 * 24 * 3600,
            device_code_lifetime_secs: 600,
            device_poll_interval_secs: 5,
            auth_code_lifetime_secs: 300,
            role_credentials_lifetime_secs: 3600,
            refresh_reuse_grace_secs: 60,
            auto_approve: None,
        }
    }
}

/// The built-in access portal URL (AWS-owned-looking, so AWS CLI ≥ 2.35.13 does not probe it).
pub const DEFAULT_SSO_START_URL: &str = "https://d-1234567890.awsapps.com/start";

impl SsoConfig {
    pub fn user(&self, name: &str) -> Option<&SsoUser> {
        self.users.iter().find(|u| u.name == name)
    }

    pub fn account(&self, account_id: &str) -> Option<&SsoAccount> {
        self.accounts.iter().find(|a| a.account_id == account_id)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: String| Err(ConfigError::Invalid(format!("sso: {m}")));
        let url_ok = url::Url::parse(&self.start_url).is_ok_and(|u| u.scheme() == "https");
        if !url_ok {
            return invalid(format!(
                "start_url {:?} must be an https URL",
                self.start_url
            ));
        }
        let mut ids = std::collections::HashSet::new();
        for account in &self.accounts {
            let id_ok = account.account_id.len() == 12
                && account.account_id.bytes().all(|b| b.is_ascii_digit());
            if !id_ok || !ids.insert(account.account_id.clone()) {
                return invalid(format!(
                    "account id {:?} must be 12 digits and unique",
                    account.account_id
                ));
            }
            for role in &account.roles {
                let role_ok = (1..=32).contains(&role.len())
                    && role
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b));
                if !role_ok {
                    return invalid(format!(
                        "role name {role:?} in {} must be 1-32 characters of [\\w+=,.@-]",
                        account.account_id
                    ));
                }
            }
        }
        let mut names = std::collections::HashSet::new();
        for user in &self.users {
            let name_ok = (2..=64).contains(&user.name.len())
                && user
                    .name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b));
            if !name_ok || !names.insert(user.name.clone()) {
                return invalid(format!(
                    "user name {:?} must be unique, 2-64 characters of [\\w+=,.@-]",
                    user.name
                ));
            }
            for assignment in &user.assignments {
                let exists = self
                    .account(&assignment.account_id)
                    .is_some_and(|a| a.roles.contains(&assignment.role_name));
                if !exists {
                    return invalid(format!(
                        "user {:?} is assigned {}/{}, which is not a role of a configured account",
                        user.name, assignment.account_id, assignment.role_name
                    ));
                }
            }
        }
        if let Some(name) = &self.auto_approve {
            if self.user(name).is_none() {
                return invalid(format!("auto_approve names {name:?}, which is not a user"));
            }
        }
        let lifetimes = [
            self.access_token_lifetime_secs,
            self.legacy_access_token_lifetime_secs,
            self.refresh_token_lifetime_secs,
            self.registration_lifetime_secs,
            self.device_code_lifetime_secs,
            self.auth_code_lifetime_secs,
            self.role_credentials_lifetime_secs,
        ];
        if lifetimes.contains(&0) {
            return invalid("lifetimes must be at least 1 second".to_owned());
        }
        if self.device_poll_interval_secs == 0 {
            return invalid("device_poll_interval_secs must be at least 1".to_owned());
        }
        Ok(())
    }
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            port: 0,
            identities: builtin_identities(),
            roles: vec![Role::new("arn:aws:iam::111122223333:role/Deploy")],
            access_token_lifetime_secs: 900,
            session_lifetime_secs: 12 * 3600,
            auth_code_lifetime_secs: 300,
            dpop_iat_skew_secs: 300,
            refresh_grace_secs: 60,
            clock_offset_secs: 0,
            auto_approve: None,
            faults: FaultPlan::default(),
            mfa_devices: vec![MfaDevice {
                serial: "arn:aws:iam::111122223333:mfa/alice".to_owned(),
                identity: "alice".to_owned(),
                secret: BUILTIN_MFA_SECRET.to_owned(),
            }],
            sts_disabled_regions: Vec::new(),
            sso: SsoConfig::default(),
        }
    }
}

/// `alice` (IAM user), `admin` (assumed role `Admin/alice`) and `bob` (IAM user without
/// `signin:CreateOAuth2Token`).
pub fn builtin_identities() -> Vec<Identity> {
    vec![
        Identity::new("alice", "arn:aws:iam::111122223333:user/alice"),
        Identity::new(
            "admin",
            "arn:aws:sts::111122223333:assumed-role/Admin/alice",
        ),
        Identity {
            can_create_token: false,
            ..Identity::new("bob", "arn:aws:iam::111122223333:user/bob")
        },
    ]
}

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid: {source}")]
    Parse {
        path: String,
        source: serde_json::Error,
    },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl MockConfig {
    /// Reads a JSON config file; fields left out keep their defaults.
    pub fn from_file(path: &std::path::Path) -> Result<Self, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        let config: MockConfig =
            serde_json::from_str(&text).map_err(|source| ConfigError::Parse {
                path: shown,
                source,
            })?;
        config.validate()?;
        Ok(config)
    }

    pub fn identity(&self, name_or_arn: &str) -> Option<&Identity> {
        self.identities
            .iter()
            .find(|i| i.name == name_or_arn || i.arn == name_or_arn)
    }

    /// Checks names and ARNs so that mistakes show at start, not mid-test.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut seen = std::collections::HashSet::new();
        for identity in &self.identities {
            let name_ok = !identity.name.is_empty()
                && identity
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !name_ok {
                return Err(ConfigError::Invalid(format!(
                    "identity name {:?} must be non-empty and use only letters, digits, '-' and '_'",
                    identity.name
                )));
            }
            if !seen.insert(identity.name.clone()) {
                return Err(ConfigError::Invalid(format!(
                    "identity name {:?} appears twice",
                    identity.name
                )));
            }
            let parts: Vec<&str> = identity.arn.split(':').collect();
            let account_ok = parts.len() == 6
                && parts[0] == "arn"
                && parts[4].len() == 12
                && parts[4].bytes().all(|b| b.is_ascii_digit());
            let kind_ok = (parts.get(2) == Some(&"iam")
                && parts
                    .get(5)
                    .is_some_and(|r| r.starts_with("user/") || *r == "root"))
                || (parts.get(2) == Some(&"sts")
                    && parts.get(5).is_some_and(|r| {
                        r.starts_with("assumed-role/") && r.split('/').count() == 3
                    }));
            if !account_ok || !kind_ok {
                return Err(ConfigError::Invalid(format!(
                    "identity {:?}: {:?} is not an IAM user, root or assumed-role session ARN",
                    identity.name, identity.arn
                )));
            }
        }
        for role in &self.roles {
            let parts: Vec<&str> = role.arn.split(':').collect();
            let account_ok = parts.len() == 6
                && parts[4].len() == 12
                && parts[4].bytes().all(|b| b.is_ascii_digit());
            if !account_ok || parts[2] != "iam" || !parts[5].starts_with("role/") {
                return Err(ConfigError::Invalid(format!(
                    "role {:?} is not an IAM role ARN",
                    role.arn
                )));
            }
            if !(900..=43200).contains(&role.max_session_duration_secs) {
                return Err(ConfigError::Invalid(format!(
                    "role {:?}: max_session_duration_secs must be 900..=43200, as in IAM",
                    role.arn
                )));
            }
            if let Some(external_id) = &role.external_id {
                if !valid_external_id(external_id) {
                    return Err(ConfigError::Invalid(format!(
                        "role {:?}: external_id must be 2-1224 characters of [\\w+=,.@:/-]",
                        role.arn
                    )));
                }
            }
        }
        let mut serials = std::collections::HashSet::new();
        for device in &self.mfa_devices {
            let parts: Vec<&str> = device.serial.split(':').collect();
            let serial_ok = parts.len() == 6
                && parts[2] == "iam"
                && parts[5].starts_with("mfa/")
                && valid_serial_number(&device.serial);
            if !serial_ok {
                return Err(ConfigError::Invalid(format!(
                    "MFA device {:?} is not an IAM MFA device ARN (arn:aws:iam::ACCOUNT:mfa/NAME)",
                    device.serial
                )));
            }
            if self.identity(&device.identity).is_none() {
                return Err(ConfigError::Invalid(format!(
                    "MFA device {:?} belongs to {:?}, which is not a configured identity",
                    device.serial, device.identity
                )));
            }
            if device.secret.is_empty() {
                return Err(ConfigError::Invalid(format!(
                    "MFA device {:?} needs a non-empty secret",
                    device.serial
                )));
            }
            if !serials.insert(device.serial.clone()) {
                return Err(ConfigError::Invalid(format!(
                    "MFA device {:?} appears twice",
                    device.serial
                )));
            }
        }
        if let Some(name) = &self.auto_approve {
            if self.identity(name).is_none() {
                return Err(ConfigError::Invalid(format!(
                    "--auto-approve names {name:?}, which is not a configured identity"
                )));
            }
        }
        self.sso.validate()?;
        if self.access_token_lifetime_secs == 0 || self.session_lifetime_secs == 0 {
            return Err(ConfigError::Invalid(
                "access-token and session lifetimes must be at least 1 second".to_owned(),
            ));
        }
        Ok(())
    }
}
