"""`--workers 2`: one journal, one script, nothing lost under concurrent load."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlencode

import httpx
import pytest

from mockserver.server.testing import start_server
from tests.support.deliveries import SCRIPTS, contract, load_yaml, query_for

pytestmark = pytest.mark.slow  # a real server with two worker processes

N = 300


async def _blast(url: str, deliveries: list[tuple[str, bytes]], concurrency: int = 16) -> list[int]:
    # no keep-alive: every delivery is a new connection, so the kernel spreads them over both workers
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=0)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        gate = asyncio.Semaphore(concurrency)

        async def one(query: str, body: bytes) -> int:
            async with gate:
                response = await client.post(
                    f"{url}/?{query}", content=body, headers={"content-type": "application/json"}
                )
                return response.status_code

        return await asyncio.gather(*(one(q, b) for q, b in deliveries))


def test_two_workers_share_one_journal_and_one_script() -> None:
    with start_server(workers=2) as server:
        script = load_yaml("predicates.yaml")
        server.load_script(SCRIPTS / "predicates.yaml")
        counted_rule = next(r for r in script["rules"] if "times" in r)
        counted = contract.webhook(counted_rule["when"]["command"])
        deliveries = []
        for i in range(N):
            webhook = contract.webhooks[i % len(contract.webhooks)]
            deliveries.append(
                (urlencode(query_for(webhook.command)), json.dumps(dict(webhook.example().value)).encode())
            )
        statuses = asyncio.run(_blast(server.url, deliveries))
        assert len(statuses) == N
        assert server.wait_for(N, timeout=10) == N
        records = server.requests(limit=N + 10)
        assert len(records) == N
        assert len({r["worker"] for r in records}) == 2  # both workers answered and journaled
        # the rule limited by `times` matched exactly that often across both workers
        assert sum(1 for r in records if r["rule"] == counted_rule.get("name")) == counted_rule["times"]
        every = len(contract.webhooks)
        assert server.count(command=counted.command) == len(range(contract.webhooks.index(counted), N, every))
