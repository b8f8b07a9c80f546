"""Script predicates: tests over the values at a path of a delivery's body or query.

A predicate is compiled once when its script is loaded: its path must exist in some request of
the rule's webhooks (a misspelled name would make a rule that silently never fires), its
operator and argument are checked, and a regular expression is compiled with the `regex` engine,
whose searches can be stopped. Matching one delivery runs under a deadline (`match_ms`), which a
regex search also respects.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import regex

from mockserver.contract import Contract, FieldPath, Webhook
from mockserver.errors import ScriptError
from mockserver.server.budgets import ScriptBudget

__all__ = ["Predicate", "check_path", "predicate"]

_OPERATORS = ("eq", "in", "contains", "regex", "exists")


@dataclass(frozen=True)
class Predicate:
    source: str  # "body" or "query"
    path: FieldPath
    test: Callable[[list[Any], float], bool]
    """Whether the values at `path` satisfy the predicate; the float is the matching deadline."""

    def holds(self, body: Any, query: Mapping[str, str], deadline: float) -> bool:
        return self.test(self.path.values(body if self.source == "body" else query), deadline)


def predicate(source: str, path: FieldPath, spec: Any, budget: ScriptBudget) -> Predicate:
    norm: Callable[[Any], Any] = (
        (lambda v: v)
        if source == "body"
        else (lambda v: v if isinstance(v, str) else json.dumps(v) if isinstance(v, bool) else str(v))
    )
    if not isinstance(spec, dict):
        spec = {"eq": spec}
    if len(spec) != 1 or next(iter(spec)) not in _OPERATORS:
        raise ValueError(f"a predicate is a value or one of {{{', '.join(_OPERATORS)}: ...}}, not {spec!r}")
    op, arg = next(iter(spec.items()))
    test: Callable[[list[Any], float], bool]
    if op == "eq":
        want = norm(arg)
        test = lambda values, _: any(v == want for v in values)  # noqa: E731
    elif op == "in":
        if not isinstance(arg, list):
            raise ValueError("'in' takes a list")
        wanted = [norm(a) for a in arg]
        test = lambda values, _: any(v in wanted for v in values)  # noqa: E731
    elif op == "contains":
        want = norm(arg)
        test = lambda values, _: any(v == want or (isinstance(v, list) and want in v) for v in values)  # noqa: E731
    elif op == "regex":
        if not isinstance(arg, str):
            raise ValueError("'regex' takes a string")
        try:
            pattern = regex.compile(arg)
        except regex.error as exc:
            raise ValueError(f"bad regular expression {arg!r}: {exc}") from None
        test = lambda values, deadline: any(  # noqa: E731
            isinstance(v, str) and _search(pattern, v, deadline, budget) for v in values
        )
    else:
        if not isinstance(arg, bool):
            raise ValueError("'exists' takes true or false")
        test = lambda values, _: bool(values) == arg  # noqa: E731
    return Predicate(source, path, test)


def _search(pattern: regex.Pattern[str], value: str, deadline: float, budget: ScriptBudget) -> bool:
    """Search with the `regex` engine's timeout: Python's `re` cannot be stopped, so a catastrophic
    pattern (``^(a|aa)+$``) on a hostile value would stall every request."""
    timeout = min(budget.regex_ms / 1000, deadline - time.perf_counter())
    try:
        return pattern.search(value, timeout=max(timeout, 0.0)) is not None
    except TimeoutError:
        raise ScriptError(
            f"the regular expression {pattern.pattern!r} took over {timeout * 1000:.0f} ms on a value of"
            f" {len(value)} characters (catastrophic backtracking?)",
            field="script",
        ) from None


def check_path(contract: Contract, source: str, path: FieldPath, webhooks: Sequence[Webhook]) -> None:
    """Refuse a predicate path the deliveries cannot have: a misspelled name would never match."""
    if source == "query":
        known = [p.name for p in contract.parameters]
        if path.text not in known:
            raise ValueError(f"{path.text!r} is not a query parameter of the contract; it has {', '.join(known)}")
        return
    roots = [{"$ref": w.request_ref} for w in webhooks]
    if any(_schema_has(contract, root, path.segments) for root in roots):
        return
    # Name the first segment no request has, so the typo is easy to spot.
    depth = next(
        k
        for k in range(1, len(path.segments) + 1)
        if not any(_schema_has(contract, r, path.segments[:k]) for r in roots)
    )
    wrong = path.segments[depth - 1]
    prefix = "".join(f"[{s}]" if s == "*" or isinstance(s, int) else f".{s}" for s in path.segments[: depth - 1])
    where = prefix.lstrip(".") or "the top level"
    names = "the request of " + (webhooks[0].command if len(webhooks) == 1 else "any webhook")
    raise ValueError(f"{names} has no field {wrong!r} at {where} (misspelled?); the rule could never match")


def _schema_options(contract: Contract, node: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The schemas a value at `node` may follow: `$ref` followed, oneOf/anyOf/allOf branches spread out."""
    node = contract.follow(node)
    branches = [*node.get("oneOf", ()), *node.get("anyOf", ()), *node.get("allOf", ())]
    if not branches:
        return [node]
    out = [node] if "properties" in node or "items" in node else []
    for branch in branches:
        out.extend(_schema_options(contract, branch))
    return out


def _schema_has(contract: Contract, node: Mapping[str, Any], segments: Sequence[str | int]) -> bool:
    """Whether some document valid against `node` can have a value at `segments`."""
    if not segments:
        return True
    head, rest = segments[0], segments[1:]
    for option in _schema_options(contract, node):
        kind = option.get("type")
        if isinstance(head, str) and head != "*":
            properties = option.get("properties")
            if properties is None:
                if kind in (None, "object") and "items" not in option:
                    return True  # a free-form object: any name may be there
                continue
            if head in properties and _schema_has(contract, properties[head], rest):
                return True
            extra = option.get("additionalProperties")
            if isinstance(extra, Mapping) and _schema_has(contract, extra, rest):
                return True
        elif "items" in option:
            if _schema_has(contract, option["items"], rest):
                return True
        elif kind in (None, "array") and "properties" not in option:
            return True
    return False
