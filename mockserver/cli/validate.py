"""`mockserver validate`: verdicts for captured deliveries, with the field and reason of each violation."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from mockserver.captures import CapturedDelivery, CaptureError, read_captures, read_raw_body
from mockserver.cli.options import load_spec, spec_option
from mockserver.contract import Contract, UnknownCommand
from mockserver.jsontext import TOO_DEEP
from mockserver.schema import Violation
from mockserver.validation import DeliveryValidator

__all__ = ["command"]


def _deliveries(paths: Iterable[Path], contract: Contract, command_name: str | None) -> Iterable[CapturedDelivery]:
    for path in paths:
        if command_name is None:
            yield from read_captures(path)
        else:
            yield read_raw_body(path, contract.query_example(command_name))


def _check(validator: DeliveryValidator, delivery: CapturedDelivery) -> list[Violation]:
    try:
        return validator.check_request(delivery.query, delivery.body, delivery.content_type)
    except RecursionError:  # the JSON parsers recurse once per nesting level
        return [Violation("body", f"the body is {TOO_DEEP}")]


def _command_of(delivery: CapturedDelivery, contract: Contract) -> str:
    named = delivery.query.get(contract.parameter("command").name)
    return named if named else "(no command)"


@click.command(name="validate")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path)
)
@click.option(
    "--command",
    "command_name",
    metavar="COMMAND",
    help="Treat each FILE as one raw JSON body of this webhook, by command or event name "
    "(query string taken from the contract's examples).",
)
@spec_option("check against")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON verdict per delivery instead of text.")
@click.option("--quiet", "-q", is_flag=True, help="Print only deliveries that violate the contract, and the summary.")
def command(files: tuple[Path, ...], command_name: str | None, spec: Path | None, as_json: bool, quiet: bool) -> None:
    """Check captured webhook deliveries against the contract.

    Each FILE is JSON Lines, one delivery per line:

      {"query": {"SdkAppid": "1400000000", "CallbackCommand": "...", ...}, "body": {...}}

    ("raw_body" instead of "body" holds the body as sent, as a string). With --command, each
    FILE is a single raw JSON body instead. FILE '-' reads standard input. Exits 0 when every
    delivery conforms, 1 if any violates the contract, 2 on a usage error (unreadable file).
    """
    contract = load_spec(spec)
    if command_name is not None:
        try:
            command_name = contract.webhook_named(command_name).command
        except UnknownCommand:
            raise click.BadParameter(
                f"{command_name!r} is not a webhook of the contract; choose from {', '.join(contract.commands)}",
                param_hint="--command",
            ) from None
    validator = DeliveryValidator(contract)
    console = Console(highlight=False, soft_wrap=True)
    total = failed = 0
    try:
        for delivery in _deliveries(files, contract, command_name):
            total += 1
            if delivery.error is not None:
                violations = [Violation("line", delivery.error)]
                verdict = "unreadable"
            else:
                violations = _check(validator, delivery)
                verdict = "violates" if violations else "conforms"
            failed += verdict != "conforms"
            label = command_name or _command_of(delivery, contract)
            if as_json:
                click.echo(
                    json.dumps(
                        {
                            "location": delivery.location,
                            "command": label,
                            "verdict": verdict,
                            "violations": [v.as_dict() for v in violations],
                        },
                        ensure_ascii=False,
                    )
                )
                continue
            if quiet and verdict == "conforms":
                continue
            mark = "[green]PASS[/]" if verdict == "conforms" else "[red]FAIL[/]"
            summary = (
                "conforms"
                if verdict == "conforms"
                else (
                    f"unreadable: {escape(delivery.error or '')}"
                    if verdict == "unreadable"
                    else f"{len(violations)} violation{'s' * (len(violations) != 1)}"
                )
            )
            console.print(f"{mark} {escape(delivery.location)}  {escape(label)}  {summary}")
            if verdict == "violates":
                for violation in violations:
                    console.print(f"     [bold]{escape(violation.field)}[/]: {escape(violation.reason)}")
    except CaptureError as exc:
        raise click.UsageError(str(exc)) from None
    if not as_json:
        tail = f"{total} deliver{'ies' if total != 1 else 'y'}: {total - failed} conform, {failed} do not"
        console.print(f"[bold]{tail}[/]")
    if failed:
        raise SystemExit(1)
