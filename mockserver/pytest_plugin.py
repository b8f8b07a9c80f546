"""pytest plugin (entry point `pytest11`): a real mock app backend per test session.

Fixtures:

* `mockserver` - a `RunningServer` shared by the session, reset (empty journal, no script)
  before each test that uses it. `mockserver.url` is the webhook URL to point a sender at.
* `mockserver_factory` - start servers with your own options (`--token`, `--sdkappid`,
  `--workers`, ...); each is stopped at the end of the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mockserver.server.testing import RunningServer, start_server

__all__ = ["mockserver", "mockserver_factory", "mockserver_session"]


@pytest.fixture(scope="session")
def mockserver_session() -> Iterator[RunningServer]:
    """One server for the whole session (started on first use)."""
    server = start_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mockserver(mockserver_session: RunningServer) -> RunningServer:
    """The session's server, with an empty journal and no script."""
    mockserver_session.reset()
    return mockserver_session


@pytest.fixture
def mockserver_factory() -> Iterator[Callable[..., RunningServer]]:
    """`mockserver_factory("--token", "t", workers=2)` starts a server that stops after the test."""
    started: list[RunningServer] = []

    def factory(*args: str, **kwargs: Any) -> RunningServer:
        server = start_server(*args, **kwargs)
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()
