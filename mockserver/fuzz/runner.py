"""Drives a fuzzing run: generate probes, sign and send each, judge it with the selected checks.

The loop is the fuzzer's own rather than schemathesis's engine because the vendor's rules need
per-webhook budgets, send-time signing, probe pairs (a forgery and its genuine control, a
future-style delivery and its plain version) and per-check tallies; schemathesis still
generates every case (through Hypothesis), serializes it for requests
(`Case.as_transport_kwargs`) and writes its curl command. The fuzzer sends it itself, with
``stream=True``, because `Case.call` reads the whole answer before returning: the fuzzer must
time the whole exchange (the Chat backend's timeout covers the body too), give up on a body
still trickling at the hang deadline, and keep only the first `Contract.max_body_bytes` bytes.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

import requests
import urllib3
from schemathesis import GenerationMode

from mockserver.contract import Contract, load_contract
from mockserver.errors import Unreachable
from mockserver.fuzz.cases import UNKNOWN_TARGET, CaseFactory, Probe, ProbeKind, Signing
from mockserver.fuzz.checks import CHECKS, Check, CheckContext, Exchange, Finding, get_check
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
READ_CHUNK = 64 * 1024
"""Bytes asked of the socket per read while streaming an answer."""


class _Stop(Exception):
    """Raised inside Hypothesis's test function to end generation once the run is aborted."""


class _Late(Exception):
    """The answer's body was still arriving at the exchange's deadline."""


@dataclass(frozen=True)
class _Answer:
    """What the fuzzer keeps of one HTTP answer: never more than the contract's body limit."""

    status: int
    content_type: str | None
    body: bytes
    truncated: bool
    request: requests.PreparedRequest


@dataclass(frozen=True)
class FuzzOptions:
    """What to fuzz and how hard; the CLI's options one to one."""

    url: str
    token: str | None = None
    app_id: str | None = None
    max_examples: int = 50
    """Generated cases per webhook and per generation mode (positive, negative)."""
    seed: int | None = None
    timeout: float | None = None
    """The answer budget in seconds; None takes the contract's delivery timeout."""
    checks: tuple[str, ...] = ()
    """Check names to run; empty runs them all."""


@dataclass(frozen=True)
class Progress:
    """Reported after every exchange and at every stage change."""

    stage: str
    done: int
    total: int
    failures: int
    """Failed check verdicts so far."""


@dataclass
class Tally:
    passed: int = 0
    failed: int = 0


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


@dataclass
class FuzzResult:
    url: str
    seed: int
    timeout: float
    checks: tuple[Check, ...]
    targets: tuple[str, ...]
    tallies: dict[tuple[str, str], Tally] = field(default_factory=dict)
    failures: dict[tuple[str, str, str], Failure] = field(default_factory=dict)
    requests: int = 0
    generated: int = 0
    elapsed: float = 0.0
    aborted: str | None = None
    signed: bool = False
    """Requests carried signatures (a token was given): reproducers go stale after the replay window."""

    @property
    def ok(self) -> bool:
        return not self.failures and self.aborted is None

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
        return total

    def failed_checks(self) -> tuple[str, ...]:
        return tuple(check.name for check in self.checks if self.tally(check.name).failed)


def split_url(url: str) -> tuple[str, str]:
    """``http://host:8080/hook`` -> (``http://host:8080``, ``/hook``); raises Unreachable when malformed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise Unreachable(f"{url!r} is not an http:// or https:// URL")
    if parts.query or parts.fragment:
        raise Unreachable(f"{url!r} has a query or fragment; give the webhook URL without them")
    return f"{parts.scheme}://{parts.netloc}", parts.path or "/"


class Fuzzer:
    """One run against one URL; build it, then call `run()` once."""

    def __init__(
        self,
        options: FuzzOptions,
        contract: Contract | None = None,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> None:
        self.options = options
        self.contract = contract if contract is not None else load_contract()
        self.base_url, path = split_url(options.url)
        self.checks = tuple(get_check(name) for name in options.checks) if options.checks else tuple(CHECKS.values())
        self.timeout = options.timeout if options.timeout is not None else self.contract.timeout_seconds
        self.hang_after = max(self.timeout * 2.5, self.timeout + 3.0)
        self.max_body = self.contract.max_body_bytes
        self.signing = Signing.for_contract(self.contract, options.token, options.app_id)
        self.factory = CaseFactory(self.contract, self.signing, path)
        self.context = CheckContext(self.contract, DeliveryValidator(self.contract), self.timeout)
        self.seed = options.seed if options.seed is not None else random.randrange(2**31)
        self.on_progress = on_progress or (lambda progress: None)
        self.session = requests.Session()
        targets = [webhook.name for webhook in self.contract.webhooks]
        if self._wants(ProbeKind.UNKNOWN_COMMAND):
            targets.append(UNKNOWN_TARGET)
        self.result = FuzzResult(
            options.url, self.seed, self.timeout, self.checks, tuple(targets), signed=options.token is not None
        )
        self._exchanges: dict[int, Exchange] = {}
        self._stage = ""
        self._total = 0
        self._failed_verdicts = 0
        self._refusals_in_a_row = 0
        self._hangs = 0

    # ------------------------------------------------------------------ planning
    def _wants(self, kind: ProbeKind) -> bool:
        return any(kind in check.kinds for check in self.checks)

    def _estimate(self) -> int:
        total = 0
        for webhook in self.contract.webhooks:
            if self._wants(ProbeKind.EXAMPLE):
                total += len(webhook.examples)
            if self._wants(ProbeKind.POSITIVE):
                total += self.options.max_examples
            if self._wants(ProbeKind.NEGATIVE):
                total += self.options.max_examples
            if self._wants(ProbeKind.MALFORMED):
                total += sum(1 for _ in self.factory.malformed(webhook))
            if self._wants(ProbeKind.FORWARD):
                total += sum(1 for _ in self.factory.forward(webhook))
            if self._wants(ProbeKind.AUTH):
                total += sum(1 for _ in self.factory.authentication(webhook))
        if self._wants(ProbeKind.UNKNOWN_COMMAND):
            total += sum(1 for _ in self.factory.unknown_command())
        return total

    # ------------------------------------------------------------------ running
    def preflight(self) -> None:
        """Send one genuine delivery; raise Unreachable when nothing listens at the URL."""
        probe = next(self.factory.examples(self.contract.webhooks[0]))
        self.signing.apply(probe.case.query, probe.auth)
        try:
            self._call(probe, time.perf_counter() + self.hang_after)
        except (requests.Timeout, _Late):
            return  # it listens but hangs: the checks will say so
        except requests.RequestException as exc:
            raise Unreachable(f"cannot reach {self.options.url}: {_reason(exc)}") from None

    def run(self) -> FuzzResult:
        self.preflight()
        started = time.perf_counter()
        self._total = self._estimate()
        try:
            self._run_stages()
        except _Stop:
            pass
        finally:
            self.result.elapsed = time.perf_counter() - started
            self.session.close()
        self._report(self._stage or "done")
        return self.result

    def _run_stages(self) -> None:
        for index, webhook in enumerate(self.contract.webhooks):
            if self._wants(ProbeKind.EXAMPLE):
                self._stage = f"{webhook.name}: examples"
                self._send_all(self.factory.examples(webhook))
            for offset, mode in enumerate(GenerationMode):
                kind = ProbeKind.POSITIVE if mode == GenerationMode.POSITIVE else ProbeKind.NEGATIVE
                if not self._wants(kind) or self.options.max_examples <= 0:
                    continue
                self._stage = f"{webhook.name}: {mode.value} cases"
                self.factory.generate(
                    webhook, mode, self.options.max_examples, self.seed + 2 * index + offset, self._visit_generated
                )
            if self._wants(ProbeKind.MALFORMED):
                self._stage = f"{webhook.name}: malformed deliveries"
                self._send_all(self.factory.malformed(webhook))
        if self._wants(ProbeKind.FORWARD):
            self._stage = "forward compatibility"
            for webhook in self.contract.webhooks:
                self._send_all(self.factory.forward(webhook))
        if self._wants(ProbeKind.AUTH):
            self._stage = "authentication"
            for webhook in self.contract.webhooks:
                self._send_all(self.factory.authentication(webhook))
        if self._wants(ProbeKind.UNKNOWN_COMMAND):
            self._stage = "unknown command"
            self._send_all(self.factory.unknown_command())

    def _visit_generated(self, probe: Probe) -> None:
        self.result.generated += 1
        self._send(probe)

    def _send_all(self, probes: Iterable[Probe]) -> None:
        for probe in probes:
            self._send(probe)

    def _send(self, probe: Probe) -> Exchange:
        if self.result.aborted is not None:
            raise _Stop
        self.signing.apply(probe.case.query, probe.auth)
        exchange = self._exchange(probe)
        self._exchanges[id(probe)] = exchange
        if probe.baseline is not None:
            exchange.baseline = self._exchanges.get(id(probe.baseline))
        self.result.requests += 1
        self._judge(exchange)
        self._watch_backend(exchange)
        self._report(self._stage)
        return exchange

    def _exchange(self, probe: Probe) -> Exchange:
        case = probe.case
        curl = case.as_curl_command(base_url=self.base_url)
        started = time.perf_counter()
        try:
            answer = self._call(probe, started + self.hang_after)
        except (requests.Timeout, _Late):
            return Exchange(
                probe,
                None,
                None,
                b"",
                time.perf_counter() - started,
                curl,
                error=f"no answer within {self.hang_after:g} s",
                hung=True,
            )
        except requests.RequestException as exc:
            prefix = REFUSED if isinstance(exc, requests.ConnectionError) and _refused(exc) else ""
            elapsed = time.perf_counter() - started
            return Exchange(probe, None, None, b"", elapsed, curl, error=prefix + _reason(exc))
        # The whole exchange, body included: the Chat backend's timeout covers the complete answer.
        elapsed = time.perf_counter() - started
        exchange = Exchange(
            probe, answer.status, answer.content_type, answer.body, elapsed, curl, truncated=answer.truncated
        )
        if probe.kind in (ProbeKind.EXAMPLE, ProbeKind.POSITIVE, ProbeKind.FORWARD):
            exchange.valid, exchange.violations = self._validity(answer.request)
        return exchange

    def _call(self, probe: Probe, deadline: float) -> _Answer:
        """Send `probe` and stream its answer until `deadline`, keeping at most `max_body` bytes.

        Raises `_Late` when the body is still arriving at the deadline, and what requests raises
        for a refused, dropped or silent connection.
        """
        kwargs = probe.case.as_transport_kwargs(base_url=self.base_url)
        with self.session.request(
            **kwargs, stream=True, timeout=(CONNECT_TIMEOUT, max(deadline - time.perf_counter(), 0.001))
        ) as response:
            body, truncated = _read_body(response, self.max_body, deadline)
            content_type = response.headers.get("content-type")
            return _Answer(response.status_code, content_type, body, truncated, response.request)

    def _validity(self, request: requests.PreparedRequest) -> tuple[bool, tuple[str, ...]]:
        """Judge the delivery as sent against the contract: only a valid delivery has a right answer."""
        query = dict(parse_qsl(urlsplit(request.url or "").query, keep_blank_values=True))
        raw = request.body
        body = raw.encode() if isinstance(raw, str) else raw if isinstance(raw, bytes) else None
        content_type = str(request.headers.get("content-type", "application/json"))
        try:
            violations = self.context.validator.check_request(query, body, content_type)
        except Exception as exc:  # a validator bug must not end the run; count the delivery as invalid
            return False, (f"not judged: {exc!r}",)
        return not violations, tuple(str(v) for v in violations)

    def _judge(self, exchange: Exchange) -> None:
        target = exchange.probe.target
        for check in self.checks:
            if not check.applies(exchange):
                continue
            tally = self.result.tallies.setdefault((check.name, target), Tally())
            finding = check(self.context, exchange)
            if finding is None:
                tally.passed += 1
                continue
            tally.failed += 1
            self._failed_verdicts += 1
            self._record(check.name, exchange, finding)

    def _record(self, check: str, exchange: Exchange, finding: Finding) -> None:
        key = (check, exchange.probe.target, finding.summary)
        known = self.result.failures.get(key)
        if known is None:
            self.result.failures[key] = Failure(
                check, exchange.probe.target, finding.summary, finding.detail, exchange.probe.label, exchange.curl
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

    def _report(self, stage: str) -> None:
        total = max(self._total, self.result.requests)
        self.on_progress(Progress(stage, self.result.requests, total, self._failed_verdicts))


def _read_body(response: requests.Response, limit: int, deadline: float) -> tuple[bytes, bool]:
    """The first `limit` bytes of the (decoded) body, and whether there was more; `_Late` past `deadline`.

    Reads with ``read1`` (whatever the socket has, at most a chunk) and shrinks the socket's
    timeout to the time left before each read, so a backend that trickles one byte at a time
    is cut off at the deadline rather than allowed one read timeout per byte. Memory stays
    bounded by `limit` whatever the backend sends (urllib3 also bounds decompression).
    """
    raw = response.raw
    kept = bytearray()
    while len(kept) <= limit:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            raise _Late
        connection = raw.connection
        sock = getattr(connection, "sock", None) if connection is not None else None
        if sock is not None:
            sock.settimeout(remaining)
        try:
            chunk = raw.read1(min(READ_CHUNK, limit + 1 - len(kept)), decode_content=True)
        except (TimeoutError, urllib3.exceptions.ReadTimeoutError):
            raise _Late from None
        except urllib3.exceptions.HTTPError as exc:  # e.g. the connection dropped mid-body
            raise requests.ConnectionError(exc) from exc
        if not chunk:
            return bytes(kept), False
        kept += chunk
    return bytes(kept[:limit]), True


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
    options: FuzzOptions, contract: Contract | None = None, on_progress: Callable[[Progress], None] | None = None
) -> FuzzResult:
    """Fuzz `options.url` and return the result; raises `Unreachable` when nothing answers there."""
    return Fuzzer(options, contract, on_progress).run()
