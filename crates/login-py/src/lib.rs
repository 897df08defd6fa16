//! login-py: the native half of the Python package `aws_login` (`aws-login-provider` on PyPI).
//!
//! It converts Python arguments to login-io calls and results back, and maps `LoginIoError`s to the
//! `aws_login.LoginError` hierarchy (message = the CLI's message). It never reads files, opens
//! sockets or speaks the protocol itself: all of that is login-io's (and login-core's) job. Every
//! call that may wait on disk, a lock or the network releases the GIL.

use std::path::PathBuf;

use login_io::{Environment, ErrorKind, LoginIoError, ResolveOptions};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

mod logging;
mod vectors;

create_exception!(
    aws_login,
    LoginError,
    PyException,
    "Base of every aws_login error."
);
create_exception!(
    aws_login,
    ConfigError,
    LoginError,
    "The profile or config file is unusable."
);
create_exception!(
    aws_login,
    ProfileNotFoundError,
    ConfigError,
    "The profile is not in the config file."
);
create_exception!(
    aws_login,
    NotLoginProfileError,
    ConfigError,
    "The profile has no login_session."
);
create_exception!(
    aws_login,
    CacheError,
    LoginError,
    "The login token cache cannot be used."
);
create_exception!(
    aws_login,
    CacheMissingError,
    CacheError,
    "No cached login session: log in."
);
create_exception!(
    aws_login,
    CacheCorruptError,
    CacheError,
    "The cached session is unreadable."
);
create_exception!(
    aws_login,
    CacheWriteError,
    CacheError,
    "The cache could not be written."
);
create_exception!(
    aws_login,
    SessionExpiredError,
    LoginError,
    "The login session ended: log in again."
);
create_exception!(
    aws_login,
    CredentialsChangedError,
    SessionExpiredError,
    "Password or keys changed since login: log in again."
);
create_exception!(
    aws_login,
    InsufficientPermissionsError,
    LoginError,
    "The principal lacks signin:CreateOAuth2Token."
);
create_exception!(
    aws_login,
    ServiceError,
    LoginError,
    "The sign-in service refused or failed."
);
create_exception!(
    aws_login,
    NetworkError,
    LoginError,
    "The sign-in service could not be reached."
);

/// The Python exception for a login-io error: the class follows `kind()`, the message is the
/// error's Display (the text the CLI prints), and `kind` carries the stable kind name.
fn to_py_err(py: Python<'_>, error: &LoginIoError) -> PyErr {
    let message = error.to_string();
    let kind = error.kind();
    let err = match kind {
        ErrorKind::ProfileNotFound => ProfileNotFoundError::new_err(message),
        ErrorKind::NoLoginSession => NotLoginProfileError::new_err(message),
        ErrorKind::CacheMissing => CacheMissingError::new_err(message),
        ErrorKind::CacheCorrupt => CacheCorruptError::new_err(message),
        ErrorKind::CacheWrite => CacheWriteError::new_err(message),
        ErrorKind::SessionExpired => SessionExpiredError::new_err(message),
        ErrorKind::CredentialsChanged => CredentialsChangedError::new_err(message),
        ErrorKind::InsufficientPermissions => InsufficientPermissionsError::new_err(message),
        ErrorKind::ServiceRejected | ErrorKind::ServiceUnavailable => {
            ServiceError::new_err(message)
        }
        ErrorKind::Network => NetworkError::new_err(message),
        ErrorKind::Config => ConfigError::new_err(message),
        _ => LoginError::new_err(message),
    };
    // The attribute is a convenience; failing to set it must not hide the real error.
    let _ = err.value(py).setattr("kind", kind.name());
    err
}

/// `(access_key, secret_key, token, expires_at_unix_seconds, account_id, warnings)`.
type CredentialTuple = (String, String, String, i64, Option<String>, Vec<String>);

/// Credentials of a login profile, refreshed through login-io when fewer than 5 minutes remain.
///
/// The environment is snapshotted while the GIL is held: `os.environ` writes (`putenv`) happen
/// under the GIL, so no Python thread can change it while it is copied, and login-io's own
/// threads then never read the live environment.
#[pyfunction]
#[pyo3(signature = (profile, config_file))]
fn resolve_credentials(
    py: Python<'_>,
    profile: Option<String>,
    config_file: Option<PathBuf>,
) -> PyResult<CredentialTuple> {
    let options = ResolveOptions {
        profile,
        config_file,
        env: Some(Environment::from_process()),
        ..ResolveOptions::default()
    };
    // login-io's blocking form needs no runtime for a valid cache and is fork-safe: a child
    // forked after the parent refreshed (multiprocessing, gunicorn) gets a runtime of its own.
    let resolved = py
        .detach(|| login_io::resolve_credentials_blocking(&options))
        .map_err(|e| to_py_err(py, &e))?;
    Ok((
        resolved.access_key_id().to_owned(),
        resolved.secret_access_key().expose().to_owned(),
        resolved.session_token().expose().to_owned(),
        resolved.expiration().unix_timestamp(),
        resolved.account_id().map(str::to_owned),
        resolved.warnings().to_vec(),
    ))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("LoginError", py.get_type::<LoginError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add(
        "ProfileNotFoundError",
        py.get_type::<ProfileNotFoundError>(),
    )?;
    m.add(
        "NotLoginProfileError",
        py.get_type::<NotLoginProfileError>(),
    )?;
    m.add("CacheError", py.get_type::<CacheError>())?;
    m.add("CacheMissingError", py.get_type::<CacheMissingError>())?;
    m.add("CacheCorruptError", py.get_type::<CacheCorruptError>())?;
    m.add("CacheWriteError", py.get_type::<CacheWriteError>())?;
    m.add("SessionExpiredError", py.get_type::<SessionExpiredError>())?;
    m.add(
        "CredentialsChangedError",
        py.get_type::<CredentialsChangedError>(),
    )?;
    m.add(
        "InsufficientPermissionsError",
        py.get_type::<InsufficientPermissionsError>(),
    )?;
    m.add("ServiceError", py.get_type::<ServiceError>())?;
    m.add("NetworkError", py.get_type::<NetworkError>())?;
    m.add_function(wrap_pyfunction!(resolve_credentials, m)?)?;
    vectors::register(m)?;
    logging::install(py)?;
    Ok(())
}
