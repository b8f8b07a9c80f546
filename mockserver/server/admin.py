"""The `/__admin` API: the journal and the script of a running mock, served by connexion.

The API is described by `admin-openapi.yaml` and served by a connexion `AsyncApp`, so its
parameters are validated and its Swagger UI is at `/__admin/ui/`. Only the script's command
enum is filled in at startup, from the webhook contract, so the admin document never repeats
a command. The handlers are bound to one `MockServer`; several servers in one process (tests)
do not share state.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import importlib.metadata
import math
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import connexion
import msgspec
import yaml
from connexion.exceptions import ProblemException
from connexion.resolver import Resolver
from connexion.validators import JSONRequestBodyValidator, ParameterValidator
from jsonschema import Draft4Validator
from jsonschema.exceptions import best_match
from starlette.types import Scope

from mockserver.errors import InputError, ScriptError, UnknownRule
from mockserver.jsontext import TOO_DEEP, JSONTextError, loads_strict
from mockserver.schema import format_path
from mockserver.server.budgets import SCRIPT_BUDGET
from mockserver.server.journal import Record
from mockserver.server.problems import PROBLEM_JSON, Problem
from mockserver.server.scripts import Rule, Script, read_yaml
from mockserver.traffic.replay import Journaled, Selection, replay
from mockserver.traffic.sender import check_url

if TYPE_CHECKING:
    from mockserver.server.app import MockServer

__all__ = ["admin_document", "allowed_methods", "build_admin_app"]

ADMIN_SPEC = Path(__file__).with_name("admin-openapi.yaml")

Reply = tuple[Any, int, dict[str, str]]
_JSON = {"Content-Type": "application/json"}


@functools.cache
def _admin_template() -> dict[str, Any]:
    # Parsed once per process with libyaml when present: start-up time is a promise of `serve`.
    with ADMIN_SPEC.open("rb") as handle:
        document: dict[str, Any] = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return document


def admin_document(commands: Sequence[str]) -> dict[str, Any]:
    """The admin OpenAPI document with the contract's commands (and event names) as the script's
    command enum, and the script budgets as the schema's bounds (one source for each number)."""
    document = copy.deepcopy(_admin_template())
    schemas = document["components"]["schemas"]
    schemas["Command"]["enum"] = list(commands)
    schemas["Script"]["properties"]["rules"]["maxItems"] = SCRIPT_BUDGET.rules
    schemas["Response"]["properties"]["template"]["maxLength"] = SCRIPT_BUDGET.template_chars
    return document


def _active(script: Script) -> dict[str, Any]:
    return {"version": script.version, "rules": script.document.get("rules", [])}


class _Handlers:
    def __init__(self, server: MockServer) -> None:
        self.server = server
        self.journal = server.journal

    async def health(self) -> Reply:
        def count() -> int:
            self.journal.flush()
            return self.journal.count()

        deliveries = await asyncio.to_thread(count)
        script = await self.server.scripts.current()
        return (
            {
                "status": "ok",
                "version": importlib.metadata.version("mockserver"),
                "worker": os.getpid(),
                "deliveries": deliveries,
                "script_version": script.version,
            },
            200,
            _JSON,
        )

    async def reset(self) -> Reply:
        deleted = await asyncio.to_thread(self.journal.clear)
        script = await asyncio.to_thread(self.server.scripts.clear)
        await self.server.scripts.settle()
        return {"deleted": deleted, "script": _active(script)}, 200, _JSON

    async def replay(self, body: dict[str, Any]) -> Reply:
        ids: list[int] = body["ids"]

        def read() -> list[Record]:
            self.journal.flush()
            return [r for i in dict.fromkeys(ids) if (r := self.journal.record(i)) is not None]

        records = await asyncio.to_thread(read)
        missing = sorted(set(ids) - {r.id for r in records})
        if missing:
            problem = Problem(404, f"no journaled delivery has the id {missing[0]}", "body.ids")
            return problem.as_dict(), 404, {"Content-Type": PROBLEM_JSON}
        try:
            check_url(body["url"])
        except InputError as exc:
            problem = Problem(400, str(exc), "body.url")
            return problem.as_dict(), 400, {"Content-Type": PROBLEM_JSON}
        chosen = Selection().choose(Journaled.of(r) for r in records)
        sent = replay(
            chosen,
            body["url"],
            self.server.contract,
            token=body.get("token"),
            dry_run=bool(body.get("dry_run", False)),
        )
        return {"results": [r.as_dict() async for r in sent]}, 200, _JSON

    async def list_requests(
        self, command: str | None = None, verdict: str | None = None, since: float | None = None, limit: int = 100
    ) -> Reply:
        def read() -> list[Record]:
            self.journal.flush()
            return self.journal.records(command=command, verdict=verdict, since=since, limit=limit)

        records = await asyncio.to_thread(read)
        return {"count": len(records), "requests": [r.as_json() for r in records]}, 200, _JSON

    async def clear_requests(self) -> Reply:
        return {"deleted": await asyncio.to_thread(self.journal.clear)}, 200, _JSON

    async def count_requests(
        self, command: str | None = None, verdict: str | None = None, since: float | None = None
    ) -> Reply:
        def count() -> int:
            self.journal.flush()
            return self.journal.count(command=command, verdict=verdict, since=since)

        return {"count": await asyncio.to_thread(count)}, 200, _JSON

    async def wait_requests(
        self,
        count: int,
        timeout: float = 5.0,
        command: str | None = None,
        verdict: str | None = None,
        since: float | None = None,
    ) -> Reply:
        found = await self.journal.wait_for_async(
            count, timeout=timeout, command=command, verdict=verdict, since=since, stop=self.server.stopping
        )
        return {"count": found, "complete": found >= count}, 200, _JSON

    # The script endpoints. A body is a parsed JSON value, or the YAML bytes (already checked by
    # `_YAMLBody`); loading compiles and renders templates over the examples, so it runs in a thread.
    async def get_script(self) -> Reply:
        return _active(await self.server.scripts.current()), 200, _JSON

    async def load_script(self, body: Any) -> Reply:
        try:
            script = await asyncio.to_thread(self.server.scripts.load, body)
        except ScriptError as exc:
            return _refused(exc)
        await self.server.scripts.settle()
        return _active(script), 201, _JSON

    async def clear_script(self) -> Reply:
        script = await asyncio.to_thread(self.server.scripts.clear)
        await self.server.scripts.settle()
        return _active(script), 200, _JSON

    async def add_rule(self, body: Any) -> Reply:
        try:
            script, rule = await asyncio.to_thread(self.server.scripts.add_rule, body)
        except ScriptError as exc:
            return _refused(exc)
        await self.server.scripts.settle()
        location = f"/__admin/scripts/rules/{quote(rule.name or '', safe='')}"
        return {"version": script.version, "rule": _rule_json(rule)}, 201, {**_JSON, "Location": location}

    async def get_rule(self, name: str) -> Reply:
        script = await self.server.scripts.current()
        for rule in script.source.rules:
            if rule.name == name:
                return {"version": script.version, "rule": _rule_json(rule)}, 200, _JSON
        return _refused(UnknownRule(f"no rule is named {name!r}"))

    async def delete_rule(self, name: str) -> Reply:
        try:
            script = await asyncio.to_thread(self.server.scripts.remove_rule, name)
        except ScriptError as exc:
            return _refused(exc)
        await self.server.scripts.settle()
        return _active(script), 200, _JSON


def _rule_json(rule: Rule) -> dict[str, Any]:
    out: dict[str, Any] = msgspec.to_builtins(rule)
    return out


def _refused(exc: ScriptError) -> Reply:
    """A refused script or rule: 409 naming the field in the request body (404 for an unknown rule)."""
    if isinstance(exc, UnknownRule):
        problem = Problem(404, str(exc), "path.name")
    else:
        problem = Problem(409, str(exc), f"body.{exc.field}" if exc.field else "body")
    return problem.as_dict(), problem.status, {"Content-Type": PROBLEM_JSON}


def _bad_request(field: str, reason: str) -> ProblemException:
    """connexion's problem, in the shape of the kit's `Problem`: a one-line reason and the field."""
    return ProblemException(status=400, title="Bad Request", detail=f"{field}: {reason}", ext={"field": field})


class _JSONBody(JSONRequestBodyValidator):  # type: ignore[misc]
    """connexion's JSON body validator, with the kit's refusals.

    connexion answers a body that is not UTF-8 or nests too deeply with a 500 (the exception
    escapes), takes NaN and 1e999 as numbers, and reports a schema error without naming the
    field in a form a client can read; here each is a 400 with `field`.
    """

    async def _parse(self, stream: Any, scope: Scope) -> Any:
        raw = await _read_limited(stream)
        if not raw:
            return None
        try:
            return loads_strict(raw)
        except JSONTextError as exc:
            raise _bad_request("body", f"the body is {exc}") from None

    def _validate(self, body: Any) -> dict[str, Any] | None:
        if body is None:
            raise _bad_request("body", "the request body is required")
        try:
            errors = list(self._validator.iter_errors(body))
        except RecursionError:
            raise _bad_request("body", f"the body is {TOO_DEEP}") from None
        error = best_match(errors)
        if error is not None:
            raise _bad_request(format_path("body", error.absolute_path), error.message)
        return None


class _YAMLBody(_JSONBody):
    """A script (or rule) sent as YAML: parsed without aliases, then checked like a JSON body.

    The handler gets the bytes (connexion passes bodies that are not JSON through as they came)
    and parses them again in the script loader; both parses are bounded by the size budget.
    """

    async def _parse(self, stream: Any, scope: Scope) -> Any:
        raw = await _read_limited(stream)
        if not raw:
            return None
        try:
            return read_yaml(raw)
        except yaml.YAMLError as exc:
            raise _bad_request("body", f"the body is not YAML: {' '.join(str(exc).split())}") from None
        except ScriptError as exc:  # an alias: well-formed, refused by the script rules
            raise ProblemException(
                status=409, title="Conflict", detail=f"body: {exc}", ext={"field": exc.field or "body"}
            ) from None


async def _read_limited(stream: Any) -> bytes:
    """The body, refused with 413 as soon as it passes the script size budget (it is a script or a rule)."""
    limit = SCRIPT_BUDGET.script_bytes
    chunks: list[bytes] = []
    size = 0
    async for chunk in stream:
        size += len(chunk)
        if size > limit:
            raise ProblemException(
                status=413,
                title="Content Too Large",
                detail=f"body: larger than {limit} bytes (the script size budget)",
                ext={"field": "body"},
            )
        chunks.append(chunk)
    return b"".join(chunks)


class _Parameters(ParameterValidator):  # type: ignore[misc]
    """connexion's parameter validator, with one-line reasons naming the parameter and no NaN/inf.

    connexion's own puts jsonschema's multi-line report (the whole schema and instance) in
    `detail` and no field, and lets `nan` through every numeric bound (NaN compares false).
    """

    @staticmethod
    def validate_parameter(parameter_type: str, value: Any, param: dict[str, Any], param_name: Any = None) -> Any:
        if value is None:
            return "is required" if param.get("required") else None
        if isinstance(value, float) and not math.isfinite(value):
            return f"{value} is not a finite number"
        schema = param.get("schema", param)
        error = best_match(Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER).iter_errors(value))
        return None if error is None else error.message

    def validate_request(self, request: Any) -> None:
        for kind in ("query", "path", "header", "cookie"):
            check = getattr(self, f"validate_{kind}_parameter")
            for param in self.parameters.get(kind, []):
                error = check(param, request)
                if error:
                    raise _bad_request(f"{kind}.{param['name']}", error)


class _AllowTable(Mapping[str, str]):
    """Path -> the `Allow` header value for a 405 there; ``{name}`` in a path stands for one segment."""

    def __init__(self, table: dict[str, str]) -> None:
        self._table = table
        self._templated = [
            (re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path))), allow)
            for path, allow in table.items()
            if "{" in path
        ]

    def __getitem__(self, path: str) -> str:
        if path in self._table:
            return self._table[path]
        for pattern, allow in self._templated:
            if pattern.fullmatch(path):
                return allow
        raise KeyError(path)

    def __iter__(self) -> Iterator[str]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)


def allowed_methods(document: dict[str, Any]) -> Mapping[str, str]:
    """Path (with the server prefix) -> the `Allow` header value for a 405 there."""
    prefix = document["servers"][0]["url"].rstrip("/")
    return _AllowTable(
        {
            prefix + path: ", ".join(sorted(m.upper() for m in item if m in {"get", "post", "put", "delete", "patch"}))
            for path, item in document["paths"].items()
        }
    )


def build_admin_app(server: MockServer) -> connexion.AsyncApp:
    handlers = _Handlers(server)

    def resolve(operation_id: str) -> Callable[..., Any]:
        function: Callable[..., Any] = getattr(handlers, operation_id)
        return function

    app = connexion.AsyncApp(__name__)
    app.add_api(
        admin_document((*server.contract.commands, *(w.name for w in server.contract.webhooks))),
        resolver=Resolver(function_resolver=resolve),
        validator_map={
            "parameter": _Parameters,
            "body": {"application/json": _JSONBody, "application/yaml": _YAMLBody, "text/yaml": _YAMLBody},
        },
        swagger_ui_options=connexion.options.SwaggerUIOptions(swagger_ui=True),
    )
    return app
