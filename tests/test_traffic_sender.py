"""The kit's sender (`mockserver.traffic.Sender`), in-process against the generated server stub.

Each delivery goes through httpx's ASGI transport to an app built by the generated
`create_app`, so the query string, the signature, the answer's judgement and the vendor's
outcome are all exercised without a socket; the CLI's use of it is tested in test_send_cli.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from mockserver.contract import UnknownCommand, VendorValue, Webhook, load_contract
from mockserver.traffic import Sender, Verdict, send_once
from tests.support.stubs import APP_ID, answering

CONTRACT = load_contract()
TOKEN = "sender-token"


def deliver(app: Any, webhook: Webhook, body: Any = None, **options: Any) -> Verdict:
    async def run() -> Verdict:
        async with (
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http,
            Sender("http://stub/", contract=CONTRACT, sdk_appid=APP_ID, http=http, **options) as sender,
        ):
            return await sender.send(webhook.command, webhook.example().value if body is None else body)

    return asyncio.run(run())


def code_answer(webhook: Webhook, code: int, **fields: Any) -> dict[str, Any]:
    return {**webhook.default_response, webhook.response_roles["error-code"]: code, **fields}


CODES = [
    pytest.param(w, v, code, id=f"{w.name}-{code}")
    for w in CONTRACT.webhooks
    for v in w.error_code_values
    for code in sorted({v.low, v.high})
]


@pytest.mark.parametrize(("webhook", "value", "code"), CODES)
def test_every_defined_code_gets_the_vendors_outcome(webhook: Webhook, value: VendorValue, code: int) -> None:
    verdict = deliver(answering(webhook, code_answer(webhook, code)), webhook)
    assert verdict.delivered and verdict.status == 200
    assert verdict.outcome == value.outcome and verdict.detail == value.meaning
    assert verdict.allowed is (value.outcome in ("allow", "ignored"))
    refusing = value.outcome in ("reject", "drop")
    assert verdict.caller_error == ((code if value.pass_through else value.caller_error) if refusing else None)


def test_an_allowing_answer_reports_refusals_and_replacements_and_the_operation_they_leave() -> None:
    for webhook in (w for w in CONTRACT.webhooks if w.effects):
        event, other = webhook.examples[1].value, webhook.examples[0].value
        fields: dict[str, Any] = {}
        for effect in webhook.effects:
            source = effect.target.values(event)[:1] if effect.action == "exclude" else effect.target.values(other)[0]
            fields[str(effect.answer)] = source
        verdict = deliver(answering(webhook, code_answer(webhook, 0, **fields)), webhook, event)
        assert verdict.delivered and verdict.outcome == "allow"
        for effect in webhook.effects:
            if effect.action == "replace":
                assert verdict.replaced[str(effect.target)] == fields[str(effect.answer)]
                assert effect.target.values(verdict.operation) == [fields[str(effect.answer)]]
            else:
                assert list(verdict.refused) == fields[str(effect.answer)]
                assert effect.target.values(verdict.operation) == effect.target.values(event)[1:]


def test_a_refusal_outside_the_request_is_a_violation_and_the_failure_policy_applies() -> None:
    webhook = next(w for w in CONTRACT.webhooks if w.subset_of)
    name = next(iter(webhook.subset_of))
    verdict = deliver(answering(webhook, code_answer(webhook, 0, **{name: ["not-in-the-request"]})), webhook)
    assert not verdict.delivered and verdict.violations[0].field == f"body.{name}[0]"
    assert verdict.outcome == webhook.on_failure


def test_each_delivery_is_signed_with_a_fresh_request_time() -> None:
    webhook = CONTRACT.webhooks[0]
    app = answering(webhook, dict(webhook.default_response), token=TOKEN)
    now = [1_700_000_000.0]
    sender = Sender("http://stub/", contract=CONTRACT, token=TOKEN, clock=lambda: now[0])
    first = sender.query(webhook.command)
    now[0] += 30
    second = sender.query(webhook.command)
    stamp = CONTRACT.signing.timestamp_parameter
    assert int(second[stamp]) - int(first[stamp]) == 30
    assert first[CONTRACT.signing.signature_parameter] != second[CONTRACT.signing.signature_parameter]
    assert deliver(app, webhook, token=TOKEN).delivered
    stale = deliver(app, webhook, token=TOKEN, clock=lambda: 1_000_000_000.0)
    assert stale.status == 401 and not stale.delivered and stale.outcome == webhook.on_failure
    assert deliver(app, webhook, token="another").status == 401


def test_no_answer_within_the_budget_is_a_timeout_verdict_not_an_exception() -> None:
    webhook = next(w for w in CONTRACT.webhooks if w.can_refuse)
    verdict = deliver(answering(webhook, dict(webhook.default_response), delay=5), webhook, timeout=0.05)
    assert verdict.timed_out and verdict.status is None and not verdict.delivered
    assert verdict.outcome == webhook.on_failure and verdict.allowed
    assert Sender("http://stub/", contract=CONTRACT).timeout == CONTRACT.timeout_seconds


def test_an_unknown_command_is_refused_before_sending() -> None:
    with pytest.raises(UnknownCommand):
        send_once("http://127.0.0.1:9/", "Nope.Nothing", {})


def test_the_sync_face_reports_an_unreachable_url() -> None:
    verdict = send_once("http://127.0.0.1:9/", CONTRACT.webhooks[0].name, CONTRACT.webhooks[0].example().value)
    assert verdict.error is not None and verdict.status is None and not verdict.delivered
