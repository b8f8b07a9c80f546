"""`mockserver serve --forward-to`: real servers on 127.0.0.1, a mock forwarding to a backend.

The backend is another mock (scripted to fail in each way the vendor cares about) or the
generated stub; the sender talks to the forwarding mock only and gets what the vendor would.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from oa_webhooks.server import DefaultWebhookHandler, create_app

from mockserver.server.testing import RunningServer, start_server
from tests.support.deliveries import contract, deliver
from tests.support.servers import serve

pytestmark = pytest.mark.slow  # real servers forwarding to a backend over HTTP

TOKEN = "forward-test-token"
WEBHOOK = next(w for w in contract.webhooks if w.can_refuse)
BODY: dict[str, Any] = json.loads(json.dumps(WEBHOOK.example().value))


@pytest.fixture(scope="module")
def backend() -> Iterator[RunningServer]:
    with start_server("--token", TOKEN) as running:
        yield running


@pytest.fixture
def fresh_backend(backend: RunningServer) -> RunningServer:
    backend.reset()
    return backend


@pytest.fixture(scope="module")
def forwarder(backend: RunningServer) -> Iterator[RunningServer]:
    with start_server("--forward-to", backend.url + contract.path, "--forward-token", TOKEN) as running:
        yield running


@pytest.fixture
def fresh(forwarder: RunningServer, fresh_backend: RunningServer) -> RunningServer:
    forwarder.reset()
    return forwarder


def _record(server: RunningServer) -> dict[str, Any]:
    server.wait_for(1)
    (record,) = server.requests()
    return record


def test_a_delivery_is_forwarded_signed_and_the_answer_comes_back(
    fresh: RunningServer, fresh_backend: RunningServer
) -> None:
    answer = deliver(fresh.url, BODY, command=WEBHOOK.command)  # unsigned: the forwarder has no --token
    assert answer.status_code == 200
    assert answer.json() == dict(WEBHOOK.default_response)
    arrived = _record(fresh_backend)
    assert arrived["signature"] == "valid" and arrived["verdict"] == "valid"  # re-signed with --forward-token
    assert json.loads(arrived["body"]) == BODY
    record = _record(fresh)
    assert record["rule"] is None and record["forward"]["delivered"] is True
    assert record["forward"]["status"] == 200 and record["forward"]["outcome"] == "allow"


ERROR_CODE = WEBHOOK.response_roles["error-code"]


@pytest.mark.parametrize(
    ("script", "status", "broken"),
    [
        ({"respond": {"status": 500}}, 500, "status"),
        ({"respond": {"body": {ERROR_CODE: "zero"}, "invalid": True}}, 200, f"body.{ERROR_CODE}"),
    ],
)
def test_a_failing_backend_answer_is_passed_back_and_the_broken_rule_journaled(
    fresh: RunningServer, fresh_backend: RunningServer, script: dict[str, Any], status: int, broken: str
) -> None:
    fresh_backend.load_script({"rules": [script]})
    answer = deliver(fresh.url, BODY, command=WEBHOOK.command)
    assert answer.status_code == status  # what the vendor would have got
    forward = _record(fresh)["forward"]
    assert forward["delivered"] is False and forward["outcome"] == WEBHOOK.on_failure
    assert broken in {v["field"] for v in forward["violations"]}


def test_a_backend_that_answers_late_is_a_504_within_the_budget(
    fresh: RunningServer, fresh_backend: RunningServer
) -> None:
    fresh_backend.load_script({"rules": [{"respond": {"fault": "hang", "hang_ms": 4000}}]})
    answer = deliver(fresh.url, BODY, command=WEBHOOK.command, timeout=10)
    assert answer.status_code == 504 and answer.json()["field"] == "forward"
    assert answer.elapsed.total_seconds() < contract.timeout_seconds + 1.5
    forward = _record(fresh)["forward"]
    assert forward["status"] is None and "no answer within" in forward["error"]


def test_a_script_rule_answers_in_place_of_the_backend(fresh: RunningServer, fresh_backend: RunningServer) -> None:
    fresh.load_script({"rules": [{"when": {"command": WEBHOOK.command}, "respond": {"status": 503}}]})
    assert deliver(fresh.url, BODY, command=WEBHOOK.command).status_code == 503
    record = _record(fresh)
    assert record["rule"] is not None and record["forward"] is None
    assert fresh_backend.count() == 0


def test_a_refused_delivery_is_not_forwarded(fresh: RunningServer, fresh_backend: RunningServer) -> None:
    answer = deliver(fresh.url, {**BODY, contract.command_field: 7}, command=WEBHOOK.command)
    assert answer.status_code == 400
    assert fresh_backend.count() == 0


def test_a_backend_that_is_down_is_a_502() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused
        with start_server("--forward-to", f"http://127.0.0.1:{port}/") as running:
            answer = deliver(running.url, BODY, command=WEBHOOK.command)
            assert answer.status_code == 502 and answer.json()["field"] == "forward"
            assert _record(running)["forward"]["error"]


def test_forwarding_to_the_generated_stub_and_logging_json() -> None:
    with (
        serve(create_app(DefaultWebhookHandler(), token=TOKEN)) as stub,
        start_server("--forward-to", stub, "--forward-token", TOKEN, "--log-format", "json", quiet=False) as running,
    ):
        for webhook in contract.webhooks:
            answer = deliver(running.url, dict(webhook.example().value), command=webhook.command)
            assert answer.status_code == 200, (webhook.command, answer.text)
        running.wait_for(len(contract.webhooks))
        assert all(r["forward"]["delivered"] for r in running.requests())
        running.stop()
        lines = [json.loads(line) for line in running.stderr.splitlines() if line.startswith("{")]
    assert {line["command"] for line in lines} == set(contract.commands)
    assert all(line["rule"] == "forward" and line["forward"]["delivered"] for line in lines)
