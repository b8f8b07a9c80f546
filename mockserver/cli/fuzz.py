"""`mockserver fuzz`: property-test a real webhook backend against the contract and the vendor's rules."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console

from mockserver.cli.options import load_spec, spec_option
from mockserver.contract import load_contract
from mockserver.fuzz.checks import CHECKS
from mockserver.fuzz.report import live_progress, print_report, write_junit
from mockserver.fuzz.runner import Fuzzer, FuzzOptions, Unreachable

__all__ = ["command"]

_BUNDLED = load_contract()
"""The bundled contract, for the defaults the help text quotes (`--spec` may name another)."""


def _check_help() -> str:
    return "; ".join(f"{name}: {check.description}" for name, check in CHECKS.items())


@click.command(name="fuzz", context_settings={"max_content_width": 100})
@click.option(
    "--url", required=True, metavar="WEBHOOK_URL", help="The backend's webhook URL (the one set in the Chat console)."
)
@click.option(
    "--sdkappid",
    "app_id",
    metavar="ID",
    help="The backend's SDKAppID: valid cases use it; a foreign one must be refused.",
)
@click.option("--token", metavar="T", help="The webhook token: cases are signed; forged signatures must be refused.")
@click.option(
    "--max-examples",
    default=50,
    show_default=True,
    type=click.IntRange(0, 10_000),
    help="Generated cases per webhook and per mode (positive, negative).",
)
@click.option(
    "--seed", type=click.IntRange(0, 2**63 - 1), help="Reproduce an earlier run (the report prints its seed)."
)
@click.option(
    "--timeout",
    type=click.FloatRange(0.01, 120.0),
    metavar="SECONDS",
    help=(
        "Answer budget in seconds, up to the answer's last byte (default: the contract's"
        f" x-delivery.timeoutSeconds, {_BUNDLED.timeout_seconds:g} s in the bundled openapi.yaml)."
    ),
)
@click.option(
    "--check",
    "checks",
    multiple=True,
    type=click.Choice(list(CHECKS)),
    metavar="NAME",
    help="Run only this check (repeatable). Names: " + ", ".join(CHECKS) + ".",
)
@click.option(
    "--junit-xml",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    metavar="FILE",
    help="Also write a JUnit XML report (one test case per webhook and check).",
)
@spec_option("fuzz against")
def command(
    url: str,
    app_id: str | None,
    token: str | None,
    max_examples: int,
    seed: int | None,
    timeout: float | None,
    checks: tuple[str, ...],
    junit_xml: Path | None,
    spec: Path | None,
) -> None:
    """Property-test a webhook backend with positive and negative deliveries of every webhook.

    Cases come from schemathesis (per webhook, the query and body CallbackCommand kept equal),
    are signed when --token is given, and are judged by these checks:

    \b
    response-conforms   valid delivery -> 200 + that webhook's response schema
    within-timeout      every answer within the delivery timeout
    no-server-error     no 5xx, dropped connection or hang, valid input or not
    semantics           refusals from the request's list, vendor-defined error codes
    authentication      wrong/missing Sign, stale RequestTime, foreign SdkAppid refused
    forward-compatible  unknown fields / platform / element type answered like the plain version
    unknown-command     a webhook the contract does not know causes no 5xx

    Exits 0 when the backend conforms, 1 when a check failed, 2 on usage errors.
    """
    contract = load_spec(spec)
    if app_id is not None and not app_id.isdigit():
        raise click.BadParameter(f"{app_id!r} is not a numeric SDKAppID", param_hint="--sdkappid")
    if junit_xml is not None and any(parent.exists() and not parent.is_dir() for parent in junit_xml.parents):
        raise click.BadParameter(f"cannot create {junit_xml}: a parent is not a directory", param_hint="--junit-xml")
    console = Console(stderr=False, highlight=False)
    options = FuzzOptions(
        url=url, token=token, app_id=app_id, max_examples=max_examples, seed=seed, timeout=timeout, checks=checks
    )
    try:
        fuzzer = Fuzzer(options, contract)
    except Unreachable as exc:
        raise click.BadParameter(str(exc), param_hint="--url") from None
    progress_console = Console(stderr=True)
    interrupted = False
    try:
        with live_progress(progress_console) as update:
            fuzzer.on_progress = update
            result = fuzzer.run()
    except Unreachable as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:  # Ctrl-C: report what ran so far, then exit like an interrupted program
        interrupted = True
        result = fuzzer.result
        result.aborted = f"interrupted (Ctrl-C) after {result.requests} requests: a partial report"
    print_report(result, console)
    if junit_xml is not None:
        try:
            write_junit(result, junit_xml)
        except OSError as exc:
            click.echo(f"Error: cannot write {junit_xml}: {exc.strerror or exc}", err=True)
            sys.exit(2)
        console.print(f"JUnit XML written to {junit_xml}")
    sys.exit(130 if interrupted else 0 if result.ok else 1)
