"""The delivery checks of the mock server, prebuilt once and plugged into connexion.

Two validators answer every question. `jsonschema_rs` (compiled, about 1 µs for a typical
event) decides whether a document conforms; only when it says no does the kit's
discriminator-aware `RequestSchemaValidator` run, to name each offending field the way
`mockserver validate` does. The Python validator takes 0.3-1.2 ms per event, which alone would
cap the server near 1k deliveries/s; the compiled one keeps validation off the profile.

`DeliveryChecks` holds the whole sequence (query, signature, app ID, body, command
agreement) and raises `Problem` with the field path. `validator_map()` wraps the same object
in connexion's validator interfaces, so a delivery routed through connexion is judged by
exactly the same code as one taken by the server's direct lane.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import unquote_to_bytes

import jsonschema_rs
from connexion.validators import AbstractRequestBodyValidator
from starlette.types import Receive, Scope

from mockserver.contract import Contract, Parameter, UnknownCommand, Webhook
from mockserver.jsontext import JSONTextError, loads_strict
from mockserver.schema import RequestSchemaValidator, Violation, make_validator, violations_of
from mockserver.server.problems import Problem
from mockserver.signing import SignatureCheck, Signer
from mockserver.validation import command_mismatch

__all__ = [
    "CheckedDelivery",
    "DeliveryChecks",
    "Query",
    "SchemaCheck",
    "checked_from_scope",
    "parse_query",
    "signature_from_scope",
    "validator_map",
]

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


class SchemaCheck:
    """One schema, two engines: the compiled one says yes, the explaining one says why not."""

    def __init__(self, schema: Mapping[str, Any], contract: Contract, root: str) -> None:
        self._fast = jsonschema_rs.Draft4Validator(_bounded(contract.dereferenced(schema)))
        self._explain = make_validator(RequestSchemaValidator, schema, contract.document.get("components"))
        self.root = root

    def violations(self, instance: Any) -> list[Violation]:
        try:
            if self._fast.is_valid(instance):
                return []
            # The explaining validator is the authority on "no": when it finds nothing, the
            # compiled one was stricter than the contract (e.g. a discriminator catch-all).
            return violations_of(self._explain.iter_errors(instance), self.root)
        except RecursionError:  # a document decoded just under the limit can still be too deep to walk
            return [Violation(self.root, _TOO_DEEP)]


_INT_FORMATS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def _bounded(node: Any) -> Any:
    """OpenAPI's `format: int32/int64` as explicit bounds: the compiled validator ignores those formats."""
    if isinstance(node, dict):
        out = {key: _bounded(value) for key, value in node.items()}
        bounds = _INT_FORMATS.get(str(out.get("format")))
        if bounds is not None:
            low, high = bounds
            out["minimum"] = max(out.get("minimum", low), low)
            out["maximum"] = min(out.get("maximum", high), high)
        return out
    if isinstance(node, list):
        return [_bounded(item) for item in node]
    return node


class Query(dict[str, str]):
    """A query string as a dict (the first occurrence of a parameter wins), and what was wrong with it.

    `faults` maps a parameter name to why its value cannot be taken at face value: bytes that
    are not UTF-8 once percent-decoded, or a second occurrence with a different value (which one
    would the sender have meant?). The values stay journal-safe text (U+FFFD for bad bytes, never
    a lone surrogate), and `DeliveryChecks.check_query` refuses a fault on a contract parameter.
    """

    def __init__(self) -> None:
        super().__init__()
        self.faults: dict[str, str] = {}


def _unquote(raw: bytes) -> tuple[str, str | None]:
    """Percent- and plus-decode one name or value; the text and, if its bytes are not UTF-8, why."""
    data = unquote_to_bytes(raw.replace(b"+", b" ")) if (b"%" in raw or b"+" in raw) else raw
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return data.decode("utf-8", "replace"), f"byte {exc.start} ({data[exc.start]:#04x}) is not UTF-8: {exc.reason}"


def parse_query(query_string: bytes) -> Query:
    """The query string as a `Query`; the first occurrence of a repeated parameter wins.

    Same values as `urllib.parse.parse_qsl(..., keep_blank_values=True)` for well-formed input,
    without its cost for the common case of plain ASCII (it was the top of the profile).
    """
    out = Query()
    if not query_string:
        return out
    plain = query_string.isascii() and b"%" not in query_string and b"+" not in query_string
    for part in query_string.split(b"&"):
        if not part:
            continue
        raw_name, _, raw_value = part.partition(b"=")
        if plain:
            name, value, fault = raw_name.decode("ascii"), raw_value.decode("ascii"), None
        else:
            name, _ = _unquote(raw_name)
            value, fault = _unquote(raw_value)
        if name not in out:
            out[name] = value
            if fault is not None:
                out.faults[name] = fault
        elif out[name] != value and name not in out.faults:
            out.faults[name] = f"given more than once with different values ({out[name]!r}, {value!r})"
    return out


@dataclass
class CheckedDelivery:
    """What the checks learned about a conforming delivery, handed to the responder."""

    webhook: Webhook
    query: dict[str, str]
    document: dict[str, Any]


class DeliveryChecks:
    """Every check a delivery goes through, in the order a refusal is reported.

    Query schema (400), signature (401), app ID (403), body encoding and JSON (400), body
    schema (400), and the query/body command agreement (400).
    """

    def __init__(self, contract: Contract, *, sdkappid: str | None = None, token: str | None = None) -> None:
        self.contract = contract
        self.signer = Signer(token, rule=contract.signing)
        self.sdkappid = sdkappid
        self._params: tuple[Parameter, ...] = contract.parameters
        self._app_param = contract.parameter("app-id").name
        query_schema = {
            "type": "object",
            "required": [p.name for p in self._params if p.required],
            "properties": {p.name: dict(p.schema) for p in self._params},
        }
        self._query = SchemaCheck(query_schema, contract, "query")
        self._casts = {
            p.name: _CASTS[str(p.schema.get("type"))] for p in self._params if p.schema.get("type") in _CASTS
        }
        self._events = {w.command: SchemaCheck({"$ref": w.request_ref}, contract, "body") for w in contract.webhooks}
        self._any_event = SchemaCheck({"$ref": contract.request_schema_ref}, contract, "body")

    # ------------------------------------------------------------------ query
    def check_query(self, query: Mapping[str, str]) -> SignatureCheck:
        """Query schema, then signature, then app ID; raises `Problem` on the first failing stage.

        Returns the signature verdict so the journal records it without verifying twice.
        """
        typed: dict[str, Any] = {}
        found: list[Violation] = []
        faults = query.faults if isinstance(query, Query) else {}
        for param in self._params:
            if param.name not in query:
                continue
            if param.name in faults:
                found.append(Violation(f"query.{param.name}", faults[param.name]))
                continue
            raw = query[param.name]
            if raw == "" and not param.allow_empty:
                found.append(Violation(f"query.{param.name}", "an empty value is not allowed"))
                continue
            cast = self._casts.get(param.name)
            try:
                typed[param.name] = cast(raw) if cast is not None else raw
            except ValueError:
                found.append(
                    Violation(f"query.{param.name}", f"{_shown(raw)} is not of type {param.schema.get('type')!r}")
                )
        found.extend(v for v in self._query.violations(typed) if v.field not in {f.field for f in found})
        if found:
            raise Problem.from_violations(400, found)
        check = self.signer.verify(query)
        if not check.accepted:
            raise Problem(
                401, check.detail, f"query.{check.parameter}", (Violation(f"query.{check.parameter}", check.detail),)
            )
        if self.sdkappid is not None and str(typed.get(self._app_param)) != self.sdkappid:
            detail = f"{self._app_param} {typed.get(self._app_param)} is not this app's SDKAppID"
            raise Problem(403, detail, f"query.{self._app_param}", (Violation(f"query.{self._app_param}", detail),))
        return check

    # ------------------------------------------------------------------- body
    def check_body(self, query: Mapping[str, str], raw: bytes) -> CheckedDelivery:
        """Decode and validate the body; returns the webhook it is for."""
        document = _decode(raw)
        if not isinstance(document, dict):
            raise Problem(400, f"the body must be a JSON object, not {_json_type(document)}", "body")
        tag = document.get(self.contract.command_field)
        mismatch = command_mismatch(self.contract, query, document)
        also = [mismatch] if mismatch is not None else []  # every violation, as `validate` lists them
        try:
            webhook = self.contract.webhook(tag)
        except UnknownCommand:
            found = self._any_event.violations(document) or [
                Violation(f"body.{self.contract.command_field}", f"{tag!r} is not a command of the contract")
            ]
            raise Problem.from_violations(400, [*found, *also]) from None
        found = self._events[webhook.command].violations(document)
        if found:
            raise Problem.from_violations(400, [*found, *also])
        if mismatch is not None:
            raise Problem(400, mismatch.reason, mismatch.field, (mismatch,))
        return CheckedDelivery(webhook, dict(query), document)

    def check(self, query: Mapping[str, str], raw: bytes) -> CheckedDelivery:
        self.check_query(query)
        return self.check_body(query, raw)


def _json_type(value: Any) -> str:
    names = {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
    }
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _shown(text: str, limit: int = 40) -> str:
    """A value quoted for a message, cut short: a hostile value must not make the answer huge."""
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}... ({len(text)} characters)"


def _decode(raw: bytes) -> Any:
    if not raw:
        raise Problem(400, "the request body is required", "body")
    try:
        return loads_strict(raw)
    except JSONTextError as exc:
        raise Problem(400, f"the body is {exc}", "body") from None


_TOO_DEEP = "the body nests arrays/objects too deeply to check"


# ----------------------------------------------------------------- connexion
_STATE_KEY = "mockserver.delivery"
_SIGNATURE_KEY = "mockserver.signature"


class _ContractParameterValidator:
    """connexion's `parameter` validator slot, running the prebuilt query checks."""

    checks: ClassVar[DeliveryChecks]

    def __init__(self, parameters: Any, uri_parser: Any, strict_validation: bool = False, **_: Any) -> None:
        pass

    def validate(self, scope: Scope) -> None:
        check = self.checks.check_query(parse_query(scope.get("query_string", b"")))
        scope.setdefault("state", {})[_SIGNATURE_KEY] = check


class _ContractBodyValidator(AbstractRequestBodyValidator):  # type: ignore[misc]
    """connexion's JSON body validator slot; leaves the checked delivery in the scope."""

    checks: ClassVar[DeliveryChecks]

    async def wrap_receive(self, receive: Receive, *, scope: Scope) -> tuple[Receive, Scope]:
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        raw = b"".join(chunks)
        query = parse_query(scope.get("query_string", b""))
        scope.setdefault("state", {})[_STATE_KEY] = self.checks.check_body(query, raw)
        return self._insert_messages(
            receive, messages=[{"type": "http.request", "body": raw, "more_body": False}]
        ), scope


def checked_from_scope(scope: Scope) -> CheckedDelivery | None:
    """The delivery connexion's body validator checked, if it ran."""
    found = scope.get("state", {}).get(_STATE_KEY)
    return found if isinstance(found, CheckedDelivery) else None


def signature_from_scope(scope: Scope) -> SignatureCheck | None:
    """The signature verdict connexion's parameter validator reached, if it got that far."""
    found = scope.get("state", {}).get(_SIGNATURE_KEY)
    return found if isinstance(found, SignatureCheck) else None


def validator_map(checks: DeliveryChecks) -> dict[str, Any]:
    """connexion `validator_map` whose validators share `checks` (prebuilt once per server)."""
    parameter = type("ParameterValidator", (_ContractParameterValidator,), {"checks": checks})
    body = type("JSONBodyValidator", (_ContractBodyValidator,), {"checks": checks})
    return {"parameter": parameter, "body": {"application/json": body}}
