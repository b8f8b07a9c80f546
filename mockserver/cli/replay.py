"""`mockserver replay`: send journaled deliveries again, to the backend on your laptop or anywhere."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.markup import escape

from mockserver.cli.options import load_spec, spec_option
from mockserver.contract import Contract, UnknownCommand
from mockserver.errors import MockserverError

if TYPE_CHECKING:  # imported when the command runs: `--help` stays fast
    from mockserver.traffic.replay import Journaled

__all__ = ["command"]


def _since(text: str | None) -> float | None:
    """A Unix time in seconds, or an ISO 8601 date-time (local time unless it has an offset)."""
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is neither a Unix time nor an ISO 8601 date-time", param_hint="--since"
        ) from None


def _command(contract: Contract, name: str | None) -> str | None:
    if name is None:
        return None
    try:
        return contract.webhook_named(name).command
    except UnknownCommand as exc:
        raise click.BadParameter(str(exc), param_hint="--command") from None


@click.command(name="replay")
@click.option(
    "--journal",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read the deliveries from this journal file (`mockserver serve --journal`).",
)
@click.option(
    "--from",
    "from_url",
    metavar="MOCK",
    help="Read the deliveries from a running mock (its base URL; the admin API's /__admin/requests).",
)
@click.option("--url", required=True, help="Send them to this URL (your backend, or another mock).")
@click.option("--id", "ids", multiple=True, type=click.IntRange(min=1), help="Only this delivery id (repeatable).")
@click.option("--command", "command_name", metavar="NAME", help="Only this webhook (command or event name).")
@click.option("--verdict", type=click.Choice(["valid", "invalid"]), help="Only deliveries the mock judged so.")
@click.option("--since", metavar="T", help="Only deliveries received at or after T (Unix seconds or ISO 8601).")
@click.option(
    "--token",
    envvar="MOCKSERVER_REPLAY_TOKEN",
    help="Re-sign each delivery with this webhook token and a fresh RequestTime (env MOCKSERVER_REPLAY_TOKEN). "
    "Without it the journaled query, signature included, is sent as it was.",
)
@click.option(
    "--admin-token",
    envvar="MOCKSERVER_ADMIN_TOKEN",
    help="The --from mock's admin token (env MOCKSERVER_ADMIN_TOKEN).",
)
@click.option("--dry-run", is_flag=True, help="Print the curl command of each delivery instead of sending it.")
@spec_option("judge the answers by")
def command(
    journal: Path | None,
    from_url: str | None,
    url: str,
    ids: tuple[int, ...],
    command_name: str | None,
    verdict: str | None,
    since: str | None,
    token: str | None,
    admin_token: str | None,
    dry_run: bool,
    spec: Path | None,
) -> None:
    """Send journaled deliveries again to URL, in the order they arrived, and judge each answer.

    One line per delivery: the target's answer against the contract, then what the Chat backend
    would do with it (as `mockserver send` reports). Exits 0 when every answer conforms, 1 when
    any delivery failed (status, body, timeout, connection), 2 on a usage error (no source, a bad
    URL, nothing matching the filters).

    \b
    mockserver replay --journal journal.sqlite3 --url http://127.0.0.1:4242/webhook --verdict valid
    mockserver replay --from http://127.0.0.1:8080 --url http://127.0.0.1:4242/ --id 12 --token secret
    """
    from mockserver.traffic.replay import Selection, fetch_journaled, replay
    from mockserver.traffic.sender import check_url

    if (journal is None) == (from_url is None):
        raise click.UsageError("give --journal FILE or --from URL (one of them)")
    try:
        check_url(url)
    except MockserverError as exc:
        raise click.BadParameter(str(exc), param_hint="--url") from None
    contract = load_spec(spec)
    selection = Selection(frozenset(ids), _command(contract, command_name), verdict, _since(since))
    try:
        if journal is not None:
            items = selection.choose(_read_journal(journal))
        else:
            assert from_url is not None
            items = selection.choose(asyncio.run(fetch_journaled(from_url, admin_token)))
    except MockserverError as exc:
        raise click.BadParameter(str(exc), param_hint="--journal" if journal else "--from") from None
    if not items:
        raise click.UsageError("no journaled delivery matches the filters")
    console = Console(highlight=False, soft_wrap=True)

    async def run() -> int:
        failed = 0
        async for result in replay(items, url, contract, token=token, dry_run=dry_run):
            failed += not result.delivered
            mark = "[green]OK[/]  " if result.delivered else "[red]FAIL[/]"
            console.print(f"{'' if dry_run else mark + ' '}{escape(result.line())}")
        return failed

    failed = asyncio.run(run())
    if not dry_run:
        console.print(f"[bold]{len(items)} replayed: {len(items) - failed} delivered, {failed} failed[/]")
    if failed:
        raise SystemExit(1)


def _read_journal(path: Path) -> list[Journaled]:
    from mockserver.server.journal import Journal
    from mockserver.traffic.replay import Journaled

    journal = Journal(path)
    try:
        return [Journaled.of(r) for r in journal.records(limit=1_000_000)]
    finally:
        journal.close()
