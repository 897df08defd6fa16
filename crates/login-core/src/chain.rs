//! The profile-chain planner: a profile name plus the parsed config and credentials files become
//! a [`ChainPlan`] — one base [`Source`], then the roles to assume in order — before anything is
//! fetched. Running the plan (files, processes, HTTP) is login-io's job.
//!
//! The rules are botocore's (`AssumeRoleProvider`, `ProfileProviderBuilder`), which AWS CLI v2
//! shares:
//! - a profile with `role_arn` (and no `web_identity_token_file`) is a role step; it needs exactly
//!   one of `source_profile` / `credential_source`;
//! - a source profile with static keys, or without `role_arn`, gives its own credentials through
//!   the profile providers in botocore's order: web identity, SSO, credentials-file keys, login
//!   session, `credential_process`, config-file keys; only otherwise is its role assumed in turn;
//! - a profile may name itself as `source_profile` only when it has static keys; any other revisit
//!   is a loop.
//!
//! aws-config (smithy-rs `profile/credentials/repr.rs`) plans the same shape but differs: it
//! checks a profile's static keys before its `role_arn` even for the profile asked for (botocore
//! assumes the role), it has no login-session source, and it rejects a non-integer
//! `duration_seconds` where botocore silently drops it. aws-login rejects it too, with a message,
//! rather than assume the role with a duration nobody asked for.

use std::fmt;

use crate::config::{ConfigFile, SectionView};
use crate::secret::SecretString;
use crate::shared_credentials::SharedCredentialsFile;

/// Where the first credentials of a chain come from. Each variant is fetched by one fetcher in
/// login-io with one cache rule; a new kind of source is one more variant.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// `login_session = <session ARN>`: the console-credentials login cache.
    LoginSession {
        profile: String,
        session_arn: String,
    },
    /// `aws_access_key_id` / `aws_secret_access_key` (/ `aws_session_token`).
    StaticKeys {
        profile: String,
        keys: StaticKeys,
        file: KeysFile,
    },
    /// `credential_process = <command>`.
    CredentialProcess { profile: String, command: String },
    /// `credential_source = Environment`: `AWS_ACCESS_KEY_ID` & co. of the process.
    Environment { profile: String },
    /// IAM Identity Center: `sso_session` / `sso_account_id` / `sso_role_name` (or the legacy
    /// `sso_start_url` form). The settings are read by [`crate::sso::SsoProfile::from_config`].
    Sso { profile: String },
}

impl Source {
    /// The profile whose keys define this source.
    pub fn profile(&self) -> &str {
        match self {
            Source::LoginSession { profile, .. }
            | Source::StaticKeys { profile, .. }
            | Source::CredentialProcess { profile, .. }
            | Source::Environment { profile }
            | Source::Sso { profile } => profile,
        }
    }

    /// A short description for status output (never a secret).
    pub fn describe(&self) -> String {
        match self {
            Source::LoginSession {
                profile,
                session_arn,
            } => format!("login profile '{profile}' ({session_arn})"),
            Source::StaticKeys {
                profile,
                keys,
                file,
            } => format!(
                "access key {} of profile '{profile}' in the {file}",
                keys.access_key_id
            ),
            Source::CredentialProcess { profile, command } => {
                format!("credential_process of profile '{profile}' (`{command}`)")
            }
            Source::Environment { profile } => {
                format!("the AWS_ACCESS_KEY_ID environment credentials (credential_source of profile '{profile}')")
            }
            Source::Sso { profile } => format!("IAM Identity Center profile '{profile}'"),
        }
    }
}

/// Long-term (or pasted temporary) keys from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticKeys {
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    pub session_token: Option<SecretString>,
}

/// Which file static keys were read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeysFile {
    Credentials,
    Config,
}

impl fmt::Display for KeysFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeysFile::Credentials => "shared credentials file",
            KeysFile::Config => "config file",
        })
    }
}

/// One AssumeRole call, with what the profile configures for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleStep {
    /// The profile with the `role_arn`.
    pub profile: String,
    pub role_arn: String,
    pub role_session_name: Option<String>,
    pub external_id: Option<String>,
    pub mfa_serial: Option<String>,
    pub duration_seconds: Option<u32>,
}

/// A resolved chain: fetch `base`, then assume each of `roles` in order with the credentials of
/// the step before. `roles` is empty when the profile gives its own credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainPlan {
    /// The profile asked for.
    pub profile: String,
    pub base: Source,
    pub roles: Vec<RoleStep>,
}

impl ChainPlan {
    /// The profiles from the one asked for down to the base: `["admin", "ops", "signin"]`.
    pub fn profiles(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .roles
            .iter()
            .rev()
            .map(|r| r.profile.as_str())
            .collect();
        if names.last() != Some(&self.base.profile()) {
            names.push(self.base.profile());
        }
        names
    }
}

/// Why a profile cannot be planned. Messages name the whole chain and say what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    #[error("The config profile '{profile}' could not be found.")]
    ProfileNotFound { profile: String },

    #[error("The source_profile \"{source_profile}\" referenced in the profile \"{profile}\" does not exist (chain: {}). Add a [profile {source_profile}] section or fix source_profile.", join(chain))]
    SourceProfileNotFound {
        profile: String,
        source_profile: String,
        chain: Vec<String>,
    },

    #[error("Infinite loop in credential configuration detected: {} -> {source_profile}. Profile '{source_profile}' was already visited; a profile may name itself as source_profile only when it has its own aws_access_key_id and aws_secret_access_key. Change one source_profile so the chain ends in a profile with its own credentials.", join(visited))]
    InfiniteLoop {
        source_profile: String,
        visited: Vec<String>,
    },

    #[error("The profile \"{profile}\" contains both source_profile and credential_source. Keep only one of them.")]
    BothSourceProfileAndCredentialSource { profile: String },

    #[error("Profile '{profile}' has role_arn but neither source_profile nor credential_source, so there are no credentials to assume the role with. Add `source_profile = <profile with credentials>`, e.g. a login profile.")]
    MissingSource { profile: String },

    #[error("The credential_source \"{value}\" of profile '{profile}' is not supported by aws-login (only `Environment` is). Use `source_profile` with a login profile instead.")]
    UnsupportedCredentialSource { profile: String, value: String },

    #[error("The credential source \"{value}\" referenced in profile \"{profile}\" is not valid: use Environment, Ec2InstanceMetadata or EcsContainer.")]
    InvalidCredentialSource { profile: String, value: String },

    #[error("Profile '{profile}' uses {style} (`{key}`), which is not supported by aws-login (chain: {}). Use the AWS CLI for this profile, or a login profile.", join(chain))]
    UnsupportedStyle {
        profile: String,
        key: String,
        style: String,
        chain: Vec<String>,
    },

    #[error("{}", no_credentials_message(profile, chain))]
    NoCredentials { profile: String, chain: Vec<String> },

    #[error("Profile '{profile}' in the {file} has only part of its access key: {missing} is missing. Add it or remove the other key.")]
    PartialStaticKeys {
        profile: String,
        missing: String,
        file: KeysFile,
    },

    #[error("Profile '{profile}' has `duration_seconds = {value}`, which is not a whole number of seconds. Use e.g. `duration_seconds = 3600` or remove it.")]
    InvalidDurationSeconds { profile: String, value: String },

    #[error("Profile '{profile}' has an empty `{key}`. Set it or remove the line.")]
    EmptyValue { profile: String, key: String },
}

impl ChainError {
    /// A stable name for bindings and fixtures (`"InfiniteLoop"`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            ChainError::ProfileNotFound { .. } => "ProfileNotFound",
            ChainError::SourceProfileNotFound { .. } => "SourceProfileNotFound",
            ChainError::InfiniteLoop { .. } => "InfiniteLoop",
            ChainError::BothSourceProfileAndCredentialSource { .. } => {
                "BothSourceProfileAndCredentialSource"
            }
            ChainError::MissingSource { .. } => "MissingSource",
            ChainError::UnsupportedCredentialSource { .. } => "UnsupportedCredentialSource",
            ChainError::InvalidCredentialSource { .. } => "InvalidCredentialSource",
            ChainError::UnsupportedStyle { .. } => "UnsupportedStyle",
            ChainError::NoCredentials { .. } => "NoCredentials",
            ChainError::PartialStaticKeys { .. } => "PartialStaticKeys",
            ChainError::InvalidDurationSeconds { .. } => "InvalidDurationSeconds",
            ChainError::EmptyValue { .. } => "EmptyValue",
        }
    }
}

fn join(chain: &[String]) -> String {
    chain.join(" -> ")
}

fn no_credentials_message(profile: &str, chain: &[String]) -> String {
    if chain.len() <= 1 {
        format!("Profile '{profile}' has no credentials: no login_session, role_arn, credential_process or access key.")
    } else {
        format!(
            "The source profile \"{profile}\" must have credentials (chain: {}): give it a login_session (`aws-login login --profile {profile}`), an access key, a credential_process or a role_arn with its own source.",
            join(chain)
        )
    }
}

/// The profile as botocore sees it: the config file's section with the credentials file's
/// section of the same name laid over it.
struct MergedProfile {
    config: Option<SectionView>,
    credentials: Option<SectionView>,
}

impl MergedProfile {
    fn get(&self, key: &str) -> Option<&str> {
        self.credentials
            .as_ref()
            .and_then(|v| v.get(key))
            .or_else(|| self.config.as_ref().and_then(|v| v.get(key)))
    }

    fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    fn has_static_keys(&self) -> bool {
        self.has("aws_access_key_id") || self.has("aws_secret_access_key")
    }

    /// botocore's `_has_assume_role_config_vars`.
    fn is_role(&self) -> bool {
        self.has("role_arn") && !self.has("web_identity_token_file")
    }
}

/// Keys that make a profile use IAM Identity Center.
const SSO_KEYS: [&str; 4] = [
    "sso_session",
    "sso_start_url",
    "sso_account_id",
    "sso_role_name",
];

/// Plans the credential chain of `profile`.
pub fn plan(
    config: &ConfigFile,
    credentials: &SharedCredentialsFile,
    profile: &str,
) -> Result<ChainPlan, ChainError> {
    let lookup = |name: &str| -> Option<MergedProfile> {
        let merged = MergedProfile {
            config: config.profile(name),
            credentials: credentials.profile(name),
        };
        (merged.config.is_some() || merged.credentials.is_some()).then_some(merged)
    };
    let Some(mut current) = lookup(profile) else {
        return Err(ChainError::ProfileNotFound {
            profile: profile.to_owned(),
        });
    };
    let mut name = profile.to_owned();
    let mut visited = vec![name.clone()];
    let mut roles: Vec<RoleStep> = Vec::new();
    // The profile asked for assumes its role whenever it has one; source profiles only when
    // they have no keys of their own.
    let mut first = true;
    loop {
        let assume = current.is_role() && (first || !current.has_static_keys());
        if !assume {
            let base = base_source(&name, &current, &visited)?;
            roles.reverse();
            return Ok(ChainPlan {
                profile: profile.to_owned(),
                base,
                roles,
            });
        }
        first = false;
        roles.push(role_step(&name, &current)?);
        let source_profile = current.get("source_profile").map(str::to_owned);
        let credential_source = current.get("credential_source").map(str::trim);
        match (source_profile, credential_source) {
            (Some(_), Some(_)) => {
                return Err(ChainError::BothSourceProfileAndCredentialSource { profile: name })
            }
            (None, None) => return Err(ChainError::MissingSource { profile: name }),
            (None, Some(value)) => {
                let base = credential_source_base(&name, value)?;
                roles.reverse();
                return Ok(ChainPlan {
                    profile: profile.to_owned(),
                    base,
                    roles,
                });
            }
            (Some(source), None) => {
                let Some(next) = lookup(&source) else {
                    let mut chain = visited.clone();
                    chain.push(source.clone());
                    return Err(ChainError::SourceProfileNotFound {
                        profile: name,
                        source_profile: source,
                        chain,
                    });
                };
                if visited.contains(&source) && !(source == name && next.has_static_keys()) {
                    return Err(ChainError::InfiniteLoop {
                        source_profile: source,
                        visited,
                    });
                }
                visited.push(source.clone());
                name = source;
                current = next;
            }
        }
    }
}

fn credential_source_base(profile: &str, value: &str) -> Result<Source, ChainError> {
    match value {
        "Environment" => Ok(Source::Environment {
            profile: profile.to_owned(),
        }),
        "Ec2InstanceMetadata" | "EcsContainer" => Err(ChainError::UnsupportedCredentialSource {
            profile: profile.to_owned(),
            value: value.to_owned(),
        }),
        _ => Err(ChainError::InvalidCredentialSource {
            profile: profile.to_owned(),
            value: value.to_owned(),
        }),
    }
}

fn non_empty(profile: &str, key: &str, value: Option<&str>) -> Result<Option<String>, ChainError> {
    match value.map(str::trim) {
        None => Ok(None),
        Some("") => Err(ChainError::EmptyValue {
            profile: profile.to_owned(),
            key: key.to_owned(),
        }),
        Some(v) => Ok(Some(v.to_owned())),
    }
}

fn role_step(name: &str, profile: &MergedProfile) -> Result<RoleStep, ChainError> {
    let role_arn = non_empty(name, "role_arn", profile.get("role_arn"))?.unwrap_or_default();
    let duration_seconds = match profile.get("duration_seconds").map(str::trim) {
        None => None,
        Some(text) => {
            Some(
                text.parse::<u32>()
                    .map_err(|_| ChainError::InvalidDurationSeconds {
                        profile: name.to_owned(),
                        value: text.to_owned(),
                    })?,
            )
        }
    };
    Ok(RoleStep {
        profile: name.to_owned(),
        role_arn,
        role_session_name: non_empty(name, "role_session_name", profile.get("role_session_name"))?,
        external_id: non_empty(name, "external_id", profile.get("external_id"))?,
        mfa_serial: non_empty(name, "mfa_serial", profile.get("mfa_serial"))?,
        duration_seconds,
    })
}

/// A profile's own credentials, by botocore's profile providers in their order.
fn base_source(
    name: &str,
    profile: &MergedProfile,
    visited: &[String],
) -> Result<Source, ChainError> {
    let unsupported = |key: &str, style: &str| ChainError::UnsupportedStyle {
        profile: name.to_owned(),
        key: key.to_owned(),
        style: style.to_owned(),
        chain: visited.to_vec(),
    };
    if profile.has("web_identity_token_file") {
        return Err(unsupported("web_identity_token_file", "Web Identity"));
    }
    if SSO_KEYS.iter().any(|k| profile.has(k)) {
        return Ok(Source::Sso {
            profile: name.to_owned(),
        });
    }
    if let Some(keys) = static_keys(name, profile.credentials.as_ref(), KeysFile::Credentials)? {
        return Ok(Source::StaticKeys {
            profile: name.to_owned(),
            keys,
            file: KeysFile::Credentials,
        });
    }
    if let Some(session_arn) = profile
        .get("login_session")
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        return Ok(Source::LoginSession {
            profile: name.to_owned(),
            session_arn: session_arn.to_owned(),
        });
    }
    if let Some(command) = profile
        .get("credential_process")
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        return Ok(Source::CredentialProcess {
            profile: name.to_owned(),
            command: command.to_owned(),
        });
    }
    if let Some(keys) = static_keys(name, profile.config.as_ref(), KeysFile::Config)? {
        return Ok(Source::StaticKeys {
            profile: name.to_owned(),
            keys,
            file: KeysFile::Config,
        });
    }
    Err(ChainError::NoCredentials {
        profile: name.to_owned(),
        chain: visited.to_vec(),
    })
}

fn static_keys(
    name: &str,
    section: Option<&SectionView>,
    file: KeysFile,
) -> Result<Option<StaticKeys>, ChainError> {
    let Some(section) = section else {
        return Ok(None);
    };
    let id = section.get("aws_access_key_id").map(str::trim);
    let secret = section.get("aws_secret_access_key").map(str::trim);
    let partial = |missing: &str| ChainError::PartialStaticKeys {
        profile: name.to_owned(),
        missing: missing.to_owned(),
        file,
    };
    match (id, secret) {
        (None, None) => Ok(None),
        (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => {
            let token = section
                .get("aws_session_token")
                .or_else(|| section.get("aws_security_token"))
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(SecretString::from);
            Ok(Some(StaticKeys {
                access_key_id: id.to_owned(),
                secret_access_key: SecretString::from(secret),
                session_token: token,
            }))
        }
        (Some(id), _) if !id.is_empty() => Err(partial("aws_secret_access_key")),
        _ => Err(partial("aws_access_key_id")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(config: &str, credentials: &str, profile: &str) -> Result<ChainPlan, ChainError> {
        plan(
            &ConfigFile::parse(config),
            &SharedCredentialsFile::parse(credentials),
            profile,
        )
    }

    const LOGIN: &str = "[profile signin]\nlogin_session = arn:aws:iam::111122223333:user/alice\nregion = us-east-1\n";

    #[test]
    fn role_on_a_login_profile() {
        let config = format!("{LOGIN}[profile admin]\nrole_arn = arn:aws:iam::111122223333:role/Admin\nsource_profile = signin\nmfa_serial = arn:aws:iam::111122223333:mfa/alice\nduration_seconds = 1800\n");
        let p = run(&config, "", "admin").unwrap();
        assert_eq!(
            p.base,
            Source::LoginSession {
                profile: "signin".into(),
                session_arn: "arn:aws:iam::111122223333:user/alice".into()
            }
        );
        assert_eq!(p.roles.len(), 1);
        assert_eq!(p.roles[0].duration_seconds, Some(1800));
        assert_eq!(p.profiles(), ["admin", "signin"]);
    }

    #[test]
    fn two_roles_are_ordered_from_the_base() {
        let config = format!("{LOGIN}[profile ops]\nrole_arn = arn:aws:iam::1:role/Ops\nsource_profile = signin\n[profile admin]\nrole_arn = arn:aws:iam::1:role/Admin\nsource_profile = ops\n");
        let p = run(&config, "", "admin").unwrap();
        let arns: Vec<_> = p.roles.iter().map(|r| r.role_arn.as_str()).collect();
        assert_eq!(
            arns,
            ["arn:aws:iam::1:role/Ops", "arn:aws:iam::1:role/Admin"]
        );
        assert_eq!(p.profiles(), ["admin", "ops", "signin"]);
    }

    #[test]
    fn loops_name_the_chain() {
        let config = "[profile admin]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = ops\n[profile ops]\nrole_arn = arn:aws:iam::1:role/O\nsource_profile = admin\n";
        let e = run(config, "", "admin").unwrap_err();
        assert!(e.to_string().contains("admin -> ops -> admin"), "{e}");
        // Self-reference needs static keys.
        let config = "[profile me]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = me\n";
        assert_eq!(run(config, "", "me").unwrap_err().kind(), "InfiniteLoop");
        let keys = "[me]\naws_access_key_id = AKIA\naws_secret_access_key = s\n";
        let p = run(config, keys, "me").unwrap();
        assert!(matches!(
            p.base,
            Source::StaticKeys {
                file: KeysFile::Credentials,
                ..
            }
        ));
        assert_eq!(p.roles.len(), 1);
        assert_eq!(p.profiles(), ["me"]);
    }

    #[test]
    fn source_with_keys_and_role_uses_its_keys() {
        let config = "[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = b\n[profile b]\nrole_arn = arn:aws:iam::1:role/B\nsource_profile = c\naws_access_key_id = AKIAB\naws_secret_access_key = sb\n";
        let p = run(config, "", "a").unwrap();
        assert_eq!(p.roles.len(), 1);
        assert!(matches!(
            p.base,
            Source::StaticKeys {
                file: KeysFile::Config,
                ..
            }
        ));
    }

    #[test]
    fn configuration_errors() {
        let e = run("[profile r]\nrole_arn = x\n", "", "r").unwrap_err();
        assert_eq!(e.kind(), "MissingSource");
        let e = run(
            "[profile r]\nrole_arn = x\nsource_profile = s\ncredential_source = Environment\n",
            "",
            "r",
        )
        .unwrap_err();
        assert_eq!(e.kind(), "BothSourceProfileAndCredentialSource");
        let e = run(
            "[profile r]\nrole_arn = x\nsource_profile = gone\n",
            "",
            "r",
        )
        .unwrap_err();
        assert!(e.to_string().contains("r -> gone"), "{e}");
        let e = run(
            "[profile r]\nrole_arn = x\ncredential_source = EcsContainer\n",
            "",
            "r",
        )
        .unwrap_err();
        assert!(e.to_string().contains("not supported by aws-login"), "{e}");
        let e = run(
            "[profile w]\nweb_identity_token_file = /t\nrole_arn = x\n",
            "",
            "w",
        )
        .unwrap_err();
        assert!(e.to_string().contains("web_identity_token_file"), "{e}");
        assert_eq!(run("", "", "nope").unwrap_err().kind(), "ProfileNotFound");
        let e = run("[profile k]\naws_access_key_id = AKIA\n", "", "k").unwrap_err();
        assert_eq!(e.kind(), "PartialStaticKeys");
        let e = run("[profile r]\nrole_arn = x\nsource_profile = s\nduration_seconds = 1h\n[profile s]\nlogin_session = arn:aws:iam::1:user/a\n", "", "r").unwrap_err();
        assert_eq!(e.kind(), "InvalidDurationSeconds");
    }

    #[test]
    fn debug_hides_keys() {
        let p = run("", "[k]\naws_access_key_id = AKIA\naws_secret_access_key = hunter2\naws_session_token = tok\n", "k").unwrap();
        let text = format!("{p:?}");
        assert!(
            !text.contains("hunter2") && !text.contains("tok\""),
            "{text}"
        );
    }
}
