"""What the generated client says the Chat backend does with each answer, and the stub's guard rails.

Every error code the contract defines for a "before" webhook (single values and both ends of
the app-defined range) is answered by a generated server stub and judged by the generated
async client in-process (httpx's ASGI transport): the outcome must be the contract's, down to
"drop silently" and the message the Chat backend delivers instead of the sender's. The values
come from `x-vendor-values` and `x-webhook.effects`; no command or field is named here.
"""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

import httpx
import msgspec
import pytest
from oa_webhooks import RESPONSE_TYPES, PayloadError, UnknownCommandError, decode, decode_event
from oa_webhooks.client import AsyncWebhookClient, Outcome, Reply
from oa_webhooks.server import WEBHOOK_METHODS, DefaultWebhookHandler, HandlerError, create_app

from mockserver.codegen import build_context
from mockserver.contract import Contract, VendorValue, Webhook, load_contract

CONTRACT = load_contract()
CONTEXT = build_context(CONTRACT, "oa_webhooks")
APP_ID = int(CONTRACT.parameter("app-id").example)
METHOD = {w.command: w.method for w in CONTEXT.webhooks}


def _codes(value: VendorValue) -> list[int]:
    return sorted({value.low, value.high})


CODES = [
    pytest.param(webhook, value, code, id=f"{webhook.name}-{code}")
    for webhook in CONTRACT.webhooks
    if webhook.can_refuse
    for value in webhook.error_code_values
    for code in _codes(value)
]


def deliver(webhook: Webhook, event_value: Any, answer: dict[str, Any]) -> Reply[Any]:
    """Deliver `event_value` to a stub whose handler answers `answer`, through the async client."""

    class Answering(DefaultWebhookHandler):
        pass

    async def respond(self: Any, event: Any, ctx: Any) -> Any:
        return decode(json.dumps(answer).encode(), RESPONSE_TYPES[type(event)])

    setattr(Answering, METHOD[webhook.command], respond)
    app = create_app(Answering(), sdk_appid=APP_ID)

    async def run() -> Reply[Any]:
        async with (
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http,
            AsyncWebhookClient("http://stub/", sdk_appid=APP_ID, http=http) as client,
        ):
            return await client.send(decode_event(json.dumps(event_value).encode()))

    return asyncio.run(run())


def answer_with(webhook: Webhook, code: int, **fields: Any) -> dict[str, Any]:
    return {**webhook.default_response, webhook.response_roles["error-code"]: code, **fields}


@pytest.mark.parametrize(("webhook", "value", "code"), CODES)
def test_every_vendor_code_has_the_contracts_outcome(webhook: Webhook, value: VendorValue, code: int) -> None:
    outcome: Outcome = deliver(webhook, webhook.example().value, answer_with(webhook, code)).outcome
    assert outcome.action == value.outcome
    assert outcome.allowed is (value.outcome == "allow")
    assert outcome.dropped is (value.outcome == "drop")
    assert outcome.caller_error == (code if value.pass_through else value.caller_error)
    assert outcome.detail == value.meaning


def test_the_outcomes_cover_allow_reject_drop_and_pass_through() -> None:
    values = [v for w in CONTRACT.webhooks if w.can_refuse for v in w.error_code_values]
    assert {v.outcome for v in values} == {"allow", "reject", "drop"}
    assert any(v.pass_through for v in values) and any(v.caller_error for v in values)


def test_a_code_the_vendor_does_not_define_is_undefined_and_stops_the_operation() -> None:
    for webhook in (w for w in CONTRACT.webhooks if w.can_refuse):
        code = max(v.high for v in webhook.error_code_values) + 1
        outcome = deliver(webhook, webhook.example().value, answer_with(webhook, code)).outcome
        assert (outcome.action, outcome.allowed, outcome.caller_error) == ("undefined", False, None)


REPLACING = [w for w in CONTRACT.webhooks if any(e.action == "replace" for e in w.effects)]


@pytest.mark.parametrize("webhook", REPLACING, ids=[w.name for w in REPLACING])
def test_an_allowing_answer_delivers_the_replaced_fields(webhook: Webhook) -> None:
    """The replacement is taken from the rich example (a valid value of the same field)."""
    sent, other = webhook.examples[0].value, webhook.examples[1].value
    replacing = [e for e in webhook.effects if e.action == "replace"]
    fields = {e.answer.names[0]: copy.deepcopy(other[e.target.names[0]]) for e in replacing}
    allow = next(v for v in webhook.error_code_values if v.outcome == "allow")
    reply = deliver(webhook, sent, answer_with(webhook, allow.low, **fields))
    assert reply.outcome.allowed
    replaced = {name: json.loads(msgspec.json.encode(value)) for name, value in reply.outcome.replaced.items()}
    assert replaced == {e.target.names[0]: other[e.target.names[0]] for e in replacing}
    assert replaced != {e.target.names[0]: sent.get(e.target.names[0]) for e in replacing}
    # Without replacement fields nothing is replaced; with a refusing code they are ignored.
    assert deliver(webhook, sent, answer_with(webhook, allow.low)).outcome.replaced == {}
    refuse = next(v for v in webhook.error_code_values if v.outcome != "allow")
    refused = deliver(webhook, sent, answer_with(webhook, refuse.low, **fields)).outcome
    assert not refused.allowed and refused.replaced == {}


def test_after_webhooks_answers_are_ignored() -> None:
    for webhook in (w for w in CONTRACT.webhooks if not w.can_refuse):
        outcome = deliver(webhook, webhook.example().value, dict(webhook.default_response)).outcome
        assert (outcome.action, outcome.allowed, outcome.caller_error) == ("ignored", True, None)


# ---------------------------------------------------------------------------- guard rails
def test_create_app_refuses_a_misspelled_handler_method_naming_the_webhook_it_meant() -> None:
    method = next(w.method for w in CONTEXT.webhooks if w.can_refuse)

    async def misspelled(self: Any, event: Any, ctx: Any) -> Any:
        raise AssertionError("never called")

    Backend = type("Backend", (DefaultWebhookHandler,), {f"{method}s": misspelled})
    with pytest.raises(HandlerError, match=f"{method}s \\(did you mean {method}\\?\\)"):
        create_app(Backend())
    Helper = type("Helper", (DefaultWebhookHandler,), {"audit": staticmethod(lambda: None)})
    with pytest.raises(HandlerError, match="audit"):
        create_app(Helper())


def test_create_app_accepts_webhook_methods_private_helpers_and_attributes() -> None:
    method = sorted(WEBHOOK_METHODS)[0]

    async def handled(self: Any, event: Any, ctx: Any) -> Any:
        return None

    Backend = type(
        "Backend", (DefaultWebhookHandler,), {method: handled, "_helper": lambda self: None, "label": "a backend"}
    )
    assert create_app(Backend()).handler is not None
    assert {w.method for w in CONTEXT.webhooks} == WEBHOOK_METHODS


def test_decode_event_names_an_unknown_command_and_lists_the_known_ones() -> None:
    example = dict(CONTRACT.webhooks[0].example().value)
    later = CONTRACT.commands[0].rsplit(".", 1)[0] + ".CallbackEnabledLater"
    example[CONTRACT.command_field] = later
    with pytest.raises(UnknownCommandError) as caught:
        decode_event(json.dumps(example).encode())
    assert isinstance(caught.value, PayloadError)
    assert caught.value.command == later and caught.value.known == CONTRACT.commands
    assert all(command in str(caught.value) for command in CONTRACT.commands)
    assert caught.value.field == CONTRACT.command_field
    # A known command with a broken field, and a command that is not a string, stay plain PayloadErrors.
    first = CONTRACT.webhooks[0]
    field = next(name for name in CONTRACT.resolve(first.request_ref)["required"] if name != CONTRACT.command_field)
    for broken in ({**first.example().value, field: [None]}, {**example, CONTRACT.command_field: 7}):
        with pytest.raises(PayloadError) as plain:
            decode_event(json.dumps(broken).encode())
        assert not isinstance(plain.value, UnknownCommandError)


def test_an_unknown_commands_answer_holds_for_contracts_whose_defaults_differ(contract: Contract) -> None:
    document = json.loads(json.dumps(contract.document))
    webhook = contract.webhooks[-1]
    info = webhook.response_roles["error-info"]
    document["components"]["schemas"][webhook.response_name]["example"][info] = "a default of its own"
    changed = Contract(document)
    assert changed.unknown_command_answer == {k: v for k, v in contract.unknown_command_answer.items() if k != info}
    context = build_context(changed, "oa_webhooks")  # the generator no longer refuses it
    assert json.loads(context.unknown_command_answer) == changed.unknown_command_answer
    assert contract.unknown_command_answer == contract.webhooks[0].default_response
