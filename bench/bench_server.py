"""Load benchmark: `mockserver serve` vs a bare Starlette app vs Prism, in one run, with wrk.

    .venv/bin/python bench/bench_server.py [--duration 10] [--connections 16] [--rounds 2]

Each server gets the same delivery (the first example of the first "before" webhook, with the
contract's query string) at a fixed number of connections; the rounds are interleaved so that
background load on a shared machine hits all three alike, and the best round of each counts.

* mockserver: `mockserver serve --quiet` (validation on, every answer sent only after its
  journal record is committed);
* bare Starlette: one route doing `json.loads` and returning the same default answer;
* Prism 5.16 (`@stoplight/prism-cli`, in bench/node_modules: `npm install --prefix bench
  @stoplight/prism-cli@5.16.0`) mocking the same openapi.yaml.

Needs `wrk` (Debian: apt-get install wrk). Prints req/s, p50, p99 and the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import httpx
from rich.console import Console
from rich.table import Table

from mockserver.contract import bundled_contract_path, load_contract

ROOT = Path(__file__).resolve().parent.parent
PRISM = ROOT / "bench" / "node_modules" / ".bin" / "prism"

BARE_APP = """
import json
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

ANSWER = {answer!r}

async def receive_webhook(request):
    json.loads(await request.body())
    return Response(ANSWER, media_type="application/json")

app = Starlette(routes=[Route("/", receive_webhook, methods=["POST"])])
"""


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait(url: str, path_query: str, body: bytes, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            response = httpx.post(
                url + path_query, content=body, headers={"content-type": "application/json"}, timeout=2
            )
            if response.status_code == 200:
                return
            raise SystemExit(f"{url} answered {response.status_code}: {response.text[:300]}")
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not start")


@contextmanager
def _process(command: list[str], cwd: Path | None = None) -> Iterator[None]:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd)
    try:
        yield
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _latency(text: str, label: str) -> float:
    match = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", text, re.MULTILINE)
    return float(match.group(1)) * _UNITS[match.group(2)] if match else float("nan")


def _wrk(url: str, script: Path, duration: int, connections: int) -> tuple[float, float, float, int]:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rps, _latency(out, "50%"), _latency(out, "99%"), int(errors.group(1)) if errors else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-prism", action="store_true", help="skip Prism (not installed)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    contract = load_contract()
    webhook = next(w for w in contract.webhooks if w.can_refuse)
    body = json.dumps(dict(webhook.example().value), ensure_ascii=False).encode()
    path_query = "/?" + urlencode(contract.query_example(webhook.command))
    answer = json.dumps(dict(webhook.default_response)).encode()

    work = Path(tempfile.mkdtemp(prefix="bench-server-"))
    (work / "bare_app.py").write_text(BARE_APP.format(answer=answer))
    (work / "body.json").write_bytes(body)
    script = work / "post.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        f'local f = io.open("{work / "body.json"}", "rb"); wrk.body = f:read("*a"); f:close()\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.path = "{path_query}"\n'
    )
    python = sys.executable
    servers: dict[str, tuple[list[str], Path | None]] = {}
    ports: dict[str, int] = {}
    for name in ("mockserver", "bare Starlette", "Prism 5.16"):
        ports[name] = _free_port()
    servers["mockserver"] = ([python, "-m", "mockserver", "serve", "--quiet", "--port", str(ports["mockserver"])], None)
    servers["bare Starlette"] = (
        [
            python,
            "-m",
            "uvicorn",
            "bare_app:app",
            "--port",
            str(ports["bare Starlette"]),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        work,
    )
    if not args.no_prism:
        if not PRISM.exists():
            print(
                f"Prism is not installed at {PRISM}; npm install --prefix bench @stoplight/prism-cli@5.16.0",
                file=sys.stderr,
            )
            return 2
        servers["Prism 5.16"] = (
            [str(PRISM), "mock", str(bundled_contract_path()), "-p", str(ports["Prism 5.16"]), "-h", "127.0.0.1"],
            None,
        )

    best: dict[str, Result] = {}
    console = Console()
    for round_ in range(args.rounds):
        for name, (command, cwd) in servers.items():
            url = f"http://127.0.0.1:{ports[name]}"
            with _process(command, cwd):
                _wait(url, path_query, body)
                _wrk(url, script, 2, args.connections)  # warm-up
                rps, p50, p99, errors = _wrk(url, script, args.duration, args.connections)
            console.print(f"round {round_ + 1}: {name}: {rps:,.0f} req/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms")
            if name not in best or rps > best[name].rps:
                best[name] = Result(name, rps, p50, p99, errors)
    shutil.rmtree(work, ignore_errors=True)

    table = Table(title=f"POST / ({webhook.name} example), {args.connections} connections, wrk, best of {args.rounds}")
    for column in ("server", "req/s", "p50 ms", "p99 ms", "non-2xx"):
        table.add_column(column, justify="right" if column != "server" else "left")
    for result in best.values():
        table.add_row(
            result.name, f"{result.rps:,.0f}", f"{result.p50_ms:.2f}", f"{result.p99_ms:.2f}", str(result.errors)
        )
    console.print(table)
    mock = best["mockserver"]
    bare = best["bare Starlette"]
    console.print(f"mockserver / bare Starlette = {mock.rps / bare.rps:.2f}x throughput (target >= 0.5)")
    if "Prism 5.16" in best:
        console.print(f"mockserver / Prism = {mock.rps / best['Prism 5.16'].rps:.2f}x throughput (target >= 3)")
    console.print(
        f"mockserver p99 / bare Starlette p99 = {mock.p99_ms / bare.p99_ms:.2f}x (target <= 2.5);"
        f" cores: {os.cpu_count()}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
