"""The script store: the active script and its rules' hit counters, in the journal's SQLite file.

With `--workers`, a script loaded through one worker's admin API must govern all of them, and
a rule's `times` and `sequence` count matches across workers. The journal's database file is
already shared by every worker, so the store keeps its own tables there (`scripts`,
`rule_hits`) on its own connection; the journal itself only journals deliveries.

Every load inserts a new row: the version is its `AUTOINCREMENT` key, unique across workers
even after older rows are pruned, and a hit counter is keyed by version, so counts restart with
each load.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mockserver.errors import JournalError

__all__ = ["ScriptStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS scripts (
    version INTEGER PRIMARY KEY AUTOINCREMENT,
    document TEXT NOT NULL,
    loaded REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS rule_hits (
    version INTEGER NOT NULL, rule INTEGER NOT NULL, hits INTEGER NOT NULL, PRIMARY KEY (version, rule)
);
"""


class ScriptStore:
    """The stored script, shared by every process that opens the same file."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            # IMMEDIATE: each write takes the write lock when it starts (one statement decides).
            self._conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level="IMMEDIATE")
            self._conn.execute("PRAGMA busy_timeout=30000")
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise JournalError(f"cannot open the script store in {str(self.path)!r}: {exc}") from None
        self._lock = threading.Lock()

    def data_version(self) -> int:
        """SQLite's `PRAGMA data_version`: changes when another connection has committed since."""
        with self._lock:
            row = self._conn.execute("PRAGMA data_version").fetchone()
        return int(row[0])

    def version(self) -> int | None:
        """The active script's version (None: nothing was ever stored)."""
        with self._lock:
            row = self._conn.execute("SELECT MAX(version) FROM scripts").fetchone()
        return None if row[0] is None else int(row[0])

    def active(self) -> tuple[int, dict[str, Any]] | None:
        """The active script's version and document."""
        with self._lock:
            row = self._conn.execute("SELECT version, document FROM scripts ORDER BY version DESC LIMIT 1").fetchone()
        if row is None:
            return None
        document: dict[str, Any] = json.loads(row[1])
        return int(row[0]), document

    def store(self, document: Mapping[str, Any]) -> int:
        """Activate `document`; returns its version."""
        version = self._insert(document, "VALUES (?, ?)", ())
        assert version is not None  # an unconditional insert always inserts
        return version

    def store_if(self, document: Mapping[str, Any], edited: int | None) -> int | None:
        """Activate `document` only if the active version is still `edited` (None: nothing stored).

        Returns the new version, or None when another process stored a script meanwhile: the
        caller re-reads and retries, so two rule edits through two workers cannot lose one.
        """
        # One statement: the check and the insert cannot be split by another writer.
        return self._insert(document, "SELECT ?, ? WHERE (SELECT MAX(version) FROM scripts) IS ?", (edited,))

    def _insert(self, document: Mapping[str, Any], tail: str, extra: tuple[Any, ...]) -> int | None:
        text = json.dumps(document, ensure_ascii=False)
        with self._lock, self._conn:
            cursor = self._conn.execute(f"INSERT INTO scripts (document, loaded) {tail}", (text, time.time(), *extra))
            if cursor.rowcount == 0:
                return None
            version = int(cursor.lastrowid or 0)
            self._conn.execute("DELETE FROM scripts WHERE version < ?", (version,))
            self._conn.execute("DELETE FROM rule_hits WHERE version < ?", (version,))
        return version

    def hit(self, version: int, rule: int) -> int:
        """Count one more match of a rule, atomically across workers; returns the new count (1 first)."""
        with self._lock, self._conn:
            row = self._conn.execute(
                "INSERT INTO rule_hits (version, rule, hits) VALUES (?, ?, 1) "
                "ON CONFLICT (version, rule) DO UPDATE SET hits = hits + 1 RETURNING hits",
                (version, rule),
            ).fetchone()
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()
