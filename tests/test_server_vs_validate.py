"""The mock and `mockserver validate` refuse the same deliveries naming the same fields.

The mock compiles its own checks for speed (`mockserver.server.validators`) instead of running
openapi-core per delivery, so nothing but this test keeps the two judges in step. Every contract
example is mutated (each required field dropped, each leaf given a wrong type, the query naming
another webhook) and sent to a real server over HTTP; the set of fields in the problem's `errors`
must equal the fields `DeliveryValidator.check_request` reports for the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockserver.server.testing import RunningServer, start_server
from mockserver.validation import DeliveryValidator
from tests.contract_walk import mutate, nodes, wrong_type_value
from tests.test_server_support import contract, query_for

validator = DeliveryValidator(contract)


def _cases() -> Iterator[tuple[str, dict[str, str], Any]]:
    """(label, query, body) for every mutation of every example."""
    for webhook in contract.webhooks:
        schema = {"$ref": webhook.request_ref}
        for example in webhook.examples:
            value = json.loads(json.dumps(example.value))
            query = query_for(webhook.command)
            for node in nodes(contract, schema, value):
                if not node.path:
                    continue
                where = f"{example.name}:{node.field()}"
                if node.required_by_parent:
                    yield f"{where} dropped", query, mutate(value, node.path, delete=True)
                if not isinstance(node.value, (dict, list)):
                    wrong = wrong_type_value(node.schema)
                    if wrong is not None:
                        yield f"{where} wrong type", query, mutate(value, node.path, wrong)
            other = next(w for w in contract.webhooks if w.command != webhook.command)
            yield f"{example.name}: query names {other.name}", query_for(other.command), value


CASES = list(_cases())


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with start_server() as running:
        yield running


def test_every_mutation_is_a_case() -> None:
    """The walk found something to mutate in every example (an empty walk would pass vacuously)."""
    labelled = {label.split(":")[0] for label, _, _ in CASES}
    assert labelled == {e.name for w in contract.webhooks for e in w.examples}
    assert len(CASES) > 3 * len(labelled)


def test_the_mock_and_validate_name_the_same_fields(server: RunningServer) -> None:
    differ: list[str] = []
    with httpx.Client(base_url=server.url, timeout=10.0) as client:
        for label, query, body in CASES:
            raw = json.dumps(body, ensure_ascii=False).encode()
            answer = client.post("/", params=query, content=raw, headers={"content-type": "application/json"})
            expected = {v.field for v in validator.check_request(query, raw, "application/json")}
            assert expected, f"{label}: the mutation broke nothing, so it tests nothing"
            assert answer.status_code == 400, f"{label}: {answer.status_code} {answer.text[:200]}"
            got = {e["field"] for e in answer.json()["errors"]}
            if got != expected:
                differ.append(f"{label}: mock {sorted(got)} validate {sorted(expected)}")
    assert not differ, "\n".join(differ)
