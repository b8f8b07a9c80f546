"""The contract itself: valid OpenAPI, examples that conform, and a schema that rejects what it should."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from openapi_spec_validator import validate as validate_spec

from mockserver import validation
from mockserver.contract import (
    INT_FORMATS,
    Contract,
    ContractError,
    Example,
    FieldPath,
    UnknownCommand,
    Webhook,
    load_contract,
)
from mockserver.schema import format_path
from mockserver.validation import DeliveryValidator
from tests.support.contract_walk import Node, discriminator_fields, mutate, nodes, out_of_range_values, wrong_type_value

CONTRACT = load_contract()
EXAMPLES = [(w, e) for w in CONTRACT.webhooks for e in w.examples]
EXAMPLE_IDS = [e.name for _, e in EXAMPLES]


def _body(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def _fields(violations: list[Any]) -> set[str]:
    return {v.field for v in violations}


def test_document_is_valid_openapi_30(contract: Contract) -> None:
    assert str(contract.document["openapi"]).startswith("3.0")
    validate_spec(dict(contract.document))


def test_eleven_webhooks_each_with_its_own_response_schema(contract: Contract) -> None:
    assert len(contract.webhooks) == 11
    assert len({w.response_ref for w in contract.webhooks}) == 11
    assert {w.kind for w in contract.webhooks} == {"before", "after"}
    for webhook in contract.webhooks:
        assert contract.resolve(webhook.request_ref)["x-webhook"]["response"] == webhook.response_ref


def test_every_query_parameter_has_a_role_and_signing_names_real_parameters(contract: Contract) -> None:
    names = {p.name for p in contract.parameters}
    assert len({p.role for p in contract.parameters}) == len(contract.parameters)
    assert contract.signing.signature_parameter in names
    assert contract.signing.timestamp_parameter in names
    assert not contract.parameter("signature").required
    assert not contract.parameter("timestamp").required
    assert contract.parameter("command").required and contract.parameter("app-id").required


@pytest.mark.parametrize(("webhook", "example"), EXAMPLES, ids=EXAMPLE_IDS)
def test_every_example_conforms(validator: DeliveryValidator, webhook: Webhook, example: Example) -> None:
    query = CONTRACT.query_example(webhook.command)
    assert validator.check_request(query, _body(example.value)) == []


def test_each_webhook_has_the_vendor_sample_and_a_richer_example(contract: Contract) -> None:
    for webhook in contract.webhooks:
        assert len(webhook.examples) >= 2, webhook.command
        rich = webhook.examples[1]
        text = json.dumps(rich.value, ensure_ascii=False)
        assert any(ord(ch) > 127 for ch in text), f"{rich.name} has no non-ASCII text"
        schema = contract.resolve(webhook.request_ref)
        arrays = [n for n in nodes(contract, schema, rich.value) if isinstance(n.value, list)]
        for node in arrays:
            assert len(node.value) >= 3, f"{rich.name}: {node.field()} should show several items"


def test_rich_message_example_covers_every_known_element_type(contract: Contract) -> None:
    element_schema = contract.resolve("#/components/schemas/MsgElement")
    mapped = set(element_schema["discriminator"]["mapping"])
    tag = element_schema["discriminator"]["propertyName"]
    seen = {
        n.value[tag]
        for w in contract.webhooks
        for e in w.examples
        for n in nodes(contract, contract.resolve(w.request_ref), e.value)
        if isinstance(n.value, dict) and tag in n.value
    }
    assert mapped <= seen


def test_default_responses_and_response_examples_conform(contract: Contract, validator: DeliveryValidator) -> None:
    for webhook in contract.webhooks:
        assert validator.check_response_document(webhook.command, webhook.default_response) == []
    examples = contract.operation["responses"]["200"]["content"]["application/json"]["examples"]
    for name, example in examples.items():
        owner = name.split("-", 1)[0]
        targets = [contract.webhook_named(owner)] if "-" in name else list(contract.webhooks)
        for webhook in targets:
            assert validator.check_response_document(webhook.command, example["value"]) == [], name


def _distinct_nodes() -> list[tuple[Webhook, Example, Node]]:
    """Every node of every example, each (webhook, path, schema) once: a webhook's examples share
    most fields, and a field the first example already puts to the test is the same test again."""
    seen: set[tuple[str, tuple[str | int, ...], str]] = set()
    found = []
    for webhook, example in EXAMPLES:
        for node in nodes(CONTRACT, CONTRACT.resolve(webhook.request_ref), example.value):
            key = (webhook.name, node.path, json.dumps(node.schema, sort_keys=True))
            if key not in seen:
                seen.add(key)
                found.append((webhook, example, node))
    return found


NODES = _distinct_nodes()


def _tiered(cases: list[Any], ids: list[str]) -> list[Any]:
    """The walk's cases as pytest params: each webhook's first case in the fast tier, the rest slow.

    The walk is exhaustive (every field of every webhook); the edit loop needs each test to run
    once per webhook, and the full suite runs them all.
    """
    seen: set[str] = set()
    params = []
    for case, case_id in zip(cases, ids, strict=True):
        webhook = case[0].name
        params.append(pytest.param(*case, id=case_id, marks=[pytest.mark.slow] if webhook in seen else []))
        seen.add(webhook)
    return params


REQUIRED = [(webhook, example, node.path) for webhook, example, node in NODES if node.required_by_parent]


@pytest.mark.parametrize(("webhook", "example", "path"), _tiered(REQUIRED, [f"{e.name}:{p}" for _, e, p in REQUIRED]))
def test_dropping_a_required_field_is_rejected_naming_it(
    validator: DeliveryValidator, webhook: Webhook, example: Example, path: tuple[str | int, ...]
) -> None:
    body = mutate(example.value, path, delete=True)
    violations = validator.check_request(CONTRACT.query_example(webhook.command), _body(body))
    assert format_path("body", path) in _fields(violations), violations


def test_required_field_coverage_is_real() -> None:
    # Every event's top-level required list shows up in the cases above, so none slipped through.
    for webhook in CONTRACT.webhooks:
        required = CONTRACT.resolve(webhook.request_ref)["required"]
        dropped = {p[0] for w, _, p in REQUIRED if w is webhook and len(p) == 1}
        assert set(required) == dropped


LEAVES = [
    (webhook, example, node.path, wrong_type_value(node.schema))
    for webhook, example, node in NODES
    if node.path and wrong_type_value(node.schema) is not None
]


@pytest.mark.parametrize(
    ("webhook", "example", "path", "bad"), _tiered(LEAVES, [f"{e.name}:{p}" for _, e, p, _ in LEAVES])
)
def test_a_wrong_type_is_rejected_naming_the_field(
    validator: DeliveryValidator, webhook: Webhook, example: Example, path: tuple[str | int, ...], bad: Any
) -> None:
    violations = validator.check_request(
        CONTRACT.query_example(webhook.command), _body(mutate(example.value, path, bad))
    )
    assert format_path("body", path) in _fields(violations), violations


def test_an_explanation_past_its_budget_says_so_instead_of_naming_a_field(
    validator: DeliveryValidator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The walk that names fields stops at its budget; the refusal then says it stopped."""
    webhook, example, path, bad = next(leaf for leaf in LEAVES if len(leaf[2]) > 1)  # a nested field
    body = _body(mutate(example.value, path, bad))
    query = CONTRACT.query_example(webhook.command)
    assert format_path("body", path) in _fields(validator.check_request(query, body))
    monkeypatch.setattr(validation, "EXPLAIN_BUDGET_S", 0.0)  # spent before the first step
    violations = validator.check_request(query, body)
    assert [v.field for v in violations] == ["body"], violations
    assert "naming the field took over 0 s" in violations[0].reason


def _range_cases() -> list[tuple[Webhook, tuple[str | int, ...], str, Any, Any]]:
    cases = []
    for webhook, example, node in NODES:
        if not node.path or node.path[-1] in discriminator_fields(CONTRACT):
            continue
        for keyword, bad in out_of_range_values(node.schema, node.value):
            cases.append((webhook, node.path, keyword, bad, example.value))
    return cases


RANGES = _range_cases()


@pytest.mark.parametrize(
    ("webhook", "path", "keyword", "bad", "value"), _tiered(RANGES, [f"{w.name}:{p}:{k}" for w, p, k, _, _ in RANGES])
)
def test_out_of_range_values_are_rejected(
    validator: DeliveryValidator, webhook: Webhook, path: tuple[str | int, ...], keyword: str, bad: Any, value: Any
) -> None:
    violations = validator.check_request(CONTRACT.query_example(webhook.command), _body(mutate(value, path, bad)))
    assert format_path("body", path) in _fields(violations), (keyword, violations)


def test_bounds_the_issue_asks_for_are_in_the_contract() -> None:
    keywords = {(p[-1] if isinstance(p[-1], str) else "item", k) for _, p, k, _, _ in RANGES}
    found = {k for _, k in keywords}
    assert {"enum", "minimum", "maximum", "maxLength", "pattern", "maxItems", "minItems"} <= found


def test_query_and_body_command_must_agree(contract: Contract, validator: DeliveryValidator) -> None:
    first, second = contract.webhooks[0], contract.webhooks[1]
    query = contract.query_example(second.command)
    violations = validator.check_request(query, _body(first.example().value))
    assert f"query.{contract.parameter('command').name}" in _fields(violations)


@pytest.mark.parametrize("role", ["app-id", "command", "content-type", "client-ip", "platform"])
def test_each_required_query_parameter_is_enforced(contract: Contract, validator: DeliveryValidator, role: str) -> None:
    webhook = contract.webhooks[0]
    query = contract.query_example(webhook.command)
    name = contract.parameter(role).name
    del query[name]
    assert f"query.{name}" in _fields(validator.check_request(query, _body(webhook.example().value)))


def test_query_parameter_types_and_patterns(contract: Contract, validator: DeliveryValidator) -> None:
    webhook = contract.webhooks[0]
    body = _body(webhook.example().value)
    app_id = contract.parameter("app-id").name
    sign = contract.parameter("signature").name
    stamp = contract.parameter("timestamp").name
    for name, bad in [(app_id, "not-a-number"), (sign, "ABC"), (stamp, "yesterday")]:
        query = contract.query_example(webhook.command, **{name: bad})
        assert f"query.{name}" in _fields(validator.check_request(query, body)), name
    good = contract.query_example(webhook.command, **{sign: "0" * 64, stamp: "1669872112"})
    assert validator.check_request(good, body) == []


def test_the_query_is_explained_as_openapi_core_explains_it(contract: Contract, validator: DeliveryValidator) -> None:
    """Each parameter's schema on its own names what openapi-core's request validation names."""
    webhook = contract.webhooks[0]
    compared = 0
    for param in contract.parameters:
        example = contract.query_example(webhook.command)
        raw = example.get(param.name, str(param.example))
        typed = int(raw) if param.schema.get("type") == "integer" else raw
        for keyword, bad in out_of_range_values(param.schema, typed):
            query = {**example, param.name: str(bad)}
            strict, schema_ok = validator._query_violations(query)
            if strict or schema_ok:
                continue  # refused before the schemas (an empty value, say), or not refused
            direct = validator._query_schema_violations(query)
            assert direct == validator._openapi(query, b"{}", stage="query"), (param.name, keyword)
            assert {v.field for v in direct[0]} == {f"query.{param.name}"}, (param.name, keyword, direct)
            compared += 1
        query = {k: v for k, v in example.items() if k != param.name}
        if param.required:
            assert validator._query_schema_violations(query) == validator._openapi(query, b"{}", stage="query")
            compared += 1
    assert compared >= 10


def test_a_parameter_the_kit_does_not_cast_is_explained_by_openapi_core(contract: Contract) -> None:
    """A boolean parameter is cast by openapi-core ("true" is a boolean), so it keeps the explanation."""
    document = json.loads(json.dumps(contract.document))
    operation = next(iter(document["paths"].values()))["post"]
    operation["parameters"].append({"name": "Extra", "in": "query", "required": False, "schema": {"type": "boolean"}})
    changed = DeliveryValidator(Contract(document))
    webhook = contract.webhooks[0]
    body = _body(webhook.example().value)
    assert changed.check_request({**contract.query_example(webhook.command), "Extra": "true"}, body) == []
    refused = changed.check_request({**contract.query_example(webhook.command), "Extra": "maybe"}, body)
    assert _fields(refused) == {"query.Extra"}


def test_tolerant_fields_stay_tolerant(contract: Contract, validator: DeliveryValidator) -> None:
    """Forward compatibility: vendor spellings, empty client IP, unknown fields and element types."""
    webhook = contract.webhooks[0]
    body = dict(webhook.example().value)
    body["SomeFieldTheVendorAddsLater"] = {"nested": True}
    for platform in ["Unkown", "IPad", "macOS", "IOS"]:
        query = contract.query_example(
            webhook.command, **{contract.parameter("platform").name: platform, contract.parameter("client-ip").name: ""}
        )
        assert validator.check_request(query, _body(body)) == [], platform


def test_unknown_message_element_types_are_accepted_but_known_ones_are_checked(
    contract: Contract, validator: DeliveryValidator
) -> None:
    element_schema = contract.resolve("#/components/schemas/MsgElement")
    tag = element_schema["discriminator"]["propertyName"]
    for webhook in contract.webhooks:
        for node in nodes(contract, contract.resolve(webhook.request_ref), webhook.example(None).value):
            if isinstance(node.value, list) and node.value and isinstance(node.value[0], dict) and tag in node.value[0]:
                element = dict(node.value[0])
                content_key = next(k for k in element if k != tag)
                unknown = {tag: "TIMElemFromTheFuture", content_key: {"Anything": 1}}
                body = mutate(webhook.example().value, (*node.path, 0), unknown)
                query = contract.query_example(webhook.command)
                assert validator.check_request(query, _body(body)) == []
                broken = mutate(webhook.example().value, (*node.path, 0), {tag: element[tag], content_key: {}})
                assert validator.check_request(query, _body(broken)), "a known element with no content must fail"
                return
    pytest.fail("no example carries message elements")


def test_unknown_command_and_malformed_body_are_named(contract: Contract, validator: DeliveryValidator) -> None:
    webhook = contract.webhooks[0]
    query = contract.query_example(webhook.command)
    unknown = mutate(webhook.example().value, (contract.command_field,), "OfficialAccount.CallbackNotInTheContract")
    assert f"body.{contract.command_field}" in _fields(validator.check_request(query, _body(unknown)))
    assert "body" in _fields(validator.check_request(query, b'{"truncated": '))
    with pytest.raises(UnknownCommand):
        contract.webhook("OfficialAccount.CallbackNotInTheContract")


def test_response_checks_use_that_webhooks_schema(contract: Contract, validator: DeliveryValidator) -> None:
    webhook = next(w for w in contract.webhooks if w.subset_of)
    refused = next(iter(webhook.subset_of))
    good = dict(webhook.default_response)
    assert validator.check_response(webhook.command, 200, _body(good)) == []
    bad = {**good, refused: "not-a-list"}
    assert f"body.{refused}" in _fields(validator.check_response(webhook.command, 200, _body(bad)))
    code = webhook.response_roles["error-code"]
    missing = {k: v for k, v in good.items() if k != code}
    assert f"body.{code}" in _fields(validator.check_response(webhook.command, 200, _body(missing)))
    assert "status" in _fields(validator.check_response(webhook.command, 500, _body(good)))
    assert "body" in _fields(validator.check_response(webhook.command, 200, b"<html>"))


def test_contract_errors_are_clear(tmp_path: Any) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("openapi: 3.0.3\npaths: {}\n")
    with pytest.raises(ContractError, match="exactly one operation"):
        load_contract(broken)
    with pytest.raises(ContractError, match="cannot read"):
        load_contract(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("openapi: [unclosed\n")
    with pytest.raises(ContractError, match="not valid YAML"):
        load_contract(tmp_path / "bad.yaml")


def test_bodies_that_are_not_utf8_or_not_json_are_named_not_crashed(
    contract: Contract, validator: DeliveryValidator
) -> None:
    query = contract.query_example(contract.webhooks[0].command)
    (violation,) = validator.check_request(query, b'{"x": "\xff\xfe"}')
    assert violation.field == "body" and "byte 7 (0xff)" in violation.reason
    (violation,) = validator.check_request(query, b'{"x": ')
    assert violation.field == "body" and "column 7" in violation.reason


def test_platform_must_not_be_empty_but_may_be_unknown(contract: Contract, validator: DeliveryValidator) -> None:
    webhook = contract.webhooks[0]
    name = contract.parameter("platform").name
    body = _body(webhook.example().value)
    assert validator.check_request(contract.query_example(webhook.command, **{name: "SmartTV"}), body) == []
    assert f"query.{name}" in _fields(
        validator.check_request(contract.query_example(webhook.command, **{name: ""}), body)
    )


def test_a_body_nested_too_deeply_is_named_and_the_query_still_checked(
    contract: Contract, validator: DeliveryValidator
) -> None:
    webhook = contract.webhooks[0]
    app_id = contract.parameter("app-id").name
    query = contract.query_example(webhook.command, **{app_id: "not-a-number"})
    deep = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    fields = _fields(validator.check_request(query, deep))
    assert fields == {"body", f"query.{app_id}"}


@pytest.mark.parametrize(
    ("text", "segments"),
    [("a", ("a",)), ("a[*].b", ("a", "*", "b")), ("a[0][*].b.c", ("a", 0, "*", "b", "c"))],
)
def test_field_paths_parse(text: str, segments: tuple[object, ...]) -> None:
    path = FieldPath.parse(text)
    assert path.segments == segments and str(path) == text


@pytest.mark.parametrize("text", ["", "a..b", "[0].a", "a[x]", "a[*", ".a"])
def test_field_paths_that_are_not(text: str) -> None:
    with pytest.raises(ContractError, match="not a field path"):
        FieldPath.parse(text)


def test_field_path_values_follow_every_item() -> None:
    document = {"a": [{"b": 1}, {"b": 2}, {"c": 3}], "d": {"e": "x"}}
    assert FieldPath.parse("a[*].b").values(document) == [1, 2]
    assert FieldPath.parse("a[1].b").values(document) == [2]
    assert FieldPath.parse("d.e").values(document) == ["x"]
    assert FieldPath.parse("a[9].b").values(document) == []
    assert FieldPath.parse("d[*]").values(document) == []


def test_subset_rules_point_at_values_the_examples_have(contract: Contract) -> None:
    rules = [(w, path) for w in contract.webhooks for path in w.subset_of.values()]
    assert rules
    for webhook, path in rules:
        for example in webhook.examples:
            assert path.values(example.value), f"{path} finds nothing in {example.name}"


def test_every_webhook_defines_its_error_codes_and_the_default_answer_uses_one(contract: Contract) -> None:
    for webhook in contract.webhooks:
        code = webhook.default_response[webhook.response_roles["error-code"]]
        value = webhook.vendor_value(code)
        assert value is not None, webhook.command
        # The default answer lets the operation through (before) or is ignored (after).
        assert value.outcome == ("allow" if webhook.can_refuse else "ignored"), webhook.command
        outcomes = {v.outcome for v in webhook.error_code_values}
        assert outcomes <= ({"allow", "reject", "drop"} if webhook.can_refuse else {"ignored"})


def test_app_defined_refusals_are_a_range_passed_through_to_the_caller(contract: Contract) -> None:
    ranges = [(w, v) for w in contract.webhooks for v in w.error_code_values if v.low != v.high]
    assert {w.command for w, _ in ranges} == {w.command for w in contract.webhooks if len(w.error_code_values) > 2}
    for webhook, value in ranges:
        assert (value.low, value.high, value.outcome, value.pass_through) == (120001, 130000, "reject", True)
        assert value.low in value and value.high in value and value.high + 1 not in value
        assert webhook.vendor_value(125000) is value and webhook.vendor_value(True) is None


@pytest.mark.parametrize(
    ("key", "entry", "message"),
    [
        ("1-x", {"outcome": "allow"}, "neither an integer nor a range"),
        ("9-3", {"outcome": "allow"}, "is empty"),
        ("0", {"outcome": "maybe"}, "needs an outcome"),
    ],
)
def test_malformed_vendor_values_are_refused(
    contract: Contract, tmp_path: Any, key: str, entry: dict[str, str], message: str
) -> None:
    document = json.loads(json.dumps(contract.document))
    webhook = next(w for w in contract.webhooks if w.can_refuse)
    response = document["components"]["schemas"][webhook.response_name]
    response["properties"][webhook.response_roles["error-code"]]["x-vendor-values"] = {key: entry}
    spec = tmp_path / "bad.json"
    spec.write_text(json.dumps(document))
    with pytest.raises(ContractError, match=message):
        load_contract(spec)


def test_delivery_limits_come_from_the_contract(contract: Contract, tmp_path: Any) -> None:
    delivery = contract.operation["x-delivery"]
    assert contract.max_body_bytes == delivery["maxBodyBytes"]
    assert contract.timeout_seconds == delivery["timeoutSeconds"]
    document = json.loads(json.dumps(contract.document))
    for operation in document["paths"].values():
        for op in operation.values():
            del op["x-delivery"]["maxBodyBytes"]
    spec = tmp_path / "no-limit.json"
    spec.write_text(json.dumps(document))
    with pytest.raises(ContractError, match="maxBodyBytes"):
        load_contract(spec)


def test_follow_goes_through_references_to_references_and_names_the_last() -> None:
    document = copy.deepcopy(dict(CONTRACT.document))
    schemas = document["components"]["schemas"]
    target = CONTRACT.webhooks[0].name
    schemas["AliasOne"] = {"$ref": "#/components/schemas/AliasTwo"}
    schemas["AliasTwo"] = {"$ref": f"#/components/schemas/{target}"}
    contract = Contract(document)
    ref, node = contract.followed({"$ref": "#/components/schemas/AliasOne"})
    assert ref == f"#/components/schemas/{target}"
    assert node is schemas[target]
    plain = {"type": "string"}
    assert contract.followed(plain) == (None, plain)
    assert contract.follow(plain) is plain


def test_a_reference_loop_is_a_contract_error_not_a_hang() -> None:
    document = copy.deepcopy(dict(CONTRACT.document))
    schemas = document["components"]["schemas"]
    schemas["Ping"] = {"$ref": "#/components/schemas/Pong"}
    schemas["Pong"] = {"$ref": "#/components/schemas/Ping"}
    contract = Contract(document)
    with pytest.raises(ContractError, match="leads back to itself"):
        contract.follow({"$ref": "#/components/schemas/Ping"})
    with pytest.raises(ContractError, match="unresolvable"):
        contract.follow({"$ref": "#/components/schemas/Nowhere"})


def test_dereferenced_states_integer_formats_as_bounds() -> None:
    schema = CONTRACT.dereferenced({"type": "integer", "format": "int32", "minimum": -5}, bounded=True)
    assert (schema["minimum"], schema["maximum"]) == (-5, INT_FORMATS["int32"][1])
    assert "maximum" not in CONTRACT.dereferenced({"type": "integer", "format": "int32"})


@pytest.mark.parametrize("webhook", CONTRACT.webhooks, ids=lambda w: w.name)
def test_the_per_webhook_operation_is_that_webhooks_alone(webhook: Webhook) -> None:
    operation = CONTRACT.webhook_operation(webhook)
    assert operation["operationId"] == webhook.name
    media = operation["requestBody"]["content"]["application/json"]
    assert media["schema"] == {"$ref": webhook.request_ref}
    assert [name for name in media["examples"]] == [e.name for e in webhook.examples]
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": webhook.response_ref}
    assert set(operation["responses"]) == {"200", *(str(s) for s in CONTRACT.error_statuses)}
    command = CONTRACT.parameter("command").name
    pinned = [p for p in map(CONTRACT.follow, operation["parameters"]) if p["name"] == command]
    assert [p["schema"]["enum"] for p in pinned] == [[webhook.command]]
    assert len(operation["parameters"]) == len(CONTRACT.operation["parameters"])
    assert {k for k in operation if k.startswith("x-")} == {k for k in CONTRACT.operation if k.startswith("x-")}
    operation["parameters"].clear()
    media["examples"].clear()
    assert CONTRACT.operation["parameters"], "the projection is a copy: changing it leaves the contract alone"
    assert CONTRACT.webhook_operation(webhook)["requestBody"]["content"]["application/json"]["examples"]
