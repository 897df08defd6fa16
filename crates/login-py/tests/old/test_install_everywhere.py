"""boto3 1.40.76: `aws_login.install()` with no argument covers every session created afterwards,
and installing the wheel alone (its start-up hook) makes unchanged programs work, the real AWS CLI
v1 among them."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
from typing import Any

import boto3
import botocore.credentials
import botocore.exceptions
import botocore.session
import pytest

import aws_login
from aws_login import provider

ROLE = "arn:aws:iam::111122223333:role/Deploy"
ALICE = "arn:aws:iam::111122223333:user/alice"
STATIC_KEY = "AKIAEXAMPLEEXAMPLE12"

# A program that knows nothing of aws_login: plain boto3 with a named profile.
UNCHANGED_PROGRAM = """
import json, sys
import boto3
session = boto3.Session(profile_name=sys.argv[1])
identity = session.client("sts").get_caller_identity()
print(json.dumps({"arn": identity["Arn"], "method": session.get_credentials().method,
                  "aws_login_loaded": "aws_login" in sys.modules}))
"""


def _role_profile(home: Any) -> None:
    home.append_config(f"\n[profile deploy]\nrole_arn = {ROLE}\nsource_profile = dev\nregion = us-east-1\n")


def test_install_covers_every_session_created_afterwards(logged_in: Any) -> None:
    assert aws_login.install() is True
    assert aws_login.install() is False
    # boto3 sessions, botocore sessions, and the default session all get the provider.
    assert boto3.Session(profile_name="dev").client("sts").get_caller_identity()["Arn"] == ALICE
    session = botocore.session.Session(profile="dev")
    assert session.get_credentials().method == "login"
    methods = [p.METHOD for p in session.get_component("credential_provider").providers]
    assert methods.count("login") == 1
    assert methods.index("login") + 1 == methods.index("assume-role")


def test_install_reaches_boto3_default_clients(logged_in: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "dev")
    aws_login.install()
    assert boto3.client("sts").get_caller_identity()["Arn"] == ALICE
    assert logged_in.mock.refresh_calls() == 0


def test_sessions_created_before_install(logged_in: Any) -> None:
    untouched = boto3.Session(profile_name="dev")  # chain not built yet: it is built after install
    used = boto3.Session(profile_name="dev")
    assert used.get_credentials() is None  # chain built, without a login provider
    aws_login.install()
    assert untouched.client("sts").get_caller_identity()["Arn"] == ALICE
    # A chain built before keeps working exactly as before (here: no credentials) ...
    assert used.get_credentials() is None
    # ... and install(session) still adds ours to it.
    assert aws_login.install(used) is True
    assert used.client("sts").get_caller_identity()["Arn"] == ALICE


def test_role_profiles_on_a_login_profile_after_install(logged_in: Any) -> None:
    _role_profile(logged_in)
    aws_login.install()
    session = boto3.Session(profile_name="deploy")
    identity = session.client("sts").get_caller_identity()
    assert identity["Arn"].startswith("arn:aws:sts::111122223333:assumed-role/Deploy/")
    assert session.get_credentials().method == "assume-role"
    assert logged_in.mock.sts_calls("AssumeRole") == 1


def test_static_keys_still_win_after_install(logged_in: Any) -> None:
    (logged_in.root / "credentials").write_text(
        f"[dev]\naws_access_key_id = {STATIC_KEY}\naws_secret_access_key = secret\n"
    )
    aws_login.install()
    assert boto3.Session(profile_name="dev").get_credentials().access_key == STATIC_KEY


def test_install_wraps_botocore_once_and_keeps_its_signature(logged_in: Any) -> None:
    original = botocore.credentials.create_credential_resolver
    aws_login.install()
    wrapped = botocore.credentials.create_credential_resolver
    assert wrapped is not original and wrapped.__wrapped__ is original  # type: ignore[attr-defined]
    aws_login.install()
    assert botocore.credentials.create_credential_resolver is wrapped
    # Called as botocore and the AWS CLI call it (keyword cache/region_name).
    resolver = wrapped(botocore.session.Session(profile="dev"), cache={}, region_name="us-east-1")
    assert sum(isinstance(p, provider.LoginProvider) for p in resolver.providers) == 1


# ---- the start-up hook: no code change at all --------------------------------------------------


def test_unchanged_boto3_program_resolves_a_login_profile(logged_in: Any) -> None:
    result = logged_in.run_python(UNCHANGED_PROGRAM, "dev")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"arn": ALICE, "method": "login", "aws_login_loaded": True}


def test_unchanged_program_with_a_role_profile(logged_in: Any) -> None:
    _role_profile(logged_in)
    result = logged_in.run_python(UNCHANGED_PROGRAM, "deploy")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["arn"].startswith("arn:aws:sts::111122223333:assumed-role/Deploy/")
    assert out["method"] == "assume-role"


def test_unchanged_program_refreshes_an_expired_session(logged_in: Any) -> None:
    logged_in.expire_cache(seconds_left=-30)
    result = logged_in.run_python(UNCHANGED_PROGRAM, "dev")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["arn"] == ALICE
    assert logged_in.mock.refresh_calls() == 1


def test_disabled_hook_leaves_old_botocore_without_login_support(logged_in: Any) -> None:
    result = logged_in.run_python(UNCHANGED_PROGRAM, "dev", AWS_LOGIN_PROVIDER_DISABLE="1")
    assert result.returncode == 1
    assert "NoCredentialsError" in result.stderr and "Unable to locate credentials" in result.stderr
    assert "aws_login" not in result.stderr


def test_a_failing_hook_warns_and_the_program_goes_on(logged_in: Any) -> None:
    # A broken aws_login shadowing the installed one (a half-removed install, a name clash).
    broken = logged_in.root / "broken"
    (broken / "aws_login").mkdir(parents=True)
    (broken / "aws_login" / "__init__.py").write_text("raise RuntimeError('broken aws_login for the test')\n")
    (logged_in.root / "credentials").write_text(
        f"[static]\naws_access_key_id = {STATIC_KEY}\naws_secret_access_key = secret\n"
    )
    program = (
        "import boto3, sys\n"
        "print(boto3.Session(profile_name='static').get_credentials().access_key)\n"
        "print(boto3.Session(profile_name='dev').get_credentials())\n"
    )
    result = logged_in.run_python(program, PYTHONPATH=str(broken))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [STATIC_KEY, "None"]
    assert "aws-login-provider: the start-up hook could not add login profiles" in result.stderr
    assert "RuntimeError: broken aws_login for the test" in result.stderr
    assert "AWS_LOGIN_PROVIDER_DISABLE=1" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_program_that_imports_botocore_first_thing_still_gets_it(logged_in: Any) -> None:
    program = "import botocore.session as s; print(s.Session(profile='dev').get_credentials().method)"
    result = logged_in.run_python(program)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "login"


# ---- a real third-party program we do not change: the AWS CLI v1 from PyPI ---------------------


def _aws(home: Any, *args: str, **env: str) -> "subprocess.CompletedProcess[str]":
    aws = pathlib.Path(sys.executable).parent / "aws"
    assert aws.exists(), f"the AWS CLI v1 (`awscli` from PyPI) must be installed in this venv: {aws}"
    return subprocess.run(
        [str(aws), *args],
        env=home.hooked_env(**env),
        cwd=home.root,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_this_is_the_aws_cli_v1_on_the_old_botocore(aws_home: Any) -> None:
    result = _aws(aws_home, "--version")
    assert result.returncode == 0, result.stderr
    version = (result.stdout + result.stderr).strip()
    assert version.startswith("aws-cli/1.") and "botocore/1.40.76" in version, version


def test_aws_cli_v1_get_caller_identity_with_a_login_profile(logged_in: Any) -> None:
    result = _aws(logged_in, "sts", "get-caller-identity", "--profile", "dev", "--output", "json")
    assert result.returncode == 0, result.stderr
    identity = json.loads(result.stdout)
    assert identity["Arn"] == ALICE and identity["Account"] == "111122223333"


def test_aws_cli_v1_with_a_role_profile_and_after_expiry(logged_in: Any) -> None:
    _role_profile(logged_in)
    logged_in.expire_cache(seconds_left=-30)
    result = _aws(logged_in, "sts", "get-caller-identity", "--profile", "deploy", "--output", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Arn"].startswith("arn:aws:sts::111122223333:assumed-role/Deploy/")
    assert logged_in.mock.refresh_calls() == 1
    assert logged_in.mock.sts_calls("AssumeRole") == 1


def test_aws_cli_v1_without_the_hook_cannot_use_the_login_profile(logged_in: Any) -> None:
    result = _aws(logged_in, "sts", "get-caller-identity", "--profile", "dev", AWS_LOGIN_PROVIDER_DISABLE="1")
    assert result.returncode != 0
    assert "Unable to locate credentials" in result.stderr


def test_aws_cli_v1_reports_a_missing_session_with_our_message(logged_in: Any) -> None:
    logged_in.only_cache_file().unlink()
    result = _aws(logged_in, "sts", "get-caller-identity", "--profile", "dev")
    assert result.returncode != 0
    assert "aws-login login --profile dev" in result.stderr, result.stderr
