"""Checked with `mypy --strict` against the installed wheel (not run): proves the package's
types (py.typed + the native module's .pyi stub) are visible to a type checker."""

import datetime
from typing import Optional

import aws_login


def expiry(profile: Optional[str]) -> datetime.datetime:
    credentials: aws_login.Credentials = aws_login.get_credentials(profile)
    key: str = credentials.access_key
    account: Optional[str] = credentials.account_id
    assert key and account is not None
    return credentials.expiry_time


def describe(error: aws_login.LoginError) -> str:
    if isinstance(error, aws_login.SsoSessionExpiredError):
        return "aws-login sso login: " + str(error)
    if isinstance(error, aws_login.SessionExpiredError):
        return "log in again: " + str(error)
    if isinstance(error, (aws_login.AssumeRoleDeniedError, aws_login.SsoNoAccessError)):
        return "ask for access: " + str(error)
    return str(error)


def role_credentials(config_file: str, credentials_file: str) -> str:
    return aws_login.get_credentials(
        "admin", config_file=config_file, credentials_file=credentials_file
    ).access_key


def patched() -> bool:
    return aws_login.install(None)
