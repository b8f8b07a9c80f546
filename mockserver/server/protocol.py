"""uvicorn's httptools protocol with limits on the request head, whose refusals reach the app.

uvicorn (0.54) puts no limit on the size of a request head with httptools and no deadline on
its arrival: a 64 MiB header was read for ten seconds and answered 200, and connections that
send half their headers were held for ever (slowloris). Its h11 protocol has a size limit but
answers it, and any malformed request, with a plain-text 400 that no journal sees.

`GuardedHttpToolsProtocol` keeps uvicorn's parser and request cycle and adds:

* a size limit on the request line plus headers (`HeadLimits.max_bytes`), counted on the bytes
  read while a head is incomplete (httptools hands a header over only once it is whole, so a
  header that never ends is seen this way only): past it, 414 (a long request line) or 431;
* a deadline for the whole head to arrive (`HeadLimits.timeout_s`), armed at a connection's
  first byte and at each new request's first byte: past it, 408;
* malformed HTTP answered 400.

Each refusal is handed to the application as an ordinary request whose scope carries the
`Problem` under `REFUSAL` (with what did arrive: the method, the path and query so far, the
complete headers), so the mock journals it and answers problem+json through its one answering
path. The connection is closed after the answer. The limits travel from the application to the
protocol through the lifespan state (`HEAD_LIMITS`), which uvicorn hands to every protocol
instance, so `--workers` processes need nothing else.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httptools
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from mockserver.server.problems import Problem

__all__ = ["HEAD_LIMITS", "REFUSAL", "GuardedHttpToolsProtocol", "HeadLimits"]

REFUSAL = "mockserver.refusal"
"""Scope state key: the `Problem` the HTTP layer refused this request with."""

HEAD_LIMITS = "mockserver.head_limits"
"""Lifespan state key: the `HeadLimits` the application asks its protocol to enforce."""


@dataclass(frozen=True)
class HeadLimits:
    """How large a request head may be and how long it may take to arrive."""

    max_bytes: int = 64 * 1024
    timeout_s: float = 10.0


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with a bounded and timed request head (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limits = self.app_state.get(HEAD_LIMITS)
        self._limits = limits if isinstance(limits, HeadLimits) else HeadLimits()
        self._head_bytes = 0
        self._head_timer: asyncio.TimerHandle | None = None
        self._refusal: Problem | None = None
        self._begun = False
        """A request's first byte has been parsed and its headers are not complete yet."""

    # ------------------------------------------------------------ the deadline
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self._limits.timeout_s, self._head_too_slow)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self._refusal is not None or self.transport.is_closing():
            return
        if not self._begun:  # connected and silent: nothing to journal, nobody to answer
            self.transport.close()
            return
        self._refuse(Problem(408, f"the request head did not arrive within {self._limits.timeout_s:g} s", "request"))
        self._answer_refusal()

    # ---------------------------------------------------------- the size limit
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = 0
        self._begun = True
        self._arm()

    def on_headers_complete(self) -> None:
        self._begun = False
        self._disarm()
        super().on_headers_complete()

    def _count(self, size: int) -> None:
        """Bytes of a head still incomplete after a read; past the limit, 414 or 431 (by what is long)."""
        self._head_bytes += size
        limit = self._limits.max_bytes
        if self._head_bytes <= limit:
            return
        if len(self.url or b"") * 2 > self._head_bytes:
            self._refuse(
                Problem(414, f"the request line is longer than the {limit} bytes a request head may have", "url")
            )
        else:
            self._refuse(Problem(431, f"the request headers pass the {limit} bytes a request head may have", "headers"))
        self._answer_refusal()

    def _refuse(self, problem: Problem) -> None:
        problem.headers.setdefault("Connection", "close")
        self._refusal = problem

    # ------------------------------------------------------------ the parser
    def data_received(self, data: bytes) -> None:
        if self._refusal is not None:
            return  # refused: the rest of this connection is not read
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
            if self._begun:  # the head is still incomplete, so every byte of this read belongs to it
                self._count(len(data))
        except httptools.HttpParserUpgrade:
            super().data_received(b"")  # uvicorn's own handling of upgrades
        except httptools.HttpParserError as exc:
            if self._refusal is None:
                reason = str(exc.__cause__ or exc) or type(exc).__name__
                self._refuse(Problem(400, f"not a valid HTTP/1.1 request: {reason}", "request"))
            self._answer_refusal()

    def _answer_refusal(self) -> None:
        """Hand the refusal to the application as a request of what arrived, then close."""
        self._disarm()
        self.transport.pause_reading()
        if not self._begun:  # refused before the parser saw the request start: a fresh scope
            self.on_message_begin()
        self._begun = False
        scope: Any = self.scope
        try:
            scope["method"] = self.parser.get_method().decode("ascii", "replace")
        except httptools.HttpParserError:
            scope["method"] = "GET"
        raw_path, _, query = (self.url or b"").partition(b"?")
        scope["path"] = raw_path.decode("latin-1") or "/"
        scope["raw_path"] = raw_path
        scope["query_string"] = query
        scope["state"][REFUSAL] = self._refusal
        cycle = RequestResponseCycle(
            scope=scope,
            transport=self.transport,
            flow=self.flow or FlowControl(self.transport),
            logger=self.logger,
            access_logger=self.access_logger,
            access_log=self.access_log,
            default_headers=self.server_state.default_headers,
            message_event=asyncio.Event(),
            expect_100_continue=False,
            keep_alive=False,
            on_response=self.on_response_complete,
        )
        cycle.more_body = False  # no body is read after a refused head
        self.cycle = cycle
        self._start_asgi_task(cycle, self.app)
