"""The pytest entry point: a user's suite gets one test per (webhook, check) from `conformance_tests`.

A real pytest session (pytester's, in this process) runs a user's test file against a backend
on 127.0.0.1 with one semantic flaw: exactly that cell fails and every other one passes.
"""

from __future__ import annotations

import re

import pytest

from mockserver.contract import Contract
from tests.support.fuzz_backends import Flaws, backend_app, serve
from tests.support.fuzzing import APP_ID, MAX_EXAMPLES, SEED, TOKEN

pytest_plugins = ["pytester"]

USER_SUITE = """
import os
import pytest
from mockserver.fuzz.pytest import conformance_tests

@pytest.mark.parametrize(
    "conformance",
    conformance_tests(lambda: os.environ["WEBHOOK_URL"], token=os.environ["WEBHOOK_TOKEN"],
                      sdkappid=os.environ["WEBHOOK_APP_ID"], max_examples={max_examples}, seed={seed}),
)
def test_backend_conforms(conformance):
    conformance()
"""


def run_user_suite(url: str, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.RunResult:
    pytester.makepyfile(test_user_suite=USER_SUITE.format(max_examples=MAX_EXAMPLES, seed=SEED))
    for name, value in {"WEBHOOK_URL": url, "WEBHOOK_TOKEN": TOKEN, "WEBHOOK_APP_ID": APP_ID}.items():
        monkeypatch.setenv(name, value)
    # hypothesis's plugin would load after this process imported hypothesis (and warn): a user's
    # own session loads it first, so it is left out of the nested one
    return pytester.runpytest_inprocess("-q", "-rA", "-p", "no:cacheprovider", "-p", "no:hypothesispytest")


def outcomes(output: str) -> dict[str, str]:
    found = re.findall(r"^(PASSED|FAILED|SKIPPED|ERROR)\S* \S*test_backend_conforms\[([^\]]+)\]", output, re.M)
    return {test_id: outcome for outcome, test_id in found}


@pytest.mark.slow  # a pytest session running a fuzzing run
def test_a_flaw_fails_exactly_its_cell(
    contract: Contract, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve(backend_app(contract, Flaws(refuse_strangers=True), token=TOKEN, app_id=APP_ID)) as url:
        proc = run_user_suite(url, pytester, monkeypatch)
    assert proc.ret == pytest.ExitCode.TESTS_FAILED
    stdout = proc.stdout.str()
    results = outcomes(stdout)
    # 6 checks per webhook, plus the unknown-command row's within-timeout and unknown-command
    assert len(results) == 6 * len(contract.webhooks) + 2, stdout
    refusing = next(w for w in contract.webhooks if w.subset_of)
    failed = {test_id for test_id, outcome in results.items() if outcome == "FAILED"}
    assert failed == {f"{refusing.name}-semantics"}
    assert {outcome for test_id, outcome in results.items() if test_id not in failed} == {"PASSED"}
    assert "curl -X POST" in stdout
