"""The pytest plugin's fixtures, used the way a user's suite uses them (loaded via `pytest11`)."""

from __future__ import annotations

from collections.abc import Callable

from mockserver.server.testing import RunningServer
from tests.test_server_support import SCRIPTS, contract, deliver, load_yaml


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
