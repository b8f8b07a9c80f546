"""Fuzzing speed: `mockserver fuzz` sequential vs `--workers N`, same seed, against a backend that takes 200 ms.

    .venv/bin/python bench/bench_fuzz.py [--delay 0.2] [--workers 8] [--max-examples 30] [--seed 7]

The backend (a subprocess under uvicorn) answers every delivery with its webhook's default
answer after `--delay` seconds, reading the answers from the contract. Both runs use the same
seed and write `--report` files; the script prints each run's wall time, the ratio, and
whether the two runs judged the same requests with the same verdicts (they must).
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

BACKEND = """
import asyncio, json
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
from mockserver.contract import load_contract

contract = load_contract()
COMMAND = contract.parameter("command").name
ANSWERS = {w.command: json.dumps(w.default_response).encode() for w in contract.webhooks}
DELAY = {delay}

async def receive(request):
    await request.body()
    await asyncio.sleep(DELAY)
    answer = ANSWERS.get(request.query_params.get(COMMAND, ""))
    if answer is None:
        return Response(b'{"title": "unknown command"}', 400, media_type="application/problem+json")
    return Response(answer, media_type="application/json")

app = Starlette(routes=[Route("/", receive, methods=["POST"])])
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fuzz(url: str, workers: int, args: argparse.Namespace, report: Path) -> tuple[float, str]:
    command = [sys.executable, "-m", "mockserver", "fuzz", "--url", url, "--seed", str(args.seed)]
    command += ["--max-examples", str(args.max_examples), "--workers", str(workers), "--report", str(report)]
    command += ["--exclude-check", "authentication"]  # the bench backend checks no credentials
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    took = time.perf_counter() - started
    text = " ".join(proc.stdout.split())  # rich wraps the summary line
    verdict = (
        text.split("Verdict: ", 1)[-1].split(" Every exchange")[0] if "Verdict: " in text else f"exit {proc.returncode}"
    )
    return took, verdict


def verdicts(report: Path) -> Counter[str]:
    """The run's content: (webhook, probe, body, verdicts) of every exchange, order-free, signatures aside."""
    seen: Counter[str] = Counter()
    for line in report.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        body = record["request"]["body"] if record["request"] else None
        seen[json.dumps([record["webhook"], record["probe"], body, record["verdicts"]], sort_keys=True)] += 1
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--max-examples", type=int, default=30, help="the CLI's default (30)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        module = Path(tmp) / "bench_backend.py"
        module.write_text(BACKEND.replace("{delay}", repr(args.delay)), encoding="utf-8")
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "bench_backend:app", "--port", str(port), "--log-level", "warning"],
            cwd=tmp,
        )
        url = f"http://127.0.0.1:{port}/"
        try:
            for _ in range(100):
                try:
                    httpx.get(url)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            sequential, verdict_1 = fuzz(url, 1, args, Path(tmp) / "sequential.jsonl")
            concurrent, verdict_n = fuzz(url, args.workers, args, Path(tmp) / "concurrent.jsonl")
            same = verdicts(Path(tmp) / "sequential.jsonl") == verdicts(Path(tmp) / "concurrent.jsonl")
            requests = sum(verdicts(Path(tmp) / "sequential.jsonl").values())
        finally:
            server.terminate()
            server.wait(10)
    print(f"backend delay {args.delay * 1000:.0f} ms, --max-examples {args.max_examples}, seed {args.seed}")
    print(f"  --workers 1:  {sequential:6.1f} s  {verdict_1.strip()}")
    print(f"  --workers {args.workers}:  {concurrent:6.1f} s  {verdict_n.strip()}")
    print(f"  {requests} requests; floor at {args.workers} workers: {requests * args.delay / args.workers:.1f} s")
    print(f"  ratio sequential / --workers {args.workers}: {sequential / concurrent:.2f}x")
    print(f"  same requests and verdicts: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
