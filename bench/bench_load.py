"""Load: how many signed deliveries a second one Locust process sustains against a bare Starlette receiver.

    .venv/bin/python bench/bench_load.py [--users 20] [--seconds 15]

The receiver (its own uvicorn process, one worker) answers every delivery with the contract's
default answer and checks nothing, so the figure is the sender's: `mockserver load --headless`
(one Locust process, simulated lifecycle traffic, each delivery signed and its answer judged).
Prints deliveries/s and the ratio to the target of 1,000/s (issue 12).
"""

from __future__ import annotations

import argparse
import re
import socket
import subprocess
import sys
import textwrap
import time

TARGET = 1000.0
RECEIVER = textwrap.dedent(
    """
    import json
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route
    from mockserver.contract import load_contract

    ANSWER = json.dumps(load_contract().unknown_command_answer).encode()

    async def receive(request):
        await request.body()
        return Response(ANSWER, media_type="application/json")

    app = Starlette(routes=[Route("/", receive, methods=["POST"])])
    """
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=15)
    args = parser.parse_args()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    receiver = subprocess.Popen(
        [sys.executable, "-c", RECEIVER + f"\nimport uvicorn\nuvicorn.run(app, port={port}, log_level='error')"]
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.1)
        load = [sys.executable, "-m", "mockserver", "load", "--url", f"http://127.0.0.1:{port}/", "--headless"]
        load += ["--users", str(args.users), "--spawn-rate", str(args.users), "--run-time", f"{args.seconds}s"]
        output = subprocess.run([*load, "--token", "bench"], capture_output=True, text=True, check=False).stdout
    finally:
        receiver.terminate()
        receiver.wait()
    match = re.search(r"^total\s+(\d+)\s+([\d.]+)\s.*?(\d+) failed$", output, re.MULTILINE)
    if match is None:
        sys.exit(f"no summary in Locust's output:\n{output[-2000:]}")
    total, rate, failed = int(match.group(1)), float(match.group(2)), int(match.group(3))
    print(f"one Locust process, {args.users} users, {args.seconds} s, signed lifecycle deliveries:")
    print(f"  {total} deliveries, {failed} failed, {rate:.0f} deliveries/s")
    print(f"  ratio to the {TARGET:.0f}/s target: {rate / TARGET:.2f}")


if __name__ == "__main__":
    main()
