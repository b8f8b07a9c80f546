"""What a simulation found: per-webhook counts and latencies against the budget, fail-open events, findings.

A finding is a delivery the Chat backend counts as failed (a status other than 200, no answer in
time, an answer that breaks the response schema or a vendor rule such as refusing a user it was
not asked about), with a curl command that sends it again. A failed "before" delivery whose
webhook fails open (`onFailure: allow`) is also listed on its own: the vendor let the operation
through without the backend's say, a silent hole in the backend.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mockserver.traffic.sender import Verdict

__all__ = ["Finding", "Report", "Tally", "percentile"]


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of `values` (0 when empty); `share` in [0, 1]."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


@dataclass
class Tally:
    """One webhook's deliveries."""

    count: int = 0
    failed: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)

    def over(self, budget: float) -> int:
        return sum(1 for seconds in self.latencies if seconds >= budget)

    def as_dict(self, budget: float) -> dict[str, Any]:
        return {
            "count": self.count,
            "failed": self.failed,
            "outcomes": dict(sorted(self.outcomes.items())),
            "latency_ms": {
                name: round(percentile(self.latencies, share) * 1000, 2)
                for name, share in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99), ("max", 1.0))
            },
            "over_budget": self.over(budget),
        }


@dataclass(frozen=True)
class Finding:
    index: int
    webhook: str
    reason: str
    curl: str
    fail_open: bool = False
    """The vendor let the operation through because this "before" delivery failed."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "webhook": self.webhook,
            "reason": self.reason,
            "fail_open": self.fail_open,
            "curl": self.curl,
        }


@dataclass
class Report:
    url: str
    scenario: str
    seed: int
    budget: float
    """The contract's answer budget in seconds (`x-delivery.timeoutSeconds`)."""
    webhooks: dict[str, Tally] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    deliveries: int = 0
    elapsed: float = 0.0
    state: dict[str, Any] = field(default_factory=dict)

    def record(self, index: int, verdict: Verdict, curl: Callable[[], str]) -> None:
        """Count a delivery; a failed one becomes a finding (the curl is built only then)."""
        webhook = verdict.webhook
        tally = self.webhooks.setdefault(webhook.name, Tally())
        tally.count += 1
        self.deliveries += 1
        tally.outcomes[verdict.outcome] += 1
        tally.latencies.append(verdict.elapsed)
        if verdict.delivered:
            return
        tally.failed += 1
        fail_open = webhook.kind == "before" and verdict.outcome in ("allow", "ignored")
        self.findings.append(Finding(index, webhook.name, _reason(verdict), curl(), fail_open))

    def finish(self, elapsed: float, state: dict[str, Any]) -> None:
        self.elapsed = elapsed
        self.state = state

    @property
    def fail_open(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.fail_open]

    @property
    def rate(self) -> float:
        return self.deliveries / self.elapsed if self.elapsed else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "scenario": self.scenario,
            "seed": self.seed,
            "budget_seconds": self.budget,
            "deliveries": self.deliveries,
            "elapsed_seconds": round(self.elapsed, 3),
            "deliveries_per_second": round(self.rate, 1),
            "webhooks": {name: tally.as_dict(self.budget) for name, tally in sorted(self.webhooks.items())},
            "fail_open": [finding.as_dict() for finding in self.fail_open],
            "findings": [finding.as_dict() for finding in self.findings],
            "state": self.state,
        }


def _reason(verdict: Verdict) -> str:
    if verdict.error is not None:
        return verdict.error
    if verdict.status != 200:
        return f"HTTP {verdict.status} (the Chat backend counts anything but 200 as a failure)"
    return "; ".join(str(violation) for violation in verdict.violations)
