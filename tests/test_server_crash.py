"""kill -9 under load: every delivery a sender got an answer for is in the journal afterwards.

The mock commits a delivery's record before it sends the answer (group commit), so neither the
death of the whole process nor of one `--workers` process can lose an acknowledged delivery.
Counts, not timings: 64 concurrent senders keep the server saturated (so a journal that wrote
behind the answers would have a backlog), the server is killed the moment the 400th answer
arrives, and each acknowledged delivery is looked up in the journal file.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sqlite3
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from mockserver.server.journal import Journal
from mockserver.server.testing import RunningServer, start_server
from tests.support.deliveries import contract, query_for

pytestmark = pytest.mark.slow  # kill -9 of real server processes under load

MARK = "mockserver_test_seq"
"""An extra query parameter (the contract allows them) that tells the deliveries apart."""

SENDERS = 64
KILL_AT = 400
AFTER_KILL = 2 * SENDERS
"""With --workers, answers the surviving worker gives after the kill before the senders stop."""


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


async def _load(server: RunningServer, workers: int) -> set[int]:
    """Send until the kill (and, with workers, a while after it); returns the acknowledged sequence numbers."""
    webhook = contract.webhooks[0]
    body = json.dumps(webhook.example().value).encode()
    acknowledged: set[int] = set()
    stop = asyncio.Event()
    killed = False
    victim = _children(server.process.pid)[0] if workers > 1 else server.process.pid

    async def sender(client: httpx.AsyncClient, seq: int) -> None:
        nonlocal killed
        while not stop.is_set():
            query = {**query_for(webhook.command), MARK: str(seq)}
            try:
                answer = await client.post(
                    f"{server.url}/?{urlencode(query)}", content=body, headers={"content-type": "application/json"}
                )
            except httpx.HTTPError:
                if workers == 1 and killed:
                    return
                continue
            if answer.status_code == 200:
                acknowledged.add(seq)
                if len(acknowledged) >= KILL_AT and not killed:
                    killed = True  # at once: this answer has just left the server
                    os.kill(victim, signal.SIGKILL)
                elif len(acknowledged) >= KILL_AT + AFTER_KILL:
                    stop.set()  # with --workers the other worker kept answering: enough
            seq += SENDERS

    limits = httpx.Limits(max_connections=SENDERS, max_keepalive_connections=SENDERS)
    async with httpx.AsyncClient(timeout=5, limits=limits) as client:
        await asyncio.wait_for(asyncio.gather(*(sender(client, n) for n in range(SENDERS))), 120)
    return acknowledged


@pytest.mark.parametrize("workers", [1, 2])
def test_kill_9_loses_no_acknowledged_delivery(tmp_path: Path, workers: int) -> None:
    journal = tmp_path / "journal.sqlite3"
    server = start_server("--journal", str(journal), workers=workers)
    try:
        answered = asyncio.run(_load(server, workers))
    finally:
        # Every process of the server, not only the supervisor: a worker left alive keeps the
        # server's stdout pipe open, and stop() would then wait forever for the pipe to close.
        for pid in [*_children(server.process.pid), server.process.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        server.stop()  # reaps it, closes its pipe, removes its stderr file
    assert len(answered) >= KILL_AT
    with sqlite3.connect(journal) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    reopened = Journal(journal)  # what a restarted server on the same --journal sees
    try:
        stored = {int(r.query[MARK]) for r in reopened.records(limit=10**7) if MARK in r.query}
    finally:
        reopened.close()
    missing = answered - stored
    assert not missing, f"{len(missing)} of {len(answered)} acknowledged deliveries are not in the journal"
