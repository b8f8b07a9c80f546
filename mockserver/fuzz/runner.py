"""Drives a fuzzing run: plan the probes, send them (N at a time), judge each with the selected checks.

The loop is the fuzzer's own rather than schemathesis's engine because the vendor's rules need
per-webhook budgets, send-time signing, probe pairs (a forgery and its genuine control, a
future-style delivery and its plain version) and per-check tallies; schemathesis still
generates every case (through Hypothesis, and its coverage phase for the boundaries) and
serializes it (`Case.as_transport_kwargs`). Requests go out on the kit's one HTTP client
(`mockserver.traffic.sender.http_client`: httpx, redirects not followed), streamed so that the
whole exchange is timed (the Chat backend's timeout covers the body too), a body still
trickling at the hang deadline is given up on, and only `Contract.max_body_bytes` are kept.

Concurrency never changes the result: the probes are planned in one fixed order (generation
depends on the seed alone, and runs in a separate process so that it overlaps the sending),
up to `workers` requests are in flight, and exchanges are judged strictly in plan order. A
run with `--workers 8` therefore judges the same deliveries, in the same order, as a
sequential one, and stops at the same point when it stops early.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import pickle
import random
import signal
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
from schemathesis import GenerationMode
from schemathesis.core import curl

from mockserver.contract import Contract, load_contract
from mockserver.errors import Unreachable
from mockserver.fuzz.cases import UNKNOWN_TARGET, CaseFactory, Draft, Probe, ProbeKind, Signing
from mockserver.fuzz.checks import (
    CHECKS,
    Check,
    CheckContext,
    Exchange,
    Finding,
    Inconclusive,
    SentRequest,
    get_check,
    transport_cause,
)
from mockserver.traffic.sender import http_client, read_answer, redirect_error
from mockserver.validation import DeliveryValidator

__all__ = [
    "Failure",
    "FuzzOptions",
    "FuzzResult",
    "Fuzzer",
    "Progress",
    "Tally",
    "Unreachable",
    "run",
]

MAX_CONSECUTIVE_REFUSALS = 3
"""Refused connections in a row after which the backend is considered gone (a drop mid-answer is a finding)."""
REFUSED = "connection refused: "
MAX_HANGS = 5
"""Unanswered requests after which the run stops (each costs the whole hang limit)."""
CONNECT_TIMEOUT = 3.0
"""Seconds to wait for the TCP connection (part of the overall hang deadline too)."""
_CASE_HEADERS = ("content-type",)
"""The headers of a schemathesis case that are part of the delivery (the rest are its HTTP library's)."""


@dataclass(frozen=True)
class _Answer:
    """What the fuzzer keeps of one HTTP answer: never more than the contract's body limit."""

    status: int
    content_type: str | None
    body: bytes
    truncated: bool
    redirect: str | None


@dataclass(frozen=True)
class FuzzOptions:
    """What to fuzz and how hard; the CLI's options one to one."""

    url: str
    token: str | None = None
    app_id: str | None = None
    max_examples: int = 30
    """Generated cases per webhook and per generation mode (positive, negative).

    30 by default: with eleven webhooks a default run sends about 1,000 requests (the generated
    ones, 135 boundaries, the examples and the crafted probes); at 50 it sent 1,381, which 8
    workers cannot send to a backend taking 200 ms within 30 s (docs/fuzzing.md)."""
    seed: int | None = None
    timeout: float | None = None
    """The answer budget in seconds; None takes the contract's delivery timeout."""
    checks: tuple[str, ...] = ()
    """Check names to run; empty runs them all (minus `exclude_checks`)."""
    exclude_checks: tuple[str, ...] = ()
    workers: int = 1
    """Requests in flight at once; the findings do not depend on it."""
    headers: tuple[tuple[str, str], ...] = ()
    """Extra headers on every request (a gateway's credentials, a routing header)."""
    max_failures: int | None = None
    """Stop after this many failing requests (None: never)."""


@dataclass(frozen=True)
class Progress:
    """Reported after every judged exchange and at every stage change."""

    stage: str
    done: int
    total: int
    failures: int
    """Failed check verdicts so far."""


@dataclass
class Tally:
    passed: int = 0
    failed: int = 0
    inconclusive: int = 0

    @property
    def judged(self) -> int:
        return self.passed + self.failed


@dataclass
class Failure:
    """One kind of failure (check, report row, summary) with its shortest reproducing request."""

    check: str
    target: str
    summary: str
    detail: str
    probe: str
    curl: str
    occurrences: int = 1
    cause: str = ""
    """What went wrong, shared by every check the same misbehaviour broke (the report names it once)."""


@dataclass
class FuzzResult:
    url: str
    seed: int
    timeout: float
    checks: tuple[Check, ...]
    targets: tuple[str, ...]
    tallies: dict[tuple[str, str], Tally] = field(default_factory=dict)
    failures: dict[tuple[str, str, str], Failure] = field(default_factory=dict)
    inconclusive: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per check, why exchanges could not be judged, with how often."""
    requests: int = 0
    generated: int = 0
    elapsed: float = 0.0
    aborted: str | None = None
    signed: bool = False
    """Requests carried signatures (a token was given): reproducers go stale after the replay window."""
    credentials: bool = False
    """A token or an app id was given (the authentication check has something to forge)."""
    workers: int = 1

    @property
    def ok(self) -> bool:
        """Conformant: nothing failed, the run completed, and every selected check judged something."""
        return not self.failures and self.aborted is None and not self.skipped()

    @property
    def cases_per_second(self) -> float:
        return self.requests / self.elapsed if self.elapsed > 0 else 0.0

    def tally(self, check: str, target: str | None = None) -> Tally:
        """Verdicts of `check`, for one row or summed over all rows."""
        if target is not None:
            return self.tallies.get((check, target), Tally())
        total = Tally()
        for (name, _), tally in self.tallies.items():
            if name == check:
                total.passed += tally.passed
                total.failed += tally.failed
                total.inconclusive += tally.inconclusive
        return total

    def failed_checks(self) -> tuple[str, ...]:
        return tuple(check.name for check in self.checks if self.tally(check.name).failed)

    def skipped(self) -> dict[str, str]:
        """The selected checks that judged nothing, each with why: such a run is not conformant."""
        skipped: dict[str, str] = {}
        for check in self.checks:
            if self.tally(check.name).judged:
                continue
            reasons = self.inconclusive.get(check.name)
            if reasons:
                skipped[check.name] = "inconclusive: " + "; ".join(
                    f"{reason} ({count}×)" if count > 1 else reason for reason, count in reasons.items()
                )
            elif ProbeKind.AUTH in check.kinds and not self.credentials:
                skipped[check.name] = "no --token or --sdkappid: there is no credential to forge"
            elif self.aborted is not None:
                skipped[check.name] = "the run stopped before a request of its kind was judged"
            else:
                skipped[check.name] = "no request of its kind was sent (--max-examples 0?)"
        return skipped


def split_url(url: str) -> tuple[str, str]:
    """``http://host:8080/hook`` -> (``http://host:8080``, ``/hook``); raises Unreachable when malformed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise Unreachable(f"{url!r} is not an http:// or https:// URL")
    if parts.query or parts.fragment:
        raise Unreachable(f"{url!r} has a query or fragment; give the webhook URL without them")
    return f"{parts.scheme}://{parts.netloc}", parts.path or "/"


def select_checks(names: Iterable[str] = (), exclude: Iterable[str] = ()) -> tuple[Check, ...]:
    """The checks a run judges by: the named ones (all when none is named) minus the excluded ones."""
    chosen = tuple(get_check(name) for name in names) if names else tuple(CHECKS.values())
    dropped = {get_check(name).name for name in exclude}
    return tuple(check for check in chosen if check.name not in dropped)


@dataclass
class _Stage:
    """A named group of probes, in plan order; generated ones arrive from the drafting process."""

    name: str
    probes: Callable[[], Awaitable[list[Probe]]]


class Fuzzer:
    """One run against one URL; build it, then call `run()` once."""

    def __init__(
        self,
        options: FuzzOptions,
        contract: Contract | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        on_exchange: Callable[[Exchange, Mapping[str, str]], None] | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.options = options
        self.transport = transport
        """Replaces the network (an in-process `httpx.ASGITransport` in tests); None sends over TCP."""
        self.contract = contract if contract is not None else load_contract()
        self.base_url, path = split_url(options.url)
        self.checks = select_checks(options.checks, options.exclude_checks)
        self.timeout = options.timeout if options.timeout is not None else self.contract.timeout_seconds
        self.hang_after = max(self.timeout * 2.5, self.timeout + 3.0)
        self.max_body = self.contract.max_body_bytes
        self.signing = Signing.for_contract(self.contract, options.token, options.app_id)
        self.factory = CaseFactory(self.contract, self.signing, path)
        self.context = CheckContext(self.contract, DeliveryValidator(self.contract), self.timeout)
        self.seed = options.seed if options.seed is not None else random.randrange(2**31)
        self.workers = max(1, options.workers)
        self.headers = dict(options.headers)
        self.on_progress = on_progress or (lambda progress: None)
        self.on_exchange = on_exchange
        targets = [webhook.name for webhook in self.contract.webhooks]
        if self._wants(ProbeKind.UNKNOWN_COMMAND):
            targets.append(UNKNOWN_TARGET)
        self.result = FuzzResult(
            options.url,
            self.seed,
            self.timeout,
            self.checks,
            tuple(targets),
            signed=options.token is not None,
            credentials=options.token is not None or options.app_id is not None,
            workers=self.workers,
        )
        self._exchanges: dict[int, Exchange] = {}
        self._stage = ""
        self._total = 0
        self._failed_verdicts = 0
        self._failing_requests = 0
        self._refusals_in_a_row = 0
        self._hangs = 0
        self._http: httpx.AsyncClient | None = None

    # ------------------------------------------------------------------ planning
    def _wants(self, kind: ProbeKind) -> bool:
        return any(kind in check.kinds for check in self.checks)

    def _modes(self) -> list[tuple[int, GenerationMode, ProbeKind]]:
        """The generation modes this run needs, with the offset that makes each one's seed."""
        modes = []
        for offset, mode in enumerate(GenerationMode):
            kind = ProbeKind.POSITIVE if mode == GenerationMode.POSITIVE else ProbeKind.NEGATIVE
            if self._wants(kind) and self.options.max_examples > 0:
                modes.append((offset, mode, kind))
        return modes

    def _estimate(self) -> int:
        total = 0
        for webhook in self.contract.webhooks:
            if self._wants(ProbeKind.EXAMPLE):
                total += len(webhook.examples)
            total += len(self._modes()) * self.options.max_examples
            if self._wants(ProbeKind.MALFORMED):
                total += sum(1 for _ in self.factory.malformed(webhook))
            if self._wants(ProbeKind.FORWARD):
                total += sum(1 for _ in self.factory.forward(webhook))
            if self._wants(ProbeKind.AUTH):
                total += sum(1 for _ in self.factory.authentication(webhook))
        if self._wants(ProbeKind.UNKNOWN_COMMAND):
            total += sum(1 for _ in self.factory.unknown_command())
        return total

    def _plan(self, drafting: _Drafting) -> list[_Stage]:
        """Every stage of the run in its fixed order (generated stages wait for their drafts)."""
        stages: list[_Stage] = []

        def ready(probes: Iterable[Probe]) -> Callable[[], Awaitable[list[Probe]]]:
            async def get() -> list[Probe]:
                return list(probes)

            return get

        for index, webhook in enumerate(self.contract.webhooks):
            if self._wants(ProbeKind.EXAMPLE):
                stages.append(_Stage(f"{webhook.name}: examples", ready(self.factory.examples(webhook))))
            for offset, mode, kind in self._modes():
                job = drafting.submit(self._generation_job(index, offset, mode))
                stages.append(_Stage(f"{webhook.name}: {mode.value} cases", self._generated(webhook, kind, job)))
            if self._wants(ProbeKind.BOUNDARY):
                job = drafting.submit(_boundary_job(index))
                stages.append(_Stage(f"{webhook.name}: boundaries", self._boundaries(webhook, job)))
            if self._wants(ProbeKind.MALFORMED):
                stages.append(_Stage(f"{webhook.name}: malformed deliveries", ready(self.factory.malformed(webhook))))
        if self._wants(ProbeKind.FORWARD):
            forward = [probe for webhook in self.contract.webhooks for probe in self.factory.forward(webhook)]
            stages.append(_Stage("forward compatibility", ready(forward)))
        if self._wants(ProbeKind.AUTH):
            auth = [probe for webhook in self.contract.webhooks for probe in self.factory.authentication(webhook)]
            stages.append(_Stage("authentication", ready(auth)))
        if self._wants(ProbeKind.UNKNOWN_COMMAND):
            stages.append(_Stage("unknown command", ready(self.factory.unknown_command())))
        return stages

    def _generation_job(self, index: int, offset: int, mode: GenerationMode) -> _Job:
        return ("generate", index, mode.value, self.options.max_examples, self.seed + 2 * index + offset)

    def _jobs(self) -> list[_Job]:
        """Every drafting job of the run, in plan order (the same ones `_plan` submits)."""
        jobs: list[_Job] = []
        for index in range(len(self.contract.webhooks)):
            jobs.extend(self._generation_job(index, offset, mode) for offset, mode, _ in self._modes())
            if self._wants(ProbeKind.BOUNDARY):
                jobs.append(_boundary_job(index))
        return jobs

    def _generated(
        self, webhook: Any, kind: ProbeKind, job: Awaitable[list[Draft]]
    ) -> Callable[[], Awaitable[list[Probe]]]:
        async def get() -> list[Probe]:
            probes = [self.factory.probe(webhook, kind, draft) for draft in await job]
            self.result.generated += len(probes)
            return probes

        return get

    def _boundaries(self, webhook: Any, job: Awaitable[list[Draft]]) -> Callable[[], Awaitable[list[Probe]]]:
        """Boundary drafts the contract really refuses (a catch-all branch may accept what one branch does not)."""

        async def get() -> list[Probe]:
            probes = []
            for draft in await job:
                probe = self.factory.probe(webhook, ProbeKind.BOUNDARY, draft)
                query = {str(k): _query_value(v) for k, v in probe.case.query.items()}
                valid, _ = self._conforms(query, _body_bytes(probe.case.body), draft.media_type)
                if not valid:
                    probes.append(probe)
            self.result.generated += len(probes)
            return probes

        return get

    # ------------------------------------------------------------------ running
    def run(self) -> FuzzResult:
        """Run to the end (or the first reason to stop); raises Unreachable when nothing answers at the URL."""
        if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
            # A background job of a non-interactive shell starts with SIGINT ignored: make Ctrl-C
            # (or `kill -INT`) stop a long run again, with its partial report.
            signal.signal(signal.SIGINT, signal.default_int_handler)
        self._total = self._estimate()
        drafting = _Drafting(self.factory, self._jobs())
        try:
            asyncio.run(self._run(drafting))
        finally:
            drafting.close()
        self._report(self._stage or "done")
        return self.result

    async def _run(self, drafting: _Drafting) -> None:
        async with http_client(headers=self.headers, connections=self.workers, transport=self.transport) as http:
            self._http = http
            await self._preflight()
            started = time.perf_counter()
            try:
                await self._send_stages(self._plan(drafting))
            finally:
                self.result.elapsed = time.perf_counter() - started

    async def _preflight(self) -> None:
        """Send one genuine delivery; raise Unreachable when nothing listens at the URL."""
        probe = next(self.factory.examples(self.contract.webhooks[0]))
        self.signing.apply(probe.case.query, probe.auth)
        request, _ = self._request(probe)
        try:
            await self._call(request, time.perf_counter() + self.hang_after)
        except (TimeoutError, httpx.TimeoutException):
            return  # it listens but hangs: the checks will say so
        except httpx.HTTPError as exc:
            raise Unreachable(f"cannot reach {self.options.url}: {_reason(exc)}") from None

    async def _planned(self, stages: list[_Stage]) -> AsyncIterator[tuple[str, Probe]]:
        for stage in stages:
            for probe in await stage.probes():
                yield stage.name, probe

    async def _send_stages(self, stages: list[_Stage]) -> None:
        """Send up to `workers` probes at once; judge the exchanges strictly in plan order."""
        slots = asyncio.Semaphore(self.workers)
        pending: dict[int, asyncio.Task[Exchange]] = {}
        order: list[tuple[str, Probe]] = []
        judged = 0

        async def judge_ready(wait: bool) -> None:
            nonlocal judged
            while judged < len(order) and self.result.aborted is None:
                task = pending[judged]
                if not task.done() and not wait:
                    return
                exchange = await task
                del pending[judged]
                stage, probe = order[judged]
                judged += 1
                self._stage = stage
                self._exchanges[id(probe)] = exchange
                if probe.baseline is not None:
                    exchange.baseline = self._exchanges.get(id(probe.baseline))
                self._judge(exchange)
                self._watch_backend(exchange)
                self._report(stage)

        async def send(probe: Probe) -> Exchange:
            try:
                return await self._exchange(probe)
            finally:
                slots.release()

        try:
            async for stage, probe in self._planned(stages):
                if self.result.aborted is not None:
                    break
                await slots.acquire()
                await judge_ready(wait=False)
                if self.result.aborted is not None:
                    slots.release()
                    break
                self.signing.apply(probe.case.query, probe.auth)  # signed right before sending
                pending[len(order)] = asyncio.create_task(send(probe))
                order.append((stage, probe))
            await judge_ready(wait=True)
        finally:
            for task in pending.values():
                task.cancel()
            await asyncio.gather(*pending.values(), return_exceptions=True)

    def _request(self, probe: Probe) -> tuple[httpx.Request, SentRequest]:
        """The httpx request for `probe` as schemathesis serializes its case, and what the report shows of it."""
        assert self._http is not None
        kwargs = probe.case.as_transport_kwargs(base_url=self.base_url)
        headers = {k: str(v) for k, v in kwargs.get("headers", {}).items() if k.lower() in _CASE_HEADERS}
        if "json" in kwargs:
            content = json.dumps(kwargs["json"]).encode()  # ASCII escapes: generated strings hold lone surrogates
        else:
            data = kwargs.get("data", b"")
            content = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data or b"")
        params: list[tuple[str, str | int | float | bool | None]] = [
            (str(name), _query_value(item))
            for name, value in (kwargs.get("params") or {}).items()
            for item in (value if isinstance(value, list) else [value])
            if item is not None
        ]
        timeout = httpx.Timeout(self.hang_after, connect=CONNECT_TIMEOUT)
        request = self._http.build_request(
            kwargs["method"], kwargs["url"], params=params, headers=headers, content=content, timeout=timeout
        )
        sent = SentRequest(request.method, str(request.url), {**self.headers, **headers}, content)
        return request, sent

    async def _exchange(self, probe: Probe) -> Exchange:
        request, sent = self._request(probe)
        command = curl.generate(
            method=sent.method,
            url=sent.url,
            body=sent.body,
            verify=True,
            headers=dict(sent.headers),
            known_generated_headers={},
        ).command
        started = time.perf_counter()
        try:
            answer = await self._call(request, started + self.hang_after)
        except (TimeoutError, httpx.TimeoutException):
            error = f"no answer within {self.hang_after:g} s"
            return Exchange(
                probe, None, None, b"", time.perf_counter() - started, command, error=error, hung=True, request=sent
            )
        except httpx.HTTPError as exc:
            prefix = REFUSED if isinstance(exc, httpx.ConnectError) and _refused(exc) else ""
            elapsed = time.perf_counter() - started
            return Exchange(probe, None, None, b"", elapsed, command, error=prefix + _reason(exc), request=sent)
        # The whole exchange, body included: the Chat backend's timeout covers the complete answer.
        elapsed = time.perf_counter() - started
        return Exchange(
            probe,
            answer.status,
            answer.content_type,
            answer.body,
            elapsed,
            command,
            truncated=answer.truncated,
            redirect=answer.redirect,
            request=sent,
        )

    async def _call(self, request: httpx.Request, deadline: float) -> _Answer:
        """Send `request` and read its answer until `deadline`, keeping at most `max_body` bytes.

        A connection the server closed while it sat in the pool (after an earlier answer, often
        a 500) fails before any answer: that request is sent once more on a fresh connection, so
        that the innocent next case is not blamed for a "dropped connection".
        """
        assert self._http is not None
        async with asyncio.timeout(max(deadline - time.perf_counter(), 0.001)):
            try:
                return await self._transfer(self._http, request)
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
                if not getattr(exc, "before_answer", True):
                    raise
            async with http_client(connections=1, transport=self.transport) as fresh:
                return await self._transfer(fresh, request)

    async def _transfer(self, http: httpx.AsyncClient, request: httpx.Request) -> _Answer:
        response = await http.send(request, stream=True)
        try:
            try:
                body, truncated = await read_answer(response, self.max_body)
            except httpx.HTTPError as exc:
                exc.before_answer = False  # type: ignore[attr-defined]  # the answer had begun: a real drop
                raise
        finally:
            await response.aclose()
        return _Answer(
            response.status_code,
            response.headers.get("content-type"),
            body,
            truncated,
            redirect_error(response.status_code, response.headers),
        )

    # ------------------------------------------------------------------ judging
    def _validity(self, exchange: Exchange) -> tuple[bool, tuple[str, ...]]:
        """Judge the delivery as sent against the contract: only a valid delivery has a right answer."""
        sent = exchange.request
        if sent is None:
            return False, ("not sent",)
        query = dict(parse_qsl(urlsplit(sent.url).query, keep_blank_values=True))
        content_type = next((v for k, v in sent.headers.items() if k.lower() == "content-type"), None)
        return self._conforms(query, sent.body, content_type)

    def _conforms(
        self, query: Mapping[str, str], body: bytes, content_type: str | None
    ) -> tuple[bool, tuple[str, ...]]:
        """The validator's fast verdict on a delivery (signatures aside): valid or not, and its first reasons."""
        try:
            judgement = self.context.validator.judge(query, body, content_type, explain=False, authenticate=False)
        except Exception as exc:  # a validator bug must not end the run; count the delivery as invalid
            return False, (f"not judged: {exc!r}",)
        return judgement.status == 200, tuple(str(v) for v in judgement.violations)

    def _judge(self, exchange: Exchange) -> None:
        probe = exchange.probe
        self.result.requests += 1
        if exchange.answered and probe.kind in (ProbeKind.EXAMPLE, ProbeKind.POSITIVE, ProbeKind.FORWARD):
            exchange.valid, exchange.violations = self._validity(exchange)
        verdicts: dict[str, str] = {}
        failed = False
        for check in self.checks:
            if not check.applies(exchange):
                continue
            tally = self.result.tallies.setdefault((check.name, probe.target), Tally())
            verdict = check(self.context, exchange)
            if verdict is None:
                tally.passed += 1
                verdicts[check.name] = "pass"
            elif isinstance(verdict, Inconclusive):
                tally.inconclusive += 1
                reasons = self.result.inconclusive.setdefault(check.name, {})
                reasons[verdict.reason] = reasons.get(verdict.reason, 0) + 1
                verdicts[check.name] = f"inconclusive: {verdict.reason}"
            else:
                tally.failed += 1
                self._failed_verdicts += 1
                failed = True
                self._record(check.name, exchange, verdict)
                verdicts[check.name] = f"fail: {verdict.summary}"
        if failed:
            self._failing_requests += 1
        if self.on_exchange is not None:
            self.on_exchange(exchange, verdicts)

    def _record(self, check: str, exchange: Exchange, finding: Finding) -> None:
        key = (check, exchange.probe.target, finding.summary)
        known = self.result.failures.get(key)
        if known is None:
            cause = finding.cause or transport_cause(exchange) or f"{check}: {finding.summary}"
            self.result.failures[key] = Failure(
                check,
                exchange.probe.target,
                finding.summary,
                finding.detail,
                exchange.probe.label,
                exchange.curl,
                cause=cause,
            )
            return
        known.occurrences += 1
        if len(exchange.curl) < len(known.curl):  # keep the smallest reproducer
            known.curl, known.detail, known.probe = exchange.curl, finding.detail, exchange.probe.label

    def _watch_backend(self, exchange: Exchange) -> None:
        """Stop early when the backend is gone or hangs repeatedly, instead of waiting out every case."""
        if exchange.hung:
            self._hangs += 1
            if self._hangs >= MAX_HANGS:
                self.result.aborted = f"stopped after {self._hangs} requests got no answer within {self.hang_after:g} s"
        if exchange.error is not None and exchange.error.startswith(REFUSED):
            self._refusals_in_a_row += 1
            if self._refusals_in_a_row >= MAX_CONSECUTIVE_REFUSALS:
                self.result.aborted = (
                    f"stopped: the backend refused {self._refusals_in_a_row} connections in a row;"
                    f" is it still running? ({exchange.error})"
                )
        else:
            self._refusals_in_a_row = 0
        limit = self.options.max_failures
        if limit is not None and self._failing_requests >= limit and self.result.aborted is None:
            self.result.aborted = f"stopped after {self._failing_requests} failing requests (--max-failures {limit})"

    def _report(self, stage: str) -> None:
        total = max(self._total, self.result.requests)
        self.on_progress(Progress(stage, self.result.requests, total, self._failed_verdicts))


# ---------------------------------------------------------------------- drafting process
_FACTORY: CaseFactory | None = None
"""The case factory of the drafting process (inherited when it is forked)."""

_Job = tuple[str, int, str, int, int]
"""("generate", webhook index, mode, max examples, seed) or ("boundary", webhook index, ...)."""

_MADE: OrderedDict[tuple[str, str | None, _Job], bytes] = OrderedDict()
"""Drafts already made in this process (pickled), newest last: a pure function's results, kept."""
_MADE_JOBS = 256
"""At most this many jobs are kept (a default run has three per webhook)."""
_MADE_LOCK = threading.Lock()
"""`_MADE` is filled from the pool's result thread."""


def _boundary_job(index: int) -> _Job:
    return ("boundary", index, "", 0, 0)


def _start_drafting(factory: CaseFactory) -> None:
    global _FACTORY
    _FACTORY = factory
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle


def _draft(job: _Job, factory: CaseFactory | None = None) -> list[Draft]:
    factory = factory if factory is not None else _FACTORY
    assert factory is not None
    what, index, mode, max_examples, seed = job
    webhook = factory.contract.webhooks[index]
    if what == "boundary":
        return factory.boundary_drafts(webhook)
    return factory.drafts(webhook, GenerationMode(mode), max_examples, seed)


class _Drafting:
    """Generates the drafts in a separate (forked) process, so that generation overlaps the sending.

    Hypothesis is CPU-bound Python: in the sending process it would hold the event loop (and
    the clock of every exchange in flight). Drafts depend on the contract, the app id and their
    seed alone, so they are the same whichever process makes them, and a process that fuzzes
    again with the same settings (the pytest plugin, a test suite, a script looping over
    backends) reuses what it made before: `_MADE` keeps them, and no process is started when
    every job of the run is already there. Without `fork` (Windows), a thread makes them.
    """

    def __init__(self, factory: CaseFactory, jobs: Iterable[_Job] = ()) -> None:
        self.factory = factory
        self._key = (factory.contract.fingerprint, factory.signing.app_id)
        self._pool: Any = None
        if all((*self._key, job) in _MADE for job in jobs):  # nothing to make
            return
        if "fork" in multiprocessing.get_all_start_methods():
            # forked before the event loop and any connection exist: the child inherits neither
            context = multiprocessing.get_context("fork")
            self._pool = context.Pool(1, initializer=_start_drafting, initargs=(factory,))

    def submit(self, job: _Job) -> asyncio.Future[list[Draft]]:
        """Queue `job`; the future settles when its drafts are made (jobs are made in submission order)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[Draft]] = loop.create_future()
        key = (*self._key, job)
        with _MADE_LOCK:
            made = _MADE.get(key)
            if made is not None:
                _MADE.move_to_end(key)
        if made is not None:
            future.set_result(pickle.loads(made))  # a fresh copy: probes are built from it
            return future

        def settle(outcome: Any, failed: bool = False) -> None:
            if not failed:
                kept = pickle.dumps(outcome)
                with _MADE_LOCK:
                    _MADE[key] = kept
                    while len(_MADE) > _MADE_JOBS:
                        _MADE.popitem(last=False)

            def apply() -> None:
                if not future.done():
                    future.set_exception(outcome) if failed else future.set_result(outcome)

            with contextlib.suppress(RuntimeError):  # the loop is closed: the run is over
                loop.call_soon_threadsafe(apply)

        if self._pool is None:
            task = loop.run_in_executor(None, _draft, job, self.factory)
            task.add_done_callback(
                lambda done: settle(done.exception(), True) if done.exception() else settle(done.result())
            )
        else:
            self._pool.apply_async(_draft, (job,), callback=settle, error_callback=lambda exc: settle(exc, True))
        return future

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()


def _query_value(value: Any) -> str:
    """A query value as it goes on the wire (JSON spelling for booleans, as the vendor's JSON would)."""
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _body_bytes(body: Any) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8", "surrogatepass")
    try:
        return json.dumps(body).encode()
    except (TypeError, ValueError):
        return b""


def _refused(exc: BaseException) -> bool:
    """Whether nothing accepted the connection at all (as opposed to a reset or an empty answer)."""
    seen: BaseException | None = exc
    for _ in range(20):  # cause chains can loop
        if seen is None:
            break
        if isinstance(seen, ConnectionRefusedError) or "Connection refused" in str(seen):
            return True
        nested = seen.args[0] if seen.args and isinstance(seen.args[0], BaseException) else None
        seen = seen.__cause__ or seen.__context__ or nested
    return False


def _reason(exc: BaseException) -> str:
    """The innermost cause of a transport error, in one line."""
    cause: BaseException = exc
    while cause.__cause__ is not None or (cause.args and isinstance(cause.args[0], BaseException)):
        cause = cause.__cause__ if cause.__cause__ is not None else cause.args[0]
    text = str(cause) or type(cause).__name__
    return text.split(": ", 1)[-1] if "object at 0x" in text else text


def run(
    options: FuzzOptions,
    contract: Contract | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    on_exchange: Callable[[Exchange, Mapping[str, str]], None] | None = None,
) -> FuzzResult:
    """Fuzz `options.url` and return the result; raises `Unreachable` when nothing answers there."""
    return Fuzzer(options, contract, on_progress, on_exchange).run()
