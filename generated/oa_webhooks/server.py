"""Server stub: a typed interface with one method per webhook, and the ASGI app that calls it.

Generated from openapi.yaml by `mockserver generate python`; do not edit, regenerate.

Implement `WebhookHandler` (or subclass `DefaultWebhookHandler`, which answers every webhook
with its default success answer, marking each method you write with `@override`, exported here,
so that mypy and pyright refuse a misspelled one) and serve `create_app(handler, ...)` with any
ASGI server, or mount it in Starlette/FastAPI. `create_app` refuses a handler with a public
method that answers no webhook (a misspelling would otherwise answer with the default).

The app checks `SdkAppid`, verifies `Sign`/`RequestTime` when it has a
token, decodes the body into the event's class, dispatches on `CallbackCommand` in one lookup and
encodes the typed answer. Bad input gets a 4xx `application/problem+json` answer naming the field. A command
this contract does not know (a webhook enabled later in the console) gets the answer every webhook's default
shares (the contract's rule for unknown commands) and a log line, not an error. It depends on msgspec only.
"""

from __future__ import annotations

import difflib
import inspect
import logging
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar
from urllib.parse import parse_qsl

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
    BeforeAddSubscriber,
    BeforeAddSubscriberResponse,
    BeforeCreateOfficialAccount,
    BeforeCreateOfficialAccountResponse,
    BeforeSendMsg,
    BeforeSendMsgResponse,
    PayloadError,
    decode,
    encode,
)
from .signing import REPLAY_WINDOW_SECONDS, SignatureError, verify_signature

__all__ = [
    "WEBHOOK_METHODS",
    "ASGIApp",
    "CallbackContext",
    "DefaultWebhookHandler",
    "HandlerError",
    "WebhookApp",
    "WebhookHandler",
    "create_app",
    "override",
]

_F = TypeVar("_F", bound=Callable[..., Any])

if sys.version_info >= (3, 12):
    from typing import override
elif TYPE_CHECKING:
    from typing_extensions import override
else:

    def override(method: _F) -> _F:
        """`typing.override` for Python 3.11: marks a method as overriding one of its base class."""
        method.__override__ = True
        return method


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

logger: Final = logging.getLogger(__name__)

APP_ID_PARAMETER: Final = "SdkAppid"
COMMAND_PARAMETER: Final = "CallbackCommand"
CLIENT_IP_PARAMETER: Final = "ClientIP"
PLATFORM_PARAMETER: Final = "OptPlatform"
PROBLEM_MEDIA_TYPE: Final = "application/problem+json"
_KNOWN_PARAMETERS: Final = frozenset(
    {
        "SdkAppid",
        "CallbackCommand",
        "contenttype",
        "ClientIP",
        "OptPlatform",
        "Sign",
        "RequestTime",
    }
)
MAX_BODY_BYTES: Final = 1048576
"""The largest body accepted by default: the contract's `x-delivery.maxBodyBytes` (413 beyond)."""
_APP_ID_MAXIMUM: Final = 9999999999
"""The contract's largest SDKAppID; a longer digit string is refused before it is converted."""
UNKNOWN_COMMAND_ANSWER: Final = b'{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}'
"""The answer to a command this contract does not know: what every webhook's default answer says."""


@dataclass(frozen=True)
class CallbackContext:
    """What the query string says about one delivery, for handlers that need more than the event."""

    command: str
    sdk_appid: int
    client_ip: str
    platform: str
    request_time: int | None
    """The signed request time, or None when the app runs without a token."""
    query: Mapping[str, str] = field(default_factory=dict[str, str])


WEBHOOK_METHODS: Final = frozenset(
    {
        "after_official_account_full",
        "after_delete_subscriber",
        "after_official_account_destroyed",
        "before_add_subscriber",
        "after_send_msg",
        "before_create_official_account",
        "after_create_official_account",
        "after_official_account_info_changed",
        "after_add_subscriber",
        "before_send_msg",
        "after_msg_with_draw",
    }
)
"""The handler method of each webhook; `create_app` refuses a handler with any other public method."""


class HandlerError(TypeError):
    """A handler `create_app` cannot serve: a public method of it answers no webhook (a misspelling?)."""


class WebhookHandler(Protocol):
    """A webhook backend: one method per webhook, each returning that webhook's own response class."""

    async def after_official_account_full(
        self, event: AfterOfficialAccountFull, ctx: CallbackContext
    ) -> AfterOfficialAccountFullResponse:
        """After an Official Account is full (`OfficialAccount.CallbackAfterOfficialAccountFull`, after
        webhook)."""
        ...

    async def after_delete_subscriber(
        self, event: AfterDeleteSubscriber, ctx: CallbackContext
    ) -> AfterDeleteSubscriberResponse:
        """After an Official Account is unsubscribed (`OfficialAccount.CallbackAfterDeleteSubscriber`,
        after webhook)."""
        ...

    async def after_official_account_destroyed(
        self, event: AfterOfficialAccountDestroyed, ctx: CallbackContext
    ) -> AfterOfficialAccountDestroyedResponse:
        """After an Official Account is destroyed
        (`OfficialAccount.CallbackAfterOfficialAccountDestroyed`, after webhook)."""
        ...

    async def before_add_subscriber(
        self, event: BeforeAddSubscriber, ctx: CallbackContext
    ) -> BeforeAddSubscriberResponse:
        """Before an Official Account is subscribed (`OfficialAccount.CallbackBeforeAddSubscriber`,
        before webhook)."""
        ...

    async def after_send_msg(self, event: AfterSendMsg, ctx: CallbackContext) -> AfterSendMsgResponse:
        """After an Official Account message is sent (`OfficialAccount.CallbackAfterSendMsg`, after
        webhook)."""
        ...

    async def before_create_official_account(
        self, event: BeforeCreateOfficialAccount, ctx: CallbackContext
    ) -> BeforeCreateOfficialAccountResponse:
        """Before an Official Account is created
        (`OfficialAccount.CallbackBeforeCreateOfficialAccount`, before webhook)."""
        ...

    async def after_create_official_account(
        self, event: AfterCreateOfficialAccount, ctx: CallbackContext
    ) -> AfterCreateOfficialAccountResponse:
        """After an Official Account is created (`OfficialAccount.CallbackAfterCreateOfficialAccount`,
        after webhook)."""
        ...

    async def after_official_account_info_changed(
        self, event: AfterOfficialAccountInfoChanged, ctx: CallbackContext
    ) -> AfterOfficialAccountInfoChangedResponse:
        """After an Official Account's profile is modified
        (`OfficialAccount.CallbackAfterOfficialAccountInfoChanged`, after webhook)."""
        ...

    async def after_add_subscriber(self, event: AfterAddSubscriber, ctx: CallbackContext) -> AfterAddSubscriberResponse:
        """After an Official Account is subscribed (`OfficialAccount.CallbackAfterAddSubscriber`, after
        webhook)."""
        ...

    async def before_send_msg(self, event: BeforeSendMsg, ctx: CallbackContext) -> BeforeSendMsgResponse:
        """Before an Official Account message is sent (`OfficialAccount.CallbackBeforeSendMsg`, before
        webhook)."""
        ...

    async def after_msg_with_draw(self, event: AfterMsgWithDraw, ctx: CallbackContext) -> AfterMsgWithDrawResponse:
        """After Official Account messages are recalled (`OfficialAccount.CallbackAfterMsgWithDraw`,
        after webhook)."""
        ...


# The default success answers (each response schema's `example`), decoded once at import.
_DEFAULT_AFTER_OFFICIAL_ACCOUNT_FULL: Final = decode(
    '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}', AfterOfficialAccountFullResponse
)
_DEFAULT_AFTER_DELETE_SUBSCRIBER: Final = decode(
    '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}', AfterDeleteSubscriberResponse
)
_DEFAULT_AFTER_OFFICIAL_ACCOUNT_DESTROYED: Final = decode(
    '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}', AfterOfficialAccountDestroyedResponse
)
_DEFAULT_BEFORE_ADD_SUBSCRIBER: Final = decode(
    '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}', BeforeAddSubscriberResponse
)
_DEFAULT_AFTER_SEND_MSG: Final = decode('{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}', AfterSendMsgResponse)
_DEFAULT_BEFORE_CREATE_OFFICIAL_ACCOUNT: Final = decode(
    '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}', BeforeCreateOfficialAccountResponse
)
_DEFAULT_AFTER_CREATE_OFFICIAL_ACCOUNT: Final = decode(
    '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}', AfterCreateOfficialAccountResponse
)
_DEFAULT_AFTER_OFFICIAL_ACCOUNT_INFO_CHANGED: Final = decode(
    '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}', AfterOfficialAccountInfoChangedResponse
)
_DEFAULT_AFTER_ADD_SUBSCRIBER: Final = decode(
    '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}', AfterAddSubscriberResponse
)
_DEFAULT_BEFORE_SEND_MSG: Final = decode('{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}', BeforeSendMsgResponse)
_DEFAULT_AFTER_MSG_WITH_DRAW: Final = decode(
    '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}', AfterMsgWithDrawResponse
)


class DefaultWebhookHandler:
    """Answers every webhook with its default success answer; override the methods you handle.

    Each call returns a fresh copy of the answer decoded at import: structs are mutable, and a
    subclass may change the answer it got from `super()`.
    """

    async def after_official_account_full(
        self, event: AfterOfficialAccountFull, ctx: CallbackContext
    ) -> AfterOfficialAccountFullResponse:
        return msgspec.structs.replace(_DEFAULT_AFTER_OFFICIAL_ACCOUNT_FULL)

    async def after_delete_subscriber(
        self, event: AfterDeleteSubscriber, ctx: CallbackContext
    ) -> AfterDeleteSubscriberResponse:
        return msgspec.structs.replace(_DEFAULT_AFTER_DELETE_SUBSCRIBER)

    async def after_official_account_destroyed(
        self, event: AfterOfficialAccountDestroyed, ctx: CallbackContext
    ) -> AfterOfficialAccountDestroyedResponse:
        return msgspec.structs.replace(_DEFAULT_AFTER_OFFICIAL_ACCOUNT_DESTROYED)

    async def before_add_subscriber(
        self, event: BeforeAddSubscriber, ctx: CallbackContext
    ) -> BeforeAddSubscriberResponse:
        return msgspec.structs.replace(_DEFAULT_BEFORE_ADD_SUBSCRIBER)

    async def after_send_msg(self, event: AfterSendMsg, ctx: CallbackContext) -> AfterSendMsgResponse:
        return msgspec.structs.replace(_DEFAULT_AFTER_SEND_MSG)

    async def before_create_official_account(
        self, event: BeforeCreateOfficialAccount, ctx: CallbackContext
    ) -> BeforeCreateOfficialAccountResponse:
        return msgspec.structs.replace(_DEFAULT_BEFORE_CREATE_OFFICIAL_ACCOUNT)

    async def after_create_official_account(
        self, event: AfterCreateOfficialAccount, ctx: CallbackContext
    ) -> AfterCreateOfficialAccountResponse:
        return msgspec.structs.replace(_DEFAULT_AFTER_CREATE_OFFICIAL_ACCOUNT)

    async def after_official_account_info_changed(
        self, event: AfterOfficialAccountInfoChanged, ctx: CallbackContext
    ) -> AfterOfficialAccountInfoChangedResponse:
        return msgspec.structs.replace(_DEFAULT_AFTER_OFFICIAL_ACCOUNT_INFO_CHANGED)

    async def after_add_subscriber(self, event: AfterAddSubscriber, ctx: CallbackContext) -> AfterAddSubscriberResponse:
        return msgspec.structs.replace(_DEFAULT_AFTER_ADD_SUBSCRIBER)

    async def before_send_msg(self, event: BeforeSendMsg, ctx: CallbackContext) -> BeforeSendMsgResponse:
        return msgspec.structs.replace(_DEFAULT_BEFORE_SEND_MSG)

    async def after_msg_with_draw(self, event: AfterMsgWithDraw, ctx: CallbackContext) -> AfterMsgWithDrawResponse:
        return msgspec.structs.replace(_DEFAULT_AFTER_MSG_WITH_DRAW)


_Route = Callable[[WebhookHandler, bytes, CallbackContext], Awaitable[bytes]]


def _encode_answer(answer: object, kind: type[msgspec.Struct]) -> bytes:
    """Encode a handler's answer, refusing one of another webhook (type checkers catch it first)."""
    if not isinstance(answer, kind):
        raise TypeError(f"the handler returned {type(answer).__name__}, not {kind.__name__}")
    return encode(answer)


async def _after_official_account_full(handler: WebhookHandler, body: bytes, ctx: CallbackContext) -> bytes:
    answer: object = await handler.after_official_account_full(decode(body, AfterOfficialAccountFull), ctx)
    return _encode_answer(answer, AfterOfficialAccountFullResponse)


async def _after_delete_subscriber(handler: WebhookHandler, body: bytes, ctx: CallbackContext) -> bytes:
    answer: object = await handler.after_delete_subscriber(decode(body, AfterDeleteSubscriber), ctx)
    return _encode_answer(answer, AfterDeleteSubscriberResponse)


async def _after_official_account_destroyed(handler: WebhookHandler, body: bytes, ctx: CallbackContext) -> bytes:
    answer: object = await handler.after_official_account_destroyed(decode(body, AfterOfficialAccountDestroyed), ctx)
    return _encode_answer(answer, AfterOfficialAccountDestroyedResponse)


async def _before_add_subscriber(handler: WebhookHandler, body: bytes, ctx: CallbackContext) -> bytes:
    answer: object = await handler.before_add_subscriber(decode(body, BeforeAddSubscriber), ctx)
    return _encode_answer(answer, BeforeAddSubscriberResponse)


async def _after_send_msg(handler: WebhookHandler, body: bytes, ctx: CallbackContext) -> bytes:
    answer: object = await handler.after_send_msg(decode(body, AfterSendMsg), ctx)
    return _encode_answer(answer, AfterSendMsgResponse)


async def _before_create_official_account(handler: WebhookHandler, body: bytes, ctx: CallbackContext) -> bytes:
    answer: object = await handler.before_create_official_account(decode(body, BeforeCreateOfficialAccount), ctx)
    return _encode_answer(answer, BeforeCreateOfficialAccountResponse)


async def _after_create_official_account(handler: WebhookHandler, body: bytes, ctx: CallbackContext) -> bytes:
    answer: object = await handler.after_create_official_account(decode(body, AfterCreateOfficialAccount), ctx)
    return _encode_answer(answer, AfterCreateOfficialAccountResponse)


async def _after_official_account_info_changed(handler: WebhookHandler, body: bytes, ctx: CallbackContext) -> bytes:
    answer: object = await handler.after_official_account_info_changed(
        decode(body, AfterOfficialAccountInfoChanged), ctx
    )
    return _encode_answer(answer, AfterOfficialAccountInfoChangedResponse)


async def _after_add_subscriber(handler: WebhookHandler, body: bytes, ctx: CallbackContext) -> bytes:
    answer: object = await handler.after_add_subscriber(decode(body, AfterAddSubscriber), ctx)
    return _encode_answer(answer, AfterAddSubscriberResponse)


async def _before_send_msg(handler: WebhookHandler, body: bytes, ctx: CallbackContext) -> bytes:
    answer: object = await handler.before_send_msg(decode(body, BeforeSendMsg), ctx)
    return _encode_answer(answer, BeforeSendMsgResponse)


async def _after_msg_with_draw(handler: WebhookHandler, body: bytes, ctx: CallbackContext) -> bytes:
    answer: object = await handler.after_msg_with_draw(decode(body, AfterMsgWithDraw), ctx)
    return _encode_answer(answer, AfterMsgWithDrawResponse)


_ROUTES: Final[Mapping[str, _Route]] = {
    "OfficialAccount.CallbackAfterOfficialAccountFull": _after_official_account_full,
    "OfficialAccount.CallbackAfterDeleteSubscriber": _after_delete_subscriber,
    "OfficialAccount.CallbackAfterOfficialAccountDestroyed": _after_official_account_destroyed,
    "OfficialAccount.CallbackBeforeAddSubscriber": _before_add_subscriber,
    "OfficialAccount.CallbackAfterSendMsg": _after_send_msg,
    "OfficialAccount.CallbackBeforeCreateOfficialAccount": _before_create_official_account,
    "OfficialAccount.CallbackAfterCreateOfficialAccount": _after_create_official_account,
    "OfficialAccount.CallbackAfterOfficialAccountInfoChanged": _after_official_account_info_changed,
    "OfficialAccount.CallbackAfterAddSubscriber": _after_add_subscriber,
    "OfficialAccount.CallbackBeforeSendMsg": _before_send_msg,
    "OfficialAccount.CallbackAfterMsgWithDraw": _after_msg_with_draw,
}


class _Reject(Exception):
    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        field: str | None = None,
        headers: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.field = status, title, detail, field
        self.headers = headers or []


def _problem(status: int, title: str, detail: str, field: str | None) -> bytes:
    document: dict[str, object] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if field is not None:
        document["field"] = field
    return msgspec.json.encode(document)


class WebhookApp:
    """The ASGI app serving one `WebhookHandler`; build it with `create_app`."""

    def __init__(
        self,
        handler: WebhookHandler,
        *,
        sdk_appid: int | None = None,
        token: str | None = None,
        replay_window: float = REPLAY_WINDOW_SECONDS,
        max_body_bytes: int = MAX_BODY_BYTES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.handler = handler
        self.sdk_appid = sdk_appid
        self.token = token
        self.replay_window = replay_window
        self.max_body_bytes = max_body_bytes
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        try:
            body = await self._handle(scope, receive)
        except _Reject as reject:
            problem = _problem(reject.status, reject.title, reject.detail, reject.field)
            await _respond(send, reject.status, problem, extra=reject.headers)
            return
        except Exception:  # a handler bug: answer 500 (the vendor counts it as a failed delivery), keep serving
            logger.exception("webhook handler failed")
            await _respond(send, 500, _problem(500, "Internal Server Error", "the webhook handler failed", None))
            return
        await _respond(send, 200, body, b"application/json")

    async def _handle(self, scope: Scope, receive: Receive) -> bytes:
        if scope["method"] != "POST":
            detail = f"webhooks are delivered with POST, not {scope['method']}"
            raise _Reject(405, "Method Not Allowed", detail, headers=[(b"allow", b"POST")])
        query = _query(scope)
        app_id = query.get(APP_ID_PARAMETER, "")
        if not _is_app_id(app_id):
            detail = f"{APP_ID_PARAMETER} must be an integer from 1 to {_APP_ID_MAXIMUM}, not {app_id[:32]!r}"
            raise _Reject(400, "Bad Request", detail, f"query.{APP_ID_PARAMETER}")
        if self.sdk_appid is not None and int(app_id) != self.sdk_appid:
            detail = f"{APP_ID_PARAMETER} {app_id} is not this app's ({self.sdk_appid})"
            raise _Reject(403, "Forbidden", detail, f"query.{APP_ID_PARAMETER}")
        request_time: int | None = None
        if self.token is not None:
            try:
                request_time = verify_signature(query, self.token, now=self.clock(), window=self.replay_window)
            except SignatureError as exc:
                raise _Reject(401, "Unauthorized", exc.detail, f"query.{exc.parameter}") from None
        command = query.get(COMMAND_PARAMETER, "")
        if not command:
            detail = f"the {COMMAND_PARAMETER} query parameter is missing"
            raise _Reject(400, "Bad Request", detail, f"query.{COMMAND_PARAMETER}")
        route = _ROUTES.get(command)
        if route is None:
            logger.warning("unknown %s %r: answered with the default answer", COMMAND_PARAMETER, command)
            return UNKNOWN_COMMAND_ANSWER
        content_type = _header(scope, b"content-type").split(";", 1)[0].strip().lower()
        if content_type != "application/json":
            raise _Reject(415, "Unsupported Media Type", f"the body must be application/json, not {content_type!r}")
        body = await _read_body(receive, self.max_body_bytes)
        ctx = CallbackContext(
            command=command,
            sdk_appid=int(app_id),
            client_ip=query.get(CLIENT_IP_PARAMETER, ""),
            platform=query.get(PLATFORM_PARAMETER, ""),
            request_time=request_time,
            query=query,
        )
        try:
            return await route(self.handler, body, ctx)
        except PayloadError as exc:
            raise _Reject(400, "Bad Request", exc.reason, f"body.{exc.field}" if exc.field else "body") from None


def create_app(
    handler: WebhookHandler,
    *,
    sdk_appid: int | None = None,
    token: str | None = None,
    replay_window: float = REPLAY_WINDOW_SECONDS,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> WebhookApp:
    """An ASGI app for `handler`. Without `sdk_appid` any app id is accepted; without `token`, no signature.

    Raises `HandlerError` when a public method of `handler` matches no webhook: served, a
    misspelled `before_add_subscribers` would never be called and the default would answer.
    """
    _check_handler(handler)
    return WebhookApp(
        handler, sdk_appid=sdk_appid, token=token, replay_window=replay_window, max_body_bytes=max_body_bytes
    )


def _check_handler(handler: object) -> None:
    """Refuse public methods that answer no webhook, naming the closest webhook method of each."""
    stray: list[str] = []
    for name, member in inspect.getmembers_static(type(handler)):
        if name.startswith("_") or name in WEBHOOK_METHODS:
            continue
        if inspect.isfunction(member) or isinstance(member, staticmethod | classmethod):
            close = difflib.get_close_matches(name, WEBHOOK_METHODS, n=1)
            stray.append(f"{name} (did you mean {close[0]}?)" if close else name)
    if stray:
        raise HandlerError(
            f"{type(handler).__name__} has public methods that answer no webhook: {', '.join(stray)};"
            " rename them to a webhook method or make them private (_name)"
        )


def _is_app_id(text: str) -> bool:
    """Digits only and within the contract's bound; the length is checked before any conversion."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(_APP_ID_MAXIMUM)):
        return False
    return 0 < int(text) <= _APP_ID_MAXIMUM


def _query(scope: Scope) -> dict[str, str]:
    """The query parameters; one the contract names twice is refused (which copy would be checked?)."""
    query: dict[str, str] = {}
    for name, value in parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True):
        if name in query and name in _KNOWN_PARAMETERS:
            raise _Reject(400, "Bad Request", f"the {name} query parameter is given more than once", f"query.{name}")
        query[name] = value
    return query


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return ""


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Reject(400, "Bad Request", "the client disconnected before sending the whole body")
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _Reject(413, "Payload Too Large", f"the body is larger than {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _respond(
    send: Send,
    status: int,
    body: bytes,
    content_type: bytes = PROBLEM_MEDIA_TYPE.encode(),
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
