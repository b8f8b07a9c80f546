"""`mockserver validate` over capture files, in process (`CliRunner`); test_cli_options runs it as a subprocess."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mockserver.contract import Contract
from tests.support.cli import Ran, run_cli


def run(*args: str | Path) -> Ran:
    return run_cli("validate", *args)


def line(query: dict[str, str], body: Any) -> str:
    return json.dumps({"query": query, "body": body}, ensure_ascii=False)


@pytest.fixture
def mixed(contract: Contract, tmp_path: Path) -> tuple[Path, str]:
    """Six deliveries: two good, one missing a field, one mismatched, one not JSON, one truncated."""
    first, second = contract.webhooks[0], contract.webhooks[-1]
    required = next(f for f in contract.resolve(second.request_ref)["required"] if f != contract.command_field)
    dropped = {k: v for k, v in second.example().value.items() if k != required}
    good = line(contract.query_example(first.command), first.example().value)
    lines = [
        good,
        line(contract.query_example(second.command), dropped),
        line(contract.query_example(first.command), second.example().value),
        "this is not json",
        good[: len(good) // 2],
        line(contract.query_example(second.command), second.examples[-1].value),
    ]
    path = tmp_path / "captures.jsonl"
    path.write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    return path, required


def test_mixed_file_gives_a_verdict_per_delivery_and_exit_1(contract: Contract, mixed: tuple[Path, str]) -> None:
    path, required = mixed
    result = run(path)
    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert "Traceback" not in out + result.stderr
    assert f"PASS {path}:1" in out and f"PASS {path}:6" in out
    assert f"FAIL {path}:2" in out and f"body.{required}" in out
    assert f"FAIL {path}:3" in out and f"query.{contract.parameter('command').name}" in out
    assert f"FAIL {path}:4" in out and "not valid JSON" in out
    assert f"FAIL {path}:5" in out and "truncated" in out
    assert "6 deliveries: 2 conform, 4 do not" in out


def test_json_output_is_machine_readable(mixed: tuple[Path, str]) -> None:
    path, required = mixed
    result = run("--json", path)
    verdicts = [json.loads(x) for x in result.stdout.splitlines()]
    assert [v["verdict"] for v in verdicts] == [
        "conforms",
        "violates",
        "violates",
        "unreadable",
        "unreadable",
        "conforms",
    ]
    assert {"field": f"body.{required}", "reason": f"'{required}' is a required property"} in verdicts[1]["violations"]
    assert result.returncode == 1


def test_all_good_exits_0_and_quiet_prints_only_the_summary(contract: Contract, tmp_path: Path) -> None:
    path = tmp_path / "good.jsonl"
    path.write_text(
        "\n".join(line(contract.query_example(w.command), e.value) for w in contract.webhooks for e in w.examples)
    )
    result = run("--quiet", path)
    assert result.returncode == 0, result.stdout
    total = sum(len(w.examples) for w in contract.webhooks)
    assert result.stdout.strip() == f"{total} deliveries: {total} conform, 0 do not"


def test_raw_body_with_command(contract: Contract, tmp_path: Path) -> None:
    webhook = contract.webhooks[0]
    body = tmp_path / "body.json"
    body.write_text(json.dumps(webhook.example().value))
    assert run("--command", webhook.command, body).returncode == 0
    wrong = contract.webhooks[1].command
    result = run("--command", wrong, body)
    assert result.returncode == 1 and f"query.{contract.parameter('command').name}" in result.stdout
    body.write_text('{"half": ')
    result = run("--command", webhook.command, body)
    assert result.returncode == 1 and "not valid JSON" in result.stdout


def test_usage_errors_exit_2_without_traceback(tmp_path: Path) -> None:
    missing = run(tmp_path / "nope.jsonl")
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    (tmp_path / "x.json").write_text("{}")
    unknown = run("--command", "NotAWebhook", tmp_path / "x.json")
    assert unknown.returncode == 2 and "not a webhook of the contract" in unknown.stderr
    for result in (missing, unknown):
        assert "Traceback" not in result.stderr


def test_help_explains_the_format() -> None:
    result = run("--help")
    assert result.returncode == 0 and "JSON Lines" in result.stdout
