"""Rust's log records (login-io's `tracing` events) reach Python's `logging` as logger
`aws_login`, and never carry a secret."""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, List

import pytest

import aws_login

_SCRIPT = """
import json, logging, sys
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
import aws_login
c = aws_login.get_credentials("dev")
print(json.dumps({"secret_key": c.secret_key, "token": c.token}))
"""


def _secrets(entry: Dict[str, Any]) -> List[str]:
    """Every secret a cache entry holds (the DPoP key PEM also line by line)."""
    token = entry["accessToken"]
    found = [token["secretAccessKey"], token["sessionToken"], entry["refreshToken"], entry["dpopKey"]]
    found += [line for line in entry["dpopKey"].splitlines() if len(line) > 20 and "PRIVATE KEY" not in line]
    return found


def test_basic_config_at_debug_shows_the_refresh_steps_without_secrets(logged_in: Any) -> None:
    path = logged_in.only_cache_file()
    logged_in.expire_cache(seconds_left=-30)
    before = json.loads(path.read_text())

    result = logged_in.run_python(_SCRIPT)
    assert result.returncode == 0, result.stderr
    assert logged_in.mock.refresh_calls() == 1
    after = json.loads(path.read_text())
    delivered = json.loads(result.stdout)

    ours = [line for line in result.stderr.splitlines() if line.startswith("DEBUG:aws_login:")]
    text = "\n".join(ours)
    assert "expire within 5 minutes; refreshing" in text, result.stderr
    assert "refreshing the login session" in text
    assert "token endpoint answered" in text and "status=200" in text
    assert "wrote the refreshed session" in text
    for secret in _secrets(before) + _secrets(after) + list(delivered.values()):
        assert secret not in result.stderr


def test_records_are_logging_records_of_the_aws_login_logger(
    logged_in: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="aws_login"):
        aws_login.get_credentials("dev")
    records = [r for r in caplog.records if r.name == "aws_login"]
    assert [r.levelno for r in records] == [logging.DEBUG]
    assert "cached credentials are fresh" in records[0].getMessage()
    assert "profile=dev" in records[0].getMessage()


def test_nothing_is_logged_below_the_configured_level(
    logged_in: Any, caplog: pytest.LogCaptureFixture
) -> None:
    logged_in.expire_cache(seconds_left=-30)
    with caplog.at_level(logging.INFO, logger="aws_login"):
        aws_login.get_credentials("dev")
    assert logged_in.mock.refresh_calls() == 1
    assert [r for r in caplog.records if r.name == "aws_login"] == []


def test_a_percent_sign_in_a_record_is_not_a_format_directive(
    aws_home: Any, start_mock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # The cache directory's path (with `%s` in it) goes into the records verbatim.
    odd = aws_home.root / "cache %s %d"
    odd.mkdir(mode=0o700)
    aws_home._monkeypatch.setenv("AWS_LOGIN_CACHE_DIRECTORY", str(odd))
    aws_home.cache_dir = odd
    aws_home.use_mock(start_mock("--auto-approve", "alice"))
    aws_home.login("dev")
    aws_home.expire_cache(seconds_left=-30)
    with caplog.at_level(logging.DEBUG, logger="aws_login"):
        aws_login.get_credentials("dev")
    messages = [r.getMessage() for r in caplog.records if r.name == "aws_login"]
    assert any("cache %s %d" in m for m in messages), messages
