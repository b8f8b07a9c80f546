"""The template render process: one loop that renders script templates for its parent.

Run as ``python -P sandbox_child.py SETTINGS`` by `mockserver.server.sandbox`; it imports
nothing from the kit (only the standard library, Jinja2 and `regex`), so it starts in a
fraction of the server's start-up time. It is also imported by the parent for `environment()`
and `compile_template()`, so both sides see the same Jinja2 environment and the same errors.

Why a process: a template is a program. A loop in it can be stopped between bytecodes, but one
C call (``{{ s * n }}`` on a large `n`, ``|center(n)``, ``|replace``) holds the interpreter
lock for seconds and allocates gigabytes, and nothing in the same process can interrupt it.
A process can be killed at its deadline and capped with RLIMIT_AS; the server's event loop only
waits on a pipe.

Protocol: each request and each reply is a 4-byte big-endian length and a JSON object.
The child first sends ``{"ready": true}`` once it can render; then for each request
``{"name", "source", "context"}`` it replies ``{"text"}`` or ``{"error", "line"}``.
"""

from __future__ import annotations

import json
import os
import signal
import struct
import sys
from types import TracebackType
from typing import Any

import jinja2
import regex
from jinja2.sandbox import ImmutableSandboxedEnvironment

__all__ = ["compile_template", "environment", "error_line", "template_filename"]

_HEADER = struct.Struct(">I")
_CACHE_SIZE = 64


class RegexTimeout(Exception):
    """A template's `matching` test ran out of its time on one value."""


def environment(regex_ms: float = 50.0) -> ImmutableSandboxedEnvironment:
    """The one Jinja2 environment scripts are written for: sandboxed, strict about undefined names."""
    env = ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)

    def matching(value: Any, pattern: str) -> bool:
        if not isinstance(value, str):
            return False
        try:
            return regex.compile(pattern).search(value, timeout=regex_ms / 1000) is not None
        except TimeoutError:
            raise RegexTimeout(
                f"the regular expression {pattern!r} took over {regex_ms:g} ms on a value of {len(value)} characters"
            ) from None

    env.tests["startingwith"] = lambda value, prefix: isinstance(value, str) and value.startswith(prefix)
    env.tests["matching"] = matching
    return env


def template_filename(name: str) -> str:
    """The file name a template's frames carry, so an error can be traced to its line."""
    return f"<template of rule {name}>"


def compile_template(env: jinja2.Environment, name: str, source: str) -> jinja2.Template:
    """`source` compiled under `name` (raises `jinja2.TemplateSyntaxError` with the line)."""
    code = env.compile(source, name=name, filename=template_filename(name))
    return env.template_class.from_code(env, code, env.make_globals(None), None)


def error_line(exc: BaseException, name: str) -> int | None:
    """The template line an error was raised at (Jinja2 rewrites tracebacks to template lines)."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return exc.lineno
    filename = template_filename(name)
    line = None
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _render(env: jinja2.Environment, cache: dict[tuple[str, str], jinja2.Template], request: Any, limit: int) -> Any:
    name, source = request["name"], request["source"]
    try:
        template = cache.get((name, source))
        if template is None:
            if len(cache) >= _CACHE_SIZE:
                cache.clear()
            template = cache[name, source] = compile_template(env, name, source)
        pieces: list[str] = []
        size = 0
        for piece in template.generate(request["context"]):
            size += len(piece)
            if size > limit:
                return {"error": f"the template rendered more than {limit} characters (the output budget)"}
            pieces.append(piece)
        return {"text": "".join(pieces)}
    except MemoryError:
        return {"error": "the template ran out of its memory budget"}
    except RecursionError:
        return {"error": "the template nests too deeply"}
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}", "line": error_line(exc, name)}


def _limit_memory(extra: int) -> None:
    """Cap the address space at what the process uses now plus `extra` (Linux; elsewhere a no-op)."""
    try:
        import resource

        with open("/proc/self/statm", encoding="ascii") as statm:
            used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (ImportError, OSError, ValueError):
        return
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = used + extra
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def main(settings: dict[str, Any]) -> None:
    # Ctrl-C reaches the whole process group; the parent decides when this process ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    env = environment(settings["regex_ms"])
    limit = int(settings["output_chars"])
    _limit_memory(int(settings["memory_bytes"]))
    cache: dict[tuple[str, str], jinja2.Template] = {}
    reader, writer = sys.stdin.buffer, sys.stdout.buffer
    _send(writer, {"ready": True})  # the parent's render deadlines start after this
    while True:
        head = reader.read(_HEADER.size)
        if len(head) < _HEADER.size:  # the parent closed the pipe (or died): done
            return
        request = json.loads(reader.read(_HEADER.unpack(head)[0]))
        _send(writer, _render(env, cache, request, limit))


def _send(writer: Any, reply: Any) -> None:
    data = json.dumps(reply, ensure_ascii=False).encode("utf-8", "replace")
    writer.write(_HEADER.pack(len(data)) + data)
    writer.flush()


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
