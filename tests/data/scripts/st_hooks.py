"""schemathesis hooks for running `schemathesis run` against the mock (loaded via SCHEMATHESIS_HOOKS).

A schema-valid delivery names its webhook twice (query and body) and the two must agree, which
no schema states; the hook copies the body's command into the query for positive cases, as the
vendor does. Names come from the contract.
"""

from __future__ import annotations

import json
import os
from typing import Any

import schemathesis
import yaml
from schemathesis.core.parameters import ParameterLocation

from mockserver.contract import load_contract
from mockserver.server.budgets import SCRIPT_BUDGET

_CONTRACT = load_contract()
_QUERY = _CONTRACT.parameter("command").name
_BODY = _CONTRACT.command_field


WAIT_CAP_S = 0.0
"""The longest long poll the admin run makes: `GET /requests/wait` holds its answer up to `timeout`
seconds, and the coverage phase sends the maximum (10 s) time after time. The answer's shape is
what this run checks (a zero timeout answers at once, with the count so far); waiting itself is
tested in tests/test_server_serve.py."""


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """Caps a long poll's `timeout` (every phase calls this hook, unlike the generation hooks)."""
    timeout = case.query.get("timeout") if case.path == "/requests/wait" and isinstance(case.query, dict) else None
    if isinstance(timeout, (int, float, str)) and not isinstance(timeout, bool):
        try:
            seconds = float(timeout)
        except ValueError:
            return  # not a number: the 400 it gets is what the run checks
        if seconds > WAIT_CAP_S:
            case.query["timeout"] = WAIT_CAP_S


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    if (
        isinstance(case.body, dict)
        and isinstance(case.body.get(_BODY), str)
        and isinstance(case.query, dict)
        and not case.meta.is_negative_at(ParameterLocation.QUERY)
    ):
        case.query[_QUERY] = case.body[_BODY]
    return case


def _open_tags() -> dict[str, frozenset[str]]:
    """Discriminator property -> its mapped tags, for every union with a catch-all branch."""
    out: dict[str, frozenset[str]] = {}
    for schema in _CONTRACT.document["components"]["schemas"].values():
        discriminator = schema.get("discriminator")
        if not discriminator or "oneOf" not in schema:
            continue
        mapped = set(discriminator.get("mapping", {}).values())
        if any(branch.get("$ref") not in mapped for branch in schema["oneOf"]):
            out[discriminator["propertyName"]] = frozenset(discriminator["mapping"])
    return out


_OPEN_TAGS = _open_tags()
_NO_EMPTY = frozenset(p.name for p in _CONTRACT.parameters if not p.allow_empty)


def _unmapped_tag(node: Any) -> bool:
    """Whether some object in `node` carries a catch-all union's tag that its mapping lacks."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _OPEN_TAGS and isinstance(value, str) and value not in _OPEN_TAGS[key]:
                return True
        return any(_unmapped_tag(value) for value in node.values())
    if isinstance(node, list):
        return any(_unmapped_tag(item) for item in node)
    return False


_YAML_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
"""What schemathesis serialises a YAML body with (libyaml's dumper when PyYAML has it)."""


def _maybe_over_budget(body: Any) -> bool:
    """Whether `body`, however schemathesis serialises it (JSON or YAML), may pass the script size budget."""
    if not isinstance(body, (dict, list)):
        return False
    sizes = (
        len(json.dumps(body)),
        len(json.dumps(body, ensure_ascii=False).encode()),
        len(yaml.dump(body, Dumper=_YAML_DUMPER).encode()),
    )
    return max(sizes) > SCRIPT_BUDGET.script_bytes


def _disagreement(case: Any) -> str | None:
    """Which documented disagreement `case` falls under, if any (see `filter_case`)."""
    negative = bool(case.meta and case.meta.generation.mode.is_negative)
    if case.path.startswith("/scripts") and _maybe_over_budget(case.body):
        return "admin body over the script size budget (413 by design)"
    if negative and _unmapped_tag(case.body):
        return "catch-all element tag"
    if not negative and isinstance(case.query, dict) and any(case.query.get(name) == "" for name in _NO_EMPTY):
        return "empty value without allowEmptyValue"
    return None


@schemathesis.hook
def filter_case(context: Any, case: Any) -> bool:
    """Drop exactly the cases where schemathesis and the contract disagree by design.

    schemathesis' idea of valid differs from the contract's in two documented places, each
    detected from the case itself: it pins a discriminator branch, so a negative case whose
    message element has a tag outside the mapping is in fact valid (the contract's catch-all
    branch takes it); and it ignores `allowEmptyValue: false`, so a positive case with an empty
    value for such a parameter is in fact invalid. On the admin API, a script body over the size
    budget is refused with 413, a status schemathesis does not expect. Every other case is kept
    and must be answered as schemathesis expects. Each decision is appended to the file named by ST_HOOKS_LOG, so the
    test can check that only a few cases are dropped.
    """
    reason = _disagreement(case)
    log = os.environ.get("ST_HOOKS_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as out:
            mode = "negative" if case.meta and case.meta.generation.mode.is_negative else "positive"
            out.write(f"dropped {mode}: {reason}\n" if reason else f"kept {mode}\n")
    return reason is None
