"""`mockserver send`: one webhook through the generated client, as a subprocess, to a real server."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from oa_webhooks.server import DefaultWebhookHandler, create_app

from mockserver.contract import bundled_contract_path, load_contract
from tests.servers import serve

CONTRACT = load_contract()
APP_ID = CONTRACT.parameter("app-id").example
TOKEN = "send-cli-token"


def send(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockserver", "send", *args], capture_output=True, text=True, timeout=60
    )


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with serve(create_app(DefaultWebhookHandler(), sdk_appid=int(APP_ID), token=TOKEN)) as address:
        yield address


@pytest.mark.parametrize("webhook", CONTRACT.webhooks, ids=lambda w: w.name)
def test_every_webhook_is_delivered_signed(webhook: object, url: str) -> None:
    hook = CONTRACT.webhook_named(webhook.name)  # type: ignore[attr-defined]
    result = send(hook.name, "--url", url, "--token", TOKEN, "--example", hook.examples[-1].name, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    verdict = json.loads(result.stdout)
    assert verdict["command"] == hook.command and verdict["delivered"] and verdict["signed"]
    assert verdict["response"] == hook.default_response
    assert verdict["outcome"]["allowed"] is True


def test_the_table_shows_the_typed_response_and_the_verdict(url: str) -> None:
    hook = CONTRACT.webhooks[0]
    result = send(hook.command, "--url", url, "--token", TOKEN)
    assert result.returncode == 0, result.stderr
    assert hook.response_name in result.stdout
    assert "delivered" in result.stdout and "allowed" in result.stdout


def test_a_refused_delivery_exits_1_with_the_vendor_outcome(url: str) -> None:
    hook = next(w for w in CONTRACT.webhooks if w.kind == "before")
    result = send(hook.name, "--url", url, "--token", "wrong-token", "--json")
    assert result.returncode == 1
    verdict = json.loads(result.stdout)
    assert not verdict["delivered"] and "401" in verdict["error"]
    assert verdict["outcome"]["allowed"] is True  # a failed "before" webhook lets the operation through


def test_body_from_json_and_from_file(url: str, tmp_path: Path) -> None:
    hook = CONTRACT.webhooks[1]
    text = json.dumps(hook.examples[0].value)
    assert send(hook.name, "--url", url, "--token", TOKEN, "--body", text).returncode == 0
    path = tmp_path / "body.json"
    path.write_text(text, encoding="utf-8")
    assert send(hook.name, "--url", url, "--token", TOKEN, "--body", f"@{path}").returncode == 0


def test_usage_errors_exit_2_without_a_traceback(url: str) -> None:
    hook = CONTRACT.webhooks[0]
    victim = next(k for k in hook.examples[0].value if k != CONTRACT.command_field)
    broken = dict(hook.examples[0].value)
    del broken[victim]
    cases = [
        (("Nope.Nothing", "--url", url), "COMMAND"),
        ((hook.name, "--url", url, "--example", "no-such-example"), "--example"),
        ((hook.name, "--url", url, "--body", json.dumps(broken)), f"body.{victim}"),
        ((hook.name, "--url", url, "--body", "@/nonexistent/file.json"), "--body"),
    ]
    for args, mentioned in cases:
        result = send(*args)
        assert result.returncode == 2, result.stderr
        assert mentioned in result.stderr and "Traceback" not in result.stderr


def test_an_unknown_command_lists_each_event_name_with_its_command(url: str) -> None:
    result = send("NoSuchEvent", "--url", url)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    message = " ".join(result.stderr.split())  # click wraps long lines
    for hook in CONTRACT.webhooks:
        assert f"{hook.name} ({hook.command})" in message
        assert send(hook.name, "--url", url, "--token", TOKEN).returncode == 0  # the listed name is accepted


def test_spec_must_be_the_contract_the_client_was_generated_from(url: str, tmp_path: Path) -> None:
    hook = CONTRACT.webhooks[0]
    same = send(hook.name, "--url", url, "--token", TOKEN, "--spec", str(bundled_contract_path()), "--json")
    assert same.returncode == 0, same.stdout + same.stderr
    document = json.loads(json.dumps(CONTRACT.document))
    document["info"]["version"] += "-edited"
    other = tmp_path / "edited.json"
    other.write_text(json.dumps(document), encoding="utf-8")
    result = send(hook.name, "--url", url, "--token", TOKEN, "--spec", str(other))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "--spec" in result.stderr and "regenerate" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""  # refused before anything was sent


def test_unreachable_url_exits_1() -> None:
    result = send(CONTRACT.webhooks[0].name, "--url", "http://127.0.0.1:9/", "--timeout", "1")
    assert result.returncode == 1 and "failed" in result.stdout


def test_help() -> None:
    result = send("--help")
    assert result.returncode == 0 and "--example" in result.stdout
