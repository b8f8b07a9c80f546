"""Hostile HTTP peers on raw sockets: a server that trickles its answer, one that answers 50 MB.

uvicorn cannot misbehave at the socket level, so these write bytes themselves. Each runs in a
daemon thread on a kernel-chosen port of 127.0.0.1 and stops when the context exits.
"""

from __future__ import annotations

import itertools
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["huge_answer", "raw_server", "trickle"]

Behaviour = Callable[[socket.socket, threading.Event], None]


def _read_head(conn: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return
        data += chunk


def trickle(body: bytes, gap: float = 0.5, connections: int | None = None) -> Behaviour:
    """Answer 200 with `body`, one byte every `gap` seconds (each read is quick, the whole is slow).

    With `connections`, only that many connections get the trickle; later ones get `body` at
    once, so a run of many requests can show a few slow answers without lasting minutes.
    """
    served = itertools.count()

    def behave(conn: socket.socket, stop: threading.Event) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
        conn.sendall(head)
        if connections is not None and next(served) >= connections:
            conn.sendall(body)
            return
        for byte in body:
            if stop.wait(gap):
                return
            conn.sendall(bytes([byte]))

    return behave


def huge_answer(size: int = 50 * 1024 * 1024) -> Behaviour:
    """Answer 200 with `size` bytes of JSON whitespace."""

    def behave(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % size)
        chunk = b" " * 65536
        for _ in range(0, size, len(chunk)):
            if stop.is_set():
                return
            conn.sendall(chunk)

    return behave


@contextmanager
def raw_server(behaviour: Behaviour) -> Iterator[str]:
    """Yield ``http://127.0.0.1:PORT/`` of a server that reads each request's head, then `behaviour`."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    stop = threading.Event()

    def handle(conn: socket.socket) -> None:
        with conn:
            try:
                _read_head(conn)
                behaviour(conn, stop)
            except OSError:  # the client gave up: that is what these servers provoke
                pass

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/"
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
