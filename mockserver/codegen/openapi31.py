"""The contract rendered as OpenAPI 3.1, with one top-level webhook per command.

OpenAPI 3.0 has no way to say "the vendor calls you", so the contract describes the webhook URL
as one `POST /` operation. 3.1 tools read `webhooks` instead; this module derives that view:
each command becomes a named webhook whose request body is its own event schema, whose
command parameter is pinned to that one value, whose examples are its own, and whose 200
answer is the one response schema that answers it. Components are carried over unchanged
(the contract uses no 3.0-only keyword such as `nullable`), so both documents stay in step.
"""

from __future__ import annotations

import copy
from typing import Any

import yaml

from mockserver.contract import Contract

__all__ = ["render_openapi31", "to_openapi31"]

_NOTE = (
    "# Generated from openapi.yaml by `mockserver generate openapi31`; do not edit, regenerate.\n"
    "# The same contract as OpenAPI 3.1: one top-level webhook per command.\n"
)


def _webhook_operation(contract: Contract, index: int) -> dict[str, Any]:
    hook = contract.webhooks[index]
    operation = contract.operation
    media = operation["requestBody"]["content"]["application/json"]
    examples = {
        name: copy.deepcopy(example)
        for name, example in media.get("examples", {}).items()
        if example.get("value", {}).get(contract.command_field) == hook.command
    }
    command_param = contract.parameter("command")
    parameters: list[Any] = []
    for raw in operation.get("parameters", []):
        param = contract.resolve(raw["$ref"]) if "$ref" in raw else raw
        if param.get("name") == command_param.name:
            pinned = {key: copy.deepcopy(value) for key, value in param.items() if key not in ("schema", "example")}
            pinned["schema"] = {"type": "string", "enum": [hook.command]}
            pinned["example"] = hook.command
            parameters.append(pinned)
        else:
            parameters.append(copy.deepcopy(raw))
    responses: dict[str, Any] = {
        "200": {
            "description": f"The answer to {hook.command}.",
            "content": {"application/json": {"schema": {"$ref": hook.response_ref}}},
        }
    }
    for status, response in operation.get("responses", {}).items():
        if str(status) != "200":
            responses[str(status)] = copy.deepcopy(response)
    result: dict[str, Any] = {
        "operationId": hook.name,
        "summary": hook.title or hook.name,
        "description": hook.description,
        "tags": copy.deepcopy(operation.get("tags", [])),
        "parameters": parameters,
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": hook.request_ref}, "examples": examples}},
        },
        "responses": responses,
    }
    for key, value in operation.items():
        if key.startswith("x-"):
            result[key] = copy.deepcopy(value)
    if hook.docs:
        result["externalDocs"] = {"url": hook.docs}
    return {"post": result}


def to_openapi31(contract: Contract) -> dict[str, Any]:
    """The 3.1 document as a dict: info, servers, tags and components kept, `paths` replaced by `webhooks`."""
    source = contract.document
    document: dict[str, Any] = {"openapi": "3.1.0"}
    for key in ("info", "externalDocs", "servers", "tags"):
        if key in source:
            document[key] = copy.deepcopy(source[key])
    document["webhooks"] = {hook.command: _webhook_operation(contract, i) for i, hook in enumerate(contract.webhooks)}
    document["components"] = copy.deepcopy(source["components"])
    return document


class _Dumper(yaml.SafeDumper):
    """Multi-line text as literal blocks (readable diffs), everything else as PyYAML writes it."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def render_openapi31(contract: Contract) -> str:
    """The 3.1 document as YAML text, deterministic (contract order, no timestamps)."""
    body = yaml.dump(to_openapi31(contract), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return _NOTE + body
