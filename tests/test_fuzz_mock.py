"""`mockserver fuzz` against the mock server (issue 3).

With its defaults the mock is a conformant backend, so the fuzzer must pass it: that run is the
`mockserver fuzz` command (through click's CliRunner; the subprocess run of the command is in
test_fuzz_cli.py) against `mockserver serve` over HTTP. Scripted to
misbehave (tests/data/fuzz/scenarios.yaml lists each script and the checks it must fail), every
run must fail exactly those checks: the fuzzer drives the mock's ASGI app in this process (the
same checks and verdicts, without sockets), except for the scenarios marked `socket`, whose flaw
only a real connection shows (one closed without an answer), which run as the first one does.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from mockserver.server.app import ServerConfig
from mockserver.server.testing import RunningServer, start_server
from tests.support.asgi import InProcessMock
from tests.support.fuzzing import APP_ID, CREDENTIALS, TOKEN, fuzz, fuzz_app

DATA = Path(__file__).parent / "data" / "fuzz"
SCENARIOS: list[dict[str, Any]] = yaml.safe_load((DATA / "scenarios.yaml").read_text(encoding="utf-8"))


def _scenarios(socket: bool) -> list[Any]:
    return [pytest.param(s, id=s["id"]) for s in SCENARIOS if bool(s.get("socket")) is socket]


@pytest.fixture(scope="module")
def mock() -> Iterator[RunningServer]:
    with start_server(*CREDENTIALS) as running:
        yield running


@pytest.mark.slow  # a fuzzing run against a real mock over HTTP
def test_the_mock_with_its_defaults_passes(mock: RunningServer, tmp_path: Path) -> None:
    mock.reset()
    run = fuzz(mock.url + "/", tmp_path, *CREDENTIALS)
    assert run.code == 0, run.stdout + run.stderr
    assert run.failed_checks() == set()
    # every check judged something: nothing passed by being skipped
    assert len(run.judged_checks()) == 7, run.stdout
    # the fuzzer's requests really reached the mock, valid and invalid ones
    assert mock.count(verdict="valid") > 0
    assert mock.count(verdict="invalid") > 0


@pytest.mark.slow  # a real mock, reached over HTTP
@pytest.mark.parametrize("scenario", _scenarios(socket=True))
def test_a_mock_misbehaving_on_the_wire_fails_exactly_the_expected_checks(
    mock: RunningServer, scenario: dict[str, Any], tmp_path: Path
) -> None:
    mock.reset()
    mock.load_script(DATA / scenario["script"])
    try:
        run = fuzz(mock.url + "/", tmp_path, *CREDENTIALS, *scenario.get("fuzz", []))
    finally:
        mock.clear_script()
    assert run.code == 1, run.stdout + run.stderr
    assert run.failed_checks() == set(scenario["fails"]), run.stdout
    assert "curl -X POST" in run.stdout


@pytest.mark.slow  # a fuzzing run per case (in process: about a second each)
@pytest.mark.parametrize("scenario", _scenarios(socket=False))
def test_a_misbehaving_mock_fails_exactly_the_expected_checks(scenario: dict[str, Any], tmp_path: Path) -> None:
    if scenario.get("no_token_on_server"):
        # a backend that never checks signatures (it still checks its app id)
        config = ServerConfig(journal=str(tmp_path / "journal.sqlite3"), sdkappid=APP_ID)
    else:
        config = ServerConfig(
            journal=str(tmp_path / "journal.sqlite3"),
            token=TOKEN,
            sdkappid=APP_ID,
            script=str(DATA / scenario["script"]),
        )
    mock = InProcessMock(config)
    try:
        result = fuzz_app(mock.server, timeout=scenario.get("timeout"))
    finally:
        mock.close()
    assert not result.ok
    assert set(result.failed_checks()) == set(scenario["fails"]), result.failures
    assert all(failure.curl.startswith("curl -X POST") for failure in result.failures.values())
