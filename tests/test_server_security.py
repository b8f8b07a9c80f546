"""Signatures (--token) and the app ID (--sdkappid) in process; the admin token through a real server and its helper."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from mockserver.server.app import ServerConfig
from mockserver.server.testing import start_server
from mockserver.signing import Signer
from tests.support.asgi import InProcessMock
from tests.support.deliveries import contract, query_for

TOKEN = "test-token-1234"
APP_ID = str(contract.parameter("app-id").example)
SIGN = contract.signing.signature_parameter
STAMP = contract.signing.timestamp_parameter
WEBHOOK = contract.webhooks[0]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessMock]:
    journal = tmp_path_factory.mktemp("security") / "journal.sqlite3"
    mock = InProcessMock(ServerConfig(journal=str(journal), token=TOKEN, sdkappid=APP_ID))
    yield mock
    mock.close()


def _send(server: InProcessMock, **query: str) -> tuple[int, str | None]:
    response = server.deliver(dict(WEBHOOK.example().value), query=query_for(WEBHOOK.command, **query))
    field = response.json().get("field") if response.status_code != 200 else None
    return response.status_code, field


def test_signed_delivery_is_accepted(server: InProcessMock) -> None:
    server.reset()
    assert _send(server, **Signer(TOKEN).sign()) == (200, None)
    [record] = server.requests()
    assert record["signature"] == "valid"


@pytest.mark.parametrize(
    ("name", "query", "field", "verdict"),
    [
        ("missing", {}, SIGN, "missing"),
        ("wrong", Signer("another-token").sign(), SIGN, "wrong"),
        ("stale", Signer(TOKEN).sign(int(time.time()) - 3600), STAMP, "stale"),
    ],
)
def test_bad_signatures_get_401(
    server: InProcessMock, name: str, query: dict[str, str], field: str, verdict: str
) -> None:
    server.reset()
    assert _send(server, **query) == (401, f"query.{field}")
    [record] = server.requests()
    assert (record["verdict"], record["signature"], record["status"]) == ("invalid", verdict, 401)


def test_other_app_gets_403(server: InProcessMock) -> None:
    server.reset()
    other = str(int(APP_ID) + 1)
    assert _send(server, **Signer(TOKEN).sign(), **{contract.parameter("app-id").name: other}) == (
        403,
        f"query.{contract.parameter('app-id').name}",
    )


@pytest.mark.slow  # `serve --admin-token` and the helper that sends it, on a real server
def test_admin_token_guards_the_admin_api() -> None:
    with start_server(admin_token="secret") as running:
        assert running.count() == 0  # the helper sends the bearer token
        import httpx

        refused = httpx.get(f"{running.admin_url}/requests")
        assert refused.status_code == 401
        assert refused.json()["field"] == "header.Authorization"
