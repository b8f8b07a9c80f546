"""Unit tests of the fuzzer's pieces: the seven checks on hand-made exchanges, signing, case building.

Every field and command comes from the contract (roles, examples, default answers), never
from a literal, so these tests follow the contract when it changes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from schemathesis import GenerationMode

from mockserver.contract import Contract, Webhook
from mockserver.fuzz.cases import Auth, CaseFactory, Probe, ProbeKind, Signing, per_webhook_document
from mockserver.fuzz.checks import CHECKS, CheckContext, Exchange, Finding, Inconclusive, get_check
from mockserver.signing import SignatureVerdict, Signer
from mockserver.validation import DeliveryValidator

TOKEN = "unit-test-token"
APP_ID = "1400000123"


@pytest.fixture(scope="module")
def factory(contract: Contract) -> CaseFactory:
    return CaseFactory(contract, Signing.for_contract(contract, TOKEN, APP_ID))


@pytest.fixture(scope="module")
def context(contract: Contract, validator: DeliveryValidator) -> CheckContext:
    return CheckContext(contract, validator, timeout=contract.timeout_seconds)


def refusing_webhook(contract: Contract) -> Webhook:
    return next(w for w in contract.webhooks if w.subset_of)


def plain_webhook(contract: Contract) -> Webhook:
    return next(w for w in contract.webhooks if "refused" not in w.response_roles)


def exchange(
    probe: Probe,
    status: int | None = 200,
    answer: Any = None,
    *,
    elapsed: float = 0.01,
    hung: bool = False,
    error: str | None = None,
    valid: bool = True,
) -> Exchange:
    if answer is None and probe.webhook is not None:
        answer = dict(probe.webhook.default_response)
    body = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
    return Exchange(
        probe,
        status,
        "application/json" if status else None,
        body if status else b"",
        elapsed,
        curl="curl ...",
        error=error,
        hung=hung,
        valid=valid,
    )


def example_probe(factory: CaseFactory, webhook: Webhook, kind: ProbeKind = ProbeKind.EXAMPLE) -> Probe:
    probe = next(factory.examples(webhook))
    probe.kind = kind
    return probe


def failure_value(contract: Contract, webhook: Webhook) -> str:
    """The action status that is not the success one (read from the field's enum)."""
    field = webhook.response_roles["action-status"]
    schema = contract.resolve(webhook.response_ref)["properties"][field]
    enum = contract.resolve(schema["$ref"])["enum"] if "$ref" in schema else schema["enum"]
    return str(next(value for value in enum if value != webhook.default_response[field]))


# ------------------------------------------------------------------ registry
def test_the_seven_checks_have_stable_names_and_documentation() -> None:
    assert list(CHECKS) == [
        "response-conforms",
        "within-timeout",
        "no-server-error",
        "semantics",
        "authentication",
        "forward-compatible",
        "unknown-command",
    ]
    for check in CHECKS.values():
        assert len(check.description) > 30, check.name
    with pytest.raises(KeyError, match="unknown check"):
        get_check("nope")


# ------------------------------------------------------------------ response-conforms
@pytest.mark.slow  # Hypothesis generates cases
def test_response_conforms_accepts_the_webhooks_default_answer(
    factory: CaseFactory, context: CheckContext, contract: Contract
) -> None:
    for webhook in contract.webhooks:
        assert CHECKS["response-conforms"](context, exchange(example_probe(factory, webhook))) is None


def test_response_conforms_names_the_missing_field(
    factory: CaseFactory, context: CheckContext, contract: Contract
) -> None:
    webhook = contract.webhooks[0]
    answer = dict(webhook.default_response)
    field = webhook.response_roles["error-code"]
    del answer[field]
    finding = CHECKS["response-conforms"](context, exchange(example_probe(factory, webhook), answer=answer))
    assert isinstance(finding, Finding) and finding.summary == f"body.{field}"


def test_response_conforms_rejects_another_webhooks_answer(
    factory: CaseFactory, context: CheckContext, contract: Contract
) -> None:
    refusing, plain = refusing_webhook(contract), plain_webhook(contract)
    refused = refusing.response_roles["refused"]
    answer = {**plain.default_response, refused: []}
    finding = CHECKS["response-conforms"](context, exchange(example_probe(factory, plain), answer=answer))
    assert isinstance(finding, Finding) and refused in finding.summary and refusing.command in finding.detail
    # the same answer is right for the webhook it belongs to
    assert CHECKS["response-conforms"](context, exchange(example_probe(factory, refusing), answer=answer)) is None


def test_response_conforms_requires_200_and_json(
    factory: CaseFactory, context: CheckContext, contract: Contract
) -> None:
    probe = example_probe(factory, contract.webhooks[0])
    finding = CHECKS["response-conforms"](context, exchange(probe, status=400))
    assert isinstance(finding, Finding) and finding.summary.startswith("HTTP 400")
    finding = CHECKS["response-conforms"](context, exchange(probe, answer=b"OK"))
    assert isinstance(finding, Finding) and finding.summary == "body"


def test_response_conforms_judges_only_valid_deliveries(factory: CaseFactory, contract: Contract) -> None:
    check = CHECKS["response-conforms"]
    probe = example_probe(factory, contract.webhooks[0])
    assert check.applies(exchange(probe))
    assert not check.applies(exchange(probe, valid=False))
    assert not check.applies(exchange(example_probe(factory, contract.webhooks[0], ProbeKind.NEGATIVE)))


# ------------------------------------------------------------------ within-timeout / no-server-error
def test_within_timeout_fails_slow_and_unanswered(
    factory: CaseFactory, context: CheckContext, contract: Contract
) -> None:
    probe = example_probe(factory, contract.webhooks[0], ProbeKind.NEGATIVE)
    check = CHECKS["within-timeout"]
    assert check(context, exchange(probe, elapsed=context.timeout / 2)) is None
    slow = check(context, exchange(probe, elapsed=context.timeout + 0.5))
    assert isinstance(slow, Finding) and slow.summary == "slow answer"
    hung = check(context, exchange(probe, status=None, hung=True, elapsed=9.0))
    assert isinstance(hung, Finding) and hung.summary == "no answer"


def test_no_server_error_on_5xx_drop_and_hang_but_not_on_4xx(
    factory: CaseFactory, context: CheckContext, contract: Contract
) -> None:
    probe = example_probe(factory, contract.webhooks[0], ProbeKind.MALFORMED)
    check = CHECKS["no-server-error"]
    assert check(context, exchange(probe, status=400, answer={"title": "Bad Request"})) is None
    assert check(context, exchange(probe, status=503, answer=b"oops")).summary == "HTTP 503"  # type: ignore[union-attr]
    dropped = check(context, exchange(probe, status=None, error="connection reset"))
    assert isinstance(dropped, Finding) and dropped.summary == "dropped connection"
    assert check(context, exchange(probe, status=None, hung=True)).summary == "hang"  # type: ignore[union-attr]


def test_a_500_on_an_unknown_command_fails_only_unknown_command(factory: CaseFactory, context: CheckContext) -> None:
    probe = next(factory.unknown_command())
    crashed = exchange(probe, status=500, answer=b"boom")
    assert not CHECKS["no-server-error"].applies(crashed)
    assert CHECKS["unknown-command"].applies(crashed)
    assert CHECKS["unknown-command"](context, crashed) is not None
    assert CHECKS["unknown-command"](context, exchange(probe, status=400, answer={})) is None


# ------------------------------------------------------------------ semantics
def test_semantics_refusals_must_come_from_the_request(
    factory: CaseFactory, context: CheckContext, contract: Contract
) -> None:
    webhook = refusing_webhook(contract)
    probe = example_probe(factory, webhook)
    refused, path = next(iter(webhook.subset_of.items()))
    members = path.values(probe.case.body)
    assert members, f"the example has no values at {path}"
    good = {**webhook.default_response, refused: members[:1]}
    assert CHECKS["semantics"](context, exchange(probe, answer=good)) is None
    bad = {**webhook.default_response, refused: [members[0], "not-in-the-request"]}
    finding = CHECKS["semantics"](context, exchange(probe, answer=bad))
    assert isinstance(finding, Finding) and "not-in-the-request" in finding.detail and refused in finding.summary


@pytest.mark.parametrize("kind", ["before", "after"])
def test_semantics_error_codes_must_be_the_vendors_ranges_included(
    factory: CaseFactory, context: CheckContext, contract: Contract, kind: str
) -> None:
    for webhook in (w for w in contract.webhooks if w.kind == kind):
        field, values = next(iter(webhook.vendor_values.items()))
        probe = example_probe(factory, webhook)
        for code in {edge for value in values for edge in (value.low, value.high)}:
            answer = {**webhook.default_response, field: code}
            assert CHECKS["semantics"](context, exchange(probe, answer=answer)) is None, (webhook.command, code)
        outside = [max(v.high for v in values) + 1, min(v.low for v in values) - 1]
        outside += [v.low - 1 for v in values if v.low != v.high]  # just below an app-defined range
        for code in outside:
            finding = CHECKS["semantics"](context, exchange(probe, answer={**webhook.default_response, field: code}))
            assert isinstance(finding, Finding) and field in finding.summary, (webhook.command, code)
            assert ("after webhook" in finding.summary) is (kind == "after")


def test_semantics_replacements_must_be_valid_as_the_event_field_and_come_with_an_allowing_code(
    factory: CaseFactory, context: CheckContext, contract: Contract
) -> None:
    webhook = next(w for w in contract.webhooks if any(e.action == "replace" for e in w.effects))
    effect = next(e for e in webhook.effects if e.action == "replace")
    probe = example_probe(factory, webhook)
    field = str(effect.answer)
    good = {**webhook.default_response, field: webhook.examples[1].value[str(effect.target)]}
    assert CHECKS["semantics"](context, exchange(probe, answer=good)) is None
    tag_only = dict(list(good[field][0].items())[:1])  # an element with its tag and nothing else
    broken = {**good, field: [tag_only]}
    finding = CHECKS["semantics"](context, exchange(probe, answer=broken))
    assert isinstance(finding, Finding) and finding.summary == f"body.{field} not a valid replacement"
    refusing = next(v for v in webhook.error_code_values if v.outcome != "allow")
    ignored = {**good, webhook.response_roles["error-code"]: refusing.low}
    finding = CHECKS["semantics"](context, exchange(probe, answer=ignored))
    assert isinstance(finding, Finding) and "does not allow" in finding.summary


# ------------------------------------------------------------------ authentication
def test_authentication_refusal_is_a_4xx_or_a_failed_action_status(
    factory: CaseFactory, context: CheckContext, contract: Contract
) -> None:
    webhook = contract.webhooks[0]
    probes = list(factory.authentication(webhook))
    genuine, forgeries = probes[0], probes[1:]
    assert genuine.auth is Auth.GENUINE
    assert {p.auth for p in forgeries} == {
        Auth.WRONG_SIGNATURE,
        Auth.MISSING_SIGNATURE,
        Auth.STALE_TIMESTAMP,
        Auth.FOREIGN_APP,
    }
    check = CHECKS["authentication"]
    control = exchange(genuine)
    failed = {**webhook.default_response, webhook.response_roles["action-status"]: failure_value(contract, webhook)}

    def judged(forgery: Probe, status: int | None = 200, answer: Any = None) -> Any:
        sent = exchange(forgery, status=status, answer=answer)
        sent.baseline = control
        return check(context, sent)

    for forgery in forgeries:
        assert judged(forgery, 401, {}) is None
        assert judged(forgery, answer=failed) is None
        accepted = judged(forgery)
        assert isinstance(accepted, Finding) and forgery.auth.value in accepted.summary
        crashed = judged(forgery, 500, b"boom")  # a crash is not a refusal
        assert isinstance(crashed, Finding) and "not refused with a 4xx" in crashed.summary
    assert check(context, control) is None
    refused_genuine = check(context, exchange(genuine, status=401, answer={}))
    assert isinstance(refused_genuine, Finding) and refused_genuine.summary == "genuine delivery refused"


def test_authentication_is_inconclusive_when_the_genuine_control_fails(
    factory: CaseFactory, context: CheckContext, contract: Contract
) -> None:
    # a backend that answers 500 to everything "refuses" no forgery: nothing can be concluded
    genuine, forgery = list(factory.authentication(contract.webhooks[0]))[:2]
    check = CHECKS["authentication"]
    control = exchange(genuine, status=500, answer=b"boom")
    verdict = check(context, control)
    assert isinstance(verdict, Inconclusive) and "HTTP 500" in verdict.reason
    sent = exchange(forgery, status=500, answer=b"boom")
    sent.baseline = control
    verdict = check(context, sent)
    assert isinstance(verdict, Inconclusive) and "genuine control" in verdict.reason


def test_no_credentials_no_authentication_probes(contract: Contract) -> None:
    bare = CaseFactory(contract, Signing.for_contract(contract, None, None))
    assert list(bare.authentication(contract.webhooks[0])) == []


def test_signing_forges_exactly_what_the_label_says(contract: Contract) -> None:
    signing = Signing.for_contract(contract, TOKEN, APP_ID)
    signer = Signer(TOKEN, rule=contract.signing)
    expected = {
        Auth.GENUINE: SignatureVerdict.VALID,
        Auth.FOREIGN_APP: SignatureVerdict.VALID,
        Auth.WRONG_SIGNATURE: SignatureVerdict.WRONG,
        Auth.MISSING_SIGNATURE: SignatureVerdict.MISSING,
        Auth.STALE_TIMESTAMP: SignatureVerdict.STALE,
    }
    app_param = contract.parameter("app-id").name
    for auth, verdict in expected.items():
        query = contract.query_example(contract.webhooks[0].command, **{app_param: APP_ID})
        signing.apply(query, auth)
        assert signer.verify(query).verdict is verdict, auth
        assert (query[app_param] == APP_ID) is (auth is not Auth.FOREIGN_APP)


# ------------------------------------------------------------------ forward-compatible
def test_forward_variants_are_valid_deliveries_and_compared_with_the_plain_one(
    factory: CaseFactory, context: CheckContext, contract: Contract, validator: DeliveryValidator
) -> None:
    kinds: set[str] = set()
    for webhook in contract.webhooks:
        for probe in factory.forward(webhook):
            query = {k: str(v) for k, v in probe.case.query.items()}
            assert validator.check_request(query, json.dumps(probe.case.body).encode()) == [], probe.label
            if probe.baseline is not None:
                kinds.add(str(probe.extra["variant"]).split(" ")[1])
    # extra fields, a platform spelling and an element type: all three kinds of future delivery
    assert len(kinds) == 3, kinds
    webhook = contract.webhooks[0]
    plain, variant = list(factory.forward(webhook))[:2]
    check = CHECKS["forward-compatible"]
    base = exchange(plain)
    assert not check.applies(base)
    same = exchange(variant)
    same.baseline = base
    assert check(context, same) is None
    refused = exchange(variant, status=400, answer={})
    refused.baseline = base
    finding = check(context, refused)
    assert isinstance(finding, Finding) and "answered differently" in finding.summary
    not_json = exchange(variant, answer=b"OK")
    not_json.baseline = base
    finding = check(context, not_json)
    assert isinstance(finding, Finding) and "a non-JSON answer" in finding.detail and "object at" not in finding.detail


def test_forward_compatible_compares_only_with_a_plain_version_that_succeeded(
    factory: CaseFactory, context: CheckContext, contract: Contract
) -> None:
    plain, variant = list(factory.forward(contract.webhooks[0]))[:2]
    crashed = exchange(plain, status=500, answer=b"<html>boom</html>")
    answered = exchange(variant)
    answered.baseline = crashed
    verdict = CHECKS["forward-compatible"](context, answered)
    assert isinstance(verdict, Inconclusive) and "HTTP 500" in verdict.reason


@pytest.mark.slow  # Hypothesis generates cases
def test_positive_cases_send_only_documented_platform_values(factory: CaseFactory, contract: Contract) -> None:
    platform = contract.parameter("platform")
    documented = {value for branch in platform.schema["anyOf"] for value in branch.get("enum", [])}
    assert documented
    for webhook in contract.webhooks[:3]:
        seen: list[Probe] = []
        factory.generate(webhook, GenerationMode.POSITIVE, 15, 5, seen.append)
        assert {probe.case.query[platform.name] for probe in seen} <= documented


@pytest.mark.slow  # schemathesis's coverage phase over every webhook
def test_boundaries_step_just_outside_a_bound_of_every_webhook(
    factory: CaseFactory, contract: Contract, validator: DeliveryValidator
) -> None:
    labels: set[str] = set()
    for webhook in contract.webhooks:
        drafts = factory.boundary_drafts(webhook)
        assert drafts, webhook.name
        labels.update(draft.label.rsplit(": ", 1)[-1] for draft in drafts)
    assert {
        "Array with fewer items than allowed by minItems",
        "Array with more items than allowed by maxItems",
        "String larger than maxLength",
        "Value greater than maximum",
        "Value smaller than minimum",
    } <= labels


# ------------------------------------------------------------------ generated cases
@pytest.mark.slow  # Hypothesis generates cases
def test_generated_positive_cases_are_valid_and_name_one_webhook_twice(
    factory: CaseFactory, contract: Contract, validator: DeliveryValidator
) -> None:
    command_param = contract.parameter("command").name
    for webhook in contract.webhooks:
        seen: list[Probe] = []
        factory.generate(webhook, GenerationMode.POSITIVE, 8, 7, seen.append)
        assert seen
        for probe in seen:
            body = probe.case.body
            assert probe.case.query[command_param] == body[contract.command_field] == webhook.command
            query = {k: str(v) for k, v in probe.case.query.items()}
            signing = factory.signing
            signing.apply(query, Auth.GENUINE)
            assert validator.check_request(query, json.dumps(body).encode()) == []


@pytest.mark.slow  # Hypothesis generates cases
def test_negative_cases_keep_query_and_body_commands_equal(factory: CaseFactory, contract: Contract) -> None:
    command_param = contract.parameter("command").name
    seen: list[Probe] = []
    factory.generate(contract.webhooks[-1], GenerationMode.NEGATIVE, 20, 3, seen.append)
    assert seen
    for probe in seen:
        body = probe.case.body
        if isinstance(body, dict) and isinstance(body.get(contract.command_field), str):
            assert probe.case.query[command_param] == body[contract.command_field]


def test_derived_document_pins_command_and_app_id_and_drops_the_signature(contract: Contract) -> None:
    document = per_webhook_document(contract, APP_ID)
    assert len(document["paths"]) == len(contract.webhooks)
    for webhook in contract.webhooks:
        (operation,) = document["paths"][f"/{webhook.name}"].values()
        params = {p["name"]: p for p in operation["parameters"]}
        assert contract.signing.signature_parameter not in params
        assert contract.signing.timestamp_parameter not in params
        assert params[contract.parameter("command").name]["schema"]["enum"] == [webhook.command]
        assert params[contract.parameter("app-id").name]["schema"]["enum"] == [int(APP_ID)]


def test_unknown_command_is_in_the_namespace_but_not_the_contract(factory: CaseFactory, contract: Contract) -> None:
    name = factory.unknown_command_name()
    assert name not in contract.commands
    assert name.rpartition(".")[0] == contract.commands[0].rpartition(".")[0]
    for probe in factory.unknown_command():
        assert probe.case.body[contract.command_field] == name
        assert probe.case.query[contract.parameter("command").name] == name
