"""Start uvicorn with the mock: one process, or `--workers N` sharing one socket and one journal.

uvicorn owns the signals (SIGINT/SIGTERM stop it gracefully: in-flight answers finish, the
journal drains, the supervisor reaps its workers). With several workers the script is checked
and stored once, here, before any worker starts, so a bad script fails fast with one message
and every worker reads the same version from the journal database.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

from mockserver.contract import load_contract
from mockserver.errors import BindError
from mockserver.server.app import CONFIG_ENV, MockServer, ServerConfig
from mockserver.server.journal import Journal
from mockserver.server.protocol import GuardedHttpToolsProtocol
from mockserver.server.scriptbook import ScriptBook
from mockserver.server.scriptstore import ScriptStore

__all__ = ["BindError", "bind", "ready_line", "serve"]


def ready_line(host: str, port: int, config: ServerConfig, workers: int) -> str:
    """The line printed once the socket listens; `mockserver.server.testing` waits for it."""
    return f"mockserver: serving http://{host}:{port} (workers: {workers}, journal: {config.journal})"


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, announce: str | None) -> None:
        super().__init__(config)
        self._announce = announce

    async def main_loop(self) -> None:
        await super().main_loop()
        # uvicorn re-raises the captured SIGINT/SIGTERM once shut down, which would kill the
        # process before the CLI removes its temporary journal; a requested stop is a clean exit.
        self._captured_signals.clear()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self._announce is not None:
            port = self.servers[0].sockets[0].getsockname()[1] if self.servers else 0
            print(self._announce.replace(":0 (", f":{port} ("), flush=True)


def quiet_connexion() -> None:
    """connexion logs every refused request at WARNING; the journal already records them."""
    logging.getLogger("connexion").setLevel(logging.ERROR)


def serve(
    config: ServerConfig, *, host: str, port: int, workers: int = 1, uvicorn_options: dict[str, Any] | None = None
) -> None:
    """Run until SIGINT/SIGTERM."""
    options: dict[str, Any] = {
        "log_level": "warning",
        "access_log": False,
        "lifespan": "on",
        "timeout_graceful_shutdown": 5,
        "http": GuardedHttpToolsProtocol,
    }
    options.update(uvicorn_options or {})
    quiet_connexion()
    if workers <= 1:
        app = MockServer(config)
        try:
            sock = bind(host, port)
        except BindError:
            app.journal.close()
            raise
        server = _Server(uvicorn.Config(app, host=host, port=port, **options), ready_line(host, port, config, 1))
        server.run(sockets=[sock])
        return
    config.shared = True
    journal = Journal(config.journal)  # opened once here: a bad --journal fails before any worker starts
    journal.close()
    if config.script and not config.script_loaded:
        book = ScriptBook(load_contract(config.spec), ScriptStore(config.journal), shared=True)
        try:
            book.load(Path(config.script))
        finally:
            book.close()
        config.script_loaded = True
    os.environ[CONFIG_ENV] = config.to_json()
    uv_config = uvicorn.Config(
        "mockserver.server.app:app_from_environment", factory=True, host=host, port=port, workers=workers, **options
    )
    sock = bind(host, port)
    sock.listen(uv_config.backlog)  # connections wait in the backlog until a worker accepts them
    print(ready_line(host, sock.getsockname()[1], config, workers), flush=True)
    Multiprocess(uv_config, sockets=[sock]).run()
    sys.stdout.flush()


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound here rather than by uvicorn.

    uvicorn logs a bind failure and calls `sys.exit(1)` (3 for a single worker), which skips the
    CLI's cleanup and exit-code convention; a `BindError` lets `mockserver serve` say which
    option is wrong and exit 2. Same options as uvicorn's own `Config.bind_socket`.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise BindError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock
