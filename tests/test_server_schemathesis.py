"""`schemathesis run --checks all` against the running mock: the webhook contract and the admin API.

The webhook run uses the fuzzing phase with the hooks in tests/data/scripts/st_hooks.py (query
and body name the same command; only cases falling under the two documented disagreements
between schemathesis and the contract are dropped, detected from the case itself, see the
hook's docstring; the test counts them and bounds how many). The coverage phase is left out because schemathesis does
not apply filter hooks there and it calls a message element of an unknown type invalid, which
the contract accepts on purpose (its catch-all branch). The admin run's long polls are cut to
no wait at all by the same hooks file (`before_call`): what it checks is every answer's
shape, and the coverage phase would otherwise wait out the 10-second maximum again and again.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockserver.contract import bundled_contract_path
from mockserver.server.testing import RunningServer, start_server
from tests.support.deliveries import SCRIPTS

pytestmark = pytest.mark.slow  # schemathesis against a real server, in a pytest subprocess

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with start_server() as running:
        yield running


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(SCRIPTS),
        "SCHEMATHESIS_HOOKS": "st_hooks",
        "NO_COLOR": "1",
        "ST_HOOKS_LOG": str(cwd / "st_hooks.log"),
    }
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
        str(bundled_contract_path()), "--url", server.url, "--phases", "fuzzing", "--max-examples", "100", cwd=tmp_path
    )
    assert done.returncode == 0, done.stdout[-4000:]
    assert " passed" in done.stdout
    assert server.count() > 0  # the cases really reached the mock
    decisions = Counter((tmp_path / "st_hooks.log").read_text(encoding="utf-8").splitlines())
    dropped = sum(n for decision, n in decisions.items() if decision.startswith("dropped"))
    total = sum(decisions.values())
    print(f"st_hooks: {dropped} of {total} cases dropped: {dict(decisions)}")
    assert total >= 50  # the filter saw the run
    assert decisions["kept negative"] > 0  # negative_data_rejection really ran
    assert dropped <= total // 10, decisions  # the documented disagreements are rare, not the rule


def test_admin_api_has_no_failure(server: RunningServer, tmp_path: Path) -> None:
    # the served document: its script command enum comes from the contract at startup
    done = _run(f"{server.admin_url}/openapi.json", "--url", server.admin_url, "--max-examples", "5", cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-4000:]
    assert " passed" in done.stdout
