"""Client: deliver webhooks the way the Chat backend does, sync or async, with typed answers.

Generated from openapi.yaml by `mockserver generate python`; do not edit, regenerate.

Each webhook has one typed method. A delivery builds the vendor's query string (signed when the
client has a token), posts the encoded event with the vendor's 2-second timeout and returns a
`Reply` with the typed answer and the `Outcome`: what the Chat backend would do with it (go on,
refuse, drop silently, go on with a replaced message...). A
non-200 status, a body that is not JSON, an answer that violates the contract and a timeout
raise `DeliveryError` subclasses, which carry the outcome of a failed delivery too (a "before"
webhook that fails counts as allowed). It depends on msgspec and httpx only.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final, Generic, TypeVar

import httpx
import msgspec

from .models import (
    AfterAddSubscriber,
    AfterAddSubscriberResponse,
    AfterCreateOfficialAccount,
    AfterCreateOfficialAccountResponse,
    AfterDeleteSubscriber,
    AfterDeleteSubscriberResponse,
    AfterMsgWithDraw,
    AfterMsgWithDrawResponse,
    AfterOfficialAccountDestroyed,
    AfterOfficialAccountDestroyedResponse,
    AfterOfficialAccountFull,
    AfterOfficialAccountFullResponse,
    AfterOfficialAccountInfoChanged,
    AfterOfficialAccountInfoChangedResponse,
    AfterSendMsg,
    AfterSendMsgResponse,
    AnyResponse,
    BeforeAddSubscriber,
    BeforeAddSubscriberResponse,
    BeforeCreateOfficialAccount,
    BeforeCreateOfficialAccountResponse,
    BeforeSendMsg,
    BeforeSendMsgResponse,
    CallbackEvent,
    PayloadError,
    decode,
    encode,
)
from .signing import sign_query

__all__ = [
    "MAX_ANSWER_BYTES",
    "TIMEOUT_SECONDS",
    "AnswerTooLarge",
    "AsyncWebhookClient",
    "ContractViolation",
    "DeliveryError",
    "DeliveryTimeout",
    "NotJSONError",
    "Outcome",
    "Reply",
    "StatusError",
    "TransportError",
    "VendorValue",
    "WebhookClient",
    "failure_outcome",
]

TIMEOUT_SECONDS: Final = 2.0
"""How long the Chat backend waits for an answer (`x-delivery.timeoutSeconds`)."""

MAX_ANSWER_BYTES: Final = 1048576
"""The largest answer body read: the contract's `x-delivery.maxBodyBytes` (an answer is a few
hundred bytes; one this large is a bug, and reading on would only spend memory)."""

_R = TypeVar("_R", bound=msgspec.Struct)
_E = TypeVar("_E", bound=msgspec.Struct)


@dataclass(frozen=True)
class Outcome:
    """What the Chat backend does with a delivery's result."""

    allowed: bool
    """Whether the operation goes on: False when a "before" webhook's answer refuses or drops it."""
    detail: str
    refused: tuple[str, ...] = ()
    """Items the answer refuses while letting the operation through."""
    action: str = "allow"
    """The vendor's outcome (`x-vendor-values`): ``allow``, ``reject``, ``drop`` (abandoned silently:
    the caller is told it succeeded), ``ignored`` (an "after" webhook) or ``undefined`` (a code
    the vendor does not define)."""
    caller_error: int | None = None
    """The error code the caller of the operation gets; None when it is told the operation succeeded."""
    replaced: Mapping[str, Any] = field(default_factory=dict[str, Any])
    """Event fields (by wire name) the answer replaces in what the Chat backend goes on with,
    e.g. the message body it delivers instead of the sender's; empty when nothing is replaced."""

    @property
    def dropped(self) -> bool:
        """The operation is abandoned while the caller is told it succeeded ("drop silently")."""
        return self.action == "drop"


@dataclass(frozen=True)
class VendorValue:
    """One of the error codes the vendor defines for a webhook (a range: app-defined codes)."""

    low: int
    high: int
    action: str
    meaning: str
    caller_error: int | None = None
    pass_through: bool = False
    """The caller gets the answer's own error code and error info."""


def _decide(
    values: tuple[VendorValue, ...],
    code: int,
    refused: tuple[str, ...] = (),
    replaced: Mapping[str, Any] | None = None,
) -> Outcome:
    """The outcome of a "before" webhook's answer with error `code`, from the vendor's values."""
    value = next((v for v in values if v.low <= code <= v.high), None)
    if value is None:
        return Outcome(False, f"error code {code} is not a value the vendor defines", action="undefined")
    if value.action != "allow":
        caller = code if value.pass_through else value.caller_error
        return Outcome(False, value.meaning, action=value.action, caller_error=caller)
    return Outcome(True, value.meaning, refused, replaced=dict(replaced or {}))


@dataclass(frozen=True)
class Reply(Generic[_R]):
    """A successful delivery: the typed answer, the HTTP status and the outcome."""

    command: str
    response: _R
    status: int
    elapsed: float
    outcome: Outcome


class DeliveryError(Exception):
    """A failed delivery; `outcome` is what the Chat backend does when a delivery fails."""

    def __init__(self, command: str, message: str) -> None:
        super().__init__(message)
        self.command = command
        self.outcome = failure_outcome(command)


class StatusError(DeliveryError):
    """The answer's status is not 200."""

    def __init__(self, command: str, status: int, body: bytes) -> None:
        super().__init__(command, f"{command}: HTTP {status} (expected 200): {body[:200]!r}")
        self.status = status
        self.body = body


class NotJSONError(DeliveryError):
    """The answer's body is not JSON."""

    def __init__(self, command: str, body: bytes, reason: str) -> None:
        super().__init__(command, f"{command}: the answer is not JSON ({reason}): {body[:200]!r}")
        self.body = body


class ContractViolation(DeliveryError):
    """The answer is JSON but not the webhook's response schema; `path` names the field."""

    def __init__(self, command: str, reason: str, path: str) -> None:
        super().__init__(command, f"{command}: the answer violates the contract: {reason} - at `{path}`")
        self.reason = reason
        self.path = path


class DeliveryTimeout(DeliveryError):
    """No answer within the timeout."""


class TransportError(DeliveryError):
    """The request could not be sent (connection refused, DNS, TLS...)."""


class AnswerTooLarge(DeliveryError):
    """The answer's body is larger than the client's `max_answer_bytes`; the rest is not read."""

    def __init__(self, command: str, limit: int) -> None:
        super().__init__(command, f"{command}: the answer is larger than {limit} bytes")
        self.limit = limit


_ON_FAILURE: Final[Mapping[str, str]] = {
    "OfficialAccount.CallbackAfterOfficialAccountFull": "ignored",
    "OfficialAccount.CallbackAfterDeleteSubscriber": "ignored",
    "OfficialAccount.CallbackAfterOfficialAccountDestroyed": "ignored",
    "OfficialAccount.CallbackBeforeAddSubscriber": "allow",
    "OfficialAccount.CallbackAfterSendMsg": "ignored",
    "OfficialAccount.CallbackBeforeCreateOfficialAccount": "allow",
    "OfficialAccount.CallbackAfterCreateOfficialAccount": "ignored",
    "OfficialAccount.CallbackAfterOfficialAccountInfoChanged": "ignored",
    "OfficialAccount.CallbackAfterAddSubscriber": "ignored",
    "OfficialAccount.CallbackBeforeSendMsg": "allow",
    "OfficialAccount.CallbackAfterMsgWithDraw": "ignored",
}


def failure_outcome(command: str) -> Outcome:
    """The outcome of a failed or timed-out delivery, from the webhook's `x-webhook.onFailure`."""
    policy = _ON_FAILURE.get(command, "ignored")
    if policy == "allow":
        return Outcome(True, "the delivery failed; the Chat backend lets the operation through")
    if policy == "ignored":
        return Outcome(True, "the delivery failed; the Chat backend ignores it", action="ignored")
    return Outcome(False, f"the delivery failed; the Chat backend applies its {policy!r} policy", action=policy)


class _Violation(Exception):
    def __init__(self, reason: str, path: str) -> None:
        super().__init__(reason)
        self.reason, self.path = reason, path


def _judge_after_official_account_full(
    event: AfterOfficialAccountFull, answer: AfterOfficialAccountFullResponse
) -> Outcome:
    return Outcome(True, "an after webhook: the Chat backend ignores the answer", action="ignored")


def _judge_after_delete_subscriber(event: AfterDeleteSubscriber, answer: AfterDeleteSubscriberResponse) -> Outcome:
    return Outcome(True, "an after webhook: the Chat backend ignores the answer", action="ignored")


def _judge_after_official_account_destroyed(
    event: AfterOfficialAccountDestroyed, answer: AfterOfficialAccountDestroyedResponse
) -> Outcome:
    return Outcome(True, "an after webhook: the Chat backend ignores the answer", action="ignored")


_VALUES_BEFORE_ADD_SUBSCRIBER: Final[tuple[VendorValue, ...]] = (
    VendorValue(
        0, 0, "allow", "Continue adding the subscribers, except those in RefusedSubscribers_Account.", None, False
    ),
    VendorValue(1, 1, "reject", "Reject the whole request.", None, False),
)
"""What each `error_code` answering `OfficialAccount.CallbackBeforeAddSubscriber` makes the Chat
backend do (`x-vendor-values`)."""


def _judge_before_add_subscriber(event: BeforeAddSubscriber, answer: BeforeAddSubscriberResponse) -> Outcome:
    requested = {item.subscriber_account for item in event.subscribe_account_list}
    if not isinstance(answer.refused_subscribers_account, msgspec.UnsetType):
        for index, value in enumerate(answer.refused_subscribers_account):
            if value not in requested:
                reason = f"{value!r} is not in the request's SubscribeAccountList[*].Subscriber_Account"
                raise _Violation(reason, f"$.RefusedSubscribers_Account[{index}]")
    refused = answer.refused_subscribers_account
    listed = () if isinstance(refused, msgspec.UnsetType) else tuple(refused)
    return _decide(_VALUES_BEFORE_ADD_SUBSCRIBER, answer.error_code, listed)


def _judge_after_send_msg(event: AfterSendMsg, answer: AfterSendMsgResponse) -> Outcome:
    return Outcome(True, "an after webhook: the Chat backend ignores the answer", action="ignored")


_VALUES_BEFORE_CREATE_OFFICIAL_ACCOUNT: Final[tuple[VendorValue, ...]] = (
    VendorValue(0, 0, "allow", "Create the Official Account.", None, False),
    VendorValue(1, 1, "reject", "Do not create the Official Account; the caller gets error 20006.", 20006, False),
    VendorValue(
        120001, 130000, "reject", "An app-defined refusal; the caller gets this ErrorCode and ErrorInfo.", None, True
    ),
)
"""What each `error_code` answering `OfficialAccount.CallbackBeforeCreateOfficialAccount` makes the
Chat backend do (`x-vendor-values`)."""


def _judge_before_create_official_account(
    event: BeforeCreateOfficialAccount, answer: BeforeCreateOfficialAccountResponse
) -> Outcome:
    return _decide(_VALUES_BEFORE_CREATE_OFFICIAL_ACCOUNT, answer.error_code)


def _judge_after_create_official_account(
    event: AfterCreateOfficialAccount, answer: AfterCreateOfficialAccountResponse
) -> Outcome:
    return Outcome(True, "an after webhook: the Chat backend ignores the answer", action="ignored")


def _judge_after_official_account_info_changed(
    event: AfterOfficialAccountInfoChanged, answer: AfterOfficialAccountInfoChangedResponse
) -> Outcome:
    return Outcome(True, "an after webhook: the Chat backend ignores the answer", action="ignored")


def _judge_after_add_subscriber(event: AfterAddSubscriber, answer: AfterAddSubscriberResponse) -> Outcome:
    return Outcome(True, "an after webhook: the Chat backend ignores the answer", action="ignored")


_VALUES_BEFORE_SEND_MSG: Final[tuple[VendorValue, ...]] = (
    VendorValue(
        0, 0, "allow", "Deliver the message, with the answer's MsgBody and CloudCustomData if it has them.", None, False
    ),
    VendorValue(1, 1, "reject", "Do not deliver the message; the sender gets error 10016.", 10016, False),
    VendorValue(2, 2, "drop", "Drop the message silently; the sender is told it was sent.", None, False),
    VendorValue(
        120001, 130000, "reject", "An app-defined refusal; the sender gets this ErrorCode and ErrorInfo.", None, True
    ),
)
"""What each `error_code` answering `OfficialAccount.CallbackBeforeSendMsg` makes the Chat backend do
(`x-vendor-values`)."""


def _judge_before_send_msg(event: BeforeSendMsg, answer: BeforeSendMsgResponse) -> Outcome:
    replaced: dict[str, Any] = {}
    if not isinstance(answer.msg_body, msgspec.UnsetType):
        replaced["MsgBody"] = answer.msg_body
    if not isinstance(answer.cloud_custom_data, msgspec.UnsetType):
        replaced["CloudCustomData"] = answer.cloud_custom_data
    return _decide(_VALUES_BEFORE_SEND_MSG, answer.error_code, replaced=replaced)


def _judge_after_msg_with_draw(event: AfterMsgWithDraw, answer: AfterMsgWithDrawResponse) -> Outcome:
    return Outcome(True, "an after webhook: the Chat backend ignores the answer", action="ignored")


@dataclass(frozen=True)
class _Spec:
    command: str
    response: type[msgspec.Struct]
    judge: Callable[[Any, Any], Outcome]


_SPECS: Final[Mapping[type[CallbackEvent], _Spec]] = {
    AfterOfficialAccountFull: _Spec(
        "OfficialAccount.CallbackAfterOfficialAccountFull",
        AfterOfficialAccountFullResponse,
        _judge_after_official_account_full,
    ),
    AfterDeleteSubscriber: _Spec(
        "OfficialAccount.CallbackAfterDeleteSubscriber", AfterDeleteSubscriberResponse, _judge_after_delete_subscriber
    ),
    AfterOfficialAccountDestroyed: _Spec(
        "OfficialAccount.CallbackAfterOfficialAccountDestroyed",
        AfterOfficialAccountDestroyedResponse,
        _judge_after_official_account_destroyed,
    ),
    BeforeAddSubscriber: _Spec(
        "OfficialAccount.CallbackBeforeAddSubscriber", BeforeAddSubscriberResponse, _judge_before_add_subscriber
    ),
    AfterSendMsg: _Spec("OfficialAccount.CallbackAfterSendMsg", AfterSendMsgResponse, _judge_after_send_msg),
    BeforeCreateOfficialAccount: _Spec(
        "OfficialAccount.CallbackBeforeCreateOfficialAccount",
        BeforeCreateOfficialAccountResponse,
        _judge_before_create_official_account,
    ),
    AfterCreateOfficialAccount: _Spec(
        "OfficialAccount.CallbackAfterCreateOfficialAccount",
        AfterCreateOfficialAccountResponse,
        _judge_after_create_official_account,
    ),
    AfterOfficialAccountInfoChanged: _Spec(
        "OfficialAccount.CallbackAfterOfficialAccountInfoChanged",
        AfterOfficialAccountInfoChangedResponse,
        _judge_after_official_account_info_changed,
    ),
    AfterAddSubscriber: _Spec(
        "OfficialAccount.CallbackAfterAddSubscriber", AfterAddSubscriberResponse, _judge_after_add_subscriber
    ),
    BeforeSendMsg: _Spec("OfficialAccount.CallbackBeforeSendMsg", BeforeSendMsgResponse, _judge_before_send_msg),
    AfterMsgWithDraw: _Spec(
        "OfficialAccount.CallbackAfterMsgWithDraw", AfterMsgWithDrawResponse, _judge_after_msg_with_draw
    ),
}


def _interpret(
    command: str,
    event: _E,
    status: int,
    body: bytes,
    elapsed: float,
    kind: type[_R],
    judge: Callable[[_E, _R], Outcome],
) -> Reply[_R]:
    if status != 200:
        raise StatusError(command, status, body)
    try:
        answer = decode(body, kind)
    except PayloadError as exc:
        reason = _json_error(body)
        if reason is not None:
            raise NotJSONError(command, body, reason) from None
        raise ContractViolation(command, exc.reason, exc.path) from None
    try:
        outcome = judge(event, answer)
    except _Violation as exc:
        raise ContractViolation(command, exc.reason, exc.path) from None
    return Reply(command, answer, status, elapsed, outcome)


def _json_error(body: bytes) -> str | None:
    """Why an answer the response type refused is not JSON at all; None when it is JSON (of the wrong shape)."""
    try:
        msgspec.json.decode(body)
    except RecursionError:
        return None  # JSON, nested deeper than the decoder goes: `decode` already said so
    except msgspec.DecodeError as exc:
        return str(exc)
    return None


class _Sender:
    max_answer_bytes: int = MAX_ANSWER_BYTES
    """Answers larger than this raise `AnswerTooLarge` (set it on a client to change it)."""

    def __init__(
        self,
        url: str,
        *,
        sdk_appid: int,
        token: str | None = None,
        client_ip: str = "127.0.0.1",
        platform: str = "RESTAPI",
        timeout: float = TIMEOUT_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = url
        self.sdk_appid = sdk_appid
        self.token = token
        self.client_ip = client_ip
        self.platform = platform
        self.timeout = timeout
        self.clock = clock

    def query(self, command: str) -> dict[str, str]:
        """The query string the Chat backend sends with `command` (signed when there is a token)."""
        query = {
            "SdkAppid": str(self.sdk_appid),
            "CallbackCommand": command,
            "contenttype": "json",
            "ClientIP": self.client_ip,
            "OptPlatform": self.platform,
        }
        if self.token is not None:
            query.update(sign_query(self.token, int(self.clock())))
        return query


_HEADERS: Final = {"content-type": "application/json"}


def _take(command: str, chunks: list[bytes], size: int, chunk: bytes, limit: int) -> int:
    """Keep one chunk of the answer; refuse to hold more than `limit` bytes (decoded: no zip bomb)."""
    size += len(chunk)
    if size > limit:
        raise AnswerTooLarge(command, limit)
    chunks.append(chunk)
    return size


class WebhookClient(_Sender):
    """Synchronous deliveries over an `httpx.Client`.

    The timeout bounds each network wait and the whole answer is checked against it between
    reads, so a server that trickles its answer is cut off at most one wait late; the async client
    bounds the whole delivery exactly.
    """

    def __init__(
        self,
        url: str,
        *,
        sdk_appid: int,
        token: str | None = None,
        client_ip: str = "127.0.0.1",
        platform: str = "RESTAPI",
        timeout: float = TIMEOUT_SECONDS,
        clock: Callable[[], float] = time.time,
        http: httpx.Client | None = None,
    ) -> None:
        super().__init__(
            url, sdk_appid=sdk_appid, token=token, client_ip=client_ip, platform=platform, timeout=timeout, clock=clock
        )
        self._own = http is None
        self._http = http if http is not None else httpx.Client()

    def close(self) -> None:
        if self._own:
            self._http.close()

    def __enter__(self) -> WebhookClient:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def _post(self, command: str, body: bytes) -> tuple[int, bytes, float]:
        started = time.perf_counter()
        deadline = started + self.timeout
        chunks: list[bytes] = []
        size = 0
        try:
            with self._http.stream(
                "POST", self.url, params=self.query(command), content=body, headers=_HEADERS, timeout=self.timeout
            ) as response:
                for chunk in response.iter_bytes():
                    size = _take(command, chunks, size, chunk, self.max_answer_bytes)
                    if time.perf_counter() > deadline:
                        raise httpx.ReadTimeout("the answer did not end within the timeout")
        except httpx.TimeoutException:
            raise DeliveryTimeout(command, f"{command}: no answer within {self.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise TransportError(command, f"{command}: {type(exc).__name__}: {exc}") from None
        return response.status_code, b"".join(chunks), time.perf_counter() - started

    def send(self, event: CallbackEvent) -> Reply[AnyResponse]:
        """Deliver any event; the typed methods below give a more precise return type."""
        spec = _SPECS[type(event)]
        reply: Reply[Any] = _interpret(
            spec.command, event, *self._post(spec.command, encode(event)), spec.response, spec.judge
        )
        return reply

    def after_official_account_full(self, event: AfterOfficialAccountFull) -> Reply[AfterOfficialAccountFullResponse]:
        """Deliver `OfficialAccount.CallbackAfterOfficialAccountFull` (after webhook)."""
        command = "OfficialAccount.CallbackAfterOfficialAccountFull"
        return _interpret(
            command,
            event,
            *self._post(command, encode(event)),
            AfterOfficialAccountFullResponse,
            _judge_after_official_account_full,
        )

    def after_delete_subscriber(self, event: AfterDeleteSubscriber) -> Reply[AfterDeleteSubscriberResponse]:
        """Deliver `OfficialAccount.CallbackAfterDeleteSubscriber` (after webhook)."""
        command = "OfficialAccount.CallbackAfterDeleteSubscriber"
        return _interpret(
            command,
            event,
            *self._post(command, encode(event)),
            AfterDeleteSubscriberResponse,
            _judge_after_delete_subscriber,
        )

    def after_official_account_destroyed(
        self, event: AfterOfficialAccountDestroyed
    ) -> Reply[AfterOfficialAccountDestroyedResponse]:
        """Deliver `OfficialAccount.CallbackAfterOfficialAccountDestroyed` (after webhook)."""
        command = "OfficialAccount.CallbackAfterOfficialAccountDestroyed"
        return _interpret(
            command,
            event,
            *self._post(command, encode(event)),
            AfterOfficialAccountDestroyedResponse,
            _judge_after_official_account_destroyed,
        )

    def before_add_subscriber(self, event: BeforeAddSubscriber) -> Reply[BeforeAddSubscriberResponse]:
        """Deliver `OfficialAccount.CallbackBeforeAddSubscriber` (before webhook)."""
        command = "OfficialAccount.CallbackBeforeAddSubscriber"
        return _interpret(
            command,
            event,
            *self._post(command, encode(event)),
            BeforeAddSubscriberResponse,
            _judge_before_add_subscriber,
        )

    def after_send_msg(self, event: AfterSendMsg) -> Reply[AfterSendMsgResponse]:
        """Deliver `OfficialAccount.CallbackAfterSendMsg` (after webhook)."""
        command = "OfficialAccount.CallbackAfterSendMsg"
        return _interpret(
            command, event, *self._post(command, encode(event)), AfterSendMsgResponse, _judge_after_send_msg
        )

    def before_create_official_account(
        self, event: BeforeCreateOfficialAccount
    ) -> Reply[BeforeCreateOfficialAccountResponse]:
        """Deliver `OfficialAccount.CallbackBeforeCreateOfficialAccount` (before webhook)."""
        command = "OfficialAccount.CallbackBeforeCreateOfficialAccount"
        return _interpret(
            command,
            event,
            *self._post(command, encode(event)),
            BeforeCreateOfficialAccountResponse,
            _judge_before_create_official_account,
        )

    def after_create_official_account(
        self, event: AfterCreateOfficialAccount
    ) -> Reply[AfterCreateOfficialAccountResponse]:
        """Deliver `OfficialAccount.CallbackAfterCreateOfficialAccount` (after webhook)."""
        command = "OfficialAccount.CallbackAfterCreateOfficialAccount"
        return _interpret(
            command,
            event,
            *self._post(command, encode(event)),
            AfterCreateOfficialAccountResponse,
            _judge_after_create_official_account,
        )

    def after_official_account_info_changed(
        self, event: AfterOfficialAccountInfoChanged
    ) -> Reply[AfterOfficialAccountInfoChangedResponse]:
        """Deliver `OfficialAccount.CallbackAfterOfficialAccountInfoChanged` (after webhook)."""
        command = "OfficialAccount.CallbackAfterOfficialAccountInfoChanged"
        return _interpret(
            command,
            event,
            *self._post(command, encode(event)),
            AfterOfficialAccountInfoChangedResponse,
            _judge_after_official_account_info_changed,
        )

    def after_add_subscriber(self, event: AfterAddSubscriber) -> Reply[AfterAddSubscriberResponse]:
        """Deliver `OfficialAccount.CallbackAfterAddSubscriber` (after webhook)."""
        command = "OfficialAccount.CallbackAfterAddSubscriber"
        return _interpret(
            command, event, *self._post(command, encode(event)), AfterAddSubscriberResponse, _judge_after_add_subscriber
        )

    def before_send_msg(self, event: BeforeSendMsg) -> Reply[BeforeSendMsgResponse]:
        """Deliver `OfficialAccount.CallbackBeforeSendMsg` (before webhook)."""
        command = "OfficialAccount.CallbackBeforeSendMsg"
        return _interpret(
            command, event, *self._post(command, encode(event)), BeforeSendMsgResponse, _judge_before_send_msg
        )

    def after_msg_with_draw(self, event: AfterMsgWithDraw) -> Reply[AfterMsgWithDrawResponse]:
        """Deliver `OfficialAccount.CallbackAfterMsgWithDraw` (after webhook)."""
        command = "OfficialAccount.CallbackAfterMsgWithDraw"
        return _interpret(
            command, event, *self._post(command, encode(event)), AfterMsgWithDrawResponse, _judge_after_msg_with_draw
        )


class AsyncWebhookClient(_Sender):
    """Asynchronous deliveries over an `httpx.AsyncClient` (the timeout bounds the whole delivery)."""

    def __init__(
        self,
        url: str,
        *,
        sdk_appid: int,
        token: str | None = None,
        client_ip: str = "127.0.0.1",
        platform: str = "RESTAPI",
        timeout: float = TIMEOUT_SECONDS,
        clock: Callable[[], float] = time.time,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(
            url, sdk_appid=sdk_appid, token=token, client_ip=client_ip, platform=platform, timeout=timeout, clock=clock
        )
        self._own = http is None
        self._http = http if http is not None else httpx.AsyncClient()

    async def aclose(self) -> None:
        if self._own:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncWebhookClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def _post(self, command: str, body: bytes) -> tuple[int, bytes, float]:
        started = time.perf_counter()
        chunks: list[bytes] = []
        size = 0
        try:
            async with (
                asyncio.timeout(self.timeout),
                self._http.stream(
                    "POST", self.url, params=self.query(command), content=body, headers=_HEADERS, timeout=self.timeout
                ) as response,
            ):
                async for chunk in response.aiter_bytes():
                    size = _take(command, chunks, size, chunk, self.max_answer_bytes)
        except (TimeoutError, httpx.TimeoutException):
            raise DeliveryTimeout(command, f"{command}: no answer within {self.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise TransportError(command, f"{command}: {type(exc).__name__}: {exc}") from None
        return response.status_code, b"".join(chunks), time.perf_counter() - started

    async def send(self, event: CallbackEvent) -> Reply[AnyResponse]:
        """Deliver any event; the typed methods below give a more precise return type."""
        spec = _SPECS[type(event)]
        reply: Reply[Any] = _interpret(
            spec.command, event, *await self._post(spec.command, encode(event)), spec.response, spec.judge
        )
        return reply

    async def after_official_account_full(
        self, event: AfterOfficialAccountFull
    ) -> Reply[AfterOfficialAccountFullResponse]:
        """Deliver `OfficialAccount.CallbackAfterOfficialAccountFull` (after webhook)."""
        command = "OfficialAccount.CallbackAfterOfficialAccountFull"
        return _interpret(
            command,
            event,
            *await self._post(command, encode(event)),
            AfterOfficialAccountFullResponse,
            _judge_after_official_account_full,
        )

    async def after_delete_subscriber(self, event: AfterDeleteSubscriber) -> Reply[AfterDeleteSubscriberResponse]:
        """Deliver `OfficialAccount.CallbackAfterDeleteSubscriber` (after webhook)."""
        command = "OfficialAccount.CallbackAfterDeleteSubscriber"
        return _interpret(
            command,
            event,
            *await self._post(command, encode(event)),
            AfterDeleteSubscriberResponse,
            _judge_after_delete_subscriber,
        )

    async def after_official_account_destroyed(
        self, event: AfterOfficialAccountDestroyed
    ) -> Reply[AfterOfficialAccountDestroyedResponse]:
        """Deliver `OfficialAccount.CallbackAfterOfficialAccountDestroyed` (after webhook)."""
        command = "OfficialAccount.CallbackAfterOfficialAccountDestroyed"
        return _interpret(
            command,
            event,
            *await self._post(command, encode(event)),
            AfterOfficialAccountDestroyedResponse,
            _judge_after_official_account_destroyed,
        )

    async def before_add_subscriber(self, event: BeforeAddSubscriber) -> Reply[BeforeAddSubscriberResponse]:
        """Deliver `OfficialAccount.CallbackBeforeAddSubscriber` (before webhook)."""
        command = "OfficialAccount.CallbackBeforeAddSubscriber"
        return _interpret(
            command,
            event,
            *await self._post(command, encode(event)),
            BeforeAddSubscriberResponse,
            _judge_before_add_subscriber,
        )

    async def after_send_msg(self, event: AfterSendMsg) -> Reply[AfterSendMsgResponse]:
        """Deliver `OfficialAccount.CallbackAfterSendMsg` (after webhook)."""
        command = "OfficialAccount.CallbackAfterSendMsg"
        return _interpret(
            command, event, *await self._post(command, encode(event)), AfterSendMsgResponse, _judge_after_send_msg
        )

    async def before_create_official_account(
        self, event: BeforeCreateOfficialAccount
    ) -> Reply[BeforeCreateOfficialAccountResponse]:
        """Deliver `OfficialAccount.CallbackBeforeCreateOfficialAccount` (before webhook)."""
        command = "OfficialAccount.CallbackBeforeCreateOfficialAccount"
        return _interpret(
            command,
            event,
            *await self._post(command, encode(event)),
            BeforeCreateOfficialAccountResponse,
            _judge_before_create_official_account,
        )

    async def after_create_official_account(
        self, event: AfterCreateOfficialAccount
    ) -> Reply[AfterCreateOfficialAccountResponse]:
        """Deliver `OfficialAccount.CallbackAfterCreateOfficialAccount` (after webhook)."""
        command = "OfficialAccount.CallbackAfterCreateOfficialAccount"
        return _interpret(
            command,
            event,
            *await self._post(command, encode(event)),
            AfterCreateOfficialAccountResponse,
            _judge_after_create_official_account,
        )

    async def after_official_account_info_changed(
        self, event: AfterOfficialAccountInfoChanged
    ) -> Reply[AfterOfficialAccountInfoChangedResponse]:
        """Deliver `OfficialAccount.CallbackAfterOfficialAccountInfoChanged` (after webhook)."""
        command = "OfficialAccount.CallbackAfterOfficialAccountInfoChanged"
        return _interpret(
            command,
            event,
            *await self._post(command, encode(event)),
            AfterOfficialAccountInfoChangedResponse,
            _judge_after_official_account_info_changed,
        )

    async def after_add_subscriber(self, event: AfterAddSubscriber) -> Reply[AfterAddSubscriberResponse]:
        """Deliver `OfficialAccount.CallbackAfterAddSubscriber` (after webhook)."""
        command = "OfficialAccount.CallbackAfterAddSubscriber"
        return _interpret(
            command,
            event,
            *await self._post(command, encode(event)),
            AfterAddSubscriberResponse,
            _judge_after_add_subscriber,
        )

    async def before_send_msg(self, event: BeforeSendMsg) -> Reply[BeforeSendMsgResponse]:
        """Deliver `OfficialAccount.CallbackBeforeSendMsg` (before webhook)."""
        command = "OfficialAccount.CallbackBeforeSendMsg"
        return _interpret(
            command, event, *await self._post(command, encode(event)), BeforeSendMsgResponse, _judge_before_send_msg
        )

    async def after_msg_with_draw(self, event: AfterMsgWithDraw) -> Reply[AfterMsgWithDrawResponse]:
        """Deliver `OfficialAccount.CallbackAfterMsgWithDraw` (after webhook)."""
        command = "OfficialAccount.CallbackAfterMsgWithDraw"
        return _interpret(
            command,
            event,
            *await self._post(command, encode(event)),
            AfterMsgWithDrawResponse,
            _judge_after_msg_with_draw,
        )
