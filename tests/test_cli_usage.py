"""Each command's usage errors and help, in process (`CliRunner`): exit 2, a message naming the option, no traceback.

The commands' real work is tested elsewhere (against servers, or as subprocesses where only a
process shows it); these pin the contract of the command line itself, and keep every CLI module
in the fast tier.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mockserver.fuzz.checks import CHECKS
from tests.support.cli import run_cli

USAGE_ERRORS = [
    pytest.param(["fuzz", "--url", "ftp://example.invalid/"], "not an http:// or https:// URL", id="fuzz-url"),
    pytest.param(["fuzz", "--url", "http://127.0.0.1:9/", "--check", "no-such-check"], "--check", id="fuzz-check"),
    pytest.param(["send", "NoSuchWebhook", "--url", "http://127.0.0.1:9/"], "NoSuchWebhook", id="send-webhook"),
    pytest.param(["serve", "--sdkappid", "not-a-number"], "--sdkappid", id="serve-sdkappid"),
    pytest.param(["serve", "--forward-to", "ftp://nowhere"], "--forward-to", id="serve-forward-to"),
    pytest.param(["replay", "--url", "http://127.0.0.1:9/"], "give --journal FILE or --from URL", id="replay-source"),
    pytest.param(["generate", "python", "--out", "{tmp}/x", "--package", "not-a-name"], "package", id="generate-name"),
    pytest.param(["validate", "{tmp}/missing.jsonl"], "does not exist", id="validate-missing"),
]


@pytest.mark.parametrize(("args", "needle"), USAGE_ERRORS)
def test_usage_errors_exit_2_naming_the_mistake(args: list[str], needle: str, tmp_path: Path) -> None:
    result = run_cli(*(a.format(tmp=tmp_path) for a in args))
    assert result.returncode == 2, result.stdout + result.stderr
    assert needle in " ".join(result.stderr.split())  # click wraps long lines


@pytest.mark.parametrize(
    "name", ["fuzz", "generate python", "generate openapi31", "replay", "send", "serve", "validate"]
)
def test_help_documents_the_environment_variables_it_reads(name: str) -> None:
    result = run_cli(*name.split(), "--help")
    assert result.returncode == 0 and "Usage: main " + name in result.stdout.replace("\n", " ")
    assert "MOCKSERVER_SPEC" in result.stdout  # the one option every command shares
    if name == "serve":  # the secrets a user would otherwise type where `ps` shows them
        assert "MOCKSERVER_TOKEN" in result.stdout


def test_fuzz_help_documents_every_check() -> None:
    result = run_cli("fuzz", "--help")
    for name in CHECKS:
        assert name in result.stdout


def test_serve_reads_its_options_from_the_environment() -> None:
    """A wrong MOCKSERVER_SDKAPPID is refused like a wrong --sdkappid: the variable is read, and checked."""
    result = run_cli("serve", env={"MOCKSERVER_SDKAPPID": "not-a-number"})
    assert result.returncode == 2
    assert "--sdkappid" in result.stderr and "number" in result.stderr
