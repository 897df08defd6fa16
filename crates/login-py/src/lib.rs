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
    "The profile has no credentials aws-login serves (no login session, IAM Identity Center or role)."
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

create_exception!(
    aws_login,
    AssumeRoleDeniedError,
    LoginError,
    "STS refused to let the profile assume its role."
);
create_exception!(
    aws_login,
    MfaUnavailableError,
    LoginError,
    "The role needs an MFA code and there is no terminal to ask for it."
);
create_exception!(
    aws_login,
    SourceFailedError,
    LoginError,
    "The base of a role chain (credential_process, environment keys) failed."
);
create_exception!(
    aws_login,
    SsoSessionExpiredError,
    SessionExpiredError,
    "The IAM Identity Center session ended or was signed out: run `aws-login sso login`."
);
create_exception!(
    aws_login,
    SsoTokenMissingError,
    CacheMissingError,
    "No IAM Identity Center token is cached: run `aws-login sso login`."
);
create_exception!(
    aws_login,
    SsoNoAccessError,
    InsufficientPermissionsError,
    "IAM Identity Center gives the user no access to the profile's account and role."
);

/// The Python exception for a login-io error: the class follows `kind()`, the message is the
/// error's Display (the text the CLI prints), and `kind` carries the stable kind name.
fn to_py_err(py: Python<'_>, error: &LoginIoError) -> PyErr {
    let message = error.to_string();
    let kind = error.kind();
    let from_sso = matches!(error, LoginIoError::Sso { .. });
    let err = match kind {
        ErrorKind::SessionExpired if from_sso => SsoSessionExpiredError::new_err(message),
        ErrorKind::CacheMissing if from_sso => SsoTokenMissingError::new_err(message),
        ErrorKind::InsufficientPermissions if from_sso => SsoNoAccessError::new_err(message),
        ErrorKind::AssumeRoleDenied => AssumeRoleDeniedError::new_err(message),
        ErrorKind::MfaUnavailable => MfaUnavailableError::new_err(message),
        ErrorKind::SourceFailed => SourceFailedError::new_err(message),
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

/// Credentials of any profile login-io resolves (login session, IAM Identity Center, roles on
/// top of any base), refreshed through login-io's caches and locks.
///
/// The environment is snapshotted while the GIL is held: `os.environ` writes (`putenv`) happen
/// under the GIL, so no Python thread can change it while it is copied, and login-io's own
/// threads then never read the live environment.
#[pyfunction]
#[pyo3(signature = (profile, config_file, credentials_file=None))]
fn resolve_credentials(
    py: Python<'_>,
    profile: Option<String>,
    config_file: Option<PathBuf>,
    credentials_file: Option<PathBuf>,
) -> PyResult<CredentialTuple> {
    let options = options_for(profile, config_file, credentials_file);
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

fn options_for(
    profile: Option<String>,
    config_file: Option<PathBuf>,
    credentials_file: Option<PathBuf>,
) -> ResolveOptions {
    ResolveOptions {
        profile,
        config_file,
        credentials_file,
        env: Some(Environment::from_process()),
        ..ResolveOptions::default()
    }
}

/// `(base kind, role ARNs from the base outwards, account id, served by aws-login)`.
type PlanTuple = (&'static str, Vec<String>, Option<String>, bool);

/// The profile's chain as login-core plans it, nothing fetched: the botocore provider serves
/// the profile only when it is `served` (a login-session or IAM Identity Center base).
#[pyfunction]
#[pyo3(signature = (profile, config_file, credentials_file=None))]
fn plan_profile(
    py: Python<'_>,
    profile: Option<String>,
    config_file: Option<PathBuf>,
    credentials_file: Option<PathBuf>,
) -> PyResult<PlanTuple> {
    let options = options_for(profile, config_file, credentials_file);
    let plan = py
        .detach(|| login_io::plan_profile(&options))
        .map_err(|e| to_py_err(py, &e))?;
    let served = plan.served();
    Ok((plan.base.name(), plan.role_arns, plan.account_id, served))
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
    for (name, class) in [
        (
            "AssumeRoleDeniedError",
            py.get_type::<AssumeRoleDeniedError>(),
        ),
        ("MfaUnavailableError", py.get_type::<MfaUnavailableError>()),
        ("SourceFailedError", py.get_type::<SourceFailedError>()),
        (
            "SsoSessionExpiredError",
            py.get_type::<SsoSessionExpiredError>(),
        ),
        (
            "SsoTokenMissingError",
            py.get_type::<SsoTokenMissingError>(),
        ),
        ("SsoNoAccessError", py.get_type::<SsoNoAccessError>()),
    ] {
        m.add(name, class)?;
    }
    m.add_function(wrap_pyfunction!(resolve_credentials, m)?)?;
    m.add_function(wrap_pyfunction!(plan_profile, m)?)?;
    vectors::register(m)?;
    logging::install(py)?;
    Ok(())
}
