"""Isolation benchmark: a flood of 1 MiB invalid bodies must not slow other senders' deliveries.

    .venv/bin/python bench/bench_isolation.py [--duration 10] [--flooders 2]

One `mockserver serve` process. A measuring client sends valid deliveries one after another
and records each latency, twice, side by side on the same server:

* alone (the baseline);
* while `--flooders` connections (wrk, in its own process) send 1 MiB bodies back to back that
  the fast path refuses and that are the most expensive to explain: an array past its
  `maxItems`, filled with valid items, so naming the fields walks the whole document until the
  explanation budget stops it.

Prints p50/p99 of the valid deliveries in both phases, their ratio, and how many flood bodies
were refused. Target (issue 8): p99 under 100 ms during the flood. Needs `wrk`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from rich.console import Console
from rich.table import Table

from mockserver.contract import Contract, load_contract
from mockserver.server.testing import start_server

MIB = 1024 * 1024


def _flood_body(contract: Contract) -> tuple[str, bytes]:
    """A ~1 MiB body: the first array of objects in an example, filled with copies of its first item."""
    for webhook in contract.webhooks:
        example = webhook.example().value
        for key, value in example.items():
            if isinstance(value, list) and value and isinstance(value[0], dict):
                one = len(json.dumps(value[0])) + 2
                body = {**example, key: value[:1] * ((MIB - 4096) // one)}
                return webhook.command, json.dumps(body).encode()
    raise SystemExit("no example has an array of objects to flood with")


def _latencies(url: str, path_query: str, body: bytes, seconds: float) -> list[float]:
    out: list[float] = []
    with httpx.Client(timeout=10) as client:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            start = time.perf_counter()
            answer = client.post(url + path_query, content=body, headers={"content-type": "application/json"})
            out.append((time.perf_counter() - start) * 1000)
            if answer.status_code != 200:
                raise SystemExit(f"a valid delivery got {answer.status_code}: {answer.text[:200]}")
    return out


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds per phase")
    parser.add_argument("--flooders", type=int, default=2, help="connections sending 1 MiB invalid bodies")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    contract = load_contract()
    webhook = contract.webhooks[0]
    valid = json.dumps(dict(webhook.example().value)).encode()
    valid_path = "/?" + urlencode(contract.query_example(webhook.command))
    flood_command, flood = _flood_body(contract)
    flood_path = "/?" + urlencode(contract.query_example(flood_command))

    work = Path(tempfile.mkdtemp(prefix="bench-isolation-"))
    (work / "flood.json").write_bytes(flood)
    script = work / "flood.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        f'local f = io.open("{work / "flood.json"}", "rb"); wrk.body = f:read("*a"); f:close()\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.path = "{flood_path}"\n'
    )
    console = Console()
    results: dict[str, list[float]] = {}
    with start_server("--journal", str(work / "journal.sqlite3")) as server:
        _latencies(server.url, valid_path, valid, 1.0)  # warm-up
        results["alone"] = _latencies(server.url, valid_path, valid, args.duration)
        wrk = subprocess.Popen(
            ["wrk", "-t1", f"-c{args.flooders}", f"-d{args.duration + 2:g}s", "-s", str(script), server.url],
            stdout=subprocess.PIPE,
            text=True,
        )
        time.sleep(1.0)
        results["during the flood"] = _latencies(server.url, valid_path, valid, args.duration)
        wrk.communicate()
        flood_answers: Any = server.count(verdict="invalid")
    shutil.rmtree(work, ignore_errors=True)

    table = Table(title=f"valid deliveries, one at a time; flood: {args.flooders} x {len(flood) / MIB:.1f} MiB invalid")
    for column in ("phase", "deliveries", "p50 ms", "p99 ms", "max ms"):
        table.add_column(column, justify="left" if column == "phase" else "right")
    for phase, values in results.items():
        table.add_row(phase, str(len(values)), f"{_p(values, 50):.2f}", f"{_p(values, 99):.2f}", f"{max(values):.1f}")
    console.print(table)
    alone, flooded = results["alone"], results["during the flood"]
    console.print(f"flood bodies refused and journaled: {flood_answers}")
    console.print(
        f"p99 during the flood / alone = {_p(flooded, 99) / _p(alone, 99):.2f}x;"
        f" p99 during the flood = {_p(flooded, 99):.1f} ms (target < 100 ms); cores: {os.cpu_count()}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
