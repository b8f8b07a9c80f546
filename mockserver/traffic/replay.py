"""Replay journaled deliveries to a URL: the same query and bytes, in the original order.

`mockserver replay` and the inspector's per-delivery Replay button both run `replay()`, so a
delivery resent from the page and from CI reads the same line. With a token, each delivery is
re-signed with a fresh request time (a journaled signature is stale after the contract's
replay window); without one the journaled query goes as it was, signature included.
"""

from __future__ import annotations

import shlex
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from mockserver.contract import Contract
from mockserver.errors import UnknownCommand, Unreachable
from mockserver.traffic.sender import Sender, Verdict, check_url

__all__ = ["Journaled", "Replayed", "Selection", "curl_command", "fetch_journaled", "replay"]


@dataclass(frozen=True)
class Journaled:
    """What replay needs of a journaled delivery (a journal `Record` or the admin API's JSON has it)."""

    id: int
    received: float
    command: str | None
    verdict: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes

    @classmethod
    def of(cls, record: Any) -> Journaled:
        """From a journal `Record` (or anything with its attributes)."""
        return cls(
            record.id, record.received, record.command, record.verdict, record.query, record.headers, record.body
        )

    @classmethod
    def from_json(cls, item: Mapping[str, Any]) -> Journaled:
        """From one delivery of the admin API's `GET /__admin/requests`."""
        return cls(
            int(item["id"]),
            float(item["received"]),
            item.get("command"),
            str(item["verdict"]),
            dict(item["query"]),
            dict(item["headers"]),
            str(item["body"]).encode(),
        )

    @property
    def content_type(self) -> str:
        for name, value in self.headers.items():
            if name.lower() == "content-type":
                return value
        return "application/json"


@dataclass(frozen=True)
class Selection:
    """Which deliveries to replay; empty fields select everything."""

    ids: frozenset[int] = frozenset()
    command: str | None = None
    verdict: str | None = None
    since: float | None = None

    def admits(self, item: Journaled) -> bool:
        return (
            (not self.ids or item.id in self.ids)
            and (self.command is None or item.command == self.command)
            and (self.verdict is None or item.verdict == self.verdict)
            and (self.since is None or item.received >= self.since)
        )

    def choose(self, items: Iterable[Journaled]) -> list[Journaled]:
        """The admitted deliveries, oldest first (the order they arrived in)."""
        return sorted((i for i in items if self.admits(i)), key=lambda i: i.id)


@dataclass(frozen=True)
class Replayed:
    """One delivery replayed (or, in a dry run, the command that would replay it)."""

    item: Journaled
    command: str | None
    """The journaled command, or for a refused delivery the one its query names."""
    url: str
    curl: str
    verdict: Verdict | None = None
    """The target's answer, judged as `mockserver send` judges it; None in a dry run or when not sent."""
    skipped: str | None = None
    """Why the delivery was not sent (a command the contract does not describe)."""

    @property
    def delivered(self) -> bool:
        if self.skipped is not None:
            return False
        return self.verdict is None or self.verdict.delivered

    def line(self) -> str:
        """One line, as `mockserver send` reports: the target's verdict, then the vendor's outcome."""
        head = f"#{self.item.id} {self.command or '(no command)'}"
        if self.skipped is not None:
            return f"{head} not sent: {self.skipped}"
        if self.verdict is None:
            return f"{head} would be sent: {self.curl}"
        return f"{head} -> {self.verdict.line()}"

    def as_dict(self) -> dict[str, Any]:
        verdict = self.verdict
        return {
            "id": self.item.id,
            "command": self.command,
            "url": self.url,
            "curl": self.curl,
            "sent": verdict is not None,
            "delivered": self.delivered,
            "status": None if verdict is None else verdict.status,
            "elapsed_ms": None if verdict is None else round(verdict.elapsed * 1000, 3),
            "error": self.skipped if verdict is None else verdict.error,
            "violations": [] if verdict is None else [v.as_dict() for v in verdict.violations],
            "outcome": None
            if verdict is None
            else {"action": verdict.outcome, "detail": verdict.detail, "caller_error": verdict.caller_error},
            "line": self.line(),
        }


def curl_command(url: str, query: Mapping[str, str], body: bytes, content_type: str) -> str:
    """A shell command that sends the same request (quoted for POSIX shells)."""
    target = f"{url}{'&' if urlsplit(url).query else '?'}{urlencode(dict(query))}" if query else url
    return " ".join(
        [
            "curl -sS -X POST",
            shlex.quote(target),
            "-H",
            shlex.quote(f"Content-Type: {content_type}"),
            "--data-binary",
            shlex.quote(body.decode("utf-8", "replace")),
        ]
    )


async def replay(
    items: Sequence[Journaled],
    url: str,
    contract: Contract,
    *,
    token: str | None = None,
    dry_run: bool = False,
    client: httpx.AsyncClient | None = None,
) -> AsyncIterator[Replayed]:
    """Send `items` to `url` one after the other, in the order given; yields each as it is answered.

    Sent by the kit's one `Sender`, so a replayed delivery is signed, bounded by the contract's
    budget and judged exactly as `mockserver send` does.
    """
    check_url(url)
    command_parameter = contract.parameter("command").name
    http = client if client is not None else httpx.AsyncClient(follow_redirects=False)
    async with Sender(url, contract=contract, token=token, http=http) as sender:
        try:
            for item in items:
                query = sender.resigned(item.query)
                curl = curl_command(url, query, item.body, item.content_type)
                # A refused delivery is journaled without a command; the query still names the one meant.
                command = item.command or item.query.get(command_parameter)
                if dry_run:
                    yield Replayed(item, command, url, curl)
                    continue
                try:
                    verdict = await sender.send(
                        command or "", item.body, query=item.query, content_type=item.content_type
                    )
                except UnknownCommand as exc:
                    yield Replayed(item, command, url, curl, skipped=str(exc))
                    continue
                yield Replayed(item, command, url, curl, verdict)
        finally:
            if client is None:
                await http.aclose()


async def fetch_journaled(admin_url: str, admin_token: str | None, limit: int = 10_000) -> list[Journaled]:
    """Deliveries from a running mock's admin API (`--from URL`), newest `limit` of them."""
    base = check_url(admin_url).rstrip("/")
    if not base.endswith("/__admin"):
        base += "/__admin"
    headers = {"Authorization": f"Bearer {admin_token}"} if admin_token else {}
    try:
        async with httpx.AsyncClient(headers=headers, timeout=30) as client:
            response = await client.get(f"{base}/requests", params={"limit": limit})
    except httpx.HTTPError as exc:
        raise Unreachable(f"cannot read {base}/requests: {exc}") from None
    if response.status_code != 200:
        raise Unreachable(f"{base}/requests answered {response.status_code}: {response.text[:200]}")
    return [Journaled.from_json(item) for item in response.json()["requests"]]
