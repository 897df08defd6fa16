"""Benchmark: what the start-up hook (`aws_login_provider.pth`) costs every Python process of an
environment where `aws-login-provider` is installed, whether or not it uses AWS.

Two venvs made from the same interpreter with the same packages, one with the wheel and one
without (`--with` and `--without`, their `python`). Paired: each round starts `python -c pass`
in both, in alternating order, so machine load hits both alike; the difference of each pair is
the hook's cost. Also `-X importtime`'s own figure for `_aws_login_hook`, and the same pairing
with `AWS_LOGIN_PROVIDER_DISABLE=1` (the .pth line alone). Prints a Markdown table.

    python bench/bench_startup.py --with .work/py-startup-with/bin/python \\
        --without .work/py-startup-without/bin/python [--rounds 300]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from typing import Dict, List, Tuple


def _start(python: str, env: Dict[str, str], cwd: str) -> Tuple[float, float]:
    """(wall µs, CPU µs = user + system of the child, which load on other cores disturbs less)."""
    started = time.perf_counter()
    child = subprocess.Popen([python, "-c", "pass"], env=env, cwd=cwd)
    _, status, usage = os.wait4(child.pid, 0)
    wall = (time.perf_counter() - started) * 1e6
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{python} -c pass exited with {child.returncode}")
    return wall, (usage.ru_utime + usage.ru_stime) * 1e6


def _paired(with_python: str, without_python: str, env: Dict[str, str], rounds: int, cwd: str) -> Dict[str, float]:
    ours: List[Tuple[float, float]] = []
    theirs: List[Tuple[float, float]] = []
    for i in range(rounds):
        if i % 2 == 0:
            ours.append(_start(with_python, env, cwd))
            theirs.append(_start(without_python, env, cwd))
        else:
            theirs.append(_start(without_python, env, cwd))
            ours.append(_start(with_python, env, cwd))
    row: Dict[str, float] = {}
    for index, measure in ((0, "wall"), (1, "cpu")):
        differences = [a[index] - b[index] for a, b in zip(ours, theirs)]
        row[f"{measure}_with"] = statistics.median(a[index] for a in ours)
        row[f"{measure}_without"] = statistics.median(b[index] for b in theirs)
        row[f"{measure}_median_diff"] = statistics.median(differences)
        row[f"{measure}_mean_diff"] = statistics.fmean(differences)
    return row


def _importtime(python: str, env: Dict[str, str], rounds: int, cwd: str) -> float:
    figures: List[int] = []
    for _ in range(rounds):
        out = subprocess.run(
            [python, "-X", "importtime", "-c", "pass"], env=env, cwd=cwd, capture_output=True, text=True, check=True
        ).stderr
        for line in out.splitlines():
            if line.rstrip().endswith("_aws_login_hook"):
                figures.append(int(line.split("|")[0].split(":")[-1]))
    if not figures:
        raise SystemExit("-X importtime shows no _aws_login_hook import: is the wheel installed in --with?")
    return statistics.median(figures)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--with", dest="with_python", required=True)
    parser.add_argument("--without", dest="without_python", required=True)
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_LOGIN_PROVIDER", "PYTHON"))}
    with tempfile.TemporaryDirectory() as cwd:
        # Warm the page cache and the .pyc files of both.
        _paired(args.with_python, args.without_python, env, 10, cwd)
        armed = _paired(args.with_python, args.without_python, env, args.rounds, cwd)
        off = _paired(
            args.with_python, args.without_python, {**env, "AWS_LOGIN_PROVIDER_DISABLE": "1"}, args.rounds, cwd
        )
        hook_us = _importtime(args.with_python, env, min(args.rounds, 100), cwd)
    load = os.getloadavg()[0]
    print(f"Interpreter start-up (`python -c pass`), {args.rounds} alternating pairs, µs (load {load:.1f}):\n")
    print("| | measure | with the wheel (median) | without (median) | paired difference: median | mean |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for label, row in (("hook armed", armed), ("AWS_LOGIN_PROVIDER_DISABLE=1", off)):
        for measure in ("wall", "cpu"):
            print(
                f"| {label} | {measure} | {row[measure + '_with']:.0f} | {row[measure + '_without']:.0f} "
                f"| {row[measure + '_median_diff']:.0f} | {row[measure + '_mean_diff']:.0f} |"
            )
    print(f"\n`-X importtime`: `_aws_login_hook` {hook_us:.0f} µs (median of {min(args.rounds, 100)} starts)")


if __name__ == "__main__":
    main()
