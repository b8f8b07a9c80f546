"""The CLI as a careless user drives it: every mistake gets a clear message and exit 2, never a traceback.

The commands run in process (`CliRunner`) against real HTTP on 127.0.0.1 and hostile peers on raw
sockets; Ctrl-C needs a real process and a real signal, so that one test runs a subprocess.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import threading
import tracemalloc
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from oa_webhooks.server import DefaultWebhookHandler, create_app

from mockserver.contract import load_contract
from mockserver.fuzz.checks import Exchange, Finding, get_check
from mockserver.fuzz.runner import Fuzzer, FuzzOptions
from mockserver.traffic.sender import http_client
from tests.support.cli import Ran, run_cli
from tests.support.hostile import huge_answer, raw_server, trickle
from tests.support.servers import serve

CONTRACT = load_contract()
ROOT = Path(__file__).resolve().parent.parent
WEBHOOK = CONTRACT.webhooks[-1]


def cli(*args: str, stdin: str | None = None) -> Ran:
    return run_cli(*args, stdin=stdin)


def assert_clean(result: Ran, code: int, *needles: str) -> None:
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback (most recent call last)" not in result.stdout + result.stderr
    for needle in needles:
        assert needle in result.stdout + result.stderr


# ---------------------------------------------------------------- generate
def test_openapi31_into_a_path_under_a_file_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    assert_clean(cli("generate", "openapi31", "--out", str(tmp_path / "file" / "x.yaml")), 2, "cannot write")


def test_python_into_a_directory_where_a_module_should_be(tmp_path: Path) -> None:
    (tmp_path / "pkg" / "models.py").mkdir(parents=True)
    assert_clean(cli("generate", "python", "--out", str(tmp_path / "pkg")), 2, "cannot write", "models.py")


@pytest.mark.slow  # a generation, formatted by ruff (another program)
def test_a_corrupt_non_utf8_file_is_stale_not_a_crash(tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    out.mkdir()
    (out / "models.py").write_bytes(b"\xff\xfe garbage")
    assert_clean(cli("generate", "python", "--out", str(out), "--check"), 1, "stale")
    assert_clean(cli("generate", "python", "--out", str(out)), 0)
    assert_clean(cli("generate", "python", "--out", str(out), "--check"), 0, "up to date")


def test_a_template_rendering_invalid_python_writes_nothing(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "models.py.j2").write_text("def broken(:\n")
    result = cli("generate", "python", "--out", str(tmp_path / "pkg"), "--templates", str(templates))
    assert_clean(result, 2, "models.py.j2 renders invalid Python")
    assert not (tmp_path / "pkg").exists()


@pytest.mark.parametrize("name", ["model.py.j2", None], ids=["typo", "empty-dir"])
def test_an_override_that_overrides_nothing_is_refused(tmp_path: Path, name: str | None) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    if name:
        (templates / name).write_text("x = 1\n")
    result = cli("generate", "python", "--out", str(tmp_path / "pkg"), "--templates", str(templates))
    assert_clean(result, 2, "models.py.j2")  # the message lists the kit's template names
    assert not (tmp_path / "pkg").exists()


def test_a_keyword_is_not_a_package_name(tmp_path: Path) -> None:
    assert_clean(cli("generate", "python", "--out", str(tmp_path / "x"), "--package", "class"), 2, "package name")


def test_openapi31_to_stdout() -> None:
    result = cli("generate", "openapi31", "--out", "-")
    assert_clean(result, 0)
    assert result.stdout == (ROOT / "generated" / "openapi-3.1.yaml").read_text(encoding="utf-8")
    assert_clean(cli("generate", "openapi31", "--out", "-", "--check"), 2, "--check")


# ---------------------------------------------------------------- send
@pytest.mark.parametrize("url", ["127.0.0.1:8080/", "ftp://127.0.0.1/", "http://", "http://127.0.0.1:port/"])
def test_send_to_a_malformed_url_is_a_usage_error(url: str) -> None:
    assert_clean(cli("send", WEBHOOK.name, "--url", url), 2, "--url")


def test_send_with_an_app_id_above_the_contract_maximum() -> None:
    big = str(CONTRACT.parameter("app-id").schema["maximum"] + 1)
    assert_clean(cli("send", WEBHOOK.name, "--url", "http://127.0.0.1:1/", "--sdkappid", big), 2, "maximum")


@pytest.mark.slow
def test_send_gives_up_on_a_trickling_server() -> None:
    answer = json.dumps(WEBHOOK.default_response).encode()
    with raw_server(trickle(answer, gap=0.2)) as url:
        result = cli("send", WEBHOOK.name, "--url", url, "--timeout", "0.5", "--json")
    assert_clean(result, 1)
    verdict = json.loads(result.stdout)
    assert not verdict["delivered"] and "no answer within 0.5 s" in verdict["error"]


@pytest.mark.slow
def test_send_refuses_a_flood() -> None:
    with raw_server(huge_answer()) as url:
        result = cli("send", WEBHOOK.name, "--url", url, "--json")
    assert_clean(result, 1, "larger than")


# ---------------------------------------------------------------- fuzz
@pytest.fixture(scope="module")
def backend() -> Iterator[str]:
    with serve(create_app(DefaultWebhookHandler())) as address:
        yield address


@pytest.mark.slow
def test_fuzz_junit_under_a_file_is_refused_before_the_run(tmp_path: Path, backend: str) -> None:
    (tmp_path / "file").write_text("x")
    result = cli("fuzz", "--url", backend, "--junit-xml", str(tmp_path / "file" / "report.xml"))
    assert_clean(result, 2, "--junit-xml")


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# A background job of a non-interactive shell (`mockserver fuzz ... &` in a script) starts with
# SIGINT ignored; the command restores it, so Ctrl-C / `kill -INT` still stops it.
@pytest.mark.slow
@pytest.mark.parametrize("started_ignoring_sigint", [False, True], ids=["foreground", "background-job"])
def test_fuzz_ctrl_c_prints_a_partial_report(tmp_path: Path, started_ignoring_sigint: bool) -> None:
    reached = threading.Event()
    inner = create_app(DefaultWebhookHandler())

    async def watched(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            reached.set()
        await inner(scope, receive, send)

    junit = tmp_path / "report.xml"
    with serve(watched) as url:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mockserver",
                "fuzz",
                "--url",
                url,
                "--max-examples",
                "10000",
                "--junit-xml",
                str(junit),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_ignore_sigint if started_ignoring_sigint else None,
        )
        assert reached.wait(60), "the fuzzer never sent a request"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 130, out + err
    assert "Traceback (most recent call last)" not in out + err
    assert "interrupted (Ctrl-C)" in out and "partial report" in out
    assert "interrupted" in junit.read_text(encoding="utf-8")


@pytest.mark.slow
def test_fuzz_times_the_whole_answer_not_just_its_headers(tmp_path: Path) -> None:
    # Headers at once, then the body one byte every 10 ms: about half a second per answer, over
    # twice the 0.2 s budget yet far inside the 3.2 s hang limit, so each is a slow answer, not a
    # hang (at 20 ms a byte, 1.1 s, the test failed twice in full runs on a loaded machine).
    # Only the first three connections trickle (the preflight and two probes) to keep the run short.
    answer = json.dumps(WEBHOOK.default_response).encode()
    assert len(answer) * 0.01 > 0.2 * 2
    junit = tmp_path / "fuzz.xml"
    with raw_server(trickle(answer, gap=0.01, connections=3)) as url:
        result = cli(
            "fuzz", "--url", url, "--max-examples", "0", "--timeout", "0.2", "--check", "within-timeout",
            "--workers", "4", "--junit-xml", str(junit),
        )  # fmt: skip
    assert_clean(result, 1, "slow answer")
    root = ET.parse(junit).getroot()
    failed = {case.get("name") for case in root.iter("testcase") if case.find("failure") is not None}
    assert failed == {"within-timeout"}
    assert "no answer" not in result.stdout  # late, not hung: the body arrived before the hang limit


@pytest.mark.slow
def test_fuzz_streams_a_flood_in_bounded_memory() -> None:
    size = 64 * 1024 * 1024
    with raw_server(huge_answer(size)) as url:
        fuzzer = Fuzzer(FuzzOptions(url=url, max_examples=0, checks=("response-conforms",)), CONTRACT)
        probe = next(fuzzer.factory.examples(WEBHOOK))
        fuzzer.signing.apply(probe.case.query, probe.auth)

        async def send() -> Exchange:
            async with http_client() as http:
                fuzzer._http = http
                return await fuzzer._exchange(probe)

        tracemalloc.start()
        try:
            exchange = asyncio.run(send())
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert exchange.answered and exchange.truncated
    assert len(exchange.body) == CONTRACT.max_body_bytes
    # A read of the whole answer would allocate at least its 64 MiB; the stream keeps the limit.
    assert peak < CONTRACT.max_body_bytes * 8 < size
    finding = get_check("response-conforms")(fuzzer.context, exchange)
    assert isinstance(finding, Finding) and str(CONTRACT.max_body_bytes) in finding.summary


# ---------------------------------------------------------------- validate
def _capture_line() -> str:
    return json.dumps({"query": CONTRACT.query_example(WEBHOOK.command), "body": WEBHOOK.examples[0].value})


def test_validate_reads_stdin() -> None:
    assert_clean(cli("validate", "-", stdin=_capture_line() + "\n"), 0, "<stdin>:1", "1 conform")


def test_validate_skips_a_byte_order_mark_and_crlf(tmp_path: Path) -> None:
    capture = tmp_path / "capture.jsonl"
    capture.write_bytes(b"\xef\xbb\xbf" + (_capture_line() + "\r\n").encode() * 2)
    assert_clean(cli("validate", str(capture)), 0, "2 conform")


def test_validate_calls_nan_not_json() -> None:
    line = _capture_line()[:-1] + ', "raw_body": NaN}'
    assert_clean(cli("validate", "-", stdin=line), 1, "NaN is not JSON")


def test_validate_survives_deep_nesting(tmp_path: Path) -> None:
    deep_line = '{"body": ' + "[" * 100_000 + "]" * 100_000 + "}"
    assert_clean(cli("validate", "-", stdin=deep_line), 1, "nested too deeply")
    raw = tmp_path / "deep.json"
    raw.write_text("[" * 100_000 + "]" * 100_000)
    assert_clean(cli("validate", "--command", WEBHOOK.name, str(raw)), 1, "nested too deeply")
