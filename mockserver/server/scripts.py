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

Everything a script can make the server do is bounded (`mockserver.server.budgets`): its size,
its rules and its templates are checked when it is loaded (YAML aliases are refused, answer
headers must be valid HTTP); matching one delivery has a time budget, and templates render in a
killable sandbox process (`mockserver.server.sandbox`), so no rule can hold the event loop.
"""

from __future__ import annotations

import enum
import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import jinja2
import msgspec
import yaml

from mockserver.contract import Contract, ContractError, FieldPath, Webhook
from mockserver.errors import ScriptError, UnknownCommand
from mockserver.responses import ResponseChecker
from mockserver.server.budgets import SCRIPT_BUDGET, ScriptBudget
from mockserver.server.predicates import Predicate, check_path, predicate
from mockserver.server.sandbox import TemplateFailed, TemplateSandbox
from mockserver.server.sandbox_child import compile_template, environment

__all__ = [
    "Choice",
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
    "parse_rule",
    "parse_script",
    "read_yaml",
    "template_context",
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
    """Shown in the journal and in errors; unique within a script, it is the rule's id on the admin API."""
    when: When = msgspec.field(default_factory=When)
    respond: Response | None = None
    sequence: list[Response] | None = None
    times: Annotated[int, msgspec.Meta(ge=1)] | None = None
    priority: int = 0


class ScriptDocument(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    rules: list[Rule] = msgspec.field(default_factory=list)


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
    template: str | None
    """The template's source; it is compiled and rendered in the sandbox process."""


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

    def matches(self, command: str, body: Any, query: Mapping[str, str], deadline: float) -> bool:
        if self.command is not None and self.command != command:
            return False
        for test in self.predicates:
            if time.perf_counter() > deadline:
                raise ScriptError(
                    f"rule {self.label!r}: matching the rules ran out of the matching time budget"
                    " (predicates over very long lists?)",
                    field="script",
                )
            if not test.holds(body, query, deadline):
                return False
        return True


@dataclass(frozen=True)
class Choice:
    """The rule and step that answer a delivery (chosen on the event loop or in a thread)."""

    rule: CompiledRule
    step: _Step


def _json_headers(content_type: str | None, extra: Mapping[str, str], length: int) -> tuple[tuple[bytes, bytes], ...]:
    headers = [
        (b"content-type", (content_type or "application/json").encode()),
        (b"content-length", str(length).encode()),
    ]
    headers.extend((k.lower().encode(), v.encode()) for k, v in extra.items())
    return tuple(headers)


def template_context(webhook: Webhook, document: Any, query: Mapping[str, str]) -> dict[str, Any]:
    """The variables a template sees (docs/scripts.md lists them)."""
    return {
        "body": document,
        "query": dict(query),
        "command": webhook.command,
        "event": webhook.name,
        "default": dict(webhook.default_response),
    }


class Script:
    """A loaded, checked script: answers deliveries."""

    def __init__(
        self,
        contract: Contract,
        rules: Sequence[CompiledRule],
        source: ScriptDocument,
        sandbox: TemplateSandbox,
        version: int = 0,
    ) -> None:
        self.contract = contract
        self.rules = tuple(sorted(rules, key=lambda r: (-r.priority, r.index)))
        self.source = source
        self.sandbox = sandbox
        self.version = version
        self.budget = sandbox.budget
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

    def choose(
        self, webhook: Webhook, document: Any, query: Mapping[str, str], hit: Callable[[CompiledRule], int]
    ) -> Choice | None:
        """The first rule that matches a checked delivery (None: the default answer).

        `hit` counts a match of a counted rule (1 for the first); matching runs under the
        `match_ms` budget.
        """
        deadline = time.perf_counter() + self.budget.match_ms / 1000
        for rule in self.rules:
            if not rule.matches(webhook.command, document, query, deadline):
                continue
            step_index = 0
            if rule.counted:
                n = hit(rule)
                if rule.times is not None and n > rule.times:
                    continue
                step_index = min(n, len(rule.steps)) - 1
            return Choice(rule, rule.steps[step_index])
        return None

    async def answer(self, choice: Choice | None, webhook: Webhook, document: Any, query: Mapping[str, str]) -> Reply:
        """The reply for a choice; a template renders in the sandbox (the event loop only waits)."""
        if choice is None:
            return self.default_reply(webhook)
        rule, step = choice.rule, choice.step
        r = step.response
        if step.static_body is not None:
            body = step.static_body
        else:
            fields = None if r.invalid else self._fields[webhook.command]
            rendered = None
            if step.template is not None:
                try:
                    text = await self.sandbox.render(
                        rule.label, step.template, template_context(webhook, document, query)
                    )
                except TemplateFailed as exc:
                    raise _template_error(rule.label, exc) from None
                rendered = _rendered_object(rule.label, text)
            try:
                body = _body_for(r, rendered, webhook, fields)
            except ScriptError as exc:
                raise ScriptError(f"rule {rule.label!r}: {exc}", field="script") from None
        return Reply(
            status=r.status,
            headers=_json_headers(r.content_type, r.headers, len(body)),
            body=body,
            rule=rule.label,
            delay_ms=r.delay_ms,
            fault=r.fault,
            hang_ms=r.hang_ms,
        )


def _template_error(label: str, exc: TemplateFailed) -> ScriptError:
    where = f"rule {label!r} template" + (f" line {exc.line}" if exc.line is not None else "")
    return ScriptError(f"{where}: {exc.reason}", field="script")


def _rendered_object(label: str, text: str) -> dict[str, Any]:
    try:
        rendered = json.loads(text)
    except ValueError as exc:
        raise ScriptError(
            f"rule {label!r}: the template rendered {text[:80]!r}, which is not JSON: {exc}", field="script"
        ) from None
    if not isinstance(rendered, dict):
        raise ScriptError(
            f"rule {label!r}: the template rendered a {type(rendered).__name__}, not a JSON object", field="script"
        )
    return rendered


def _body_for(
    r: Response, rendered: Mapping[str, Any] | None, webhook: Webhook, fields: frozenset[str] | None = None
) -> bytes:
    """The answer's bytes; with `fields`, a rendered key outside them is a script failure."""
    if r.raw is not None:
        return r.raw.encode()
    merged: dict[str, Any] = {} if r.replace else dict(webhook.default_response)
    if r.body:
        merged.update(r.body)
    if rendered is not None:
        if fields is not None:
            _check_fields(rendered, fields, webhook, "the template rendered")
        merged.update(rendered)
    return json.dumps(merged, ensure_ascii=False).encode()


# -------------------------------------------------------------------- loading
_YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Doc = TypeVar("_Doc", ScriptDocument, Rule)
_MSGSPEC_PATH = re.compile(r"^(?P<reason>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)


def read_yaml(text: str | bytes) -> Any:
    """Parse YAML (JSON is YAML) with aliases refused: a few hundred bytes of nested aliases
    (``&a [*b, *b, ...]``) expand to gigabytes, and a script has no need to share nodes.

    Raises `yaml.YAMLError` for text that is not YAML and `ScriptError` for an alias. Aliases
    are found in libyaml's event stream, before any node is built.
    """
    try:
        for event in yaml.parse(text, Loader=_YAML_LOADER):
            if isinstance(event, yaml.AliasEvent):
                mark = event.start_mark
                where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
                raise ScriptError(
                    f"the script uses the YAML alias *{event.anchor}{where}; aliases are not allowed"
                    " (they can expand to gigabytes): write the value out"
                )
        return yaml.load(text, Loader=_YAML_LOADER)
    except RecursionError:
        raise yaml.YAMLError("the document nests too deeply") from None


def _data(source: str | bytes | Path | Mapping[str, Any], budget: ScriptBudget) -> Any:
    """YAML/JSON text or a file parsed under the size budget (a mapping is taken as it is)."""
    if isinstance(source, Path):
        try:
            size = source.stat().st_size
            if size > budget.script_bytes:
                raise ScriptError(f"the script is {size} bytes; the limit is {budget.script_bytes}")
            source = source.read_bytes()
        except OSError as exc:
            raise ScriptError(f"cannot read the script: {exc}") from None
    if isinstance(source, (str, bytes)):
        size = len(source.encode() if isinstance(source, str) else source)
        if size > budget.script_bytes:
            raise ScriptError(f"the script is {size} bytes; the limit is {budget.script_bytes}")
        try:
            return read_yaml(source)
        except yaml.YAMLError as exc:
            raise ScriptError(f"the script is not valid YAML/JSON: {exc}") from None
    return source


def _convert(data: Any, kind: type[_Doc]) -> _Doc:
    """msgspec's conversion, its error turned into a `ScriptError` naming the field."""
    try:
        return msgspec.convert({} if data is None else data, kind)
    except msgspec.ValidationError as exc:
        match = _MSGSPEC_PATH.match(str(exc))
        assert match is not None  # the pattern matches any text
        path = (match["path"] or "").lstrip(".")
        if path:
            raise ScriptError(f"{path}: {match['reason']}", field=path) from None
        raise ScriptError(match["reason"]) from None


def parse_script(
    source: str | bytes | Path | Mapping[str, Any], budget: ScriptBudget = SCRIPT_BUDGET
) -> ScriptDocument:
    """Parse YAML/JSON text, a file, or an already-parsed mapping into a script document."""
    document = _convert(_data(source, budget), ScriptDocument)
    if len(document.rules) > budget.rules:
        raise ScriptError(f"the script has {len(document.rules)} rules; the limit is {budget.rules}", field="rules")
    return document


def parse_rule(source: str | bytes | Mapping[str, Any], budget: ScriptBudget = SCRIPT_BUDGET) -> Rule:
    """One rule, as the admin API's rule endpoints take it (fields are named relative to the rule)."""
    return _convert(_data(source, budget), Rule)


def _refusal(name: str | None, field: str, reason: str) -> ScriptError:
    """A load-time refusal naming the rule (when it has a name) and the field."""
    where = f"rule {name!r} at {field}" if name else field
    return ScriptError(f"{where}: {reason}", field=field)


def compile_script(
    document: ScriptDocument,
    contract: Contract,
    validator: ResponseChecker,
    sandbox: TemplateSandbox,
    version: int = 0,
) -> Script:
    """Check a script against the contract and prepare it for answering."""
    budget = sandbox.budget
    compiled: list[CompiledRule] = []
    names: dict[str, int] = {}
    if len(document.rules) > budget.rules:
        raise ScriptError(f"the script has {len(document.rules)} rules; the limit is {budget.rules}", field="rules")
    for index, rule in enumerate(document.rules):
        label = rule.name or f"rules[{index}]"
        at = f"rules[{index}]"
        if rule.name is not None:
            if rule.name in names:
                raise _refusal(rule.name, f"{at}.name", f"rules[{names[rule.name]}] has the same name; names are ids")
            names[rule.name] = index
        if (rule.respond is None) == (rule.sequence is None):
            raise _refusal(rule.name, at, "give exactly one of respond or sequence")
        steps_src = [rule.respond] if rule.respond is not None else list(rule.sequence or [])
        if not steps_src:
            raise _refusal(rule.name, f"{at}.sequence", "the sequence is empty")
        command = None
        if rule.when.command is not None:
            try:
                command = contract.webhook_named(rule.when.command).command
            except UnknownCommand as exc:
                raise _refusal(rule.name, f"{at}.when.command", str(exc)) from None
        webhooks = [contract.webhook(command)] if command is not None else list(contract.webhooks)
        predicates: list[Predicate] = []
        for source, conditions in (("body", rule.when.body), ("query", rule.when.query)):
            for path_text, spec in conditions.items():
                try:
                    path = FieldPath.parse(path_text)
                    check_path(contract, source, path, webhooks)
                    predicates.append(predicate(source, path, spec, budget))
                except (ValueError, ContractError) as exc:
                    raise _refusal(rule.name, f"{at}.when.{source}.{path_text}", str(exc)) from None
        steps = tuple(
            _compile_step(
                rule.name,
                label,
                f"{at}.sequence[{k}]" if rule.sequence is not None else f"{at}.respond",
                r,
                webhooks,
                validator,
                sandbox,
            )
            for k, r in enumerate(steps_src)
        )
        compiled.append(CompiledRule(index, label, command, tuple(predicates), steps, rule.times, rule.priority))
    if any(step.template is not None for rule in compiled for step in rule.steps):
        sandbox.warm()
    return Script(contract, compiled, document, sandbox, version)


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


_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
"""RFC 9110 `token`: what a header name (and a media type's type and subtype) may be."""
_FIELD_VALUE = re.compile(r"[^\x00-\x08\x0a-\x1f\x7f]*")
"""RFC 9110 `field-value`: visible characters, spaces and tabs; never CR, LF or NUL."""
_MEDIA_TYPE = re.compile(
    r"(?P<type>[^/;\s]+)/(?P<subtype>[^/;\s]+)"
    r"""(?:[ \t]*;[ \t]*[^=;\s]+=(?:[^";\s]+|"(?:[^"\\]|\\.)*"))*[ \t]*"""
)
"""A media type with optional parameters (``text/plain; charset=utf-8``); type and subtype must be tokens."""
_FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "content-type"})
"""Headers the server writes itself: a script setting them would break the framing of the answer."""


def _check_headers(name: str | None, at: str, r: Response) -> None:
    """Refuse answer headers HTTP cannot carry: the server would drop the connection on every match."""
    for key, value in r.headers.items():
        if not _TOKEN.fullmatch(key):
            raise _refusal(name, f"{at}.headers", f"{key!r} is not a header name (an HTTP token: no spaces, CR or LF)")
        if key.lower() in _FRAMING_HEADERS:
            hint = "; use content_type" if key.lower() == "content-type" else ""
            raise _refusal(name, f"{at}.headers", f"{key!r} is set by the server from the answer itself{hint}")
        if not _FIELD_VALUE.fullmatch(value) or value != value.strip(" \t"):
            raise _refusal(
                name,
                f"{at}.headers.{key}",
                f"{value!r} is not a header value (no CR, LF or other control characters, no surrounding spaces)",
            )
    if r.content_type is not None:
        media = _MEDIA_TYPE.fullmatch(r.content_type)
        if (
            media is None
            or not (_TOKEN.fullmatch(media["type"]) and _TOKEN.fullmatch(media["subtype"]))
            or not _FIELD_VALUE.fullmatch(r.content_type)
        ):
            raise _refusal(
                name, f"{at}.content_type", f"{r.content_type!r} is not a media type like 'text/plain; charset=utf-8'"
            )


def _compile_step(
    name: str | None,
    label: str,
    at: str,
    r: Response,
    webhooks: Sequence[Webhook],
    validator: ResponseChecker,
    sandbox: TemplateSandbox,
) -> _Step:
    budget = sandbox.budget
    _check_headers(name, at, r)
    if r.body and not r.invalid:
        for webhook in webhooks:
            fields = answer_fields(validator.contract, webhook)
            try:
                _check_fields(r.body, fields, webhook, "body has")
            except ScriptError as exc:
                raise _refusal(name, f"{at}.body", str(exc)) from None
    template = r.template
    if template is not None:
        if len(template) > budget.template_chars:
            raise _refusal(
                name,
                f"{at}.template",
                f"the template has {len(template)} characters; the limit is {budget.template_chars}",
            )
        try:
            compile_template(_SYNTAX, label, template)
        except jinja2.TemplateSyntaxError as exc:
            raise _refusal(name, f"{at}.template", f"template line {exc.lineno}: {exc.message}") from None
        except RecursionError:
            raise _refusal(name, f"{at}.template", "the template nests too deeply") from None
    if r.raw is not None and (r.body is not None or template is not None):
        raise _refusal(name, at, "raw excludes body and template")
    if (
        r.fault is not None
        and r.fault is not Fault.HANG
        and (r.body is not None or r.raw is not None or template is not None)
    ):
        raise _refusal(name, f"{at}.fault", f"fault {r.fault.value!r} sends no body; drop body/raw/template")
    static: bytes | None = None
    if template is None:
        # A body that does not depend on the request: built once when it is the same for all webhooks.
        bodies = {_body_for(r, None, w) for w in webhooks}
        static = bodies.pop() if len(bodies) == 1 else None
    if r.invalid or r.fault in (Fault.RESET, Fault.EMPTY, Fault.MALFORMED):
        return _Step(r, static, template)
    if r.raw is not None:
        try:
            json.loads(r.raw)
        except ValueError:
            raise _refusal(name, f"{at}.raw", "raw is not JSON; add invalid: true to send it deliberately") from None
    for webhook in webhooks:
        samples: list[Any] = []
        fields = answer_fields(validator.contract, webhook)
        if template is not None:
            for example in webhook.examples:
                query = validator.contract.query_example(webhook.command)
                context = template_context(webhook, dict(example.value), query)
                try:
                    rendered = _rendered_object(label, sandbox.render_blocking(label, template, context))
                    samples.append(json.loads(_body_for(r, rendered, webhook, fields)))
                except TemplateFailed as exc:
                    line = f"line {exc.line}: " if exc.line is not None else ""
                    raise _refusal(
                        name, f"{at}.template", f"{line}fails on the example {example.name!r}: {exc.reason}"
                    ) from None
                except ScriptError as exc:
                    raise _refusal(name, f"{at}.template", f"on the example {example.name!r}: {exc}") from None
        else:
            samples.append(json.loads(_body_for(r, None, webhook)))
        for sample in samples:
            if not isinstance(sample, dict):
                raise _refusal(name, at, f"the answer to {webhook.command} must be a JSON object")
            violations = validator.check_document(webhook.command, sample)
            if violations:
                first = violations[0]
                raise _refusal(
                    name,
                    f"{at}.template" if template is not None else at,
                    f"the answer to {webhook.command} breaks the contract at {first.field}: {first.reason}"
                    " (add invalid: true to send it deliberately)",
                )
    return _Step(r, static, template)


_SYNTAX = environment()
"""The sandbox's environment, used here only to check a template's syntax when it is loaded."""
