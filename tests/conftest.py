"""Fixtures shared by the whole suite, and the fast tier's promise that it reaches every module."""

from __future__ import annotations

import gc
import pkgutil
import re
import sys
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import mockserver
from mockserver.contract import Contract, load_contract

if TYPE_CHECKING:  # imported by the fixture: the xdist controller, which runs no test, never needs it
    from mockserver.validation import DeliveryValidator

FAST_TIER = "not slow"
_REACHED = "mockserver_modules_reached"
_reached_on_workers: set[str] = set()


@pytest.fixture(scope="session")
def contract() -> Contract:
    return load_contract()


@pytest.fixture(scope="session")
def validator(contract: Contract) -> DeliveryValidator:
    from mockserver.validation import DeliveryValidator  # openapi-core and friends: 0.45 s to import

    return DeliveryValidator(contract)


def _package_modules() -> set[str]:
    """Every module of the package a test can reach (entry points of child processes excluded).

    `locustfile` runs only inside Locust's own process: importing it monkey-patches the importing
    process with gevent, so the slow tier runs it through `mockserver load` instead.
    """
    found = set(_modules_under(Path(mockserver.__file__).parent, "mockserver."))
    return {m for m in found if not m.endswith(("__main__", "sandbox_child", "locustfile"))}


def _modules_under(directory: Path, prefix: str) -> Iterator[str]:
    """The modules of a package, read from its directory: `pkgutil.walk_packages` imports every
    subpackage to find its path, which in the xdist controller (no test imports anything there)
    cost 0.6 s of each fast-tier run, schemathesis and connexion included."""
    for module in pkgutil.iter_modules([str(directory)], prefix):
        if module.ispkg:
            yield from _modules_under(directory / module.name.rpartition(".")[2], module.name + ".")
        else:
            yield module.name


def _loaded() -> set[str]:
    return {name for name in sys.modules if name.startswith("mockserver.")}


_SLOW_MODULE = re.compile(r"^pytestmark = \[?pytest\.mark\.slow\b", re.MULTILINE)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """The fast tier does not even import a test module that is slow as a whole.

    Importing one only to deselect every test in it costs each worker its imports (Playwright,
    the real-server helpers) and collection; the module-reach check below then also counts only
    what the fast tests themselves import.
    """
    if config.getoption("markexpr") != FAST_TIER or collection_path.suffix != ".py":
        return None
    if not collection_path.name.startswith("test_"):
        return None
    return True if _SLOW_MODULE.search(collection_path.read_text(encoding="utf-8")) else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `run_first` run before the rest, which keep their order.

    pytest-xdist's worksteal gives each worker a contiguous slice of the tests and moves tests
    from the back of a busy worker's queue to an idle one: tests at the very front stay on the
    first worker. A module whose fixtures are costly (Chromium and a two-worker mock) then sets
    them up once, not once on each worker it was spread over (docs/testing.md has the figures).
    """
    items.sort(key=lambda item: item.get_closest_marker("run_first") is None)


@pytest.hookimpl(wrapper=True)
def pytest_collection(session: pytest.Session) -> Generator[None, object, object]:
    """The garbage collector sits out collection, and then stops walking what collection built.

    Collection imports the test modules (connexion, openapi-core, schemathesis...) and builds the
    parametrized cases: objects that live to the end of the run, which each full collection walks
    again (some 175,000 in each process). Paused during collection (0.35 s a process) and frozen
    after it (`gc.freeze`, 0.7 s a worker over a fast-tier run), they are left out of every later
    collection; what the tests create is collected as usual. docs/testing.md has the figures.
    """
    gc.disable()
    try:
        return (yield)
    finally:
        gc.collect()
        gc.freeze()
        gc.enable()


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """The interpreter's shutdown runs full collections while it clears the modules (about 0.5 s a
    process here, and an xdist run waits for its slowest worker to exit); frozen, nothing is walked."""
    gc.freeze()


def pytest_testnodedown(node: Any, error: object) -> None:
    """Under pytest-xdist, the controller collects what each worker imported (see pytest_sessionfinish)."""
    _reached_on_workers.update(getattr(node, "workeroutput", {}).get(_REACHED, ()))


_NARROWING = ("keyword", "deselect", "ignore", "ignore_glob", "lf", "stepwise")
"""Options that leave tests of the tier out (-k, --deselect, --ignore, --ignore-glob, --lf, --sw)."""


def _whole_fast_tier(config: pytest.Config) -> bool:
    """Whether this session runs the whole fast tier: `-m "not slow"` over the test paths, from
    wherever it was started, with nothing else left out and the tests run, not only listed.

    The module-reach promise is the tier's: a run of one file, or `-k` a few tests, reaches less.
    """
    if config.getoption("markexpr") != FAST_TIER or config.option.collectonly:
        return False
    if any(config.getoption(name, default=None) for name in _NARROWING):
        return False
    roots = {(config.rootpath / path).resolve() for path in config.getini("testpaths")}
    given = {(config.invocation_params.dir / arg.partition("::")[0]).resolve() for arg in config.args}
    return given == roots


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The fast tier (`make test-fast`, `-m "not slow"`) must still reach every module of the package.

    Slow tests (real servers, subprocesses, browsers) are left out of it; this keeps the tier
    honest: a module only the slow tests load would otherwise go untested on every quick run.
    Under pytest-xdist each worker reports the modules it loaded and the controller checks the union.
    """
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: report, the controller decides
        workeroutput[_REACHED] = sorted(_loaded())
        return
    if not _whole_fast_tier(session.config) or exitstatus != 0 or session.testscollected == 0:
        return
    missed = sorted(_package_modules() - _loaded() - _reached_on_workers)
    if missed:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"the fast tier imports no test of: {', '.join(missed)}", red=True)
