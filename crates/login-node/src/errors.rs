//! `LoginIoError` → JS `Error`: `name` and `code` from the stable error kind (IAM Identity Center
//! failures that need `aws-login sso login` or an assignment get `Sso…` names of their own), the
//! CLI's message, and `tryNextLink` (the JS SDK's provider-chain flag) when the profile is simply
//! not one aws-login serves.

use login_io::{ErrorKind, LoginIoError};
use napi::bindgen_prelude::*;

/// Every kind login-io reports today.
pub const ALL_KINDS: &[ErrorKind] = &[
    ErrorKind::Config,
    ErrorKind::ProfileNotFound,
    ErrorKind::NoLoginSession,
    ErrorKind::CacheMissing,
    ErrorKind::CacheCorrupt,
    ErrorKind::SessionExpired,
    ErrorKind::CredentialsChanged,
    ErrorKind::InsufficientPermissions,
    ErrorKind::ServiceRejected,
    ErrorKind::ServiceUnavailable,
    ErrorKind::Network,
    ErrorKind::CacheWrite,
    ErrorKind::AssumeRoleDenied,
    ErrorKind::MfaUnavailable,
    ErrorKind::SourceFailed,
];

/// IAM Identity Center failures with a name of their own: the fix is `aws-login sso login` (or an
/// assignment), not `aws-login login`.
const SSO_NAMES: &[(ErrorKind, &str)] = &[
    (ErrorKind::SessionExpired, "SsoSessionExpiredError"),
    (ErrorKind::CacheMissing, "SsoTokenMissingError"),
    (ErrorKind::InsufficientPermissions, "SsoNoAccessError"),
];

/// Every `name` an error can have, for `loginErrorNames()`.
pub fn all_names() -> Vec<String> {
    ALL_KINDS
        .iter()
        .map(|kind| error_name(*kind))
        .chain(SSO_NAMES.iter().map(|(_, name)| name.to_string()))
        .collect()
}

/// The JS `name` of `error`.
fn name_of(error: &LoginIoError) -> String {
    let kind = error.kind();
    if let LoginIoError::Sso { .. } = error {
        if let Some((_, name)) = SSO_NAMES.iter().find(|(k, _)| *k == kind) {
            return name.to_string();
        }
    }
    error_name(kind)
}

/// `SessionExpired` → `SessionExpiredError`, the way JS names error classes.
pub fn error_name(kind: ErrorKind) -> String {
    format!("{}Error", kind.name())
}

/// Kinds that mean "no login session is configured here": a JS SDK provider chain may then try
/// its next provider, as it does for the SDK's own providers.
fn try_next_link(kind: ErrorKind) -> bool {
    matches!(kind, ErrorKind::ProfileNotFound | ErrorKind::NoLoginSession)
}

/// Builds the JS error object on the JS thread; rejecting with it hands this exact object to JS.
pub fn to_js_error(env: &Env, error: &LoginIoError) -> Error {
    match build(env, error) {
        Ok(error) => error,
        // Building can only fail while the environment shuts down; a plain error still says it.
        Err(_) => Error::new(Status::GenericFailure, error.to_string()),
    }
}

fn build(env: &Env, error: &LoginIoError) -> Result<Error> {
    let kind = error.kind();
    let mut object = env.create_error(Error::new(Status::GenericFailure, error.to_string()))?;
    object.set_named_property("name", name_of(error))?;
    object.set_named_property("code", kind.name())?;
    object.set_named_property("tryNextLink", try_next_link(kind))?;
    Ok(Error::from(object.to_unknown()))
}
