"""Current botocore without awscrt (`pip install boto3`, no `[crt]` extra): its own login provider
cannot sign and raises MissingDependencyException; install() puts aws_login's in its place."""

from __future__ import annotations

import json
from typing import Any

import boto3
import botocore
import botocore.credentials
import botocore.exceptions
import pytest

import aws_login
from aws_login import provider

ROLE = "arn:aws:iam::111122223333:role/Deploy"


def test_this_botocore_has_a_login_provider_but_no_crt() -> None:
    assert hasattr(botocore.credentials, "LoginProvider")
    assert getattr(botocore.credentials, "EC", None) is None


def test_without_aws_login_botocore_asks_for_crt(logged_in: Any) -> None:
    with pytest.raises(botocore.exceptions.MissingDependencyException):
        boto3.Session(profile_name="dev").client("sts").get_caller_identity()


def test_install_replaces_the_unusable_provider(logged_in: Any) -> None:
    session = boto3.Session(profile_name="dev")
    assert aws_login.install(session) is True
    chain = session._session.get_component("credential_provider").providers
    logins = [p for p in chain if p.METHOD == "login"]
    assert len(logins) == 1 and isinstance(logins[0], provider.LoginProvider)
    methods = [p.METHOD for p in chain]
    assert methods.index("login") + 1 == methods.index("assume-role")
    assert session.client("sts").get_caller_identity()["Arn"] == "arn:aws:iam::111122223333:user/alice"


def test_role_chain_uses_aws_login_for_the_source_profile(logged_in: Any) -> None:
    logged_in.append_config(f"\n[profile deploy]\nrole_arn = {ROLE}\nsource_profile = dev\n")
    session = boto3.Session(profile_name="deploy")
    aws_login.install(session)
    identity = session.client("sts").get_caller_identity()
    assert identity["Arn"].startswith("arn:aws:sts::111122223333:assumed-role/Deploy/")
    assert logged_in.mock.sts_calls("AssumeRole") == 1


UNCHANGED_PROGRAM = """
import json, sys
import boto3
session = boto3.Session(profile_name=sys.argv[1])
print(json.dumps({"arn": session.client("sts").get_caller_identity()["Arn"],
                  "provider": type(session._session.get_component("credential_provider")
                                   .get_provider("login")).__module__}))
"""


def test_installing_the_wheel_is_enough_for_an_unchanged_program(logged_in: Any) -> None:
    result = logged_in.run_python(UNCHANGED_PROGRAM, "dev")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "arn": "arn:aws:iam::111122223333:user/alice",
        "provider": "aws_login.provider",
    }


def test_install_without_argument_replaces_it_in_every_new_session(logged_in: Any) -> None:
    assert aws_login.install() is True
    session = boto3.Session(profile_name="dev")
    assert session.client("sts").get_caller_identity()["Arn"] == "arn:aws:iam::111122223333:user/alice"
    chain = session._session.get_component("credential_provider").providers
    assert [type(p) for p in chain if p.METHOD == "login"] == [provider.LoginProvider]


def test_disabled_hook_leaves_botocore_asking_for_crt(logged_in: Any) -> None:
    result = logged_in.run_python(UNCHANGED_PROGRAM, "dev", AWS_LOGIN_PROVIDER_DISABLE="1")
    assert result.returncode == 1
    assert "MissingDependencyException" in result.stderr
