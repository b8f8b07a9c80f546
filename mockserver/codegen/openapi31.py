"""The contract rendered as OpenAPI 3.1, with one top-level webhook per command.

OpenAPI 3.0 has no way to say "the vendor calls you", so the contract describes the webhook URL
as one `POST /` operation. 3.1 tools read `webhooks` instead; this module derives that view:
each command becomes a named webhook whose operation is `Contract.webhook_operation` (its own
event schema, examples and answer, the command parameter pinned; the fuzzer derives its
per-webhook operations from the same projection). Components are carried over unchanged (the
contract uses no 3.0-only keyword such as `nullable`), so both documents stay in step.
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


def to_openapi31(contract: Contract) -> dict[str, Any]:
    """The 3.1 document as a dict: info, servers, tags and components kept, `paths` replaced by `webhooks`."""
    source = contract.document
    document: dict[str, Any] = {"openapi": "3.1.0"}
    for key in ("info", "externalDocs", "servers", "tags"):
        if key in source:
            document[key] = copy.deepcopy(source[key])
    document["webhooks"] = {hook.command: {contract.method: contract.webhook_operation(hook)} for hook in contract}
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
