"""Credentials from ``aws login`` sessions and IAM Identity Center, with roles on top, for Python
code whose boto3/botocore is too old to read login sessions (botocore < 1.41 says "Unable to
locate credentials").

The work is done in Rust (login-io): reading ``~/.aws/config``, planning the profile's chain
(login session, IAM Identity Center, static keys or ``credential_process`` at the base, then
each ``role_arn``), refreshing each step under the same cross-process locks as the ``aws-login``
CLI, and writing the caches back in the formats AWS CLI v2, botocore and the JS SDK share.

Installing the wheel is enough: its start-up hook (``aws_login_provider.pth``) calls
:func:`install` when a program imports botocore, so unchanged programs (the AWS CLI v1, tools
built on boto3) resolve login profiles. ``AWS_LOGIN_PROVIDER_DISABLE=1`` turns the hook off; then,
or to be explicit::

    import aws_login
    aws_login.install()          # every botocore/boto3 session created from now on
    boto3.Session(profile_name="dev").client("sts").get_caller_identity()

Importing this module needs neither boto3 nor botocore; only :func:`install` and
:func:`boto3_session` do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from ._credentials import Credentials, get_credentials
from ._native import (
    AssumeRoleDeniedError,
    CacheCorruptError,
    CacheError,
    CacheMissingError,
    CacheWriteError,
    ConfigError,
    CredentialsChangedError,
    InsufficientPermissionsError,
    LoginError,
    MfaUnavailableError,
    NetworkError,
    NotLoginProfileError,
    ProfileNotFoundError,
    ServiceError,
    SessionExpiredError,
    SourceFailedError,
    SsoNoAccessError,
    SsoSessionExpiredError,
    SsoTokenMissingError,
    __version__,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    import boto3


def install(session: Any = None) -> bool:
    """Add a ``login`` credential provider to botocore's credential chain.

    With no argument: to the chain of every botocore session (so every ``boto3.Session`` and
    ``boto3.client(...)``) created from now on in this process, and to boto3's default session if
    it exists already; other sessions created before keep their chain. With a ``boto3.Session``
    or ``botocore.session.Session``: to that one only. The provider goes right before botocore's
    ``assume-role`` provider and serves every profile whose chain starts from a login session or
    IAM Identity Center (a login profile, an SSO profile, a role over either), so those resolve
    through aws-login's locks and caches rather than botocore's AssumeRole and SSO providers.
    Profiles over static keys, ``credential_process`` or environment keys are left to botocore.

    Returns True when the provider was added, False when nothing was done because botocore
    already resolves login sessions (>= 1.41 with ``botocore[crt]``) or it was installed already
    (for every session, or on this session). On botocore >= 1.41 without awscrt, whose own provider cannot sign, ours replaces it.
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
    "AssumeRoleDeniedError",
    "CacheCorruptError",
    "CacheError",
    "CacheMissingError",
    "CacheWriteError",
    "ConfigError",
    "Credentials",
    "CredentialsChangedError",
    "InsufficientPermissionsError",
    "LoginError",
    "MfaUnavailableError",
    "NetworkError",
    "NotLoginProfileError",
    "ProfileNotFoundError",
    "ServiceError",
    "SessionExpiredError",
    "SourceFailedError",
    "SsoNoAccessError",
    "SsoSessionExpiredError",
    "SsoTokenMissingError",
    "__version__",
    "boto3_session",
    "get_credentials",
    "install",
]
