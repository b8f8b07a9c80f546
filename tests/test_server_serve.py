"""The mock's delivery path and admin API, in process: default answers, refusals with field paths, the journal.

A `MockServer` behind httpx's ASGI transport judges exactly as `mockserver serve` does; what
only a socket or a process shows (header limits and timeouts, workers, kill -9, the CLI's
start-up) is in test_server_limits, test_server_hostile, test_server_workers, test_server_crash
and test_server_security.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from mockserver.server.app import ServerConfig
from tests.support.asgi import InProcessMock
from tests.support.deliveries import contract, load_yaml, query_for, webhook_of_example

COMMAND_PARAM = contract.parameter("command").name
APP_PARAM = contract.parameter("app-id").name


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessMock]:
    journal = tmp_path_factory.mktemp("serve") / "journal.sqlite3"
    mock = InProcessMock(ServerConfig(journal=str(journal), max_body=4096))
    yield mock
    mock.close()


@pytest.fixture
def fresh(server: InProcessMock) -> InProcessMock:
    server.reset()
    return server


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    return problem


@pytest.mark.parametrize("example", [(w.command, e.name) for w in contract.webhooks for e in w.examples], ids=str)
def test_every_example_gets_its_default_answer(fresh: InProcessMock, example: tuple[str, str]) -> None:
    webhook, body = webhook_of_example(example[1])
    response = fresh.deliver(body, command=webhook.command)
    assert response.status_code == 200
    assert response.json() == dict(webhook.default_response)
    [record] = fresh.requests()
    assert (record["command"], record["verdict"], record["status"]) == (webhook.command, "valid", 200)
    assert json.loads(record["body"]) == body


@pytest.mark.parametrize("case", load_yaml("bad_deliveries.yaml"), ids=lambda c: c["field"])
def test_schema_violations_name_the_field(fresh: InProcessMock, case: dict[str, Any]) -> None:
    webhook, body = webhook_of_example(case["example"])
    body.update(case["patch"])
    problem = _problem(fresh.deliver(body, command=webhook.command), 400)
    assert problem["field"] == case["field"]
    assert case["field"] in {e["field"] for e in problem["errors"]}
    [record] = fresh.requests(verdict="invalid")
    assert record["status"] == 400 and case["field"] in {e["field"] for e in record["errors"]}


def _bad_inputs() -> list[tuple[str, dict[str, Any], int, str]]:
    first = contract.webhooks[0]
    other = contract.webhooks[1]
    body = json.loads(json.dumps(first.example().value))
    good = query_for(first.command)
    return [
        ("malformed-json", {"body": b'{"a": ', "query": good}, 400, "body"),
        ("not-utf8", {"body": b'{"a": "\xff\xfe"}', "query": good}, 400, "body"),
        ("array-body", {"body": b"[]", "query": good}, 400, "body"),
        ("empty-body", {"body": b"", "query": good}, 400, "body"),
        ("no-content-type", {"body": body, "query": good, "content_type": None}, 415, "header.Content-Type"),
        ("text-plain", {"body": body, "query": good, "content_type": "text/plain"}, 415, "header.Content-Type"),
        (
            "latin1-charset",
            {"body": body, "query": good, "content_type": "application/json; charset=latin-1"},
            415,
            "header.Content-Type",
        ),
        ("too-large", {"body": b" " * 5000 + b"{}", "query": good}, 413, "body"),
        ("unknown-command", {"body": body, "query": {**good, COMMAND_PARAM: "No.Such"}}, 400, f"query.{COMMAND_PARAM}"),
        ("command-mismatch", {"body": body, "query": query_for(other.command)}, 400, f"query.{COMMAND_PARAM}"),
        (
            "missing-app-id",
            {"body": body, "query": {k: v for k, v in good.items() if k != APP_PARAM}},
            400,
            f"query.{APP_PARAM}",
        ),
        ("wrong-method", {"body": body, "query": good, "method": "PUT"}, 405, "method"),
    ]


@pytest.mark.parametrize("case", _bad_inputs(), ids=lambda c: c[0])
def test_bad_input_gets_a_precise_problem_and_is_journaled(
    fresh: InProcessMock, case: tuple[str, dict[str, Any], int, str]
) -> None:
    _, given, status, field = case
    kwargs = dict(given)
    response = fresh.deliver(kwargs.pop("body"), **kwargs)
    problem = _problem(response, status)
    assert problem["field"] == field
    if status == 405:
        assert response.headers["allow"] == "POST"
    assert fresh.wait_for(1, verdict="invalid") == 1
    [record] = fresh.requests()
    assert record["status"] == status and record["verdict"] == "invalid"


def test_chunked_body_over_the_limit_is_refused(fresh: InProcessMock) -> None:
    async def chunks() -> AsyncIterator[bytes]:  # a body without a length, in ten parts
        for _ in range(10):
            yield b" " * 1000

    query = query_for(contract.webhooks[0].command)
    response = fresh.request("POST", "/", params=query, content=chunks(), headers={"content-type": "application/json"})
    assert _problem(response, 413)["field"] == "body"
    assert fresh.wait_for(1, verdict="invalid") == 1


def test_unknown_path_is_a_problem_not_a_crash(fresh: InProcessMock) -> None:
    response = fresh.request("POST", "/elsewhere", json={})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert fresh.wait_for(1) == 1


def test_swagger_ui_and_spec_are_served(server: InProcessMock) -> None:
    assert server.request("GET", "/ui/").status_code == 200
    assert server.request("GET", "/__admin/ui/").status_code == 200
    spec = server.request("GET", "/openapi.json").json()
    assert spec["paths"].keys() == contract.document["paths"].keys()


def test_journal_filters_and_order(fresh: InProcessMock) -> None:
    a, b = contract.webhooks[0], contract.webhooks[1]
    fresh.deliver(dict(a.example().value), command=a.command)
    fresh.deliver(dict(b.example().value), command=b.command)
    fresh.deliver(b"nope", command=a.command)
    assert fresh.wait_for(3) == 3
    assert [r["command"] for r in fresh.requests(verdict="valid")] == [b.command, a.command]  # newest first
    assert fresh.count(command=a.command) == 1
    assert fresh.count(verdict="invalid") == 1
    newest = fresh.requests(limit=1)[0]
    assert fresh.count(since=newest["received"]) == 1
    fresh.clear_requests()
    assert fresh.count() == 0
    assert fresh.wait_for(1, timeout=0.05) == 0


def test_admin_api_refuses_bad_parameters(server: InProcessMock) -> None:
    response = server.request("GET", "/__admin/requests", params={"limit": "lots"})
    assert response.status_code == 400
