"""`mockserver load` on Locust: a short headless run and a master with two workers, against the mock.

Counts, not times: every delivery Locust counted arrived at the mock and was valid, every user
(and, distributed, every worker) delivered, and no delivery failed.
"""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import subprocess
import sys
from collections.abc import Sequence

import pytest
from click.testing import CliRunner

from mockserver.cli.load import locust_argv
from mockserver.cli.main import main
from mockserver.contract import Contract
from mockserver.server.testing import RunningServer

# Not importorskip: importing Locust monkey-patches the test process with gevent.
pytestmark = pytest.mark.skipif(importlib.util.find_spec("locust") is None, reason="the [load] extra is not installed")

_TOTAL = re.compile(r"^total\s+(\d+)\s", re.MULTILINE)


def load(*args: str, timeout: float = 60) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mockserver", "load", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def finish(process: subprocess.Popen[str], timeout: float = 60) -> str:
    output, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, output[-3000:]
    return output


def accounts_in_journal(mock: RunningServer, contract: Contract) -> set[str]:
    """The IDs of the accounts the run created, as the mock journaled their announcements."""
    import json

    created = next(w for w in contract.webhooks if w.state.get("account") == "create")
    records = mock.requests(command=created.command, limit=10_000)
    return {value for r in records for value in created.roles["account"].values(json.loads(r["body"]))}


def senders(accounts: set[str]) -> set[tuple[str, str]]:
    """(process, user) of every account ID: the namespace the locustfile gives each user."""
    return {m.groups() for a in accounts if (m := re.search(r"_(\d+)u(\d+)r\d+_", a))}  # type: ignore[misc]


@pytest.mark.slow
def test_headless_run_reaches_every_user_and_the_mock_saw_every_delivery(
    mockserver: RunningServer, contract: Contract
) -> None:
    output = finish(
        load(
            "--url",
            mockserver.url,
            "--users",
            "3",
            "--spawn-rate",
            "30",  # every user at once: the short run is all sending
            "--run-time",
            "2s",
            "--headless",
            "--token",
            "t0k",
        )
    )
    match = _TOTAL.search(output)
    assert match, output[-3000:]
    total = int(match.group(1))
    assert total > 0 and "0 failed" in output
    assert total <= mockserver.wait_for(total) <= total + 3  # up to one request per user in flight at the stop
    assert mockserver.count(verdict="invalid") == 0
    assert {user for _, user in senders(accounts_in_journal(mockserver, contract))} == {"1", "2", "3"}


@pytest.mark.slow
def test_master_and_two_workers_all_deliver(mockserver: RunningServer, contract: Contract) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    master = load(
        "--url",
        mockserver.url,
        "--users",
        "4",
        "--spawn-rate",
        "40",
        "--run-time",
        "2s",
        "--headless",
        "--master",
        "--expect-workers",
        "2",
        "--master-port",
        port,
        "--",
        "--master-bind-host",
        "127.0.0.1",
    )
    workers: Sequence[subprocess.Popen[str]] = [
        load("--worker", "--master-host", "127.0.0.1", "--master-port", port) for _ in range(2)
    ]
    try:
        output = finish(master, timeout=60)
        for worker in workers:
            finish(worker, timeout=30)
    finally:
        for process in (master, *workers):
            if process.poll() is None:
                process.kill()
                process.communicate()
    match = _TOTAL.search(output)
    assert match, output[-3000:]
    total = int(match.group(1))
    # Locust counts a request when its answer is back: up to one per user was in flight when the run stopped.
    assert total <= mockserver.wait_for(total) <= total + 4
    assert mockserver.count(verdict="invalid") == 0
    processes = {process for process, _ in senders(accounts_in_journal(mockserver, contract))}
    assert len(processes) == 2, "both workers must have delivered"


def test_usage_and_argv() -> None:
    result = CliRunner().invoke(main, ["load", "--users", "2"])
    assert result.exit_code == 2 and "--url is required" in result.output
    argv = locust_argv(
        ["--csv", "out"],
        url="http://127.0.0.1:1/",
        users=5,
        spawn_rate=2.0,
        run_time="10s",
        headless=True,
        scenario="broadcast",
        seed=3,
        worker=False,
        master=False,
        token="secret",
    )
    assert argv[1:3] == ["-m", "locust"] and "secret" not in argv
    assert argv[-2:] == ["--csv", "out"] and "--headless" in argv and "broadcast" in argv
    assert "MOCKSERVER_TOKEN" in CliRunner().invoke(main, ["load", "--help"]).output
