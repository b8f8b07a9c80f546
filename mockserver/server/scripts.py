"""Scripted answers: rules that say how the mock answers which delivery.

A script is YAML or JSON. Each rule matches on the command and on predicates over the body and
query, and answers with a status, a body merged over the webhook's default answer (or a
sandboxed Jinja2 template rendering one), a delay, or a fault. Rules hold one answer
(`respond`) or a `sequence` whose last step repeats; `times` caps how often a rule matches;
higher `priority` goes first, then file order; unmatched deliveries get the default.

Scripts are checked when loaded, not when a delivery first hits them: unknown keys and unknown
commands are errors (msgspec reports the path); a predicate path no request of the rule's
webhooks can have, or a query key that is not a contract parameter, is an error (a misspelled
name would otherwise make a rule that silently never fires); and an answer that would break the
contract, or that carries a field the answer schema does not define (the schemas are open, so
a typo would pass them), is refused with the rule and the field, unless the rule says
`invalid: true` (to test how a sender copes with a broken backend). A template's output can
only be seen when rendered: a field outside the answer schema is then a script failure (500).
The default answers come from the contract's response examples; nothing here names a command
or a field.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import jinja2
import msgspec
import regex
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

from mockserver.contract import Contract, ContractError, FieldPath, Webhook
from mockserver.errors import ScriptError
from mockserver.responses import ResponseChecker

__all__ = [
    "Fault",
    "Reply",
    "Response",
    "Rule",
    "Script",
    "ScriptDocument",
    "ScriptError",
    "When",
    "answer_fields",
    "compile_script",
    "parse_script",
]


class Fault(enum.Enum):
    """Ways to fail below HTTP, as a broken or overloaded app backend does."""

    RESET = "reset"
    """Close the connection with a TCP reset before answering."""
    EMPTY = "empty"
    """Close the connection without sending a byte."""
    MALFORMED = "malformed"
    """Answer 200 with a JSON content type and a body that is not JSON."""
    HANG = "hang"
    """Answer only after the sender's timeout (bounded by the server's --max-hang)."""


class Response(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """One answer. Empty (`{}`) means the default success answer."""

    status: Annotated[int, msgspec.Meta(ge=200, le=599)] = 200
    body: dict[str, Any] | None = None
    replace: bool = False
    template: str | None = None
    raw: str | None = None
    content_type: str | None = None
    headers: dict[str, str] = msgspec.field(default_factory=dict)
    delay_ms: Annotated[int, msgspec.Meta(ge=0)] = 0
    fault: Fault | None = None
    hang_ms: Annotated[int, msgspec.Meta(ge=0)] | None = None
    invalid: bool = False


class When(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """What a rule matches: a command and predicates by path (``A[*].B``) over body and query."""

    command: str | None = None
    body: dict[str, Any] = msgspec.field(default_factory=dict)
    query: dict[str, Any] = msgspec.field(default_factory=dict)


class Rule(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    name: str | None = None
    when: When = msgspec.field(default_factory=When)
    respond: Response | None = None
    sequence: list[Response] | None = None
    times: Annotated[int, msgspec.Meta(ge=1)] | None = None
    priority: int = 0


class ScriptDocument(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    rules: list[Rule] = msgspec.field(default_factory=list)


# ------------------------------------------------------------------ predicates
_OPERATORS = ("eq", "in", "contains", "regex", "exists")


@dataclass(frozen=True)
class Predicate:
    source: str  # "body" or "query"
    path: FieldPath
    test: Callable[[list[Any]], bool]

    def holds(self, body: Any, query: Mapping[str, str]) -> bool:
        return self.test(self.path.values(body if self.source == "body" else query))


def _predicate(source: str, path: FieldPath, spec: Any) -> Predicate:
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
    test: Callable[[list[Any]], bool]
    if op == "eq":
        want = norm(arg)
        test = lambda values: any(v == want for v in values)  # noqa: E731
    elif op == "in":
        if not isinstance(arg, list):
            raise ValueError("'in' takes a list")
        wanted = [norm(a) for a in arg]
        test = lambda values: any(v in wanted for v in values)  # noqa: E731
    elif op == "contains":
        want = norm(arg)
        test = lambda values: any(v == want or (isinstance(v, list) and want in v) for v in values)  # noqa: E731
    elif op == "regex":
        if not isinstance(arg, str):
            raise ValueError("'regex' takes a string")
        try:
            pattern = regex.compile(arg)
        except regex.error as exc:
            raise ValueError(f"bad regular expression {arg!r}: {exc}") from None
        test = lambda values: any(isinstance(v, str) and _search(pattern, v) for v in values)  # noqa: E731
    else:
        if not isinstance(arg, bool):
            raise ValueError("'exists' takes true or false")
        test = lambda values: bool(values) == arg  # noqa: E731
    return Predicate(source, path, test)


REGEX_TIMEOUT_S = 0.05
"""How long one script regex may search one value. Python's `re` cannot be stopped, so a
catastrophic pattern (``^(a|aa)+$``) on a hostile value would stall every request; the `regex`
engine takes a timeout, and running out of it is a script failure, answered and journaled."""


def _search(pattern: regex.Pattern[str], value: str) -> bool:
    try:
        return pattern.search(value, timeout=REGEX_TIMEOUT_S) is not None
    except TimeoutError:
        raise ScriptError(
            f"the regular expression {pattern.pattern!r} took over {REGEX_TIMEOUT_S * 1000:.0f} ms on a value of"
            f" {len(value)} characters (catastrophic backtracking?)"
        ) from None


# -------------------------------------------------------------------- templates
def _environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)
    env.tests["startingwith"] = lambda value, prefix: isinstance(value, str) and value.startswith(prefix)
    env.tests["matching"] = lambda value, pattern: isinstance(value, str) and _search(regex.compile(pattern), value)
    return env


_ENV = _environment()


# ------------------------------------------------------------------- compiled
@dataclass(frozen=True)
class Reply:
    """What to send back for one delivery."""

    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    rule: str | None = None
    delay_ms: int = 0
    fault: Fault | None = None
    hang_ms: int | None = None


@dataclass(frozen=True)
class _Step:
    response: Response
    static_body: bytes | None
    template: jinja2.Template | None


@dataclass(frozen=True)
class CompiledRule:
    index: int
    label: str
    command: str | None
    predicates: tuple[Predicate, ...]
    steps: tuple[_Step, ...]
    times: int | None
    priority: int

    @property
    def counted(self) -> bool:
        """Whether matching needs the shared hit counter (sequences and `times`)."""
        return self.times is not None or len(self.steps) > 1

    def matches(self, command: str, body: Any, query: Mapping[str, str]) -> bool:
        if self.command is not None and self.command != command:
            return False
        return all(p.holds(body, query) for p in self.predicates)


def _json_headers(content_type: str | None, extra: Mapping[str, str], length: int) -> tuple[tuple[bytes, bytes], ...]:
    headers = [
        (b"content-type", (content_type or "application/json").encode()),
        (b"content-length", str(length).encode()),
    ]
    headers.extend(
        (k.lower().encode(), v.encode())
        for k, v in extra.items()
        if k.lower() not in ("content-length", "content-type")
    )
    return tuple(headers)


class Script:
    """A loaded, checked script: answers deliveries."""

    def __init__(
        self, contract: Contract, rules: Sequence[CompiledRule], source: ScriptDocument, version: int = 0
    ) -> None:
        self.contract = contract
        self.rules = tuple(sorted(rules, key=lambda r: (-r.priority, r.index)))
        self.source = source
        self.version = version
        self.counted = any(rule.counted for rule in self.rules)
        """Whether answering may need the shared hit counter (a blocking SQLite write)."""
        self._defaults: dict[str, Reply] = {}
        self._fields = {webhook.command: answer_fields(contract, webhook) for webhook in contract.webhooks}
        for webhook in contract.webhooks:
            body = json.dumps(webhook.default_response, ensure_ascii=False).encode()
            self._defaults[webhook.command] = Reply(200, _json_headers(None, {}, len(body)), body)

    @property
    def document(self) -> dict[str, Any]:
        out: dict[str, Any] = msgspec.to_builtins(self.source)
        return out

    def default_reply(self, webhook: Webhook) -> Reply:
        return self._defaults[webhook.command]

    def reply(
        self, webhook: Webhook, document: Any, query: Mapping[str, str], hit: Callable[[CompiledRule], int]
    ) -> Reply:
        """The answer to a checked delivery; `hit` counts a match of a counted rule (1 for the first)."""
        for rule in self.rules:
            if not rule.matches(webhook.command, document, query):
                continue
            step_index = 0
            if rule.counted:
                n = hit(rule)
                if rule.times is not None and n > rule.times:
                    continue
                step_index = min(n, len(rule.steps)) - 1
            return self._render(rule, rule.steps[step_index], webhook, document, query)
        return self.default_reply(webhook)

    def _render(
        self, rule: CompiledRule, step: _Step, webhook: Webhook, document: Any, query: Mapping[str, str]
    ) -> Reply:
        r = step.response
        if step.static_body is not None:
            body = step.static_body
        else:
            fields = None if r.invalid else self._fields[webhook.command]
            try:
                body = _body_for(r, step.template, webhook, document, query, fields)
            except ScriptError as exc:
                raise ScriptError(f"rule {rule.label!r}: {exc}") from None
        return Reply(
            status=r.status,
            headers=_json_headers(r.content_type, r.headers, len(body)),
            body=body,
            rule=rule.label,
            delay_ms=r.delay_ms,
            fault=r.fault,
            hang_ms=r.hang_ms,
        )


def _template_object(template: jinja2.Template, webhook: Webhook, document: Any, query: Mapping[str, str]) -> Any:
    try:
        text = template.render(
            body=document, query=dict(query), command=webhook.command, default=dict(webhook.default_response)
        )
    except Exception as exc:
        raise ScriptError(f"the template failed: {type(exc).__name__}: {exc}") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ScriptError(f"the template rendered {text[:80]!r}, which is not JSON: {exc}") from None


def _body_for(
    r: Response,
    template: jinja2.Template | None,
    webhook: Webhook,
    document: Any,
    query: Mapping[str, str],
    fields: frozenset[str] | None = None,
) -> bytes:
    """The answer's bytes; with `fields`, a template that renders a key outside them is a script failure."""
    if r.raw is not None:
        return r.raw.encode()
    merged: dict[str, Any] = {} if r.replace else dict(webhook.default_response)
    if r.body:
        merged.update(r.body)
    if template is not None:
        rendered = _template_object(template, webhook, document, query)
        if not isinstance(rendered, dict):
            raise ScriptError(f"the template rendered a {type(rendered).__name__}, not a JSON object")
        if fields is not None:
            _check_fields(rendered, fields, webhook, "the template rendered")
        merged.update(rendered)
    return json.dumps(merged, ensure_ascii=False).encode()


# -------------------------------------------------------------------- loading
def parse_script(source: str | bytes | Path | Mapping[str, Any]) -> ScriptDocument:
    """Parse YAML/JSON text, a file, or an already-parsed mapping into a script document."""
    if isinstance(source, Path):
        try:
            source = source.read_text(encoding="utf-8")
        except OSError as exc:
            raise ScriptError(f"cannot read the script: {exc}") from None
    if isinstance(source, (str, bytes)):
        try:
            data = yaml.safe_load(source)
        except yaml.YAMLError as exc:
            raise ScriptError(f"the script is not valid YAML/JSON: {exc}") from None
    else:
        data = source
    if data is None:
        data = {}
    try:
        return msgspec.convert(data, ScriptDocument)
    except msgspec.ValidationError as exc:
        raise ScriptError(str(exc).replace("$.", "script.")) from None


def compile_script(
    document: ScriptDocument, contract: Contract, validator: ResponseChecker, version: int = 0
) -> Script:
    """Check a script against the contract and prepare it for answering."""
    compiled: list[CompiledRule] = []
    for index, rule in enumerate(document.rules):
        label = rule.name or f"rules[{index}]"
        where = f"rule {label!r}"
        if (rule.respond is None) == (rule.sequence is None):
            raise ScriptError(f"{where}: give exactly one of respond or sequence")
        steps_src = [rule.respond] if rule.respond is not None else list(rule.sequence or [])
        if not steps_src:
            raise ScriptError(f"{where}: the sequence is empty")
        command = rule.when.command
        if command is not None and command not in contract.commands:
            raise ScriptError(
                f"{where}: unknown command {command!r}; the contract knows {', '.join(contract.commands)}"
            )
        webhooks = [contract.webhook(command)] if command is not None else list(contract.webhooks)
        predicates: list[Predicate] = []
        for source, conditions in (("body", rule.when.body), ("query", rule.when.query)):
            for path_text, spec in conditions.items():
                try:
                    path = FieldPath.parse(path_text)
                    _check_path(contract, source, path, webhooks)
                    predicates.append(_predicate(source, path, spec))
                except (ValueError, ContractError) as exc:
                    raise ScriptError(f"{where}: when.{source}.{path_text}: {exc}") from None
        steps = tuple(
            _compile_step(
                f"{where}" + (f" sequence[{k}]" if rule.sequence is not None else " respond"), r, webhooks, validator
            )
            for k, r in enumerate(steps_src)
        )
        compiled.append(CompiledRule(index, label, command, tuple(predicates), steps, rule.times, rule.priority))
    return Script(contract, compiled, document, version)


def _check_path(contract: Contract, source: str, path: FieldPath, webhooks: Sequence[Webhook]) -> None:
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


def answer_fields(contract: Contract, webhook: Webhook) -> frozenset[str]:
    """The fields the contract defines for the answer to `webhook` (its response schema's `properties`)."""
    return frozenset(contract.resolve(webhook.response_ref).get("properties", {}))


def _check_fields(answer: Mapping[str, Any], fields: frozenset[str], webhook: Webhook, what: str) -> None:
    """Refuse a key the answer schema does not define: the schemas are open, so a typo would pass them."""
    unknown = sorted(set(answer) - fields)
    if unknown:
        raise ScriptError(
            f"{what} {unknown[0]!r}, which is not a field of the answer to {webhook.command}"
            f" (it has {', '.join(sorted(fields))}; add invalid: true to send it deliberately)"
        )


def _compile_step(where: str, r: Response, webhooks: Sequence[Webhook], validator: ResponseChecker) -> _Step:
    if r.body and not r.invalid:
        for webhook in webhooks:
            fields = answer_fields(validator.contract, webhook)
            _check_fields(r.body, fields, webhook, f"{where}: body has")
    template = None
    if r.template is not None:
        try:
            template = _ENV.from_string(r.template)
        except jinja2.TemplateSyntaxError as exc:
            raise ScriptError(f"{where}: template line {exc.lineno}: {exc.message}") from None
    if r.raw is not None and (r.body is not None or template is not None):
        raise ScriptError(f"{where}: raw excludes body and template")
    if (
        r.fault is not None
        and r.fault is not Fault.HANG
        and (r.body is not None or r.raw is not None or template is not None)
    ):
        raise ScriptError(f"{where}: fault {r.fault.value!r} sends no body; drop body/raw/template")
    static: bytes | None = None
    if template is None:
        # A body that does not depend on the request: built once per webhook when it is the same for all.
        bodies = {_body_for(r, None, w, {}, {}) for w in webhooks}
        static = bodies.pop() if len(bodies) == 1 else None
    if r.invalid or r.fault in (Fault.RESET, Fault.EMPTY, Fault.MALFORMED):
        return _Step(r, static, template)
    if r.raw is not None:
        try:
            json.loads(r.raw)
        except ValueError:
            raise ScriptError(f"{where}: raw is not JSON; add invalid: true to send it deliberately") from None
    for webhook in webhooks:
        samples: list[Any] = []
        if template is not None:
            for example in webhook.examples:
                try:
                    rendered = _body_for(
                        r, template, webhook, dict(example.value), {}, answer_fields(validator.contract, webhook)
                    )
                    samples.append(json.loads(rendered))
                except (ScriptError, jinja2.TemplateError) as exc:
                    raise ScriptError(f"{where}: template fails on example {example.name!r}: {exc}") from None
        else:
            samples.append(json.loads(_body_for(r, None, webhook, {}, {})))
        for sample in samples:
            if not isinstance(sample, dict):
                raise ScriptError(f"{where}: the answer to {webhook.command} must be a JSON object")
            violations = validator.check_document(webhook.command, sample)
            if violations:
                first = violations[0]
                raise ScriptError(
                    f"{where}: the answer to {webhook.command} breaks the contract at {first.field}: {first.reason}"
                    " (add invalid: true to send it deliberately)"
                )
    return _Step(r, static, template)
