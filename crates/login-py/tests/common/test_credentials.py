"""aws_login.get_credentials against a real signin-mock, in every venv (old and new boto3)."""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import subprocess
import sys
import threading
import time
from typing import Any, List

import pytest

import aws_login


def _cache(aws_home: Any) -> dict:
    return json.loads(aws_home.only_cache_file().read_text())


def test_valid_cache_gives_its_credentials_without_a_token_request(logged_in: Any) -> None:
    entry = _cache(logged_in)
    credentials = aws_login.get_credentials("dev")

    assert credentials.access_key == entry["accessToken"]["accessKeyId"]
    assert credentials.secret_key == entry["accessToken"]["secretAccessKey"]
    assert credentials.token == entry["accessToken"]["sessionToken"]
    assert credentials.account_id == "111122223333"
    assert credentials.expiry_time.tzinfo is not None
    assert credentials.expiry_time.utcoffset() == datetime.timedelta(0)
    assert credentials.expiry_time.strftime("%Y-%m-%dT%H:%M:%SZ") == entry["accessToken"]["expiresAt"]
    assert logged_in.mock.refresh_calls() == 0


def test_credentials_are_frozen_and_repr_hides_secrets(logged_in: Any) -> None:
    credentials = aws_login.get_credentials("dev")
    with pytest.raises(dataclasses.FrozenInstanceError):
        credentials.access_key = "x"  # type: ignore[misc]
    shown = repr(credentials)
    assert credentials.access_key in shown
    assert credentials.secret_key not in shown
    assert credentials.token not in shown


def test_profile_defaults_to_aws_profile(logged_in: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "dev")
    assert aws_login.get_credentials().access_key == _cache(logged_in)["accessToken"]["accessKeyId"]


def test_refreshes_when_less_than_five_minutes_remain(logged_in: Any) -> None:
    path = logged_in.only_cache_file()
    entry = json.loads(path.read_text())
    entry["someFutureField"] = {"kept": True}
    path.write_text(json.dumps(entry))
    logged_in.expire_cache(seconds_left=120)

    credentials = aws_login.get_credentials("dev")

    refreshed = json.loads(path.read_text())
    assert logged_in.mock.refresh_calls() == 1
    assert credentials.access_key == refreshed["accessToken"]["accessKeyId"]
    assert credentials.access_key != entry["accessToken"]["accessKeyId"]
    assert refreshed["refreshToken"] != entry["refreshToken"]
    for kept in ("dpopKey", "clientId", "idToken", "tokenType", "someFutureField"):
        assert refreshed[kept] == entry[kept], kept
    assert refreshed["accessToken"]["accountId"] == entry["accessToken"]["accountId"]
    left = (credentials.expiry_time - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    assert 800 < left <= 900
    assert os.stat(path).st_mode & 0o777 == 0o600

    # The refreshed entry is valid for 15 minutes: the next call reads it and sends nothing.
    again = aws_login.get_credentials("dev")
    assert again == credentials
    assert logged_in.mock.refresh_calls() == 1


_CHILD = """
import sys, time, pathlib, aws_login
go = pathlib.Path(sys.argv[1])
print("ready", flush=True)
while not go.exists():
    time.sleep(0.002)
print(aws_login.get_credentials("dev").access_key)
"""


def test_sixteen_threads_and_four_processes_at_expiry_share_one_refresh(logged_in: Any) -> None:
    logged_in.expire_cache(seconds_left=-30)
    go = logged_in.root / "go"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(go)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    barrier = threading.Barrier(17)
    keys: List[str] = []
    errors: List[BaseException] = []

    def resolve() -> None:
        barrier.wait()
        try:
            keys.append(aws_login.get_credentials("dev").access_key)
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=resolve) for _ in range(16)]
    for thread in threads:
        thread.start()
    for child in children:  # every process has imported aws_login and waits for the signal
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
    go.touch()
    barrier.wait()
    for thread in threads:
        thread.join(timeout=60)
    outputs = [child.communicate(timeout=60) for child in children]

    assert not errors, errors
    for child, (out, err) in zip(children, outputs):
        assert child.returncode == 0, err
        keys.append(out.strip())  # what is left after "ready"
    assert len(keys) == 20
    assert len(set(keys)) == 1, "every caller must get the one refreshed key"
    assert logged_in.mock.refresh_calls() == 1


def test_gil_is_released_while_waiting_on_the_service(logged_in: Any) -> None:
    logged_in.mock.admin("faults", {"target": "token", "latency_ms": 1500})
    logged_in.expire_cache(seconds_left=-30)
    ticks = 0
    done = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            time.sleep(0.01)

    counter = threading.Thread(target=count)
    counter.start()
    try:
        started = time.monotonic()
        aws_login.get_credentials("dev")
        waited = time.monotonic() - started
    finally:
        done.set()
        counter.join()
    assert waited >= 1.4, "the fault should have delayed the refresh"
    # With the GIL held for 1.5 s the counter could not have run at all during the call.
    assert ticks >= 20, ticks


def _run_in_fork(work: Any, timeout: float = 60.0) -> str:
    """Runs `work()` in a forked child (as multiprocessing's fork start method, gunicorn or celery
    do); returns what it returned, or fails if the child errs or hangs."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        status = 1
        try:
            os.close(read_end)
            os.write(write_end, str(work()).encode())
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            os.close(read_end)
            pytest.fail("the forked child hung resolving credentials")
        time.sleep(0.05)
    with os.fdopen(read_end) as pipe:
        output = pipe.read()
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, f"child failed: {status}"
    return output


# Python >= 3.12 warns that forking a multi-threaded process is risky; that is the situation
# under test (the parent has a runtime thread), so the warning is expected here.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_child_can_refresh_after_the_parent_did(logged_in: Any) -> None:
    logged_in.expire_cache(seconds_left=-30)
    parent = aws_login.get_credentials("dev")  # starts the refresh machinery in the parent
    assert logged_in.mock.refresh_calls() == 1

    logged_in.expire_cache(seconds_left=-30)
    child_key = _run_in_fork(lambda: aws_login.get_credentials("dev").access_key)

    assert logged_in.mock.refresh_calls() == 2
    assert child_key != parent.access_key
    assert child_key == json.loads(logged_in.only_cache_file().read_text())["accessToken"]["accessKeyId"]
    # And the parent still refreshes on its own runtime afterwards.
    logged_in.expire_cache(seconds_left=-30)
    assert aws_login.get_credentials("dev").access_key not in (parent.access_key, child_key)
    assert logged_in.mock.refresh_calls() == 3


def test_default_locations_under_home(aws_home: Any, start_mock: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """No AWS_CONFIG_FILE, no AWS_LOGIN_CACHE_DIRECTORY: ~/.aws/config and ~/.aws/login/cache."""
    monkeypatch.delenv("AWS_CONFIG_FILE")
    monkeypatch.delenv("AWS_LOGIN_CACHE_DIRECTORY")
    aws_home.config_file = aws_home.root / ".aws" / "config"
    aws_home.cache_dir = aws_home.root / ".aws" / "login" / "cache"
    aws_home.use_mock(start_mock("--auto-approve", "alice"))
    path = aws_home.login("dev")
    assert path.parent == aws_home.cache_dir
    assert "login_session" in aws_home.config_file.read_text()
    assert aws_login.get_credentials("dev").access_key == json.loads(path.read_text())["accessToken"]["accessKeyId"]
