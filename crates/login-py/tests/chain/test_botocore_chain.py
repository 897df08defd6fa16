"""Role and IAM Identity Center profiles through boto3, in every boto3 venv: on botocore without
usable login support (1.40.76; current without awscrt) aws_login's provider serves them from the
Rust chain, ahead of botocore's AssumeRole and SSO providers, sharing the caches with
get_credentials() and the CLI; on botocore[crt] >= 1.41 install() stays out of the way and
botocore reads the same caches itself."""

from __future__ import annotations

import json
from typing import Any

import boto3
import botocore.credentials
import botocore.exceptions
import pytest

import aws_login
from aws_login import provider

OURS = not provider.botocore_has_login_provider()
only_ours = pytest.mark.skipif(not OURS, reason="botocore[crt] resolves these profiles itself")
ROLE_SESSION_ARN = "arn:aws:sts::111122223333:assumed-role/Deploy/"


def _portal_calls(mock: Any, operation: str) -> int:
    return int(mock.stats().get("sso_portal", {}).get(operation, {}).get("ok", 0))


def test_a_role_over_a_login_profile(chain_home: Any) -> None:
    session = aws_login.boto3_session(profile_name="admin")
    identity = session.client("sts").get_caller_identity()
    assert identity["Arn"].startswith(ROLE_SESSION_ARN)
    assert identity["Account"] == "111122223333"
    assert session.get_credentials().method == "assume-role"
    if OURS:
        assert chain_home.mock.sts_calls("AssumeRole") == 1
        # One role cache for every reader: get_credentials() finds the role boto3 assumed.
        assert aws_login.get_credentials("admin").access_key == session.get_credentials().access_key
        assert chain_home.mock.sts_calls("AssumeRole") == 1


@only_ours
def test_the_provider_sits_before_botocores_role_provider(chain_home: Any) -> None:
    session = boto3.Session(profile_name="admin")
    assert aws_login.install(session) is True
    methods = [p.METHOD for p in session._session.get_component("credential_provider").providers]
    assert methods.count("login") == 1
    assert methods.index("login") + 1 == methods.index("assume-role")


@only_ours
def test_environment_keys_still_win(chain_home: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # botocore keeps its env provider first when the profile comes from AWS_PROFILE.
    monkeypatch.setenv("AWS_PROFILE", "admin")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT00001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-real-secret")
    session = aws_login.boto3_session()
    methods = [p.METHOD for p in session._session.get_component("credential_provider").providers]
    assert methods.index("env") < methods.index("login")
    assert session.get_credentials().method == "env"
    assert chain_home.mock.sts_calls("AssumeRole") == 0


# SSO profiles run in a child interpreter (with the start-up hook armed): botocore fixes its SSO
# cache directory from HOME when it is imported, before a test can point HOME at its sandbox.
SSO_PROGRAM = """
import json, sys, time
import boto3
session = boto3.Session(profile_name=sys.argv[1])
sts = session.client("sts")
seen = []
for pause in [0.0] + [float(p) for p in sys.argv[2:]]:
    time.sleep(pause)
    identity = sts.get_caller_identity()
    seen.append({"arn": identity["Arn"], "account": identity["Account"],
                 "key": session.get_credentials().get_frozen_credentials().access_key})
print(json.dumps({"calls": seen, "method": session.get_credentials().method}))
"""


def _run_sso(home: Any, profile: str, *pause: str) -> Any:
    result = home.run_python(SSO_PROGRAM, profile, *pause)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_an_sso_profile(chain_home: Any) -> None:
    outcome = _run_sso(chain_home, "sso")
    (call,) = outcome["calls"]
    assert call["account"] == "111122223333"
    assert "ReadOnly" in call["arn"]
    assert outcome["method"] == "sso"
    if OURS:
        assert _portal_calls(chain_home.mock, "GetRoleCredentials") == 1
        # The child cached the role credentials where get_credentials() finds them.
        assert aws_login.get_credentials("sso").access_key == call["key"]
        assert _portal_calls(chain_home.mock, "GetRoleCredentials") == 1


def test_a_role_over_an_sso_profile(chain_home: Any) -> None:
    outcome = _run_sso(chain_home, "sso-deploy")
    assert outcome["calls"][0]["arn"].startswith(ROLE_SESSION_ARN)
    assert outcome["method"] == "assume-role"


def test_an_sso_profile_across_the_expiry_of_its_credentials(aws_home: Any, start_mock: Any, tmp_path: Any) -> None:
    # Role credentials that live 8 seconds: botocore must come back for new ones.
    config = tmp_path / "mock.json"
    config.write_text(json.dumps({"sso": {"role_credentials_lifetime_secs": 8}}))
    aws_home.use_mock(start_mock("--config", str(config), "--auto-approve", "alice", "--sso-auto-approve", "alice"))
    aws_home.append_config(
        "\n[profile sso]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = ReadOnly\n"
        "\n[sso-session corp]\nsso_start_url = https://d-1234567890.awsapps.com/start\nsso_region = us-east-1\n"
    )
    aws_home.sso_login("sso")
    before, after = _run_sso(aws_home, "sso", "8.5")["calls"]
    assert before["account"] == after["account"] == "111122223333"
    assert before["key"] != after["key"]
    assert _portal_calls(aws_home.mock, "GetRoleCredentials") >= 2


@only_ours
def test_a_denied_role_is_a_botocore_error_and_ours(chain_home: Any) -> None:
    session = aws_login.boto3_session(profile_name="denied")
    with pytest.raises(botocore.exceptions.CredentialRetrievalError) as caught:
        session.client("sts").get_caller_identity()
    assert isinstance(caught.value, aws_login.AssumeRoleDeniedError)
    assert caught.value.kind == "AssumeRoleDenied"
    assert "trust policy" in str(caught.value)


@only_ours
def test_no_access_to_the_sso_role_is_a_botocore_error_and_ours(chain_home: Any) -> None:
    session = aws_login.boto3_session(profile_name="noaccess")
    with pytest.raises(botocore.exceptions.CredentialRetrievalError) as caught:
        session.client("sts").get_caller_identity()
    assert isinstance(caught.value, aws_login.SsoNoAccessError)
    assert "aws-login configure sso --profile noaccess" in str(caught.value)


@only_ours
def test_a_missing_sso_token_is_botocores_sso_error_with_our_command(chain_home: Any) -> None:
    for path in chain_home.sso_cache_dir.glob("*.json"):
        path.unlink()
    session = aws_login.boto3_session(profile_name="sso")
    with pytest.raises(botocore.exceptions.UnauthorizedSSOTokenError) as caught:
        session.client("sts").get_caller_identity()
    assert isinstance(caught.value, aws_login.SsoTokenMissingError)
    assert str(caught.value).startswith("No IAM Identity Center token")
    assert "aws-login sso login" in str(caught.value)


@only_ours
def test_chains_over_keys_and_processes_are_left_to_botocore(chain_home: Any) -> None:
    for profile in ("keys", "keyrole", "process"):
        ours = provider.LoginProvider(profile, config_file=str(chain_home.config_file))
        assert ours.load() is None, profile
    session = aws_login.boto3_session(profile_name="keyrole")
    assert session.get_credentials().method == "assume-role"
    assert isinstance(session.get_credentials(), botocore.credentials.DeferredRefreshableCredentials)
    assert aws_login.boto3_session(profile_name="keys").get_credentials().method == "config-file"
