"""The mock under hostile input over real HTTP: bounded work, precise refusals, nothing lost.

Each case asserts the status, the problem's `field` and the journal record of what arrived.
The bodies are built from the contract's own examples and schemas (no field is named here).
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest

from mockserver.schema import EXPLAIN_LIMIT
from mockserver.server.testing import RunningServer, start_server
from tests.support.contract_walk import discriminator_fields, mutate, nodes, wrong_type_value
from tests.support.deliveries import contract, deliver, query_for

pytestmark = pytest.mark.slow  # HTTP-level limits (header timeout, header size) of a real server process

MAX_HEADER = 16 * 1024


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with start_server("--header-timeout", "0.5", "--max-header", str(MAX_HEADER)) as running:
        yield running


@pytest.fixture
def fresh(server: RunningServer) -> RunningServer:
    server.reset()
    return server


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    return problem


def _only_record(server: RunningServer) -> dict[str, Any]:
    server.wait_for(1)
    (record,) = server.requests()
    return record


def _arrays(kind: str) -> Iterator[tuple[Any, Any, tuple[str | int, ...], dict[str, Any]]]:
    """(webhook, example, path, items schema) of every array of objects in the examples.

    `kind` "tagged": arrays whose items are a discriminated union; "plain": the others.
    """
    for webhook in contract.webhooks:
        for example in webhook.examples:
            schema = {"$ref": webhook.request_ref}
            for node in nodes(contract, schema, example.value):
                items = node.schema.get("items")
                if node.schema.get("type") != "array" or not isinstance(items, dict) or not node.value:
                    continue
                resolved = contract.dereferenced(items)
                tagged = "oneOf" in resolved
                if tagged == (kind == "tagged"):
                    yield webhook, example.value, node.path, resolved


def _raw_exchange(server: RunningServer, head: bytes, *, then: bytes = b"", pause: float = 0.0) -> bytes:
    """Send raw bytes, optionally wait, then read the whole answer (the server closes the connection)."""
    parts = urlsplit(server.url)
    assert parts.hostname is not None and parts.port is not None
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        try:
            sock.sendall(head)
            if pause:
                time.sleep(pause)
            if then:
                sock.sendall(then)
        except OSError:  # the server refused and closed while we were still sending
            pass
        return _read_to_end(sock)


def _status_and_problem(raw: bytes) -> tuple[int, dict[str, Any]]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    assert b"application/problem+json" in head.lower(), head
    return status, json.loads(body)


# ------------------------------------------------------------------ big bodies
def test_thirty_thousand_invalid_items_are_refused_with_a_bounded_problem(fresh: RunningServer) -> None:
    webhook, example, path, items = next(_arrays("plain"))
    body = mutate(example, path, [wrong_type_value(items)] * 30_000)
    raw = json.dumps(body).encode()
    answer = deliver(fresh.url, raw, command=webhook.command)
    problem = _problem(answer, 400)
    assert problem["field"].startswith("body.")
    assert len(problem["errors"]) <= EXPLAIN_LIMIT
    assert "only the first" in problem["detail"]
    assert len(answer.content) < 16 * 1024
    record = _only_record(fresh)
    assert record["status"] == 400 and record["verdict"] == "invalid"
    assert record["body"].encode() == raw


def test_thirty_thousand_valid_items_past_the_bound_are_named_within_the_budget(fresh: RunningServer) -> None:
    webhook, example, path, _ = next(_arrays("plain"))
    items = example
    for segment in path:
        items = items[segment]
    body = mutate(example, path, items[:1] * 30_000)
    answer = deliver(fresh.url, body, command=webhook.command)
    problem = _problem(answer, 400)
    array_field = "body" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
    assert problem["field"] == array_field, problem
    assert _only_record(fresh)["status"] == 400


def _wrongly_typed(items: dict[str, Any], element: Any) -> Any:
    """`element` with its first non-tag field given a value of the wrong type."""
    tags = discriminator_fields(contract)
    leaf = next(n for n in nodes(contract, items, element) if len(n.path) == 1 and n.path[0] not in tags)
    return mutate(element, leaf.path, wrong_type_value(leaf.schema))


def test_twelve_thousand_wrongly_typed_elements_are_refused_with_a_bounded_problem(fresh: RunningServer) -> None:
    webhook, example, path, items = next(_arrays("tagged"))
    elements = example
    for segment in path:
        elements = elements[segment]
    body = mutate(example, path, [_wrongly_typed(items, elements[0])] * 12_000)
    answer = deliver(fresh.url, body, command=webhook.command)
    problem = _problem(answer, 400)
    assert problem["field"].startswith("body.")
    assert len(problem["errors"]) <= EXPLAIN_LIMIT
    assert len(answer.content) < 16 * 1024
    assert _only_record(fresh)["status"] == 400


# ------------------------------------------------------------------ the request head
def _head(query: str = "", extra: str = "", method: str = "POST") -> bytes:
    return f"{method} /?{query} HTTP/1.1\r\nHost: mock\r\nContent-Type: application/json\r\n{extra}".encode()


def test_a_huge_header_is_a_431_and_journaled(fresh: RunningServer) -> None:
    command = contract.webhooks[0].command
    head = _head(urlencode(query_for(command)), "X-Filler: ")
    # 64 MiB announced; the server stops reading at its limit, so only the first megabyte is sent.
    raw = _raw_exchange(fresh, head, then=b"a" * (1024 * 1024))
    status, problem = _status_and_problem(raw)
    assert status == 431 and problem["field"] == "headers"
    record = _only_record(fresh)
    assert record["status"] == 431 and record["verdict"] == "invalid"
    assert record["query"] == query_for(command)


def test_an_over_long_query_is_a_414_and_journaled(fresh: RunningServer) -> None:
    raw = _raw_exchange(fresh, _head("x=" + "q" * (MAX_HEADER + 10)))
    status, problem = _status_and_problem(raw)
    assert status == 414 and problem["field"] == "url"
    record = _only_record(fresh)
    assert record["status"] == 414 and record["method"] == "POST"
    assert record["query"]["x"].startswith("qqqq")


def test_half_sent_headers_get_a_408_after_the_header_timeout(fresh: RunningServer) -> None:
    command = contract.webhooks[0].command
    slow = [socket.create_connection(_address(fresh)) for _ in range(20)]
    try:
        for sock in slow:
            sock.sendall(_head(urlencode(query_for(command)), "X-Half: still typ"))
        # A valid delivery still gets through while the slow connections are open.
        assert deliver(fresh.url, contract.webhooks[0].example().value, command=command).status_code == 200
        answers = [_read_to_end(sock) for sock in slow]
    finally:
        for sock in slow:
            sock.close()
    for raw in answers:
        status, problem = _status_and_problem(raw)
        assert status == 408 and problem["field"] == "request"
    fresh.wait_for(21)
    refused = fresh.requests(verdict="invalid")
    assert len(refused) == 20 and {r["status"] for r in refused} == {408}


def _read_to_end(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (a refusal always closes it)."""
    sock.settimeout(10)
    chunks = []
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def _address(server: RunningServer) -> tuple[str, int]:
    parts = urlsplit(server.url)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


def test_malformed_http_is_a_problem_and_journaled(fresh: RunningServer) -> None:
    raw = _raw_exchange(fresh, b"POST / HTTP/1.1\r\nHost: mock\r\nContent-Length: nope\r\n\r\n")
    status, problem = _status_and_problem(raw)
    assert status == 400 and problem["field"] == "request"
    assert _only_record(fresh)["status"] == 400


# ------------------------------------------------------------------ refusals keep the bytes
@pytest.mark.parametrize(
    ("method", "path", "content_type", "status", "field"),
    [
        ("PUT", "/", "application/json", 405, "method"),
        ("POST", "/", "text/plain", 415, "header.Content-Type"),
        ("POST", "/elsewhere", "application/json", 404, "path"),
    ],
)
def test_refusals_journal_the_body_that_arrived(
    fresh: RunningServer, method: str, path: str, content_type: str, status: int, field: str
) -> None:
    command = contract.webhooks[0].command
    sent = json.dumps(contract.webhooks[0].example().value).encode()
    answer = httpx.request(
        method,
        f"{fresh.url.rstrip('/')}{path}?{urlencode(query_for(command))}",
        content=sent,
        headers={"content-type": content_type},
        timeout=10,
    )
    assert _problem(answer, status)["field"] == field
    record = _only_record(fresh)
    assert record["status"] == status and record["body"].encode() == sent


def test_duplicate_keys_are_refused_naming_the_key(fresh: RunningServer) -> None:
    webhook = contract.webhooks[0]
    text = json.dumps(webhook.example().value)
    first_key = next(iter(webhook.example().value))
    duplicated = text[:-1] + f", {json.dumps(first_key)}: {json.dumps(webhook.example().value[first_key])}}}"
    answer = deliver(fresh.url, duplicated.encode(), command=webhook.command)
    problem = _problem(answer, 400)
    assert problem["field"] == "body" and repr(first_key) in problem["detail"] and "more than once" in problem["detail"]
    assert _only_record(fresh)["body"] == duplicated
