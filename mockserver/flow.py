"""The vendor's firing order, applied: what an answer does to the operation and which webhook comes next.

The contract states it in `x-webhook` (see its info): a "before" webhook's `effects` say how an
allowing answer changes the operation (a replaced message body, refused subscribers left
out), and a webhook's `follows` says after which webhook and which outcomes it fires and which
fields it carries over. These pure functions read only those views, so a tool that drives whole
flows (a simulator, the fuzzer, a test) gets the same answer to "what happens next?" without
naming a command or a field.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from mockserver.contract import Contract, Effect, FieldPath, Webhook

__all__ = ["effective_event", "follow_ups", "outcome_of"]

JSON = Any


def outcome_of(webhook: Webhook, answer: Mapping[str, JSON] | None) -> str:
    """What the Chat backend does with `answer` (None: the delivery failed or timed out).

    One of the contract's outcomes (`allow`, `reject`, `drop`, `ignored`), or ``undefined`` for
    an error code the vendor does not define for this webhook.
    """
    if answer is None:
        return webhook.on_failure
    if not webhook.error_code_values:
        return "ignored" if webhook.kind == "after" else "allow"
    value = webhook.vendor_value(answer.get(webhook.response_roles.get("error-code", "")))
    return "undefined" if value is None else value.outcome


def effective_event(webhook: Webhook, event: Mapping[str, JSON], answer: Mapping[str, JSON] | None) -> dict[str, JSON]:
    """`event` as the answer's effects leave it; unchanged unless the answer's outcome is ``allow``."""
    changed: dict[str, JSON] = copy.deepcopy(dict(event))
    if answer is None or outcome_of(webhook, answer) != "allow":
        return changed
    for effect in webhook.effects:
        _apply(effect, changed, answer)
    return changed


def _apply(effect: Effect, event: dict[str, JSON], answer: Mapping[str, JSON]) -> None:
    found = effect.answer.values(answer)
    if not found:
        return  # the answer does not use this effect: the operation keeps the sender's value
    if effect.action == "replace":
        *parents, last = effect.target.segments
        for holder in FieldPath("", tuple(parents)).values(event) if parents else [event]:
            if isinstance(holder, dict) and isinstance(last, str):
                holder[last] = copy.deepcopy(found[0])
        return
    listed = {json_key(v) for value in found for v in (value if isinstance(value, list) else [value])}
    cut = len(effect.target.segments) - 1 - effect.target.segments[::-1].index("*")
    lists, item_path = effect.target.segments[:cut], FieldPath("", effect.target.segments[cut + 1 :])
    *parents, last = lists
    for holder in FieldPath("", tuple(parents)).values(event) if parents else [event]:
        if isinstance(holder, dict) and isinstance(last, str) and isinstance(holder.get(last), list):
            holder[last] = [
                item
                for item in holder[last]
                if not any(json_key(v) in listed for v in (item_path.values(item) if item_path.segments else [item]))
            ]


def json_key(value: JSON) -> JSON:
    """A hashable stand-in for a JSON value (lists and objects compare by content)."""
    if isinstance(value, list | dict):
        return repr(value)
    return value


def follow_ups(
    contract: Contract, webhook: Webhook, event: Mapping[str, JSON], answer: Mapping[str, JSON] | None
) -> list[tuple[Webhook, dict[str, JSON]]]:
    """The webhooks the vendor fires next, each with the fields it carries over from `event`.

    Fields a follow-up has that are not carried (a new account's ID, a message key, the event
    time, the command) are the Chat backend's to fill in. A follow-up whose carried list the
    answer left empty is not fired (the vendor announces no subscriptions when none was made).
    Only the follow-ups' own conditions in words (`Follows.condition`) are left to the caller.
    """
    outcome = outcome_of(webhook, answer)
    operation = effective_event(webhook, event, answer)
    fired: list[tuple[Webhook, dict[str, JSON]]] = []
    for candidate in contract.webhooks:
        follows = candidate.follows
        if follows is None or follows.command != webhook.command:
            continue
        if follows.when is not None and outcome not in follows.when:
            continue
        carried = {name: copy.deepcopy(operation[name]) for name in follows.carry if name in operation}
        if any(value == [] for value in carried.values()):
            continue
        fired.append((candidate, carried))
    return fired
