"""Simulator throughput: 10,000 lifecycle events against the mock, next to `send` in a loop and `fuzz`.

    .venv/bin/python bench/bench_simulate.py [--events 10000] [--sends 20] [--fuzz-examples 10]

One `mockserver serve` (one worker, journal on), on this machine. Three ways of driving it, each
measured in deliveries per second the mock journaled:

* `mockserver simulate --scenario lifecycle` with enough accounts for `--events` deliveries
  (sequential: each delivery waits for its answer, as the model acts on it);
* `mockserver send` in a shell loop (`--sends` processes, one delivery each): what a team does today;
* `mockserver fuzz` with `--max-examples` per webhook and mode.

Prints the three rates and the simulator's ratio to each.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from mockserver.contract import load_contract
from mockserver.server.testing import RunningServer, start_server
from mockserver.traffic.scenarios import load_scenario

CLI = [sys.executable, "-m", "mockserver"]


def timed(mock: RunningServer, argv: list[str], repeat: int = 1) -> tuple[int, float]:
    mock.clear_requests()
    started = time.perf_counter()
    for _ in range(repeat):
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    elapsed = time.perf_counter() - started
    return mock.count(), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--sends", type=int, default=20)
    parser.add_argument("--fuzz-examples", type=int, default=10)
    args = parser.parse_args()
    contract = load_contract()
    per_account = 36  # lifecycle's deliveries per account with its own counts (checked below)
    accounts = max(1, round(args.events / per_account))
    lifecycle = load_scenario("lifecycle", contract)
    assert lifecycle.subscribers == 20 and lifecycle.messages == 10, "recount per_account for the new scenario"
    with start_server() as mock:
        command = contract.webhooks[0].name
        rows = [
            ("simulate (lifecycle)", *timed(mock, [*CLI, "simulate", "--url", mock.url, "--accounts", str(accounts)])),
            ("send in a loop", *timed(mock, [*CLI, "send", command, "--url", mock.url], repeat=args.sends)),
            ("fuzz", *timed(mock, [*CLI, "fuzz", "--url", mock.url, "--max-examples", str(args.fuzz_examples)])),
        ]
    print(f"{'driver':24} {'deliveries':>10} {'seconds':>8} {'per s':>8}")
    rates = {}
    for name, count, elapsed in rows:
        rates[name] = count / elapsed
        print(f"{name:24} {count:>10} {elapsed:>8.2f} {rates[name]:>8.1f}")
    simulator = rates["simulate (lifecycle)"]
    for name in ("send in a loop", "fuzz"):
        print(f"simulate / {name}: {simulator / rates[name]:.1f}x")


if __name__ == "__main__":
    main()
