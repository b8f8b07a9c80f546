"""kill -9 under load: every delivery a sender got an answer for is in the journal afterwards.

The mock commits a delivery's record before it sends the answer (group commit), so neither the
death of the whole process nor of one `--workers` process can lose an acknowledged delivery.
Counts, not timings. Concurrent senders keep the server busy; once 100 answers have arrived the
test takes the journal's write lock (as any other SQLite writer could) and holds it for half a
second, then kills the server (or one worker) while the journal still waits for it. A server
that answered before committing would go on answering during the hold, and those deliveries
would die queued with it; one that commits first answers only what it had committed. Each
acknowledged delivery is then looked up in the journal file. (Checked the other way round:
with `Journal.commit` queueing the record and returning at once, this test fails.)
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

SENDERS = 16
LOCK_AT = 100
"""Answers before the test takes the journal's write lock."""
HOLD_S = 0.5
"""How long the lock is held before the kill: answers a write-behind journal would give meanwhile are lost."""
AFTER_KILL = 2 * SENDERS
"""With --workers, answers the surviving worker gives after the kill before the senders stop."""


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


async def _load(server: RunningServer, workers: int, journal: Path) -> set[int]:
    """Send until the kill (and, with workers, a while after it); returns the acknowledged sequence numbers."""
    webhook = contract.webhooks[0]
    body = json.dumps(webhook.example().value).encode()
    acknowledged: set[int] = set()
    stop = asyncio.Event()
    killed = False
    crash: asyncio.Task[None] | None = None

    async def kill_while_the_journal_waits() -> None:
        nonlocal killed
        lock = sqlite3.connect(journal, timeout=30, isolation_level=None)
        try:
            lock.execute("BEGIN IMMEDIATE")  # the server's journal writer now waits for this lock
            # with --workers, the worker that answered most so far (connections need not be shared out evenly)
            busiest = lock.execute("SELECT worker FROM deliveries GROUP BY worker ORDER BY count(*) DESC").fetchone()
            victim = server.process.pid if workers == 1 else busiest[0]
            assert victim in [server.process.pid, *_children(server.process.pid)]
            await asyncio.sleep(HOLD_S)
            killed = True
            os.kill(victim, signal.SIGKILL)
            answered_at_kill = len(acknowledged)
        finally:
            lock.close()  # rolls back: the journal is the server's again
        if workers > 1:  # the surviving worker goes on answering (and committing) for a while
            while len(acknowledged) < answered_at_kill + AFTER_KILL and not stop.is_set():
                await asyncio.sleep(0.01)
            stop.set()

    async def sender(client: httpx.AsyncClient, seq: int) -> None:
        nonlocal crash
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
                if len(acknowledged) >= LOCK_AT and crash is None:
                    crash = asyncio.create_task(kill_while_the_journal_waits())
            seq += SENDERS

    limits = httpx.Limits(max_connections=SENDERS, max_keepalive_connections=SENDERS)
    async with httpx.AsyncClient(timeout=5, limits=limits) as client:
        await asyncio.wait_for(asyncio.gather(*(sender(client, n) for n in range(SENDERS))), 120)
    assert crash is not None and crash.done()
    crash.result()  # its exception, if it had one
    return acknowledged


@pytest.mark.parametrize("workers", [1, 2])
def test_kill_9_loses_no_acknowledged_delivery(tmp_path: Path, workers: int) -> None:
    journal = tmp_path / "journal.sqlite3"
    server = start_server("--journal", str(journal), workers=workers)
    try:
        answered = asyncio.run(_load(server, workers, journal))
    finally:
        # Every process of the server, not only the supervisor: a worker left alive keeps the
        # server's stdout pipe open, and stop() would then wait forever for the pipe to close.
        for pid in [*_children(server.process.pid), server.process.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        server.stop()  # reaps it, closes its pipe, removes its stderr file
    assert len(answered) >= LOCK_AT
    with sqlite3.connect(journal) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    reopened = Journal(journal)  # what a restarted server on the same --journal sees
    try:
        stored = {int(r.query[MARK]) for r in reopened.records(limit=10**7) if MARK in r.query}
    finally:
        reopened.close()
    missing = answered - stored
    assert not missing, f"{len(missing)} of {len(answered)} acknowledged deliveries are not in the journal"
