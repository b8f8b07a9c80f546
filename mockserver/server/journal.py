"""The journal: every delivery the mock received, in one SQLite file all workers share.

SQLite in WAL mode lets several `--workers` processes append to one file while others read,
with nothing to install. Records leave the event loop through a queue: a writer thread per
process takes everything queued, inserts it in one transaction and commits (group commit), so a
burst of deliveries costs one commit instead of one per request.

"Answered" means "journaled": the server awaits `commit(record)`, which returns once the
transaction holding the record is committed, and only then sends the answer. A commit in WAL
mode has reached the operating system when it returns, so `kill -9` of the process (or of one
worker) loses no delivery a sender was answered for; `synchronous=NORMAL` leaves only a power
cut able to lose the last transactions, which is the trade every WAL user makes for speed.

The same database file also holds the script store (`mockserver.server.scriptstore`), in its
own tables on its own connection: the journal only journals deliveries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from mockserver.errors import JournalError

__all__ = ["Journal", "JournalError", "Record"]

logger = logging.getLogger("mockserver.journal")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received REAL NOT NULL,
    worker INTEGER NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    query TEXT NOT NULL,
    headers TEXT NOT NULL,
    body BLOB NOT NULL,
    command TEXT,
    verdict TEXT NOT NULL,
    errors TEXT NOT NULL,
    signature TEXT,
    rule TEXT,
    fault TEXT,
    status INTEGER,
    response_headers TEXT NOT NULL,
    response_body BLOB NOT NULL,
    latency_ms REAL NOT NULL,
    forward TEXT
);
"""

_COLUMNS = (
    "received",
    "worker",
    "method",
    "path",
    "query",
    "headers",
    "body",
    "command",
    "verdict",
    "errors",
    "signature",
    "rule",
    "fault",
    "status",
    "response_headers",
    "response_body",
    "latency_ms",
    "forward",
)
_INSERT = f"INSERT INTO deliveries ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"


@dataclass
class Record:
    """One delivery as received and as answered (`status` None: no HTTP answer, e.g. a reset)."""

    received: float
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    verdict: str = "valid"
    command: str | None = None
    errors: list[dict[str, str]] = field(default_factory=list)
    signature: str | None = None
    rule: str | None = None
    fault: str | None = None
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: bytes = b""
    latency_ms: float = 0.0
    forward: dict[str, Any] | None = None
    """With `--forward-to`: the backend's answer and its verdict (url, status, latency, violations, outcome)."""
    worker: int = field(default_factory=os.getpid)
    id: int | None = None

    def row(self) -> tuple[Any, ...]:
        encode = _ENCODE
        return (
            self.received,
            self.worker,
            self.method,
            self.path,
            encode(self.query),
            encode(self.headers),
            self.body,
            self.command,
            self.verdict,
            encode(self.errors) if self.errors else b"[]",
            self.signature,
            self.rule,
            self.fault,
            self.status,
            encode(self.response_headers),
            self.response_body,
            self.latency_ms,
            None if self.forward is None else encode(self.forward),
        )

    def as_json(self) -> dict[str, Any]:
        """The admin API's view: bodies as text (replacement characters for bytes that are not UTF-8)."""
        out = asdict(self)
        out["body"] = self.body.decode("utf-8", "replace")
        out["response_body"] = self.response_body.decode("utf-8", "replace")
        return out


_FAST_ENCODE = msgspec.json.encode


def _scrubbed(value: Any) -> Any:
    """`value` with lone surrogates (text decoded with surrogateescape) replaced by '?'."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {_scrubbed(k): _scrubbed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(v) for v in value]
    return value


def _ENCODE(value: Any) -> bytes:
    # msgspec, not json: this runs in the writer thread for every delivery, and json.dumps
    # (about 19 µs for the four small objects) competed with the event loop for the GIL.
    try:
        return _FAST_ENCODE(value)
    except UnicodeEncodeError:  # text that is not valid Unicode must still be journaled
        return _FAST_ENCODE(_scrubbed(value))


def _DECODE(value: str | bytes) -> Any:
    return msgspec.json.decode(value)


def _record(row: sqlite3.Row) -> Record:
    return Record(
        id=row["id"],
        received=row["received"],
        worker=row["worker"],
        method=row["method"],
        path=row["path"],
        query=_DECODE(row["query"]),
        headers=_DECODE(row["headers"]),
        body=bytes(row["body"]),
        command=row["command"],
        verdict=row["verdict"],
        errors=_DECODE(row["errors"]),
        signature=row["signature"],
        rule=row["rule"],
        fault=row["fault"],
        status=row["status"],
        response_headers=_DECODE(row["response_headers"]),
        response_body=bytes(row["response_body"]),
        latency_ms=row["latency_ms"],
        forward=None if row["forward"] is None else _DECODE(row["forward"]),
    )


_STOP = object()


@dataclass
class _Pending:
    """A record whose sender waits (on `loop`) for its commit."""

    record: Record
    loop: asyncio.AbstractEventLoop
    done: asyncio.Future[bool]


def _resolve(futures: list[tuple[asyncio.Future[bool], bool]]) -> None:
    for future, stored in futures:
        if not future.done():
            future.set_result(stored)


class Journal:
    """Append deliveries from the event loop; query them from tests and the admin API."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            setup = self._connect()
            try:
                setup.execute("PRAGMA journal_mode=WAL")
                setup.executescript(_SCHEMA)
                columns = {row[1] for row in setup.execute("PRAGMA table_info(deliveries)")}
                if "forward" not in columns:  # a journal written before forwarding existed
                    setup.execute("ALTER TABLE deliveries ADD COLUMN forward TEXT")
            finally:
                setup.close()
        except sqlite3.Error as exc:
            raise JournalError(f"cannot open the journal {str(self.path)!r}: {exc}") from None
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._read = self._connect()
        self._read_lock = threading.Lock()
        self._writer = threading.Thread(target=self._write_loop, name="mockserver-journal", daemon=True)
        self._writer.start()
        self._closed = False
        self.dropped = 0
        """Deliveries this process could not store (each is logged with its traceback)."""

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    # ---------------------------------------------------------------- writing
    def append(self, record: Record) -> None:
        """Queue a record without waiting for it to be committed (`flush()` waits for all)."""
        self._queue.put(record)

    async def commit(self, record: Record) -> bool:
        """Store `record` and return once its transaction is committed; False if it cannot be stored.

        Every delivery waiting at the same moment shares one transaction, so the cost of a commit
        is spread over the burst instead of being paid per request.
        """
        loop = asyncio.get_running_loop()
        done: asyncio.Future[bool] = loop.create_future()
        self._queue.put(_Pending(record, loop, done))
        return await done

    def _write_loop(self) -> None:
        conn = self._connect()
        stop = False
        while not stop:
            batch: list[Any] = [self._queue.get()]
            while len(batch) < 1000:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            records = [item.record if isinstance(item, _Pending) else item for item in batch]
            failed = self._insert(conn, [r for r in records if isinstance(r, Record)])
            waiting: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[bool], bool]]] = {}
            for item in batch:
                if isinstance(item, _Pending):
                    waiting.setdefault(item.loop, []).append((item.done, id(item.record) not in failed))
                elif isinstance(item, threading.Event):
                    item.set()
                elif item is _STOP:
                    stop = True
            for loop, futures in waiting.items():  # one wake-up per event loop, not one per record
                with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits any more
                    loop.call_soon_threadsafe(_resolve, futures)
        conn.close()

    def _insert(self, conn: sqlite3.Connection, records: list[Record]) -> set[int]:
        """Insert a batch; returns the ids (`id()`) of records that could not be stored.

        The writer thread is the journal: if it died, every later delivery would be lost and
        every `flush()` would wait its full timeout. So a failing batch is retried record by
        record, and only the record that fails is dropped (with its traceback in the log).
        """
        if not records:
            return set()
        try:
            with _transaction(conn):
                conn.executemany(_INSERT, [record.row() for record in records])
            return set()
        except Exception:
            pass
        failed: set[int] = set()
        for record in records:
            try:
                with _transaction(conn):
                    conn.execute(_INSERT, record.row())
            except Exception:
                self.dropped += 1
                failed.add(id(record))
                logger.exception("the journal could not store a delivery (%s %s)", record.method, record.path)
        return failed

    def flush(self, timeout: float = 30.0) -> None:
        """Return once every record appended before the call is committed.

        Readers rely on "flushed means complete", so a writer that has not caught up within
        `timeout` is an error, not a short answer.
        """
        if self._closed:
            return
        done = threading.Event()
        self._queue.put(done)
        if not done.wait(timeout):
            raise JournalError(f"the journal writer has not caught up within {timeout:g} s")

    def close(self) -> None:
        """Drain the queue, stop the writer, close the connections."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        self._writer.join(30)
        if self.dropped:
            logger.error("the journal could not store %d deliveries (see the log above)", self.dropped)
        with self._read_lock:
            self._read.close()

    # ---------------------------------------------------------------- reading
    def _where(self, command: str | None, verdict: str | None, since: float | None) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        args: list[Any] = []
        if command is not None:
            clauses.append("command = ?")
            args.append(command)
        if verdict is not None:
            clauses.append("verdict = ?")
            args.append(verdict)
        if since is not None:
            clauses.append("received >= ?")
            args.append(since)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", args

    def records(
        self, *, command: str | None = None, verdict: str | None = None, since: float | None = None, limit: int = 1000
    ) -> list[Record]:
        """Matching deliveries, newest first."""
        where, args = self._where(command, verdict, since)
        with self._read_lock:
            rows = self._read.execute(
                f"SELECT * FROM deliveries{where} ORDER BY id DESC LIMIT ?", [*args, limit]
            ).fetchall()
        return [_record(row) for row in rows]

    def records_after(self, after_id: int, *, limit: int = 200) -> list[Record]:
        """Deliveries with an id above `after_id` (every worker's committed ones), oldest first.

        The inspector's live feed tails the journal with this: ids grow across workers, so
        "after the last id seen" never misses or repeats a delivery.
        """
        with self._read_lock:
            rows = self._read.execute(
                "SELECT * FROM deliveries WHERE id > ? ORDER BY id LIMIT ?", (after_id, limit)
            ).fetchall()
        return [_record(row) for row in rows]

    def record(self, record_id: int) -> Record | None:
        """The delivery with this id, if the journal has it."""
        with self._read_lock:
            row = self._read.execute("SELECT * FROM deliveries WHERE id = ?", (record_id,)).fetchone()
        return None if row is None else _record(row)

    def count(self, *, command: str | None = None, verdict: str | None = None, since: float | None = None) -> int:
        where, args = self._where(command, verdict, since)
        with self._read_lock:
            (n,) = self._read.execute(f"SELECT COUNT(*) FROM deliveries{where}", args).fetchone()
        return int(n)

    def clear(self) -> int:
        """Delete every delivery (all workers' ones); returns how many there were."""
        self.flush()
        with self._read_lock, _transaction(self._read):
            return self._read.execute("DELETE FROM deliveries").rowcount

    async def wait_for_async(
        self,
        count: int,
        *,
        timeout: float,
        command: str | None = None,
        verdict: str | None = None,
        since: float | None = None,
        stop: asyncio.Event | None = None,
    ) -> int:
        """Poll until `count` matching deliveries are journaled or `timeout` passes; returns the count.

        Sleeps on the event loop and borrows a thread only for each short poll.

        Holding a pool thread for the whole wait let a handful of waiting clients exhaust
        asyncio's default executor (min(32, CPUs + 4) threads), so every other admin call that
        needs a thread queued behind them for up to their full timeout. Setting `stop` (the
        server does on SIGTERM) ends the wait with the count so far.
        """
        stop = stop or asyncio.Event()
        deadline = time.monotonic() + timeout

        def poll() -> int:
            self.flush()
            return self.count(command=command, verdict=verdict, since=since)

        while True:
            found = await asyncio.to_thread(poll)
            if found >= count or time.monotonic() >= deadline or stop.is_set():
                return found
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), min(0.02, max(0.0, deadline - time.monotonic())))


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
