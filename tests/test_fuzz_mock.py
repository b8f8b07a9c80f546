"""`mockserver fuzz` against the real mock server (`mockserver serve`, issue 3).

With its defaults the mock is a conformant backend, so the fuzzer must pass it. Scripted to
misbehave (tests/data/fuzz/scenarios.yaml lists each script and the checks it must fail), every
run must fail exactly those checks, read from the JUnit report.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from mockserver.server.testing import RunningServer, start_server
from tests.support.fuzzing import fuzz

pytestmark = pytest.mark.slow  # `mockserver fuzz` subprocesses against a real mock

DATA = Path(__file__).parent / "data" / "fuzz"
TOKEN = "mock-fuzz-token"
APP_ID = "1400000555"
CREDENTIALS = ("--token", TOKEN, "--sdkappid", APP_ID)
SCENARIOS: list[dict[str, Any]] = yaml.safe_load((DATA / "scenarios.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def mock() -> Iterator[RunningServer]:
    with start_server(*CREDENTIALS) as running:
        yield running


def test_the_mock_with_its_defaults_passes(mock: RunningServer, tmp_path: Path) -> None:
    mock.reset()
    run = fuzz(mock.url + "/", tmp_path, *CREDENTIALS, max_examples=5)
    assert run.code == 0, run.stdout + run.stderr
    assert run.failed_checks() == set()
    # every check judged something: nothing passed by being skipped
    assert len(run.judged_checks()) == 7, run.stdout
    # the fuzzer's requests really reached the mock, valid and invalid ones
    assert mock.count(verdict="valid") > 0
    assert mock.count(verdict="invalid") > 0


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s["id"])
def test_a_misbehaving_mock_fails_exactly_the_expected_checks(
    mock: RunningServer, scenario: dict[str, Any], tmp_path: Path
) -> None:
    if scenario.get("no_token_on_server"):
        # a backend that never checks signatures (it still checks its app id)
        with start_server("--sdkappid", APP_ID) as careless:
            run = fuzz(careless.url + "/", tmp_path, *CREDENTIALS, *scenario.get("fuzz", []))
    else:
        mock.reset()
        mock.load_script(DATA / scenario["script"])
        try:
            run = fuzz(mock.url + "/", tmp_path, *CREDENTIALS, *scenario.get("fuzz", []))
        finally:
            mock.clear_script()
    assert run.code == 1, run.stdout + run.stderr
    assert run.failed_checks() == set(scenario["fails"]), run.stdout
    assert "curl -X POST" in run.stdout
