//! The one error type every frontend shows. `Display` is the user-facing message (what went
//! wrong and what to do); `kind()` is a stable classification for bindings and exit codes.
//! No variant ever holds a secret.

use std::path::PathBuf;

use login_core::ChainError;

/// Stable classification of [`LoginIoError`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Settings or the config file are unusable (unreadable file, bad CA bundle, bad proxy, no region…).
    Config,
    /// The profile has no section in the config file.
    ProfileNotFound,
    /// The profile exists but has no `login_session`.
    NoLoginSession,
    /// The profile names a session but no cache file exists for it.
    CacheMissing,
    /// The cache file cannot be used (unreadable, not JSON, wrong types, missing fields).
    CacheCorrupt,
    /// The session ended (`TOKEN_EXPIRED`, `AUTHCODE_EXPIRED`): log in again.
    SessionExpired,
    /// `USER_CREDENTIALS_CHANGED`: password or keys changed since login.
    CredentialsChanged,
    /// `INSUFFICIENT_PERMISSIONS`: the principal may not call `signin:CreateOAuth2Token`.
    InsufficientPermissions,
    /// The service rejected the request (`INVALID_REQUEST` and other 4xx).
    ServiceRejected,
    /// The service failed (5xx/429 after retries) or sent a response we cannot read.
    ServiceUnavailable,
    /// No response at all (DNS, connect, TLS, proxy, timeout).
    Network,
    /// Writing the cache or taking its lock failed (including another process holding the
    /// lock for longer than the lock timeout).
    CacheWrite,
    /// STS refused AssumeRole: not allowed to assume the role (trust policy, permissions,
    /// `external_id`), a wrong or reused MFA code, a refused `duration_seconds`, or STS is not
    /// enabled in the region.
    AssumeRoleDenied,
    /// The role needs an MFA code but there is no terminal to ask for it.
    MfaUnavailable,
    /// The base of a role chain failed: its `credential_process` failed or printed unusable
    /// output, or `credential_source = Environment` found no keys.
    SourceFailed,
}

impl ErrorKind {
    /// A stable name (`"NoLoginSession"`, …) for bindings and `--json` output.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Config => "Config",
            ErrorKind::ProfileNotFound => "ProfileNotFound",
            ErrorKind::NoLoginSession => "NoLoginSession",
            ErrorKind::CacheMissing => "CacheMissing",
            ErrorKind::CacheCorrupt => "CacheCorrupt",
            ErrorKind::SessionExpired => "SessionExpired",
            ErrorKind::CredentialsChanged => "CredentialsChanged",
            ErrorKind::InsufficientPermissions => "InsufficientPermissions",
            ErrorKind::ServiceRejected => "ServiceRejected",
            ErrorKind::ServiceUnavailable => "ServiceUnavailable",
            ErrorKind::Network => "Network",
            ErrorKind::CacheWrite => "CacheWrite",
            ErrorKind::AssumeRoleDenied => "AssumeRoleDenied",
            ErrorKind::MfaUnavailable => "MfaUnavailable",
            ErrorKind::SourceFailed => "SourceFailed",
        }
    }

    /// True when only a new browser login can fix it.
    pub fn needs_login(self) -> bool {
        matches!(
            self,
            ErrorKind::NoLoginSession
                | ErrorKind::ProfileNotFound
                | ErrorKind::CacheMissing
                | ErrorKind::CacheCorrupt
                | ErrorKind::SessionExpired
                | ErrorKind::CredentialsChanged
        )
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

fn login_hint(profile: &str) -> String {
    if profile == "default" {
        "aws-login login".to_string()
    } else {
        format!("aws-login login --profile {profile}")
    }
}

/// Everything that can stop a credential resolution, with what the user should do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginIoError {
    #[error("{message}")]
    Config { message: String },

    #[error("The config profile '{profile}' could not be found in {}. Run `{}` to sign in and create it, or choose another profile with --profile or AWS_PROFILE.", config_file.display(), login_hint(profile))]
    ProfileNotFound {
        profile: String,
        config_file: PathBuf,
    },

    #[error("Profile '{profile}' in {} has no login_session, so it is not a login profile. Run `{}` to sign in with your console credentials.", config_file.display(), login_hint(profile))]
    NoLoginSession {
        profile: String,
        config_file: PathBuf,
    },

    #[error("No cached login session for profile '{profile}' (session {session}): {} does not exist. Run `{}` to sign in again.", path.display(), login_hint(profile))]
    CacheMissing {
        profile: String,
        session: String,
        path: PathBuf,
    },

    #[error("The cached login session for profile '{profile}' cannot be used: {detail} ({}). The file was left as it is. Run `{}` to sign in again.", path.display(), login_hint(profile))]
    CacheCorrupt {
        profile: String,
        path: PathBuf,
        detail: String,
    },

    #[error("The login session for profile '{profile}' has expired ({code}). Run `{}` to sign in again.", login_hint(profile))]
    SessionExpired { profile: String, code: String },

    #[error("The password or access keys of the signed-in user changed after login, so the session for profile '{profile}' can no longer be refreshed (USER_CREDENTIALS_CHANGED). Run `{}` to sign in again.", login_hint(profile))]
    CredentialsChanged { profile: String },

    #[error("{session} may not refresh its login session for profile '{profile}' (INSUFFICIENT_PERMISSIONS): it needs the IAM action signin:CreateOAuth2Token. Attach the AWS managed policy SignInLocalDevelopmentAccess (or a policy allowing signin:CreateOAuth2Token) to it, then run `{}`.", login_hint(profile))]
    InsufficientPermissions { profile: String, session: String },

    #[error("The AWS Sign-In service at {host} rejected the token request for profile '{profile}' with HTTP {status}{}{}. Run `{}` to sign in again; if it keeps failing, report it with the output of --debug.", code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default(), message.as_deref().map(|m| format!(": {m}")).unwrap_or_default(), login_hint(profile))]
    ServiceRejected {
        profile: String,
        host: String,
        status: u16,
        code: Option<String>,
        message: Option<String>,
    },

    #[error("The AWS Sign-In service at {host} could not refresh the session for profile '{profile}': {detail}. The cached session was left as it is; try again in a moment.")]
    ServiceUnavailable {
        profile: String,
        host: String,
        detail: String,
    },

    #[error("Could not reach the AWS Sign-In service to refresh profile '{profile}': {detail}. Check your network connection{}; the cached session was left as it is.", proxy_hint(proxy.as_deref()))]
    Network {
        profile: String,
        detail: String,
        proxy: Option<String>,
    },

    #[error("Could not update the login cache {}: {detail}. Check that the directory is writable (AWS_LOGIN_CACHE_DIRECTORY sets its location).", path.display())]
    CacheWrite { path: PathBuf, detail: String },

    #[error("Another process has been refreshing the session of profile '{profile}' for {waited_secs} s and still holds the lock {}. Try again in a moment; the lock is released as soon as that process finishes or exits.", path.display())]
    LockBusy {
        profile: String,
        path: PathBuf,
        waited_secs: u64,
    },

    /// An IAM Identity Center (SSO) problem. The message names the profile or sso-session and
    /// the command that fixes it (`aws-login sso login …`); `kind` classifies it like the
    /// login errors (a new sign-in needed, no access, network, service, cache).
    #[error("{message}")]
    Sso { kind: ErrorKind, message: String },
    /// The profile's chain cannot be planned (loop, missing source profile, both or neither of
    /// source_profile / credential_source, an unsupported style).
    #[error("{error} (config file {}, credentials file {})", config_file.display(), credentials_file.display())]
    ProfileChain {
        error: Box<ChainError>,
        config_file: PathBuf,
        credentials_file: PathBuf,
    },

    /// A profile whose own credentials are keys, a credential_process or the environment, with
    /// no role to assume: the SDK's own providers serve those.
    #[error("Profile '{profile}' uses {style} and assumes no role, so aws-login has nothing to add: use the profile directly with your SDK or the AWS CLI. aws-login serves login sessions, and roles assumed from any source (add a profile with role_arn and source_profile = {profile}).")]
    NotServed { profile: String, style: String },

    /// STS answered AssumeRole with an error.
    #[error("{}", assume_role_message(profile, role_arn, host, failure))]
    AssumeRole {
        /// The profile with the role_arn.
        profile: String,
        role_arn: String,
        host: String,
        failure: Box<AssumeRoleFailure>,
    },

    #[error("Profile '{profile}' needs an MFA code for {serial} to assume {role_arn}, but there is no terminal to ask for it ({detail}). Run `aws-login export-credentials --profile {profile}` once in a terminal: the role credentials are then cached and used without a code until they expire.")]
    MfaUnavailable {
        profile: String,
        serial: String,
        role_arn: String,
        detail: String,
    },

    #[error("{message}")]
    SourceFailed { profile: String, message: String },
}

/// What STS said when AssumeRole failed, sorted by what the user can do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AssumeRoleFailure {
    /// `AccessDenied`: the trust policy or the caller's permissions (or `external_id`).
    AccessDenied { message: String },
    /// The MFA code was wrong, expired or already used.
    MfaFailed { message: String },
    /// `RegionDisabledException`.
    RegionDisabled { message: String },
    /// A refused parameter (`ValidationError`: e.g. duration_seconds above the role's maximum or
    /// above 1 h for a chained role).
    Invalid { code: String, message: String },
    /// `ExpiredToken` / `InvalidClientTokenId` for the source credentials, after one retry with
    /// fresh ones.
    SourceRejected { code: String, message: String },
    /// Throttling or a service fault after the retries, or an unreadable answer.
    Unavailable { detail: String },
    /// No answer at all.
    Network {
        detail: String,
        proxy: Option<String>,
    },
}

fn assume_role_message(
    profile: &str,
    role_arn: &str,
    host: &str,
    failure: &AssumeRoleFailure,
) -> String {
    let what = format!("Profile '{profile}' could not assume {role_arn} (STS at {host})");
    match failure {
        AssumeRoleFailure::AccessDenied { message } => format!(
            "{what}: AccessDenied: {message}. Check that the role's trust policy allows the source identity and that it may call sts:AssumeRole (and external_id, if the role requires one)."
        ),
        AssumeRoleFailure::MfaFailed { message } => format!(
            "{what}: the MFA code was refused ({message}). Codes are valid for about 30 seconds and only once: wait for the next code and try again."
        ),
        AssumeRoleFailure::RegionDisabled { message } => format!(
            "{what}: STS is not activated in this region ({message}). Activate it in IAM account settings, or set the profile's `region` to an active region."
        ),
        AssumeRoleFailure::Invalid { code, message } => format!(
            "{what}: {code}: {message}. Check role_arn, role_session_name and duration_seconds (at most the role's maximum session duration, and at most 3600 when the source is itself a role)."
        ),
        AssumeRoleFailure::SourceRejected { code, message } => format!(
            "{what}: the source credentials were refused ({code}: {message}). Sign in again to the source profile (e.g. `aws-login login --profile <source>`) and try again."
        ),
        AssumeRoleFailure::Unavailable { detail } => {
            format!("{what}: {detail}. Try again in a moment.")
        }
        AssumeRoleFailure::Network { detail, proxy } => format!(
            "{what}: {detail}. Check your network connection{}.",
            proxy_hint(proxy.as_deref())
        ),
    }
}

fn proxy_hint(proxy: Option<&str>) -> String {
    match proxy {
        Some(p) => format!(" and the proxy {p} (HTTPS_PROXY, NO_PROXY)"),
        None => " (and HTTPS_PROXY / NO_PROXY if you need a proxy)".to_string(),
    }
}

impl LoginIoError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            LoginIoError::Config { .. } => ErrorKind::Config,
            LoginIoError::ProfileNotFound { .. } => ErrorKind::ProfileNotFound,
            LoginIoError::NoLoginSession { .. } => ErrorKind::NoLoginSession,
            LoginIoError::CacheMissing { .. } => ErrorKind::CacheMissing,
            LoginIoError::CacheCorrupt { .. } => ErrorKind::CacheCorrupt,
            LoginIoError::SessionExpired { .. } => ErrorKind::SessionExpired,
            LoginIoError::CredentialsChanged { .. } => ErrorKind::CredentialsChanged,
            LoginIoError::InsufficientPermissions { .. } => ErrorKind::InsufficientPermissions,
            LoginIoError::ServiceRejected { .. } => ErrorKind::ServiceRejected,
            LoginIoError::ServiceUnavailable { .. } => ErrorKind::ServiceUnavailable,
            LoginIoError::Network { .. } => ErrorKind::Network,
            LoginIoError::CacheWrite { .. } | LoginIoError::LockBusy { .. } => {
                ErrorKind::CacheWrite
            }
            LoginIoError::Sso { kind, .. } => *kind,
            LoginIoError::ProfileChain { .. } => ErrorKind::Config,
            LoginIoError::NotServed { .. } => ErrorKind::NoLoginSession,
            LoginIoError::AssumeRole { failure, .. } => match **failure {
                AssumeRoleFailure::AccessDenied { .. }
                | AssumeRoleFailure::MfaFailed { .. }
                | AssumeRoleFailure::RegionDisabled { .. }
                | AssumeRoleFailure::Invalid { .. }
                | AssumeRoleFailure::SourceRejected { .. } => ErrorKind::AssumeRoleDenied,
                AssumeRoleFailure::Unavailable { .. } => ErrorKind::ServiceUnavailable,
                AssumeRoleFailure::Network { .. } => ErrorKind::Network,
            },
            LoginIoError::MfaUnavailable { .. } => ErrorKind::MfaUnavailable,
            LoginIoError::SourceFailed { .. } => ErrorKind::SourceFailed,
        }
    }

    /// The profile a new browser login (`aws-login login --profile P`) would fix, when one
    /// would: for a role chain over a login session that is the login profile, not the role.
    pub fn login_profile(&self) -> Option<&str> {
        match self {
            LoginIoError::ProfileNotFound { profile, .. }
            | LoginIoError::NoLoginSession { profile, .. }
            | LoginIoError::CacheMissing { profile, .. }
            | LoginIoError::CacheCorrupt { profile, .. }
            | LoginIoError::SessionExpired { profile, .. }
            | LoginIoError::CredentialsChanged { profile } => Some(profile),
            _ => None,
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        LoginIoError::Config {
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_to_do() {
        let e = LoginIoError::SessionExpired {
            profile: "dev".into(),
            code: "TOKEN_EXPIRED".into(),
        };
        assert!(
            e.to_string().contains("aws-login login --profile dev"),
            "{e}"
        );
        assert!(e.kind().needs_login());
        let e = LoginIoError::InsufficientPermissions {
            profile: "default".into(),
            session: "arn:aws:iam::1:user/a".into(),
        };
        let text = e.to_string();
        assert!(
            text.contains("signin:CreateOAuth2Token")
                && text.contains("SignInLocalDevelopmentAccess"),
            "{text}"
        );
        assert!(text.contains("`aws-login login`"), "{text}");
        let e = LoginIoError::Network {
            profile: "p".into(),
            detail: "could not reach h".into(),
            proxy: Some("http://proxy:3128/".into()),
        };
        assert!(e.to_string().contains("http://proxy:3128/"));
        assert_eq!(e.kind(), ErrorKind::Network);
    }
}
