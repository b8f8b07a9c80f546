"""One delivery sent as the Chat backend sends it, and its answer judged against the contract.

STAND-IN: the kit's one sender is `mockserver/traffic/sender.py` (issue 10), not yet merged
when replay was written. This module has the shape replay needs from it, an async function
that POSTs raw bytes within the contract's time budget, signs when given a token (with
`Signer`, the kit's one signing implementation) and returns the answer with its verdict and the
vendor's outcome, so that swapping it for the real sender is a change of import. Its outcome
rule follows the generated client's (`oa_webhooks.client`), read from the contract's views.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from mockserver.contract import Webhook
from mockserver.jsontext import JSONTextError, loads_strict
from mockserver.responses import ResponseChecker
from mockserver.schema import Violation
from mockserver.signing import Signer

__all__ = ["Exchange", "Outcome", "deliver", "signed_query"]


@dataclass(frozen=True)
class Outcome:
    """What the Chat backend does with a delivery's result (as `oa_webhooks.client.Outcome`)."""

    allowed: bool
    detail: str
    refused: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"allowed": self.allowed, "detail": self.detail, "refused": list(self.refused)}

    def __str__(self) -> str:
        refused = f" (refused: {', '.join(self.refused)})" if self.refused else ""
        return f"{'allowed' if self.allowed else 'rejected'}: {self.detail}{refused}"


@dataclass(frozen=True)
class Exchange:
    """A delivery's answer (`status` None: none came) and its verdict."""

    status: int | None
    elapsed: float
    body: bytes = b""
    violations: tuple[Violation, ...] = ()
    error: str | None = None
    """Why no answer came (timeout, connection), when none did."""
    outcome: Outcome | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def delivered(self) -> bool:
        """An answer came and it is a conforming success of the webhook."""
        return self.error is None and not self.violations


def signed_query(query: Mapping[str, str], signer: Signer) -> dict[str, str]:
    """`query` with its signature parameters replaced by fresh ones (a fresh request time)."""
    fresh = {k: v for k, v in query.items() if k not in (signer.signature_parameter, signer.timestamp_parameter)}
    fresh.update(signer.sign())
    return fresh


def failure_outcome(webhook: Webhook) -> Outcome:
    policy = webhook.on_failure
    if policy == "allow":
        return Outcome(True, "the delivery failed; the Chat backend lets the operation through")
    if policy == "ignored":
        return Outcome(True, "the delivery failed; the Chat backend ignores it")
    return Outcome(False, f"the delivery failed; the Chat backend applies its {policy!r} policy")


def answer_outcome(webhook: Webhook, request: Any, answer: Any) -> tuple[Outcome, list[Violation]]:
    """The outcome of a conforming answer, and the vendor rules (`x-subset-of`) it breaks."""
    if webhook.kind == "after" or not isinstance(answer, dict):
        return Outcome(True, "an after webhook: the Chat backend ignores the answer"), []
    broken: list[Violation] = []
    for name, source in webhook.subset_of.items():
        asked = {str(v) for v in source.values(request)} if isinstance(request, dict) else set()
        for index, value in enumerate(answer.get(name) or []):
            if str(value) not in asked:
                broken.append(Violation(f"body.{name}[{index}]", f"{value!r} is not in the request's {source}"))
    code_field = webhook.response_roles.get("error-code", "")
    code = answer.get(code_field, 0)
    meanings = webhook.vendor_values.get(code_field, {})
    detail = meanings.get(code, f"error code {code} is not a value the vendor defines") if meanings else "answered"
    allowing = webhook.allowing_codes
    allowed = allowing is None or code in allowing
    refused = tuple(str(v) for name in webhook.subset_of for v in (answer.get(name) or [])) if allowed else ()
    return Outcome(allowed, detail, refused), broken


async def deliver(
    client: httpx.AsyncClient,
    checker: ResponseChecker,
    url: str,
    command: str | None,
    query: Mapping[str, str],
    body: bytes,
    *,
    content_type: str = "application/json",
    timeout: float | None = None,
) -> Exchange:
    """POST `body` to `url` with `query`, within the contract's budget, and judge the answer to `command`."""
    contract = checker.contract
    webhook = contract.webhook(command) if command in contract.commands else None
    budget = contract.timeout_seconds if timeout is None else timeout
    start = time.perf_counter()
    try:
        response = await client.post(
            url, params=dict(query), content=body, headers={"Content-Type": content_type}, timeout=budget
        )
    except httpx.TimeoutException:
        return _failed(webhook, start, f"no answer within {budget:g} s (the contract's budget)")
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return _failed(webhook, start, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
    elapsed = time.perf_counter() - start
    status, answer, headers = response.status_code, response.content, dict(response.headers)
    if webhook is None:
        unjudged = Violation("command", f"{command!r} is not a webhook of the contract: the answer cannot be judged")
        return Exchange(status, elapsed, answer, (unjudged,), headers=headers)
    violations = checker.check(webhook.command, status, answer, response.headers.get("content-type"))
    if violations:
        return Exchange(status, elapsed, answer, tuple(violations), outcome=failure_outcome(webhook), headers=headers)
    try:
        request = loads_strict(body)
    except JSONTextError:
        request = None
    outcome, broken = answer_outcome(webhook, request, loads_strict(answer))
    if broken:
        outcome = failure_outcome(webhook)
    return Exchange(status, elapsed, answer, tuple(broken), outcome=outcome, headers=headers)


def _failed(webhook: Webhook | None, start: float, reason: str) -> Exchange:
    outcome = failure_outcome(webhook) if webhook is not None else None
    return Exchange(None, time.perf_counter() - start, error=reason, outcome=outcome)
