"""What `mockserver serve` does around the app, without starting it: the ready line and the socket.

The ready line is the contract between the server (`server.runner`) and everything that starts
one and waits for it (`server.testing`, the pytest plugin): the URL, the worker count and the
journal must survive the round trip. Binding is done before uvicorn so that a taken port is a
`BindError` naming the address (the CLI turns it into exit 2; see test_server_hostile).
"""

from __future__ import annotations

import socket

import pytest

from mockserver.server import testing
from mockserver.server.app import ServerConfig
from mockserver.server.runner import BindError, bind, ready_line


@pytest.mark.parametrize("journal", ["/tmp/journal.sqlite3", "/tmp/a dir/with (parens).sqlite3"])
def test_the_ready_line_is_what_the_test_helper_waits_for(journal: str) -> None:
    line = ready_line("127.0.0.1", 8080, ServerConfig(journal=journal), 2)
    match = testing._READY.search(line)
    assert match is not None, line
    assert match.groups() == ("http://127.0.0.1:8080", "2", journal)


def test_a_taken_port_is_a_bind_error_naming_the_address() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(BindError, match=f"cannot listen on 127.0.0.1:{port}"):
            bind("127.0.0.1", port).close()


def test_a_free_port_is_bound_and_inheritable_for_the_workers() -> None:
    sock = bind("127.0.0.1", 0)
    try:
        assert sock.getsockname()[1] != 0
        assert sock.get_inheritable()  # `--workers` processes serve on this very socket
    finally:
        sock.close()
