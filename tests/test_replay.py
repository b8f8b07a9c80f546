"""`mockserver replay` between real servers: a mock's journal sent again to a second mock.

The source mock records deliveries; the target is another `mockserver serve`, started with a
token (so re-signing is checked by the real signature check) or scripted to fail.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator

import httpx
import pytest
from click.testing import CliRunner, Result

from mockserver.cli.replay import command as replay
from mockserver.contract import Contract
from mockserver.server.testing import RunningServer, start_server

TOKEN = "replay-token"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    journal = tmp_path_factory.mktemp("source") / "journal.sqlite3"
    with start_server("--journal", str(journal)) as server:
        yield server


@pytest.fixture(scope="module")
def target() -> Iterator[RunningServer]:
    with start_server("--token", TOKEN) as server:
        yield server


@pytest.fixture
def journaled(source: RunningServer, target: RunningServer, contract: Contract) -> list[int]:
    """Every webhook's example, then one refused delivery; their ids, oldest first."""
    source.reset()
    target.reset()
    with httpx.Client(base_url=source.url) as client:
        for webhook in contract.webhooks:
            body = json.dumps(webhook.example().value).encode()
            client.post(
                contract.path,
                params=contract.query_example(webhook.command),
                content=body,
                headers={"Content-Type": "application/json"},
            ).raise_for_status()
        refused = client.post(
            contract.path,
            params=contract.query_example(contract.webhooks[0].command),
            content=b'{"not": "an event"}',
            headers={"Content-Type": "application/json"},
        )
        assert refused.status_code == 400
    return sorted(record["id"] for record in source.requests())


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(replay, list(args), env=env)


def test_valid_deliveries_replay_signed_in_their_original_order(
    source: RunningServer, target: RunningServer, journaled: list[int], contract: Contract
) -> None:
    result = run(
        "--journal", source.journal, "--url", target.url + contract.path, "--verdict", "valid", "--token", TOKEN
    )
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("OK")]
    assert len(lines) == len(contract.webhooks)
    assert all("delivered" in line and re.search(r"; vendor (allow|ignored): ", line) for line in lines)
    assert f"{len(contract.webhooks)} replayed: {len(contract.webhooks)} delivered, 0 failed" in result.output
    arrived = list(reversed(target.requests()))
    assert [r["command"] for r in arrived] == [w.command for w in contract.webhooks]  # the original order
    assert {r["signature"] for r in arrived} == {"valid"}


def test_the_token_may_come_from_the_environment_and_the_source_from_a_running_mock(
    source: RunningServer, target: RunningServer, journaled: list[int], contract: Contract
) -> None:
    first = str(journaled[0])
    result = run(
        "--from", source.url, "--url", target.url + contract.path, "--id", first, env={"MOCKSERVER_REPLAY_TOKEN": TOKEN}
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"OK   #{first} ")
    assert target.count() == 1


def test_without_a_token_the_journaled_query_goes_as_it_was(
    source: RunningServer, target: RunningServer, journaled: list[int], contract: Contract
) -> None:
    result = run("--journal", source.journal, "--url", target.url + contract.path, "--id", str(journaled[0]))
    assert result.exit_code == 1, result.output
    assert "FAIL" in result.output and "-> 401" in result.output
    assert "the Chat backend counts a 401 as a failure" in result.output
    assert target.requests()[0]["signature"] == "missing"  # the journaled (unsigned) query, as it was
    policy = contract.webhook(journaled_command(source, journaled[0])).on_failure
    assert f"; vendor {policy}: the delivery failed" in result.output


def test_a_refused_delivery_replayed_is_refused_again(
    source: RunningServer, target: RunningServer, journaled: list[int], contract: Contract
) -> None:
    result = run(
        "--journal", source.journal, "--url", target.url + contract.path, "--verdict", "invalid", "--token", TOKEN
    )
    assert result.exit_code == 1, result.output
    assert f"#{journaled[-1]} {contract.webhooks[0].command} -> 400" in result.output


def test_a_failing_and_a_silent_target(
    source: RunningServer, target: RunningServer, journaled: list[int], contract: Contract
) -> None:
    target.load_script({"rules": [{"respond": {"status": 500, "body": {}, "invalid": True}}]})
    failing = run(
        "--journal", source.journal, "--url", target.url + contract.path, "--id", str(journaled[0]), "--token", TOKEN
    )
    assert failing.exit_code == 1, failing.output
    assert "-> 500" in failing.output
    target.load_script({"rules": [{"respond": {"fault": "hang", "hang_ms": 4000}}]})
    late = run(
        "--journal", source.journal, "--url", target.url + contract.path, "--id", str(journaled[0]), "--token", TOKEN
    )
    assert late.exit_code == 1, late.output
    assert f"no answer within {contract.timeout_seconds:g} s" in late.output
    with socket.socket() as sock:  # a port nobody listens on: bound, never listening
        sock.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{sock.getsockname()[1]}/"
        result = run("--journal", source.journal, "--url", down, "--id", str(journaled[0]))
    assert result.exit_code == 1, result.output
    assert "no answer after" in result.output and "ConnectError" in result.output


def test_dry_run_prints_curl_and_sends_nothing(
    source: RunningServer, target: RunningServer, journaled: list[int], contract: Contract
) -> None:
    result = run("--journal", source.journal, "--url", target.url, "--command", contract.webhooks[1].name, "--dry-run")
    assert result.exit_code == 0, result.output
    (line,) = result.output.splitlines()
    assert "would be sent: curl -sS -X POST" in line and contract.webhooks[1].command in line
    assert target.count() == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--url", "http://127.0.0.1:9/"], "give --journal FILE or --from URL"),
        (["--journal", "JOURNAL", "--url", "ftp://nowhere"], "is not an http:// or https:// URL"),
        (["--journal", "JOURNAL", "--url", "http://127.0.0.1:9/", "--id", "99999"], "no journaled delivery matches"),
        (["--journal", "JOURNAL", "--url", "http://127.0.0.1:9/", "--since", "yesterday"], "neither a Unix time"),
        (["--journal", "JOURNAL", "--url", "http://127.0.0.1:9/", "--command", "Nope"], "unknown CallbackCommand"),
    ],
)
def test_usage_errors_exit_2(source: RunningServer, journaled: list[int], args: list[str], message: str) -> None:
    result = run(*[source.journal if a == "JOURNAL" else a for a in args])
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_help_names_the_environment_variables() -> None:
    result = run("--help")
    assert result.exit_code == 0
    assert "MOCKSERVER_REPLAY_TOKEN" in result.output and "MOCKSERVER_ADMIN_TOKEN" in result.output


def journaled_command(server: RunningServer, delivery_id: int) -> str:
    (record,) = [r for r in server.requests() if r["id"] == delivery_id]
    return str(record["command"])
