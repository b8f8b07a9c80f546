"""The generated models: every example round-trips, bad bodies are refused naming the field.

Fields are never named here: the contract's examples are mutated node by node (tests/contract_walk)
and the error the generated decoder raises must point at the node that was broken.
"""

from __future__ import annotations

import json
import re
from typing import Any

import msgspec
import oa_webhooks
import pytest
from oa_webhooks import EVENT_TYPES, RESPONSE_TYPES, PayloadError, decode, decode_event, encode

from mockserver.codegen import build_context
from mockserver.codegen.context import snake_case
from mockserver.contract import Contract, load_contract
from tests.support.contract_walk import discriminator_fields, mutate, nodes, out_of_range_values, wrong_type_value

CONTRACT = load_contract()
EXAMPLES = [pytest.param(w, e, id=e.name) for w in CONTRACT.webhooks for e in w.examples]


def body_schema(contract: Contract) -> Any:
    return {"$ref": contract.request_schema_ref}


def field_of(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@pytest.mark.parametrize(("webhook", "example"), EXAMPLES)
def test_every_example_round_trips(webhook: Any, example: Any) -> None:
    raw = json.dumps(example.value, ensure_ascii=False).encode()
    event = decode_event(raw)
    assert type(event).__name__ == webhook.name
    assert json.loads(encode(event)) == example.value
    assert decode(raw, EVENT_TYPES[webhook.command]) == event


def test_every_default_answer_round_trips(contract: Contract) -> None:
    for webhook in contract.webhooks:
        kind = RESPONSE_TYPES[EVENT_TYPES[webhook.command]]
        assert kind.__name__ == webhook.response_name
        answer = decode(json.dumps(webhook.default_response).encode(), kind)
        assert json.loads(encode(answer)) == webhook.default_response


def test_every_named_answer_example_round_trips_through_its_webhooks_response(contract: Contract) -> None:
    """The operation's answer examples named ``<Webhook>-...`` (refusals, silent drops, replacements)."""
    examples = contract.operation["responses"]["200"]["content"]["application/json"]["examples"]
    named = {name: example["value"] for name, example in examples.items() if "-" in name}
    assert len(named) >= 8
    for name, value in named.items():
        webhook = contract.webhook_named(name.split("-", 1)[0])
        answer = decode(json.dumps(value, ensure_ascii=False).encode(), RESPONSE_TYPES[EVENT_TYPES[webhook.command]])
        assert json.loads(encode(answer)) == value, name


def test_absent_optional_fields_stay_absent(contract: Contract) -> None:
    """UNSET, not None: encoding must not invent the optional fields an example leaves out."""
    for webhook in contract.webhooks:
        for example in webhook.examples:
            event = decode_event(json.dumps(example.value).encode())
            unset = [f for f in event.__struct_fields__ if getattr(event, f) is msgspec.UNSET]
            encoded = json.loads(encode(event))
            assert len(encoded) == len(event.__struct_fields__) - len(unset) + 1  # + the tag


def test_the_tag_selects_the_class_and_a_mismatch_names_the_tag(contract: Contract) -> None:
    first, second = contract.webhooks[0], contract.webhooks[1]
    raw = json.dumps(first.examples[0].value).encode()
    with pytest.raises(PayloadError) as caught:
        decode(raw, EVENT_TYPES[second.command])
    assert caught.value.field == contract.command_field
    unknown = mutate(first.examples[0].value, (contract.command_field,), "Nope.Nothing")
    with pytest.raises(PayloadError) as caught:
        decode_event(json.dumps(unknown).encode())
    assert caught.value.field == contract.command_field


def _invalid_cases() -> list[Any]:
    cases: list[Any] = []
    tags = discriminator_fields(CONTRACT)
    for webhook in CONTRACT.webhooks:
        example = webhook.examples[-1]
        for node in nodes(CONTRACT, body_schema(CONTRACT), example.value):
            if not node.path or node.path[-1] in tags:
                continue
            where = field_of(node.path)
            wrong = wrong_type_value(node.schema)
            if wrong is not None:
                cases.append(
                    pytest.param(example.value, node.path, wrong, False, where, id=f"{example.name}:{where}:type")
                )
            if node.required_by_parent:
                cases.append(
                    pytest.param(example.value, node.path, None, True, where, id=f"{example.name}:{where}:missing")
                )
            for keyword, value in out_of_range_values(node.schema, node.value):
                cases.append(
                    pytest.param(example.value, node.path, value, False, where, id=f"{example.name}:{where}:{keyword}")
                )
    return cases


@pytest.mark.parametrize(("document", "path", "value", "delete", "where"), _invalid_cases())
def test_invalid_bodies_are_refused_naming_the_field(
    document: Any, path: tuple[str | int, ...], value: Any, delete: bool, where: str
) -> None:
    broken = mutate(document, path, value, delete=delete)
    with pytest.raises(PayloadError) as caught:
        decode_event(json.dumps(broken).encode())
    assert caught.value.field == where, caught.value


def test_not_json_is_a_payload_error_at_the_root() -> None:
    with pytest.raises(PayloadError) as caught:
        decode_event(b"{not json")
    assert caught.value.field == ""


def test_an_unknown_element_type_decodes_into_the_catch_all(contract: Contract) -> None:
    """An open union (a catch-all branch) keeps working when the vendor adds a tag."""
    context = build_context(contract, "oa_webhooks")
    (union,) = context.open_unions
    catch_all = getattr(oa_webhooks, union.catch_all or "")
    found = [
        (example, node)
        for webhook in contract.webhooks
        for example in webhook.examples
        for node in nodes(contract, body_schema(contract), example.value)
        if isinstance(node.value, dict) and node.value.get(union.tag_field) in {m.tag for m in union.members}
    ]
    assert found, "some example must hold a member of the open union"
    example, node = found[0]
    strange: dict[str, Any] = {union.tag_field: "TIMFutureElem", "Anything": [1, {"x": None}]}
    other = next(k for k in node.value if k != union.tag_field)
    strange[other] = {"kept": "as it came"}
    document = mutate(example.value, node.path, strange)
    event = decode_event(json.dumps(document).encode())
    element: Any = event
    for part in node.path:
        element = element[part] if isinstance(part, int) else getattr(element, _python_attr(element, part))
    assert isinstance(element, catch_all)
    assert isinstance(element, getattr(oa_webhooks, union.name))
    assert getattr(element, union.tag_python_name) == "TIMFutureElem"
    reencoded = json.loads(encode(event))
    assert reencoded == mutate(document, (*node.path, "Anything"), delete=True)  # unknown fields are dropped
    known = decode_event(json.dumps(example.value).encode())
    kept: Any = known
    for part in node.path:
        kept = kept[part] if isinstance(part, int) else getattr(kept, _python_attr(kept, part))
    assert not isinstance(kept, catch_all), "a known tag must keep its typed class"


def _python_attr(struct: Any, wire: str) -> str:
    names = dict(zip(struct.__struct_encode_fields__, struct.__struct_fields__, strict=True))
    return str(names[wire])


def test_unknown_fields_are_tolerated(contract: Contract) -> None:
    for webhook in contract.webhooks:
        value = dict(webhook.examples[0].value)
        value["SomethingNew"] = {"nested": [1, 2]}
        event = decode_event(json.dumps(value).encode())
        assert json.loads(encode(event)) == webhook.examples[0].value


def _open_union_element(contract: Contract) -> tuple[Any, Any, Any]:
    """The open union, and an example with a node holding one of its members."""
    (union,) = build_context(contract, "oa_webhooks").open_unions
    for webhook in contract.webhooks:
        for example in webhook.examples:
            for node in nodes(contract, body_schema(contract), example.value):
                if isinstance(node.value, dict) and node.value.get(union.tag_field) in {m.tag for m in union.members}:
                    return union, example, node
    raise AssertionError("some example must hold a member of the open union")


def test_an_unknown_tag_does_not_hide_a_broken_known_element(contract: Contract) -> None:
    """The tolerant fallback still reports the broken known element next to the unknown one, by path."""
    union, example, node = _open_union_element(contract)
    *holder, _ = node.path
    content = next(k for k in node.value if k != union.tag_field)
    strange = {union.tag_field: "TIMFutureElem", content: {}}
    broken = {k: v for k, v in node.value.items() if k != content}
    for elements, index in (([strange, broken], 1), ([broken, strange], 0)):
        document = mutate(example.value, tuple(holder), elements)
        with pytest.raises(PayloadError) as caught:
            decode_event(json.dumps(document).encode())
        assert caught.value.field == field_of((*holder, index, content)), caught.value
    document = mutate(example.value, tuple(holder), [strange, node.value])
    event = decode_event(json.dumps(document).encode())
    assert type(event) is EVENT_TYPES[example.command], "the fallback must return the public classes"
    assert json.loads(encode(event)) == document


def test_prefix_checks_accept_exactly_what_the_pattern_accepts(contract: Contract) -> None:
    """A pattern compiled to a `startswith` check agrees with `re.search` on the edge cases."""
    context = build_context(contract, "oa_webhooks")
    checked = [(s.name, f.wire_name, f.check) for s in context.structs for f in s.checks if f.check]
    assert checked, "the contract has a prefix-only pattern (this test guards its fast path)"
    seen = 0
    for webhook in contract.webhooks:
        example = webhook.examples[0]
        for struct, wire, check in checked:
            if struct != webhook.name:
                continue
            p = check.prefix
            for value in ("", p, p + "x", p + "\n", p + "\nx", p + "x\n", p[:-1], "x" + p, p + "é", " " + p + "x"):
                raw = json.dumps(mutate(example.value, (wire,), value)).encode()
                if re.search(check.pattern, value) is not None:
                    assert getattr(decode_event(raw), snake_case(wire)) == value
                else:
                    with pytest.raises(PayloadError) as caught:
                        decode_event(raw)
                    assert caught.value.field == wire
                    assert check.pattern in caught.value.reason
                seen += 1
    assert seen
