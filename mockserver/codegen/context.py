"""The template context: the contract as the handful of objects a code template needs.

Templates never walk OpenAPI dictionaries. This module does it once, in Python, and hands them
typed, immutable objects: named type definitions (`Alias`, `Struct`, `Union`) in an order where
every definition comes after what it uses, `WebhookContext` entries tying an event class to the one
response class that answers it, the query parameters by role and the signing rule. Every name
in the generated code comes from here: schema names become class names, webhook names become
snake_case methods, wire names become snake_case attributes.

Type expressions are rendered as Python source (``Annotated[str, msgspec.Meta(min_length=1)]``)
because that is what every Python template needs; a template for another language would add
its own expression builder here rather than parse these.
"""

from __future__ import annotations

import json
import keyword
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mockserver.contract import INT_FORMATS, Contract, ContractError, FieldPath, VendorValue

__all__ = [
    "Alias",
    "CodegenContext",
    "Definition",
    "Field",
    "Member",
    "PrefixCheck",
    "QueryParam",
    "Replacement",
    "SigningContext",
    "Struct",
    "SubsetRule",
    "Union",
    "WebhookContext",
    "build_context",
    "pascal_case",
    "py_literal",
    "snake_case",
]

JSON = Any


# ---------------------------------------------------------------------------- naming
def snake_case(name: str) -> str:
    """``Official_Account`` -> ``official_account``, ``VideoUUID`` -> ``video_uuid``; keywords get a ``_``."""
    out = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    out = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", out)
    out = re.sub(r"[^0-9A-Za-z]+", "_", out).strip("_").lower()
    out = re.sub(r"_+", "_", out)
    if not out or out[0].isdigit():
        out = f"f_{out}"
    return f"{out}_" if keyword.iskeyword(out) else out


def pascal_case(name: str) -> str:
    """``MsgContent`` stays, ``errors`` -> ``Errors``, ``image_info`` -> ``ImageInfo``."""
    parts = re.split(r"[^0-9A-Za-z]+", name)
    return "".join(part[:1].upper() + part[1:] for part in parts if part)


def py_literal(value: JSON) -> str:
    """A Python literal for a JSON scalar (the formatter step picks the quotes)."""
    if value is None or isinstance(value, str | bool | int | float):
        return repr(value)
    raise ContractError(f"no Python literal for {value!r}")


# ---------------------------------------------------------------------------- objects
_PREFIX_PATTERN = re.compile(r"\^((?:[^.^$*+?{}\[\]\\|()]|\\[^0-9A-Za-z])+)(\.[+*])?")
"""``^<literal>`` optionally followed by ``.+`` or ``.*``: a pattern that is really a prefix test."""


@dataclass(frozen=True)
class PrefixCheck:
    """A string ``pattern`` that only anchors a literal prefix (``^@TOA#_.+``), checked without a regex.

    msgspec runs Python's ``re`` for every ``Meta(pattern=...)`` and pays a fixed cost per call;
    a slice comparison in the struct's ``__post_init__`` does the same test for a fraction of it.
    ``min_rest`` is 1 for a trailing ``.+`` (one more character that is not a newline, as ``.``
    means in Python's ``re``), 0 for ``.*`` or nothing.
    """

    pattern: str
    prefix: str
    min_rest: int

    @classmethod
    def parse(cls, pattern: str) -> PrefixCheck | None:
        """The check equivalent to ``re.search(pattern, s)``, or None when the pattern needs a regex."""
        match = _PREFIX_PATTERN.fullmatch(pattern)
        if match is None:
            return None
        prefix = re.sub(r"\\(.)", r"\1", match.group(1))
        return cls(pattern, prefix, 1 if match.group(2) == ".+" else 0)


@dataclass(frozen=True)
class Field:
    """One property of a struct: its wire name, its Python name and its type."""

    wire_name: str
    python_name: str
    type_expr: str
    """The Python annotation, without the optional part (``| msgspec.UnsetType``)."""
    required: bool
    default: str | None
    """A Python literal from the schema's ``default``; None means required or UNSET."""
    description: str
    struct: str | None = None
    """The struct this field holds (or holds a list of), for templates that walk values."""
    is_list: bool = False
    check: PrefixCheck | None = None
    """A prefix pattern left out of ``type_expr``: the template must check it (``__post_init__``)."""

    @property
    def annotation(self) -> str:
        """The full annotation: optional fields without a default may be UNSET (absent on the wire)."""
        if self.required or self.default is not None:
            return self.type_expr
        return f"{self.type_expr} | msgspec.UnsetType"

    @property
    def default_expr(self) -> str | None:
        """What follows ``default=`` in ``msgspec.field``, or None for a required field."""
        if self.required:
            return None
        return self.default if self.default is not None else "msgspec.UNSET"


@dataclass(frozen=True)
class Struct:
    """An object schema: a msgspec Struct. Tagged structs belong to a discriminated union."""

    name: str
    description: str
    fields: tuple[Field, ...]
    tag_field: str | None = None
    """The discriminator's wire name, when this struct is a member of a tagged union."""
    tag: str | None = None
    tag_python_name: str | None = None
    kind: str = "struct"

    @property
    def checks(self) -> tuple[Field, ...]:
        """The fields with a prefix check the template writes out."""
        return tuple(f for f in self.fields if f.check is not None)


@dataclass(frozen=True)
class Alias:
    """A named non-object schema (``UserID``, ``ActionStatus``): a type alias with its constraints."""

    name: str
    description: str
    type_expr: str
    kind: str = "alias"
    check: PrefixCheck | None = None
    """A prefix pattern left out of ``type_expr``; structs holding this alias check it."""


@dataclass(frozen=True)
class Member:
    """A union member: the tag value that selects it and its class."""

    tag: str
    struct: str


@dataclass(frozen=True)
class Union:
    """A discriminated ``oneOf``. An open union also has a catch-all struct for unknown tags."""

    name: str
    description: str
    tag_field: str
    tag_python_name: str
    members: tuple[Member, ...]
    catch_all: str | None = None
    kind: str = "union"

    @property
    def is_open(self) -> bool:
        return self.catch_all is not None

    @property
    def classes(self) -> tuple[str, ...]:
        """Every class a value of this union may be, catch-all last."""
        extra = (self.catch_all,) if self.catch_all else ()
        return (*(m.struct for m in self.members), *extra)


Definition = Alias | Struct | Union


@dataclass(frozen=True)
class SubsetRule:
    """`x-subset-of`: the response list attribute may only repeat ``item_attr`` of the event's list."""

    response_attr: str
    response_wire: str
    collection_attr: str
    item_attr: str | None
    wire_path: str


@dataclass(frozen=True)
class Replacement:
    """A `replace` effect: an allowing answer's attribute takes the place of an event field."""

    answer_attr: str
    target_wire: str
    """The event field it replaces, by wire name (how `Outcome.replaced` keys it)."""


@dataclass(frozen=True)
class WebhookContext:
    """One webhook: the event class, the response class that answers it, and delivery semantics."""

    command: str
    event: str
    response: str
    method: str
    kind: str
    on_failure: str
    title: str
    description: str
    docs: str
    default_response: str
    """The default success answer as compact JSON (the response schema's example)."""
    error_code_attr: str | None
    refused_attr: str | None
    vendor_values: tuple[VendorValue, ...]
    """The vendor's values of the error code (`x-vendor-values`), ranges included."""
    subset_rules: tuple[SubsetRule, ...]
    example_names: tuple[str, ...]
    error_info_attr: str | None = None
    replacements: tuple[Replacement, ...] = ()
    nested_default: bool = False
    """The default answer holds a list or an object: a copy of it must be deep, not shallow."""

    @property
    def can_refuse(self) -> bool:
        return self.kind == "before"


@dataclass(frozen=True)
class QueryParam:
    """A query parameter the vendor appends, known to templates by its role."""

    name: str
    role: str
    python_name: str
    required: bool
    example: str
    maximum: int | None = None
    """The schema's `maximum` for an integer parameter (the app ID's bound, for instance)."""


@dataclass(frozen=True)
class SigningContext:
    """The signing rule: which parameters carry the digest and the time, and the replay window."""

    algorithm: str
    message: str
    """The signed message, a ``str.format`` template over ``token`` and ``timestamp``."""
    signature_parameter: str
    timestamp_parameter: str
    replay_window_seconds: int
    vector_token: str
    vector_timestamp: int
    vector_signature: str


@dataclass(frozen=True)
class CodegenContext:
    """Everything a template may use. Built once per run by `build_context`."""

    package: str
    title: str
    version: str
    definitions: tuple[Definition, ...]
    event_union: Union
    webhooks: tuple[WebhookContext, ...]
    params: tuple[QueryParam, ...]
    signing: SigningContext
    timeout_seconds: float
    unknown_command_answer: str
    problem: Struct | None
    problem_media_type: str
    max_body_bytes: int
    """The largest body a receiver accepts (`x-delivery.maxBodyBytes`); the client bounds answers alike."""
    fingerprint: str
    """`Contract.fingerprint` of the contract rendered, recorded in the generated models."""
    open_unions: tuple[Union, ...] = field(default=())
    tolerant: tuple[Definition, ...] = field(default=())
    """Definitions that hold an open union, directly or not, in dependency order.

    Their annotations name an open union's known members (a native msgspec tagged union, decoded
    in one lookup); the module also renders a private `_Tolerant<Name>` twin of each, whose open
    unions decode through a hook with the catch-all, for the bodies the fast decoder refuses
    because of a tag this contract does not know.
    """

    def known(self, expr: str) -> str:
        """`expr` as the fast decoders see it: each open union becomes its ``_Known<Name>`` alias."""
        return _rename(expr, {u.name: f"_Known{u.name}" for u in self.open_unions})

    def tolerating(self, expr: str) -> str:
        """`expr` in a tolerant twin: names of the `tolerant` definitions become ``_Tolerant<Name>``."""
        return _rename(expr, {d.name: f"_Tolerant{d.name}" for d in self.tolerant})

    def tolerating_each(self, exprs: Sequence[str]) -> list[str]:
        return [self.tolerating(expr) for expr in exprs]

    def param(self, role: str) -> QueryParam:
        for param in self.params:
            if param.role == role:
                return param
        raise ContractError(f"no query parameter has x-role {role!r}")

    @property
    def structs(self) -> tuple[Struct, ...]:
        return tuple(d for d in self.definitions if isinstance(d, Struct))

    def struct(self, name: str) -> Struct:
        for definition in self.definitions:
            if isinstance(definition, Struct) and definition.name == name:
                return definition
        raise ContractError(f"no struct named {name!r}")


def _rename(expr: str, names: Mapping[str, str]) -> str:
    if not names:
        return expr
    pattern = r"\b(" + "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True)) + r")\b"
    return re.sub(pattern, lambda m: names[m.group(1)], expr)


def _referenced(definition: Definition) -> set[str]:
    """The names a definition's type expressions mention."""
    if isinstance(definition, Alias):
        exprs: tuple[str, ...] = (definition.type_expr,)
    elif isinstance(definition, Struct):
        exprs = tuple(f.type_expr for f in definition.fields)
    else:
        exprs = definition.classes
    return {word for expr in exprs for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", expr)}


def _tolerant(definitions: Sequence[Definition]) -> tuple[Definition, ...]:
    """The definitions that reach an open union (dependencies come first, so one pass does)."""
    reach = {d.name for d in definitions if isinstance(d, Union) and d.is_open}
    out: list[Definition] = []
    for definition in definitions:
        if definition.name not in reach and _referenced(definition) & reach:
            reach.add(definition.name)
            out.append(definition)
    return tuple(out)


# ---------------------------------------------------------------------------- builder
def _description(schema: Mapping[str, JSON]) -> str:
    return " ".join(str(schema.get("description", "")).split())


class _Builder:
    """Turns component schemas into definitions, dependencies first, in contract order."""

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.schemas: Mapping[str, Mapping[str, JSON]] = contract.document["components"]["schemas"]
        self.done: dict[str, Definition] = {}
        self.busy: set[str] = set()
        self.tags: dict[str, tuple[str, str]] = {}
        self.prefix_aliases: dict[str, PrefixCheck] = {}
        """Aliases whose prefix pattern was left out of their type: every user must check it."""
        for union in self.schemas.values():
            discriminator = union.get("discriminator")
            if isinstance(discriminator, Mapping):
                for tag, ref in discriminator.get("mapping", {}).items():
                    self.tags[self._ref_name(ref)] = (discriminator["propertyName"], tag)

    @staticmethod
    def _ref_name(ref: str) -> str:
        prefix = "#/components/schemas/"
        if not ref.startswith(prefix):
            raise ContractError(f"only component schema references are supported, not {ref!r}")
        return ref[len(prefix) :]

    def emit(self, definition: Definition) -> None:
        if definition.name in self.done:
            raise ContractError(f"two definitions are named {definition.name!r}")
        self.done[definition.name] = definition

    def named(self, name: str) -> str:
        """Make sure the component `name` is defined (after its dependencies); return its name."""
        if name in self.done or name in self.busy:
            return name
        if name not in self.schemas:
            raise ContractError(f"unknown component schema {name!r}")
        self.busy.add(name)
        schema = self.schemas[name]
        if "discriminator" in schema and "oneOf" in schema:
            self.emit(self._union(name, schema))
        elif schema.get("type") == "object" or "properties" in schema:
            self.emit(self._struct(name, schema))
        else:
            checks: list[PrefixCheck] = []
            type_expr = self.type_of(schema, name, checks)
            if checks:
                self.prefix_aliases[name] = checks[0]
            self.emit(Alias(name, _description(schema), type_expr, check=checks[0] if checks else None))
        self.busy.discard(name)
        return name

    def _union(self, name: str, schema: Mapping[str, JSON]) -> Union:
        discriminator = schema["discriminator"]
        mapping: Mapping[str, str] = discriminator.get("mapping", {})
        members = tuple(Member(tag, self.named(self._ref_name(ref))) for tag, ref in mapping.items())
        mapped = set(mapping.values())
        extra = [b["$ref"] for b in schema["oneOf"] if b.get("$ref") not in mapped]
        if len(extra) > 1:
            raise ContractError(f"{name}: at most one oneOf branch may be left out of the mapping (the catch-all)")
        catch_all = self.named(self._ref_name(extra[0])) if extra else None
        tag_field = str(discriminator["propertyName"])
        return Union(name, _description(schema), tag_field, snake_case(tag_field), members, catch_all)

    def _struct(self, name: str, schema: Mapping[str, JSON]) -> Struct:
        tag_field, tag = self.tags.get(name, (None, None))
        required = set(schema.get("required", []))
        fields: list[Field] = []
        for wire, prop in schema.get("properties", {}).items():
            if wire == tag_field:
                continue
            python = snake_case(wire)
            owner = f"{name}{pascal_case(wire)}"
            checks: list[PrefixCheck] = []
            type_expr = self.type_of(prop, owner, checks)
            struct, is_list = self._held_struct(prop)
            default = py_literal(prop["default"]) if "default" in prop else None
            description = _description(prop) or _description(self.contract.follow(prop))
            check = checks[0] if checks else None
            fields.append(
                Field(wire, python, type_expr, wire in required, default, description, struct, is_list, check)
            )
        return Struct(
            name=name,
            description=_description(schema),
            fields=tuple(fields),
            tag_field=tag_field,
            tag=tag,
            tag_python_name=snake_case(tag_field) if tag_field else None,
        )

    def _held_struct(self, schema: Mapping[str, JSON]) -> tuple[str | None, bool]:
        """The struct a property holds directly or as list items (None for scalars)."""
        ref, seen = self.contract.followed(schema)
        if ref is not None and isinstance(self.done.get(self._ref_name(ref)), Struct):
            return self._ref_name(ref), False
        if seen.get("type") == "array" and "items" in seen:
            inner, _ = self._held_struct(seen["items"])
            return inner, True
        return None, False

    def type_of(self, schema: Mapping[str, JSON], owner: str, checks: list[PrefixCheck] | None = None) -> str:
        """The Python type expression of `schema`; inline objects become structs named after `owner`.

        With a `checks` list (a struct field or an alias, where the template writes the check), a
        prefix-only ``pattern`` is left out of the type and appended to `checks` instead. Anywhere
        else (list items, union branches) the pattern stays a ``msgspec.Meta(pattern=...)``.
        """
        if "$ref" in schema:
            name = self.named(self._ref_name(schema["$ref"]))
            check = self.prefix_aliases.get(name)
            if check is None:
                return name
            if checks is None:
                return f"Annotated[{name}, msgspec.Meta(pattern={py_literal(check.pattern)})]"
            checks.append(check)
            return name
        if "enum" in schema:
            return f"Literal[{', '.join(py_literal(v) for v in schema['enum'])}]"
        for combinator in ("oneOf", "anyOf"):
            if combinator in schema:
                branches = [self.type_of(branch, owner) for branch in schema[combinator]]
                return " | ".join(dict.fromkeys(branches))
        kind = schema.get("type")
        meta: list[tuple[str, JSON]] = []
        if kind == "string":
            base = "str"
            meta += [("min_length", schema.get("minLength")), ("max_length", schema.get("maxLength"))]
            meta += [("pattern", schema.get("pattern"))]
        elif kind == "integer":
            base = "int"
            # An OpenAPI `format: int32/int64` is a range the contract's validators enforce, so the
            # models enforce it too (else a 30-digit EventTime would decode here and fail there).
            low, high = INT_FORMATS.get(str(schema.get("format")), (None, None))
            minimum, maximum = schema.get("minimum", low), schema.get("maximum", high)
            meta += [("ge", minimum), ("le", maximum)]
        elif kind == "number":
            base = "float"
            meta += [("ge", schema.get("minimum")), ("le", schema.get("maximum"))]
        elif kind == "boolean":
            base = "bool"
        elif kind == "array":
            base = f"list[{self.type_of(schema.get('items', {}), f'{owner}Item')}]"
            meta += [("min_length", schema.get("minItems")), ("max_length", schema.get("maxItems"))]
        elif kind == "object" or "properties" in schema:
            if not schema.get("properties"):
                return "dict[str, Any]"
            self.emit(self._struct(owner, schema))
            return owner
        else:
            return "Any"
        constraints = [(key, value) for key, value in meta if value is not None]
        pattern = schema.get("pattern")
        check = PrefixCheck.parse(pattern) if kind == "string" and isinstance(pattern, str) else None
        if check is not None and checks is not None:
            checks.append(check)
            constraints.remove(("pattern", pattern))
        if kind == "string" and ("min_length", 0) in constraints:
            constraints.remove(("min_length", 0))
        if not constraints:
            return base
        rendered = ", ".join(f"{key}={py_literal(value)}" for key, value in constraints)
        return f"Annotated[{base}, msgspec.Meta({rendered})]"


def _subset_rule(
    context_structs: Mapping[str, Struct], event: Struct, response: Struct, attr: str, path: FieldPath
) -> SubsetRule:
    """Translate ``List[*].Item`` (wire names) into Python attribute names of the event struct."""
    shape = tuple("*" if s == "*" else "name" if isinstance(s, str) else "index" for s in path.segments)
    if shape not in {("name", "*"), ("name", "*", "name")}:
        raise ContractError(f"x-subset-of {path}: only 'List[*]' or 'List[*].Field' paths are supported")
    wire_list, wire_item = path.names[0], (path.names[1] if len(path.names) > 1 else None)
    holder = next((f for f in event.fields if f.wire_name == wire_list), None)
    if holder is None:
        raise ContractError(f"x-subset-of {path}: {event.name} has no field {wire_list!r}")
    item_attr: str | None = None
    if wire_item is not None:
        item_struct = context_structs.get(holder.struct or "")
        item = next((f for f in item_struct.fields if f.wire_name == wire_item), None) if item_struct else None
        if item is None:
            raise ContractError(f"x-subset-of {path}: the items of {wire_list!r} have no field {wire_item!r}")
        item_attr = item.python_name
    response_field = next(f for f in response.fields if f.wire_name == attr)
    return SubsetRule(response_field.python_name, attr, holder.python_name, item_attr, str(path))


def build_context(contract: Contract, package: str) -> CodegenContext:
    """Walk the contract once and return the objects the templates render."""
    builder = _Builder(contract)
    union_name = builder._ref_name(contract.request_schema_ref)
    builder.named(union_name)
    for webhook in contract.webhooks:
        builder.named(webhook.response_name)
    for name in builder.schemas:  # everything else the contract defines (e.g. the problem format)
        builder.named(name)
    definitions = tuple(builder.done.values())
    structs = {d.name: d for d in definitions if isinstance(d, Struct)}
    event_union = builder.done[union_name]
    if not isinstance(event_union, Union):
        raise ContractError(f"{union_name} must be a discriminated oneOf")

    webhooks: list[WebhookContext] = []
    for hook in contract.webhooks:
        event, response = structs[hook.name], structs[hook.response_name]
        by_wire = {f.wire_name: f.python_name for f in response.fields}
        webhooks.append(
            WebhookContext(
                command=hook.command,
                event=hook.name,
                response=hook.response_name,
                method=snake_case(hook.name),
                kind=hook.kind,
                on_failure=hook.on_failure,
                title=hook.title,
                description=" ".join(hook.description.split()),
                docs=hook.docs,
                default_response=json.dumps(hook.default_response, ensure_ascii=False, separators=(",", ":")),
                error_code_attr=by_wire.get(hook.response_roles.get("error-code", "")),
                refused_attr=by_wire.get(hook.response_roles.get("refused", "")),
                vendor_values=hook.error_code_values,
                error_info_attr=by_wire.get(hook.response_roles.get("error-info", "")),
                replacements=tuple(
                    _replacement(hook.command, effect, by_wire) for effect in hook.effects if effect.action == "replace"
                ),
                subset_rules=tuple(
                    _subset_rule(structs, event, response, attr, path) for attr, path in sorted(hook.subset_of.items())
                ),
                example_names=tuple(e.name for e in hook.examples),
                nested_default=any(isinstance(v, Mapping | list) for v in hook.default_response.values()),
            )
        )

    unknown_answer = json.dumps(contract.unknown_command_answer, ensure_ascii=False, separators=(",", ":"))

    problem, problem_media = _problem(contract, structs)
    rule = contract.signing
    vector = rule.vector
    info = contract.document.get("info", {})
    return CodegenContext(
        package=package,
        title=str(info.get("title", "")),
        version=str(info.get("version", "")),
        definitions=definitions,
        event_union=event_union,
        webhooks=tuple(webhooks),
        params=tuple(
            QueryParam(
                p.name,
                p.role,
                snake_case(p.name),
                p.required,
                "" if p.example is None else str(p.example),
                p.schema.get("maximum"),
            )
            for p in contract.parameters
        ),
        signing=SigningContext(
            algorithm=rule.algorithm,
            message=rule.message,
            signature_parameter=rule.signature_parameter,
            timestamp_parameter=rule.timestamp_parameter,
            replay_window_seconds=int(rule.replay_window_seconds),
            vector_token=str(vector.get("token", "")),
            vector_timestamp=int(vector.get("timestamp", 0)),
            vector_signature=str(vector.get("signature", "")),
        ),
        timeout_seconds=contract.timeout_seconds,
        unknown_command_answer=unknown_answer,
        problem=problem,
        problem_media_type=problem_media,
        max_body_bytes=contract.max_body_bytes,
        fingerprint=contract.fingerprint,
        open_unions=tuple(d for d in definitions if isinstance(d, Union) and d.is_open),
        tolerant=_tolerant(definitions),
    )


def _replacement(command: str, effect: Any, by_wire: Mapping[str, str]) -> Replacement:
    """A replace effect the templates can write: one answer field in place of one event field."""
    if len(effect.answer.segments) != 1 or len(effect.target.segments) != 1:
        raise ContractError(f"{command}: the generator supports replace effects between top-level fields only")
    return Replacement(by_wire[effect.answer.names[0]], effect.target.names[0])


def _problem(contract: Contract, structs: Mapping[str, Struct]) -> tuple[Struct | None, str]:
    """The struct of the error answers (the 4xx responses' schema), if the contract has one."""
    found: list[tuple[str, str]] = []
    for status in contract.error_statuses:
        response = contract.follow(contract.operation["responses"][str(status)])
        for media, body in response.get("content", {}).items():
            ref = body.get("schema", {}).get("$ref", "")
            found.append((media, ref.rsplit("/", 1)[-1]))
    names: Sequence[tuple[str, str]] = sorted(set(found))
    if len(names) != 1 or names[0][1] not in structs:
        return None, "application/problem+json"
    media, name = names[0]
    return structs[name], media
