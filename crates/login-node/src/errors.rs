//! `LoginIoError` → JS `Error`: `name` and `code` from the stable error kind, the CLI's message,
//! and `tryNextLink` (the JS SDK's provider-chain flag) when the profile is simply not a login
//! profile.

use login_io::{ErrorKind, LoginIoError};
use napi::bindgen_prelude::*;

/// Every kind login-io reports today, for `loginErrorNames()`.
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
];

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
    object.set_named_property("name", error_name(kind))?;
    object.set_named_property("code", kind.name())?;
    object.set_named_property("tryNextLink", try_next_link(kind))?;
    Ok(Error::from(object.to_unknown()))
}
