"""Small webhook backends for the fuzzer's tests: one conformant, and each misbehaving in one way.

They are written from the contract alone (roles, default answers, the signing rule), like a
team's real backend would be written from the documentation, and each flaw is a flag so that a
test can say "this backend has exactly this bug, so exactly this check must fail".
"""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mockserver.contract import Contract, UnknownCommand
from mockserver.signing import Signer
from mockserver.validation import DeliveryValidator
from tests.support.servers import serve

__all__ = ["Flaws", "backend_app", "serve"]

# `serve` lives in tests.servers; it is re-exported here for the fuzz tests that import both.


@dataclass(frozen=True)
class Flaws:
    """Each flag is one bug; all False is a conformant backend."""

    wrong_shape: bool = False
    """Leaves the error-code field out of every answer."""
    wrong_webhook: bool = False
    """Answers every webhook with the fields of every webhook's answer (another webhook's response)."""
    slow_first_webhook: float = 0.0
    """Seconds to wait before answering deliveries of the contract's first webhook."""
    crash_on_bad_input: bool = False
    """Raises (HTTP 500) instead of answering 400 when a delivery violates the contract."""
    skip_signature_check: bool = False
    """Accepts any signature (the token is ignored)."""
    refuse_unknown_fields: bool = False
    """Answers 400 when a body has a top-level field its schema does not list."""
    refuse_strangers: bool = False
    """Refuses a user who is not in the request (for webhooks whose answer can refuse users)."""
    undefined_error_code: bool = False
    """Answers with an error code the vendor does not define (for webhooks with vendor values)."""
    crash_on_unknown_command: bool = False
    """Raises (HTTP 500) for a command in the contract's namespace that the contract does not know."""


def _problem(status: int, field: str, detail: str) -> Response:
    body = {
        "type": "about:blank",
        "title": "Bad Request" if status == 400 else "Refused",
        "status": status,
        "detail": detail,
        "field": field,
    }
    return Response(json.dumps(body), status_code=status, media_type="application/problem+json")


def backend_app(contract: Contract, flaws: Flaws, token: str | None = None, app_id: str | None = None) -> Starlette:
    validator = DeliveryValidator(contract)
    signer = Signer(None if flaws.skip_signature_check else token, rule=contract.signing)
    command_param = contract.parameter("command").name
    app_param = contract.parameter("app-id").name
    namespace = os.path.commonprefix(list(contract.commands)).rpartition(".")[0]  # noqa: RUF071 - a string prefix, not a path
    every_field: dict[str, Any] = {}
    for webhook in contract.webhooks:
        for name in contract.resolve(webhook.response_ref).get("properties", {}):
            every_field.setdefault(name, [] if name == webhook.response_roles.get("refused") else None)

    async def receive(request: Request) -> Response:
        query = dict(request.query_params)
        command = query.get(command_param, "")
        if flaws.slow_first_webhook and command == contract.webhooks[0].command:
            await asyncio.sleep(flaws.slow_first_webhook)
        check = signer.verify(query)
        if not check.accepted:
            return _problem(401, f"query.{check.parameter}", check.detail)
        if app_id is not None and query.get(app_param) != app_id:
            return _problem(403, f"query.{app_param}", "not this app's SDKAppID")
        body = await request.body()
        if flaws.crash_on_unknown_command and command.startswith(namespace + ".") and command not in contract.commands:
            raise RuntimeError("no handler for this command")
        # the compiled fast path decides, as a real backend's validator would; naming every field
        # (openapi-core) is the mock's job, and would cost this backend milliseconds per case
        judgement = validator.judge(
            query, body, request.headers.get("content-type", ""), explain=False, authenticate=False
        )
        if not judgement.accepted:
            if flaws.crash_on_bad_input:
                raise RuntimeError("unhandled bad input")
            first = judgement.violations[0]
            return _problem(400, first.field, str(first))
        try:
            webhook = contract.webhook(command)
        except UnknownCommand:
            return JSONResponse(dict(contract.unknown_command_answer))
        document = json.loads(body)
        if flaws.refuse_unknown_fields:
            known = set(contract.resolve(webhook.request_ref).get("properties", {}))
            unknown = sorted(set(document) - known)
            if unknown:
                return _problem(400, f"body.{unknown[0]}", "unknown field")
        answer = dict(webhook.default_response)
        if flaws.wrong_shape:
            answer.pop(webhook.response_roles["error-code"], None)
        if flaws.wrong_webhook:
            answer = {**{k: v for k, v in every_field.items() if v is not None}, **answer}
        if flaws.refuse_strangers and "refused" in webhook.response_roles:
            answer[webhook.response_roles["refused"]] = ["stranger"]
        if flaws.undefined_error_code:
            for name, values in webhook.vendor_values.items():
                answer[name] = max(value.high for value in values) + 41
        return JSONResponse(answer)

    return Starlette(routes=[Route("/", receive, methods=["POST"])])
