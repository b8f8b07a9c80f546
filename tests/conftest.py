"""Fixtures shared by the whole suite: the bundled contract and a validator built once."""

from __future__ import annotations

import pytest

from mockserver.contract import Contract, load_contract
from mockserver.validation import DeliveryValidator


@pytest.fixture(scope="session")
def contract() -> Contract:
    return load_contract()


@pytest.fixture(scope="session")
def validator(contract: Contract) -> DeliveryValidator:
    return DeliveryValidator(contract)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The fast tier (`make test-fast`, `-m "not slow"`) must still reach every module of the package.

    Slow tests (real servers, subprocesses, browsers) are left out of it; this keeps the tier
    honest: a module only the slow tests load would otherwise go untested on every quick run.
    """
    if session.config.getoption("markexpr") != "not slow" or exitstatus != 0 or session.testscollected == 0:
        return
    import pkgutil
    import sys

    import mockserver

    modules = {m.name for m in pkgutil.walk_packages(mockserver.__path__, "mockserver.") if not m.ispkg}
    missed = sorted(m for m in modules - set(sys.modules) if not m.endswith(("__main__", "sandbox_child")))
    if missed:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"the fast tier imports no test of: {', '.join(missed)}", red=True)
