"""The test suite's wall time today against the suite at a baseline commit, run side by side.

Machines here differ up to 4x in speed and are shared, so a time alone means little: this runs
the baseline suite (a clean `git archive` of the commit in a temporary directory, imported
before the working tree through PYTHONPATH, same interpreter and packages), then this tree's
full suite as `make test` runs it (both cores, pytest-xdist), then the fast tier
(`make test-fast`), and repeats the round; it prints every time and the ratios. No verdict is
asserted (the issue's targets are printed next to the figures).

Other work on a shared machine only ever adds time, and it slows the full and fast tiers (which
use every core) more than the baseline (one process, one core), so each run prints the load
average after it, and the last line is the best of the rounds, as `timeit` reports the best.

    .venv/bin/python bench/bench_suite.py                 # baseline e81f2ca, two rounds
    .venv/bin/python bench/bench_suite.py --rounds 1 --baseline <commit>
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUMMARY = re.compile(r"^=*\s*(\d+ (?:passed|failed|error).*?) in [\d.]+s", re.MULTILINE)


def pytest_args() -> dict[str, list[str]]:
    """The pytest arguments `make test` and `make test-fast` use, as make expands them (one source)."""
    found: dict[str, list[str]] = {}
    for name in ("PYTEST_FULL", "PYTEST_FAST"):
        done = subprocess.run(
            ["make", "-s", "-C", str(ROOT), f"print-{name}"], capture_output=True, text=True, check=False
        )
        if done.returncode != 0 or not done.stdout.strip():
            raise SystemExit(f"the Makefile defines no {name}: {done.stderr.strip()}")
        found[name] = shlex.split(done.stdout)
    return found


def checkout(commit: str, into: Path) -> None:
    """A clean copy of `commit` (no worktree bookkeeping, no untracked files)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")


def _default_sigint() -> None:
    """A bench started as a background job inherits SIGINT ignored; the suites' Ctrl-C tests need it back.

    (The baseline's fuzz CLI does not restore it itself: its Ctrl-C test would wait out its
    60 s timeout and fail, which is a difference in how the bench was started, not in the suites.)
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def timed(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    """Seconds one pytest run took, and its summary line (so a failing run is not mistaken for a fast one)."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=_default_sigint,
    )
    elapsed = time.perf_counter() - start
    summaries = SUMMARY.findall(done.stdout)
    summary = summaries[-1] if summaries else f"exit {done.returncode}: {done.stdout[-300:]}{done.stderr[-300:]}"
    failed = [line for line in done.stdout.splitlines() if line.startswith(("FAILED ", "ERROR "))]
    if failed:  # a failing run's time says little: show what failed
        summary += "".join(f"\n    {line[:200]}" for line in failed)
    return elapsed, f"exit {done.returncode}, {summary}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", default="e81f2ca", help="commit whose suite is the baseline (default e81f2ca)")
    parser.add_argument("--rounds", type=int, default=2, help="baseline/full/fast rounds, back to back (default 2)")
    options = parser.parse_args()
    args = pytest_args()
    rows: list[tuple[float, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="suite-baseline-") as tmp:
        old = Path(tmp)
        checkout(options.baseline, old)
        old_env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(old), str(old / "generated")])}
        new_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        print(f"baseline {options.baseline}: {sys.executable} -m pytest   (in {old})")
        print(f"full: pytest {shlex.join(args['PYTEST_FULL'])}   fast: pytest {shlex.join(args['PYTEST_FAST'])}")
        for round_ in range(1, options.rounds + 1):
            base, base_summary = timed([], old, old_env)
            print(f"round {round_}: baseline {base:7.1f} s   ({base_summary}; {_load()})", flush=True)
            full, full_summary = timed(args["PYTEST_FULL"], ROOT, new_env)
            print(f"round {round_}: full     {full:7.1f} s   ({full_summary}; {_load()})", flush=True)
            fast, fast_summary = timed(args["PYTEST_FAST"], ROOT, new_env)
            print(f"round {round_}: fast     {fast:7.1f} s   ({fast_summary}; {_load()})", flush=True)
            rows.append((base, full, fast))
    print()
    print("round  baseline s  full s  fast s  full/baseline (target <= 0.50)  fast/full (target < 0.10)")
    for round_, (base, full, fast) in enumerate(rows, 1):
        print(f"{round_:5}  {base:10.1f}  {full:6.1f}  {fast:6.1f}  {full / base:30.2f}  {fast / full:25.2f}")
    if len(rows) > 1:
        base, full, fast = (min(column) for column in zip(*rows, strict=True))
        print(f"{'best':>5}  {base:10.1f}  {full:6.1f}  {fast:6.1f}  {full / base:30.2f}  {fast / full:25.2f}")


def _load() -> str:
    """The one-minute load average just after a run: how busy the machine was meanwhile."""
    return f"load {os.getloadavg()[0]:.2f}"


if __name__ == "__main__":
    main()
