"""The contract: `openapi.yaml`, loaded once and exposed as the webhooks it describes.

Everything else in the kit asks this module for commands, fields, roles and examples instead of
naming them, so that the YAML file stays the single source of truth. The objects here are plain,
immutable views over the document; nothing below this module knows about HTTP.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

import yaml

from mockserver.errors import ContractError, UnknownCommand

__all__ = [
    "INT_FORMATS",
    "OUTCOMES",
    "STATE_CHANGES",
    "Contract",
    "ContractError",
    "Effect",
    "Example",
    "FieldPath",
    "Follows",
    "Parameter",
    "SigningRule",
    "UnknownCommand",
    "VendorValue",
    "Webhook",
    "bundled_contract_path",
    "load_contract",
]

Kind = Literal["before", "after"]
JSON = Any

OUTCOMES = frozenset({"allow", "reject", "drop", "ignored"})
"""What the Chat backend can do with an answer (`x-vendor-values` outcomes; see the contract's info)."""

INT_FORMATS: Mapping[str, tuple[int, int]] = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
"""The ranges OpenAPI's integer formats stand for (the models and the compiled validator enforce them)."""

STATE_CHANGES: Mapping[str, frozenset[str]] = {
    "account": frozenset({"create", "update", "destroy", "full"}),
    "subscribers": frozenset({"add", "remove"}),
    "messages": frozenset({"add", "remove"}),
}
"""What an "after" webhook can announce (`x-webhook.state`): a subject and its change."""

# libyaml is several times faster; the pure-Python loader gives the same result.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class FieldPath:
    """A path into a JSON document, in the notation the contract's extensions use.

    ``SubscribeAccountList[*].Subscriber_Account``: names separated by dots, each optionally
    followed by ``[*]`` (every item) or ``[n]`` (one item). `x-subset-of` is written this way and
    so are script predicates; one parser serves every reader so they cannot drift apart.
    """

    text: str
    segments: tuple[str | int, ...]
    """Property names, item indexes, and ``"*"`` for every item."""

    @classmethod
    def parse(cls, text: str) -> FieldPath:
        segments: list[str | int] = []
        for part in text.split("."):
            match = _PATH_SEGMENT.fullmatch(part)
            if match is None:
                raise ContractError(f"{text!r} is not a field path (names with [*] or [n], separated by dots)")
            segments.append(match.group(1))
            segments.extend("*" if index == "*" else int(index) for index in _PATH_INDEX.findall(match.group(2)))
        return cls(text, tuple(segments))

    def values(self, document: JSON) -> list[JSON]:
        """Every value at this path in `document` (none when the path does not exist there)."""
        found: list[JSON] = [document]
        for segment in self.segments:
            step: list[JSON] = []
            for node in found:
                if segment == "*":
                    if isinstance(node, list):
                        step.extend(node)
                elif isinstance(segment, int):
                    if isinstance(node, list) and -len(node) <= segment < len(node):
                        step.append(node[segment])
                elif isinstance(node, Mapping) and segment in node:
                    step.append(node[segment])
            found = step
        return found

    @property
    def names(self) -> tuple[str, ...]:
        """The property names along the path (indexes and ``*`` left out)."""
        return tuple(s for s in self.segments if isinstance(s, str) and s != "*")

    def __str__(self) -> str:
        return self.text


_PATH_SEGMENT = re.compile(r"([^.\[\]]+)((?:\[(?:\*|\d+)\])*)")
_PATH_INDEX = re.compile(r"\[(\*|\d+)\]")


@dataclass(frozen=True)
class Parameter:
    """A query parameter the vendor appends to the webhook URL."""

    name: str
    role: str
    required: bool
    allow_empty: bool
    schema: Mapping[str, JSON]
    description: str
    example: JSON


@dataclass(frozen=True)
class SigningRule:
    """How `Sign` is computed, read from the operation's `x-signing` extension."""

    algorithm: str
    message: str
    signature_parameter: str
    timestamp_parameter: str
    replay_window_seconds: float
    vector: Mapping[str, JSON]


@dataclass(frozen=True)
class VendorValue:
    """One entry of `x-vendor-values`: a value (or an inclusive range of them) and what it makes the vendor do."""

    low: int
    high: int
    outcome: str
    """`allow`, `reject`, `drop` or `ignored` (one of `OUTCOMES`)."""
    meaning: str
    caller_error: int | None = None
    """The error code the vendor gives the caller of the operation (`callerError`), when it names one."""
    pass_through: bool = False
    """The caller gets the answer's own error code and error info (`passThrough`: app-defined codes)."""

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and self.low <= value <= self.high

    @property
    def label(self) -> str:
        """The key as the contract writes it: ``0`` or ``120001-130000``."""
        return str(self.low) if self.low == self.high else f"{self.low}-{self.high}"

    @classmethod
    def parse(cls, key: object, entry: object, where: str) -> VendorValue:
        match = _VALUE_KEY.fullmatch(str(key))
        if match is None:
            raise ContractError(f"{where}: x-vendor-values key {key!r} is neither an integer nor a range low-high")
        low = int(match.group(1))
        high = low if match.group(2) is None else int(match.group(2))
        if high < low:
            raise ContractError(f"{where}: x-vendor-values range {key!r} is empty")
        if not isinstance(entry, Mapping) or entry.get("outcome") not in OUTCOMES:
            raise ContractError(f"{where}: x-vendor-values {key!r} needs an outcome, one of {sorted(OUTCOMES)}")
        caller = entry.get("callerError")
        return cls(
            low,
            high,
            str(entry["outcome"]),
            str(entry.get("meaning", "")),
            None if caller is None else int(caller),
            bool(entry.get("passThrough", False)),
        )


_VALUE_KEY = re.compile(r"(-?\d+)(?:-(-?\d+))?")


@dataclass(frozen=True)
class Effect:
    """An `x-webhook.effects` entry: how an allowing answer changes the operation a "before" webhook announced."""

    answer: FieldPath
    """Where the value is in the answer."""
    action: Literal["replace", "exclude"]
    """`replace`: the answer's value takes the target's place; `exclude`: items it lists leave the target's list."""
    target: FieldPath
    """The field of the event (the operation) it changes."""


@dataclass(frozen=True)
class Follows:
    """`x-webhook.follows`: the webhook whose delivery this one comes after, and what it carries over."""

    command: str
    when: frozenset[str] | None
    """The outcomes of that webhook's answer after which this one fires; None: whatever the answer."""
    carry: tuple[str, ...]
    """Fields copied from that webhook's event, as its answer's effects left them."""
    condition: str = ""
    """Anything else the vendor waits for, in words."""


@dataclass(frozen=True)
class Example:
    """A named request example; `webhook` is derived from the value's discriminator."""

    name: str
    command: str
    summary: str
    value: Mapping[str, JSON]


@dataclass(frozen=True)
class Webhook:
    """One webhook: its command, its event schema and the one response schema that answers it."""

    command: str
    name: str
    kind: Kind
    on_failure: str
    title: str
    description: str
    docs: str
    request_ref: str
    response_ref: str
    default_response: Mapping[str, JSON]
    examples: tuple[Example, ...]
    response_roles: Mapping[str, str] = field(default_factory=dict)
    """Response field name by `x-role` (e.g. ``"error-code"`` -> the error code field)."""
    vendor_values: Mapping[str, tuple[VendorValue, ...]] = field(default_factory=dict)
    """Response field -> the values the vendor defines for this webhook (`x-vendor-values`)."""
    subset_of: Mapping[str, FieldPath] = field(default_factory=dict)
    """Response field -> request path whose values it may only repeat (`x-subset-of`)."""
    effects: tuple[Effect, ...] = ()
    """What an allowing answer changes in the operation (`x-webhook.effects`)."""
    follows: Follows | None = None
    """The webhook this one is fired after (`x-webhook.follows`), if any."""
    state: Mapping[str, str] = field(default_factory=dict)
    """What the operation an "after" webhook announces did (`x-webhook.state`): subject -> change."""
    roles: Mapping[str, FieldPath] = field(default_factory=dict)
    """Where each `x-role` of the event's fields is (``subscriber`` -> the path of a list's user IDs)."""

    @property
    def error_code_values(self) -> tuple[VendorValue, ...]:
        """The vendor's values of the answer's error code (empty when the contract defines none)."""
        return self.vendor_values.get(self.response_roles.get("error-code", ""), ())

    def vendor_value(self, code: object) -> VendorValue | None:
        """The vendor's entry for an error code of this webhook's answer; None for a code it does not define."""
        return next((value for value in self.error_code_values if code in value), None)

    @property
    def response_name(self) -> str:
        return self.response_ref.rsplit("/", 1)[-1]

    @property
    def can_refuse(self) -> bool:
        return self.kind == "before"

    def example(self, name: str | None = None) -> Example:
        """The example called `name`, or the first (the vendor's sample) when `name` is None."""
        if name is None:
            return self.examples[0]
        for example in self.examples:
            if example.name == name:
                return example
        raise KeyError(f"{self.command} has no example {name!r} ({', '.join(e.name for e in self.examples)})")


class Contract:
    """The parsed `openapi.yaml`, with the webhook view the kit works from."""

    def __init__(self, document: Mapping[str, JSON], source: str = "<dict>") -> None:
        self.document: Mapping[str, JSON] = document
        self.source = source
        self.path, self.method, self.operation = self._single_operation()
        self.parameters: tuple[Parameter, ...] = tuple(self._parameters())
        body_schema = self.follow(self.operation["requestBody"]["content"]["application/json"]["schema"])
        discriminator = body_schema.get("discriminator")
        if not isinstance(discriminator, Mapping) or "mapping" not in discriminator:
            raise ContractError("the request body schema needs a discriminator with an explicit mapping")
        self.command_field: str = discriminator["propertyName"]
        self.request_schema_ref: str = self.operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        examples = self._examples()
        self.webhooks: tuple[Webhook, ...] = tuple(
            self._webhook(command, ref, examples) for command, ref in discriminator["mapping"].items()
        )
        self._by_command = {w.command: w for w in self.webhooks}
        self._by_name = {w.name: w for w in self.webhooks}
        for webhook in self.webhooks:
            if webhook.follows is not None and webhook.follows.command not in self._by_command:
                raise ContractError(f"{webhook.request_ref}: x-webhook.follows names no webhook of the contract")
        self.signing = self._signing()
        delivery = self.operation.get("x-delivery", {})
        missing = {"timeoutSeconds", "maxBodyBytes"} - set(delivery)
        if missing:
            raise ContractError(f"x-delivery lacks {', '.join(sorted(missing))}")
        self.timeout_seconds: float = float(delivery["timeoutSeconds"])
        """How long the Chat backend waits for an answer (`x-delivery.timeoutSeconds`)."""
        self.max_body_bytes: int = int(delivery["maxBodyBytes"])
        """The largest body a receiver need accept (`x-delivery.maxBodyBytes`); 413 beyond."""
        self.error_statuses: tuple[int, ...] = tuple(
            sorted(int(code) for code in self.operation["responses"] if str(code).startswith("4"))
        )

    # ------------------------------------------------------------------ lookups
    @property
    def commands(self) -> tuple[str, ...]:
        return tuple(w.command for w in self.webhooks)

    def webhook(self, command: object) -> Webhook:
        """The webhook for `command`; raises `UnknownCommand` otherwise."""
        try:
            return self._by_command[command]  # type: ignore[index]
        except (KeyError, TypeError):
            raise UnknownCommand(command, self.commands, tuple(w.name for w in self.webhooks)) from None

    def webhook_named(self, name: str) -> Webhook:
        """The webhook whose event schema is `name` (e.g. ``BeforeAddSubscriber``), or by command."""
        if name in self._by_name:
            return self._by_name[name]
        return self.webhook(name)

    def __iter__(self) -> Iterator[Webhook]:
        return iter(self.webhooks)

    @functools.cached_property
    def unknown_command_answer(self) -> Mapping[str, JSON]:
        """The answer to a command the contract does not describe: what every webhook's default answer says.

        The fields all default answers share with the same value (for the vendor's webhooks:
        processed, no error). The rule holds for any contract, whatever its webhooks answer by
        default; a field one webhook's default answer lacks or sets otherwise is left out.
        """
        first, *others = (webhook.default_response for webhook in self.webhooks)
        return {
            name: value
            for name, value in first.items()
            if all(name in other and other[name] == value for other in others)
        }

    def parameter(self, role: str) -> Parameter:
        """The query parameter playing `role` (its `x-role`), e.g. ``"signature"``."""
        for parameter in self.parameters:
            if parameter.role == role:
                return parameter
        raise ContractError(f"no query parameter has x-role {role!r}")

    def resolve(self, ref: str) -> Mapping[str, JSON]:
        """The object a local JSON pointer (``#/components/...``) points at (one step; see `follow`)."""
        if not ref.startswith("#/"):
            raise ContractError(f"only local references are supported, not {ref!r}")
        node: JSON = self.document
        for token in ref[2:].split("/"):
            token = token.replace("~1", "/").replace("~0", "~")
            try:
                node = node[token]
            except (KeyError, TypeError):
                raise ContractError(f"unresolvable reference {ref!r}") from None
        return cast(Mapping[str, JSON], node)

    def follow(self, node: Mapping[str, JSON]) -> Mapping[str, JSON]:
        """`node` itself, or the object its `$ref` leads to (through references to references).

        The one place the kit follows a `$ref`: every reader of the document (the mock, the
        fuzzer, the generator, the script compiler) goes through here or `followed`.
        """
        return self.followed(node)[1]

    def followed(self, node: Mapping[str, JSON]) -> tuple[str | None, Mapping[str, JSON]]:
        """`follow`, also returning the last reference followed (None when `node` is no reference).

        The reference names the target (``#/components/schemas/Name``); a loop of references
        that never reaches an object is a `ContractError`.
        """
        ref: str | None = None
        seen: set[str] = set()
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            ref = str(node["$ref"])
            if ref in seen:
                raise ContractError(f"the reference {ref!r} leads back to itself")
            seen.add(ref)
            node = self.resolve(ref)
        return ref, node

    @functools.cached_property
    def fingerprint(self) -> str:
        """SHA-256 of the document's canonical JSON: code generated from it records this value,
        so a consumer can tell whether generated models describe the contract it serves."""
        canonical = json.dumps(self.document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def dereferenced(self, node: JSON, *, bounded: bool = False) -> JSON:
        """A deep copy of `node` with every local `$ref` replaced by its target.

        `bounded` also states OpenAPI's `format: int32/int64` as `minimum`/`maximum`, for
        validators that ignore OpenAPI's formats (plain JSON Schema ones, the compiled one).
        """
        inlined = _deref(self, node, ())
        return _with_int_bounds(inlined) if bounded else inlined

    def webhook_operation(self, webhook: Webhook) -> dict[str, JSON]:
        """The operation as it stands for `webhook` alone: a deep copy, free to change.

        The one "one operation per webhook" projection (the 3.1 rendering and the fuzzer both
        use it): the operation id, summary and description are the webhook's, the command
        parameter is pinned to its command, the request body is its own event schema with its
        own examples, the 200 answer is the one response schema that answers it. Everything
        else (tags, the other parameters and answers, `x-` extensions) is the operation's.
        """
        source = self.operation
        command = self.parameter("command").name
        parameters: list[JSON] = []
        for raw in source.get("parameters", []):
            param = self.follow(raw)
            if param.get("name") != command:
                parameters.append(copy.deepcopy(raw))
                continue
            pinned = {key: copy.deepcopy(value) for key, value in param.items() if key not in ("schema", "example")}
            pinned["schema"] = {"type": "string", "enum": [webhook.command]}
            pinned["example"] = webhook.command
            parameters.append(pinned)
        examples = {
            name: copy.deepcopy(example)
            for name, example in source["requestBody"]["content"]["application/json"].get("examples", {}).items()
            if example.get("value", {}).get(self.command_field) == webhook.command
        }
        responses: dict[str, JSON] = {
            "200": {
                "description": f"The answer to {webhook.command}.",
                "content": {"application/json": {"schema": {"$ref": webhook.response_ref}}},
            }
        }
        responses.update((str(s), copy.deepcopy(r)) for s, r in source.get("responses", {}).items() if str(s) != "200")
        operation: dict[str, JSON] = {
            "operationId": webhook.name,
            "summary": webhook.title or webhook.name,
            "description": webhook.description,
            "tags": copy.deepcopy(source.get("tags", [])),
            "parameters": parameters,
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": webhook.request_ref}, "examples": examples}},
            },
            "responses": responses,
        }
        operation.update((key, copy.deepcopy(value)) for key, value in source.items() if key.startswith("x-"))
        if webhook.docs:
            operation["externalDocs"] = {"url": webhook.docs}
        return operation

    def query_example(self, command: str, **overrides: str) -> dict[str, str]:
        """The query string the vendor would send for `command`, from the parameters' examples."""
        query: dict[str, str] = {}
        for parameter in self.parameters:
            if not parameter.required:
                continue
            value = command if parameter.role == "command" else parameter.example
            query[parameter.name] = "" if value is None else str(value)
        query.update(overrides)
        return query

    # ------------------------------------------------------------------ parsing
    def _single_operation(self) -> tuple[str, str, Mapping[str, JSON]]:
        operations = [
            (path, method, op)
            for path, item in self.document.get("paths", {}).items()
            for method, op in item.items()
            if method in {"get", "put", "post", "delete", "patch"}
        ]
        if len(operations) != 1:
            raise ContractError(
                f"the contract must have exactly one operation (the webhook URL), found {len(operations)}"
            )
        return operations[0]

    def _parameters(self) -> Iterator[Parameter]:
        for raw in self.operation.get("parameters", []):
            param = self.follow(raw)
            if param.get("in") != "query":
                continue
            schema = self.follow(param.get("schema", {}))
            yield Parameter(
                name=param["name"],
                role=param.get("x-role", param["name"]),
                required=bool(param.get("required", False)),
                allow_empty=bool(param.get("allowEmptyValue", False)),
                schema=schema,
                description=str(param.get("description", "")).strip(),
                example=param.get("example"),
            )

    def _examples(self) -> dict[str, list[Example]]:
        media = self.operation["requestBody"]["content"]["application/json"]
        by_command: dict[str, list[Example]] = {}
        for name, example in media.get("examples", {}).items():
            value = example["value"]
            command = value.get(self.command_field)
            by_command.setdefault(command, []).append(
                Example(name=name, command=command, summary=str(example.get("summary", "")), value=value)
            )
        return by_command

    def _webhook(self, command: str, ref: str, examples: Mapping[str, list[Example]]) -> Webhook:
        schema = self.resolve(ref)
        meta = schema.get("x-webhook")
        if not isinstance(meta, Mapping):
            raise ContractError(f"{ref} has no x-webhook extension")
        kind = meta.get("kind")
        if kind not in ("before", "after"):
            raise ContractError(f"{ref}: x-webhook.kind must be 'before' or 'after', not {kind!r}")
        response_ref = meta["response"]
        response = self.resolve(response_ref)
        if "example" not in response:
            raise ContractError(f"{response_ref} needs an example: it is the webhook's default answer")
        roles: dict[str, str] = {}
        vendor_values: dict[str, tuple[VendorValue, ...]] = {}
        subset_of: dict[str, FieldPath] = {}
        for prop, prop_schema in response.get("properties", {}).items():
            target = self.follow(prop_schema)
            if "x-role" in target:
                roles[target["x-role"]] = prop
            if "x-vendor-values" in target:
                where = f"{response_ref}.{prop}"
                vendor_values[prop] = tuple(
                    VendorValue.parse(key, entry, where) for key, entry in target["x-vendor-values"].items()
                )
            if "x-subset-of" in target:
                subset_of[prop] = FieldPath.parse(str(target["x-subset-of"]))
        if not examples.get(command):
            raise ContractError(f"{command} has no request example")
        return Webhook(
            command=command,
            name=ref.rsplit("/", 1)[-1],
            kind=kind,
            on_failure=str(meta.get("onFailure", "ignored")),
            title=str(schema.get("title", "")),
            description=str(schema.get("description", "")).strip(),
            docs=str(meta.get("docs", "")),
            request_ref=ref,
            response_ref=response_ref,
            default_response=response["example"],
            examples=tuple(examples[command]),
            response_roles=roles,
            vendor_values=vendor_values,
            subset_of=subset_of,
            effects=tuple(self._effect(ref, response, entry) for entry in meta.get("effects", ())),
            follows=self._follows(ref, meta.get("follows")),
            state=self._state(ref, meta.get("state")),
            roles=dict(self._roles(schema, "", ())),
        )

    def _state(self, ref: str, raw: JSON) -> dict[str, str]:
        if raw is None:
            return {}
        if not isinstance(raw, Mapping) or not all(
            subject in STATE_CHANGES and change in STATE_CHANGES[subject] for subject, change in raw.items()
        ):
            allowed = "; ".join(f"{s}: {'/'.join(sorted(c))}" for s, c in STATE_CHANGES.items())
            raise ContractError(f"{ref}: x-webhook.state maps a subject to its change ({allowed}), not {raw!r}")
        return {str(subject): str(change) for subject, change in raw.items()}

    def _roles(self, node: JSON, path: str, seen: tuple[str, ...]) -> Iterator[tuple[str, FieldPath]]:
        """The `x-role` of every field under `node`, with its path (the nearest role along a `$ref` chain wins)."""
        role: JSON = None
        while isinstance(node, Mapping):
            role = role if role is not None else node.get("x-role")
            ref = node.get("$ref")
            if not isinstance(ref, str) or ref in seen:
                break
            seen, node = (*seen, ref), self.resolve(ref)
        if path and isinstance(role, str):
            yield role, FieldPath.parse(path)
        if not isinstance(node, Mapping):
            return
        if isinstance(node.get("items"), Mapping):
            yield from self._roles(node["items"], f"{path}[*]", seen)
        for name, child in node.get("properties", {}).items():
            yield from self._roles(child, f"{path}.{name}" if path else str(name), seen)

    def _effect(self, ref: str, response: Mapping[str, JSON], entry: JSON) -> Effect:
        if not isinstance(entry, Mapping) or entry.get("action") not in ("replace", "exclude"):
            raise ContractError(f"{ref}: each x-webhook.effects entry needs an action, replace or exclude")
        answer, target = FieldPath.parse(str(entry["answer"])), FieldPath.parse(str(entry["target"]))
        if answer.names[0] not in response.get("properties", {}):
            raise ContractError(f"{ref}: effect answer {answer} is not a field of the webhook's response")
        if target.names[0] not in self.resolve(ref).get("properties", {}):
            raise ContractError(f"{ref}: effect target {target} is not a field of the event")
        if entry["action"] == "exclude" and "*" not in target.segments:
            raise ContractError(f"{ref}: an exclude effect's target must go through a list ([*])")
        return Effect(answer, entry["action"], target)

    def _follows(self, ref: str, raw: JSON) -> Follows | None:
        if raw is None:
            return None
        if not isinstance(raw, Mapping) or "webhook" not in raw:
            raise ContractError(f"{ref}: x-webhook.follows needs the webhook it follows")
        previous = self.resolve(str(raw["webhook"]))
        command = previous.get("properties", {}).get(self.command_field, {}).get("enum", [None])[0]
        when = raw.get("when")
        if when is not None and not set(when) <= OUTCOMES:
            raise ContractError(f"{ref}: x-webhook.follows.when lists {sorted(set(when) - OUTCOMES)}, not outcomes")
        carry = tuple(str(name) for name in raw.get("carry", ()))
        mine, theirs = self.resolve(ref).get("properties", {}), previous.get("properties", {})
        stray = [name for name in carry if name not in mine or name not in theirs]
        if stray:
            raise ContractError(f"{ref}: x-webhook.follows.carry names {stray}, not fields of both events")
        return Follows(str(command), None if when is None else frozenset(when), carry, str(raw.get("condition", "")))

    def _signing(self) -> SigningRule:
        raw = self.operation.get("x-signing")
        if not isinstance(raw, Mapping):
            raise ContractError("the operation has no x-signing extension")
        return SigningRule(
            algorithm=str(raw["algorithm"]),
            message=str(raw["message"]),
            signature_parameter=str(raw["signatureParameter"]),
            timestamp_parameter=str(raw["timestampParameter"]),
            replay_window_seconds=float(raw["replayWindowSeconds"]),
            vector=raw.get("vector", {}),
        )


def _deref(contract: Contract, node: JSON, seen: tuple[str, ...]) -> JSON:
    if isinstance(node, Mapping):
        ref, target = contract.followed(node)
        if ref is not None:
            if ref in seen:
                raise ContractError(f"recursive reference {ref!r} cannot be inlined")
            return _deref(contract, target, (*seen, ref))
        return {key: _deref(contract, value, seen) for key, value in node.items()}
    if isinstance(node, list):
        return [_deref(contract, item, seen) for item in node]
    return copy.copy(node)


def _with_int_bounds(node: JSON) -> JSON:
    if isinstance(node, dict):
        out = {key: _with_int_bounds(value) for key, value in node.items()}
        bounds = INT_FORMATS.get(str(out.get("format")))
        if bounds is not None:
            low, high = bounds
            out["minimum"] = max(out.get("minimum", low), low)
            out["maximum"] = min(out.get("maximum", high), high)
        return out
    if isinstance(node, list):
        return [_with_int_bounds(item) for item in node]
    return node


def bundled_contract_path() -> Path:
    """Where the contract this package ships with lives.

    A wheel carries `openapi.yaml` inside the package; a source checkout (editable install) has
    it at the repository root, one level above the package.
    """
    packaged = Path(__file__).with_name("openapi.yaml")
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parent.parent / "openapi.yaml"


def load_contract(path: str | os.PathLike[str] | None = None) -> Contract:
    """Load and check a contract; the bundled one is parsed once per process."""
    if path is None:
        return _load_cached(str(bundled_contract_path()))
    return _load_cached(str(Path(path).resolve()))


@functools.lru_cache(maxsize=8)
def _load_cached(path: str) -> Contract:
    try:
        with open(path, "rb") as handle:
            # JSON is YAML, but PyYAML cannot read the surrogate-pair escapes JSON uses for
            # characters outside the BMP (emoji in examples), so JSON gets its own parser.
            document = json.load(handle) if path.endswith(".json") else yaml.load(handle, Loader=_Loader)
    except OSError as exc:
        raise ContractError(f"cannot read the contract {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ContractError(f"{path} is not valid YAML: {exc}") from None
    except ValueError as exc:
        raise ContractError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(document, Mapping):
        raise ContractError(f"{path} does not hold an OpenAPI document")
    try:
        return Contract(document, source=path)
    except (KeyError, TypeError) as exc:
        raise ContractError(f"{path} lacks a piece the kit needs: {exc!r}") from None
