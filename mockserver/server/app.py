"""The mock app backend as one ASGI application.

Layers, outside in:

* `MockServer.__call__` records every request and its answer in the journal (valid or not,
  refused, faulted), enforces `--max-body` and the webhook URL's method and media type, and
  turns a `Problem` raised anywhere below into an RFC 7807 answer. It is the one place that
  sees every byte, so no delivery can escape the journal.
* `/__admin` goes to a connexion `AsyncApp` serving `admin-openapi.yaml`.
* Deliveries are judged by `DeliveryChecks` and answered from the script. Two lanes reach
  those checks: the direct lane calls them itself; the connexion lane (`engine="connexion"`)
  routes through `ConnexionMiddleware` with the same checks in its validator map. Measured on
  this machine (docs/readme/mock-server.md), connexion's middleware stack alone costs more than
  half the throughput of a bare Starlette app even with no-op validators, so the direct lane
  is the default and the connexion lane is the reference the tests compare it against.
  Everything else under the contract (Swagger UI at /ui/, /openapi.json, unknown paths) is
  served by connexion in both modes.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import os
import signal
import socket
import struct
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Literal

import connexion
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.middleware import ConnexionMiddleware
from connexion.resolver import Resolver
from starlette.types import Message, Receive, Scope, Send
from werkzeug.http import parse_options_header

from mockserver.contract import load_contract
from mockserver.server.admin import admin_document, allowed_methods, build_admin_app
from mockserver.server.journal import Journal, Record
from mockserver.server.problems import PROBLEM_JSON, Problem, send_problem
from mockserver.server.scriptbook import ScriptBook
from mockserver.server.scripts import Fault, Reply, ScriptError
from mockserver.server.scriptstore import ScriptStore
from mockserver.server.typed import Decoder, generated_decoder
from mockserver.server.validators import (
    CheckedDelivery,
    DeliveryChecks,
    checked_from_scope,
    parse_query,
    signature_from_scope,
    validator_map,
)
from mockserver.signing import SignatureCheck

__all__ = ["Decoder", "MockServer", "ServerConfig", "app_from_environment"]

logger = logging.getLogger("mockserver.serve")

CONFIG_ENV = "MOCKSERVER_SERVE_CONFIG"
"""The environment variable that carries `ServerConfig` (as JSON) to `--workers` processes."""

_SWITCH_INTERVAL = 0.0001
"""The interpreter's thread switch interval while serving (CPython's default is 5 ms)."""

_CTX = "mockserver.ctx"
_DOC_PATHS = ("/ui", "/openapi.json", "/openapi.yaml")


@dataclass
class ServerConfig:
    """Everything `mockserver serve` takes; JSON-serialisable so `--workers` processes can rebuild it."""

    journal: str
    spec: str | None = None
    script: str | None = None
    sdkappid: str | None = None
    token: str | None = None
    admin_token: str | None = None
    max_body: int | None = None
    """Largest body accepted; None means the contract's `x-delivery.maxBodyBytes`."""
    max_hang_ms: int = 10_000
    body_timeout: float = 10.0
    engine: Literal["direct", "connexion"] = "direct"
    shared: bool = False
    quiet: bool = True
    script_loaded: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServerConfig:
        return cls(**json.loads(text))


class _Disconnected(Problem):
    """The sender hung up before the request was complete: journaled, never answered."""


@dataclass
class _Context:
    record: Record
    transport: Any
    checked: bool = False
    signature: SignatureCheck | None = None
    """The verdict the query checks reached (None: they stopped before the signature)."""


class MockServer:
    """The ASGI application behind `mockserver serve`."""

    def __init__(self, config: ServerConfig, *, decoder: Decoder | None = None) -> None:
        self.config = config
        self.contract = load_contract(config.spec)
        self.checks = DeliveryChecks(self.contract, sdkappid=config.sdkappid, token=config.token)
        self.journal = Journal(config.journal)
        self.scripts = ScriptBook(self.contract, ScriptStore(config.journal), shared=config.shared)
        if config.script and not config.script_loaded:
            try:
                self.scripts.load(Path(config.script))
            except ScriptError:
                self.scripts.close()
                self.journal.close()
                raise
        if decoder is None:
            decoder, self.decoder_status = generated_decoder(self.contract)
        else:
            self.decoder_status = "typed models: a custom decoder"
        self.decoder: Decoder | None = decoder
        self._webhook_path = self.contract.path
        self._hang_default_ms = int((self.contract.timeout_seconds + 1) * 1000)
        self._max_body = config.max_body if config.max_body is not None else self.contract.max_body_bytes
        self.connexion = self._contract_app()
        self.admin = build_admin_app(self)
        self.stopping = asyncio.Event()
        self._admin_allow = allowed_methods(admin_document(self.contract.commands))

    # ------------------------------------------------------------ connexion
    def _contract_app(self) -> ConnexionMiddleware:
        app = ConnexionMiddleware(self._connexion_endpoint, resolver=Resolver(function_resolver=lambda _: _unused))
        app.add_api(
            dict(self.contract.document),
            validator_map=validator_map(self.checks),
            swagger_ui_options=connexion.options.SwaggerUIOptions(swagger_ui=True),
        )
        app.add_error_handler(Problem, self._problem_handler)
        return app

    @staticmethod
    def _problem_handler(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        assert isinstance(exc, Problem)
        ctx = request.scope.get("state", {}).get(_CTX)
        if isinstance(ctx, _Context):
            ctx.record.errors = [v.as_dict() for v in exc.errors]
        return ConnexionResponse(
            status_code=exc.status,
            body=exc.body(),
            content_type=PROBLEM_JSON,
            mimetype=PROBLEM_JSON,
            headers=exc.headers,
        )

    async def _connexion_endpoint(self, scope: Scope, receive: Receive, send: Send) -> None:
        delivery = checked_from_scope(scope)
        ctx = scope["state"][_CTX]
        if delivery is None:  # connexion hands unrouted requests to the wrapped app
            raise Problem(404, f"nothing at {scope['path']}; webhooks are POSTed to {self._webhook_path}", "path")
        await self._answer(delivery, ctx, receive, send)

    # ----------------------------------------------------------------- ASGI
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        if path == "/__admin" or path.startswith("/__admin/"):
            await self._admin(scope, receive, send)
            return
        if scope["method"] in ("GET", "HEAD") and path.startswith(_DOC_PATHS):
            await self.connexion(scope, receive, send)
            return
        await self._delivery(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if not self.config.quiet:
                    logger.info("%s", self.decoder_status)
                # The contract, the validators and connexion's apps live as long as the process:
                # moving them out of the collector's reach keeps full collections (which stall
                # the event loop) short under load.
                gc.collect()
                gc.freeze()
                # The journal's writer thread shares the GIL with the event loop. CPython hands the
                # GIL over every `switchinterval` (5 ms by default), so a request could wait that
                # long behind a batch; a shorter interval bounds the wait (bench/bench_server.py:
                # p99 26 ms -> 4.6 ms). Process-wide, so it is set here, when a server starts, and
                # not by whoever opens a journal.
                sys.setswitchinterval(min(sys.getswitchinterval(), _SWITCH_INTERVAL))
                self._watch_exit_signals()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await asyncio.to_thread(self.scripts.close)
                await asyncio.to_thread(self.journal.close)
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _watch_exit_signals(self) -> None:
        """Set `stopping` on SIGINT/SIGTERM, then let uvicorn's own handler run.

        uvicorn waits up to its graceful timeout for open requests, then cancels them and logs
        a traceback for each. Scripted delays, hangs and admin waits sleep through `pause()`,
        which returns as soon as a stop is asked for, so a stop is prompt and clean.
        """
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous = signal.getsignal(sig)
            if not callable(previous):
                continue

            def handler(signum: int, frame: FrameType | None, previous: Callable[..., Any] = previous) -> None:
                loop.call_soon_threadsafe(self.stopping.set)
                previous(signum, frame)

            with contextlib.suppress(ValueError):  # not the main thread (an embedding test runner)
                signal.signal(sig, handler)

    async def pause(self, seconds: float) -> None:
        """Sleep `seconds`, or less if the server is stopping."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), max(0.0, seconds))

    async def _admin(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = self.config.admin_token
        if token is not None:
            given = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
            if given != f"Bearer {token}":
                await send_problem(
                    send,
                    Problem(
                        401,
                        "the admin API needs 'Authorization: Bearer <admin token>'",
                        "header.Authorization",
                        headers={"WWW-Authenticate": "Bearer"},
                    ),
                )
                return
        allow = self._admin_allow.get(scope["path"].rstrip("/"))

        async def with_allow(message: Message) -> None:
            # connexion's 405 has no Allow header (RFC 9110 requires one); add it from the document.
            if allow and message["type"] == "http.response.start" and message["status"] == 405:
                message = {**message, "headers": [*message.get("headers", []), (b"allow", allow.encode())]}
            await send(message)

        await self.admin(scope, receive, with_allow)

    async def _delivery(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = time.perf_counter()
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        query = parse_query(scope.get("query_string", b""))
        record = Record(time.time(), scope["method"], scope["path"], query, headers, b"")
        ctx = _Context(record, getattr(getattr(send, "__self__", None), "transport", None))
        scope.setdefault("state", {})[_CTX] = ctx
        started = False

        async def recording_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                record.status = message["status"]
                record.response_headers = {
                    k.decode("latin-1"): v.decode("latin-1") for k, v in message.get("headers", [])
                }
            elif message["type"] == "http.response.body":
                record.response_body += message.get("body", b"")
            await send(message)

        try:
            if scope["path"] != self._webhook_path:
                await self.connexion(scope, receive, recording_send)
            elif scope["method"] != "POST":
                raise Problem(
                    405,
                    f"{scope['method']} is not allowed here; webhooks are POSTed",
                    "method",
                    headers={"Allow": "POST"},
                )
            else:
                await self._webhook(scope, receive, recording_send, ctx, headers)
        except Problem as problem:
            record.errors = [v.as_dict() for v in problem.errors] or (
                [{"field": problem.field, "reason": problem.detail}] if problem.field else []
            )
            if not started and not isinstance(problem, _Disconnected):  # nobody is left to answer
                await send_problem(recording_send, problem)
        except ScriptError as exc:
            record.errors = [{"field": "script", "reason": str(exc)}]
            if not started:
                await send_problem(recording_send, Problem(500, f"the script failed: {exc}", "script"))
        except Exception as exc:  # a bug of ours: still answer in the problem format, still journal
            logger.exception("internal error while answering a delivery")
            record.errors = [{"field": "server", "reason": f"internal error: {type(exc).__name__}: {exc}"}]
            if not started:
                await send_problem(recording_send, Problem(500, f"internal error: {type(exc).__name__}: {exc}"))
        finally:
            if record.verdict == "valid" and not ctx.checked:
                record.verdict = "invalid"
            if self.checks.signer.token is not None:
                # Verified once by the checks; again only when they stopped before the signature.
                check = ctx.signature or signature_from_scope(scope) or self.checks.signer.verify(query)
                record.signature = check.verdict.value
            record.latency_ms = (time.perf_counter() - start) * 1000
            self.journal.append(record)
            if not self.config.quiet:
                logger.info(
                    "%s %s %s %s %.1f ms",
                    record.command or "-",
                    record.verdict,
                    record.status if record.status is not None else record.fault,
                    record.rule or "default",
                    record.latency_ms,
                )

    async def _webhook(
        self, scope: Scope, receive: Receive, send: Send, ctx: _Context, headers: Mapping[str, str]
    ) -> None:
        content_type = headers.get("content-type")
        if not content_type:
            raise Problem(
                415, "the Content-Type header is missing; webhooks are application/json", "header.Content-Type"
            )
        mime, options = parse_options_header(content_type)
        if mime.lower() != "application/json":
            raise Problem(415, f"{mime!r} is not application/json", "header.Content-Type")
        charset = options.get("charset", "utf-8").lower()
        if charset not in ("utf-8", "utf8"):
            raise Problem(415, f"charset {charset!r} is not UTF-8", "header.Content-Type")
        raw = await self._read_body(receive, headers, ctx.record)
        if self.config.engine == "connexion":
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": raw, "more_body": False}
                return await receive()

            await self.connexion(scope, replay, send)
            return
        ctx.signature = self.checks.check_query(ctx.record.query)
        delivery = self.checks.check_body(ctx.record.query, raw)
        await self._answer(delivery, ctx, receive, send)

    async def _read_body(self, receive: Receive, headers: Mapping[str, str], record: Record) -> bytes:
        """The whole body, or a `Problem`: too large (413), too slow (408), or the sender hung up.

        A body cut short must never be judged: its first bytes can be a complete, valid JSON
        document, and answering it 200 would journal a delivery the sender never finished.
        What did arrive is journaled either way (`record.body`).
        """
        limit = self._max_body
        declared = headers.get("content-length")
        expected = f" of {declared}" if declared is not None else ""

        def too_large() -> Problem:  # built only when raised: this runs for every delivery
            return Problem(
                413, f"the body is larger than {limit} bytes (--max-body)", "body", headers={"Connection": "close"}
            )

        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise too_large()
        chunks: list[bytes] = []
        size = 0
        more = True
        try:
            async with asyncio.timeout(self.config.body_timeout):
                while more:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        raise _Disconnected(
                            400, f"the sender disconnected after {size}{expected} bytes of the body", "body"
                        )
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > limit:
                        raise too_large()
                    chunks.append(chunk)
                    more = message.get("more_body", False)
        except TimeoutError:
            record.body = b"".join(chunks)
            raise Problem(
                408,
                f"the body did not arrive within {self.config.body_timeout:g} s (--body-timeout):"
                f" {size}{expected} bytes received",
                "body",
                headers={"Connection": "close"},
            ) from None
        except Problem:
            record.body = b"".join(chunks)
            raise
        record.body = b"".join(chunks)
        return record.body

    async def _answer(self, delivery: CheckedDelivery, ctx: _Context, receive: Receive, send: Send) -> None:
        record = ctx.record
        record.command = delivery.webhook.command
        if self.decoder is not None:
            try:
                self.decoder(delivery.webhook, record.body)
            except (ValueError, TypeError, RecursionError) as exc:
                raise Problem(400, f"the body does not decode with the typed models: {exc}", "body") from None
        ctx.checked = True
        reply = await self.scripts.reply(delivery.webhook, delivery.document, delivery.query)
        record.rule = reply.rule
        if reply.delay_ms:
            await self.pause(min(reply.delay_ms, self.config.max_hang_ms) / 1000)
        if reply.fault is not None:
            record.fault = reply.fault.value
            if await self._fault(reply, ctx, receive, send):
                return
        await _send_reply(send, reply.status, reply.headers, reply.body)

    async def _fault(self, reply: Reply, ctx: _Context, receive: Receive, send: Send) -> bool:
        """Carry out a fault; True when nothing more is to be sent."""
        if reply.fault is Fault.HANG:
            wanted = reply.hang_ms if reply.hang_ms is not None else self._hang_default_ms
            await self.pause(min(wanted, self.config.max_hang_ms) / 1000)
            return False
        if reply.fault is Fault.MALFORMED:
            body = reply.body[: max(1, len(reply.body) // 2)]
            await _send_reply(
                send, 200, ((b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())), body
            )
            return True
        transport = ctx.transport
        if transport is None:
            raise Problem(
                501, f"fault {reply.fault.value if reply.fault else ''!r} needs uvicorn's transport", "script"
            )
        if reply.fault is Fault.RESET:
            sock = transport.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):  # a platform without SO_LINGER gets a plain close
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
        else:
            transport.close()
        ctx.record.status = None
        try:  # let the server notice the connection is gone, so it does not answer for us
            async with asyncio.timeout(1.0):
                while (await receive())["type"] != "http.disconnect":
                    pass
        except TimeoutError:  # pragma: no cover - the loop always reports the disconnect
            pass
        return True


async def _send_reply(send: Send, status: int, headers: Any, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": list(headers)})
    await send({"type": "http.response.body", "body": body})


def _unused() -> None:  # pragma: no cover - connexion needs a callable per operation; the endpoint is ASGI
    raise RuntimeError("unreachable")


def app_from_environment() -> MockServer:
    """Factory for uvicorn workers: the configuration travels in an environment variable."""
    config = ServerConfig.from_json(os.environ[CONFIG_ENV])
    logging.getLogger("connexion").setLevel(logging.ERROR)
    if not config.quiet:
        logging.basicConfig(level=logging.INFO, format="%(message)s")
    return MockServer(config)
