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
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import connexion
import yaml
from connexion.exceptions import BadRequestProblem
from connexion.resolver import Resolver
from connexion.validators import JSONRequestBodyValidator
from starlette.types import Scope

from mockserver.server.problems import PROBLEM_JSON, Problem
from mockserver.server.scripts import Script, ScriptError

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


def admin_document(commands: tuple[str, ...]) -> dict[str, Any]:
    """The admin OpenAPI document with the contract's commands as the script's command enum."""
    document = copy.deepcopy(_admin_template())
    document["components"]["schemas"]["Command"]["enum"] = list(commands)
    return document


def _active(script: Script) -> dict[str, Any]:
    return {"version": script.version, "rules": script.document.get("rules", [])}


class _Handlers:
    def __init__(self, server: MockServer) -> None:
        self.server = server
        self.journal = server.journal

    async def list_requests(
        self, command: str | None = None, verdict: str | None = None, since: float | None = None, limit: int = 100
    ) -> Reply:
        await asyncio.to_thread(self.journal.flush)
        records = self.journal.records(command=command, verdict=verdict, since=since, limit=limit)
        return {"count": len(records), "requests": [r.as_json() for r in records]}, 200, _JSON

    async def clear_requests(self) -> Reply:
        return {"deleted": await asyncio.to_thread(self.journal.clear)}, 200, _JSON

    async def count_requests(
        self, command: str | None = None, verdict: str | None = None, since: float | None = None
    ) -> Reply:
        await asyncio.to_thread(self.journal.flush)
        return {"count": self.journal.count(command=command, verdict=verdict, since=since)}, 200, _JSON

    async def wait_requests(
        self,
        count: int,
        timeout: float = 5.0,
        command: str | None = None,
        verdict: str | None = None,
        since: float | None = None,
    ) -> Reply:
        found = await asyncio.to_thread(
            self.journal.wait_for, count, timeout=timeout, command=command, verdict=verdict, since=since
        )
        return {"count": found, "complete": found >= count}, 200, _JSON

    async def get_script(self) -> Reply:
        return _active(self.server.scripts.current), 200, _JSON

    async def load_script(self, body: Any) -> Reply:
        try:
            script = await asyncio.to_thread(self.server.scripts.load, body)
        except ScriptError as exc:
            problem = Problem(409, str(exc), "script")
            return problem.as_dict(), 409, {"Content-Type": PROBLEM_JSON}
        return _active(script), 201, _JSON

    async def clear_script(self) -> Reply:
        return _active(await asyncio.to_thread(self.server.scripts.clear)), 200, _JSON


class _JSONBody(JSONRequestBodyValidator):  # type: ignore[misc]
    """connexion's JSON body validator, but a body that is not UTF-8 is a 400, not a 500."""

    async def _parse(self, stream: Any, scope: Scope) -> Any:
        try:
            return await super()._parse(stream, scope)
        except UnicodeDecodeError as exc:
            raise BadRequestProblem(detail=f"the body is not UTF-8: {exc.reason} at byte {exc.start}") from None


def allowed_methods(document: dict[str, Any]) -> dict[str, str]:
    """Path (with the server prefix) -> the `Allow` header value for a 405 there."""
    prefix = document["servers"][0]["url"].rstrip("/")
    return {
        prefix + path: ", ".join(sorted(m.upper() for m in item if m in {"get", "post", "put", "delete", "patch"}))
        for path, item in document["paths"].items()
    }


def build_admin_app(server: MockServer) -> connexion.AsyncApp:
    handlers = _Handlers(server)

    def resolve(operation_id: str) -> Callable[..., Any]:
        function: Callable[..., Any] = getattr(handlers, operation_id)
        return function

    app = connexion.AsyncApp(__name__)
    app.add_api(
        admin_document(server.contract.commands),
        resolver=Resolver(function_resolver=resolve),
        validator_map={"body": {"application/json": _JSONBody}},
        swagger_ui_options=connexion.options.SwaggerUIOptions(swagger_ui=True),
    )
    return app
