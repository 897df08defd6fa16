//! Exit codes and the error type commands return. The codes are part of the interface
//! (scripts branch on them), so they are listed in `--help` and never renumbered.

use login_io::{ErrorKind, LoginIoError};

pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  unexpected error
  2  invalid command line
  3  configuration problem (unreadable config file, bad CA bundle or proxy, no region)
  4  a new login is needed: the profile has no login session, no cached session,
     an unusable cache file, or the session expired / the user's credentials changed;
     for IAM Identity Center: no or unusable token in ~/.aws/sso/cache, an expired or
     signed-out session (UnauthorizedException, InvalidGrantException), a revoked client
     registration, or a sign-in denied in the browser (access_denied): run
     `aws-login sso login`
  5  missing permission: the principal lacks signin:CreateOAuth2Token
     (AWS managed policy SignInLocalDevelopmentAccess); for IAM Identity Center,
     ForbiddenException (No access): no assignment for sso_account_id / sso_role_name
  6  network failure: the sign-in service, IAM Identity Center or STS could not be reached
  7  the sign-in service, IAM Identity Center or STS failed (throttling, service errors) or
     rejected the request
  8  the login, SSO or role cache could not be written or locked
  9  STS refused AssumeRole for a role profile: the role's trust policy or the caller's
     permissions, external_id, a wrong or reused MFA code, duration_seconds, or STS disabled
     in the region
 10  the role needs an MFA code (mfa_serial) and there is no terminal to ask for it
 11  the source of a role chain failed: its credential_process failed or printed unusable
     output, or credential_source = Environment found no keys
130  interrupted (Ctrl-C during login); nothing was changed

Environment: AWS_PROFILE, AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, AWS_REGION,
AWS_LOGIN_CACHE_DIRECTORY, AWS_ENDPOINT_URL_SIGNIN, AWS_ENDPOINT_URL_SSO_OIDC,
AWS_ENDPOINT_URL_SSO, AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS,
AWS_CA_BUNDLE, HTTPS_PROXY, NO_PROXY, AWS_LOGIN_HTTP_TIMEOUT (seconds per attempt at the
sign-in service, default 20).";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    Unexpected = 1,
    Usage = 2,
    Config = 3,
    LoginNeeded = 4,
    Permission = 5,
    Network = 6,
    Service = 7,
    CacheWrite = 8,
    AssumeRoleDenied = 9,
    MfaUnavailable = 10,
    SourceFailed = 11,
    /// Ctrl-C: 128 + SIGINT, the shell's convention.
    Interrupted = 130,
}

impl ExitCode {
    pub fn for_kind(kind: ErrorKind) -> ExitCode {
        match kind {
            ErrorKind::Config => ExitCode::Config,
            ErrorKind::ProfileNotFound
            | ErrorKind::NoLoginSession
            | ErrorKind::CacheMissing
            | ErrorKind::CacheCorrupt
            | ErrorKind::SessionExpired
            | ErrorKind::CredentialsChanged => ExitCode::LoginNeeded,
            ErrorKind::InsufficientPermissions => ExitCode::Permission,
            ErrorKind::Network => ExitCode::Network,
            ErrorKind::ServiceRejected | ErrorKind::ServiceUnavailable => ExitCode::Service,
            ErrorKind::CacheWrite => ExitCode::CacheWrite,
            ErrorKind::AssumeRoleDenied => ExitCode::AssumeRoleDenied,
            ErrorKind::MfaUnavailable => ExitCode::MfaUnavailable,
            ErrorKind::SourceFailed => ExitCode::SourceFailed,
            _ => ExitCode::Unexpected,
        }
    }
}

/// A failed command: the message for stderr and the exit code.
#[derive(Debug)]
pub struct CommandError {
    pub message: String,
    pub code: ExitCode,
}

impl CommandError {
    pub fn new(code: ExitCode, message: impl Into<String>) -> Self {
        CommandError {
            message: message.into(),
            code,
        }
    }
}

impl From<LoginIoError> for CommandError {
    fn from(e: LoginIoError) -> Self {
        CommandError {
            code: ExitCode::for_kind(e.kind()),
            message: e.to_string(),
        }
    }
}

pub type CommandResult = Result<(), CommandError>;
