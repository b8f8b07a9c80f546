"""The inspector's HTTP side, in process: the page, export, health, reset, replay's dry run, login.

The browser tests (test_inspector_browser.py) show the page works for a person; these pin
what a script or a curl sees, without a browser.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from mockserver.cli.validate import command as validate
from mockserver.contract import Contract
from mockserver.server.app import MockServer, ServerConfig
from mockserver.server.inspector import COOKIE

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def _client(tmp_path: Path, admin_token: str | None = None) -> tuple[MockServer, httpx.AsyncClient]:
    server = MockServer(ServerConfig(journal=str(tmp_path / "journal.sqlite3"), admin_token=admin_token))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=server), base_url="http://mock")
    return server, client


@pytest.fixture
async def mock(tmp_path: Path) -> AsyncIterator[tuple[MockServer, httpx.AsyncClient]]:
    server, client = await _client(tmp_path)
    yield server, client
    await client.aclose()
    server.scripts.close()
    server.journal.close()


async def _deliver(client: httpx.AsyncClient, contract: Contract, body: bytes, command: str) -> httpx.Response:
    return await client.post(
        contract.path,
        params=contract.query_example(command),
        content=body,
        headers={"Content-Type": "application/json"},
    )


async def test_the_page_names_every_webhook_of_the_contract(
    mock: tuple[MockServer, httpx.AsyncClient], contract: Contract
) -> None:
    _, client = mock
    response = await client.get("/__admin/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    for webhook in contract.webhooks:
        assert f'value="{webhook.command}"' in response.text
    assert (await client.get("/__admin", follow_redirects=False)).headers["location"] == "/__admin/"
    script = await client.get("/__admin/static/inspector.js")
    assert script.status_code == 200 and "EventSource" in script.text


async def test_export_is_a_capture_file_validate_reads(
    mock: tuple[MockServer, httpx.AsyncClient], contract: Contract, tmp_path: Path
) -> None:
    _, client = mock
    webhook = contract.webhooks[0]
    good = json.dumps(webhook.example().value).encode()
    assert (await _deliver(client, contract, good, webhook.command)).status_code == 200
    assert (await _deliver(client, contract, b'{"not": "an event"}', webhook.command)).status_code == 400
    exported = await client.get("/__admin/export")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("application/x-ndjson")
    assert "attachment" in exported.headers["content-disposition"]
    lines = exported.text.splitlines()
    assert len(lines) == 2
    assert json.loads(lines[0])["raw_body"] == good.decode()  # oldest first, bytes as sent
    capture = tmp_path / "deliveries.jsonl"
    capture.write_text(exported.text, encoding="utf-8")
    result = CliRunner().invoke(validate, [str(capture)])
    assert result.exit_code == 1, result.output
    assert "2 deliveries: 1 conform, 1 do not" in result.output

    only_invalid = await client.get("/__admin/export", params={"verdict": "invalid"})
    assert len(only_invalid.text.splitlines()) == 1
    bad = await client.get("/__admin/export", params={"verdict": "maybe"})
    assert bad.status_code == 400 and bad.json()["field"] == "query.verdict"


async def test_health_and_reset(mock: tuple[MockServer, httpx.AsyncClient], contract: Contract) -> None:
    _, client = mock
    webhook = contract.webhooks[0]
    await _deliver(client, contract, json.dumps(webhook.example().value).encode(), webhook.command)
    loaded = await client.post("/__admin/scripts", json={"rules": [{"respond": {"delay_ms": 1}}]})
    assert loaded.status_code == 201
    health = (await client.get("/__admin/health")).json()
    assert health["status"] == "ok" and health["deliveries"] == 1
    assert health["script_version"] == loaded.json()["version"]
    reset = await client.post("/__admin/reset")
    assert reset.status_code == 200
    assert reset.json()["deleted"] == 1 and reset.json()["script"]["rules"] == []
    assert (await client.get("/__admin/health")).json()["deliveries"] == 0
    assert (await client.get("/__admin/scripts")).json()["rules"] == []
    assert (await client.get("/__admin/reset")).status_code == 405


async def test_replay_dry_run_gives_the_curl_of_the_journaled_delivery(
    mock: tuple[MockServer, httpx.AsyncClient], contract: Contract
) -> None:
    _, client = mock
    webhook = contract.webhooks[0]
    await _deliver(client, contract, json.dumps(webhook.example().value).encode(), webhook.command)
    (record,) = (await client.get("/__admin/requests")).json()["requests"]
    answer = await client.post(
        "/__admin/replay", json={"ids": [record["id"]], "url": "http://127.0.0.1:9/hook", "dry_run": True}
    )
    assert answer.status_code == 200, answer.text
    (result,) = answer.json()["results"]
    assert result["sent"] is False
    assert result["curl"].startswith("curl -sS -X POST 'http://127.0.0.1:9/hook?")
    assert webhook.command in result["curl"]
    missing = await client.post("/__admin/replay", json={"ids": [999], "url": "http://127.0.0.1:9/"})
    assert missing.status_code == 404 and missing.json()["field"] == "body.ids"
    not_a_url = await client.post("/__admin/replay", json={"ids": [record["id"]], "url": "ftp://x"})
    assert not_a_url.status_code == 400 and not_a_url.json()["field"] == "body.url"


async def test_the_admin_token_is_exchanged_once_for_a_cookie(tmp_path: Path) -> None:
    server, client = await _client(tmp_path, admin_token="s3cret")
    try:
        page = await client.get("/__admin/")
        assert page.status_code == 303 and page.headers["location"] == "/__admin/login"
        assert (await client.get("/__admin/requests")).status_code == 401
        assert (await client.get("/__admin/events")).status_code == 401
        assert (await client.get("/__admin/static/inspector.css")).status_code == 200  # nothing secret
        wrong = await client.post("/__admin/login", data={"token": "nope"})
        assert wrong.status_code == 401 and COOKIE not in wrong.cookies
        right = await client.post("/__admin/login", data={"token": "s3cret"})
        assert right.status_code == 303
        cookie = right.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/__admin" in cookie
        assert "s3cret" not in cookie
        assert (await client.get("/__admin/requests")).status_code == 200  # the cookie, not a header
        client.cookies.clear()
        via_query = await client.get("/__admin/", params={"token": "s3cret"})
        assert via_query.status_code == 303 and via_query.headers["location"] == "/__admin/"
        bearer = await client.get("/__admin/health", headers={"Authorization": "Bearer s3cret"})
        assert bearer.status_code == 200
    finally:
        await client.aclose()
        server.scripts.close()
        server.journal.close()
