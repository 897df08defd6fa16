"""The aws_login.LoginError hierarchy: each failure gets its class and the CLI's message."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
from typing import Any

import pytest

import aws_login


def _steady(message: str) -> str:
    """A message without its timings (how long a torn cache file was re-read differs per run)."""
    return re.sub(r"over \d+ ms", "over N ms", message)


def _cli_message(aws_home: Any, profile: str) -> str:
    """What `aws-login export-credentials` prints for the same failure."""
    result = subprocess.run(
        [os.environ["AWS_LOGIN_TEST_CLI"], "export-credentials", "--profile", profile, "--format", "process"],
        env=aws_home.env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0, result.stdout
    return _steady(result.stderr)


def test_missing_profile(aws_home: Any) -> None:
    with pytest.raises(aws_login.ProfileNotFoundError) as caught:
        aws_login.get_credentials("nope")
    assert isinstance(caught.value, aws_login.ConfigError)
    assert isinstance(caught.value, aws_login.LoginError)
    assert caught.value.kind == "ProfileNotFound"
    assert "nope" in str(caught.value)
    assert _steady(str(caught.value)) in _cli_message(aws_home, "nope")


def test_profile_without_login_session(aws_home: Any) -> None:
    aws_home.append_config("[profile keys]\nregion = us-east-1\n")
    with pytest.raises(aws_login.NotLoginProfileError) as caught:
        aws_login.get_credentials("keys")
    assert "login_session" in str(caught.value)
    assert _steady(str(caught.value)) in _cli_message(aws_home, "keys")


def test_missing_cache_says_to_log_in(logged_in: Any) -> None:
    logged_in.only_cache_file().unlink()
    with pytest.raises(aws_login.CacheMissingError) as caught:
        aws_login.get_credentials("dev")
    assert isinstance(caught.value, aws_login.CacheError)
    assert "aws-login login --profile dev" in str(caught.value)
    assert _steady(str(caught.value)) in _cli_message(logged_in, "dev")


_BAD_KEY = "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"


@pytest.mark.parametrize(
    "damage",
    [
        lambda entry: "{ not json",
        lambda entry: json.dumps({k: v for k, v in entry.items() if k != "refreshToken"}),
        lambda entry: json.dumps({**entry, "accessToken": "a string"}),
        lambda entry: json.dumps({**entry, "dpopKey": _BAD_KEY}),
    ],
    ids=["not-json", "no-refresh-token", "access-token-not-an-object", "bad-dpop-key"],
)
def test_corrupt_cache_is_reported_and_left_alone(logged_in: Any, damage: Any) -> None:
    path = logged_in.only_cache_file()
    # Expired first, so that even a reader that only needs the key to sign a refresh notices.
    logged_in.expire_cache(seconds_left=-30)
    damaged = damage(json.loads(path.read_text()))
    path.write_text(damaged)
    with pytest.raises(aws_login.CacheCorruptError) as caught:
        aws_login.get_credentials("dev")
    assert "sign in again" in str(caught.value)
    assert path.read_text() == damaged, "the user's file must be left as it was"
    assert logged_in.mock.refresh_calls() == 0


def test_network_failure(logged_in: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL_SIGNIN", f"http://127.0.0.1:{port}")
    logged_in.expire_cache(seconds_left=-30)
    before = logged_in.only_cache_file().read_text()
    with pytest.raises(aws_login.NetworkError) as caught:
        aws_login.get_credentials("dev")
    assert caught.value.kind == "Network"
    assert logged_in.only_cache_file().read_text() == before


def test_service_errors_after_retries(logged_in: Any) -> None:
    logged_in.mock.admin("faults", {"target": "token", "error_status": 500, "error_count": 100})
    logged_in.expire_cache(seconds_left=-30)
    with pytest.raises(aws_login.ServiceError):
        aws_login.get_credentials("dev")


def test_transient_service_errors_are_retried(logged_in: Any) -> None:
    logged_in.mock.admin("faults", {"target": "token", "error_status": 503, "error_count": 1})
    logged_in.expire_cache(seconds_left=-30)
    credentials = aws_login.get_credentials("dev")
    assert credentials.access_key == json.loads(logged_in.only_cache_file().read_text())["accessToken"]["accessKeyId"]


def test_session_ended_on_the_service(logged_in: Any) -> None:
    logged_in.mock.admin("sessions/expire", {})
    logged_in.expire_cache(seconds_left=-30)
    with pytest.raises(aws_login.SessionExpiredError) as caught:
        aws_login.get_credentials("dev")
    assert caught.value.kind == "SessionExpired"
    assert "aws-login login --profile dev" in str(caught.value)
    assert _steady(str(caught.value)) in _cli_message(logged_in, "dev")


def test_password_changed_since_login(logged_in: Any) -> None:
    logged_in.mock.admin("principals/alice/password-changed", {})
    logged_in.expire_cache(seconds_left=-30)
    with pytest.raises(aws_login.CredentialsChangedError) as caught:
        aws_login.get_credentials("dev")
    assert isinstance(caught.value, aws_login.SessionExpiredError)
    assert "USER_CREDENTIALS_CHANGED" in str(caught.value)


def test_missing_permission_names_the_action_and_policy(logged_in: Any) -> None:
    logged_in.mock.admin("principals/alice/permissions", {"can_create_token": False})
    logged_in.expire_cache(seconds_left=-30)
    with pytest.raises(aws_login.InsufficientPermissionsError) as caught:
        aws_login.get_credentials("dev")
    message = str(caught.value)
    assert "signin:CreateOAuth2Token" in message and "SignInLocalDevelopmentAccess" in message
    assert _steady(message) in _cli_message(logged_in, "dev")


def test_network_failure_with_valid_cached_credentials_warns_and_delivers(
    logged_in: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL_SIGNIN", f"http://127.0.0.1:{port}")
    logged_in.expire_cache(seconds_left=200)  # inside the refresh window, not expired
    cached = json.loads(logged_in.only_cache_file().read_text())["accessToken"]["accessKeyId"]
    with caplog.at_level("WARNING", logger="aws_login"):
        credentials = aws_login.get_credentials("dev")
    assert credentials.access_key == cached
    assert "Using the cached credentials" in caplog.text
    assert credentials.secret_key not in caplog.text
