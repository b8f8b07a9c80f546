"""The live inspector: an HTML page at `/__admin/` over the journal, for a person with a browser.

The JSON admin API (`admin.py`) stays the one way to read and change the mock; the page is a
client of it, plus three things a JSON API cannot give a browser:

* `GET /__admin/events`: server-sent events, one per journaled delivery. Every worker tails
  the shared SQLite journal by id (`Journal.records_after`), so a page connected to any worker
  sees the deliveries every worker answered, within one poll period.
* `GET /__admin/export`: the journal, filtered, as JSON Lines in the capture format that
  `mockserver validate` reads (`captures.capture_line`), oldest first.
* `GET|POST /__admin/login` and `?token=`: with `--admin-token`, a browser cannot send an
  `Authorization` header on a page load, so the token is exchanged once for a cookie. The
  cookie holds an HMAC of the token (not the token), is `HttpOnly` and `SameSite=Strict` (a
  page of another site cannot make the browser send it, which is what keeps the admin calls
  the page makes safe from cross-site requests), and is scoped to `/__admin`.

No Node build step: the page is a Jinja2 template and plain JavaScript/CSS under
`inspector/`, shipped in the package.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route, Router
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import Receive, Scope, Send

from mockserver.captures import capture_line
from mockserver.server.journal import Record
from mockserver.server.problems import PROBLEM_JSON, Problem

if TYPE_CHECKING:
    from mockserver.server.app import MockServer

__all__ = ["COOKIE", "Inspector", "admin_authorized", "unauthorized"]

PREFIX = "/__admin"
COOKIE = "mockserver_admin"
"""The session cookie a browser gets for the admin token (`?token=` or the login form)."""

_HERE = Path(__file__).with_name("inspector")
_POLL_S = 0.2
"""How often a live feed looks for new journal rows: well inside the page's one-second promise."""
_HEARTBEAT_S = 15.0
_BATCH = 200
_EXPORT_LIMIT = 100_000
_VERDICTS = ("valid", "invalid")
_FORM_LIMIT = 4096


def session_value(token: str) -> str:
    """The cookie's value for `token`: proves the token was given without storing it in the browser."""
    return hmac.new(token.encode(), b"mockserver inspector session", hashlib.sha256).hexdigest()


def admin_authorized(scope: Scope, token: str | None) -> bool:
    """Whether a request may use `/__admin`: no token set, `Authorization: Bearer`, or the session cookie."""
    if token is None:
        return True
    headers = dict(scope["headers"])
    given = headers.get(b"authorization", b"").decode("latin-1")
    if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    cookies = Request(scope).cookies
    return hmac.compare_digest(cookies.get(COOKIE, "").encode(), session_value(token).encode())


def unauthorized() -> Problem:
    """The refusal of an admin call without the token (bearer header or session cookie)."""
    return Problem(
        401,
        "the admin API needs 'Authorization: Bearer <admin token>' (or the inspector's session cookie)",
        "header.Authorization",
        headers={"WWW-Authenticate": "Bearer"},
    )


def _problem(problem: Problem) -> Response:
    return Response(problem.body(), problem.status, headers=problem.headers, media_type=PROBLEM_JSON)


def _filters(request: Request) -> dict[str, Any]:
    """The journal filters of a query string, as the JSON API reads them (a bad one: a 400 naming it)."""
    params = request.query_params
    found: dict[str, Any] = {}
    command = params.get("command")
    if command:
        found["command"] = command
    verdict = params.get("verdict")
    if verdict:
        if verdict not in _VERDICTS:
            raise Problem(400, f"{verdict!r} is not one of {', '.join(_VERDICTS)}", "query.verdict")
        found["verdict"] = verdict
    since = params.get("since")
    if since:
        try:
            found["since"] = float(since)
        except ValueError:
            raise Problem(400, f"{since!r} is not a Unix time in seconds", "query.since") from None
    return found


def _event(name: str, data: Any, event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


class Inspector:
    """The page, its live feed, its export and its login, bound to one `MockServer`."""

    def __init__(self, server: MockServer) -> None:
        self.server = server
        self.journal = server.journal
        self.templates = Jinja2Templates(directory=_HERE / "templates")
        routes = [
            Route(PREFIX, self._to_page),
            Route(f"{PREFIX}/", self.page),
            Route(f"{PREFIX}/login", self.login, methods=["GET", "POST"]),
            Route(f"{PREFIX}/events", self.events),
            Route(f"{PREFIX}/export", self.export),
            Mount(f"{PREFIX}/static", StaticFiles(directory=_HERE / "static"), name="static"),
        ]
        self.router = Router(routes)
        self._exact = {PREFIX, f"{PREFIX}/", f"{PREFIX}/login", f"{PREFIX}/events", f"{PREFIX}/export"}

    def handles(self, path: str) -> bool:
        """Whether `path` is the inspector's (everything else under `/__admin` is the JSON API)."""
        return path in self._exact or path.startswith(f"{PREFIX}/static/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        public = path == f"{PREFIX}/login" or path.startswith(f"{PREFIX}/static/")
        if not public and not admin_authorized(scope, self.server.config.admin_token):
            response = await self._unauthorized(Request(scope))
            await response(scope, receive, send)
            return
        await self.router(scope, receive, send)

    # ------------------------------------------------------------------ auth
    async def _unauthorized(self, request: Request) -> Response:
        token = self.server.config.admin_token
        given = request.query_params.get("token")
        if token is not None and given is not None and request.url.path in (PREFIX, f"{PREFIX}/"):
            if hmac.compare_digest(given.encode(), token.encode()):
                return self._signed_in(RedirectResponse(f"{PREFIX}/", 303), token)
            return self._login_form(request, "That token is not the admin token.", 401)
        if request.url.path in (PREFIX, f"{PREFIX}/"):
            return RedirectResponse(f"{PREFIX}/login", 303)
        return _problem(unauthorized())

    def _signed_in(self, response: Response, token: str) -> Response:
        response.set_cookie(COOKIE, session_value(token), path=PREFIX, httponly=True, samesite="strict")
        return response

    def _login_form(self, request: Request, error: str | None, status: int = 200) -> Response:
        return self.templates.TemplateResponse(
            request, "login.html", {"base": PREFIX, "error": error}, status_code=status
        )

    async def login(self, request: Request) -> Response:
        token = self.server.config.admin_token
        if token is None:
            return RedirectResponse(f"{PREFIX}/", 303)
        if request.method == "GET":
            return self._login_form(request, None)
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > _FORM_LIMIT:
                return _problem(Problem(413, f"the login form is larger than {_FORM_LIMIT} bytes", "body"))
        given = parse_qs(body.decode("utf-8", "replace")).get("token", [""])[0]
        if not hmac.compare_digest(given.encode(), token.encode()):
            return self._login_form(request, "That token is not the admin token.", 401)
        return self._signed_in(RedirectResponse(f"{PREFIX}/", 303), token)

    # ------------------------------------------------------------------ page
    async def _to_page(self, request: Request) -> Response:
        return RedirectResponse(f"{PREFIX}/", 308)

    async def page(self, request: Request) -> Response:
        contract = self.server.contract
        context = {
            "base": PREFIX,
            "commands": [(w.command, w.name) for w in contract.webhooks],
            "verdicts": _VERDICTS,
            "webhook_path": contract.path,
            "command_parameter": contract.parameter("command").name,
            "signed_in": self.server.config.admin_token is not None,
        }
        response = self.templates.TemplateResponse(request, "inspector.html", context)
        response.headers["Cache-Control"] = "no-store"
        return response

    # ------------------------------------------------------------- live feed
    async def events(self, request: Request) -> Response:
        """Server-sent events: `ready` (the last id so far), then one `delivery` per new record."""
        start = request.headers.get("last-event-id") or request.query_params.get("after")
        if start is not None and not start.isdigit():
            return _problem(Problem(400, f"{start!r} is not a delivery id", "query.after"))
        return StreamingResponse(
            self._feed(None if start is None else int(start)),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    async def _feed(self, after: int | None) -> AsyncIterator[str]:
        stopping = self.server.stopping
        if after is None:
            after = await asyncio.to_thread(self._last_id)
        yield "retry: 1000\n\n"
        yield _event("ready", {"last": after}, after)
        quiet_since = time.monotonic()
        while not stopping.is_set():
            records = await asyncio.to_thread(self.journal.records_after, after, limit=_BATCH)
            for record in records:
                assert record.id is not None
                after = record.id
                yield _event("delivery", record.as_json(), record.id)
            if records:
                quiet_since = time.monotonic()
                if len(records) == _BATCH:
                    continue
            elif time.monotonic() - quiet_since >= _HEARTBEAT_S:
                quiet_since = time.monotonic()
                yield ": still here\n\n"
            await self.server.pause(_POLL_S)

    def _last_id(self) -> int:
        newest = self.journal.records(limit=1)
        return (newest[0].id or 0) if newest else 0

    # ---------------------------------------------------------------- export
    async def export(self, request: Request) -> Response:
        """The filtered journal as JSON Lines for `mockserver validate` (and `mockserver replay`)."""
        try:
            filters = _filters(request)
        except Problem as problem:
            return _problem(problem)

        def read() -> list[Record]:
            self.journal.flush()
            return self.journal.records(**filters, limit=_EXPORT_LIMIT)

        records = await asyncio.to_thread(read)
        lines = "".join(capture_line(r.query, r.body, _content_type(r), r.headers) + "\n" for r in reversed(records))
        return PlainTextResponse(
            lines,
            media_type="application/x-ndjson",
            headers={"Content-Disposition": 'attachment; filename="deliveries.jsonl"', "Cache-Control": "no-store"},
        )


def _content_type(record: Record) -> str | None:
    for name, value in record.headers.items():
        if name.lower() == "content-type":
            return value
    return None
