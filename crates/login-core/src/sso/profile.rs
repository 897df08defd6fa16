//! SSO settings from the shared config: `[sso-session NAME]` sections and
//! profiles with `sso_session` / `sso_account_id` / `sso_role_name` (or the
//! legacy `sso_start_url` + `sso_region` in the profile), checked the way
//! botocore's `SSOProvider` checks them.

use crate::config::ConfigFile;

use super::registration::RegistrationKey;
use super::role_cache::RoleCacheKey;

/// What is wrong with a profile's or session's SSO settings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SsoProfileError {
    /// `sso_session` names a section that does not exist.
    #[error("The specified sso-session does not exist: \"{0}\". Add a [sso-session {0}] section (`aws-login configure sso-session`) or fix the profile's sso_session.")]
    SessionNotFound(String),
    /// The profile uses SSO but lacks keys.
    #[error("The profile \"{profile}\" is configured to use SSO but is missing required configuration: {}. Run `aws-login configure sso --profile {profile}` or add them to the config file.", .missing.join(", "))]
    MissingKeys {
        /// The profile.
        profile: String,
        /// The keys, in AWS CLI's order.
        missing: Vec<&'static str>,
    },
    /// The `[sso-session]` lacks keys.
    #[error("The sso-session \"{session}\" is missing required configuration: {}. Run `aws-login configure sso-session` or add them to the config file.", .missing.join(", "))]
    SessionMissingKeys {
        /// The session.
        session: String,
        /// The keys.
        missing: Vec<&'static str>,
    },
    /// A key set in both the profile and its session differs.
    #[error("The value for {key} is inconsistent between profile ({profile_value}) and sso-session ({session_value}). Remove it from the profile or make them equal.")]
    Inconsistent {
        /// The key.
        key: &'static str,
        /// The profile's value.
        profile_value: String,
        /// The session's value.
        session_value: String,
    },
    /// `sso login --profile P` on a profile with no SSO settings at all.
    #[error("The profile \"{0}\" has no IAM Identity Center settings (sso_session, or sso_start_url and sso_region). Run `aws-login configure sso --profile {0}` first.")]
    NotSso(String),
    /// The profile does not exist.
    #[error("The config profile \"{0}\" could not be found. Run `aws-login configure sso --profile {0}` to create it.")]
    ProfileNotFound(String),
}

/// `sso_registration_scopes`: split on `,`, trimmed, empties dropped.
pub fn parse_scopes(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// An `[sso-session NAME]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoSessionConfig {
    /// The section's name (the token cache key).
    pub name: String,
    /// `sso_start_url`
    pub start_url: String,
    /// `sso_region`
    pub region: String,
    /// `sso_registration_scopes`, when set.
    pub scopes: Option<Vec<String>>,
}

impl SsoSessionConfig {
    /// Reads and checks `[sso-session name]`.
    pub fn from_config(
        config: &ConfigFile,
        name: &str,
    ) -> Result<SsoSessionConfig, SsoProfileError> {
        Self::from_config_in_region(config, name, None)
    }

    /// Like [`SsoSessionConfig::from_config`], with `region` (the region a vanity start URL's
    /// portal names) in place of `sso_region`, which may then be missing.
    pub fn from_config_in_region(
        config: &ConfigFile,
        name: &str,
        region: Option<&str>,
    ) -> Result<SsoSessionConfig, SsoProfileError> {
        let section = config
            .sso_session(name)
            .ok_or_else(|| SsoProfileError::SessionNotFound(name.to_owned()))?;
        let get = |k: &str| section.get(k).filter(|v| !v.is_empty()).map(str::to_owned);
        let (start_url, region) = (
            get("sso_start_url"),
            region.map(str::to_owned).or_else(|| get("sso_region")),
        );
        let mut missing = Vec::new();
        if start_url.is_none() {
            missing.push("sso_start_url");
        }
        if region.is_none() {
            missing.push("sso_region");
        }
        let (Some(start_url), Some(region)) = (start_url, region) else {
            return Err(SsoProfileError::SessionMissingKeys {
                session: name.to_owned(),
                missing,
            });
        };
        Ok(SsoSessionConfig {
            name: name.to_owned(),
            start_url,
            region,
            scopes: get("sso_registration_scopes").map(|s| parse_scopes(&s)),
        })
    }
}

/// How `sso login` names what to sign in to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSelector {
    /// `--sso-session NAME`
    Session(String),
    /// `--profile NAME`: its `sso_session`, else its legacy settings.
    Profile(String),
}

/// Where a token comes from: an `[sso-session]`, or a legacy profile's own
/// start URL and region (device flow only, no refresh).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SsoLoginTarget {
    /// `sso_session = NAME`.
    Session(SsoSessionConfig),
    /// `sso_start_url` + `sso_region` in the profile.
    Legacy {
        /// `sso_start_url`
        start_url: String,
        /// `sso_region`
        region: String,
    },
}

impl SsoLoginTarget {
    /// The login target of a profile: its session, else its legacy settings.
    pub fn for_profile(
        config: &ConfigFile,
        profile: &str,
    ) -> Result<SsoLoginTarget, SsoProfileError> {
        Self::for_profile_in_region(config, profile, None)
    }

    /// Like [`SsoLoginTarget::for_profile`], with `region` (the region a vanity start URL's
    /// portal names) in place of `sso_region`, which may then be missing.
    pub fn for_profile_in_region(
        config: &ConfigFile,
        profile: &str,
        region: Option<&str>,
    ) -> Result<SsoLoginTarget, SsoProfileError> {
        let section = config
            .profile(profile)
            .ok_or_else(|| SsoProfileError::ProfileNotFound(profile.to_owned()))?;
        if let Some(name) = section.get("sso_session").filter(|v| !v.is_empty()) {
            return SsoSessionConfig::from_config_in_region(config, name, region)
                .map(SsoLoginTarget::Session);
        }
        match (
            section.get("sso_start_url").filter(|v| !v.is_empty()),
            region.or_else(|| section.get("sso_region").filter(|v| !v.is_empty())),
        ) {
            (Some(u), Some(r)) => Ok(SsoLoginTarget::Legacy {
                start_url: u.to_owned(),
                region: r.to_owned(),
            }),
            (None, None) => Err(SsoProfileError::NotSso(profile.to_owned())),
            (u, _) => Err(SsoProfileError::MissingKeys {
                profile: profile.to_owned(),
                missing: vec![if u.is_none() {
                    "sso_start_url"
                } else {
                    "sso_region"
                }],
            }),
        }
    }

    /// The token cache key: the session name, or the start URL.
    pub fn token_key(&self) -> &str {
        match self {
            SsoLoginTarget::Session(s) => &s.name,
            SsoLoginTarget::Legacy { start_url, .. } => start_url,
        }
    }

    /// `sso_start_url`
    pub fn start_url(&self) -> &str {
        match self {
            SsoLoginTarget::Session(s) => &s.start_url,
            SsoLoginTarget::Legacy { start_url, .. } => start_url,
        }
    }

    /// `sso_region`
    pub fn region(&self) -> &str {
        match self {
            SsoLoginTarget::Session(s) => &s.region,
            SsoLoginTarget::Legacy { region, .. } => region,
        }
    }

    /// The session name, for sessions.
    pub fn session_name(&self) -> Option<&str> {
        match self {
            SsoLoginTarget::Session(s) => Some(&s.name),
            SsoLoginTarget::Legacy { .. } => None,
        }
    }

    /// Configured scopes (sessions only).
    pub fn scopes(&self) -> Option<&[String]> {
        match self {
            SsoLoginTarget::Session(s) => s.scopes.as_deref(),
            SsoLoginTarget::Legacy { .. } => None,
        }
    }

    /// The registration cache key AWS CLI uses for this target.
    pub fn registration_key(&self) -> RegistrationKey {
        RegistrationKey {
            start_url: self.start_url().to_owned(),
            region: self.region().to_owned(),
            scopes: self.scopes().map(<[String]>::to_vec),
            session_name: self.session_name().map(str::to_owned),
        }
    }

    /// How people name it: `sso-session NAME` or the start URL.
    pub fn describe(&self) -> String {
        match self {
            SsoLoginTarget::Session(s) => format!("sso-session '{}'", s.name),
            SsoLoginTarget::Legacy { start_url, .. } => format!("start URL {start_url}"),
        }
    }

    /// The configured `sso_start_url` of a session or profile, before any other check: what a
    /// vanity URL probe starts from.
    pub fn configured_start_url(config: &ConfigFile, selector: &TargetSelector) -> Option<String> {
        let session = match selector {
            TargetSelector::Session(name) => Some(name.clone()),
            TargetSelector::Profile(p) => config
                .profile(p)?
                .get("sso_session")
                .filter(|v| !v.is_empty())
                .map(str::to_owned),
        };
        let url = match (&session, selector) {
            (Some(name), _) => config.sso_session(name)?.get("sso_start_url")?.to_owned(),
            (None, TargetSelector::Profile(p)) => {
                config.profile(p)?.get("sso_start_url")?.to_owned()
            }
            (None, TargetSelector::Session(_)) => return None,
        };
        Some(url).filter(|u| !u.is_empty())
    }

    /// The section whose `sso_region` belongs to this target: the `[sso-session]`, or the
    /// legacy profile `profile`.
    pub fn region_section(&self, profile: Option<&str>) -> Option<crate::config::SectionId> {
        match self {
            SsoLoginTarget::Session(s) => {
                Some(crate::config::SectionId::SsoSession(s.name.clone()))
            }
            SsoLoginTarget::Legacy { .. } => profile.map(crate::config::SectionId::profile),
        }
    }

    /// The command that signs this target in again.
    pub fn login_command(&self, profile: Option<&str>) -> String {
        match (self, profile) {
            (SsoLoginTarget::Session(s), _) => {
                format!("aws-login sso login --sso-session {}", s.name)
            }
            (SsoLoginTarget::Legacy { .. }, Some(p)) if p != "default" => {
                format!("aws-login sso login --profile {p}")
            }
            (SsoLoginTarget::Legacy { .. }, _) => "aws-login sso login".to_owned(),
        }
    }
}

/// A profile that gets its credentials from IAM Identity Center.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoProfile {
    /// The profile's name.
    pub profile: String,
    /// Where the token comes from.
    pub target: SsoLoginTarget,
    /// `sso_account_id`
    pub account_id: String,
    /// `sso_role_name`
    pub role_name: String,
}

impl SsoProfile {
    /// True when botocore's `SSOProvider` would claim the profile: it has
    /// `sso_account_id` or `sso_role_name` (or `sso_session`, which makes it an
    /// SSO profile even before the rest is filled in).
    pub fn is_sso_profile(config: &ConfigFile, profile: &str) -> bool {
        config.profile(profile).is_some_and(|p| {
            ["sso_account_id", "sso_role_name", "sso_session"]
                .iter()
                .any(|k| p.get(k).is_some_and(|v| !v.is_empty()))
        })
    }

    /// Reads and checks an SSO profile; `Ok(None)` when it is not one.
    pub fn from_config(
        config: &ConfigFile,
        profile: &str,
    ) -> Result<Option<SsoProfile>, SsoProfileError> {
        if !Self::is_sso_profile(config, profile) {
            return Ok(None);
        }
        let Some(section) = config.profile(profile) else {
            return Ok(None);
        };
        let get = |k: &str| section.get(k).filter(|v| !v.is_empty()).map(str::to_owned);
        let session_name = get("sso_session");
        let session = session_name
            .as_deref()
            .map(|n| SsoSessionConfig::from_config(config, n))
            .transpose()?;
        // Keys in both the profile and its session must agree.
        if let Some(s) = &session {
            for (key, value) in [("sso_start_url", &s.start_url), ("sso_region", &s.region)] {
                if let Some(mine) = get(key) {
                    if &mine != value {
                        return Err(SsoProfileError::Inconsistent {
                            key,
                            profile_value: mine,
                            session_value: value.clone(),
                        });
                    }
                }
            }
        }
        let (account_id, role_name) = (get("sso_account_id"), get("sso_role_name"));
        let (start_url, region) = match &session {
            Some(s) => (Some(s.start_url.clone()), Some(s.region.clone())),
            None => (get("sso_start_url"), get("sso_region")),
        };
        let mut missing = Vec::new();
        for (key, v) in [
            ("sso_role_name", &role_name),
            ("sso_account_id", &account_id),
            ("sso_start_url", &start_url),
            ("sso_region", &region),
        ] {
            if v.is_none() {
                missing.push(key);
            }
        }
        let (Some(account_id), Some(role_name), Some(start_url), Some(region)) =
            (account_id, role_name, start_url, region)
        else {
            return Err(SsoProfileError::MissingKeys {
                profile: profile.to_owned(),
                missing,
            });
        };
        let target = match session {
            Some(s) => SsoLoginTarget::Session(s),
            None => SsoLoginTarget::Legacy { start_url, region },
        };
        Ok(Some(SsoProfile {
            profile: profile.to_owned(),
            target,
            account_id,
            role_name,
        }))
    }

    /// The role credentials cache key (AWS CLI's `SSOCredentialFetcher`).
    pub fn role_cache_key(&self) -> RoleCacheKey {
        match &self.target {
            SsoLoginTarget::Session(s) => RoleCacheKey::Session {
                account_id: self.account_id.clone(),
                role_name: self.role_name.clone(),
                session_name: s.name.clone(),
            },
            SsoLoginTarget::Legacy { start_url, .. } => RoleCacheKey::StartUrl {
                account_id: self.account_id.clone(),
                role_name: self.role_name.clone(),
                start_url: start_url.clone(),
            },
        }
    }

    /// The command that signs this profile in again.
    pub fn login_command(&self) -> String {
        self.target.login_command(Some(&self.profile))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "[profile dev]\nsso_session = my-sso\nsso_account_id = 111122223333\nsso_role_name = ReadOnly\nregion = us-west-2\n[sso-session my-sso]\nsso_start_url = https://d-1234567890.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access, ,x\n[profile legacy]\nsso_start_url = https://d-1.awsapps.com/start\nsso_region = eu-west-1\nsso_account_id = 1\nsso_role_name = R\n[profile half]\nsso_account_id = 1\n[profile bad-session]\nsso_session = nope\nsso_account_id = 1\nsso_role_name = R\n[profile clash]\nsso_session = my-sso\nsso_region = eu-west-1\nsso_account_id = 1\nsso_role_name = R\n[profile plain]\nregion = us-east-1\n";

    #[test]
    fn reads_session_and_legacy_profiles() {
        let c = ConfigFile::parse(CONFIG);
        let dev = SsoProfile::from_config(&c, "dev").unwrap().unwrap();
        assert_eq!(dev.target.token_key(), "my-sso");
        assert_eq!(dev.target.scopes().unwrap(), ["sso:account:access", "x"]);
        assert_eq!(
            dev.role_cache_key().file_name(),
            "0521d1f6a6c4e68f9e18540309367cc3cccb6305.json"
        );
        assert_eq!(
            dev.login_command(),
            "aws-login sso login --sso-session my-sso"
        );
        let legacy = SsoProfile::from_config(&c, "legacy").unwrap().unwrap();
        assert_eq!(legacy.target.token_key(), "https://d-1.awsapps.com/start");
        assert_eq!(
            legacy.login_command(),
            "aws-login sso login --profile legacy"
        );
        assert!(SsoProfile::from_config(&c, "plain").unwrap().is_none());
        assert!(SsoProfile::from_config(&c, "missing").unwrap().is_none());
    }

    #[test]
    fn reports_bad_settings() {
        let c = ConfigFile::parse(CONFIG);
        let e = SsoProfile::from_config(&c, "half").unwrap_err();
        assert_eq!(
            e,
            SsoProfileError::MissingKeys {
                profile: "half".into(),
                missing: vec!["sso_role_name", "sso_start_url", "sso_region"]
            }
        );
        assert!(e
            .to_string()
            .contains("aws-login configure sso --profile half"));
        assert_eq!(
            SsoProfile::from_config(&c, "bad-session").unwrap_err(),
            SsoProfileError::SessionNotFound("nope".into())
        );
        assert!(matches!(
            SsoProfile::from_config(&c, "clash").unwrap_err(),
            SsoProfileError::Inconsistent {
                key: "sso_region",
                ..
            }
        ));
        assert_eq!(
            SsoLoginTarget::for_profile(&c, "plain").unwrap_err(),
            SsoProfileError::NotSso("plain".into())
        );
    }
}
