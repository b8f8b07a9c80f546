"""Walks contract examples alongside their schemas, so tests can mutate every field generically.

Tests must not name fields (the contract is the single source), so instead of writing "drop
Official_Account" they ask this module for every required field, every leaf and every
constraint of an example, each with the path a violation should name.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from mockserver.contract import Contract
from mockserver.schema import format_path

__all__ = ["Node", "discriminator_fields", "mutate", "nodes", "out_of_range_values", "wrong_type_value"]


@dataclass(frozen=True)
class Node:
    """A value inside an example, its (dereferenced) schema, and where it sits."""

    path: tuple[str | int, ...]
    value: Any
    schema: Mapping[str, Any]
    required_by_parent: bool

    def field(self, root: str = "body") -> str:
        return format_path(root, self.path)


def _branch(contract: Contract, schema: Mapping[str, Any], value: Any) -> Mapping[str, Any]:
    """Follow a discriminated oneOf to the branch `value` selects (raw schema, refs intact)."""
    while "oneOf" in schema and isinstance(value, Mapping):
        discriminator = schema.get("discriminator", {})
        mapping = discriminator.get("mapping", {})
        tag = value.get(discriminator.get("propertyName"))
        if tag in mapping:
            schema = contract.resolve(mapping[tag])
        else:
            targets = set(mapping.values())
            fallback = [b for b in schema["oneOf"] if b.get("$ref") not in targets]
            schema = contract.follow(fallback[0])
    return schema


def nodes(contract: Contract, schema: Mapping[str, Any], value: Any) -> Iterator[Node]:
    """Every node of `value` (depth first), paired with the schema that governs it."""

    def walk(schema: Mapping[str, Any], value: Any, path: tuple[str | int, ...], required: bool) -> Iterator[Node]:
        schema = _branch(contract, contract.follow(schema), value)
        yield Node(path, value, schema, required)
        if isinstance(value, Mapping):
            props = schema.get("properties", {})
            needed = set(schema.get("required", []))
            for key, item in value.items():
                if key in props:
                    yield from walk(props[key], item, (*path, key), key in needed)
        elif isinstance(value, list) and "items" in schema:
            for index, item in enumerate(value):
                yield from walk(schema["items"], item, (*path, index), False)

    yield from walk(schema, value, (), False)


def discriminator_fields(contract: Contract) -> set[str]:
    """The tag properties of every discriminated union in the contract."""
    schemas = contract.document["components"]["schemas"].values()
    return {s["discriminator"]["propertyName"] for s in schemas if "discriminator" in s}


def mutate(document: Any, path: tuple[str | int, ...], new: Any = ..., delete: bool = False) -> Any:
    """A deep copy of `document` with the node at `path` replaced or deleted."""
    copied = copy.deepcopy(document)
    parent = copied
    for part in path[:-1]:
        parent = parent[part]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return copied


def wrong_type_value(schema: Mapping[str, Any]) -> Any:
    """A JSON value of a type the schema does not allow."""
    kind = schema.get("type")
    return {
        "string": 12345,
        "integer": "12345",
        "number": "1.5",
        "boolean": "yes",
        "array": {"x": 1},
        "object": ["x"],
    }.get(str(kind))


def out_of_range_values(schema: Mapping[str, Any], value: Any) -> Iterator[tuple[str, Any]]:
    """Values that break one bound of `schema` each, named by the keyword they break."""
    if "enum" in schema:
        sample = schema["enum"][0]
        yield "enum", (max(schema["enum"]) + 7) if isinstance(sample, int) else f"not-{sample}"
    if "maximum" in schema:
        yield "maximum", schema["maximum"] + 1
    if "minimum" in schema:
        yield "minimum", schema["minimum"] - 1
    if "maxLength" in schema:
        yield "maxLength", "x" * (schema["maxLength"] + 1)
    if schema.get("minLength", 0) > 0:
        yield "minLength", ""
    if "pattern" in schema and isinstance(value, str):
        yield "pattern", " " + value + " !"
    if "maxItems" in schema and isinstance(value, list) and value:
        yield "maxItems", [copy.deepcopy(value[0]) for _ in range(schema["maxItems"] + 1)]
    if schema.get("minItems", 0) > 0:
        yield "minItems", []
