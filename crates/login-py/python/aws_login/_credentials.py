"""The :class:`Credentials` value and :func:`get_credentials`, a thin wrapper over the native call."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field
from typing import Dict, Optional

from . import _native

logger = logging.getLogger("aws_login")


@dataclass(frozen=True)
class Credentials:
    """Temporary AWS credentials of a profile (a login session's, an SSO role's, an assumed role's).

    ``expiry_time`` is an aware datetime in UTC. The secret parts are left out of ``repr`` so the
    object can be logged.
    """

    access_key: str
    secret_key: str = field(repr=False)
    token: str = field(repr=False)
    expiry_time: datetime.datetime
    account_id: Optional[str] = None

    def to_botocore_metadata(self) -> Dict[str, Optional[str]]:
        """The dict botocore's ``RefreshableCredentials`` expects from a refresh callback."""
        return {
            "access_key": self.access_key,
            "secret_key": self.secret_key,
            "token": self.token,
            "expiry_time": self.expiry_time.isoformat(),
            "account_id": self.account_id,
        }


def get_credentials(
    profile: Optional[str] = None,
    *,
    config_file: Optional[str] = None,
    credentials_file: Optional[str] = None,
) -> Credentials:
    """Credentials for ``profile`` (default: ``$AWS_PROFILE``, then ``default``), whatever its
    kind: a login profile (``login_session``), an IAM Identity Center profile (``sso_session`` +
    ``sso_account_id`` + ``sso_role_name``, or the legacy ``sso_start_url`` form), or a role
    (``role_arn`` + ``source_profile``/``credential_source``) on top of any of these, static keys
    or a ``credential_process``.

    Each step is cached where the AWS CLI caches it (``~/.aws/login/cache``, ``~/.aws/sso/cache``,
    ``~/.aws/cli/cache``) and renewed under the same cross-process lock as the ``aws-login``
    CLI: a login session when fewer than 5 minutes remain, role and SSO credentials when fewer
    than 15 minutes remain. ``config_file`` / ``credentials_file`` override
    ``$AWS_CONFIG_FILE`` / ``$AWS_SHARED_CREDENTIALS_FILE``. The GIL is released while this
    waits on disk, locks or the network.

    Raises a subclass of :class:`aws_login.LoginError` with the same message the CLI prints.
    """
    access_key, secret_key, token, expires_at, account_id, warnings = _native.resolve_credentials(
        profile, config_file, credentials_file
    )
    for warning in warnings:
        logger.warning("%s", warning)
    return Credentials(
        access_key=access_key,
        secret_key=secret_key,
        token=token,
        expiry_time=datetime.datetime.fromtimestamp(expires_at, tz=datetime.timezone.utc),
        account_id=account_id,
    )
