"""The generated client and the generated server stub, over real HTTP on 127.0.0.1.

Every webhook is delivered, signed and unsigned, by the sync and the async client to an app
built by `create_app`; the backend is a `DefaultWebhookHandler` subclass that records what it
got and answers with values derived from the contract (its default answer, its refusal field).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import msgspec
import pytest
from oa_webhooks import EVENT_TYPES, RESPONSE_TYPES, decode, decode_event, encode
from oa_webhooks.client import (
    AsyncWebhookClient,
    ContractViolation,
    DeliveryTimeout,
    NotJSONError,
    StatusError,
    TransportError,
    WebhookClient,
)
from oa_webhooks.server import CallbackContext, DefaultWebhookHandler, create_app

from mockserver.codegen import build_context
from mockserver.contract import Contract, load_contract
from tests.support.servers import serve

CONTRACT = load_contract()
CONTEXT = build_context(CONTRACT, "oa_webhooks")
APP_ID = int(CONTRACT.parameter("app-id").example)
TOKEN = "codegen-test-token"
CASES = [pytest.param(w, e, id=e.name) for w in CONTRACT.webhooks for e in w.examples]


class Recorder(DefaultWebhookHandler):
    """Records every call; the methods are the generated defaults, wrapped generically."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, CallbackContext]] = []
        for webhook in CONTEXT.webhooks:
            setattr(self, webhook.method, self._wrap(getattr(super(), webhook.method)))

    def _wrap(self, method: Any) -> Any:
        async def recorded(event: Any, ctx: CallbackContext) -> Any:
            self.calls.append((event, ctx))
            return await method(event, ctx)

        return recorded


@pytest.fixture(scope="module")
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture(scope="module")
def signed_url(recorder: Recorder) -> Iterator[str]:
    with serve(create_app(recorder, sdk_appid=APP_ID, token=TOKEN)) as url:
        yield url


@pytest.fixture(scope="module")
def unsigned_url(recorder: Recorder) -> Iterator[str]:
    with serve(create_app(recorder, sdk_appid=APP_ID)) as url:
        yield url


def method_of(command: str) -> str:
    return next(w.method for w in CONTEXT.webhooks if w.command == command)


@pytest.mark.slow
@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
@pytest.mark.parametrize(("webhook", "example"), CASES)
def test_sync_client_to_server_stub(
    webhook: Any, example: Any, signed: bool, recorder: Recorder, signed_url: str, unsigned_url: str
) -> None:
    event = decode_event(json.dumps(example.value).encode())
    url, token = (signed_url, TOKEN) if signed else (unsigned_url, None)
    with WebhookClient(url, sdk_appid=APP_ID, token=token) as client:
        reply = getattr(client, method_of(webhook.command))(event)
    assert type(reply.response) is RESPONSE_TYPES[type(event)]
    assert json.loads(encode(reply.response)) == webhook.default_response
    assert reply.status == 200 and reply.outcome.allowed
    got, ctx = recorder.calls[-1]
    assert got == event
    assert ctx.command == webhook.command and ctx.sdk_appid == APP_ID
    assert (ctx.request_time is not None) == signed


@pytest.mark.slow
@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
def test_async_client_sends_every_webhook(signed: bool, recorder: Recorder, signed_url: str, unsigned_url: str) -> None:
    url, token = (signed_url, TOKEN) if signed else (unsigned_url, None)
    events = [decode_event(json.dumps(w.examples[0].value).encode()) for w in CONTRACT.webhooks]

    async def main() -> list[Any]:
        async with AsyncWebhookClient(url, sdk_appid=APP_ID, token=token) as client:
            return list(await asyncio.gather(*(client.send(event) for event in events)))

    replies = asyncio.run(main())
    for event, reply in zip(events, replies, strict=True):
        assert type(reply.response) is RESPONSE_TYPES[type(event)]
        assert reply.command in EVENT_TYPES


def _raw(url: str, command: str, body: bytes, **query: str) -> httpx.Response:
    params = CONTRACT.query_example(command, **{CONTRACT.parameter("app-id").name: str(APP_ID)})
    params.update(query)
    return httpx.post(url, params=params, content=body, headers={"content-type": "application/json"}, timeout=5)


@pytest.mark.slow
def test_server_refuses_a_bad_signature_a_stale_time_and_a_missing_one(signed_url: str) -> None:
    webhook = CONTRACT.webhooks[0]
    body = json.dumps(webhook.examples[0].value).encode()
    sig, ts = CONTRACT.signing.signature_parameter, CONTRACT.signing.timestamp_parameter
    now = int(time.time())
    cases = {
        f"query.{sig}": {ts: str(now), sig: "0" * 64},
        f"query.{ts}": {ts: str(now - 3600), sig: "0" * 64},
    }
    for field, query in cases.items():
        answer = _raw(signed_url, webhook.command, body, **query)
        assert answer.status_code == 401
        assert answer.headers["content-type"] == CONTEXT.problem_media_type
        assert answer.json()["field"] == field
    assert _raw(signed_url, webhook.command, body).json()["field"] == f"query.{sig}"


@pytest.mark.slow
def test_server_refuses_another_app_and_a_bad_app_id(unsigned_url: str) -> None:
    webhook = CONTRACT.webhooks[0]
    body = json.dumps(webhook.examples[0].value).encode()
    name = CONTRACT.parameter("app-id").name
    other = _raw(unsigned_url, webhook.command, body, **{name: str(APP_ID + 1)})
    assert other.status_code == 403 and other.json()["field"] == f"query.{name}"
    garbage = _raw(unsigned_url, webhook.command, body, **{name: "abc"})
    assert garbage.status_code == 400 and garbage.json()["field"] == f"query.{name}"


@pytest.mark.slow
def test_server_names_the_bad_body_field(unsigned_url: str) -> None:
    webhook = CONTRACT.webhooks[-1]
    value = dict(webhook.examples[0].value)
    victim = next(k for k in value if k != CONTRACT.command_field)
    value[victim] = [value[victim]]
    answer = _raw(unsigned_url, webhook.command, json.dumps(value).encode())
    assert answer.status_code == 400
    assert answer.json()["field"] == f"body.{victim}"
    mismatch = _raw(unsigned_url, CONTRACT.webhooks[0].command, json.dumps(webhook.examples[0].value).encode())
    assert mismatch.status_code == 400 and mismatch.json()["field"] == f"body.{CONTRACT.command_field}"
    not_json = _raw(unsigned_url, webhook.command, b"{oops")
    assert not_json.status_code == 400 and not_json.json()["field"] == "body"


@pytest.mark.slow
def test_server_answers_an_unknown_command_with_the_default_answer(unsigned_url: str) -> None:
    later = CONTRACT.commands[0].rsplit(".", 1)[0] + ".CallbackEnabledLater"
    answer = _raw(unsigned_url, later, b'{"anything": 1}')
    assert answer.status_code == 200
    assert answer.json() == CONTRACT.unknown_command_answer


@pytest.mark.slow
def test_server_refuses_other_methods_and_media_types(unsigned_url: str) -> None:
    assert httpx.get(unsigned_url, timeout=5).status_code == 405
    webhook = CONTRACT.webhooks[0]
    params = CONTRACT.query_example(webhook.command)
    answer = httpx.post(unsigned_url, params=params, content=b"x=1", headers={"content-type": "text/plain"}, timeout=5)
    assert answer.status_code == 415


# ------------------------------------------------------------------ client errors
def _misbehaving(kind: str) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if kind == "slow":
            await asyncio.sleep(1.0)
        status, body = {
            "status": (503, b'{"x":1}'),
            "html": (200, b"<html>oops</html>"),
            "shape": (200, json.dumps({"unexpected": True}).encode()),
            "slow": (200, b"{}"),
        }[kind]
        await send(
            {"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]}
        )
        await send({"type": "http.response.body", "body": body})

    return app


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "error"),
    [("status", StatusError), ("html", NotJSONError), ("shape", ContractViolation), ("slow", DeliveryTimeout)],
)
def test_client_raises_typed_errors_with_the_vendor_outcome(kind: str, error: type[Exception]) -> None:
    before = next(w for w in CONTRACT.webhooks if w.kind == "before")
    event = decode_event(json.dumps(before.examples[0].value).encode())
    with (
        serve(_misbehaving(kind)) as url,
        WebhookClient(url, sdk_appid=APP_ID, timeout=0.3) as client,
        pytest.raises(error) as caught,
    ):
        client.send(event)
    assert caught.value.outcome.allowed, "a failed 'before' webhook lets the operation through"  # type: ignore[attr-defined]


@pytest.mark.slow
def test_client_reports_a_connection_failure() -> None:
    event = decode_event(json.dumps(CONTRACT.webhooks[0].examples[0].value).encode())
    with WebhookClient("http://127.0.0.1:9/", sdk_appid=APP_ID) as client, pytest.raises(TransportError):
        client.send(event)


@pytest.mark.slow
def test_client_judges_a_refusal_and_rejects_a_refusal_outside_the_request() -> None:
    """The refusal field may only repeat the request's users (x-subset-of); ErrorCode != 0 rejects."""
    hook = next(w for w in CONTEXT.webhooks if w.refused_attr and w.subset_rules)
    rule = hook.subset_rules[0]
    example = CONTRACT.webhook(hook.command).examples[0]
    event = decode_event(json.dumps(example.value).encode())
    members = [getattr(item, rule.item_attr or "") for item in getattr(event, rule.collection_attr)]
    response_type = RESPONSE_TYPES[type(event)]
    default = decode(hook.default_response, response_type)

    class Refuser(DefaultWebhookHandler):
        answer: Any = None

    async def answer(self: Any, event: Any, ctx: Any) -> Any:
        return Refuser.answer

    setattr(Refuser, hook.method, answer)
    refused_attr = hook.refused_attr or ""
    refuse_one = msgspec.structs.replace(default, **{refused_attr: members[:1]})
    refuse_stranger = msgspec.structs.replace(default, **{refused_attr: ["not-in-the-request"]})
    reject = msgspec.structs.replace(default, **{hook.error_code_attr or "": 1})
    with serve(create_app(Refuser())) as url, WebhookClient(url, sdk_appid=APP_ID) as client:
        Refuser.answer = refuse_one
        reply = client.send(event)
        assert reply.outcome.allowed and reply.outcome.refused == tuple(members[:1])
        Refuser.answer = reject
        assert not client.send(event).outcome.allowed
        Refuser.answer = refuse_stranger
        with pytest.raises(ContractViolation) as caught:
            client.send(event)
        assert caught.value.path.endswith("[0]")


def test_the_client_builds_the_vendor_query(contract: Contract) -> None:
    client = WebhookClient("http://127.0.0.1:1/", sdk_appid=APP_ID, token=TOKEN, clock=lambda: 1669872112.0)
    query = client.query(contract.commands[0])
    client.close()
    required = [p.name for p in contract.parameters if p.required]
    assert list(query)[: len(required)] == required
    assert query[contract.parameter("command").name] == contract.commands[0]
    from mockserver.signing import Signer

    check = Signer(TOKEN, clock=lambda: 1669872112.0).verify(query)
    assert check.accepted, check.detail
