"""Credentials from ``aws login`` sessions, for Python code whose boto3/botocore is too old to
read them (botocore < 1.41 says "Unable to locate credentials").

The work is done in Rust (login-io): reading ``~/.aws/config`` and the login token cache,
refreshing the 15-minute credentials with a DPoP-signed token request under the same
cross-process lock as the ``aws-login`` CLI, and writing the cache back in the format AWS CLI v2,
botocore >= 1.41 and the JS SDK share.

Typical use, with no other change to existing code::

    import aws_login
    aws_login.install()          # adds a "login" provider to boto3's default session
    boto3.client("sts").get_caller_identity()

Importing this module needs neither boto3 nor botocore; only :func:`install` and
:func:`boto3_session` do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from ._credentials import Credentials, get_credentials
from ._native import (
    CacheCorruptError,
    CacheError,
    CacheMissingError,
    CacheWriteError,
    ConfigError,
    CredentialsChangedError,
    InsufficientPermissionsError,
    LoginError,
    NetworkError,
    NotLoginProfileError,
    ProfileNotFoundError,
    ServiceError,
    SessionExpiredError,
    __version__,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    import boto3


def install(session: Any = None) -> bool:
    """Add a ``login`` credential provider to a boto3/botocore session's credential chain.

    ``session`` may be a ``boto3.Session``, a ``botocore.session.Session`` or ``None`` for
    boto3's default session (the one ``boto3.client(...)`` uses). The provider goes where
    botocore >= 1.41 puts its own (after the shared credentials file, before
    ``credential_process``), and profiles with ``role_arn`` + ``source_profile`` naming a login
    profile resolve through AssumeRole with the login credentials.

    Returns True when the provider was added, False when nothing was done because botocore
    already resolves login sessions (>= 1.41 with ``botocore[crt]``) or this session already has
    ours. On botocore >= 1.41 without awscrt, whose own provider cannot sign, ours replaces it.
    """
    from . import provider

    return provider.install(session)


def boto3_session(
    profile_name: Optional[str] = None, region_name: Optional[str] = None, **kwargs: Any
) -> "boto3.Session":
    """A new ``boto3.Session(profile_name=..., region_name=..., **kwargs)`` with :func:`install`
    applied, so its clients get credentials from the login session (refreshed through Rust)."""
    from . import provider

    return provider.boto3_session(profile_name=profile_name, region_name=region_name, **kwargs)


__all__ = [
    "CacheCorruptError",
    "CacheError",
    "CacheMissingError",
    "CacheWriteError",
    "ConfigError",
    "Credentials",
    "CredentialsChangedError",
    "InsufficientPermissionsError",
    "LoginError",
    "NetworkError",
    "NotLoginProfileError",
    "ProfileNotFoundError",
    "ServiceError",
    "SessionExpiredError",
    "__version__",
    "boto3_session",
    "get_credentials",
    "install",
]
