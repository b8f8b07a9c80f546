"""Conformance fuzzing inside a team's own pytest suite: one test per (webhook, check).

    from mockserver.fuzz.pytest import conformance_tests

    @pytest.mark.parametrize("conformance", conformance_tests("http://127.0.0.1:8080/", token="s3cret"))
    def test_backend_conforms(conformance):
        conformance()

The whole fuzzing run happens once, when the first of these tests runs (so a server that a
session fixture starts is up by then; pass `url` as a callable to read it late), and each test
then asserts its own cell of the result: a failure shows the reason and the reproducing curl.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from mockserver.contract import Contract, load_contract
from mockserver.fuzz.cases import UNKNOWN_TARGET, ProbeKind
from mockserver.fuzz.checks import CHECKS, get_check
from mockserver.fuzz.runner import FuzzOptions, FuzzResult, Unreachable, run

__all__ = ["ConformanceTest", "conformance_tests"]


class _SharedRun:
    """One fuzzing run, started by whichever test needs it first."""

    def __init__(self, url: str | Callable[[], str], options: dict[str, Any], contract: Contract) -> None:
        self.url = url
        self.options = options
        self.contract = contract
        self._result: FuzzResult | None = None
        self._error: str | None = None

    def result(self) -> FuzzResult:
        if self._error is not None:
            pytest.fail(self._error, pytrace=False)
        if self._result is None:
            url = self.url() if callable(self.url) else self.url
            try:
                self._result = run(FuzzOptions(url=url, **self.options), self.contract)
            except Unreachable as exc:
                self._error = str(exc)
                pytest.fail(self._error, pytrace=False)
        return self._result


@dataclass(frozen=True)
class ConformanceTest:
    """Asserts that one webhook (or the unknown-command row) passed one check; call it in a test."""

    check: str
    target: str
    _run: _SharedRun

    def __call__(self) -> None:
        result = self._run.result()
        found = [f for f in result.failures.values() if f.check == self.check and f.target == self.target]
        if found:
            lines = [f"{self.target} fails {self.check} (seed {result.seed}):"]
            for failure in found:
                lines += [
                    f"- {failure.summary} ({failure.occurrences}x): {failure.detail}",
                    f"  request: {failure.probe}",
                    f"  {failure.curl}",
                ]
            pytest.fail("\n".join(lines), pytrace=False)
        if result.aborted is not None:
            pytest.fail(f"the run stopped early: {result.aborted}", pytrace=False)
        if not result.tally(self.check, self.target).passed:
            pytest.skip(f"no request judged by {self.check} for {self.target}")

    def __str__(self) -> str:
        return f"{self.target}-{self.check}"


def conformance_tests(
    url: str | Callable[[], str],
    *,
    token: str | None = None,
    sdkappid: str | None = None,
    max_examples: int = 20,
    seed: int | None = 0,
    timeout: float | None = None,
    checks: tuple[str, ...] = (),
    contract: Contract | None = None,
) -> list[Any]:
    """`pytest.param`s, one per webhook and check, ids like ``BeforeAddSubscriber-semantics``.

    The arguments are `mockserver fuzz`'s options. `seed` defaults to 0 so that a suite is
    deterministic; pass None for a new seed each session.
    """
    contract = contract if contract is not None else load_contract()
    selected = tuple(get_check(name).name for name in checks) or tuple(CHECKS)
    shared = _SharedRun(
        url,
        {
            "token": token,
            "app_id": sdkappid,
            "max_examples": max_examples,
            "seed": seed,
            "timeout": timeout,
            "checks": selected,
        },
        contract,
    )
    params = []
    targets = [webhook.name for webhook in contract.webhooks] + [UNKNOWN_TARGET]
    for target in targets:
        for name in selected:
            kinds = CHECKS[name].kinds
            if target == UNKNOWN_TARGET and ProbeKind.UNKNOWN_COMMAND not in kinds:
                continue
            if target != UNKNOWN_TARGET and kinds == {ProbeKind.UNKNOWN_COMMAND}:
                continue
            test = ConformanceTest(name, target, shared)
            params.append(pytest.param(test, id=str(test)))
    return params
