//! login-py: the native half of the Python package `aws_login` (`aws-login-provider` on PyPI).
//!
//! It converts Python arguments to login-io calls and results back, and maps `LoginIoError`s to the
//! `aws_login.LoginError` hierarchy (message = the CLI's message). It never reads files, opens
//! sockets or speaks the protocol itself: all of that is login-io's (and login-core's) job. Every
//! call that may wait on disk, a lock or the network releases the GIL.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

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
    Ok(())
}
