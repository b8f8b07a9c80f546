"""Options shared by every command behave alike: a contract that cannot be used is a usage error.

Every command also runs once here as a real subprocess (`python -m mockserver CMD --help`): the
entry point and the lazy import of each command work outside the test process.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import run_cli, run_process

COMMANDS = {
    "validate": ["validate", "{capture}"],
    "fuzz": ["fuzz", "--url", "http://127.0.0.1:9/"],
    "generate": ["generate", "python", "--out", "{out}"],
    "serve": ["serve", "--port", "0"],
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_file_that_is_no_contract_is_refused_naming_spec(name: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("openapi: 3.0.3\npaths: {}\n")
    capture = tmp_path / "capture.jsonl"
    capture.write_text("")
    args = [a.format(capture=capture, out=tmp_path / "out") for a in COMMANDS[name]]
    result = run_cli(*args, "--spec", str(broken))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "--spec" in result.stderr and "exactly one operation" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("name", ["", *sorted(COMMANDS), "send"])
def test_every_command_has_help(name: str) -> None:
    args = [name, "--help"] if name else ["--help"]
    result = run_process(*args, timeout=60)
    assert result.returncode == 0 and "Usage:" in result.stdout
