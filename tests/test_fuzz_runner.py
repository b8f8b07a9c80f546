"""The fuzzer's run as a whole, in process: redirects, a stale pooled connection, skipped checks, workers.

Backends are ASGI apps reached through `httpx.ASGITransport`, except where only a real socket
shows the behaviour (a connection the server closed while it sat in the client's pool).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from click.testing import CliRunner
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from mockserver.cli.fuzz import command as fuzz_command
from mockserver.contract import Contract
from mockserver.fuzz import runner
from mockserver.fuzz.checks import Exchange
from mockserver.fuzz.report import ExchangeLog
from mockserver.fuzz.runner import Fuzzer, FuzzOptions, FuzzResult
from mockserver.traffic import Sender
from tests.support.fuzz_backends import Flaws, backend_app
from tests.support.fuzzing import APP_ID, BACKEND_URL, SEED, TOKEN, fuzz_app
from tests.support.servers import serve


def content(result: FuzzResult) -> tuple[Any, ...]:
    """What a run found, without timings and signatures: verdict counts, failures, inconclusive reasons."""
    tallies = {key: (t.passed, t.failed, t.inconclusive) for key, t in result.tallies.items()}
    failures = {key: (f.occurrences, f.cause, f.probe, f.summary) for key, f in result.failures.items()}
    return result.requests, result.generated, tallies, failures, result.inconclusive


@pytest.mark.slow  # two fuzzing runs with generated cases
def test_workers_find_the_same_as_a_sequential_run(contract: Contract) -> None:
    app = backend_app(contract, Flaws(crash_on_bad_input=True, refuse_unknown_fields=True), TOKEN, APP_ID)
    sequential = fuzz_app(app, workers=1)
    concurrent = fuzz_app(app, workers=6)
    assert sequential.failures, "the flawed backend must produce findings to compare"
    assert content(concurrent) == content(sequential)


@pytest.mark.slow  # two fuzzing runs with generated cases
def test_a_second_run_with_the_same_settings_reuses_the_drafts(
    contract: Contract, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = backend_app(contract, Flaws(), TOKEN, APP_ID)
    seed = 4242  # a seed no other test uses: the first run below makes its drafts
    first = fuzz_app(app, seed=seed, checks=("response-conforms",))
    made = list(runner._MADE)
    assert any(key[-1][-1] == seed + 0 for key in made if key[-1][0] == "generate")

    def no_process(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a drafting process was started for drafts already made")

    monkeypatch.setattr(multiprocessing, "get_context", no_process)
    again = fuzz_app(app, seed=seed, checks=("response-conforms",))
    assert content(again) == content(first)
    assert first.generated > 0


@pytest.mark.slow  # a fuzzing run with generated cases and boundaries
def test_a_crash_is_one_cause_and_boundaries_are_sent_for_every_webhook(contract: Contract) -> None:
    app = backend_app(contract, Flaws(crash_on_bad_input=True), TOKEN, APP_ID)
    boundaries: dict[str, list[int | None]] = {}

    def seen(exchange: Exchange, verdicts: Mapping[str, str]) -> None:
        if exchange.probe.label.startswith("boundary: "):
            boundaries.setdefault(exchange.probe.target, []).append(exchange.status)

    fuzzer = Fuzzer(
        FuzzOptions(url=BACKEND_URL, seed=SEED, max_examples=2, token=TOKEN, app_id=APP_ID),
        on_exchange=seen,
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
    )
    result = fuzzer.run()
    crashes = [f for f in result.failures.values() if f.cause == "HTTP 500"]
    assert {f.check for f in crashes} == {"no-server-error", "unknown-command"}
    assert {f.cause for f in result.failures.values()} == {"HTTP 500"}  # one cause, named once
    # every webhook got boundary cases, and this backend crashed on each of them
    assert set(boundaries) == {w.name for w in contract.webhooks}
    assert all(status == 500 for statuses in boundaries.values() for status in statuses), boundaries


def redirecting_app() -> tuple[Starlette, list[str]]:
    """Answers every delivery with 307 to a path that would answer well: followed, the run would pass."""
    followed: list[str] = []

    async def redirect(request: Request) -> Response:
        return RedirectResponse("/im/callback/", status_code=307)

    async def target(request: Request) -> Response:
        followed.append(request.url.path)
        return JSONResponse({})

    routes = [Route("/", redirect, methods=["POST"]), Route("/im/callback/", target, methods=["POST"])]
    return Starlette(routes=routes), followed


def test_a_redirect_is_a_finding_and_is_not_followed(contract: Contract) -> None:
    app, followed = redirecting_app()
    result = fuzz_app(app, credentials=False, checks=("response-conforms",), max_examples=0)
    assert followed == []
    assert not result.ok
    (failure, *_) = [f for f in result.failures.values() if f.check == "response-conforms"]
    assert failure.cause == "redirect (HTTP 307)"
    assert "redirected (307) to /im/callback/" in failure.detail
    assert "does not follow redirects" in failure.detail


def test_send_reports_a_redirect_the_way_fuzz_does(contract: Contract) -> None:
    app, followed = redirecting_app()
    webhook = contract.webhooks[0]

    async def deliver() -> Any:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False))
        async with client, Sender(BACKEND_URL, contract=contract, http=client) as sender:
            return await sender.send(webhook.command, dict(webhook.example().value))

    verdict = asyncio.run(deliver())
    assert followed == []
    assert not verdict.delivered and verdict.status == 307
    fuzzed = fuzz_app(app, credentials=False, checks=("response-conforms",), max_examples=0)
    details = {f.detail for f in fuzzed.failures.values()}
    assert verdict.error in details  # one wording for both commands
    assert "redirected (307)" in verdict.line()


# ---------------------------------------------------------------------- a stale pooled connection
@contextmanager
def closing_after_500(contract: Contract) -> Iterator[tuple[str, list[str]]]:
    """A raw HTTP/1.1 server: a body that is not JSON gets a keep-alive 500, and the next request on
    that connection is read and the connection closed without an answer (the server gave up on it);
    everything else gets its webhook's default answer. Yields the URL and a log of what happened.
    """
    command = contract.parameter("command").name
    answers = {w.command: json.dumps(w.default_response).encode() for w in contract.webhooks}
    log: list[str] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):  # the client closed its end
            await answer(reader, writer)
        writer.close()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        after_500 = False
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
            length = int(next((v for k, v in headers.items() if k.lower() == "content-length"), "0"))
            body = await reader.readexactly(length)
            if after_500:
                log.append("closed")
                return
            try:
                json.loads(body)
                query = dict(parse_qsl(urlsplit(lines[0].split(" ")[1]).query))
                status, answer = 200, answers.get(query.get(command, ""), b"{}")
            except ValueError:
                status, answer, after_500 = 500, b"crash", True
            log.append(str(status))
            reply = f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {len(answer)}\r\n\r\n"
            writer.write(reply.encode() + answer)
            await writer.drain()

    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(asyncio.start_server(handle, "127.0.0.1", 0))
    port = server.sockets[0].getsockname()[1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/", log
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)


@pytest.mark.slow
def test_a_connection_closed_after_a_500_is_retried_before_blaming_the_next_case(contract: Contract) -> None:
    with closing_after_500(contract) as (url, log):
        result = Fuzzer(FuzzOptions(url=url, seed=1, max_examples=0, checks=("no-server-error",))).run()
    assert "closed" in log, "the server must have closed a pooled connection under the next request"
    causes = {f.cause for f in result.failures.values()}
    assert "HTTP 500" in causes
    assert "dropped connection" not in causes


# ---------------------------------------------------------------------- skipped checks
@pytest.mark.slow  # a backend on a real socket
def test_a_selected_check_that_judged_nothing_makes_the_run_exit_2(contract: Contract, tmp_path: Path) -> None:
    with serve(backend_app(contract, Flaws())) as url:
        run = CliRunner().invoke(fuzz_command, ["--url", url, "--check", "authentication", "--seed", "1"])
    assert run.exit_code == 2, run.output
    assert "authentication judged nothing: no --token or --sdkappid" in run.output
    assert "conformant" in run.output and "Verdict: conformant" not in run.output


@pytest.mark.slow  # a fuzzing run with generated cases
def test_report_file_holds_every_exchange_with_its_curl(contract: Contract, tmp_path: Path) -> None:
    app = backend_app(contract, Flaws(), TOKEN, APP_ID)
    report = tmp_path / "exchanges.jsonl"
    with report.open("w", encoding="utf-8") as stream:
        log = ExchangeLog(stream)
        fuzzer = Fuzzer(
            FuzzOptions(
                url=BACKEND_URL, seed=SEED, max_examples=2, token=TOKEN, app_id=APP_ID, headers=(("X-Gateway", "k"),)
            ),
            on_exchange=log,
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
        )
        result = fuzzer.run()
    lines = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == result.requests
    first = lines[0]
    assert first["request"]["headers"]["X-Gateway"] == "k"
    assert first["curl"].startswith("curl -X POST") and "X-Gateway: k" in first["curl"]
    assert first["response"]["status"] == 200 and first["verdicts"]
