"""The one engine that judges a delivery: it decides fast and explains precisely.

Every command that looks at a delivery (`serve`, `validate`, `fuzz`) asks `DeliveryValidator`,
so a refusal reads the same everywhere. A delivery passes through stages, in the order a
refusal is reported: media type (415), query (400), signature (401), app ID (403), body (400),
and the rule no schema can state, that the query and the body name the same webhook (400).

Deciding and explaining are two jobs with two costs:

* **Deciding** uses the contract's schemas compiled by `jsonschema_rs` (about a microsecond for
  a typical event, a few milliseconds for a 1 MiB body), plus the strict JSON reader
  (`loads_strict`) and the strict query casts. This is what the mock runs on its event loop for
  every delivery.
* **Explaining** runs only when the decision is "no", with the kit's discriminator-aware schema
  validator, so every violation is named by its field path: each query parameter, cast as
  openapi-core casts it, is validated against its own schema, and a body that names a webhook
  against that webhook's event schema (what openapi-core would reach, without its request
  machinery, which costs ten to a hundred times more); openapi-core explains a body that names
  no webhook, and the query of a contract with a parameter the kit does not cast. It is
  bounded: at most `EXPLAIN_LIMIT` violations and `EXPLAIN_BUDGET_S` seconds of CPU, after which the
  refusal says more were left unnamed. The mock runs it off the event loop.

The explainer is the authority on "no": when the compiled validator refuses a document in which
the explanation finds nothing wrong, the compiled one was stricter than the contract (a
discriminator's catch-all branch, say) and the delivery conforms.
"""

from __future__ import annotations

import contextvars
import math
import re
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

import jsonschema_rs
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.deserializing.styles.exceptions import EmptyQueryParameterValue
from openapi_core.validation.request.exceptions import (
    InvalidRequestBody,
    MissingRequestBody,
    MissingRequiredParameter,
    ParameterValidationError,
    RequestBodyValidationError,
)
from openapi_core.validation.request.validators import V30RequestValidator
from openapi_core.validation.schemas.exceptions import InvalidSchemaValue
from openapi_core.validation.schemas.factories import SchemaValidatorsFactory
from openapi_core.validation.schemas.validators import SchemaValidator
from werkzeug.datastructures import Headers, ImmutableMultiDict
from werkzeug.http import parse_options_header

from mockserver.contract import Contract, Parameter, Webhook, load_contract
from mockserver.errors import JSONTextError, UnknownCommand
from mockserver.jsontext import TOO_DEEP, loads_strict, refuse_duplicate_keys
from mockserver.responses import ResponseChecker
from mockserver.schema import (
    EXPLAIN_BUDGET_S,
    EXPLAIN_LIMIT,
    OutOfTime,
    RequestSchemaValidator,
    Violation,
    explaining,
    make_validator,
    violations_of,
)
from mockserver.signing import SignatureCheck, Signer

__all__ = ["EXPLAIN_LIMIT", "DeliveryValidator", "Judgement", "PlainRequest", "Violation", "command_mismatch", "shown"]

MEDIA_TYPE = "application/json"


# ------------------------------------------------------------------ openapi-core, bounded
@dataclass
class _Cut:
    """Whether the explanation in this context stopped early (limit reached or out of time)."""

    cut: bool = False


_CUT: contextvars.ContextVar[_Cut] = contextvars.ContextVar("mockserver_explain_cut")


def _first_errors(validator: Any, value: Any) -> tuple[list[Any], bool]:
    """The first `EXPLAIN_LIMIT` errors of `value` found before the deadline (`explaining`), and
    whether the walk stopped short: the one bounded walk of both explanations."""
    found: list[Any] = []
    try:
        for error in validator.iter_errors(value):
            found.append(error)
            if len(found) >= EXPLAIN_LIMIT:
                return found, True
    except OutOfTime:
        return found, True
    return found, False


def _unnamed(stage: str) -> Violation:
    """What a refusal says when the deadline came before any field was named."""
    return Violation(stage, f"does not conform; naming the field took over {EXPLAIN_BUDGET_S:g} s")


class _BoundedSchemaValidator(SchemaValidator):
    """openapi-core's schema validator, keeping the first `EXPLAIN_LIMIT` errors found in time.

    openapi-core collects every error of a schema before it reports any; this stops the walk at
    the limit or the deadline (`mockserver.schema.explaining`) and reports what it has.
    """

    def validate(self, value: Any) -> None:
        found, cut = _first_errors(self.validator, value)
        if cut:
            _CUT.get(_Cut()).cut = True
        if found:
            schema_type = (self.schema / "type").read_str_or_list("any")
            raise InvalidSchemaValue(value, schema_type, schema_errors=tuple(found))


class _BoundedFactory(SchemaValidatorsFactory):
    def create(self, *args: Any, **kwargs: Any) -> SchemaValidator:
        made = super().create(*args, **kwargs)
        return _BoundedSchemaValidator(made.schema, made.validator)

    def get_format_checker(self, format_validators: Any = None, extra_format_validators: Any = None) -> Any:
        """One format checker for every schema validator made without extra formats.

        openapi-core deep-copies its format checker for each schema validator it makes (one per
        schema reached, so dozens per request), in case formats are added to it; none are added
        here, and the copies cost a tenth of openapi-core's explanations (the 698 refusals of a
        default fuzzing run, all explained: 1.04 s with the copies, 0.92 s without).
        """
        if format_validators is not None or extra_format_validators is not None:
            return super().get_format_checker(format_validators, extra_format_validators)
        shared = self.__dict__.get("_shared_format_checker")
        if shared is None:
            shared = self.__dict__["_shared_format_checker"] = super().get_format_checker()
        return shared


class _KitRequestValidator(V30RequestValidator):
    schema_validators_factory = _BoundedFactory(RequestSchemaValidator)


@dataclass
class PlainRequest:
    """An openapi-core request built from captured data rather than from a web framework."""

    query: Mapping[str, str]
    body: bytes | None
    content_type: str = MEDIA_TYPE
    path: str = "/"
    method: str = "post"
    host_url: str = "http://127.0.0.1"
    parameters: RequestParameters = field(init=False)

    def __post_init__(self) -> None:
        self.parameters = RequestParameters(query=ImmutableMultiDict(self.query), header=Headers())


def _leaf(error: Any) -> Iterable[Any]:
    """Descend into a plain (undiscriminated) oneOf/anyOf, following the closest branch."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        branches: dict[Any, list[Any]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        closest = min(branches.values(), key=len)
        for sub in closest:
            yield from _leaf(sub)
        return
    yield error


def _named(validator: Any, value: Any, root: str) -> tuple[list[Violation], bool]:
    """`value`'s violations of `validator`'s schema, named under `root`, and whether the walk
    stopped short (call it inside `explaining`): the query's and the body's direct explanation."""
    errors, cut = _first_errors(validator, value)
    return violations_of([leaf for error in errors for leaf in _leaf(error)], root), cut


_MISSING_PARAMETER = "required query parameter is missing"
"""What both explanations of the query say of a required parameter that did not come."""


def _explain_error(error: Exception) -> list[Violation]:
    """One openapi-core error as the kit's violations (field path + reason)."""
    cause = error.__cause__
    if isinstance(error, ParameterValidationError):
        where = f"query.{error.name}"
        if isinstance(error, MissingRequiredParameter):
            return [Violation(where, _MISSING_PARAMETER)]
        schema_errors = getattr(cause, "schema_errors", None)
        if schema_errors:
            leaves = [leaf for e in schema_errors for leaf in _leaf(e)]
            return [Violation(where, v.reason) for v in violations_of(leaves, "")]
        return [Violation(where, str(cause or error))]
    if isinstance(error, MissingRequestBody):
        return [Violation("body", "the request body is required")]
    if isinstance(error, InvalidRequestBody) and getattr(cause, "schema_errors", None):
        leaves = [leaf for e in cause.schema_errors for leaf in _leaf(e)]  # type: ignore[union-attr]
        return violations_of(leaves, "body")
    if isinstance(error, RequestBodyValidationError):
        return [Violation("body", str(cause or error))]
    return [Violation("request", str(error))]


# ------------------------------------------------------------------ the fast path
_INTEGER = re.compile(r"-?[0-9]{1,30}")
_NUMBER = re.compile(r"-?[0-9]{1,30}(\.[0-9]{1,30})?([eE][-+]?[0-9]{1,3})?")


def _integer(raw: str) -> int:
    # int() also takes " 1", "1_000", "+1" and non-ASCII digits; a query integer is plain digits.
    if not _INTEGER.fullmatch(raw):
        raise ValueError(raw)
    return int(raw)


def _number(raw: str) -> float:
    # float() also takes "nan", "inf" and "1e999" (inf), which no schema bound would then refuse.
    value = float(raw) if _NUMBER.fullmatch(raw) else math.nan
    if not math.isfinite(value):
        raise ValueError(raw)
    return value


_CASTS: dict[str, Callable[[str], Any]] = {"integer": _integer, "number": _number}
_READ_AS_IS = frozenset({None, "string", *_CASTS})
"""Parameter types the kit reads as openapi-core does: cast by `_CASTS`, or the string as it came."""


def shown(text: str, limit: int = 40) -> str:
    """A value quoted for a message, cut short: a hostile value must not make the answer huge."""
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}... ({len(text)} characters)"


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", int: "a number"}
    return "null" if value is None else names.get(type(value), "a number")


def command_mismatch(contract: Contract, query: Mapping[str, str], document: Any) -> Violation | None:
    """The query's command parameter and the body's discriminator naming different webhooks.

    No schema can state it (the query and the body are checked apart); the Chat backend sends
    both, so a sender that disagrees with itself is refused, the same way by every checker.
    """
    if not isinstance(document, Mapping):
        return None
    parameter = contract.parameter("command").name
    in_query = query.get(parameter)
    in_body = document.get(contract.command_field)
    if in_query is None or in_body is None or in_query == in_body:
        return None
    return Violation(
        f"query.{parameter}", f"{in_query!r} does not match the body's {contract.command_field} {in_body!r}"
    )


# ------------------------------------------------------------------ the verdict
@dataclass
class Judgement:
    """What the engine concluded about one delivery.

    `status` is 200 for a conforming delivery, else the refusal's status; `violations` are
    sorted by field; `more` says the explanation stopped before naming everything.
    `explained` is False when the fast path refused and the explanation has not run yet.
    """

    status: int
    violations: list[Violation] = field(default_factory=list)
    more: bool = False
    webhook: Webhook | None = None
    document: Any = None
    signature: SignatureCheck | None = None
    explained: bool = True

    @property
    def accepted(self) -> bool:
        return self.status == 200


@dataclass(frozen=True)
class _Schemas:
    """The contract's schemas, built for the validator's two jobs: a pure function of the contract.

    Building them compiles one schema per webhook, twice: about 7 ms, which every mock server,
    `validate` run and fuzzing judge would pay again for the same contract. `_once_per_contract`
    builds them once per contract object; they hold no state a judgement changes, so validators
    share them (read-only mappings, so that no validator can change another's).
    """

    query: Any
    """The query as one compiled object schema (deciding)."""
    events: Mapping[str, Any]
    """Each webhook's compiled event schema, by command (deciding)."""
    params: Mapping[str, Any]
    """Per parameter, for the query's explanation; empty if some parameter's type needs
    openapi-core's casting (a boolean, an array), which then explains the whole query."""
    bodies: Mapping[str, Any]
    """Each webhook's event schema for the kit's discriminator-aware walk (explaining)."""

    @classmethod
    def build(cls, contract: Contract) -> _Schemas:
        params = contract.parameters
        components = contract.document.get("components")
        query = {
            "type": "object",
            "required": [p.name for p in params if p.required],
            "properties": {p.name: dict(p.schema) for p in params},
        }
        read_as_is = all(p.schema.get("type") in _READ_AS_IS for p in params)
        return cls(
            query=_compiled(contract, query),
            events=MappingProxyType(
                {w.command: _compiled(contract, {"$ref": w.request_ref}) for w in contract.webhooks}
            ),
            params=MappingProxyType(
                {p.name: make_validator(RequestSchemaValidator, dict(p.schema), components) for p in params}
                if read_as_is
                else {}
            ),
            bodies=MappingProxyType(
                {
                    w.command: make_validator(RequestSchemaValidator, {"$ref": w.request_ref}, components)
                    for w in contract.webhooks
                }
            ),
        )


def _openapi_core(contract: Contract) -> OpenAPI:
    """openapi-core over the contract, for what the kit's own walk does not explain (see the
    module docstring): built when first needed, since most processes never need it (7 ms)."""
    return OpenAPI.from_dict(
        _for_openapi_core(contract),
        config=Config(spec_validator_cls=None, request_validator_cls=_KitRequestValidator),
    )


_Built = TypeVar("_Built")
_built: weakref.WeakKeyDictionary[Contract, dict[Callable[[Contract], Any], Any]] = weakref.WeakKeyDictionary()
_building = threading.Lock()


def _once_per_contract(contract: Contract, build: Callable[[Contract], _Built]) -> _Built:
    """`build(contract)`, made on first use and kept while the contract lives.

    A `Contract` is not changed after it is made (its fingerprint is cached the same way); a
    changed document is a new `Contract`, so it gets its own. What is kept must not refer to the
    contract itself, or it would keep it alive.
    """
    with _building:
        made = _built.setdefault(contract, {})
        if build not in made:
            made[build] = build(contract)
        return made[build]  # type: ignore[no-any-return]


def _compiled(contract: Contract, schema: Mapping[str, Any]) -> Any:
    return jsonschema_rs.Draft4Validator(contract.dereferenced(schema, bounded=True))


class DeliveryValidator:
    """Judges deliveries and answers for one contract; build it once and reuse it (thread-safe)."""

    def __init__(
        self, contract: Contract | None = None, *, sdkappid: str | None = None, token: str | None = None
    ) -> None:
        self.contract = contract if contract is not None else load_contract()
        self.signer = Signer(token, rule=self.contract.signing)
        self.sdkappid = sdkappid
        self.responses = ResponseChecker(self.contract)
        schemas = _once_per_contract(self.contract, _Schemas.build)
        self._query = schemas.query
        self._events = schemas.events
        self._param_schemas = schemas.params
        self._bodies = schemas.bodies
        self._params: tuple[Parameter, ...] = self.contract.parameters
        self._may_be_empty = frozenset(p.name for p in self._params if p.allow_empty)
        self._app_param = self.contract.parameter("app-id").name
        self._casts = {
            p.name: _CASTS[str(p.schema.get("type"))] for p in self._params if p.schema.get("type") in _CASTS
        }

    # ------------------------------------------------------------ whole requests
    def judge(
        self,
        query: Mapping[str, str],
        body: bytes | None,
        content_type: str | None = MEDIA_TYPE,
        *,
        explain: bool = True,
        authenticate: bool = True,
    ) -> Judgement:
        """The staged verdict the mock answers with: the first failing stage decides the status.

        With `explain=False` only the fast path runs (bounded by the body's size): a refusal comes
        back with `explained=False` and the fast path's own reasons; call again with
        `explain=True` (off the event loop) to name every field.
        """
        media = self.media_type_violation(content_type)
        if media is not None:
            return Judgement(415, [media])
        found, schema_ok = self._query_violations(query)
        if found or not schema_ok:
            return self._explained(400, query, body, found, explain, stage="query")
        signature = self.signer.verify(query) if authenticate else None
        if signature is not None and not signature.accepted:
            where = f"query.{signature.parameter}"
            return Judgement(401, [Violation(where, signature.detail)], signature=signature)
        if authenticate and self.sdkappid is not None and query.get(self._app_param) != self.sdkappid:
            detail = f"{self._app_param} {shown(str(query.get(self._app_param)))} is not this app's SDKAppID"
            return Judgement(403, [Violation(f"query.{self._app_param}", detail)], signature=signature)
        document, reason = self._decode(body, duplicates=explain)
        if reason is not None:
            return Judgement(400, [reason], signature=signature)
        tag = document.get(self.contract.command_field)
        mismatch = command_mismatch(self.contract, query, document)
        also = [mismatch] if mismatch is not None else []
        compiled = self._events.get(tag) if isinstance(tag, str) else None
        conforms = compiled is not None and compiled.is_valid(document)
        if conforms and not explain:  # the schema bounds this document's size: the duplicate-key pass is cheap
            try:
                refuse_duplicate_keys(body or b"", document)
            except JSONTextError as exc:
                return Judgement(400, [Violation("body", f"the body is {exc}")], signature=signature)
        if not conforms:
            judgement = self._explained(400, query, body, also, explain, stage="body", document=document)
            if judgement.violations or not judgement.explained:
                judgement.signature = signature
                return judgement
        if mismatch is not None:
            return Judgement(400, [mismatch], signature=signature)
        try:
            webhook = self.contract.webhook(tag)
        except UnknownCommand as exc:
            return Judgement(400, [Violation(f"body.{self.contract.command_field}", str(exc))], signature=signature)
        return Judgement(200, webhook=webhook, document=document, signature=signature)

    def check_request(
        self, query: Mapping[str, str], body: bytes | None, content_type: str | None = MEDIA_TYPE
    ) -> list[Violation]:
        """Every way this delivery breaks the contract (query and body alike); [] means it conforms.

        What `validate` and `send` ask. Signatures are not judged here (they need the token).
        The compiled schemas' "yes" is final (see the module docstring), so a conforming delivery
        costs the fast path only; the explanation runs to name what a refused one breaks.
        """
        if self.judge(query, body, content_type, explain=False, authenticate=False).accepted:
            return []
        found: list[Violation] = []
        media = self.media_type_violation(content_type)
        if media is not None:
            found.append(media)
        query_faults, query_ok = self._query_violations(query)
        found.extend(query_faults)
        if not query_ok:
            found.extend(self._query_schema_violations(query)[0])
        document, reason = self._decode(body)
        if reason is not None:
            found.append(reason)
        else:
            found.extend(self._body_violations(query, body, document)[0])
            mismatch = command_mismatch(self.contract, query, document)
            if mismatch is not None:
                found.append(mismatch)
        return _unique_fields(found)

    # ------------------------------------------------------------------ stages
    def media_type_violation(self, content_type: str | None) -> Violation | None:
        """The webhook's media type is application/json in UTF-8."""
        if not content_type:
            return Violation("header.Content-Type", "the Content-Type header is missing; webhooks are application/json")
        mime, options = parse_options_header(content_type)
        if mime.lower() != MEDIA_TYPE:
            return Violation("header.Content-Type", f"{shown(mime)} is not {MEDIA_TYPE}")
        charset = options.get("charset", "utf-8").lower()
        if charset not in ("utf-8", "utf8"):
            return Violation("header.Content-Type", f"charset {shown(charset)} is not UTF-8")
        return None

    def _typed(self, query: Mapping[str, str]) -> dict[str, Any]:
        typed: dict[str, Any] = {}
        for param in self._params:
            raw = query.get(param.name)
            if raw is None:
                continue
            cast = self._casts.get(param.name)
            try:
                typed[param.name] = cast(raw) if cast is not None else raw
            except ValueError:
                typed[param.name] = raw
        return typed

    def _query_violations(self, query: Mapping[str, str]) -> tuple[list[Violation], bool]:
        """What the strict reading of the query refuses (faults, empties, casts), and the schema's yes/no.

        The schema's "no" is explained parameter by parameter (`_query_schema_violations`).
        """
        found: list[Violation] = []
        faults: Mapping[str, str] = getattr(query, "faults", {})
        for param in self._params:
            raw = query.get(param.name)
            if raw is None:
                continue
            if param.name in faults:
                found.append(Violation(f"query.{param.name}", faults[param.name]))
            elif raw == "" and not param.allow_empty:
                found.append(Violation(f"query.{param.name}", "an empty value is not allowed"))
            elif param.name in self._casts:
                try:
                    self._casts[param.name](raw)
                except ValueError:
                    found.append(
                        Violation(f"query.{param.name}", f"{shown(raw)} is not of type {param.schema.get('type')!r}")
                    )
        return found, not found and self._query.is_valid(self._typed(query))

    def _decode(self, body: bytes | None, *, duplicates: bool = True) -> tuple[Any, Violation | None]:
        if not body:
            return None, Violation("body", "the request body is required")
        try:
            document = loads_strict(body, duplicates=duplicates)
        except JSONTextError as exc:
            return None, Violation("body", f"the body is {exc}")
        if not isinstance(document, dict):
            return None, Violation("body", f"the body must be a JSON object, not {_json_type(document)}")
        return document, None

    def _explained(
        self,
        status: int,
        query: Mapping[str, str],
        body: bytes | None,
        known: list[Violation],
        explain: bool,
        stage: str,
        document: Any = None,
    ) -> Judgement:
        if not explain:
            fallback = known or [Violation(stage, f"the {stage} does not conform to the contract")]
            return Judgement(status, fallback, explained=False)
        if stage == "body":
            found, more = self._body_violations(query, body, document)
        else:
            found, more = self._query_schema_violations(query)
        return Judgement(status, _unique_fields([*known, *found]), more=more)

    def _query_schema_violations(self, query: Mapping[str, str]) -> tuple[list[Violation], bool]:
        """What the parameters' schemas refuse, each parameter on its own, bounded like the body's.

        Called once the strict reading (`_query_violations`) found nothing yet the compiled schema
        said no. A parameter is read as openapi-core reads it (integers and numbers cast, strings
        as they are) and validated against its schema, without openapi-core's request machinery,
        which also validated a placeholder body only to drop what it found (4.5 ms per refused
        query); a contract with a parameter of another type keeps openapi-core's explanation.
        """
        if not self._param_schemas:
            return self._openapi(query, b"{}", stage="query")
        typed = self._typed(query)
        found: list[Violation] = []
        cut = False
        with explaining(EXPLAIN_BUDGET_S):
            for param in self._params:
                where = f"query.{param.name}"
                if param.name not in typed:
                    if param.required:
                        found.append(Violation(where, _MISSING_PARAMETER))
                    continue
                named, stopped = _named(self._param_schemas[param.name], typed[param.name], where)
                found.extend(named)
                cut = cut or stopped
        if cut and not found:
            found = [_unnamed("query")]
        return found, cut

    def _body_violations(
        self, query: Mapping[str, str], body: bytes | None, document: Any
    ) -> tuple[list[Violation], bool]:
        """The body's violations, bounded like openapi-core's explanation (`EXPLAIN_LIMIT`, `EXPLAIN_BUDGET_S`).

        A body that names a webhook is explained by the kit's validator on that webhook's event
        schema, the schema openapi-core would reach through the discriminator, without its
        request machinery (ten times faster: 96 refused bodies of a fuzzing run in 0.024 s
        instead of 0.254 s, the same violations); any other body by openapi-core, which names
        what is wrong with the discriminator itself.
        """
        tag = document.get(self.contract.command_field) if isinstance(document, dict) else None
        validator = self._bodies.get(tag) if isinstance(tag, str) else None
        if validator is None:
            return self._openapi(query, body, stage="body")
        try:
            with explaining(EXPLAIN_BUDGET_S):
                found, cut = _named(validator, document, "body")
        except RecursionError:
            return [Violation("body", f"the body is {TOO_DEEP}")], False
        if cut and not found:
            found = [_unnamed("body")]
        return found, cut

    def _openapi(
        self, query: Mapping[str, str], body: bytes | None, *, stage: str | None
    ) -> tuple[list[Violation], bool]:
        """openapi-core's explanation, bounded; `stage` keeps only the query's or the body's violations."""
        cut = _Cut()
        token = _CUT.set(cut)
        request = PlainRequest(query=dict(query), body=body, content_type=MEDIA_TYPE)
        found: list[Violation] = []
        try:
            with explaining(EXPLAIN_BUDGET_S):
                for error in _once_per_contract(self.contract, _openapi_core).iter_request_errors(request):
                    if not self._allowed_empty(error):
                        found.extend(_explain_error(error))
        except RecursionError:
            found.append(Violation("body", f"the body is {TOO_DEEP}"))
        except OutOfTime:
            cut.cut = True
        finally:
            _CUT.reset(token)
        if stage == "query":
            found = [v for v in found if v.field.startswith("query.")]
        elif stage == "body":
            found = [v for v in found if not v.field.startswith("query.")]
        if cut.cut and not found:
            found = [_unnamed(stage or "body")]
        return found, cut.cut

    def _allowed_empty(self, error: Exception) -> bool:
        """openapi-core refusing an empty value the contract allows (see `_without_allow_empty`)."""
        return isinstance(error.__cause__, EmptyQueryParameterValue) and error.__cause__.name in self._may_be_empty

    # ---------------------------------------------------------------- responses
    def check_response(
        self, command: str, status: int, body: bytes, content_type: str | None = None
    ) -> list[Violation]:
        """Whether an answer to `command` is one the Chat backend counts as a conforming success."""
        return self.responses.check(command, status, body, content_type)

    def check_response_document(self, command: str, document: Any) -> list[Violation]:
        """Schema check of an already-parsed answer to `command` (scripted answers, examples)."""
        return self.responses.check_document(command, document)

    def webhook_for(self, command: object) -> Webhook:
        """The webhook of a command; raises `UnknownCommand`."""
        return self.contract.webhook(command)


def _for_openapi_core(contract: Contract) -> dict[str, Any]:
    """The contract as openapi-core reads it: its paths with every `$ref` inlined, no `allowEmptyValue`.

    openapi-core follows a `$ref` through jsonschema-path's lazy accessors each time a schema is
    reached (a hundred times and more per request); inlined, fewer lookups go through them (the
    698 refusals of a default fuzzing run, all explained: 0.79 s instead of 0.92 s). The
    components stay, for the discriminators' mappings, which name them.
    """
    document = dict(contract.document)
    document["paths"] = contract.dereferenced(document["paths"])
    return _without_allow_empty(document)  # type: ignore[no-any-return]


def _without_allow_empty(node: Any) -> Any:
    """The contract as openapi-core reads it: without `allowEmptyValue`.

    OpenAPI 3.0 says an empty query value is allowed with `allowEmptyValue` (the vendor sends an
    empty `ClientIP`), and openapi-core warns about that keyword (DeprecationWarning) on every
    request it checks, which would reach the test runs of everyone using the kit. The keyword's
    only effect there is to not raise `EmptyQueryParameterValue`; without it openapi-core raises
    that, and the engine drops it for the parameters the contract allows empty.
    """
    if isinstance(node, Mapping):
        return {k: _without_allow_empty(v) for k, v in node.items() if k != "allowEmptyValue"}
    if isinstance(node, list):
        return [_without_allow_empty(item) for item in node]
    return node


def _unique_fields(found: Iterable[Violation]) -> list[Violation]:
    """Sorted, one entry per (field, reason); a field the strict reading named is not named twice by the schema."""
    out: dict[tuple[str, str], Violation] = {}
    named: set[str] = set()
    for violation in found:
        if violation.field in named and (violation.field, violation.reason) not in out:
            continue
        out[(violation.field, violation.reason)] = violation
        named.add(violation.field)
    return sorted(out.values())
