"""The Locust user of `mockserver load`: each user is a simulation of Official Accounts sending its webhooks.

Run by Locust itself (`mockserver load` execs `python -m locust -f` this file), so Locust's
command line, web UI and master/worker mode work as Locust documents them. A user runs the
scenario's `Simulation` (the same model as `mockserver simulate`, so the mix and the order are
the vendor's and it acts on the answers), signs with `Sender.query` and judges with
`Sender.judge`; only the transport is Locust's own (`FastHttpUser`, geventhttpclient), because
one worker must sustain more than a thousand deliveries a second. Each delivery is recorded
under its webhook's event name; a failure is named by the check it failed (the HTTP status, no
answer in time, the response schema, a vendor rule), so Locust's failure table reads by check.
When a user's scenario ends it starts again with fresh IDs.

At the end the master (or the single process) prints a summary per webhook: throughput,
latency percentiles, the share of answers over the contract's 2-second budget, failures by check.
"""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from collections.abc import Generator
from typing import Any, cast
from urllib.parse import urlencode

from locust import FastHttpUser, events, task
from locust.env import Environment
from locust.runners import WorkerRunner

from mockserver.contract import Contract, load_contract
from mockserver.responses import ResponseChecker
from mockserver.schema import Violation
from mockserver.traffic.scenarios import Scenario, load_scenario
from mockserver.traffic.sender import Sender, Verdict
from mockserver.traffic.simulator import Delivery, Simulation

_CONTRACT: Contract = load_contract(os.environ.get("MOCKSERVER_SPEC") or None)


def _options(parser: Any) -> None:
    parser.add_argument(
        "--token", env_var="MOCKSERVER_TOKEN", default=None, is_secret=True, help="Sign with this token."
    )
    parser.add_argument("--sdkappid", env_var="MOCKSERVER_SDKAPPID", default=None, help="The SdkAppid sent.")
    parser.add_argument("--scenario", default="lifecycle", help="Built-in scenario name or YAML file.")
    parser.add_argument("--seed", type=int, default=0, help="Seed of the first user; user n uses seed + n.")


events.init_command_line_parser.add_listener(_options)


class RememberingChecker(ResponseChecker):
    """The kit's answer check, remembered per distinct answer: a backend under load says the same few things.

    The verdict on an answer's bytes depends only on the webhook, the status, the bytes and the
    media type, so each distinct answer is checked once (up to `size` of them); without this the
    schema check alone would hold one worker under a thousand deliveries a second.
    """

    def __init__(self, contract: Contract, size: int = 4096) -> None:
        super().__init__(contract)
        self._seen: dict[tuple[str, int, bytes, str | None], list[Violation]] = {}
        self._size = size

    def check(self, command: str, status: int, body: bytes, content_type: str | None = None) -> list[Violation]:
        key = (command, status, body, content_type)
        found = self._seen.get(key)
        if found is None:
            found = super().check(command, status, body, content_type)
            if len(self._seen) < self._size:
                self._seen[key] = found
        return list(found)


_CHECKER = RememberingChecker(_CONTRACT)


class WebhookUser(FastHttpUser):
    """One simulated Chat backend tenant: its scenario, over and over, as fast as the backend answers."""

    network_timeout = _CONTRACT.timeout_seconds
    connection_timeout = _CONTRACT.timeout_seconds
    _serial = 0

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        options = environment.parsed_options
        WebhookUser._serial += 1
        self.number = WebhookUser._serial
        self.url = (self.host or "").split("?", 1)[0]
        self.scenario: Scenario = load_scenario(getattr(options, "scenario", "lifecycle"), _CONTRACT)
        self.seed = int(getattr(options, "seed", 0)) + self.number
        self.sender = Sender(
            self.host or "http://127.0.0.1/",
            contract=_CONTRACT,
            token=getattr(options, "token", None) or None,
            sdk_appid=getattr(options, "sdkappid", None) or None,
            checker=_CHECKER,
        )
        self.round = 0
        self.stream = self._restart()
        self.delivery: Delivery | None = next(self.stream)

    def _restart(self) -> Generator[Delivery, Verdict, None]:
        self.round += 1
        namespace = f"{os.getpid() % 10_000}u{self.number}r{self.round}_"
        return Simulation(_CONTRACT, self.scenario, seed=self.seed + self.round, namespace=namespace).deliveries()

    @task
    def deliver(self) -> None:
        delivery = self.delivery
        if delivery is None:
            self.stream = self._restart()
            self.delivery = next(self.stream, None)
            return
        webhook = delivery.webhook
        content = json.dumps(delivery.body, ensure_ascii=False).encode()
        target = f"{self.url}?{urlencode(self.sender.query(webhook.command))}"
        started = time.perf_counter()
        with self.client.post(
            target,
            data=cast(Any, content),  # bytes go as they are (the annotation says str)
            headers={"content-type": "application/json"},
            name=webhook.name,
            catch_response=True,
        ) as response:
            elapsed = time.perf_counter() - started
            if not response.status_code:
                error = getattr(response, "error", None)
                timed_out = "timeout" in type(error).__name__.lower() or "timed out" in str(error).lower()
                response.failure("no answer within the budget" if timed_out else "no answer (connection)")
                verdict = Verdict(
                    webhook, None, b"", elapsed, error=str(error), timed_out=timed_out, outcome=webhook.on_failure
                )
            else:
                answer = response.content or b""
                verdict = self.sender.judge(
                    webhook, content, response.status_code, answer, elapsed, response.headers.get("content-type")
                )
                check = _failed_check(verdict)
                if check is None:
                    response.success()
                else:
                    response.failure(check)
        try:
            self.delivery = self.stream.send(verdict)
        except StopIteration:
            self.delivery = None


def _failed_check(verdict: Verdict) -> str | None:
    """The check a delivery failed, in words stable enough to count by (None: delivered)."""
    if verdict.delivered:
        return None
    if verdict.status != 200:
        return f"status: HTTP {verdict.status} (only 200 is a success)"
    if verdict.error is not None:
        return f"answer: {verdict.error}"
    fields = sorted({violation.field.split("[", 1)[0] for violation in verdict.violations})
    return f"contract: the answer breaks {', '.join(fields)}"


def _summary(environment: Environment, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner) or environment.runner is None:
        return
    print(summary(environment))


events.quitting.add_listener(_summary)


def summary(environment: Environment) -> str:
    """One line per webhook: deliveries, throughput, p50/p95/p99 ms, share over the budget, failures by check."""
    stats = environment.runner.stats if environment.runner is not None else environment.stats
    budget_ms = _CONTRACT.timeout_seconds * 1000
    failures: dict[str, dict[str, int]] = defaultdict(dict)
    for error in stats.errors.values():
        failures[error.name][str(error.error)] = error.occurrences
    lines = [
        f"mockserver load: per webhook (budget {budget_ms:.0f} ms)",
        f"{'webhook':34} {'sent':>8} {'per s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'> budget':>9}  failures",
    ]
    for (name, _method), entry in sorted(stats.entries.items()):
        over = sum(count for ms, count in entry.response_times.items() if ms > budget_ms)
        share = over / entry.num_requests if entry.num_requests else 0.0
        failed = "; ".join(f"{count} {check}" for check, count in sorted(failures[name].items())) or "-"
        lines.append(
            f"{name:34} {entry.num_requests:>8} {entry.total_rps:>8.1f} "
            f"{entry.get_response_time_percentile(0.5):>7.0f} {entry.get_response_time_percentile(0.95):>7.0f} "
            f"{entry.get_response_time_percentile(0.99):>7.0f} {share:>8.1%}  {failed}"
        )
    total = stats.total
    lines.append(
        f"{'total':34} {total.num_requests:>8} {total.total_rps:>8.1f} "
        f"{total.get_response_time_percentile(0.5):>7.0f} {total.get_response_time_percentile(0.95):>7.0f} "
        f"{total.get_response_time_percentile(0.99):>7.0f} {'':>9}  {total.num_failures} failed"
    )
    return "\n".join(lines)
