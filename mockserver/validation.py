"""Checks a delivery (query string + body) and an answer against the contract.

Requests go through openapi-core, configured with the kit's discriminator-aware schema
validator, so parameters are cast and checked exactly as the OpenAPI document says. The one rule
a schema cannot express (query and body naming the same command) is `command_mismatch`, written
once and called by `DeliveryValidator` (the `validate` command, the fuzzer) and by the mock
server's own checks. The mock does not run openapi-core per delivery (too slow for its
throughput goal; see `mockserver.server.validators`): it compiles the same schemas itself, and
tests/test_server_vs_validate.py keeps its refusals naming the same fields as this validator.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.validation.request.exceptions import (
    InvalidRequestBody,
    MissingRequestBody,
    MissingRequiredParameter,
    ParameterValidationError,
    RequestBodyValidationError,
)
from openapi_core.validation.request.validators import V30RequestValidator
from openapi_core.validation.schemas.factories import SchemaValidatorsFactory
from werkzeug.datastructures import Headers, ImmutableMultiDict

from mockserver.contract import Contract, load_contract
from mockserver.responses import ResponseChecker
from mockserver.schema import RequestSchemaValidator, Violation, violations_of

__all__ = ["DeliveryValidator", "PlainRequest", "Violation", "command_mismatch"]


class _KitRequestValidator(V30RequestValidator):
    schema_validators_factory = SchemaValidatorsFactory(RequestSchemaValidator)


@dataclass
class PlainRequest:
    """An openapi-core request built from captured data rather than from a web framework."""

    query: Mapping[str, str]
    body: bytes | None
    content_type: str = "application/json"
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


def _why_not_json(body: bytes | None) -> str:
    """The parser's reason, with its position: what a person needs to find the broken byte."""
    try:
        json.loads((body or b"").decode("utf-8"))
    except UnicodeDecodeError as exc:
        return f"not UTF-8: byte 0x{(body or b'')[exc.start]:02x} at position {exc.start} is not valid UTF-8"
    except ValueError as exc:
        return f"not valid JSON: {exc}"
    return "not valid JSON"


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


class DeliveryValidator:
    """Validates deliveries and answers for one contract; build it once and reuse it."""

    def __init__(self, contract: Contract | None = None) -> None:
        self.contract = contract if contract is not None else load_contract()
        self._api = OpenAPI.from_dict(
            dict(self.contract.document),
            config=Config(spec_validator_cls=None, request_validator_cls=_KitRequestValidator),
        )
        self.responses = ResponseChecker(self.contract)

    # ----------------------------------------------------------------- requests
    def check_request(
        self, query: Mapping[str, str], body: bytes | None, content_type: str = "application/json"
    ) -> list[Violation]:
        """Every way this delivery breaks the contract; an empty list means it conforms."""
        try:
            found = self._openapi_violations(query, body, content_type)
            found.extend(self._cross_checks(query, body))
        except RecursionError:
            # A body nested deeper than the interpreter's stack: name it, and still check the query.
            placeholder = self._openapi_violations(query, b"{}", content_type)
            found = [v for v in placeholder if v.field.startswith("query.")]
            found.append(Violation("body", "the JSON is nested too deeply to be checked"))
        return sorted(set(found))

    def _openapi_violations(self, query: Mapping[str, str], body: bytes | None, content_type: str) -> list[Violation]:
        request = PlainRequest(query=query, body=body, content_type=content_type)
        return [v for error in self._api.iter_request_errors(request) for v in self._explain(error, body)]

    def _explain(self, error: Exception, body: bytes | None) -> list[Violation]:
        cause = error.__cause__
        if isinstance(error, ParameterValidationError):
            where = f"query.{error.name}"
            if isinstance(error, MissingRequiredParameter):
                return [Violation(where, "required query parameter is missing")]
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
            name = type(cause).__name__ if cause is not None else ""
            if name == "MediaTypeNotFound":
                return [Violation("header.Content-Type", f"{cause}")]
            if name == "MediaTypeDeserializeError":
                # openapi-core's own message decodes the body as UTF-8 and fails on other bytes.
                return [Violation("body", _why_not_json(body))]
            return [Violation("body", str(cause or error))]
        return [Violation("request", str(error))]

    def _cross_checks(self, query: Mapping[str, str], body: bytes | None) -> list[Violation]:
        """The rule no schema can state: the query and the body name the same webhook."""
        if not body:
            return []
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return []
        mismatch = command_mismatch(self.contract, query, document)
        return [] if mismatch is None else [mismatch]

    # ---------------------------------------------------------------- responses
    def check_response(
        self, command: str, status: int, body: bytes, content_type: str | None = None
    ) -> list[Violation]:
        """Whether an answer to `command` is one the Chat backend counts as a conforming success."""
        return self.responses.check(command, status, body, content_type)

    def check_response_document(self, command: str, document: Any) -> list[Violation]:
        """Schema check of an already-parsed answer to `command` (scripted answers, examples)."""
        return self.responses.check_document(command, document)
