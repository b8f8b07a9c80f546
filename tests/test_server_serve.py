"""`mockserver serve` over real HTTP: default answers, refusals with field paths, the journal.

Every case runs against both delivery lanes (direct and through connexion's middleware) to
show they judge deliveries identically.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockserver.server.testing import RunningServer, start_server
from tests.support.deliveries import contract, deliver, load_yaml, query_for, webhook_of_example

pytestmark = pytest.mark.slow  # a real `mockserver serve` process

COMMAND_PARAM = contract.parameter("command").name
APP_PARAM = contract.parameter("app-id").name


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with start_server("--max-body", "4096") as running:
        yield running


@pytest.fixture
def fresh(server: RunningServer) -> RunningServer:
    server.reset()
    return server


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    return problem


@pytest.mark.parametrize("example", [(w.command, e.name) for w in contract.webhooks for e in w.examples], ids=str)
def test_every_example_gets_its_default_answer(fresh: RunningServer, example: tuple[str, str]) -> None:
    webhook, body = webhook_of_example(example[1])
    response = deliver(fresh.url, body, command=webhook.command)
    assert response.status_code == 200
    assert response.json() == dict(webhook.default_response)
    [record] = fresh.requests()
    assert (record["command"], record["verdict"], record["status"]) == (webhook.command, "valid", 200)
    assert json.loads(record["body"]) == body


@pytest.mark.parametrize("case", load_yaml("bad_deliveries.yaml"), ids=lambda c: c["field"])
def test_schema_violations_name_the_field(fresh: RunningServer, case: dict[str, Any]) -> None:
    webhook, body = webhook_of_example(case["example"])
    body.update(case["patch"])
    problem = _problem(deliver(fresh.url, body, command=webhook.command), 400)
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
    fresh: RunningServer, case: tuple[str, dict[str, Any], int, str]
) -> None:
    _, given, status, field = case
    kwargs = dict(given)
    response = deliver(fresh.url, kwargs.pop("body"), **kwargs)
    problem = _problem(response, status)
    assert problem["field"] == field
    if status == 405:
        assert response.headers["allow"] == "POST"
    assert fresh.wait_for(1, verdict="invalid") == 1
    [record] = fresh.requests()
    assert record["status"] == status and record["verdict"] == "invalid"


def test_chunked_body_over_the_limit_is_refused(fresh: RunningServer) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b" " * 1000

    query = query_for(contract.webhooks[0].command)
    response = httpx.post(f"{fresh.url}/", params=query, content=chunks(), headers={"content-type": "application/json"})
    assert _problem(response, 413)["field"] == "body"
    assert fresh.wait_for(1, verdict="invalid") == 1


def test_unknown_path_is_a_problem_not_a_crash(fresh: RunningServer) -> None:
    response = httpx.post(f"{fresh.url}/elsewhere", json={})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert fresh.wait_for(1) == 1


def test_swagger_ui_and_spec_are_served(server: RunningServer) -> None:
    assert httpx.get(f"{server.url}/ui/").status_code == 200
    assert httpx.get(f"{server.url}/__admin/ui/").status_code == 200
    spec = httpx.get(f"{server.url}/openapi.json").json()
    assert spec["paths"].keys() == contract.document["paths"].keys()


def test_journal_filters_and_order(fresh: RunningServer) -> None:
    a, b = contract.webhooks[0], contract.webhooks[1]
    deliver(fresh.url, dict(a.example().value), command=a.command)
    deliver(fresh.url, dict(b.example().value), command=b.command)
    deliver(fresh.url, b"nope", command=a.command)
    assert fresh.wait_for(3) == 3
    assert [r["command"] for r in fresh.requests(verdict="valid")] == [b.command, a.command]  # newest first
    assert fresh.count(command=a.command) == 1
    assert fresh.count(verdict="invalid") == 1
    newest = fresh.requests(limit=1)[0]
    assert fresh.count(since=newest["received"]) == 1
    fresh.clear_requests()
    assert fresh.count() == 0
    assert fresh.wait_for(1, timeout=0.2) == 0


def test_admin_api_refuses_bad_parameters(server: RunningServer) -> None:
    response = httpx.get(f"{server.admin_url}/requests", params={"limit": "lots"})
    assert response.status_code == 400
