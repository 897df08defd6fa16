"""Current boto3 + botocore[crt], which has its own login provider: the cache is shared both
ways, and aws_login.install() stays out of the way."""

from __future__ import annotations

import json
from typing import Any

import boto3
import botocore
import botocore.credentials
import botocore.session
import pytest

import aws_login


def _botocore_credentials(profile: str) -> Any:
    """Credentials from botocore's own chain (its LoginProvider), refreshed if it wants to."""
    credentials = botocore.session.Session(profile=profile).get_credentials()
    assert credentials is not None and credentials.method == "login"
    return credentials.get_frozen_credentials()


def test_this_botocore_has_its_own_login_provider() -> None:
    major, minor = (int(part) for part in botocore.__version__.split(".")[:2])
    assert (major, minor) >= (1, 41)
    assert hasattr(botocore.credentials, "LoginProvider")


def test_botocore_uses_a_cache_refreshed_by_aws_login(logged_in: Any) -> None:
    logged_in.expire_cache(seconds_left=-30)
    ours = aws_login.get_credentials("dev")
    assert logged_in.mock.refresh_calls() == 1

    theirs = _botocore_credentials("dev")
    assert theirs.access_key == ours.access_key
    assert theirs.secret_key == ours.secret_key
    assert theirs.token == ours.token
    assert logged_in.mock.refresh_calls() == 1, "botocore must not refresh a fresh entry again"


def test_aws_login_uses_a_cache_refreshed_by_botocore(logged_in: Any) -> None:
    path = logged_in.only_cache_file()
    logged_in.expire_cache(seconds_left=-30)
    before = json.loads(path.read_text())

    theirs = _botocore_credentials("dev")
    assert logged_in.mock.refresh_calls() == 1
    after = json.loads(path.read_text())
    assert after["accessToken"]["accessKeyId"] == theirs.access_key != before["accessToken"]["accessKeyId"]

    ours = aws_login.get_credentials("dev")
    assert ours.access_key == theirs.access_key
    assert logged_in.mock.refresh_calls() == 1

    # And the refresh token botocore rotated still refreshes through aws_login (same DPoP key).
    logged_in.expire_cache(seconds_left=-30)
    again = aws_login.get_credentials("dev")
    assert again.access_key != ours.access_key
    assert logged_in.mock.refresh_calls() == 2
    assert _botocore_credentials("dev").access_key == again.access_key


def test_install_is_a_no_op_and_does_not_double_refresh(
    logged_in: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "dev")
    logged_in.expire_cache(seconds_left=-30)
    with caplog.at_level("DEBUG", logger="aws_login"):
        assert aws_login.install() is False
    assert "resolves login sessions itself" in caplog.text

    session = boto3._get_default_session()
    methods = [p.METHOD for p in session._session.get_component("credential_provider").providers]
    assert methods.count("login") == 1

    identity = boto3.client("sts").get_caller_identity()
    assert identity["Arn"] == "arn:aws:iam::111122223333:user/alice"
    assert logged_in.mock.refresh_calls() == 1

    # Our own API on the same cache sees the single refresh.
    assert aws_login.get_credentials().access_key == json.loads(logged_in.only_cache_file().read_text())["accessToken"]["accessKeyId"]
    assert logged_in.mock.refresh_calls() == 1


def test_boto3_session_on_new_botocore_uses_botocore_provider(logged_in: Any) -> None:
    session = aws_login.boto3_session(profile_name="dev")
    assert session.client("sts").get_caller_identity()["Account"] == "111122223333"
    assert session.get_credentials().method == "login"


def test_the_start_up_hook_leaves_botocore_crt_alone(logged_in: Any) -> None:
    program = (
        "import json, boto3, botocore.credentials as c\n"
        "s = boto3.Session(profile_name='dev')\n"
        "chain = s._session.get_component('credential_provider').providers\n"
        "print(json.dumps({'arn': s.client('sts').get_caller_identity()['Arn'],\n"
        "                  'logins': [type(p).__module__ for p in chain if p.METHOD == 'login'],\n"
        "                  'wrapped': hasattr(c.create_credential_resolver, '__wrapped__')}))\n"
    )
    result = logged_in.run_python(program)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "arn": "arn:aws:iam::111122223333:user/alice",
        "logins": ["botocore.credentials"],
        "wrapped": False,
    }
