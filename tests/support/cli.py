"""The `mockserver` command for tests: in process through click's `CliRunner`, or as a real subprocess.

Most CLI behaviour (exit codes, messages, output) is the same either way, and `CliRunner` runs it
without paying a Python start-up and the imports per call. A subprocess is kept for what only it
shows: the installed entry point (`python -m mockserver`), signals, and what a real process
leaves behind; tests/test_cli_options.py runs every command once that way.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from mockserver.cli.main import main

__all__ = ["Ran", "run_cli", "run_process"]


@dataclass(frozen=True)
class Ran:
    """What a command did: its exit code and its two output streams (as `subprocess.CompletedProcess` names them)."""

    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str | Path, env: Mapping[str, str | None] | None = None, stdin: str | None = None) -> Ran:
    """Run `mockserver ARGS...` in this process; an unexpected exception propagates (it would be a traceback)."""
    runner = CliRunner()
    result = runner.invoke(main, [str(a) for a in args], env=env, input=stdin, catch_exceptions=False)
    return Ran(result.exit_code, result.stdout, result.stderr)


def run_process(
    *args: str | Path, env: Mapping[str, str] | None = None, timeout: float = 120, cwd: Path | None = None
) -> Ran:
    """Run `python -m mockserver ARGS...` as a child process, as a user's shell would."""
    done = subprocess.run(
        [sys.executable, "-m", "mockserver", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=None if env is None else dict(env),
        cwd=cwd,
    )
    return Ran(done.returncode, done.stdout, done.stderr)
