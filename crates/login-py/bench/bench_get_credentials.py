"""Benchmark: aws_login.get_credentials() with a valid cache vs botocore's own LoginProvider
(botocore >= 1.41 with [crt]) resolving the same profile, in the same run.

Needs a venv with the aws_login wheel and botocore[crt] >= 1.41, plus the signin-mock and
aws-login binaries (env AWS_LOGIN_TEST_SIGNIN_MOCK, AWS_LOGIN_TEST_CLI, as the test suite).
It starts a signin-mock, logs in once through the aws-login CLI (auto-approved), then times
each way of resolving for a fixed wall-clock budget and prints calls per second.

    python bench/bench_get_credentials.py [--seconds 3]
"""

from __future__ import annotations

import argparse
import os
import pathlib
import platform
import subprocess
import sys
import tempfile
import time
from typing import Callable, List, Tuple

HERE = pathlib.Path(__file__).resolve().parent


def _start_mock(binary: str) -> Tuple[subprocess.Popen, str]:
    mock = subprocess.Popen(
        [binary, "--port", "0", "--auto-approve", "alice"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert mock.stdout is not None
    return mock, mock.stdout.readline().strip().rstrip("/")


def _login(cli: str, root: pathlib.Path) -> None:
    browser = root / "browser"
    follower = HERE.parent / "tests" / "follow_browser.py"
    browser.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{follower}" "$@"\n')
    browser.chmod(0o755)
    subprocess.run(
        [cli, "login", "--profile", "dev", "--region", "us-east-1"],
        env={**os.environ, "BROWSER": str(browser)},
        check=True,
        capture_output=True,
        timeout=60,
    )


def _rate(call: Callable[[], object], seconds: float) -> Tuple[float, int]:
    call()  # warm up (imports, first parse)
    count = 0
    started = time.perf_counter()
    deadline = started + seconds
    while True:
        for _ in range(20):
            call()
        count += 20
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - started), count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time budget per variant")
    args = parser.parse_args()

    mock, url = _start_mock(os.environ["AWS_LOGIN_TEST_SIGNIN_MOCK"])
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = pathlib.Path(tmp)
            (root / "config").write_text("")
            os.environ.update(
                {
                    "HOME": str(root),
                    "AWS_CONFIG_FILE": str(root / "config"),
                    "AWS_SHARED_CREDENTIALS_FILE": str(root / "credentials"),
                    "AWS_LOGIN_CACHE_DIRECTORY": str(root / "cache"),
                    "AWS_ENDPOINT_URL_SIGNIN": url,
                    "AWS_ENDPOINT_URL_STS": url,
                    "AWS_EC2_METADATA_DISABLED": "true",
                    "AWS_REGION": "us-east-1",
                }
            )
            for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
                os.environ.pop(name, None)
            _login(os.environ["AWS_LOGIN_TEST_CLI"], root)

            import aws_login
            import botocore
            import botocore.credentials
            import botocore.session

            if not hasattr(botocore.credentials, "LoginProvider"):
                print("botocore", botocore.__version__, "has no LoginProvider; need >= 1.41 with [crt]")
                return 2
            warm = botocore.session.Session(profile="dev")
            provider = botocore.credentials.LoginProvider(
                load_config=lambda: warm.full_config,
                client_creator=warm.create_client,
                profile_name="dev",
            )
            ours = aws_login.get_credentials("dev")
            theirs = provider.load().get_frozen_credentials()
            assert ours.access_key == theirs.access_key, "both must read the same cache entry"

            variants: List[Tuple[str, Callable[[], object]]] = [
                ("`aws_login.get_credentials('dev')` (reads config + cache every call)", lambda: aws_login.get_credentials("dev")),
                ("botocore `LoginProvider.load()` (config parsed once, cached)", provider.load),
                (
                    "botocore `LoginProvider.load().get_frozen_credentials()`",
                    lambda: provider.load().get_frozen_credentials(),
                ),
                (
                    "botocore `Session(profile='dev').get_credentials()` (fresh session: config + chain)",
                    lambda: botocore.session.Session(profile="dev").get_credentials().get_frozen_credentials(),
                ),
            ]
            print(
                f"Python credential resolution, valid cache (CPython {platform.python_version()}, "
                f"botocore {botocore.__version__}, aws_login {aws_login.__version__}, {args.seconds:g} s each)\n"
            )
            print("| variant | calls/s | µs/call |")
            print("| --- | ---: | ---: |")
            results = []
            for name, call in variants:
                rate, _ = _rate(call, args.seconds)
                results.append(rate)
                print(f"| {name} | {rate:,.0f} | {1e6 / rate:,.1f} |")
            print(f"\naws_login.get_credentials is {results[0] / results[2]:.1f}x botocore's LoginProvider load + frozen credentials")
    finally:
        mock.kill()
        mock.communicate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
