"""The generated package is clean under mypy --strict, pyright strict and ruff, and its types bite.

The programs in tests/data/typecheck/ are data, not tests: each says on an `# expect:` line
which mypy error code it must produce (or `ok`), so a wrong field type or a handler returning
another webhook's response is proven to be rejected, and the control program proves the
rejections come from those mistakes and not from a broken setup.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # mypy, pyright and ruff as subprocesses

ROOT = Path(__file__).resolve().parent.parent
GENERATED = ROOT / "generated"
PROGRAMS = sorted((ROOT / "tests" / "data" / "typecheck").glob("*.py"))
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    """The dev tool's executable; a missing tool fails the test (it is a dev dependency, not optional)."""
    found = BIN / name
    if found.exists():
        return str(found)
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: run `pip install -e '.[dev]'`")
    return path


def run(*args: str, cwd: Path = GENERATED) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, cwd=cwd, timeout=300)


def test_mypy_strict_is_clean_on_the_generated_package() -> None:
    result = run(tool("mypy"), "--strict", "--no-incremental", "-p", "oa_webhooks")
    assert result.returncode == 0, result.stdout + result.stderr


def test_pyright_strict_is_clean_on_the_generated_package(tmp_path: Path) -> None:
    config = tmp_path / "pyrightconfig.json"
    config.write_text(json.dumps({"typeCheckingMode": "strict", "pythonVersion": "3.11"}), encoding="utf-8")
    result = run(tool("pyright"), "-p", str(config), "--pythonpath", sys.executable, str(GENERATED / "oa_webhooks"))
    # A pyright that cannot run (no Node, no network to fetch it) fails here with its output.
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 errors" in result.stdout


def test_ruff_is_clean_on_the_generated_package() -> None:
    lint = run(tool("ruff"), "check", "oa_webhooks", cwd=GENERATED)
    assert lint.returncode == 0, lint.stdout
    fmt = run(tool("ruff"), "format", "--check", "oa_webhooks", cwd=GENERATED)
    assert fmt.returncode == 0, fmt.stdout


def test_mypy_rejects_the_wrong_programs_and_accepts_the_control() -> None:
    assert len(PROGRAMS) >= 3
    result = run(tool("mypy"), "--strict", *map(str, PROGRAMS))
    errors: dict[str, set[str]] = {}
    for line in result.stdout.splitlines():
        match = re.match(r"(.+?\.py):\d+: error: .*\[([a-z-]+)\]$", line)
        if match:
            errors.setdefault(Path(match.group(1)).name, set()).add(match.group(2))
    for program in PROGRAMS:
        expected = re.search(r"^# expect: (\S+)", program.read_text(encoding="utf-8"), re.MULTILINE)
        assert expected is not None, f"{program.name} needs an '# expect:' line"
        if expected.group(1) == "ok":
            assert program.name not in errors, result.stdout
        else:
            assert errors.get(program.name) == {expected.group(1)}, result.stdout
