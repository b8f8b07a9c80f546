"""The generated client talks to the mock server (`mockserver serve`'s app) over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from oa_webhooks import RESPONSE_TYPES, decode_event, encode
from oa_webhooks.client import StatusError, WebhookClient

from mockserver.contract import load_contract
from mockserver.server import MockServer, ServerConfig
from tests.support.servers import serve

pytestmark = pytest.mark.slow  # the generated client against a real mock on 127.0.0.1

CONTRACT = load_contract()
APP_ID = int(CONTRACT.parameter("app-id").example)
TOKEN = "mock-server-token"
CASES = [pytest.param(w, e, id=e.name) for w in CONTRACT.webhooks for e in w.examples]


@pytest.fixture(scope="module", params=["signed", "unsigned"])
def mock(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str | None]]:
    token = TOKEN if request.param == "signed" else None
    journal = Path(tmp_path_factory.mktemp("journal")) / "journal.sqlite"
    config = ServerConfig(journal=str(journal), sdkappid=str(APP_ID), token=token)
    with serve(MockServer(config)) as url:
        yield url, token


@pytest.mark.parametrize(("webhook", "example"), CASES)
def test_generated_client_to_mock_server(webhook: object, example: object, mock: tuple[str, str | None]) -> None:
    url, token = mock
    value = example.value  # type: ignore[attr-defined]
    event = decode_event(json.dumps(value).encode())
    with WebhookClient(url, sdk_appid=APP_ID, token=token) as client:
        reply = client.send(event)
    assert type(reply.response) is RESPONSE_TYPES[type(event)]
    assert json.loads(encode(reply.response)) == webhook.default_response  # type: ignore[attr-defined]


def test_mock_server_checks_the_signature_only_when_it_has_a_token(mock: tuple[str, str | None]) -> None:
    url, token = mock
    event = decode_event(json.dumps(CONTRACT.webhooks[0].examples[0].value).encode())
    with WebhookClient(url, sdk_appid=APP_ID, token="wrong") as client:
        if token is None:
            assert client.send(event).status == 200
            return
        with pytest.raises(StatusError) as caught:
            client.send(event)
    assert caught.value.status == 401
