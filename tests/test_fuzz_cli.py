"""`mockserver fuzz` against small backends: each flawed backend has exactly one bug.

The run must fail exactly the checks that bug breaks. The matrix drives the fuzzer in this
process against each backend's ASGI app; one flaw also runs as a user runs it (a subprocess over
127.0.0.1, read back from its JUnit report and output), as do the option and usage-error tests
(the conformant case runs against the mock server and the generated stub in test_fuzz_mock.py
and test_fuzz_generated.py).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mockserver.contract import Contract
from mockserver.fuzz.checks import CHECKS
from tests.support.cli import run_cli
from tests.support.fuzz_backends import Flaws, backend_app, serve
from tests.support.fuzzing import APP_ID, CREDENTIALS, TOKEN, fuzz, fuzz_app


@pytest.fixture
def backend(contract: Contract, request: pytest.FixtureRequest) -> Iterator[str]:
    flaws: Flaws = getattr(request, "param", Flaws())
    with serve(backend_app(contract, flaws, token=TOKEN, app_id=APP_ID)) as url:
        yield url


# The flaws the mock server cannot be scripted to have (its scripts answer valid deliveries
# only); the others are covered against the mock in test_fuzz_mock.py.
FLAWS = [
    # an unknown command is bad input too, so this backend also crashes on it
    pytest.param(Flaws(crash_on_bad_input=True), {"no-server-error", "unknown-command"}, {}, id="500-on-bad-input"),
    # schemathesis's valid cases carry extra fields as well, so refusing them breaks response-conforms too
    pytest.param(
        Flaws(refuse_unknown_fields=True),
        {"forward-compatible", "response-conforms"},
        {},
        id="refuses-every-unknown-field",
    ),
    pytest.param(Flaws(crash_on_unknown_command=True), {"unknown-command"}, {}, id="500-on-unknown-command"),
    # a 0.25 s answer against a 0.1 s budget: slow but otherwise perfect
    pytest.param(Flaws(slow_first_webhook=0.25), {"within-timeout"}, {"timeout": 0.1}, id="slow"),
]


@pytest.mark.slow  # a fuzzing run per case (in process: about a second each)
@pytest.mark.parametrize(("flaws", "expected", "options"), FLAWS)
def test_each_flaw_fails_exactly_its_checks(
    contract: Contract, flaws: Flaws, expected: set[str], options: dict[str, Any]
) -> None:
    result = fuzz_app(backend_app(contract, flaws, token=TOKEN, app_id=APP_ID), **options)
    assert not result.ok
    assert set(result.failed_checks()) == expected, result.failures
    assert all(failure.curl.startswith("curl -X POST") for failure in result.failures.values())


@pytest.mark.slow  # a `mockserver fuzz` subprocess against a backend on 127.0.0.1
@pytest.mark.parametrize("backend", [Flaws(crash_on_bad_input=True)], indirect=True)
def test_a_flawed_backend_fails_the_cli_run_with_a_reproducer(backend: str, tmp_path: Path) -> None:
    # the crafted probes alone break this backend; generation is the in-process matrix's to show
    run = fuzz(backend, tmp_path, *CREDENTIALS, process=True, max_examples=0)
    assert run.code == 1, run.stdout + run.stderr
    assert run.failed_checks() == {"no-server-error", "unknown-command"}, run.stdout
    assert "Verdict: not conformant" in run.stdout
    assert "curl -X POST" in run.stdout


@pytest.mark.slow  # a real backend over HTTP
def test_a_foreign_app_id_accepted_fails_authentication(contract: Contract, tmp_path: Path) -> None:
    # the backend knows no app id, so the fuzzer's foreign one goes through
    with serve(backend_app(contract, Flaws(), token=TOKEN, app_id=None)) as url:
        run = fuzz(url, tmp_path, *CREDENTIALS, "--check", "authentication", max_examples=0)
    assert run.code == 1
    assert "foreign app id accepted" in run.stdout
    assert "wrong signature accepted" not in run.stdout


@pytest.mark.slow  # a fuzzing run with generated cases
def test_check_selection_runs_only_the_named_checks(backend: str, tmp_path: Path) -> None:
    run = fuzz(backend, tmp_path, *CREDENTIALS, "--check", "semantics", "--check", "unknown-command")
    assert run.code == 0, run.stdout + run.stderr
    root = ET.parse(run.junit).getroot()
    assert {case.get("name") for case in root.iter("testcase")} == {"semantics", "unknown-command"}


@pytest.mark.slow  # a backend on a real socket
def test_without_credentials_authentication_judges_nothing_and_the_run_is_not_conformant(
    backend: str, tmp_path: Path
) -> None:
    # a selected check that judged nothing is no green light: exit 2, saying what and why
    run = fuzz(backend, tmp_path, "--check", "authentication", max_examples=0)
    assert run.code == 2, run.stdout + run.stderr
    assert "SKIPPED" in run.stdout
    assert "authentication judged nothing: no --token or --sdkappid" in run.stdout


@pytest.mark.slow  # a fuzzing run over every webhook
def test_excluding_a_check_and_env_var_credentials(backend: str, tmp_path: Path) -> None:
    run = fuzz(
        backend,
        tmp_path,
        *("--exclude-check", "authentication", "--exclude-check", "forward-compatible"),
        max_examples=0,
        env={"MOCKSERVER_TOKEN": TOKEN, "MOCKSERVER_SDKAPPID": APP_ID},
    )
    assert run.code == 0, run.stdout + run.stderr
    names = {case.get("name") for case in ET.parse(run.junit).getroot().iter("testcase")}
    assert "authentication" not in names and "forward-compatible" not in names and "semantics" in names


@pytest.mark.slow  # a backend on a real socket
def test_an_unreachable_url_is_a_usage_error_without_traceback(tmp_path: Path) -> None:
    with serve(backend_app_placeholder()) as url:
        pass  # the server is stopped: nothing listens on that port any more
    run = fuzz(url, tmp_path)
    assert run.code == 2
    assert "cannot reach" in run.stderr
    assert "Traceback" not in run.stderr + run.stdout


def test_a_malformed_url_is_a_usage_error(tmp_path: Path) -> None:
    run = fuzz("ftp://example.invalid/", tmp_path)
    assert run.code == 2
    assert "not an http:// or https:// URL" in run.stderr
    assert "Traceback" not in run.stderr


def test_help_documents_every_check_and_the_env_vars() -> None:
    proc = run_cli("fuzz", "--help")
    assert proc.returncode == 0
    for name in CHECKS:
        assert name in proc.stdout
    assert "MOCKSERVER_TOKEN" in proc.stdout and "MOCKSERVER_SDKAPPID" in proc.stdout


def backend_app_placeholder() -> object:
    async def app(scope: dict[str, object], receive: object, send: object) -> None:  # pragma: no cover
        raise RuntimeError("never called")

    return app


@pytest.mark.slow  # a fuzzing run with generated cases
def test_progress_is_logged_line_by_line_when_stderr_is_not_a_terminal(
    contract: Contract, backend: str, tmp_path: Path
) -> None:
    run = fuzz(backend, tmp_path, *CREDENTIALS)
    assert run.code == 0, run.stdout + run.stderr
    lines = [line for line in run.stderr.splitlines() if line.startswith("[")]
    stages = {line.split("] ", 1)[1].split(":", 1)[0] for line in lines}
    assert {w.name for w in contract.webhooks} <= stages
    assert all("failed so far" in line for line in lines)
