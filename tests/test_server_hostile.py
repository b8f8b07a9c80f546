"""A hostile sender and a careless user against a real `mockserver serve` on 127.0.0.1.

Each test is a defect found by trying to break the server: before its fix the server answered
500, hung, judged a truncated delivery valid, or lost the journal. The standard every test holds
it to: a precise 4xx problem naming the field, and the delivery still in the journal.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
import yaml

from mockserver.server.journal import Journal, JournalError, Record
from mockserver.server.testing import RunningServer, start_server
from tests.support.deliveries import contract, deliver, query_for

pytestmark = pytest.mark.slow  # hostile peers against a real server process

WEBHOOK = contract.webhooks[0]
COMMAND_PARAM = contract.parameter("command").name
APP_PARAM = contract.parameter("app-id").name
IP_PARAM = contract.parameter("client-ip").name


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with start_server("--max-body", "65536", "--body-timeout", "0.5") as running:
        yield running


@pytest.fixture
def fresh(server: RunningServer) -> RunningServer:
    server.reset()
    return server


def _body() -> dict[str, Any]:
    value: dict[str, Any] = json.loads(json.dumps(WEBHOOK.example().value))
    return value


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    return problem


def _raw(server: RunningServer, query: str, body: bytes, *, declared: int, hang_up: bool) -> bytes:
    """Send a POST whose Content-Length is `declared`, then hang up or wait for the answer."""
    parts = urlsplit(server.url)
    assert parts.hostname is not None and parts.port is not None
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        head = f"POST /?{query} HTTP/1.1\r\nHost: mock\r\nContent-Type: application/json\r\n"
        sock.sendall(f"{head}Content-Length: {declared}\r\n\r\n".encode() + body)
        if hang_up:
            return b""
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer


# ------------------------------------------------------------------ the query string
def test_non_utf8_query_value_is_a_400_and_the_journal_survives(fresh: RunningServer) -> None:
    # Before: percent-decoded bytes that are not UTF-8 became lone surrogates: a 500, and the
    # journal's writer thread died on them, losing every later delivery.
    query = urlencode(query_for(WEBHOOK.command)).replace(f"{IP_PARAM}=", f"{IP_PARAM}=%ff%fe", 1)
    response = httpx.post(f"{fresh.url}/?{query}", json=_body())
    problem = _problem(response, 400)
    assert problem["field"] == f"query.{IP_PARAM}"
    assert "UTF-8" in problem["detail"]
    assert deliver(fresh.url, _body(), command=WEBHOOK.command).status_code == 200
    assert fresh.wait_for(2) == 2
    assert [r["verdict"] for r in fresh.requests()] == ["valid", "invalid"]


def test_a_parameter_repeated_with_different_values_is_refused(fresh: RunningServer) -> None:
    # Before: the first occurrence silently won; which command did the sender mean?
    other = contract.webhooks[1].command
    query = urlencode(query_for(WEBHOOK.command)) + "&" + urlencode({COMMAND_PARAM: other})
    problem = _problem(httpx.post(f"{fresh.url}/?{query}", json=_body()), 400)
    assert problem["field"] == f"query.{COMMAND_PARAM}"
    assert other in problem["detail"]
    same = urlencode(query_for(WEBHOOK.command)) + "&" + urlencode({COMMAND_PARAM: WEBHOOK.command})
    assert httpx.post(f"{fresh.url}/?{same}", json=_body()).status_code == 200


@pytest.mark.parametrize("value", ["1_400_000_000", " 1400000000", "+1400000000", "9" * 5000])
def test_query_integers_are_plain_digits(fresh: RunningServer, value: str) -> None:
    # Before: int() took "1_400_000_000" and " 1400000000" as valid; 5000 digits were echoed whole.
    problem = _problem(deliver(fresh.url, _body(), query=query_for(WEBHOOK.command, **{APP_PARAM: value})), 400)
    assert problem["field"] == f"query.{APP_PARAM}"
    assert len(problem["detail"]) < 200


# ------------------------------------------------------------------------- the body
@pytest.mark.parametrize("depth", [1200, 20000])
def test_deeply_nested_body_is_a_400(fresh: RunningServer, depth: int) -> None:
    # Before: RecursionError in the decoder, answered 500.
    raw = json.dumps(_body())[:-1].encode() + b', "x": ' + b"[" * depth + b"]" * depth + b"}"
    problem = _problem(deliver(fresh.url, raw, command=WEBHOOK.command), 400)
    assert problem["field"] == "body"
    assert "deep" in problem["detail"]
    assert fresh.wait_for(1, verdict="invalid") == 1


def test_a_number_out_of_range_is_named(fresh: RunningServer) -> None:
    # Before: "the body is not valid JSON", with no reason (json takes 1e999 as infinity).
    raw = json.dumps(_body())[:-1].encode() + b', "x": 1e999}'
    problem = _problem(deliver(fresh.url, raw, command=WEBHOOK.command), 400)
    assert "1e999" in problem["detail"] and "out of range" in problem["detail"]


def test_a_body_cut_short_is_journaled_not_judged(fresh: RunningServer) -> None:
    # Before: the bytes that arrived (a complete, valid event) were judged valid and "answered" 200.
    raw = json.dumps(_body()).encode()
    _raw(fresh, urlencode(query_for(WEBHOOK.command)), raw, declared=len(raw) + 100, hang_up=True)
    assert fresh.wait_for(1) == 1
    [record] = fresh.requests()
    assert (record["verdict"], record["status"], record["body"]) == ("invalid", None, raw.decode())
    assert record["errors"][0]["field"] == "body"
    assert f"{len(raw)} of {len(raw) + 100}" in record["errors"][0]["reason"]


def test_a_body_that_never_completes_gets_a_408(fresh: RunningServer) -> None:
    # Before: the server waited for the missing bytes for as long as the sender kept the socket open.
    raw = json.dumps(_body()).encode()
    answer = _raw(fresh, urlencode(query_for(WEBHOOK.command)), raw, declared=len(raw) + 100, hang_up=False)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 ")
    assert json.loads(body)["field"] == "body"
    assert fresh.wait_for(1) == 1
    [record] = fresh.requests()
    assert (record["status"], record["body"]) == (408, raw.decode())


def test_a_template_failing_at_delivery_time_is_a_script_problem(fresh: RunningServer) -> None:
    # Before: an exception in the template was an anonymous internal error, not journaled as such.
    fresh.load_script({"rules": [{"respond": {"template": '{% if query.get("boom") %}{{ 1 // 0 }}{% endif %}{}'}}]})
    query = {**query_for(WEBHOOK.command), "boom": "1"}
    problem = _problem(deliver(fresh.url, _body(), query=query), 500)
    assert problem["field"] == "script" and "ZeroDivisionError" in problem["detail"]
    assert fresh.wait_for(1) == 1
    assert fresh.requests()[0]["errors"][0]["field"] == "script"


# ------------------------------------------------------------------------ admin API
@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/requests", {"limit": "-1"}, "query.limit"),
        ("/requests", {"limit": "abc"}, "query.limit"),
        ("/requests", {"since": "nan"}, "query.since"),
        ("/requests/count", {"since": "inf"}, "query.since"),
        ("/requests/wait", {"count": "1", "timeout": "nan"}, "query.timeout"),
        ("/requests/wait", {}, "query.count"),
    ],
)
def test_admin_parameters_are_refused_naming_the_field(
    server: RunningServer, path: str, params: dict[str, str], field: str
) -> None:
    # Before: jsonschema's multi-line report and no field; NaN passed every bound.
    problem = _problem(httpx.get(f"{server.admin_url}{path}", params=params), 400)
    assert problem["field"] == field
    assert "\n" not in problem["detail"]


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (b'{"rules": [{"respond": {"delay_ms": -1}}]}', "body.rules[0].respond.delay_ms"),
        (b'{"rules": [{"respond": {}, "bogus": 1}]}', "body.rules[0]"),
        (b"[" * 20000 + b"]" * 20000, "body"),
        (b'{"rules": [{"respond": {"status": NaN}}]}', "body"),
        (b'{"rules": "\xff"}', "body"),
    ],
)
def test_admin_script_bodies_are_refused_naming_the_field(server: RunningServer, content: bytes, field: str) -> None:
    response = httpx.post(f"{server.admin_url}/scripts", content=content, headers={"content-type": "application/json"})
    assert _problem(response, 400)["field"] == field


def test_waits_neither_starve_the_admin_api_nor_delay_shutdown() -> None:
    # Before: each wait held a thread of asyncio's small default pool for its whole timeout, so a
    # few waiting clients made every other admin call queue behind them; SIGTERM then waited for
    # uvicorn's graceful timeout and logged a traceback per cancelled wait.
    running = start_server()
    parts = urlsplit(running.url)
    assert parts.hostname is not None and parts.port is not None
    waits: list[socket.socket] = []
    try:
        for _ in range(12):  # sent before the count below, so accepted and dispatched before it
            sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
            sock.sendall(b"GET /__admin/requests/wait?count=1000000&timeout=10 HTTP/1.1\r\nHost: mock\r\n\r\n")
            waits.append(sock)
        assert httpx.get(f"{running.admin_url}/requests/count", timeout=5).json() == {"count": 0}
    finally:
        assert running.stop(timeout=30) == 0
    answers: list[tuple[bytes, Any]] = []
    for sock in waits:
        with sock:
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        answers.append((head.partition(b"\r\n")[0], json.loads(body)))
    assert answers == [(b"HTTP/1.1 200 OK", {"count": 0, "complete": False})] * len(waits)
    assert "Traceback" not in running.stderr


# ------------------------------------------------------------------------ the journal
def test_the_journal_stores_text_that_is_not_unicode(tmp_path: Path) -> None:
    # Before: one record with a lone surrogate killed the writer thread; nothing was stored after it.
    journal = Journal(tmp_path / "journal.sqlite3")
    try:
        bad = "\udcff"
        journal.append(Record(0.0, "POST", "/", {bad: bad}, {}, b"", errors=[{"field": bad, "reason": bad}]))
        journal.append(Record(1.0, "POST", "/", {}, {}, b"after"))
        journal.flush(timeout=10)
        assert [r.body for r in journal.records()] == [b"after", b""]
    finally:
        journal.close()


# ------------------------------------------------------------------------------ CLI
def _serve(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "mockserver", "serve", "--host", "127.0.0.1", "--quiet", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_an_unusable_journal_path_is_a_usage_error(tmp_path: Path, workers: str) -> None:
    # Before: a sqlite3.OperationalError traceback and exit 1.
    done = _serve("--port", "0", "--workers", workers, "--journal", str(tmp_path / "missing" / "journal.sqlite3"))
    assert done.returncode == 2
    assert "--journal" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_port_in_use_is_a_usage_error(workers: str) -> None:
    # Before: uvicorn's log line and exit 3.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        done = _serve("--port", str(taken.getsockname()[1]), "--workers", workers)
    assert done.returncode == 2
    assert "--port" in done.stderr and "in use" in done.stderr and "Traceback" not in done.stderr


def test_a_catastrophic_script_regex_fails_fast_and_does_not_stall_the_server(fresh: RunningServer) -> None:
    script_path = Path(__file__).parent / "data" / "scripts" / "redos.yaml"
    fresh.load_script(script_path)
    rule = yaml.safe_load(script_path.read_text())["rules"][0]
    command = rule["when"]["command"]
    (field,) = rule["when"]["body"]
    webhook = contract.webhook(command)
    body = json.loads(json.dumps(webhook.example().value))
    prefix = rule["when"]["body"][field]["regex"][1:].split("(")[0]
    body[field] = prefix + "a" * 40 + "!"  # hours of backtracking for Python's `re`
    answer = deliver(fresh.url, body, command=command, timeout=10)
    problem = _problem(answer, 500)
    assert problem["field"] == "script" and "took over" in problem["detail"]
    # The server is still answering everyone else at once, and the delivery is journaled.
    assert deliver(fresh.url, _body(), command=WEBHOOK.command, timeout=5).status_code == 200
    (record,) = fresh.requests(command=command)
    assert record["errors"][0]["field"] == "script"


def test_the_journal_counts_what_it_cannot_store_and_a_stuck_writer_is_an_error(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite3")
    try:

        class Unstorable(Record):
            def row(self) -> Any:
                raise ValueError("cannot be encoded")

        def record(cls: type[Record] = Record) -> Record:
            return cls(received=1.0, method="POST", path="/", query={}, headers={}, body=b"{}")

        journal.append(record(Unstorable))
        journal.append(record())
        journal.flush()
        assert journal.dropped == 1 and journal.count() == 1
        stuck = threading.Event()
        real_insert = journal._insert

        def stuck_insert(conn: object, records: object) -> set[int]:
            stuck.wait(10)
            return set()

        journal._insert = stuck_insert  # type: ignore[method-assign]
        journal.append(record())
        with pytest.raises(JournalError, match="not caught up"):
            journal.flush(timeout=0.2)
        journal._insert = real_insert  # type: ignore[method-assign]
        stuck.set()
        journal.flush()
    finally:
        journal.close()
