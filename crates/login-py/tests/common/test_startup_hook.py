"""The wheel's start-up hook (`aws_login_provider.pth` + `_aws_login_hook`), as the interpreter
runs it: it arms one import finder and imports nothing else until botocore is imported. These run
in every venv, with or without botocore."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import sysconfig
from typing import Any, List

import pytest

_MODULES = "import json, sys; print(json.dumps(sorted(sys.modules)))"
_FINDERS = "import json, sys; print(json.dumps([getattr(f, '__name__', type(f).__name__) for f in sys.meta_path]))"


def _json(result: Any) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_wheel_puts_the_pth_line_and_the_hook_module_in_site_packages() -> None:
    site = pathlib.Path(sysconfig.get_paths()["platlib"])
    pth = site / "aws_login_provider.pth"
    assert pth.is_file(), sorted(p.name for p in site.iterdir())
    lines = [line for line in pth.read_text().splitlines() if line.strip()]
    # One `import` line: site.py executes it; it reads an environment variable before importing.
    assert len(lines) == 1 and lines[0].startswith("import os;")
    assert "AWS_LOGIN_PROVIDER_DISABLE" in lines[0]
    assert (site / "_aws_login_hook.py").is_file()


def test_start_up_imports_only_the_hook_module(aws_home: Any) -> None:
    hooked: List[str] = _json(aws_home.run_python(_MODULES))
    disabled: List[str] = _json(aws_home.run_python(_MODULES, AWS_LOGIN_PROVIDER_DISABLE="1"))
    assert sorted(set(hooked) - set(disabled)) == ["_aws_login_hook"]
    assert set(disabled) <= set(hooked)
    assert "aws_login" not in hooked and "botocore" not in hooked


def test_the_hook_arms_one_finder_first_in_meta_path(aws_home: Any) -> None:
    finders = _json(aws_home.run_python(_FINDERS))
    assert finders.count("_BotocoreFinder") == 1
    # In front of the path finder (setuptools' distutils shim may come first: its .pth sorts
    # before ours).
    assert finders.index("_BotocoreFinder") < finders.index("PathFinder")


@pytest.mark.parametrize("value", ["1", "true", "YES", " on "])
def test_disable_turns_it_off(aws_home: Any, value: str) -> None:
    assert "_BotocoreFinder" not in _json(aws_home.run_python(_FINDERS, AWS_LOGIN_PROVIDER_DISABLE=value))
    assert "_aws_login_hook" not in _json(aws_home.run_python(_MODULES, AWS_LOGIN_PROVIDER_DISABLE=value))


@pytest.mark.parametrize("value", ["", "0", "false", "no"])
def test_values_that_do_not_disable(aws_home: Any, value: str) -> None:
    assert "_BotocoreFinder" in _json(aws_home.run_python(_FINDERS, AWS_LOGIN_PROVIDER_DISABLE=value))


def test_importtime_shows_the_hook_as_one_import_with_nothing_nested(aws_home: Any) -> None:
    timed = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "pass"],
        env=aws_home.hooked_env(),
        cwd=aws_home.root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert timed.returncode == 0, timed.stderr
    ours = [line for line in timed.stderr.splitlines() if "aws_login" in line]
    # Exactly one import of ours at start-up, with no nested imports under it.
    assert len(ours) == 1, ours
    self_us, cumulative_us, name = ours[0].split("|")
    assert name.strip() == "_aws_login_hook"  # top level: imported by the .pth line itself
    # No import nested under it (its cost is its own; measured in `cargo xtask bench`).
    assert int(self_us.split(":")[-1]) == int(cumulative_us)


def test_the_hook_never_imports_aws_login_for_a_program_without_botocore(aws_home: Any) -> None:
    code = "import json, sys, urllib.parse, email; print(json.dumps('aws_login' in sys.modules))"
    assert _json(aws_home.run_python(code)) is False
