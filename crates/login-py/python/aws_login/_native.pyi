"""Types of the Rust extension module (crates/login-py/src/lib.rs)."""

from typing import Optional, Tuple

__version__: str

class LoginError(Exception):
    """Base of every aws_login error; the message is the one the aws-login CLI prints."""

    kind: str

class ConfigError(LoginError):
    """The profile is missing, is not a login profile, or the config file cannot be read."""

class ProfileNotFoundError(ConfigError):
    """The profile has no section in the config file."""

class NotLoginProfileError(ConfigError):
    """The profile exists but has no `login_session`."""

class CacheError(LoginError):
    """The login token cache cannot be used."""

class CacheMissingError(CacheError):
    """No cached login session for the profile: run `aws-login login`."""

class CacheCorruptError(CacheError):
    """The cached login session is unreadable or incomplete: log in again."""

class CacheWriteError(CacheError):
    """The refreshed session could not be written to the cache (or its lock taken)."""

class SessionExpiredError(LoginError):
    """The login session ended (expired, or credentials changed): log in again."""

class CredentialsChangedError(SessionExpiredError):
    """The user's password or access keys changed after login: log in again."""

class InsufficientPermissionsError(LoginError):
    """The principal lacks `signin:CreateOAuth2Token`."""

class NetworkError(LoginError):
    """The sign-in service could not be reached (after retries)."""

class ServiceError(LoginError):
    """The sign-in service answered with an error or an unreadable response."""

def resolve_credentials(
    profile: Optional[str], config_file: Optional[str]
) -> Tuple[str, str, str, int, Optional[str]]:
    """(access key, secret key, session token, expiry as unix seconds, account id)."""
