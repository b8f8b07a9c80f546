"""RFC 7807 problem details: the one shape every refusal of the mock server takes.

A sender that gets a 4xx from the mock needs to know which field was wrong and why, so every
problem carries `field` (``query.Sign``, ``body.SubscribeAccountList[0].Subscriber_Account``)
and, when there are several violations, `errors`. The shape is the contract's `Problem` schema,
so the same bytes satisfy schemathesis' response checks.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from http import HTTPStatus

from starlette.types import Send

from mockserver.schema import Violation

__all__ = ["PROBLEM_JSON", "Problem", "send_problem"]

PROBLEM_JSON = "application/problem+json"


@dataclass
class Problem(Exception):
    """A refusal: raise it anywhere on the request path; the server turns it into a response."""

    status: int
    detail: str
    field: str | None = None
    errors: Sequence[Violation] = ()
    headers: dict[str, str] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_violations(cls, status: int, violations: Iterable[Violation], *, more: bool = False) -> Problem:
        """One problem for a list of violations; `field`/`detail` come from the first one.

        `more`: the explanation stopped before naming every violation (it is bounded), which
        the detail says, so nobody takes the list for the whole story.
        """
        found = sorted(set(violations))
        first = found[0]
        others = len(found) - 1
        if more:
            detail = f"{first} (and more: only the first {len(found)} violations are named)"
        else:
            detail = str(first) if not others else f"{first} (and {others} more)"
        return cls(status, detail, first.field, found)

    @property
    def title(self) -> str:
        return HTTPStatus(self.status).phrase

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "type": "about:blank",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.field is not None:
            out["field"] = self.field
        if self.errors:
            out["errors"] = [v.as_dict() for v in self.errors]
        return out

    def body(self) -> bytes:
        return json.dumps(self.as_dict(), ensure_ascii=False).encode()

    def __str__(self) -> str:
        return f"{self.status} {self.title}: {self.detail}"


async def send_problem(send: Send, problem: Problem) -> bytes:
    """Send `problem` as a complete ASGI response; returns the body for the journal."""
    body = problem.body()
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in problem.headers.items()),
    ]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
    return body
