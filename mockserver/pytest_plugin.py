"""pytest plugin (entry point `pytest11`): a real mock app backend per test session.

Installing the kit registers this plugin in every pytest run of the environment, so importing
it costs nothing: no web framework, no warning, no file. The server machinery is imported when a
fixture is first used, and the server's stderr goes to a temporary file that is removed when
the server stops.

Fixtures:

* `mockserver` - a `RunningServer` shared by the session, reset (empty journal, no script)
  before each test that uses it. `mockserver.url` is the webhook URL to point a sender at.
* `mockserver_factory` - start servers with your own options (`--token`, `--sdkappid`,
  `--workers`, ...); each is stopped at the end of the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mockserver.server.testing import RunningServer

__all__ = ["mockserver", "mockserver_factory", "mockserver_session"]


@pytest.fixture(scope="session")
def mockserver_session() -> Iterator[RunningServer]:
    """One server for the whole session (started on first use)."""
    from mockserver.server.testing import start_server

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
    from mockserver.server.testing import start_server

    started: list[RunningServer] = []

    def factory(*args: str, **kwargs: Any) -> RunningServer:
        server = start_server(*args, **kwargs)
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()
