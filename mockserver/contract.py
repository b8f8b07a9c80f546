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
    "Contract",
    "ContractError",
    "Example",
    "FieldPath",
    "Parameter",
    "SigningRule",
    "UnknownCommand",
    "Webhook",
    "bundled_contract_path",
    "load_contract",
]

Kind = Literal["before", "after"]
JSON = Any

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
    vendor_values: Mapping[str, Mapping[int, str]] = field(default_factory=dict)
    """Response field -> the values the vendor defines for this webhook (`x-vendor-values`)."""
    subset_of: Mapping[str, FieldPath] = field(default_factory=dict)
    """Response field -> request path whose values it may only repeat (`x-subset-of`)."""
    vendor_outcomes: Mapping[str, Mapping[int, str]] = field(default_factory=dict)
    """Response field -> value -> what the Chat backend then does (`allow` or `reject`)."""

    @property
    def allowing_codes(self) -> frozenset[int] | None:
        """Error codes with which the Chat backend lets the operation through (None: not defined)."""
        outcomes = self.vendor_outcomes.get(self.response_roles.get("error-code", ""))
        if not outcomes:
            return None
        return frozenset(code for code, outcome in outcomes.items() if outcome == "allow")

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
        body_schema = self._request_schema()
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

    def parameter(self, role: str) -> Parameter:
        """The query parameter playing `role` (its `x-role`), e.g. ``"signature"``."""
        for parameter in self.parameters:
            if parameter.role == role:
                return parameter
        raise ContractError(f"no query parameter has x-role {role!r}")

    def resolve(self, ref: str) -> Mapping[str, JSON]:
        """The object a local JSON pointer (``#/components/...``) points at."""
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
            param = self.resolve(raw["$ref"]) if "$ref" in raw else raw
            if param.get("in") != "query":
                continue
            schema = param.get("schema", {})
            if "$ref" in schema:
                schema = self.resolve(schema["$ref"])
            yield Parameter(
                name=param["name"],
                role=param.get("x-role", param["name"]),
                required=bool(param.get("required", False)),
                allow_empty=bool(param.get("allowEmptyValue", False)),
                schema=schema,
                description=str(param.get("description", "")).strip(),
                example=param.get("example"),
            )

    def _request_schema(self) -> Mapping[str, JSON]:
        schema = self.operation["requestBody"]["content"]["application/json"]["schema"]
        return self.resolve(schema["$ref"]) if "$ref" in schema else schema

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
        vendor_values: dict[str, Mapping[int, str]] = {}
        vendor_outcomes: dict[str, Mapping[int, str]] = {}
        subset_of: dict[str, FieldPath] = {}
        for prop, prop_schema in response.get("properties", {}).items():
            target = self.resolve(prop_schema["$ref"]) if "$ref" in prop_schema else prop_schema
            if "x-role" in target:
                roles[target["x-role"]] = prop
            if "x-vendor-values" in target:
                values = target["x-vendor-values"].items()
                vendor_values[prop] = {int(k): str(v["meaning"] if isinstance(v, Mapping) else v) for k, v in values}
                vendor_outcomes[prop] = {
                    int(k): str(v["outcome"]) for k, v in values if isinstance(v, Mapping) and "outcome" in v
                }
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
            vendor_outcomes=vendor_outcomes,
            subset_of=subset_of,
        )

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
        if "$ref" in node and isinstance(node["$ref"], str):
            ref = node["$ref"]
            if ref in seen:
                raise ContractError(f"recursive reference {ref!r} cannot be inlined")
            return _deref(contract, contract.resolve(ref), (*seen, ref))
        return {key: _deref(contract, value, seen) for key, value in node.items()}
    if isinstance(node, list):
        return [_deref(contract, item, seen) for item in node]
    return copy.copy(node)


INT_FORMATS: Mapping[str, tuple[int, int]] = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
"""The ranges OpenAPI's integer formats stand for."""


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
