"""The mock server in this process: a `MockServer` reached through httpx's ASGI transport.

No socket, no child process, no lifespan (which would touch process-wide state: gc.freeze, the
switch interval, signal handlers). Requests run to completion on a private event loop, so a test
stays a plain function and the server's asyncio objects always see the same loop. The methods
mirror `mockserver.server.testing.RunningServer`'s, so a test reads the same against either.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import yaml

from mockserver.server.app import MockServer, ServerConfig
from tests.support.deliveries import delivery_request

__all__ = ["InProcessMock"]


class InProcessMock:
    """A `MockServer` built from `config` (a journal under a test's tmp_path), and a client for it."""

    def __init__(self, config: ServerConfig) -> None:
        self.server = MockServer(config)
        self.loop = asyncio.new_event_loop()
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.server), base_url="http://mock")

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.loop.run_until_complete(self.client.request(method, path, **kwargs))

    def deliver(self, body: Any, **options: Any) -> httpx.Response:
        """One delivery, built as `tests.support.deliveries.deliver` builds it for a real server."""
        method, target, raw, headers = delivery_request(body, **options)
        return self.request(method, target, content=raw, headers=headers)

    # ------------------------------------------------ the admin API, as RunningServer offers it
    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.request(method, f"/__admin{path}", **kwargs)
        response.raise_for_status()
        return response

    def load_script(self, script: Mapping[str, Any] | str | Path) -> dict[str, Any]:
        text = script.read_text(encoding="utf-8") if isinstance(script, Path) else script
        document = yaml.safe_load(text) if isinstance(text, str) else dict(text)
        loaded: dict[str, Any] = self.admin("POST", "/scripts", json=document or {}).json()
        return loaded

    def requests(self, **filters: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.admin("GET", "/requests", params=filters).json()["requests"]
        return found

    def count(self, **filters: Any) -> int:
        return int(self.admin("GET", "/requests/count", params=filters).json()["count"])

    def wait_for(self, count: int, timeout: float = 5.0, **filters: Any) -> int:
        params = {**filters, "count": count, "timeout": timeout}
        return int(self.admin("GET", "/requests/wait", params=params).json()["count"])

    def clear_requests(self) -> None:
        self.admin("DELETE", "/requests")

    def reset(self) -> None:
        self.clear_requests()
        self.admin("DELETE", "/scripts")

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()
        self.server.scripts.close()
        self.server.journal.close()
