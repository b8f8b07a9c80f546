"""The generated server stub and client against hostile input, over real HTTP on 127.0.0.1.

The stub must answer every bad delivery with a precise 4xx problem naming the field (never a 500),
and the client must give up on a server that trickles or floods its answer.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from oa_webhooks import EVENT_TYPES, decode
from oa_webhooks.client import AnswerTooLarge, AsyncWebhookClient, DeliveryTimeout, WebhookClient
from oa_webhooks.server import DefaultWebhookHandler, create_app
from oa_webhooks.signing import sign_query

from mockserver.contract import load_contract
from tests.support.hostile import huge_answer, raw_server, trickle
from tests.support.servers import serve

pytestmark = pytest.mark.slow  # the generated stub and client over real sockets

CONTRACT = load_contract()
TOKEN = "hostile-token"
WEBHOOK = CONTRACT.webhooks[-1]
APP = CONTRACT.parameter("app-id")
STAMP = CONTRACT.parameter("timestamp")
BODY = json.dumps(WEBHOOK.examples[0].value).encode()
JSON = {"content-type": "application/json"}


def _int64_field() -> str:
    """A top-level body field the contract types as an int64 (a timestamp)."""
    schema = CONTRACT.dereferenced(CONTRACT.resolve(WEBHOOK.request_ref))
    for name, prop in schema.get("properties", {}).items():
        if prop.get("type") == "integer" and prop.get("format") == "int64" and name in WEBHOOK.examples[0].value:
            return str(name)
    raise AssertionError("the contract has no int64 body field")


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with serve(create_app(DefaultWebhookHandler(), token=TOKEN)) as address:
        yield address


def signed(**overrides: str) -> dict[str, str]:
    return {**CONTRACT.query_example(WEBHOOK.command), **sign_query(TOKEN, int(time.time())), **overrides}


def post(url: str, query: Any, body: bytes = BODY) -> httpx.Response:
    with httpx.Client(timeout=10) as client:
        return client.post(url, params=query, content=body, headers=JSON)


def assert_problem(response: httpx.Response, status: int, field: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status and problem["field"] == field
    return problem


def test_a_genuine_delivery_is_answered(url: str) -> None:
    assert post(url, signed()).status_code == 200


@pytest.mark.parametrize("digits", [25, 5000], ids=["int64-overflow", "beyond-int-conversion"])
def test_a_huge_app_id_is_a_400_not_a_500(url: str, digits: int) -> None:
    assert_problem(post(url, signed(**{APP.name: "1" * digits})), 400, f"query.{APP.name}")


@pytest.mark.parametrize("digits", [400, 5000], ids=["float-overflow", "beyond-int-conversion"])
def test_a_huge_request_time_is_a_401_not_a_500(url: str, digits: int) -> None:
    assert_problem(post(url, signed(**{STAMP.name: "9" * digits})), 401, f"query.{STAMP.name}")


@pytest.mark.parametrize(
    "body",
    [b'{"a":' * 100_000 + b"1" + b"}" * 100_000, BODY[:-1] + b',"extra":' + b"[" * 100_000 + b"]" * 100_000 + b"}"],
    ids=["deep-document", "deep-unknown-field"],
)
def test_deeply_nested_json_is_a_400_not_a_500(url: str, body: bytes) -> None:
    problem = assert_problem(post(url, signed(), body), 400, "body")
    assert "nested too deeply" in problem["detail"]


def test_an_int64_field_beyond_int64_is_refused_naming_it(url: str) -> None:
    field = _int64_field()
    body = json.dumps({**WEBHOOK.examples[0].value, field: 10**30}).encode()
    assert_problem(post(url, signed(), body), 400, f"body.{field}")
    with pytest.raises(ValueError, match=field):
        decode(body, EVENT_TYPES[WEBHOOK.command])


def test_a_duplicated_contract_parameter_is_refused(url: str) -> None:
    query = [*signed().items(), (APP.name, "2")]
    assert_problem(post(url, query), 400, f"query.{APP.name}")


def test_wrong_method_is_405_with_allow(url: str) -> None:
    response = httpx.get(url, params=signed(), timeout=10)
    assert response.status_code == 405 and response.headers["allow"] == "POST"


def test_a_body_over_the_limit_is_413(url: str) -> None:
    response = post(url, signed(), b" " * (2 << 20))
    assert response.status_code == 413


# ---------------------------------------------------------------- the client against hostile servers
ANSWER = json.dumps(WEBHOOK.default_response).encode()


def event() -> Any:
    return decode(BODY, EVENT_TYPES[WEBHOOK.command])


def test_sync_client_gives_up_on_a_trickled_answer() -> None:
    # Each byte arrives well within the per-read timeout; the whole answer does not.
    with (
        raw_server(trickle(ANSWER, gap=0.2)) as url,
        WebhookClient(url, sdk_appid=1, timeout=0.5) as client,
        pytest.raises(DeliveryTimeout),
    ):
        client.send(event())


def test_async_client_gives_up_on_a_trickled_answer() -> None:
    async def go(url: str) -> None:
        async with AsyncWebhookClient(url, sdk_appid=1, timeout=0.5) as client:
            await client.send(event())

    with raw_server(trickle(ANSWER, gap=0.2)) as url, pytest.raises(DeliveryTimeout):
        asyncio.run(go(url))


def test_sync_client_refuses_a_flood() -> None:
    with (
        raw_server(huge_answer()) as url,
        WebhookClient(url, sdk_appid=1) as client,
        pytest.raises(AnswerTooLarge) as caught,
    ):
        client.send(event())
    assert caught.value.limit == client.max_answer_bytes and caught.value.outcome.allowed


def test_async_client_refuses_a_flood() -> None:
    async def go(url: str) -> None:
        async with AsyncWebhookClient(url, sdk_appid=1) as client:
            await client.send(event())

    with raw_server(huge_answer()) as url, pytest.raises(AnswerTooLarge):
        asyncio.run(go(url))
