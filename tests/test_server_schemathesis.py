"""`schemathesis run --checks all` against the running mock: the webhook contract and the admin API.

The webhook run uses the fuzzing phase with the hooks in tests/data/scripts/st_hooks.py (query
and body name the same command; cases where schemathesis and the contract disagree on validity
are dropped, see the hook's docstring). The coverage phase is left out because schemathesis does
not apply filter hooks there and it calls a message element of an unknown type invalid, which
the contract accepts on purpose (its catch-all branch).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockserver.contract import bundled_contract_path
from mockserver.server.testing import RunningServer, start_server
from tests.test_server_support import SCRIPTS

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with start_server() as running:
        yield running


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SCRIPTS), "SCHEMATHESIS_HOOKS": "st_hooks", "NO_COLOR": "1"}
    return subprocess.run(
        [SCHEMATHESIS, "run", *args, "--checks", "all", "--generation-deterministic", "--request-timeout", "15"],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        cwd=cwd,  # schemathesis writes a .schemathesis/ directory where it runs
    )


def test_webhook_contract_has_no_failure(server: RunningServer, tmp_path: Path) -> None:
    done = _run(
        str(bundled_contract_path()), "--url", server.url, "--phases", "fuzzing", "--max-examples", "40", cwd=tmp_path
    )
    assert done.returncode == 0, done.stdout[-4000:]
    assert " passed" in done.stdout
    assert server.count() > 0  # the cases really reached the mock


def test_admin_api_has_no_failure(server: RunningServer, tmp_path: Path) -> None:
    # the served document: its script command enum comes from the contract at startup
    done = _run(f"{server.admin_url}/openapi.json", "--url", server.admin_url, "--max-examples", "5", cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-4000:]
    assert " passed" in done.stdout
