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
    if isinstance(error, aws_login.SessionExpiredError):
        return "log in again: " + str(error)
    return str(error)


def patched() -> bool:
    return aws_login.install(None)
