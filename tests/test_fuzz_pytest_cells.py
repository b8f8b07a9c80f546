"""`conformance_tests` in process: the cells it lays out, and one shared run that fails every cell alike.

The run against a real backend, in a user's pytest session, is test_fuzz_pytest.py (slow); these
pin what the parametrization is without any server.
"""

from __future__ import annotations

import pytest

from mockserver.contract import Contract
from mockserver.fuzz.cases import UNKNOWN_TARGET
from mockserver.fuzz.checks import CHECKS
from mockserver.fuzz.pytest import ConformanceTest, conformance_tests


def _tests(params: list[object]) -> list[ConformanceTest]:
    found = [p.values[0] for p in params]  # type: ignore[attr-defined]
    assert all(isinstance(t, ConformanceTest) for t in found)
    return found


def test_one_cell_per_webhook_and_check_and_the_unknown_command_row(contract: Contract) -> None:
    params = conformance_tests("http://127.0.0.1:9/", contract=contract)
    cells = {(t.target, t.check) for t in _tests(params)}
    unknown_row = {check for target, check in cells if target == UNKNOWN_TARGET}
    assert unknown_row and unknown_row < set(CHECKS)
    per_webhook = {check for target, check in cells if target == contract.webhooks[0].name}
    assert len(cells) == len(per_webhook) * len(contract.webhooks) + len(unknown_row)
    assert [p.id for p in params] == [f"{t.target}-{t.check}" for t in _tests(params)]


def test_selected_checks_narrow_the_cells(contract: Contract) -> None:
    params = conformance_tests("http://127.0.0.1:9/", checks=("semantics",), contract=contract)
    assert {t.check for t in _tests(params)} == {"semantics"}
    assert {t.target for t in _tests(params)} == {w.name for w in contract.webhooks}


def test_an_unreachable_backend_fails_every_cell_with_one_reason(contract: Contract) -> None:
    """The run happens once, at the first cell; later cells repeat its error instead of running again."""
    first, second = _tests(conformance_tests(lambda: "http://127.0.0.1:9/", checks=("semantics",), contract=contract))[
        :2
    ]
    with pytest.raises(pytest.fail.Exception) as failed:
        first()
    with pytest.raises(pytest.fail.Exception) as again:
        second()
    assert str(failed.value) == str(again.value) and "127.0.0.1:9" in str(failed.value)
