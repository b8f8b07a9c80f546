"""The vendor's firing order (`x-webhook.follows` / `effects`) read from the contract and applied.

Which webhook follows which, and how an answer changes what follows, is checked on the
contract's own examples: refused subscribers are not announced, a replaced message is what the
after-webhook carries, a refused or dropped operation announces nothing, a failed answer counts
as the webhook's `onFailure` policy.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from mockserver.contract import Contract, ContractError, Webhook, load_contract
from mockserver.flow import effective_event, follow_ups, outcome_of

CONTRACT = load_contract()
FOLLOWED = [w for w in CONTRACT.webhooks if any(o.follows and o.follows.command == w.command for o in CONTRACT)]


def answer(webhook: Webhook, outcome: str, **fields: Any) -> dict[str, Any]:
    value = next(v for v in webhook.error_code_values if v.outcome == outcome)
    return {**webhook.default_response, webhook.response_roles["error-code"]: value.low, **fields}


def test_every_after_webhook_of_a_before_webhook_is_announced_in_the_contract() -> None:
    befores = {w.follows.command for w in CONTRACT.webhooks if w.follows and w.follows.when}
    assert befores == {w.command for w in CONTRACT.webhooks if w.can_refuse}
    chained = [w for w in CONTRACT.webhooks if w.follows and w.follows.when is None]
    assert chained and all(w.follows and w.follows.condition for w in chained)


@pytest.mark.parametrize("webhook", FOLLOWED, ids=[w.name for w in FOLLOWED])
def test_an_allowing_answer_fires_the_follow_ups_with_the_carried_fields(webhook: Webhook) -> None:
    event = webhook.example().value
    fired = follow_ups(CONTRACT, webhook, event, dict(webhook.default_response))
    assert fired
    for after, carried in fired:
        assert after.follows is not None and set(carried) == {n for n in after.follows.carry if n in event}
        assert all(carried[name] == event[name] for name in carried)


@pytest.mark.parametrize("webhook", [w for w in FOLLOWED if w.can_refuse], ids=lambda w: w.name)
def test_a_refused_or_dropped_operation_announces_nothing_and_a_failed_answer_counts_as_allowed(
    webhook: Webhook,
) -> None:
    event = webhook.example().value
    for value in webhook.error_code_values:
        if value.outcome != "allow":
            refusing = {**webhook.default_response, webhook.response_roles["error-code"]: value.low}
            assert outcome_of(webhook, refusing) == value.outcome
            assert follow_ups(CONTRACT, webhook, event, refusing) == []
    assert webhook.on_failure == "allow" and follow_ups(CONTRACT, webhook, event, None)


def test_refused_items_are_left_out_of_what_follows_and_nothing_follows_when_all_are_refused() -> None:
    webhook = next(w for w in CONTRACT.webhooks if any(e.action == "exclude" for e in w.effects))
    effect = next(e for e in webhook.effects if e.action == "exclude")
    event = webhook.examples[1].value
    members = effect.target.values(event)
    assert len(members) >= 3
    some = follow_ups(CONTRACT, webhook, event, answer(webhook, "allow", **{effect.answer.names[0]: members[:2]}))
    assert some
    for _, carried in some:
        if effect.target.names[0] in carried:
            assert effect.target.values(carried) == members[2:]
    everyone = answer(webhook, "allow", **{effect.answer.names[0]: members})
    announced = {after.command for after, _ in follow_ups(CONTRACT, webhook, event, everyone)}
    carriers = {a.command for a in CONTRACT.webhooks if a.follows and effect.target.names[0] in a.follows.carry}
    assert not announced & carriers
    assert event == webhook.examples[1].value, "the event itself is not changed"


def test_a_replaced_field_is_what_the_follow_up_carries() -> None:
    webhook = next(w for w in CONTRACT.webhooks if any(e.action == "replace" for e in w.effects))
    sent, other = webhook.examples[0].value, webhook.examples[1].value
    replacing = [e for e in webhook.effects if e.action == "replace"]
    fields = {e.answer.names[0]: other[e.target.names[0]] for e in replacing}
    [(_after, carried)] = follow_ups(CONTRACT, webhook, sent, answer(webhook, "allow", **fields))
    for effect in replacing:
        assert carried[effect.target.names[0]] == other[effect.target.names[0]] != sent[effect.target.names[0]]
    unchanged = effective_event(webhook, sent, answer(webhook, "allow"))
    assert unchanged == sent


def test_after_webhooks_answers_are_ignored_and_chains_go_on() -> None:
    chained = next(w for w in CONTRACT.webhooks if w.follows and w.follows.when is None)
    before = CONTRACT.webhook(chained.follows.command if chained.follows else "")
    refusing = {**before.default_response, before.response_roles["error-code"]: 1}
    assert outcome_of(before, refusing) == "undefined"
    assert chained in [after for after, _ in follow_ups(CONTRACT, before, before.example().value, refusing)]


@pytest.mark.parametrize(
    ("where", "change", "message"),
    [
        ("follows", {"webhook": "#/components/schemas/Problem", "carry": []}, "names no webhook"),
        ("follows", {"carry": ["NotAField"]}, "not fields of both events"),
        ("follows", {"when": ["maybe"]}, "not outcomes"),
        ("effects", {"target": "NotAField"}, "not a field of the event"),
        ("effects", {"answer": "NotAField"}, "not a field of the webhook's response"),
        ("effects", {"action": "merge"}, "replace or exclude"),
    ],
)
def test_malformed_flow_extensions_are_refused(
    contract: Contract, tmp_path: Any, where: str, change: dict[str, Any], message: str
) -> None:
    document = json.loads(json.dumps(contract.document))
    holder = next(w for w in contract.webhooks if (w.follows if where == "follows" else w.effects))
    meta = document["components"]["schemas"][holder.name]["x-webhook"]
    if where == "follows":
        meta["follows"].update(change)
    else:
        meta["effects"][0].update(change)
    spec = tmp_path / "bad.json"
    spec.write_text(json.dumps(document))
    with pytest.raises(ContractError, match=message):
        load_contract(spec)
