"""get_credentials() for every profile kind the Rust chain resolves, against the real mock: a
role over a login profile, an IAM Identity Center profile, a role over that, each across an
expiry, and the errors a person has to act on. No boto3 needed."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

import pytest

import aws_login
from aws_login import _native


def _sso_portal_calls(mock: Any, operation: str) -> int:
    return int(mock.stats().get("sso_portal", {}).get(operation, {}).get("ok", 0))


def _sso_refreshes(mock: Any) -> int:
    return int(mock.stats().get("sso_token", {}).get("refresh_token", {}).get("ok", 0))


def test_the_planner_says_which_profiles_are_served(chain_home: Any) -> None:
    assert _native.plan_profile("dev", None) == ("LoginSession", [], "111122223333", True)
    assert _native.plan_profile("admin", None) == (
        "LoginSession",
        ["arn:aws:iam::111122223333:role/Deploy"],
        "111122223333",
        True,
    )
    assert _native.plan_profile("sso", None) == ("Sso", [], "111122223333", True)
    assert _native.plan_profile("sso-deploy", None)[:2] == ("Sso", ["arn:aws:iam::111122223333:role/Deploy"])
    assert _native.plan_profile("keys", None) == ("StaticKeys", [], None, False)
    assert _native.plan_profile("keyrole", None)[0::3] == ("StaticKeys", False)
    assert _native.plan_profile("process", None)[0::3] == ("CredentialProcess", False)
    with pytest.raises(aws_login.ProfileNotFoundError):
        _native.plan_profile("nope", None)


def test_a_role_over_a_login_profile(chain_home: Any) -> None:
    credentials = aws_login.get_credentials("admin")
    assert credentials.access_key.startswith("ASIA")
    assert credentials.account_id == "111122223333"
    assert chain_home.mock.sts_calls("AssumeRole") == 1
    # In AWS CLI v2's role cache, where the CLI and other aws-login users find it.
    assert len(chain_home.role_cache_files()) == 1


def test_role_credentials_come_from_the_role_cache_the_second_time(chain_home: Any) -> None:
    first = aws_login.get_credentials("admin")
    again = aws_login.get_credentials("admin")
    assert again.access_key == first.access_key
    assert chain_home.mock.sts_calls("AssumeRole") == 1


def test_an_sso_profile(chain_home: Any) -> None:
    credentials = aws_login.get_credentials("sso")
    assert credentials.account_id == "111122223333"
    assert _sso_portal_calls(chain_home.mock, "GetRoleCredentials") == 1
    assert aws_login.get_credentials("sso").access_key == credentials.access_key
    assert _sso_portal_calls(chain_home.mock, "GetRoleCredentials") == 1


def test_a_role_over_an_sso_profile(chain_home: Any) -> None:
    credentials = aws_login.get_credentials("sso-deploy")
    assert credentials.account_id == "111122223333"
    assert chain_home.mock.sts_calls("AssumeRole") == 1
    assert _sso_portal_calls(chain_home.mock, "GetRoleCredentials") == 1


def test_a_role_across_the_expiry_of_its_credentials_and_its_login_session(
    aws_home: Any, start_mock: Any
) -> None:
    # Login credentials that need a refresh one second after they are issued (5 min + 1 s).
    aws_home.use_mock(start_mock("--auto-approve", "alice", "--access-token-lifetime", "301"))
    aws_home.login("dev")
    aws_home.append_config("\n[profile admin]\nrole_arn = arn:aws:iam::111122223333:role/Deploy\nsource_profile = dev\n")
    first = aws_login.get_credentials("admin")
    assert aws_home.mock.sts_calls("AssumeRole") == 1
    refreshes = aws_home.mock.refresh_calls()
    time.sleep(1.5)
    aws_home.expire_role_caches()
    second = aws_login.get_credentials("admin")
    assert second.access_key != first.access_key
    assert aws_home.mock.sts_calls("AssumeRole") == 2
    assert aws_home.mock.refresh_calls() == refreshes + 1, "the role needed fresh source credentials"


def test_an_sso_profile_across_the_expiry_of_its_token_and_credentials(chain_home: Any) -> None:
    token_file = next(p for p in chain_home.sso_cache_dir.glob("*.json") if "accessToken" in p.read_text())
    first = aws_login.get_credentials("sso")
    chain_home.mock.admin("sso/tokens/expire", {})
    chain_home.expire_sso_token(token_file)
    chain_home.expire_role_caches()
    second = aws_login.get_credentials("sso")
    assert second.access_key != first.access_key
    assert _sso_refreshes(chain_home.mock) == 1
    assert _sso_portal_calls(chain_home.mock, "GetRoleCredentials") == 2


def test_a_denied_role(chain_home: Any) -> None:
    with pytest.raises(aws_login.AssumeRoleDeniedError) as caught:
        aws_login.get_credentials("denied")
    assert isinstance(caught.value, aws_login.LoginError)
    assert caught.value.kind == "AssumeRoleDenied"
    message = str(caught.value)
    assert "AccessDenied" in message and "trust policy" in message, message
    assert "arn:aws:iam::111122223333:role/NoSuchRole" in message


def test_no_access_to_the_sso_role(chain_home: Any) -> None:
    with pytest.raises(aws_login.SsoNoAccessError) as caught:
        aws_login.get_credentials("noaccess")
    assert isinstance(caught.value, aws_login.InsufficientPermissionsError)
    assert caught.value.kind == "InsufficientPermissions"
    assert "aws-login configure sso --profile noaccess" in str(caught.value)


def test_an_ended_sso_session_says_to_sign_in_again(chain_home: Any) -> None:
    token_file = next(p for p in chain_home.sso_cache_dir.glob("*.json") if "accessToken" in p.read_text())
    chain_home.mock.admin("sso/sessions/expire", {})
    chain_home.expire_sso_token(token_file)
    with pytest.raises(aws_login.SsoSessionExpiredError) as caught:
        aws_login.get_credentials("sso")
    assert isinstance(caught.value, aws_login.SessionExpiredError)
    assert "aws-login sso login" in str(caught.value)


def test_no_sso_token_says_to_sign_in(chain_home: Any) -> None:
    for path in chain_home.sso_cache_dir.glob("*.json"):
        path.unlink()
    with pytest.raises(aws_login.SsoTokenMissingError) as caught:
        aws_login.get_credentials("sso-deploy")
    assert isinstance(caught.value, aws_login.CacheMissingError)
    assert caught.value.kind == "CacheMissing"
    assert "aws-login sso login" in str(caught.value)


def test_profiles_aws_login_does_not_serve(chain_home: Any) -> None:
    with pytest.raises(aws_login.NotLoginProfileError) as caught:
        aws_login.get_credentials("keys")
    assert "has nothing to add" in str(caught.value)


def test_a_failing_credential_process_under_a_role(chain_home: Any) -> None:
    chain_home.append_config("\n[profile processrole]\nrole_arn = arn:aws:iam::111122223333:role/FromProcess\nsource_profile = process\n")
    with pytest.raises(aws_login.SourceFailedError) as caught:
        aws_login.get_credentials("processrole")
    assert caught.value.kind == "SourceFailed"
    assert "credential_process" in str(caught.value)


MFA_PROGRAM = """
import json, aws_login
try:
    aws_login.get_credentials("mfa")
except aws_login.LoginError as error:
    print(json.dumps({"class": type(error).__name__, "kind": error.kind, "message": str(error)}))
"""


def test_an_mfa_role_without_a_terminal(chain_home: Any) -> None:
    chain_home.append_config(
        "\n[profile mfa]\nrole_arn = arn:aws:iam::111122223333:role/Deploy\nsource_profile = dev\n"
        "mfa_serial = arn:aws:iam::111122223333:mfa/alice\n"
    )
    # A new session has no controlling terminal, as under a service manager or a CI runner.
    result = subprocess.run(
        [sys.executable, "-c", MFA_PROGRAM],
        env=chain_home.env(),
        capture_output=True,
        text=True,
        timeout=60,
        start_new_session=True,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome["class"] == "MfaUnavailableError" and outcome["kind"] == "MfaUnavailable"
    assert "aws-login export-credentials --profile mfa" in outcome["message"]
    assert chain_home.mock.sts_calls("AssumeRole") == 0
