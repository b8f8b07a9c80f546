"""The mock app backend as one ASGI application.

Layers, outside in:

* `MockServer.__call__` records every request and its answer in the journal (valid or not,
  refused, faulted), enforces `--max-body` and the webhook URL's method and media type, and
  turns a `Problem` raised anywhere below into an RFC 7807 answer. It is the one place that
  sees every byte, so no delivery can escape the journal.
* `/__admin` goes to a connexion `AsyncApp` serving `admin-openapi.yaml`.
* Deliveries (`_delivery`, the one delivery path) are judged by `DeliveryValidator`: its
  compiled fast path decides on the event loop, and a refusal is explained (every field named,
  within a budget; see mockserver/validation.py) on a one-thread executor, off the loop. The answer comes
  from the script, a forward to the team's backend, or the webhook's default answer, and
  leaves through `_Answer` only after its record is committed. connexion is not on this path:
  measured (docs/design.md), its middleware stack alone cost more than half the throughput of
  a bare Starlette app; it serves the admin API, Swagger UI at /ui/ and /openapi.json.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import json
import logging
import os
import signal
import socket
import struct
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType
from typing import Any

with warnings.catch_warnings():
    # connexion 3.3 imports jsonschema's deprecated RefResolver and Starlette's test client (which
    # warns about httpx) at import time; neither concerns anyone using the kit, and a warning
    # here would fail the test runs of users with `-W error`. Scoped to this import only.
    warnings.simplefilter("ignore", DeprecationWarning)
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    import connexion
    from connexion.middleware import ConnexionMiddleware
    from connexion.resolver import Resolver
from starlette.types import Message, Receive, Scope, Send

from mockserver.contract import Webhook, load_contract
from mockserver.query import Query, parse_query
from mockserver.server.admin import admin_document, allowed_methods, build_admin_app
from mockserver.server.inspector import Inspector, admin_authorized, unauthorized
from mockserver.server.journal import Journal, Record
from mockserver.server.problems import PROBLEM_JSON, Problem, send_problem
from mockserver.server.protocol import HEAD_LIMITS, REFUSAL, HeadLimits
from mockserver.server.scriptbook import ScriptBook
from mockserver.server.scripts import Fault, Reply, ScriptError
from mockserver.server.scriptstore import ScriptStore
from mockserver.server.typed import Decoder, generated_decoder
from mockserver.signing import SignatureCheck
from mockserver.traffic.sender import Sender
from mockserver.validation import DeliveryValidator, shown

__all__ = ["Decoder", "MockServer", "ServerConfig", "app_from_environment"]

logger = logging.getLogger("mockserver.serve")

CONFIG_ENV = "MOCKSERVER_SERVE_CONFIG"
"""The environment variable that carries `ServerConfig` (as JSON) to `--workers` processes."""

_SWITCH_INTERVAL = 0.0001
"""The interpreter's thread switch interval while serving (CPython's default is 5 ms)."""

_DOC_FILES = ("/openapi.json", "/openapi.yaml")


def _is_doc(path: str) -> bool:
    """Swagger UI and the contract itself, served by connexion; every other path is a delivery."""
    return path in _DOC_FILES or path == "/ui" or path.startswith("/ui/")


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
    header_timeout: float = 10.0
    max_header: int = 64 * 1024
    forward_to: str | None = None
    """Forward each conforming delivery no script rule answers to this URL (the team's local backend)."""
    forward_token: str | None = None
    """Re-sign forwarded deliveries with this token (None: forward the query as it arrived)."""
    log_format: str = "text"
    """One log line per delivery: `text` or `json`."""
    shared: bool = False
    quiet: bool = True
    script_loaded: bool = False

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
        self.validator = DeliveryValidator(self.contract, sdkappid=config.sdkappid, token=config.token)
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
        # Explanations (naming every field of a refused body) run here, one at a time, so a flood of
        # bad bodies queues behind itself instead of taking the event loop from valid deliveries.
        self._explainer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mockserver-explain")
        self.forwarder = (
            Sender(config.forward_to, contract=self.contract, token=config.forward_token)
            if config.forward_to is not None
            else None
        )
        self._docs: ConnexionMiddleware | None = None
        self.admin = build_admin_app(self)
        self.inspector = Inspector(self)
        self.stopping = asyncio.Event()
        self._admin_allow = allowed_methods(admin_document(self.contract.commands))

    @property
    def docs(self) -> ConnexionMiddleware:
        """connexion serving the contract to people: Swagger UI at /ui/ and the document itself.

        Built on the first request for it (on the event loop: there is no await in between, so
        once): connexion validates the whole contract to build it, half of a server's
        construction (37 ms of 75 ms here), and most servers, in tests and in CI, never show it.
        """
        if self._docs is None:
            self._docs = self._docs_app()
        return self._docs

    def _docs_app(self) -> ConnexionMiddleware:
        app = ConnexionMiddleware(_not_found, resolver=Resolver(function_resolver=lambda _: _unused))
        app.add_api(
            dict(self.contract.document),
            swagger_ui_options=connexion.options.SwaggerUIOptions(swagger_ui=True),
        )
        return app

    # ----------------------------------------------------------------- ASGI
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        if path == "/__admin" or path.startswith("/__admin/"):
            await self._admin(scope, receive, send)
            return
        if scope["method"] in ("GET", "HEAD") and _is_doc(path) and REFUSAL not in scope.get("state", {}):
            await self.docs(scope, receive, send)
            return
        await self._delivery(scope, receive, send)

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        if "state" in scope:  # what the HTTP protocol enforces on request heads (see server.protocol)
            scope["state"][HEAD_LIMITS] = HeadLimits(self.config.max_header, self.config.header_timeout)
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
                self._explainer.shutdown(wait=False, cancel_futures=True)
                if self.forwarder is not None:
                    await self.forwarder.aclose()
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
        if self.inspector.handles(scope["path"]):  # the page, its live feed, export and login
            await self.inspector(scope, receive, send)
            return
        if not admin_authorized(scope, self.config.admin_token):
            await send_problem(send, unauthorized())
            return
        allow = self._admin_allow.get(scope["path"].rstrip("/"))

        async def with_allow(message: Message) -> None:
            # connexion's 405 has no Allow header (RFC 9110 requires one); add it from the document.
            if allow and message["type"] == "http.response.start" and message["status"] == 405:
                message = {**message, "headers": [*message.get("headers", []), (b"allow", allow.encode())]}
            await send(message)

        await self.admin(scope, receive, with_allow)

    # ----------------------------------------------------------- deliveries
    async def _delivery(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Every request that is not the admin API or the docs: judged, answered, journaled.

        Whatever happens below, the record of what arrived is committed to the journal before
        the sender gets a byte of the answer (`_Answer.send`), and a refusal reads the bytes
        that arrived first, so the journal holds them too.
        """
        start = time.perf_counter()
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        query = parse_query(scope.get("query_string", b""))
        record = Record(time.time(), scope["method"], scope["path"], query, headers, b"")
        ctx = _Context(record, getattr(getattr(send, "__self__", None), "transport", None))
        answer = _Answer(self, ctx, send, start)
        try:
            refusal = scope.get("state", {}).get(REFUSAL)
            if isinstance(refusal, Problem):  # the HTTP layer refused the head (too large, too slow)
                raise refusal
            raw = await self._read_body(receive, headers, record)
            if scope["path"] != self._webhook_path:
                raise Problem(
                    404, f"nothing at {shown(scope['path'])}; webhooks are POSTed to {self._webhook_path}", "path"
                )
            if scope["method"] != "POST":
                raise Problem(
                    405,
                    f"{scope['method']} is not allowed here; webhooks are POSTed",
                    "method",
                    headers={"Allow": "POST"},
                )
            await self._webhook(query, raw, headers.get("content-type"), ctx, answer, receive)
        except Problem as problem:
            record.errors = [v.as_dict() for v in problem.errors] or (
                [{"field": problem.field, "reason": problem.detail}] if problem.field else []
            )
            if not answer.started and not isinstance(problem, _Disconnected):  # nobody is left to answer
                await answer.problem(problem)
        except ScriptError as exc:
            record.errors = [{"field": "script", "reason": str(exc)}]
            if not answer.started:
                await answer.problem(Problem(500, f"the script failed: {exc}", "script"))
        except Exception as exc:  # a bug of ours: still answer in the problem format, still journal
            logger.exception("internal error while answering a delivery")
            record.errors = [{"field": "server", "reason": f"internal error: {type(exc).__name__}: {exc}"}]
            if not answer.started:
                await answer.problem(Problem(500, f"internal error: {type(exc).__name__}: {exc}"))
        finally:
            if not answer.committed:  # no answer went out (a disconnect, a fault): still journal it
                self._finish(record, ctx, start)
                self.journal.append(record)
            self._log(record)

    def _finish(self, record: Record, ctx: _Context, start: float) -> None:
        """The verdict, the signature and the latency, just before the record is stored."""
        if record.verdict == "valid" and not ctx.checked:
            record.verdict = "invalid"
        if self.validator.signer.token is not None and record.signature is None:
            # Verified once by the checks; again only when they stopped before the signature.
            check = ctx.signature or self.validator.signer.verify(record.query)
            record.signature = check.verdict.value
        record.latency_ms = (time.perf_counter() - start) * 1000

    def _log(self, record: Record) -> None:
        if self.config.quiet:
            return
        failing = record.errors[0]["field"] if record.errors else None
        forward = record.forward
        if forward is not None and failing is None and not forward["delivered"]:
            failing = forward["violations"][0]["field"] if forward["violations"] else "forward"
        answered_by = record.rule or ("forward" if forward is not None else "default")
        if self.config.log_format == "json":
            line: dict[str, Any] = {
                "time": record.received,
                "command": record.command,
                "verdict": record.verdict,
                "status": record.status,
                "fault": record.fault,
                "field": failing,
                "rule": answered_by,
                "latency_ms": round(record.latency_ms, 3),
            }
            if forward is not None:
                line["forward"] = {k: forward[k] for k in ("status", "latency_ms", "delivered", "error", "outcome")}
            logger.info("%s", json.dumps(line, ensure_ascii=False))
            return
        logger.info(
            "%s %s %s %s %.1f ms%s%s",
            record.command or "-",
            record.verdict,
            record.status if record.status is not None else record.fault,
            answered_by,
            record.latency_ms,
            f" failing {failing}" if failing else "",
            _forward_note(forward),
        )

    async def _webhook(
        self, query: Query, raw: bytes, content_type: str | None, ctx: _Context, answer: _Answer, receive: Receive
    ) -> None:
        judgement = self.validator.judge(query, raw, content_type, explain=False)
        if not judgement.explained:  # refused by the fast path: name the fields off the event loop
            loop = asyncio.get_running_loop()
            judgement = await loop.run_in_executor(
                self._explainer, functools.partial(self.validator.judge, query, raw, content_type)
            )
        ctx.signature = judgement.signature
        if not judgement.accepted:
            raise Problem.from_violations(judgement.status, judgement.violations, more=judgement.more)
        assert judgement.webhook is not None
        record = ctx.record
        record.command = judgement.webhook.command
        if self.decoder is not None:
            try:
                self.decoder(judgement.webhook, raw)
            except (ValueError, TypeError, RecursionError) as exc:
                raise Problem(400, f"the body does not decode with the typed models: {exc}", "body") from None
        ctx.checked = True
        reply = await self.scripts.reply(judgement.webhook, judgement.document, query)
        record.rule = reply.rule
        if reply.rule is None and self.forwarder is not None:  # no rule claimed it: the backend answers
            await self._forward(judgement.webhook, query, raw, ctx, answer)
            return
        if reply.delay_ms:
            await self.pause(min(reply.delay_ms, self.config.max_hang_ms) / 1000)
        if reply.fault is not None:
            record.fault = reply.fault.value
            if await self._fault(reply, ctx, answer, receive):
                return
        await answer.send(reply.status, reply.headers, reply.body)

    async def _forward(self, webhook: Webhook, query: Query, raw: bytes, ctx: _Context, answer: _Answer) -> None:
        """Send the delivery on to `--forward-to` and pass the backend's answer back to the sender.

        The one `Sender` does it: same query (re-signed with `--forward-token`, else as it came)
        and the bytes that arrived, the contract's budget, the answer judged against the webhook's
        response schema and the vendor's rules. The sender gets what the vendor would get: the
        backend's own answer when there is one (a 500, a non-conforming body), a 504 problem when
        none came within the budget, a 502 problem when the backend cannot be reached. Either way
        the journal's `forward` says what the backend did and which rule it broke.
        """
        assert self.forwarder is not None
        record = ctx.record
        content_type = record.headers.get("content-type")
        verdict = await self.forwarder.send(webhook.command, raw, query=query, content_type=content_type)
        record.forward = {
            "url": self.forwarder.url,
            "status": verdict.status,
            "latency_ms": round(verdict.elapsed * 1000, 3),
            "delivered": verdict.delivered,
            "error": verdict.error,
            "violations": [v.as_dict() for v in verdict.violations],
            "outcome": verdict.outcome,
            "detail": verdict.detail,
        }
        if verdict.status is None:
            status = 504 if verdict.timed_out else 502
            where = f"the backend at {self.forwarder.url}"
            reason = verdict.error or "no answer"
            raise Problem(status, f"{where} did not answer: {reason}", "forward")
        headers = [(b"content-type", (verdict.content_type or "application/octet-stream").encode("latin-1"))]
        headers.append((b"content-length", str(len(verdict.body)).encode()))
        await answer.send(verdict.status, headers, verdict.body)

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
                    if size + len(chunk) > limit:
                        chunks.append(chunk[: limit - size])  # what fits is journaled; the rest is refused
                        raise too_large()
                    size += len(chunk)
                    chunks.append(chunk)
                    more = message.get("more_body", False)
                    if more and declared is not None and declared.isdigit() and int(declared) > limit:
                        raise too_large()
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

    async def _fault(self, reply: Reply, ctx: _Context, answer: _Answer, receive: Receive) -> bool:
        """Carry out a fault; True when nothing more is to be sent."""
        if reply.fault is Fault.HANG:
            wanted = reply.hang_ms if reply.hang_ms is not None else self._hang_default_ms
            await self.pause(min(wanted, self.config.max_hang_ms) / 1000)
            return False
        if reply.fault is Fault.MALFORMED:
            body = reply.body[: max(1, len(reply.body) // 2)]
            await answer.send(
                200, ((b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())), body
            )
            return True
        transport = ctx.transport
        if transport is None:
            raise Problem(
                501, f"fault {reply.fault.value if reply.fault else ''!r} needs uvicorn's transport", "script"
            )
        await answer.commit_without_answer()
        if reply.fault is Fault.RESET:
            sock = transport.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):  # a platform without SO_LINGER gets a plain close
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
        else:
            transport.close()
        try:  # let the server notice the connection is gone, so it does not answer for us
            async with asyncio.timeout(1.0):
                while (await receive())["type"] != "http.disconnect":
                    pass
        except TimeoutError:  # pragma: no cover - the loop always reports the disconnect
            pass
        return True


class _Answer:
    """The one way an answer leaves: recorded, committed to the journal, then sent."""

    def __init__(self, server: MockServer, ctx: _Context, send: Send, start: float) -> None:
        self._server = server
        self._ctx = ctx
        self._send = send
        self._start = start
        self.started = False
        self.committed = False

    async def _commit(self) -> bool:
        self._server._finish(self._ctx.record, self._ctx, self._start)
        self.committed = True
        return await self._server.journal.commit(self._ctx.record)

    async def send(self, status: int, headers: Iterable[tuple[bytes, bytes]], body: bytes) -> None:
        record = self._ctx.record
        listed = list(headers)
        record.status = status
        record.response_headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in listed}
        record.response_body = body
        self.started = True
        if not await self._commit():
            # Not journaled means not processed: the sender must not take it as delivered.
            status, listed, body = _problem_message(
                Problem(503, "the journal could not store this delivery; it was not processed", "journal")
            )
        await self._send({"type": "http.response.start", "status": status, "headers": listed})
        await self._send({"type": "http.response.body", "body": body})

    async def problem(self, problem: Problem) -> None:
        await self.send(*_problem_message(problem))

    async def commit_without_answer(self) -> None:
        """A fault that answers nothing (reset, close): journaled before the connection goes."""
        self._ctx.record.status = None
        self.started = True
        await self._commit()


def _problem_message(problem: Problem) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    body = problem.body()
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in problem.headers.items()),
    ]
    return problem.status, headers, body


def _forward_note(forward: dict[str, Any] | None) -> str:
    if forward is None:
        return ""
    if forward["delivered"]:
        return f" (backend {forward['status']} in {forward['latency_ms']:.1f} ms, vendor {forward['outcome']})"
    why = forward["error"] or (
        forward["violations"][0]["reason"] if forward["violations"] else f"HTTP {forward['status']}"
    )
    return f" (backend failed: {why}; vendor {forward['outcome']})"


async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:  # pragma: no cover - routed away first
    await send_problem(send, Problem(404, "nothing here", "path"))


def _unused() -> None:  # pragma: no cover - connexion needs a callable per operation; the endpoint is ASGI
    raise RuntimeError("unreachable")


def app_from_environment() -> MockServer:
    """Factory for uvicorn workers: the configuration travels in an environment variable."""
    config = ServerConfig.from_json(os.environ[CONFIG_ENV])
    logging.getLogger("connexion").setLevel(logging.ERROR)
    if not config.quiet:
        logging.basicConfig(level=logging.INFO, format="%(message)s")
        logging.getLogger("httpx").setLevel(logging.WARNING)  # forwarding: the delivery line says it all
    return MockServer(config)
