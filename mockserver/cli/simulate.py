"""`mockserver simulate`: drive a backend with the webhooks a run of Official Accounts makes, in the vendor's order."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from mockserver.cli.options import load_spec, spec_option
from mockserver.errors import InputError, MockserverError
from mockserver.traffic.report import Report
from mockserver.traffic.scenarios import BUILT_IN, load_scenario
from mockserver.traffic.sender import check_url

__all__ = ["command"]

_SHOWN = 20
"""Findings printed; the --report file has them all."""


@click.command(name="simulate", context_settings={"max_content_width": 100})
@click.option("--url", required=True, metavar="WEBHOOK_URL", help="The backend's webhook URL (or `mockserver serve`).")
@click.option("--token", envvar="MOCKSERVER_TOKEN", show_envvar=True, help="Sign every delivery with this token.")
@click.option(
    "--sdkappid", envvar="MOCKSERVER_SDKAPPID", show_envvar=True, type=click.IntRange(min=1), help="The SdkAppid sent."
)
@click.option(
    "--scenario",
    default="lifecycle",
    show_default=True,
    metavar="NAME|FILE",
    help=f"A built-in scenario ({', '.join(sorted(BUILT_IN))}) or a scenario YAML file.",
)
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=0, show_default=True, help="Same seed, same run.")
@click.option("--accounts", type=click.IntRange(0, 1_000_000), help="Accounts to create (default: the scenario's).")
@click.option("--subscribers", type=click.IntRange(0, 1_000_000), help="Users each account gets (default: scenario's).")
@click.option(
    "--messages", type=click.IntRange(0, 1_000_000), help="Messages each account sends (default: scenario's)."
)
@click.option(
    "--rate", type=click.FloatRange(min=0.01), help="At most this many deliveries per second (default: no cap)."
)
@click.option(
    "--timeout", type=click.FloatRange(0.01, 120.0), help="Seconds to wait for an answer (default: the contract's)."
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    metavar="FILE",
    help="Also write the whole report as JSON (every finding with its curl, the final state).",
)
@spec_option("simulate")
def command(
    url: str,
    token: str | None,
    sdkappid: int | None,
    scenario: str,
    seed: int,
    accounts: int | None,
    subscribers: int | None,
    messages: int | None,
    rate: float | None,
    timeout: float | None,
    report_path: Path | None,
    spec: Path | None,
) -> None:
    """Simulate Official Accounts against URL: the webhooks the Chat backend sends, in its order, acting on the answers.

    A refused create makes no account, refused subscribers are not added, a replaced message is
    the one announced, a failed "before" delivery lets the operation through (the vendor fails
    open, and the report says so). Exit 0 when every delivery succeeded, 1 when any failed or
    broke the contract, 2 on a usage error (bad option, unknown scenario, nothing at URL).

    \b
    mockserver simulate --url http://127.0.0.1:8080/
    mockserver simulate --url http://127.0.0.1:8080/ --scenario subscriber-storm --seed 7 --report run.json
    """
    from mockserver.traffic.simulator import Simulation, simulate

    contract = load_spec(spec)
    try:
        check_url(url)
        chosen = load_scenario(scenario, contract).with_counts(accounts, subscribers, messages)
    except InputError as exc:
        raise click.UsageError(str(exc)) from None
    console = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
    simulation = Simulation(contract, chosen, seed=seed)
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True
    ) as progress:
        task = progress.add_task(f"{chosen.name}: starting", total=None)

        def advance(report: Report) -> None:
            progress.update(
                task,
                description=f"{chosen.name}: {report.deliveries} deliveries, {len(report.findings)} failed,"
                f" {len(simulation.accounts)} accounts",
            )

        try:
            report = asyncio.run(
                simulate(
                    url, simulation, token=token, sdk_appid=sdkappid, timeout=timeout, rate=rate, on_delivery=advance
                )
            )
        except MockserverError as exc:
            raise click.UsageError(str(exc)) from None
    print_report(console, report)
    if report_path is not None:
        report_path.write_text(json.dumps(report.as_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
        console.print(f"report written to {escape(str(report_path))}")
    if report.findings:
        raise SystemExit(1)


def print_report(console: Console, report: Report) -> None:
    """The final state, one row per webhook, the fail-open events and the findings."""
    accounts = report.state.get("accounts", [])
    live = [a for a in accounts if not a["destroyed"]]
    console.print(
        f"[bold]{escape(report.scenario)}[/] (seed {report.seed}) against {escape(report.url)}: "
        f"{report.deliveries} deliveries in {report.elapsed:.2f} s ({report.rate:.0f}/s)"
    )
    console.print(
        f"state: {len(accounts)} accounts created, {len(live)} live, {sum(a['full'] for a in accounts)} full; "
        f"{sum(len(a['subscribers']) for a in accounts)} subscribers; "
        f"{sum(len(a['messages']) for a in accounts)} messages, "
        f"{sum(m['withdrawn'] for a in accounts for m in a['messages'])} withdrawn; "
        f"{report.state.get('limited', 0)} subscription requests refused at the subscriber limit"
    )
    budget_ms = report.budget * 1000
    table = Table(title=f"per webhook (budget {budget_ms:.0f} ms)", title_justify="left")
    for column in ("webhook", "sent", "failed", "outcomes", "p50 ms", "p95 ms", "p99 ms", "max ms", "≥ budget"):
        table.add_column(column, justify="left" if column in ("webhook", "outcomes") else "right")
    for name, tally in sorted(report.webhooks.items()):
        row = tally.as_dict(report.budget)
        latency = row["latency_ms"]
        outcomes = ", ".join(f"{k} {v}" for k, v in row["outcomes"].items())
        table.add_row(
            escape(name),
            str(tally.count),
            str(tally.failed),
            outcomes,
            *(f"{latency[k]:.1f}" for k in ("p50", "p95", "p99", "max")),
            str(row["over_budget"]),
        )
    console.print(table)
    if report.fail_open:
        console.print(
            f'[yellow]fail open[/]: {len(report.fail_open)} "before" deliveries failed and the Chat backend let the'
            " operation through without the backend's say:"
        )
        for finding in report.fail_open[:_SHOWN]:
            console.print(f"  #{finding.index} {escape(finding.webhook)}: {escape(finding.reason)}")
    if report.findings:
        console.print(f"[red]{len(report.findings)} failed deliveries[/] (each with a curl that sends it again):")
        for finding in report.findings[:_SHOWN]:
            console.print(f"  #{finding.index} {escape(finding.webhook)}: {escape(finding.reason)}")
            console.print(f"    {escape(finding.curl)}")
        if len(report.findings) > _SHOWN:
            console.print(f"  ... and {len(report.findings) - _SHOWN} more (--report FILE lists them all)")
    else:
        console.print("[green]every delivery succeeded[/] and every answer conforms to the contract")
