"""The seven conformance checks, each with a stable name, what it looks at, and why it matters.

A check reads one `Exchange` (the request the fuzzer sent and what came back, or that nothing
came back) and returns a `Finding` when the backend broke the rule, None when it kept it. Each
check says which probe kinds it is about, so that one misbehaviour fails one check: a 500 on
an unknown command fails `unknown-command`, not also `no-server-error`.

Everything webhook-specific comes from the contract: the response schema of the webhook the
request was for (`DeliveryValidator.check_response`), the delivery timeout, the response
fields' roles, `x-subset-of` and `x-vendor-values`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from mockserver.contract import Contract, Webhook
from mockserver.fuzz.cases import Auth, Probe, ProbeKind
from mockserver.validation import DeliveryValidator

__all__ = [
    "CHECKS",
    "Check",
    "CheckContext",
    "Exchange",
    "Finding",
    "Inconclusive",
    "Verdict",
    "get_check",
    "transport_cause",
]

_NOT_JSON = object()


@dataclass
class Exchange:
    """One request the fuzzer sent and its outcome: an answer, or the transport error instead."""

    probe: Probe
    status: int | None
    content_type: str | None
    body: bytes
    elapsed: float
    curl: str
    error: str | None = None
    """Why there is no answer (None when there is one)."""
    hung: bool = False
    """No answer before the fuzzer gave up (as opposed to a refused or dropped connection)."""
    valid: bool = False
    """The delivery conforms to the contract, per `DeliveryValidator.check_request`."""
    violations: tuple[str, ...] = ()
    baseline: Exchange | None = None
    """The exchange of `probe.baseline` (forward-compatible and authentication probes)."""
    truncated: bool = False
    """The answer was longer than the contract's `x-delivery.maxBodyBytes`; `body` is its start."""
    redirect: str | None = None
    """Why a 3xx answer is a failed delivery (`mockserver.traffic.sender.redirect_error`); None otherwise."""
    request: SentRequest | None = None
    """The request exactly as it went out (for the report file)."""

    @property
    def answered(self) -> bool:
        return self.status is not None

    @cached_property
    def document(self) -> Any:
        """The answer parsed as JSON, or `_NOT_JSON`."""
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            return _NOT_JSON

    @cached_property
    def sent_document(self) -> Any:
        """The request body as the backend received it, parsed (None when not JSON)."""
        body = self.probe.case.body
        if isinstance(body, (dict, list)):
            return body
        return None


@dataclass(frozen=True)
class SentRequest:
    """A request as sent: what a user needs to send it again."""

    method: str
    url: str
    headers: Mapping[str, str]
    """The headers the case and the user gave (not the client's own, such as Host)."""
    body: bytes


@dataclass(frozen=True)
class Finding:
    """How an exchange broke a check: `summary` groups alike failures, `detail` is this one's story.

    `cause` names what went wrong when several checks see the same thing (a crash is one
    cause whichever checks it breaks); None lets the runner derive it from the exchange.
    """

    summary: str
    detail: str
    cause: str | None = None


@dataclass(frozen=True)
class Inconclusive:
    """The check cannot judge this exchange, and why (e.g. the genuine control delivery itself failed)."""

    reason: str


Verdict = Finding | Inconclusive | None
"""What a check returns: a finding, no verdict (and why), or None when the rule was kept."""


def transport_cause(exchange: Exchange) -> str | None:
    """The cause every check shares when the exchange itself went wrong: no answer, a drop, a 5xx, a redirect."""
    if exchange.hung:
        return "no answer"
    if not exchange.answered:
        return "dropped connection"
    assert exchange.status is not None
    if exchange.status >= 500:
        return f"HTTP {exchange.status}"
    if exchange.redirect is not None:
        return f"redirect (HTTP {exchange.status})"
    return None


@dataclass
class CheckContext:
    """What every check may consult: the contract, its validator and the run's time budget."""

    contract: Contract
    validator: DeliveryValidator
    timeout: float

    @cached_property
    def _response_fields(self) -> dict[str, set[str]]:
        return {
            webhook.command: set(self.contract.resolve(webhook.response_ref).get("properties", {}))
            for webhook in self.contract.webhooks
        }

    def foreign_fields(self, webhook: Webhook, document: Mapping[str, Any]) -> Iterator[tuple[str, Webhook]]:
        """Answer fields that `webhook`'s response does not define but another webhook's does."""
        own = self._response_fields[webhook.command]
        for name in document:
            if name in own:
                continue
            for other in self.contract.webhooks:
                if other is not webhook and name in self._response_fields[other.command]:
                    yield name, other
                    break

    def role_values(self, webhook: Webhook, document: Any) -> tuple[Any, ...]:
        """The answer's protocol-relevant values: status-bearing roles, refusals in order-free form."""
        if document is _NOT_JSON:
            return ("a non-JSON answer",)
        if not isinstance(document, Mapping):
            return (f"JSON {type(document).__name__} {json.dumps(document)[:60]}",)
        values: list[Any] = []
        for role in ("action-status", "error-code", "refused"):
            name = webhook.response_roles.get(role)
            value = document.get(name) if name is not None else None
            values.append(sorted(map(str, value)) if isinstance(value, list) else value)
        return tuple(values)

    def accepted(self, webhook: Webhook, exchange: Exchange) -> bool:
        """Whether the answer takes the delivery as genuine: HTTP 200 and not a failed action status."""
        if exchange.status != 200:
            return False
        field_name = webhook.response_roles.get("action-status")
        if field_name is None or not isinstance(exchange.document, Mapping):
            return True
        success = webhook.default_response.get(field_name)
        return bool(exchange.document.get(field_name, success) == success)


CheckFunction = Callable[[CheckContext, Exchange], Verdict]


@dataclass(frozen=True)
class Check:
    """A named rule, the probe kinds it judges, and the function that judges one exchange."""

    name: str
    kinds: frozenset[ProbeKind]
    function: CheckFunction = field(repr=False)
    valid_only: bool = False
    """Judge only deliveries that conform to the contract (a malformed one has no right answer)."""
    needs_answer: bool = True
    """Judge only exchanges that got an HTTP answer (transport failures are other checks' business)."""
    needs_baseline: bool = False
    """Judge only probes compared with a plain version (not the plain version itself)."""

    @property
    def description(self) -> str:
        doc = (self.function.__doc__ or "").strip()
        return doc.split("\n\n", 1)[0].replace("\n", " ")

    def applies(self, exchange: Exchange) -> bool:
        if exchange.probe.kind not in self.kinds:
            return False
        if self.needs_answer and not exchange.answered:
            return False
        if self.needs_baseline and exchange.probe.baseline is None:
            return False
        return not (self.valid_only and not exchange.valid)

    def __call__(self, context: CheckContext, exchange: Exchange) -> Verdict:
        return self.function(context, exchange)


CHECKS: dict[str, Check] = {}
"""Every check by its stable name, in the order the report lists them."""

_ALL = frozenset(ProbeKind)
_GENERATED = frozenset({ProbeKind.EXAMPLE, ProbeKind.POSITIVE})


def _check(
    name: str,
    kinds: frozenset[ProbeKind],
    *,
    valid_only: bool = False,
    needs_answer: bool = True,
    needs_baseline: bool = False,
) -> Callable[[CheckFunction], CheckFunction]:
    def register(function: CheckFunction) -> CheckFunction:
        CHECKS[name] = Check(
            name, kinds, function, valid_only=valid_only, needs_answer=needs_answer, needs_baseline=needs_baseline
        )
        return function

    return register


def get_check(name: str) -> Check:
    try:
        return CHECKS[name]
    except KeyError:
        raise KeyError(f"unknown check {name!r}; choose from {', '.join(CHECKS)}") from None


# ---------------------------------------------------------------------------- the checks
@_check("response-conforms", _GENERATED, valid_only=True)
def response_conforms(context: CheckContext, exchange: Exchange) -> Finding | None:
    """Every valid delivery gets HTTP 200 and a JSON body matching THAT webhook's response schema.

    The Chat backend counts anything else as a failed delivery (for a "before" webhook, the
    answer is then ignored). An answer that carries another webhook's response fields is
    reported too: it passes a lenient schema but shows the backend answered the wrong event,
    and so is an answer longer than the contract's `x-delivery.maxBodyBytes` (only that much is read).
    """
    webhook = exchange.probe.webhook
    assert webhook is not None and exchange.status is not None
    if exchange.redirect is not None:
        return Finding(f"HTTP {exchange.status} redirect for a valid delivery", exchange.redirect)
    if exchange.status != 200:
        snippet = exchange.body[:160].decode("utf-8", "replace")
        return Finding(
            f"HTTP {exchange.status} for a valid delivery",
            f"answered {exchange.status} (the Chat backend counts it as a failed delivery): {snippet}",
        )
    if exchange.truncated:
        limit = context.contract.max_body_bytes
        return Finding(
            f"answer over {limit} bytes",
            f"the answer is longer than the contract's x-delivery.maxBodyBytes ({limit} bytes);"
            " only its start was read",
        )
    violations = context.validator.check_response(
        webhook.command, exchange.status, exchange.body, exchange.content_type
    )
    if violations:
        fields = sorted({v.field for v in violations})
        return Finding(", ".join(fields), "; ".join(str(v) for v in violations))
    if isinstance(exchange.document, Mapping):
        foreign = list(context.foreign_fields(webhook, exchange.document))
        if foreign:
            names = ", ".join(f"body.{name}" for name, _ in foreign)
            owners = ", ".join(sorted({other.command for _, other in foreign}))
            return Finding(
                f"another webhook's answer ({names})",
                f"{names} belong(s) to the answer of {owners}, not of {webhook.command}",
            )
    return None


@_check("within-timeout", _ALL, needs_answer=False)
def within_timeout(context: CheckContext, exchange: Exchange) -> Finding | None:
    """Every answer, valid delivery or not, arrives within the vendor's delivery timeout.

    The Chat backend stops waiting after the contract's `x-delivery.timeoutSeconds` and treats
    the delivery as failed, so a correct answer that comes late is still a failure. The time is
    the whole exchange, up to the answer's last byte: a body trickled past the budget is late.
    """
    if exchange.hung:
        return Finding("no answer", f"no answer within {exchange.elapsed:.1f} s (budget {context.timeout:g} s)")
    if exchange.answered and exchange.elapsed > context.timeout:
        return Finding(
            "slow answer",
            f"answered in {exchange.elapsed:.2f} s; the budget is {context.timeout:g} s",
            cause="slow answer",
        )
    return None


def _server_error(exchange: Exchange) -> Finding | None:
    if exchange.hung:
        return Finding("hang", f"no answer within {exchange.elapsed:.1f} s")
    if not exchange.answered:
        return Finding("dropped connection", exchange.error or "no answer")
    assert exchange.status is not None
    if exchange.status >= 500:
        snippet = exchange.body[:120].decode("utf-8", "replace")
        return Finding(f"HTTP {exchange.status}", f"answered {exchange.status}: {snippet}")
    return None


@_check("no-server-error", _ALL - {ProbeKind.UNKNOWN_COMMAND}, needs_answer=False)
def no_server_error(context: CheckContext, exchange: Exchange) -> Finding | None:
    """No 5xx, dropped connection or hang on any input, valid or not (malformed JSON, wrong types...).

    A bad delivery deserves a 4xx naming the field; a crash hides the reason and, for a
    "before" webhook, lets the request through.
    """
    return _server_error(exchange)


@_check("semantics", _GENERATED | {ProbeKind.FORWARD}, valid_only=True)
def semantics(context: CheckContext, exchange: Exchange) -> Finding | None:
    """The rules a schema cannot state: refusals from the request, the vendor's codes, valid replacements.

    Read from the response fields' `x-subset-of` (e.g. refused users must come from the
    request's list at that path), `x-vendor-values` (the codes, and ranges of app-defined codes,
    the vendor defines for that webhook; its behaviour for any other code is undefined, and an
    "after" webhook's only code means "ignored": any other is an attempt to refuse what has
    already happened) and `x-webhook.effects` (a value the answer puts in place of an event
    field, such as a replaced message body, must be valid as that field, and is only used with
    an allowing code).
    """
    webhook = exchange.probe.webhook
    document = exchange.document
    if webhook is None or exchange.status != 200 or not isinstance(document, Mapping):
        return None
    outside = context.validator.responses.check_subsets(webhook.command, exchange.sent_document, document)
    if outside:
        name = outside[0].field.split("[", 1)[0]
        path = webhook.subset_of[name.removeprefix("body.")]
        strangers = [v.reason.split(" is not in", 1)[0] for v in outside if v.field.startswith(f"{name}[")]
        return Finding(
            f"{name} outside the request's {path}",
            f"{name} lists {', '.join(strangers[:5])}, which the request's {path} does not contain",
        )
    for name, values in webhook.vendor_values.items():
        value = document.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or any(value in v for v in values):
            continue
        known = ", ".join(f"{v.label} ({v.meaning})" for v in values)
        if not webhook.can_refuse:
            return Finding(
                f"body.{name}: refusal on an after webhook",
                f"body.{name} is {value}, but {webhook.command} reports what has already happened:"
                f" the vendor defines only {known}",
            )
        return Finding(
            f"body.{name} not a vendor value",
            f"body.{name} is {value}; for {webhook.command} the vendor defines only {known}",
        )
    return _replacement_finding(context, webhook, document)


def _replacement_finding(context: CheckContext, webhook: Webhook, document: Mapping[str, Any]) -> Finding | None:
    """A replacement that is not valid as the event's field, or that comes with a code that does not allow."""
    invalid = context.validator.responses.check_replacements(webhook.command, document)
    if invalid:
        fields = sorted(
            {str(e.answer) for e in webhook.effects for v in invalid if v.field.startswith(f"body.{e.answer}")}
        )
        return Finding(
            f"body.{', body.'.join(fields)} not a valid replacement",
            "the Chat backend would deliver it in place of the event's field: "
            + "; ".join(str(v) for v in invalid[:5]),
        )
    present = [str(e.answer) for e in webhook.effects if e.answer.values(document)]
    code = document.get(webhook.response_roles.get("error-code", ""))
    value = webhook.vendor_value(code)
    if present and value is not None and value.outcome != "allow":
        return Finding(
            f"body.{present[0]} with a code that does not allow",
            f"body.{', body.'.join(present)} replace(s) the event's field(s) only with an allowing code;"
            f" with {code} ({value.meaning}) the Chat backend ignores them",
        )
    return None


@_check("authentication", frozenset({ProbeKind.AUTH}), needs_answer=False)
def authentication(context: CheckContext, exchange: Exchange) -> Verdict:
    """A wrong or missing Sign, a stale RequestTime and a foreign SdkAppid are refused; the genuine one is not.

    Refused means a 4xx status, or 200 with a failed action status: a 5xx, a redirect or a
    dropped connection is a failure, not a refusal. The genuine, correctly signed delivery is
    the control: when it is not accepted, refusing a forgery proves nothing, so the verdict on
    that webhook is inconclusive (and says why). Runs only when --token and/or --sdkappid say
    what the backend expects.
    """
    webhook = exchange.probe.webhook
    assert webhook is not None
    failed = transport_cause(exchange)
    if exchange.probe.auth is Auth.GENUINE:
        if failed is not None:
            return Inconclusive(f"the genuine control delivery failed ({failed})")
        if not context.accepted(webhook, exchange):
            return Finding(
                "genuine delivery refused",
                f"the correctly signed delivery got {exchange.status}: "
                f"{exchange.body[:120].decode('utf-8', 'replace')}",
            )
        return None
    control = exchange.baseline
    if control is None or not context.accepted(webhook, control):
        why = "it was not sent" if control is None else _outcome(control)
        return Inconclusive(f"the genuine control delivery was not accepted ({why}): a refusal proves nothing")
    forgery = exchange.probe.auth.value
    if context.accepted(webhook, exchange):
        return Finding(f"{forgery} accepted", f"a delivery with a {forgery} was answered 200 as if genuine")
    if failed is not None or exchange.status is None or not (400 <= exchange.status < 500 or exchange.status == 200):
        return Finding(
            f"{forgery} not refused with a 4xx",
            f"a delivery with a {forgery} got {_outcome(exchange)}; a refusal is a 4xx (or a failed action status)",
        )
    return None


def _outcome(exchange: Exchange) -> str:
    """What came back, in a few words: a status, or why there was none."""
    return transport_cause(exchange) or f"HTTP {exchange.status}"


@_check("forward-compatible", frozenset({ProbeKind.FORWARD}), valid_only=True, needs_baseline=True)
def forward_compatible(context: CheckContext, exchange: Exchange) -> Verdict:
    """Extra unknown fields, an unknown platform spelling or element type: answered like the plain version.

    The vendor adds fields, platforms and message element types without notice; the contract
    accepts them, so a backend must too (same status, action status, error code and refusals).
    Only a plain version that succeeded is a yardstick: when it failed, the other checks report
    why and this comparison is inconclusive.
    """
    baseline = exchange.baseline
    webhook = exchange.probe.webhook
    if webhook is None:
        return None
    if baseline is None or not context.accepted(webhook, baseline):
        why = "it was not sent" if baseline is None else _outcome(baseline)
        return Inconclusive(f"the plain version did not succeed ({why}): nothing to compare with")
    plain = (baseline.status, *context.role_values(webhook, baseline.document))
    variant = (exchange.status, *context.role_values(webhook, exchange.document))
    if plain != variant:
        kind = str(exchange.probe.extra.get("variant", exchange.probe.label))
        return Finding(
            f"{kind}: answered differently", f"plain version got {_describe(plain)}, this one {_describe(variant)}"
        )
    return None


def _describe(values: tuple[Any, ...]) -> str:
    status, *rest = values
    shown = ", ".join(str(v) for v in rest if v is not None)
    return f"{status}" + (f" ({shown})" if shown else "")


@_check("unknown-command", frozenset({ProbeKind.UNKNOWN_COMMAND}), needs_answer=False)
def unknown_command(context: CheckContext, exchange: Exchange) -> Finding | None:
    """A webhook the contract does not know (enabled later in the console) does not cause a 5xx, a drop or a hang.

    Any 2xx or 4xx is fine: the backend may acknowledge and ignore it, or refuse it.
    """
    return _server_error(exchange)
