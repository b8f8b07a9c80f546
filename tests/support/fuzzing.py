"""`mockserver fuzz` in tests: the command (in this process, or as a user's subprocess), or its engine.

`fuzz` runs the command against a URL and reads its verdicts back from the JUnit report, through
click's `CliRunner` or, with `process=True`, as `python -m mockserver fuzz` (what only a real
process shows: the entry point, a Python of its own). `fuzz_app` drives `Fuzzer` against an ASGI
app through `httpx.ASGITransport`, for the many runs whose point is which checks a backend fails.
All use the same seed, budget and credentials by default, so the drafts one run makes are
reused by the next in the same process (see `mockserver.fuzz.runner._Drafting`) and a matrix of
backends costs the sending alone.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from mockserver.fuzz.runner import Fuzzer, FuzzOptions, FuzzResult
from tests.support.cli import run_cli, run_process

__all__ = ["APP_ID", "BACKEND_URL", "CREDENTIALS", "SEED", "TOKEN", "Run", "fuzz", "fuzz_app"]

TOKEN = "fuzz-test-token"
APP_ID = "1400000555"
CREDENTIALS = ("--token", TOKEN, "--sdkappid", APP_ID)
SEED = 11
MAX_EXAMPLES = 2
BACKEND_URL = "http://backend/"
"""Where `fuzz_app` sends (the ASGI transport never resolves it)."""


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    junit: Path

    def failed_checks(self) -> set[str]:
        root = ET.parse(self.junit).getroot()
        return {case.get("name", "") for case in root.iter("testcase") if case.find("failure") is not None}

    def judged_checks(self) -> set[str]:
        root = ET.parse(self.junit).getroot()
        return {case.get("name", "") for case in root.iter("testcase") if case.find("skipped") is None}


def fuzz(
    url: str,
    tmp_path: Path,
    *args: str,
    max_examples: int = MAX_EXAMPLES,
    process: bool = False,
    env: dict[str, str] | None = None,
) -> Run:
    """`mockserver fuzz --url URL ARGS...` with the tests' seed and budget and a JUnit report."""
    junit = tmp_path / "fuzz.xml"
    options = ["--url", url, "--max-examples", str(max_examples), "--seed", str(SEED), "--junit-xml", str(junit)]
    if process:
        ran = run_process("fuzz", *options, *args, env=None if env is None else {**os.environ, **env}, timeout=240)
    else:
        ran = run_cli("fuzz", *options, *args, env=env)
    return Run(ran.returncode, ran.stdout, ran.stderr, junit)


def fuzz_app(app: Any, *, credentials: bool = True, **options: Any) -> FuzzResult:
    """One run of the fuzzer against `app` in this process; `options` are `FuzzOptions` fields."""
    settings: dict[str, Any] = {"seed": SEED, "max_examples": MAX_EXAMPLES, "workers": 4, **options}
    if credentials:
        settings = {"token": TOKEN, "app_id": APP_ID, **settings}
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return Fuzzer(FuzzOptions(url=BACKEND_URL, **settings), transport=transport).run()
