"""Render script templates in killable child processes, under a time, output and memory budget.

Measured (bench/bench_templates.py): a single C call inside a sandboxed Jinja2 template
(``{{ x * n }}``, ``{{ x|center(n) }}``) held the interpreter lock for 0.5-3.6 s and allocated
up to gigabytes; a trace function or a signal cannot interrupt it, and a thread cannot be
killed. So templates render in small worker processes (`sandbox_child.py`): each render has a
deadline after which its process is killed and replaced, an output cap enforced while it
renders, and an address-space cap (RLIMIT_AS). The price is a pipe round trip per render
(about a tenth of a millisecond), paid only by rules with a template.

The event loop never blocks here: a render runs in one of `sandbox_processes` threads that
each own one process at a time and wait on its pipe; `render()` awaits that thread's future.
Processes start on first use (or `warm()`), so a server whose script has no template starts
none; they end when their pipe closes, so they never outlive the server.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import selectors
import struct
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import msgspec

from mockserver.errors import ScriptError
from mockserver.server.budgets import SCRIPT_BUDGET, ScriptBudget

__all__ = ["TemplateFailed", "TemplateSandbox"]

_CHILD = Path(__file__).with_name("sandbox_child.py")
_HEADER = struct.Struct(">I")
_START_S = 30.0
"""How long a render process may take to start (an interpreter and Jinja2; slow on a loaded machine)."""


class TemplateFailed(ScriptError):
    """A template failed while rendering; `line` is the template line when known."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


class _Gone(Exception):
    """The render process closed its pipe (it died, or ran out of memory outside Python's reach)."""


class TemplateSandbox:
    """A small pool of render processes shared by every script of one server process."""

    def __init__(self, budget: ScriptBudget = SCRIPT_BUDGET) -> None:
        self.budget = budget
        self._executor = ThreadPoolExecutor(budget.sandbox_processes, thread_name_prefix="mockserver-sandbox")
        self._idle: queue.SimpleQueue[subprocess.Popen[bytes]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._processes: set[subprocess.Popen[bytes]] = set()
        self._closed = False
        self._settings = json.dumps(
            {
                "output_chars": budget.template_output_chars,
                "memory_bytes": budget.template_memory_bytes,
                "regex_ms": budget.regex_ms,
            }
        )

    # ------------------------------------------------------------------ rendering
    async def render(self, name: str, source: str, context: dict[str, Any]) -> str:
        """The text `source` renders over `context` (raises `TemplateFailed`); never blocks the loop."""
        request = msgspec.json.encode({"name": name, "source": source, "context": context})
        return await asyncio.wrap_future(self._executor.submit(self._render, time.monotonic(), request))

    def render_blocking(self, name: str, source: str, context: dict[str, Any]) -> str:
        """`render()` for code that is already off the event loop (loading a script)."""
        request = msgspec.json.encode({"name": name, "source": source, "context": context})
        return self._executor.submit(self._render, time.monotonic(), request).result()

    def warm(self) -> None:
        """Start the render processes now, in the background, so the first delivery does not wait.

        On a daemon thread, not the render executor: an interpreter that exits without closing
        the sandbox joins the executor's threads, and would wait out a start in progress.
        """
        missing = self.budget.sandbox_processes - len(self._processes)
        if missing > 0:
            threading.Thread(target=self._warm, args=(missing,), name="mockserver-sandbox-warm", daemon=True).start()

    def _warm(self, count: int) -> None:
        for _ in range(count):
            try:
                self._give(self._start())
            except TemplateFailed:  # closed meanwhile, or the start failed: a render starts its own
                return

    def close(self) -> None:
        """Kill every render process; later renders fail."""
        with self._lock:
            self._closed = True
            processes = list(self._processes)
        for process in processes:
            self._kill(process)
        self._executor.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------------ one render
    def _render(self, submitted: float, request: bytes) -> str:
        budget = self.budget
        if (time.monotonic() - submitted) * 1000 > budget.template_wait_ms:
            raise TemplateFailed(
                f"no template process was free within {budget.template_wait_ms:g} ms (other renders are using them)"
            )
        process = self._take()
        deadline = time.monotonic() + budget.template_ms / 1000
        try:
            assert process.stdin is not None
            process.stdin.write(_HEADER.pack(len(request)) + request)
            process.stdin.flush()
            reply = json.loads(self._read(process, deadline))
        except TimeoutError:
            self._kill(process)
            raise TemplateFailed(f"the template ran longer than {budget.template_ms:g} ms (the time budget)") from None
        except (OSError, _Gone, ValueError):
            self._kill(process)
            raise TemplateFailed("the template process stopped while rendering (out of memory?)") from None
        self._give(process)
        if "error" in reply:
            raise TemplateFailed(str(reply["error"]), reply.get("line"))
        return str(reply["text"])

    @staticmethod
    def _read(process: subprocess.Popen[bytes], deadline: float) -> bytes:
        """One reply frame from `process`, or `TimeoutError` at `deadline` (never a blocking read)."""
        assert process.stdout is not None
        fd = process.stdout.fileno()
        data = b""
        want = _HEADER.size
        header_done = False
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while True:
                while len(data) < want:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 or not selector.select(remaining):
                        raise TimeoutError
                    chunk = os.read(fd, max(65536, want - len(data)))
                    if not chunk:
                        raise _Gone
                    data += chunk
                if header_done:
                    return data
                want = _HEADER.unpack(data[: _HEADER.size])[0]
                data = data[_HEADER.size :]
                header_done = True

    # ------------------------------------------------------------------ processes
    def _start(self) -> subprocess.Popen[bytes]:
        with self._lock:
            if self._closed:
                raise TemplateFailed("the server is stopping")
            # -P: the child's directory (mockserver/server) must not shadow a standard module.
            process = subprocess.Popen(
                [sys.executable, "-P", str(_CHILD), self._settings],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                bufsize=-1,
                close_fds=True,
            )
            self._processes.add(process)
        try:  # a start is not the template's time: wait for the child's "ready" before any deadline runs
            self._read(process, time.monotonic() + _START_S)
        except (TimeoutError, OSError, _Gone):
            self._kill(process)
            raise TemplateFailed(f"the template process did not start within {_START_S:g} s") from None
        return process

    def _take(self) -> subprocess.Popen[bytes]:
        while True:
            try:
                process = self._idle.get_nowait()
            except queue.Empty:
                return self._start()
            if process.poll() is None:
                return process
            self._forget(process)

    def _give(self, process: subprocess.Popen[bytes]) -> None:
        with self._lock:
            closed = self._closed
        if closed:
            self._kill(process)
        else:
            self._idle.put(process)

    def _kill(self, process: subprocess.Popen[bytes]) -> None:
        process.kill()
        for pipe in (process.stdin, process.stdout):
            if pipe is not None:
                pipe.close()
        process.wait()
        self._forget(process)

    def _forget(self, process: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._processes.discard(process)
