"""`mockserver fuzz`: property-test a real webhook backend against the contract and the vendor's rules."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import IO

import click
from rich.console import Console

from mockserver.cli.options import load_spec, spec_option
from mockserver.contract import load_contract
from mockserver.fuzz.checks import CHECKS
from mockserver.fuzz.report import ExchangeLog, live_progress, print_report, write_junit
from mockserver.fuzz.runner import Fuzzer, FuzzOptions, Unreachable

__all__ = ["command"]

_BUNDLED = load_contract()
"""The bundled contract, for the defaults the help text quotes (`--spec` may name another)."""


_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
"""An HTTP header name (RFC 9110 token)."""


def _headers(values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """`-H "Name: value"` options as pairs; a malformed one is a usage error."""
    pairs = []
    for value in values:
        name, colon, text = value.partition(":")
        if not colon or not _TOKEN.match(name.strip()):
            raise click.BadParameter(f"{value!r} is not 'Name: value'", param_hint="-H/--header")
        pairs.append((name.strip(), text.strip()))
    return tuple(pairs)


@click.command(name="fuzz", context_settings={"max_content_width": 100})
@click.option(
    "--url", required=True, metavar="WEBHOOK_URL", help="The backend's webhook URL (the one set in the Chat console)."
)
@click.option(
    "--sdkappid",
    "app_id",
    metavar="ID",
    envvar="MOCKSERVER_SDKAPPID",
    show_envvar=True,
    help="The backend's SDKAppID: valid cases use it; a foreign one must be refused.",
)
@click.option(
    "--token",
    metavar="T",
    envvar="MOCKSERVER_TOKEN",
    show_envvar=True,
    help="The webhook token: cases are signed; forged signatures must be refused.",
)
@click.option(
    "-H",
    "--header",
    "headers",
    multiple=True,
    metavar="'NAME: VALUE'",
    help="Add this header to every request (repeatable): a gateway's credentials, a routing header.",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    envvar="MOCKSERVER_FUZZ_WORKERS",
    show_envvar=True,
    help="Requests in flight at once; the findings are the same as a sequential run's with the same seed.",
)
@click.option(
    "--max-examples",
    default=30,
    show_default=True,
    type=click.IntRange(0, 10_000),
    help=(
        "Generated cases per webhook and per mode (positive, negative), on top of the examples,"
        " boundaries and crafted probes every run sends."
    ),
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
    "--exclude-check",
    "excluded",
    multiple=True,
    type=click.Choice(list(CHECKS)),
    metavar="NAME",
    help="Do not run this check (repeatable), e.g. authentication for a backend without a token.",
)
@click.option(
    "--max-failures",
    type=click.IntRange(1),
    metavar="N",
    help="Stop after N failing requests (the report shows what was found so far).",
)
@click.option(
    "--report",
    "report_file",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    metavar="FILE",
    help="Write every exchange to FILE, one JSON line each, with a curl to send it again (jq -r .curl FILE | sh).",
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
    headers: tuple[str, ...],
    workers: int,
    max_examples: int,
    seed: int | None,
    timeout: float | None,
    checks: tuple[str, ...],
    excluded: tuple[str, ...],
    max_failures: int | None,
    report_file: Path | None,
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

    Boundaries (one item short of minItems, one past maxItems or maxLength, an integer just
    outside its bounds) come from schemathesis's coverage phase, for every webhook. Redirects
    are not followed (the Chat backend does not follow them): a 3xx is a finding. Findings are
    grouped by cause: a crash that breaks three checks is listed once.

    \b
    mockserver fuzz --url http://127.0.0.1:8000/im/callback --token s3cret --sdkappid 1400000001
    MOCKSERVER_TOKEN=s3cret mockserver fuzz --url URL --workers 8 --report exchanges.jsonl

    Exits 0 when the backend conforms, 1 when a check failed (or the run stopped early),
    2 on usage errors and when a selected check judged nothing (say, authentication without
    --token or --sdkappid: give them, or --exclude-check authentication).
    """
    contract = load_spec(spec)
    if app_id is not None and not app_id.isdigit():
        raise click.BadParameter(f"{app_id!r} is not a numeric SDKAppID", param_hint="--sdkappid")
    if junit_xml is not None and any(parent.exists() and not parent.is_dir() for parent in junit_xml.parents):
        raise click.BadParameter(f"cannot create {junit_xml}: a parent is not a directory", param_hint="--junit-xml")
    console = Console(stderr=False, highlight=False)
    if set(checks) & set(excluded):
        raise click.UsageError(
            f"--check and --exclude-check both name {', '.join(sorted(set(checks) & set(excluded)))}"
        )
    options = FuzzOptions(
        url=url,
        token=token,
        app_id=app_id,
        max_examples=max_examples,
        seed=seed,
        timeout=timeout,
        checks=checks,
        exclude_checks=excluded,
        workers=workers,
        headers=_headers(headers),
        max_failures=max_failures,
    )
    try:
        fuzzer = Fuzzer(options, contract)
    except Unreachable as exc:
        raise click.BadParameter(str(exc), param_hint="--url") from None
    if not fuzzer.checks:
        raise click.UsageError("--exclude-check left no check to run")
    log: IO[str] | None = None
    if report_file is not None:
        try:
            log = report_file.open("w", encoding="utf-8")
        except OSError as exc:
            raise click.BadParameter(
                f"cannot write {report_file}: {exc.strerror or exc}", param_hint="--report"
            ) from None
        fuzzer.on_exchange = ExchangeLog(log)
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
    finally:
        if log is not None:
            log.close()
    print_report(result, console)
    if report_file is not None:
        console.print(f"Every exchange written to {report_file} (re-run them: jq -r .curl {report_file} | sh)")
    if junit_xml is not None:
        try:
            write_junit(result, junit_xml)
        except OSError as exc:
            click.echo(f"Error: cannot write {junit_xml}: {exc.strerror or exc}", err=True)
            sys.exit(2)
        console.print(f"JUnit XML written to {junit_xml}")
    if interrupted:
        sys.exit(130)
    if result.failures or result.aborted is not None:
        sys.exit(1)
    sys.exit(2 if result.skipped() else 0)
