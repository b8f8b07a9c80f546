"""JSON Schema validation that reads the contract's discriminators the way a person would.

openapi-schema-validator already selects a `oneOf` branch by the discriminator's mapping, but a
tag missing from the mapping is reported as "reference ... could not be resolved", and a
catch-all branch (an element type the vendor adds later) is never tried. The keyword below
selects the mapped branch in one lookup, falls back to the branches no mapping points at, and
names the tag field when nothing fits. One validator class serves openapi-core, connexion and
the kit's own checks, so all three report the same field paths.
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from jsonschema import ValidationError
from jsonschema import _keywords as _jsonschema_keywords
from jsonschema.validators import extend
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator
from openapi_schema_validator._format import oas30_format_checker

__all__ = [
    "EXPLAIN_BUDGET_S",
    "EXPLAIN_LIMIT",
    "OutOfTime",
    "RequestSchemaValidator",
    "ResponseSchemaValidator",
    "Violation",
    "explaining",
    "format_path",
    "violations_of",
]

EXPLAIN_LIMIT = 20
"""Violations named in one refusal; past that, the refusal says more were left unnamed.

A body of 30,000 wrong items would otherwise be answered with a multi-megabyte problem document
after seconds of work, while the sender needs the first few to find its bug."""

EXPLAIN_BUDGET_S = 0.25
"""Seconds of CPU an explanation may spend walking a document before it stops and reports what it found.

CPU time of the explaining thread, not wall time: the budget bounds the work a refusal costs,
and a walk that waits for the GIL or for a core on a busy machine has not done more of it (with a
wall-clock deadline, a loaded machine can cut short a walk of milliseconds: a full test run
under load once refused a body without naming its field, most likely so)."""

_DEADLINE: ContextVar[float] = ContextVar("mockserver_explain_deadline", default=float("inf"))


class OutOfTime(Exception):
    """An explanation passed its deadline (see `explaining`); internal to the checking engine."""


@contextlib.contextmanager
def explaining(budget_s: float = EXPLAIN_BUDGET_S) -> Iterator[None]:
    """Run schema walks inside with a deadline: past it, the next keyword raises `OutOfTime`.

    The compiled validator decides in microseconds; only the Python walk that names the fields
    can take long (a 1 MiB body of valid items with one wrong one at the end). The check sits on
    the keywords that descend (`properties`, `items`, `oneOf`, ...), so it costs one clock read
    per step and no walk outlives its budget by more than one step.
    """
    token = _DEADLINE.set(time.thread_time() + budget_s)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


@dataclass(frozen=True, order=True)
class Violation:
    """One way a delivery breaks the contract: the field (``body.A[0].B``, ``query.Sign``) and why."""

    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "reason": self.reason}


def _discriminated_one_of(
    validator: Any, one_of: Sequence[Mapping[str, Any]], instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    discriminator = schema.get("discriminator")
    if not isinstance(discriminator, Mapping):
        yield from _jsonschema_keywords.oneOf(validator, one_of, instance, schema)
        return
    if not validator.is_type(instance, "object"):
        yield ValidationError(f"{instance!r} is not of type 'object'", validator="type", validator_value="object")
        return
    tag_field = discriminator["propertyName"]
    mapping: Mapping[str, str] = discriminator.get("mapping", {})
    if tag_field not in instance:
        yield ValidationError(
            f"{tag_field!r} is a required property", validator="required", validator_value=[tag_field]
        )
        return
    tag = instance[tag_field]
    if not validator.is_type(tag, "string"):
        yield ValidationError(f"{tag!r} is not of type 'string'", validator="type", path=deque([tag_field]))
        return
    if tag in mapping:
        yield from validator.descend(instance, {"$ref": mapping[tag]}, schema_path=mapping[tag])
        return
    targets = set(mapping.values())
    fallbacks = [branch for branch in one_of if branch.get("$ref") not in targets]
    if len(fallbacks) == 1:
        yield from validator.descend(instance, fallbacks[0])
        return
    if fallbacks:
        yield from _jsonschema_keywords.oneOf(validator, fallbacks, instance, schema)
        return
    yield ValidationError(
        f"{tag!r} is not one of {sorted(mapping)}",
        validator="enum",
        validator_value=sorted(mapping),
        path=deque([tag_field]),
    )


def _on_the_clock(keyword: Any) -> Any:
    def timed(validator: Any, value: Any, instance: Any, schema: Mapping[str, Any]) -> Iterator[ValidationError]:
        if time.thread_time() > _DEADLINE.get():
            raise OutOfTime
        yield from keyword(validator, value, instance, schema)

    return timed


_DESCENDING = ("properties", "items", "anyOf", "allOf", "additionalProperties", "oneOf")


def _keywords(base: Any) -> dict[str, Any]:
    """`base`'s descending keywords on the clock, with the discriminator-aware `oneOf`."""
    keywords = {name: base.VALIDATORS[name] for name in _DESCENDING if name in base.VALIDATORS}
    keywords["oneOf"] = _discriminated_one_of
    return {name: _on_the_clock(keyword) for name, keyword in keywords.items()}


RequestSchemaValidator: Any = extend(OAS30WriteValidator, _keywords(OAS30WriteValidator))
"""Validates what a sender writes (request bodies): discriminator-aware, OpenAPI 3.0 types."""

ResponseSchemaValidator: Any = extend(OAS30ReadValidator, _keywords(OAS30ReadValidator))
"""Validates what a receiver answers (response bodies)."""


def format_path(root: str, path: Iterable[str | int]) -> str:
    """``body`` + ``["MsgBody", 0, "MsgType"]`` -> ``body.MsgBody[0].MsgType``."""
    out = root
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _field_of(error: ValidationError, root: str) -> str:
    path = list(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, Mapping):
        # jsonschema reports a missing property at its parent; name the property itself.
        missing = [name for name in error.validator_value if name not in error.instance]
        for name in missing:
            if repr(name) in error.message:
                path.append(name)
                break
    return format_path(root, path)


def _reason_of(error: ValidationError) -> str:
    if error.validator in {
        "type",
        "enum",
        "pattern",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "format",
        "not",
    }:
        # jsonschema's message starts with the offending value; keep it short for big values.
        instance = repr(error.instance)
        if len(instance) > 60:
            return str(error.message).replace(instance, instance[:57] + "...", 1)
    return str(error.message)


def violations_of(errors: Iterable[ValidationError], root: str) -> list[Violation]:
    """Turn jsonschema errors into sorted, de-duplicated violations rooted at `root`."""
    found: set[Violation] = set()
    for error in errors:
        found.add(Violation(_field_of(error, root), _reason_of(error)))
    return sorted(found)


def make_validator(cls: Any, schema: Mapping[str, Any], components: Mapping[str, Any] | None) -> Any:
    """A validator for one schema of the contract whose `#/components/...` refs resolve."""
    root = dict(schema)
    if components is not None:
        root["components"] = components
    return cls(root, format_checker=oas30_format_checker)
