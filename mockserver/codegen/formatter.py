"""The formatter step: ruff lays out the generated Python, as it lays out the kit's own code.

Templates are written as plain Python and say nothing about line lengths, wrapping, import
order or the order of ``__all__``; `format_python` hands every rendered module to ruff (import
sorting and ``__all__`` sorting, then ``ruff format``) in one temporary directory, two
processes per run whatever the number of files. Ruff runs isolated from any configuration file
with the settings below, so the output depends only on the templates, the contract and ruff's
version (its style changes only in minor releases; `mockserver generate --check` then reports
the files it would lay out differently).

Ruff is a runtime dependency of the kit rather than black's Python API: the kit's own lint is
``ruff format --check``, which the generated code must pass, and black's layout differs from
ruff's in places; one formatter keeps one layout.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from mockserver.errors import RenderError

__all__ = ["LINE_LENGTH", "RUFF_SETTINGS", "format_python", "ruff_executable"]

LINE_LENGTH = 120
"""The width the generated code is laid out for (the kit's ruff line length)."""

RUFF_SETTINGS: tuple[str, ...] = (
    "--isolated",
    "--no-cache",
    "--line-length",
    str(LINE_LENGTH),
    "--target-version",
    "py311",
)
"""Settings given to every ruff run: no configuration file is read, so a user's cannot change the output."""

_FIXES = "I001,RUF022"
"""The lint fixes applied before formatting: sorted imports, sorted ``__all__``."""

_TIMEOUT_SECONDS = 60.0


def ruff_executable() -> str:
    """The ruff binary of the `ruff` package installed with the kit (else one on PATH)."""
    try:
        from ruff import find_ruff_bin

        return str(find_ruff_bin())
    except (ImportError, FileNotFoundError):
        found = shutil.which("ruff")
        if found is None:
            raise RenderError("the formatter step needs ruff: pip install ruff (the kit depends on it)") from None
        return found


def _run(args: list[str], cwd: Path) -> None:
    try:
        result = subprocess.run(
            args,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=_TIMEOUT_SECONDS,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise RenderError(f"ruff did not finish within {_TIMEOUT_SECONDS:g} s") from None
    except OSError as exc:
        raise RenderError(f"cannot run ruff ({args[0]}): {exc.strerror or exc}") from None
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()
        raise RenderError(f"ruff {args[1]} failed on the generated code: {detail}")


def format_python(files: Mapping[str, str]) -> dict[str, str]:
    """Lay out Python modules (relative path -> text) with ruff; returns the same paths, formatted."""
    if not files:
        return {}
    ruff = ruff_executable()
    with tempfile.TemporaryDirectory(prefix="mockserver-format-") as tmp:
        root = Path(tmp)
        for path, text in files.items():
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        names = sorted(files)
        _run([ruff, "check", *RUFF_SETTINGS, "--select", _FIXES, "--fix-only", "--exit-zero", "--", *names], root)
        _run([ruff, "format", *RUFF_SETTINGS, "--", *names], root)
        return {path: (root / path).read_text(encoding="utf-8") for path in files}
