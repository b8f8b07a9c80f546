"""The one sender: delivers a webhook the way the Chat backend does, from the contract alone.

Everything that sends as the Chat backend would (`mockserver send`, and `replay`, `forward`,
`simulate` and load runs as they arrive) goes through `Sender`: it needs no generated package,
only the contract it is given, so a user's edited contract is sent and judged as it says.

    async with Sender(url, contract=contract, sdk_appid=1400000000, token="secret") as sender:
        verdict = await sender.send(command, body)   # a command or its event name
    verdict.delivered, verdict.outcome, verdict.violations

A delivery builds the vendor's query string from the parameters' roles, signs it with a fresh
`RequestTime` when there is a token (each retry or replay is signed anew, as the vendor does),
posts the body with the contract's timeout (`x-delivery.timeoutSeconds`, 2 s) bounding the
whole exchange, reads at most `x-delivery.maxBodyBytes` of the answer, and judges it with the
kit's `ResponseChecker` and the vendor's rules (`x-subset-of`, `x-vendor-values`,
`x-webhook.effects`, read by `mockserver.flow`). It never raises for what the backend does:
a status, a timeout or a refused connection is a `Verdict` too. `send_once` is the thin
synchronous face for one delivery.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx

from mockserver.contract import Contract, Webhook, load_contract
from mockserver.errors import InputError, JSONTextError
from mockserver.flow import effective_event, outcome_of
from mockserver.jsontext import loads_strict
from mockserver.responses import ResponseChecker
from mockserver.schema import Violation
from mockserver.signing import Clock, Signer

__all__ = ["Sender", "Verdict", "http_client", "read_answer", "redirect_error", "send_once"]

JSON = Any
_HEADERS = {"content-type": "application/json"}


@dataclass(frozen=True)
class Verdict:
    """One delivery: what came back, whether it conforms, and what the Chat backend then does."""

    webhook: Webhook
    status: int | None
    """The answer's HTTP status; None when no answer came (`error` says why)."""
    body: bytes
    """The answer's bytes (at most the contract's `maxBodyBytes`)."""
    elapsed: float
    """Seconds from sending to the answer's last byte."""
    violations: tuple[Violation, ...] = ()
    """How the answer breaks the contract: its schema, or a vendor rule (refusing someone not asked about)."""
    error: str | None = None
    """Why there is no usable answer: a timeout, a refused connection, an answer over the size limit."""
    timed_out: bool = False
    answer: JSON = None
    """The answer parsed as JSON (None when it is not JSON or there is none)."""
    outcome: str = "allow"
    """What the Chat backend does (`mockserver.flow.outcome_of`): `allow`, `reject`, `drop`,
    `ignored`, `undefined`; a failed delivery counts as the webhook's `onFailure` policy."""
    detail: str = ""
    """The vendor's meaning of the answer's code, or why the failure policy applies."""
    caller_error: int | None = None
    """The error code the caller of the operation gets (None: it is told the operation succeeded)."""
    operation: Mapping[str, JSON] = field(default_factory=dict)
    """The event as the answer leaves it (a replaced message, refused users left out)."""
    refused: tuple[JSON, ...] = ()
    """Items the answer refuses while letting the operation through (`x-role: refused`)."""
    replaced: Mapping[str, JSON] = field(default_factory=dict)
    """Event fields (by path) an allowing answer replaces, with the values the Chat backend uses instead."""
    content_type: str | None = None
    """The answer's Content-Type (a forwarding mock passes it back with the answer)."""

    @property
    def command(self) -> str:
        return self.webhook.command

    @property
    def delivered(self) -> bool:
        """The Chat backend counts this delivery a success: 200, JSON, within the contract."""
        return self.status == 200 and self.error is None and not self.violations

    @property
    def allowed(self) -> bool:
        """Whether the operation goes on (after an "after" webhook it already has)."""
        return self.outcome in ("allow", "ignored")

    def line(self) -> str:
        """One line: the target's verdict, then what the Chat backend does (replay prints it per delivery)."""
        took = f"{self.elapsed * 1000:.1f} ms"
        if self.status is None:
            verdict = f"no answer after {took}: {self.error}"
        elif self.delivered:
            verdict = f"{self.status} in {took}: delivered, the answer conforms to the contract"
        elif self.error is not None and self.status != 200:  # a redirect: the reason is in `error`
            verdict = f"{self.status} in {took}: failed, {self.error}"
        elif self.status != 200:  # the body of a refusal is its reason, not a schema to check
            said = _reason(self.body)
            said = f" ({said[:200]}{'…' if len(said) > 200 else ''})" if said else ""
            verdict = f"{self.status} in {took}: failed, the Chat backend counts a {self.status} as a failure{said}"
        elif self.error is not None:
            verdict = f"{self.status} in {took}: failed, {self.error}"
        else:
            first = self.violations[0]
            more = f" (and {len(self.violations) - 1} more)" if len(self.violations) > 1 else ""
            verdict = f"{self.status} in {took}: failed, {first}{more}"
        caller = f", the caller gets error {self.caller_error}" if self.caller_error is not None else ""
        return f"{verdict}; vendor {self.outcome}: {self.detail}{caller}"


class Sender:
    """Delivers webhooks of one contract to one URL over an `httpx.AsyncClient`.

    `url` is the app backend's webhook URL. `sdk_appid`, `client_ip` and `platform` default to
    the contract's parameter examples; `token` signs (None: unsigned); `timeout` defaults to the
    contract's. Pass `http` to share a client (it is then not closed here).
    """

    def __init__(
        self,
        url: str,
        *,
        contract: Contract | None = None,
        sdk_appid: int | str | None = None,
        token: str | None = None,
        client_ip: str | None = None,
        platform: str | None = None,
        timeout: float | None = None,
        clock: Clock = time.time,
        http: httpx.AsyncClient | None = None,
        checker: ResponseChecker | None = None,
    ) -> None:
        self.url = url
        self.contract = contract if contract is not None else load_contract()
        self.timeout = self.contract.timeout_seconds if timeout is None else float(timeout)
        self.max_answer_bytes = self.contract.max_body_bytes
        self.signer = Signer(token, rule=self.contract.signing, clock=clock)
        self.checker = checker if checker is not None else ResponseChecker(self.contract)
        fixed = {"app-id": sdk_appid, "client-ip": client_ip, "platform": platform}
        self._params = {
            p.role: str(fixed[p.role]) if fixed.get(p.role) is not None else "" if p.example is None else str(p.example)
            for p in self.contract.parameters
            if p.required
        }
        self._own = http is None
        self._http = http if http is not None else http_client()

    def query(self, command: str) -> dict[str, str]:
        """The query string the Chat backend sends with `command`, signed now when there is a token."""
        query = {p.name: command if p.role == "command" else self._params[p.role] for p in self._required()}
        query.update(self.signer.sign())
        return query

    def _required(self) -> list[Any]:
        return [p for p in self.contract.parameters if p.required]

    def resigned(self, query: Mapping[str, str]) -> dict[str, str]:
        """A captured query string as it is sent again: signed now when there is a token, else as it was."""
        return {**query, **self.signer.sign()} if self.signer.token is not None else dict(query)

    async def send(
        self,
        command: str,
        body: bytes | Mapping[str, JSON],
        *,
        query: Mapping[str, str] | None = None,
        content_type: str | None = None,
    ) -> Verdict:
        """Deliver `body` as `command` (a command or its event name) and judge the answer.

        Bytes are sent exactly as given (a replay sends what was captured); a mapping is encoded
        as JSON. `query` sends a captured query string instead of the contract's (`resigned`), and
        `content_type` another media type. Raises `UnknownCommand` for a command the contract does
        not describe.
        """
        webhook = self.contract.webhook_named(command)
        params = self.query(webhook.command) if query is None else self.resigned(query)
        headers = _HEADERS if content_type is None else {"content-type": content_type}
        content = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        started = time.perf_counter()
        try:
            async with (
                asyncio.timeout(self.timeout),
                self._http.stream("POST", self.url, params=params, content=content, headers=headers) as response,
            ):
                answer, truncated = await read_answer(response, self.max_answer_bytes)
                if truncated:
                    return self._failed(webhook, started, f"the answer is larger than {self.max_answer_bytes} bytes")
        except (TimeoutError, httpx.TimeoutException):
            return self._failed(webhook, started, f"no answer within {self.timeout:g} s", timed_out=True)
        except httpx.HTTPError as exc:
            return self._failed(webhook, started, f"{type(exc).__name__}: {exc}")
        elapsed = time.perf_counter() - started
        verdict = self.judge(
            webhook, content, response.status_code, answer, elapsed, response.headers.get("content-type")
        )
        redirect = redirect_error(response.status_code, response.headers)
        return verdict if redirect is None else dataclasses.replace(verdict, error=redirect)

    def judge(
        self,
        webhook: Webhook,
        sent: bytes,
        status: int,
        answer: bytes,
        elapsed: float = 0.0,
        content_type: str | None = None,
    ) -> Verdict:
        """The verdict on an answer to `sent` (public so that captured exchanges are judged alike)."""
        violations = self.checker.check(webhook.command, status, answer, content_type)
        try:
            document: JSON = json.loads(answer)
        except (ValueError, UnicodeDecodeError):
            document = None
        try:
            event: JSON = json.loads(sent)
        except (ValueError, UnicodeDecodeError):
            event = None
        if not violations and isinstance(event, Mapping):
            violations = self.checker.check_subsets(webhook.command, event, document)
        if violations:
            return Verdict(
                webhook,
                status,
                answer,
                elapsed,
                tuple(violations),
                answer=document,
                outcome=webhook.on_failure,
                detail=_failure_detail(webhook),
                operation=dict(event) if isinstance(event, Mapping) else {},
                content_type=content_type,
            )
        value = webhook.vendor_value(document.get(webhook.response_roles.get("error-code", "")))
        outcome = outcome_of(webhook, document)
        caller = None
        if value is not None and outcome not in ("allow", "ignored"):
            caller = (
                document.get(webhook.response_roles.get("error-code", "")) if value.pass_through else value.caller_error
            )
        refused: tuple[JSON, ...] = ()
        replaced: dict[str, JSON] = {}
        if outcome == "allow":
            listed = document.get(webhook.response_roles.get("refused", ""))
            refused = tuple(listed) if isinstance(listed, list) else ()
            for effect in webhook.effects:
                found = effect.answer.values(document)
                if effect.action == "replace" and found:
                    replaced[str(effect.target)] = found[0]
        return Verdict(
            webhook,
            status,
            answer,
            elapsed,
            answer=document,
            outcome=outcome,
            detail=value.meaning if value is not None else "an error code the vendor does not define",
            caller_error=caller,
            operation=effective_event(webhook, event, document) if isinstance(event, Mapping) else {},
            refused=refused,
            replaced=replaced,
            content_type=content_type,
        )

    def _failed(self, webhook: Webhook, started: float, error: str, *, timed_out: bool = False) -> Verdict:
        return Verdict(
            webhook,
            None,
            b"",
            time.perf_counter() - started,
            error=error,
            timed_out=timed_out,
            outcome=webhook.on_failure,
            detail=_failure_detail(webhook),
        )

    async def aclose(self) -> None:
        if self._own:
            await self._http.aclose()

    async def __aenter__(self) -> Sender:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


def http_client(
    *,
    headers: Mapping[str, str] | None = None,
    connections: int | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """The client every delivery goes out on (the Sender's, the fuzzer's): the kit's one HTTP stack.

    Redirects are never followed: the Chat backend does not follow them, so a 3xx is a failed
    delivery the user must hear about (`redirect_error`), not a hop to take silently.
    `connections` bounds the pool (a run with N concurrent sends needs N); `transport` replaces
    the network (tests hand in an `httpx.ASGITransport`).
    """
    limits = httpx.Limits() if connections is None else httpx.Limits(max_connections=connections)
    return httpx.AsyncClient(follow_redirects=False, headers=headers, limits=limits, transport=transport)


async def read_answer(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    """The first `limit` bytes of a streamed answer, and whether there was more (then it stops reading).

    Memory stays bounded by `limit` whatever the backend sends; the caller's deadline bounds the time.
    """
    kept = bytearray()
    async for chunk in response.aiter_bytes():
        kept += chunk
        if len(kept) > limit:
            return bytes(kept[:limit]), True
    return bytes(kept), False


def redirect_error(status: int, headers: Mapping[str, str]) -> str | None:
    """Why a 3xx answer is a failed delivery (None for any other status), worded once for every command."""
    if not 300 <= status < 400:
        return None
    location = headers.get("location")
    where = f" to {location}" if location else ""
    return (
        f"redirected ({status}){where}: the Chat backend does not follow redirects,"
        " so set the webhook URL to the final address"
    )


def check_url(url: str) -> str:
    """`url` if it is an http(s) URL with a host; otherwise `InputError` saying why.

    Every command and page that sends (send, replay, forward, simulate, load) checks its target
    here, so a mistyped URL is the same usage error everywhere, not a failed delivery.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port raises ValueError when it is not a number
    except ValueError as exc:
        raise InputError(f"{url!r} is not a URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"{url!r} is not an http:// or https:// URL")
    return url


def _reason(body: bytes) -> str:
    """What a refusal says: a problem document's `detail`, else the body's text on one line."""
    try:
        document = loads_strict(body)
    except JSONTextError:
        document = None
    if isinstance(document, dict) and isinstance(document.get("detail"), str):
        return str(document["detail"])
    return " ".join(body.decode("utf-8", "replace").split())


def _failure_detail(webhook: Webhook) -> str:
    return f"the delivery failed; the Chat backend applies its {webhook.on_failure!r} policy"


def send_once(url: str, command: str, body: bytes | Mapping[str, JSON], **options: Any) -> Verdict:
    """Deliver one webhook synchronously (`options` as for `Sender`); for one-shot callers such as the CLI."""

    async def run() -> Verdict:
        async with Sender(url, **options) as sender:
            return await sender.send(command, body)

    return asyncio.run(run())
