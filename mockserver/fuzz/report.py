"""Showing a run: live progress, the per-check and per-webhook tables, reproducers, JUnit XML.

People read the terminal report (rich tables, one copy-paste `curl` per failure); CI reads the
JUnit file, one test case per (webhook, check) so that a dashboard shows which webhook broke
which rule.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mockserver.fuzz.checks import Exchange
from mockserver.fuzz.runner import Failure, FuzzResult
from mockserver.fuzz.runner import Progress as RunProgress

__all__ = ["ExchangeLog", "live_progress", "print_report", "write_junit"]


@contextmanager
def live_progress(console: Console) -> Iterator[Callable[[RunProgress], None]]:
    """A progress bar fed by the runner's `Progress` events (the yielded object is the callback).

    CI logs are not terminals: a live bar there prints nothing until the end, so off a terminal
    each stage gets one plain line instead (what is being sent, how far along, failures so far).
    """
    if not console.is_terminal:
        last_stage: list[str] = []

        def log(event: RunProgress) -> None:
            if last_stage and last_stage[0] == event.stage:
                return
            last_stage[:] = [event.stage]
            width = len(str(event.total))
            console.print(
                f"[{event.done:>{width}}/{event.total}] {event.stage} ({event.failures} failed so far)",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )

        yield log
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("[red]{task.fields[failures]} failed verdicts"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("starting", total=None, failures=0)

        def update(event: RunProgress) -> None:
            progress.update(
                task, description=event.stage, completed=event.done, total=event.total, failures=event.failures
            )

        yield update


def print_report(result: FuzzResult, console: Console) -> None:
    """The summary per check, the matrix per webhook, then every distinct cause with its curl."""
    skipped = result.skipped()
    checks = Table(title="Checks", title_justify="left")
    checks.add_column("check")
    checks.add_column("verdict")
    checks.add_column("passed", justify="right")
    checks.add_column("failed", justify="right")
    checks.add_column("failure kinds", overflow="fold")
    for check in result.checks:
        tally = result.tally(check.name)
        if tally.failed:
            verdict = "[red]FAIL[/]"
        elif tally.passed:
            verdict = "[green]PASS[/]"
        else:
            verdict = "[yellow]SKIPPED[/]"
        kinds = sorted({f.summary for f in result.failures.values() if f.check == check.name})
        if check.name in skipped:
            kinds = [skipped[check.name]]
        elif tally.inconclusive:
            kinds.append(f"{tally.inconclusive} inconclusive")
        checks.add_row(check.name, verdict, str(tally.passed), str(tally.failed), escape("; ".join(kinds)))
    console.print(checks)

    per_webhook = Table(title="Per webhook", title_justify="left")
    per_webhook.add_column("webhook")
    per_webhook.add_column("passed", justify="right")
    per_webhook.add_column("failed", justify="right")
    per_webhook.add_column("failed checks (failed verdicts)", overflow="fold")
    for target in result.targets:
        passed = failed = 0
        broken = []
        for check in result.checks:
            tally = result.tally(check.name, target)
            passed += tally.passed
            failed += tally.failed
            if tally.failed:
                broken.append(f"{check.name} ({tally.failed})")
        shown = "[red]" + escape(", ".join(broken)) + "[/]" if broken else "[green]none[/]"
        per_webhook.add_row(escape(target), str(passed), str(failed), shown)
    console.print(per_webhook)

    for number, (cause, alike) in enumerate(group_by_cause(result.failures.values()).items(), 1):
        shortest = min(alike, key=lambda f: len(f.curl))
        occurrences = sum(f.occurrences for f in alike)
        checks_broken = ", ".join(dict.fromkeys(f.check for f in alike))
        rows = ", ".join(dict.fromkeys(f.target for f in alike))
        summaries = "; ".join(
            dict.fromkeys(f.summary for f in alike if cause not in (f.summary, f"{f.check}: {f.summary}"))
        )
        times = f" ({occurrences} verdicts)" if occurrences > 1 else ""
        console.print(f"\n[bold red]{number}. {escape(cause)}[/]{times}")
        console.print(f"   fails:    {escape(checks_broken)}" + (f" ({escape(summaries)})" if summaries else ""))
        console.print(f"   webhooks: {escape(rows)}")
        console.print(f"   request:  {escape(shortest.probe)} ({escape(shortest.target)})")
        console.print(f"   reason:   {escape(shortest.detail)}")
        console.print("   reproduce:")
        console.print(escape(shortest.curl), soft_wrap=True, highlight=False)
    if result.failures and result.signed:
        console.print(
            "\n[dim]Signed reproducers carry the time they were signed at; once the replay window has passed, "
            "re-sign them (the current Unix time, and sha256(token + that time)).[/]"
        )
    for name, why in skipped.items():
        console.print(f"\n[bold yellow]Skipped:[/] {escape(name)} judged nothing: {escape(why)}")
    if skipped:
        console.print(
            "A check that judged nothing keeps the run from being conformant (exit 2): give it what it needs,"
            f" or leave it out on purpose with --exclude-check {' --exclude-check '.join(skipped)}."
        )
    if result.aborted:
        console.print(f"\n[bold red]Run stopped early:[/] {escape(result.aborted)}")
    failing = ", ".join(result.failed_checks())
    if result.ok:
        verdict = "[bold green]conformant[/]"
    elif failing:
        verdict = f"[bold red]not conformant[/] ({failing})"
    elif skipped:
        verdict = f"[bold yellow]not conformant[/] (selected checks judged nothing: {', '.join(skipped)})"
    else:  # stopped before any check failed: no verdict on conformance
        verdict = "[bold yellow]incomplete[/] (no check failed before the run stopped)"
    workers = f" with {result.workers} workers" if result.workers > 1 else ""
    console.print(
        f"\n{result.requests} requests ({result.generated} generated by schemathesis) in {result.elapsed:.1f} s"
        f"{workers}: [bold]{result.cases_per_second:.1f} cases/s[/]; seed {result.seed}; timeout {result.timeout:g} s. "
        f"Verdict: {verdict}"
    )


def group_by_cause(failures: Iterable[Failure]) -> dict[str, list[Failure]]:
    """Failures by what went wrong: a crash that broke three checks is one cause, listed once."""
    groups: dict[str, list[Failure]] = {}
    for failure in failures:
        groups.setdefault(failure.cause or f"{failure.check}: {failure.summary}", []).append(failure)
    return groups


class ExchangeLog:
    """`--report FILE`: every exchange as one JSON line, in the order judged, with a curl to send it again.

    Each line has the request as sent (method, url with its query, headers, body), the answer
    (status, content type, body: its first bytes, as text), the time taken, every check's verdict
    and `curl`. To re-run them: ``jq -r .curl FILE | sh`` (signed ones need re-signing once the
    replay window has passed).
    """

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.count = 0

    def __call__(self, exchange: Exchange, verdicts: Mapping[str, str]) -> None:
        self.count += 1
        sent = exchange.request
        line = {
            "n": self.count,
            "webhook": exchange.probe.target,
            "probe": exchange.probe.label,
            "request": None
            if sent is None
            else {
                "method": sent.method,
                "url": sent.url,
                "headers": dict(sent.headers),
                "body": sent.body.decode("utf-8", "replace"),
            },
            "response": None
            if exchange.status is None
            else {
                "status": exchange.status,
                "content_type": exchange.content_type,
                "body": exchange.body[:4096].decode("utf-8", "replace"),
            },
            "error": exchange.error,
            "elapsed_ms": round(exchange.elapsed * 1000, 1),
            "verdicts": dict(verdicts),
            "curl": exchange.curl,
        }
        self.stream.write(json.dumps(line, ensure_ascii=False) + "\n")


def write_junit(result: FuzzResult, path: Path) -> None:
    """One <testcase classname=webhook name=check> per pair judged; a <failure> per distinct failure."""
    root = ET.Element("testsuites")
    suite = ET.SubElement(root, "testsuite", name="mockserver fuzz", time=f"{result.elapsed:.3f}")
    ET.SubElement(ET.SubElement(suite, "properties"), "property", name="seed", value=str(result.seed))
    tests = failures = skipped = 0
    for target in result.targets:
        for check in result.checks:
            tally = result.tally(check.name, target)
            case = ET.SubElement(suite, "testcase", classname=target, name=check.name)
            tests += 1
            found = [f for f in result.failures.values() if f.check == check.name and f.target == target]
            if found:
                failures += 1
                for failure in found:
                    node = ET.SubElement(case, "failure", message=f"{failure.summary}: {failure.detail}")
                    node.text = f"request: {failure.probe}\n{failure.curl}"
            elif not tally.passed:
                skipped += 1
                why = result.skipped().get(check.name, "no request of this kind was judged for this webhook")
                ET.SubElement(case, "skipped", message=why)
            case.set("tests", str(tally.passed + tally.failed))
    if result.aborted:
        case = ET.SubElement(suite, "testcase", classname="run", name="completed")
        ET.SubElement(case, "failure", message=result.aborted)
        tests += 1
        failures += 1
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))
    suite.set("errors", "0")
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
