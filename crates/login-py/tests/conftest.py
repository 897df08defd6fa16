"""Shared pytest harness: a real signin-mock on loopback, throw-away AWS config and cache dirs,
and a real login (the `aws-login` CLI driving the mock's auto-approved authorize page) to start
each test from a valid session.

Needs: AWS_LOGIN_TEST_SIGNIN_MOCK (path of the signin-mock binary) and AWS_LOGIN_TEST_CLI (path
of the aws-login binary); `cargo xtask test` sets both.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import threading
import time
import urllib.request
from typing import Any, Dict, Iterator, List, Optional

import pytest

HERE = pathlib.Path(__file__).resolve().parent
FIXTURES = HERE.parents[2] / "fixtures"

# The wheel's start-up hook would install aws_login into botocore as soon as a test imports it,
# so "without aws_login" could not be tested. It stays off in this process (the hook checks the
# variable again when botocore is imported); tests of the hook itself run programs in child
# processes with the variable removed (`hooked_env`).
os.environ["AWS_LOGIN_PROVIDER_DISABLE"] = "1"

# Variables that would let credentials or settings leak in from the machine running the tests.
_SCRUBBED = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_CA_BUNDLE",
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "https_proxy",
    "http_proxy",
]


def _binary(variable: str) -> str:
    path = os.environ.get(variable)
    if not path or not os.path.exists(path):
        pytest.fail(f"{variable} must name the built binary (cargo xtask test sets it); got {path!r}")
    return path


class SigninMock:
    """A running signin-mock process; its admin API reports what the clients did."""

    def __init__(self, extra_args: List[str], log_file: pathlib.Path) -> None:
        # Logs go to a file (shown when a test fails to start it): an unread pipe could fill up
        # and stall the server.
        self.log_file = log_file
        with log_file.open("ab") as log:
            self.process = subprocess.Popen(
                [_binary("AWS_LOGIN_TEST_SIGNIN_MOCK"), "--port", "0", *extra_args],
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.startswith("http://127.0.0.1:"):
            self.process.kill()
            self.process.communicate(timeout=10)
            raise RuntimeError(f"signin-mock did not print its URL (got {line!r}): {log_file.read_text()}")
        self.url = line.rstrip("/")
        # Nothing else is expected on stdout; drain it anyway so the server never blocks on it.
        threading.Thread(target=self.process.stdout.read, daemon=True).start()

    def admin(self, path: str, body: Optional[Dict[str, Any]] = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}/__admin/{path}",
            data=data,
            method="GET" if body is None else "POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read().decode()
            return json.loads(text) if text else None

    def stats(self) -> Dict[str, Any]:
        return self.admin("stats")

    def refresh_calls(self) -> int:
        """Every refresh-grant token request the mock received, whatever its outcome."""
        return sum(self.stats()["token"].get("refresh_token", {}).values())

    def sts_calls(self, action: str, outcome: str = "ok") -> int:
        return int(self.stats()["sts"].get(action, {}).get(outcome, 0))

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def start_mock(tmp_path: pathlib.Path) -> Iterator[Any]:
    """Starts signin-mock processes with the given arguments; all stop at teardown."""
    started: List[SigninMock] = []

    def start(*args: str) -> SigninMock:
        mock = SigninMock(list(args), tmp_path / f"signin-mock-{len(started)}.log")
        started.append(mock)
        return mock

    yield start
    for mock in started:
        mock.stop()


class AwsHome:
    """A throw-away ~/.aws for one test: config file, login cache dir, env pointing at the mock."""

    def __init__(self, root: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = root
        self.config_file = root / "config"
        self.cache_dir = root / "login-cache"
        self.cache_dir.mkdir(mode=0o700)
        self.config_file.write_text("")
        self._monkeypatch = monkeypatch
        for name in _SCRUBBED:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HOME", str(root))
        monkeypatch.setenv("AWS_CONFIG_FILE", str(self.config_file))
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(root / "credentials"))
        monkeypatch.setenv("AWS_LOGIN_CACHE_DIRECTORY", str(self.cache_dir))
        # Never let botocore probe the instance metadata service when the chain comes up empty.
        monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        monkeypatch.setenv("AWS_REGION", "us-east-1")
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        self.mock: Optional[SigninMock] = None

    def use_mock(self, mock: SigninMock) -> None:
        self.mock = mock
        self._monkeypatch.setenv("AWS_ENDPOINT_URL_SIGNIN", mock.url)
        self._monkeypatch.setenv("AWS_ENDPOINT_URL_STS", mock.url)
        self._monkeypatch.setenv("AWS_ENDPOINT_URL_SSO_OIDC", mock.url)
        self._monkeypatch.setenv("AWS_ENDPOINT_URL_SSO", mock.url)

    def env(self) -> Dict[str, str]:
        return dict(os.environ)

    def hooked_env(self, **extra: str) -> Dict[str, str]:
        """The environment of a child process in which the start-up hook is active."""
        env = {**os.environ, **extra}
        if "AWS_LOGIN_PROVIDER_DISABLE" not in extra:
            env.pop("AWS_LOGIN_PROVIDER_DISABLE", None)
        return env

    def run_python(self, code: str, *args: str, **extra_env: str) -> "subprocess.CompletedProcess[str]":
        """A child interpreter (this venv's, with the hook armed unless disabled) running `code`,
        from a directory that holds no Python sources of ours."""
        return subprocess.run(
            [sys.executable, "-c", code, *args],
            env=self.hooked_env(**extra_env),
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def append_config(self, text: str) -> None:
        with self.config_file.open("a") as f:
            f.write(text)

    def login(self, profile: str = "dev") -> pathlib.Path:
        """A real `aws-login login` against the mock; returns the cache file it wrote."""
        assert self.mock is not None, "use_mock first"
        before = set(self.cache_files())
        browser = self.root / "browser"
        browser.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{HERE / "follow_browser.py"}" "$@"\n')
        browser.chmod(0o755)
        result = subprocess.run(
            [_binary("AWS_LOGIN_TEST_CLI"), "login", "--profile", profile, "--region", "us-east-1"],
            env={**self.env(), "BROWSER": str(browser)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, f"aws-login login failed: {result.stderr}"
        written = set(self.cache_files()) - before
        assert len(written) == 1, f"expected one new cache file, got {written}"
        return written.pop()

    def sso_login(self, profile: str) -> pathlib.Path:
        """A real `aws-login sso login` (PKCE) against a mock started with --sso-auto-approve;
        returns the token file it wrote under ~/.aws/sso/cache."""
        assert self.mock is not None, "use_mock first"
        browser = self.root / "browser"
        browser.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{HERE / "follow_browser.py"}" "$@"\n')
        browser.chmod(0o755)
        result = subprocess.run(
            [_binary("AWS_LOGIN_TEST_CLI"), "sso", "login", "--profile", profile],
            env={**self.env(), "BROWSER": str(browser)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, f"aws-login sso login failed: {result.stderr}"
        tokens = [p for p in self.sso_cache_dir.glob("*.json") if "accessToken" in json.loads(p.read_text())]
        assert len(tokens) == 1, tokens
        return tokens[0]

    @property
    def sso_cache_dir(self) -> pathlib.Path:
        return self.root / ".aws" / "sso" / "cache"

    def role_cache_files(self) -> List[pathlib.Path]:
        """The role and SSO credentials AWS CLI v2's cache holds (~/.aws/cli/cache)."""
        return sorted((self.root / ".aws" / "cli" / "cache").glob("*.json"))

    def expire_role_caches(self) -> None:
        """Moves every cached role/SSO credential's expiry into the past."""
        past = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
        for path in self.role_cache_files():
            entry = json.loads(path.read_text())
            entry["Credentials"]["Expiration"] = past
            path.write_text(json.dumps(entry))

    def expire_sso_token(self, path: pathlib.Path) -> None:
        """Moves a cached SSO access token's expiry into the past (its refresh token stays)."""
        entry = json.loads(path.read_text())
        entry["expiresAt"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
        path.write_text(json.dumps(entry))

    def cache_files(self) -> List[pathlib.Path]:
        return sorted(self.cache_dir.glob("*.json"))

    def only_cache_file(self) -> pathlib.Path:
        files = self.cache_files()
        assert len(files) == 1, files
        return files[0]

    def expire_cache(self, path: Optional[pathlib.Path] = None, seconds_left: int = -60) -> None:
        """Moves the cached credentials' expiry as another tool's clock would see it."""
        path = path or self.only_cache_file()
        entry = json.loads(path.read_text())
        when = time.gmtime(time.time() + seconds_left)
        entry["accessToken"]["expiresAt"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", when)
        path.write_text(json.dumps(entry, indent=2))


@pytest.fixture
def aws_home(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsHome]:
    home = AwsHome(tmp_path, monkeypatch)
    # aws_login.install() without a session wraps botocore's chain factory for the whole
    # process; put the original back after each test.
    credentials_module = sys.modules.get("botocore.credentials")
    if credentials_module is not None:
        monkeypatch.setattr(
            credentials_module,
            "create_credential_resolver",
            credentials_module.create_credential_resolver,  # type: ignore[attr-defined]
        )
    yield home
    # boto3's default session would otherwise carry one test's chain into the next.
    try:
        import boto3

        boto3.DEFAULT_SESSION = None
    except ImportError:
        pass


@pytest.fixture
def logged_in(aws_home: AwsHome, start_mock: Any) -> AwsHome:
    """A valid login session for profile `dev` (identity alice) against a fresh mock."""
    aws_home.use_mock(start_mock("--auto-approve", "alice"))
    aws_home.login("dev")
    return aws_home


ROLE_ARN = "arn:aws:iam::111122223333:role/Deploy"
START_URL = "https://d-1234567890.awsapps.com/start"
# A role over the login profile `dev`, IAM Identity Center profiles (alice may use ReadOnly in
# 111122223333 but not Deploy there), a role over an SSO profile, and chains aws-login leaves to
# botocore (keys, credential_process).
CHAIN_CONFIG = f"""
[profile admin]
role_arn = {ROLE_ARN}
source_profile = dev
region = us-east-1

[profile denied]
role_arn = arn:aws:iam::111122223333:role/NoSuchRole
source_profile = dev

[profile sso]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = ReadOnly
region = us-east-1

[profile sso-deploy]
role_arn = {ROLE_ARN}
source_profile = sso

[profile noaccess]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Deploy

[sso-session corp]
sso_start_url = {START_URL}
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile keys]
aws_access_key_id = AKIAEXAMPLEEXAMPLE12
aws_secret_access_key = not-a-real-secret

[profile keyrole]
role_arn = {ROLE_ARN}
source_profile = keys

[profile process]
credential_process = /bin/false
"""


@pytest.fixture
def chain_home(aws_home: AwsHome, start_mock: Any) -> AwsHome:
    """A login session for `dev`, an IAM Identity Center sign-in for `corp`, and CHAIN_CONFIG,
    against one mock (auto-approving alice on both)."""
    aws_home.use_mock(start_mock("--auto-approve", "alice", "--sso-auto-approve", "alice"))
    aws_home.login("dev")
    aws_home.append_config(CHAIN_CONFIG)
    aws_home.sso_login("sso")
    return aws_home
