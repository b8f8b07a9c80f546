"""`mockserver send`: one webhook through the kit's sender to a generated server stub on 127.0.0.1.

The command runs in process (`CliRunner`); the one test that must see a fresh interpreter (the
generated package is never imported with --spec) runs it as a subprocess.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from oa_webhooks.server import DefaultWebhookHandler, create_app

from mockserver.contract import load_contract
from tests.support.cli import Ran, run_cli
from tests.support.servers import serve
from tests.support.stubs import answering

pytestmark = pytest.mark.slow  # `mockserver send` over real HTTP (and once as a subprocess)

CONTRACT = load_contract()
APP_ID = CONTRACT.parameter("app-id").example
TOKEN = "send-cli-token"


def send(*args: str) -> Ran:
    return run_cli("send", *args)


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


def test_the_table_shows_the_response_and_the_verdict(url: str) -> None:
    hook = next(w for w in CONTRACT.webhooks if w.can_refuse)
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


def edited_contract(tmp_path: Path) -> tuple[Path, str]:
    """The contract with one more webhook (a copy of the first under a new command), as JSON."""
    document = json.loads(json.dumps(CONTRACT.document))
    first = CONTRACT.webhooks[0]
    later = first.command.rsplit(".", 1)[0] + ".CallbackEnabledLater"
    schemas = document["components"]["schemas"]
    schemas["EnabledLater"] = json.loads(json.dumps(schemas[first.name]).replace(first.command, later))
    schemas[CONTRACT.command_field]["enum"].append(later)
    union = schemas[CONTRACT.request_schema_ref.rsplit("/", 1)[-1]]
    union["oneOf"].append({"$ref": "#/components/schemas/EnabledLater"})
    union["discriminator"]["mapping"][later] = "#/components/schemas/EnabledLater"
    media = document["paths"]["/"]["post"]["requestBody"]["content"]["application/json"]
    media["examples"]["EnabledLater-sample"] = {"value": {**first.example().value, CONTRACT.command_field: later}}
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path, later


def test_spec_sends_and_judges_by_the_contract_given_without_a_generated_package(url: str, tmp_path: Path) -> None:
    """A webhook the generated package does not know is sent from --spec alone; oa_webhooks is never imported."""
    spec, later = edited_contract(tmp_path)
    program = (
        "import sys; from mockserver.cli.main import main\n"
        "try:\n    main(sys.argv[1:])\n"
        "except SystemExit as exit:\n"
        "    print('generated package imported' if 'oa_webhooks' in sys.modules else '', file=sys.stderr)\n"
        "    raise\n"
    )
    args = ["send", "EnabledLater", "--url", url, "--token", TOKEN, "--spec", str(spec), "--json"]
    result = subprocess.run([sys.executable, "-c", program, *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    verdict = json.loads(result.stdout)
    # The stub does not know the command and answers with the contract's rule for unknown commands,
    # which is a valid answer of the copied webhook.
    assert (
        verdict["command"] == later
        and verdict["delivered"]
        and verdict["response"] == dict(CONTRACT.unknown_command_answer)
    )
    assert "generated package imported" not in result.stderr


def test_send_reports_a_silent_drop_in_the_json_verdict() -> None:
    """The outcome keys of the JSON verdict (every code's outcome is tested in-process in test_traffic_sender)."""
    webhook, value = next((w, v) for w in CONTRACT.webhooks for v in w.error_code_values if v.outcome == "drop")
    answer = {**webhook.default_response, webhook.response_roles["error-code"]: value.low}
    with serve(answering(webhook, answer)) as address:
        result = send(webhook.name, "--url", address, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    outcome = json.loads(result.stdout)["outcome"]
    assert outcome == {
        "allowed": False,
        "action": "drop",
        "detail": value.meaning,
        "caller_error": None,
        "refused": [],
        "replaced": {},
    }


def test_unreachable_url_exits_1() -> None:
    result = send(CONTRACT.webhooks[0].name, "--url", "http://127.0.0.1:9/", "--timeout", "1")
    assert result.returncode == 1 and "failed" in result.stdout


def test_help() -> None:
    result = send("--help")
    assert result.returncode == 0 and "--example" in result.stdout
