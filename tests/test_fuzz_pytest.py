"""The pytest entry point: a user's suite gets one test per (webhook, check) from `conformance_tests`.

A real pytest session runs in a subprocess on a generated test file, against a backend on
127.0.0.1 with one semantic flaw: exactly that cell fails and every other one passes.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mockserver.contract import Contract
from tests.support.fuzz_backends import Flaws, backend_app, serve

pytestmark = pytest.mark.slow  # a pytest subprocess against a backend on 127.0.0.1

TOKEN = "pytest-entry-token"
APP_ID = "1400000321"

USER_SUITE = """
import os
import pytest
from mockserver.fuzz.pytest import conformance_tests

@pytest.mark.parametrize(
    "conformance",
    conformance_tests(lambda: os.environ["WEBHOOK_URL"], token=os.environ["WEBHOOK_TOKEN"],
                      sdkappid=os.environ["WEBHOOK_APP_ID"], max_examples=3),
)
def test_backend_conforms(conformance):
    conformance()
"""


def run_user_suite(url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_user_suite.py").write_text(USER_SUITE, encoding="utf-8")
    env = {"WEBHOOK_URL": url, "WEBHOOK_TOKEN": TOKEN, "WEBHOOK_APP_ID": APP_ID}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
        env={**os.environ, **env},
    )


def outcomes(output: str) -> dict[str, str]:
    found = re.findall(r"^(PASSED|FAILED|SKIPPED|ERROR)\S* \S*test_backend_conforms\[([^\]]+)\]", output, re.M)
    return {test_id: outcome for outcome, test_id in found}


def test_a_flaw_fails_exactly_its_cell(contract: Contract, tmp_path: Path) -> None:
    with serve(backend_app(contract, Flaws(refuse_strangers=True), token=TOKEN, app_id=APP_ID)) as url:
        proc = run_user_suite(url, tmp_path)
    assert proc.returncode == 1
    results = outcomes(proc.stdout)
    # 6 checks per webhook, plus the unknown-command row's within-timeout and unknown-command
    assert len(results) == 6 * len(contract.webhooks) + 2, proc.stdout
    refusing = next(w for w in contract.webhooks if w.subset_of)
    failed = {test_id for test_id, outcome in results.items() if outcome == "FAILED"}
    assert failed == {f"{refusing.name}-semantics"}
    assert {outcome for test_id, outcome in results.items() if test_id not in failed} == {"PASSED"}
    assert "curl -X POST" in proc.stdout
