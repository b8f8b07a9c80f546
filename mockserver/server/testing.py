"""Drive a real `mockserver serve` from Python: start it, script it, read its journal.

The server runs as a child process (`python -m mockserver serve --port 0`), exactly as a user
runs it, so a test exercises the real socket, uvicorn and workers; the free port is chosen by
the kernel and read from the server's ready line. Everything else goes through the admin API
with httpx, so this module is also a worked example of that API.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import yaml

from mockserver.errors import ServerFailed

__all__ = ["RunningServer", "ServerFailed", "start_server"]

_READY = re.compile(r"serving (http://\S+) \(workers: (\d+), journal: (.*)\)")


class RunningServer:
    """A started mock; use as a context manager or call `stop()`."""

    def __init__(
        self, process: subprocess.Popen[str], url: str, journal: str, stderr_path: Path, admin_token: str | None
    ) -> None:
        self.process = process
        self.url = url
        self.journal = journal
        self._stderr_path = stderr_path
        self._stderr_text: str | None = None
        headers = {"Authorization": f"Bearer {admin_token}"} if admin_token else {}
        self.admin = httpx.Client(base_url=f"{url}/__admin", headers=headers, timeout=30)

    @property
    def admin_url(self) -> str:
        return f"{self.url}/__admin"

    # ------------------------------------------------------------- scripts
    def load_script(self, script: Mapping[str, Any] | str | Path) -> dict[str, Any]:
        """Activate a script (a mapping, YAML/JSON text or a file); raises `httpx.HTTPStatusError` if refused."""
        if isinstance(script, Path):
            script = script.read_text(encoding="utf-8")
        document = yaml.safe_load(script) if isinstance(script, str) else dict(script)
        response = self.admin.post("/scripts", json=document or {})
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def clear_script(self) -> None:
        self.admin.delete("/scripts").raise_for_status()

    # ------------------------------------------------------------- journal
    def requests(self, **filters: Any) -> list[dict[str, Any]]:
        """Journaled deliveries, newest first (filters: command, verdict, since, limit)."""
        response = self.admin.get("/requests", params=_params(filters))
        response.raise_for_status()
        found: list[dict[str, Any]] = response.json()["requests"]
        return found

    def count(self, **filters: Any) -> int:
        response = self.admin.get("/requests/count", params=_params(filters))
        response.raise_for_status()
        return int(response.json()["count"])

    def wait_for(self, count: int, timeout: float = 5.0, **filters: Any) -> int:
        """Block until `count` matching deliveries are journaled (or `timeout`); returns the count."""
        deadline = time.monotonic() + timeout
        while True:
            left = max(0.0, min(10.0, deadline - time.monotonic()))
            response = self.admin.get("/requests/wait", params=_params({**filters, "count": count, "timeout": left}))
            response.raise_for_status()
            found = int(response.json()["count"])
            if found >= count or time.monotonic() >= deadline:
                return found

    def clear_requests(self) -> None:
        self.admin.delete("/requests").raise_for_status()

    def reset(self) -> None:
        """Empty the journal and remove the script."""
        self.clear_requests()
        self.clear_script()

    # ------------------------------------------------------------ lifecycle
    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, then SIGKILL if it does not exit in `timeout`; returns the exit code."""
        self.admin.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._stderr_text is None:  # keep what it said, leave no file behind
            self._stderr_text = self.stderr
            self._stderr_path.unlink(missing_ok=True)
        return self.process.returncode

    @property
    def stderr(self) -> str:
        """What the server wrote to stderr (kept in memory once it has stopped)."""
        if self._stderr_text is not None:
            return self._stderr_text
        return self._stderr_path.read_text(encoding="utf-8", errors="replace")

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()


def _params(filters: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in filters.items() if v is not None}


def start_server(
    *args: str,
    workers: int = 1,
    admin_token: str | None = None,
    timeout: float = 20.0,
    env: Mapping[str, str] | None = None,
    quiet: bool = True,
) -> RunningServer:
    """Start `mockserver serve` on a free 127.0.0.1 port with extra CLI `args`; returns when it listens.

    `quiet=False` keeps the log line per delivery (read it from `stderr`).
    """
    stderr_file = tempfile.NamedTemporaryFile(prefix="mockserver-stderr-", suffix=".log", delete=False)  # noqa: SIM115
    command: Sequence[str] = [
        sys.executable,
        "-m",
        "mockserver",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        *(["--quiet"] if quiet else []),
        "--workers",
        str(workers),
        *(["--admin-token", admin_token] if admin_token else []),
        *args,
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=stderr_file, text=True, env={**os.environ, **(env or {})}
    )
    stderr_file.close()  # the child has its own descriptor
    lines: queue.SimpleQueue[str | None] = queue.SimpleQueue()

    def pump() -> None:
        # Reads until every holder of the pipe is gone, then closes it here: closing it from another
        # thread while this one is blocked reading would wait for the read (a worker left alive by a
        # killed supervisor keeps the pipe open).
        assert process.stdout is not None
        with process.stdout:
            for line in process.stdout:
                lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + timeout
    while True:
        try:
            line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            line = None
        match = _READY.search(line) if line else None
        if match:
            return RunningServer(process, match.group(1), match.group(3), Path(stderr_file.name), admin_token)
        if line is None or time.monotonic() >= deadline:
            if process.poll() is None:
                process.kill()
            process.wait()
            said = Path(stderr_file.name).read_text(errors="replace")[-2000:]
            Path(stderr_file.name).unlink(missing_ok=True)
            raise ServerFailed(f"mockserver serve did not start: {said}")
