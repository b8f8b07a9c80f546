"""The pytest plugin's fixtures, used the way a user's suite uses them (loaded via `pytest11`)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from mockserver.server.testing import RunningServer
from tests.support.deliveries import SCRIPTS, contract, deliver, load_yaml

pytestmark = pytest.mark.slow  # the plugin's fixtures start real servers; a pytest subprocess


def test_fixture_serves_and_journals(mockserver: RunningServer) -> None:
    webhook = contract.webhooks[0]
    assert deliver(mockserver.url, dict(webhook.example().value), command=webhook.command).status_code == 200
    assert mockserver.wait_for(1, command=webhook.command) == 1


def test_fixture_is_reset_between_tests(mockserver: RunningServer) -> None:
    assert mockserver.count() == 0
    assert mockserver.admin.get("/scripts").json()["rules"] == []
    mockserver.load_script(SCRIPTS / "issue_example.yaml")
    assert len(mockserver.admin.get("/scripts").json()["rules"]) == len(load_yaml("issue_example.yaml")["rules"])


def test_factory_starts_servers_with_options(mockserver_factory: Callable[..., RunningServer]) -> None:
    server = mockserver_factory("--sdkappid", "42")
    webhook = contract.webhooks[0]
    assert deliver(server.url, dict(webhook.example().value), command=webhook.command).status_code == 403


def test_the_plugin_costs_nothing_until_a_fixture_is_used(tmp_path: Path) -> None:
    """Installed, the plugin loads in every pytest run: no framework import, no warning, no file left."""
    (tmp_path / "test_user.py").write_text(
        "import sys\n\n"
        "def test_unrelated():\n"
        "    assert 'connexion' not in sys.modules and 'mockserver.server.app' not in sys.modules\n\n"
        "def test_with_the_mock(mockserver):\n"
        "    assert mockserver.count() == 0\n"
    )
    temp = tmp_path / "tmp"
    temp.mkdir()

    def pytest_run(*selection: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-W", "error", "-p", "no:cacheprovider", *selection],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env={**os.environ, "TMPDIR": str(temp)},
        )

    # one session: test_unrelated runs first, before any fixture of the plugin was asked for
    run = pytest_run("test_user.py")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 passed" in run.stdout
    assert not list(temp.glob("mockserver-stderr-*")), "a server left its stderr log behind"
