"""boto3 1.40.76 (botocore without a login provider): what aws_login is for."""

from __future__ import annotations

import json
import threading
import time
from typing import Any, List

import boto3
import botocore
import botocore.exceptions
import botocore.session
import pytest

import aws_login

ROLE = "arn:aws:iam::111122223333:role/Deploy"


def test_this_is_a_botocore_without_login_support() -> None:
    assert botocore.__version__ == "1.40.76"
    assert not hasattr(botocore.credentials, "LoginProvider")


def test_without_aws_login_old_boto3_cannot_use_the_session(logged_in: Any) -> None:
    sts = boto3.Session(profile_name="dev").client("sts")
    with pytest.raises(botocore.exceptions.NoCredentialsError):
        sts.get_caller_identity()


def test_install_makes_default_boto3_client_work(logged_in: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "dev")
    assert aws_login.install() is True
    identity = boto3.client("sts").get_caller_identity()
    assert identity["Arn"] == "arn:aws:iam::111122223333:user/alice"
    assert identity["Account"] == "111122223333"
    assert logged_in.mock.refresh_calls() == 0
    # A second install is a no-op.
    assert aws_login.install() is False


def test_install_on_an_explicit_session_keeps_the_chain_order(logged_in: Any) -> None:
    session = botocore.session.Session(profile="dev")
    aws_login.install(session)
    resolver = session.get_component("credential_provider")
    methods = [p.METHOD for p in resolver.providers]
    # Before botocore's role provider (role chains over a login session are ours too); static
    # keys in the credentials file still win because the planner says so.
    assert methods.index("login") + 1 == methods.index("assume-role")
    credentials = session.get_credentials()
    assert credentials.method == "login"
    assert isinstance(credentials, botocore.credentials.RefreshableCredentials)


def test_static_keys_in_the_credentials_file_still_win(logged_in: Any) -> None:
    (logged_in.root / "credentials").write_text(
        "[dev]\naws_access_key_id = AKIAEXAMPLEEXAMPLE12\naws_secret_access_key = secret\n"
    )
    session = aws_login.boto3_session(profile_name="dev")
    assert session.get_credentials().access_key == "AKIAEXAMPLEEXAMPLE12"


@pytest.mark.parametrize("entry_point", ["boto3_session", "install"])
def test_works_and_refreshes_after_expiry(
    aws_home: Any, start_mock: Any, monkeypatch: pytest.MonkeyPatch, entry_point: str
) -> None:
    # Credentials that need a refresh one second after they are issued (5 min + 1 s).
    mock = start_mock("--auto-approve", "alice", "--access-token-lifetime", "301")
    aws_home.use_mock(mock)
    path = aws_home.login("dev")
    first = json.loads(path.read_text())

    if entry_point == "boto3_session":
        session = aws_login.boto3_session(profile_name="dev", region_name="us-east-1")
    else:
        monkeypatch.setenv("AWS_PROFILE", "dev")
        aws_login.install()
        session = boto3._get_default_session()
    sts = session.client("sts")
    assert sts.get_caller_identity()["Account"] == "111122223333"
    assert session.get_credentials().method == "login"

    time.sleep(1.5)
    assert sts.get_caller_identity()["Account"] == "111122223333"
    second = json.loads(path.read_text())
    assert mock.refresh_calls() >= 1
    assert second["accessToken"]["accessKeyId"] != first["accessToken"]["accessKeyId"]
    assert second["refreshToken"] != first["refreshToken"]
    frozen = session.get_credentials().get_frozen_credentials()
    assert frozen.access_key == json.loads(path.read_text())["accessToken"]["accessKeyId"]


def test_role_chain_with_a_login_source_profile(logged_in: Any) -> None:
    logged_in.append_config(f"\n[profile deploy]\nrole_arn = {ROLE}\nsource_profile = dev\nregion = us-east-1\n")
    session = boto3.Session(profile_name="deploy")
    aws_login.install(session)
    identity = session.client("sts").get_caller_identity()
    assert identity["Arn"].startswith("arn:aws:sts::111122223333:assumed-role/Deploy/")
    assert session.get_credentials().method == "assume-role"
    assert logged_in.mock.sts_calls("AssumeRole") == 1


def test_role_chain_fails_without_aws_login(logged_in: Any) -> None:
    logged_in.append_config(f"\n[profile deploy]\nrole_arn = {ROLE}\nsource_profile = dev\n")
    session = boto3.Session(profile_name="deploy")
    with pytest.raises(botocore.exceptions.InvalidConfigError):
        session.client("sts").get_caller_identity()


def test_errors_are_botocore_credential_errors_and_login_errors(logged_in: Any) -> None:
    logged_in.only_cache_file().unlink()
    session = aws_login.boto3_session(profile_name="dev")
    with pytest.raises(botocore.exceptions.CredentialRetrievalError) as caught:
        session.client("sts").get_caller_identity()
    assert isinstance(caught.value, aws_login.CacheMissingError)
    assert isinstance(caught.value.__cause__, aws_login.CacheMissingError)
    assert "aws-login login --profile dev" in str(caught.value)
    assert caught.value.kind == "CacheMissing"


def test_profiles_that_are_not_login_profiles_are_left_to_the_chain(logged_in: Any) -> None:
    logged_in.append_config("\n[profile other]\nregion = us-east-1\n")
    session = aws_login.boto3_session(profile_name="other")
    assert session.get_credentials() is None


def test_sixteen_threads_sharing_a_client_at_expiry_make_one_refresh(aws_home: Any, start_mock: Any) -> None:
    # Credentials due for refresh 5 s after issue; after the one refresh the next is 5 s away,
    # far more than the threads need.
    mock = start_mock("--auto-approve", "alice", "--access-token-lifetime", "305")
    aws_home.use_mock(mock)
    aws_home.login("dev")
    session = aws_login.boto3_session(profile_name="dev", region_name="us-east-1")
    sts = session.client("sts")
    assert sts.get_caller_identity()["Account"] == "111122223333"
    time.sleep(5.2)

    barrier = threading.Barrier(16)
    results: List[str] = []
    errors: List[BaseException] = []

    def call() -> None:
        barrier.wait()
        try:
            results.append(sts.get_caller_identity()["Arn"])
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=call) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert results == ["arn:aws:iam::111122223333:user/alice"] * 16
    assert mock.refresh_calls() == 1


def test_default_config_location_under_home(logged_in: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # Without AWS_CONFIG_FILE botocore reads its literal default "~/.aws/config".
    aws_dir = logged_in.root / ".aws"
    aws_dir.mkdir()
    (aws_dir / "config").write_text(logged_in.config_file.read_text())
    logged_in.config_file.unlink()
    monkeypatch.delenv("AWS_CONFIG_FILE")
    session = aws_login.boto3_session(profile_name="dev")
    assert session.client("sts").get_caller_identity()["Account"] == "111122223333"
