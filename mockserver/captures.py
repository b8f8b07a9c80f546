"""Captured deliveries read from files: JSON Lines of `{"query": {...}, "body": {...}}`, or one raw body.

A capture is evidence from production or a test run, so a bad line is reported with its line
number and reading goes on; nothing here raises on bad content.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mockserver.errors import CaptureError
from mockserver.jsontext import JSONTextError, loads_strict

__all__ = ["STDIN", "CaptureError", "CapturedDelivery", "capture_line", "read_captures", "read_raw_body"]


@dataclass(frozen=True)
class CapturedDelivery:
    """One delivery from a capture file, or the reason its line could not be read."""

    source: str
    line: int
    query: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    content_type: str = "application/json"
    error: str | None = None

    @property
    def location(self) -> str:
        return f"{self.source}:{self.line}"


def _query_of(raw: Any) -> dict[str, str] | str:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        return f'"query" must be an object of query parameters, not {type(raw).__name__}'
    query: dict[str, str] = {}
    for key, value in raw.items():
        if isinstance(value, (dict, list)):
            return f'"query.{key}" must be a string or a number'
        query[str(key)] = "" if value is None else (json.dumps(value) if isinstance(value, bool) else str(value))
    return query


def _delivery(source: str, number: int, text: str) -> CapturedDelivery:
    try:
        record = loads_strict(text)
    except JSONTextError as exc:
        hint = " (the line looks truncated)" if exc.truncated else ""
        return CapturedDelivery(source, number, error=f"{exc}{hint}")
    if not isinstance(record, dict):
        return CapturedDelivery(
            source, number, error=f'expected an object with "query" and "body", got {type(record).__name__}'
        )
    unknown = sorted(set(record) - {"query", "body", "raw_body", "content_type", "headers"})
    if unknown:
        return CapturedDelivery(
            source, number, error=f'unknown keys {", ".join(map(repr, unknown))} (expected "query" and "body")'
        )
    if "body" not in record and "raw_body" not in record:
        return CapturedDelivery(source, number, error='missing "body" (or "raw_body", the body as a string)')
    query = _query_of(record.get("query"))
    if isinstance(query, str):
        return CapturedDelivery(source, number, error=query)
    if "raw_body" in record:
        if not isinstance(record["raw_body"], str):
            return CapturedDelivery(source, number, error='"raw_body" must be a string')
        body = record["raw_body"].encode()  # no lone surrogates: `loads_strict` refuses them
    else:
        body = json.dumps(record["body"], ensure_ascii=False).encode()
    content_type = str(record.get("content_type", "application/json"))
    return CapturedDelivery(source, number, query=query, body=body, content_type=content_type)


def capture_line(
    query: Mapping[str, str], body: bytes, content_type: str | None = None, headers: Mapping[str, str] | None = None
) -> str:
    """One line of a capture file, the format `read_captures` reads back (and `mockserver validate` checks).

    The body goes in `raw_body`, as sent: re-encoding parsed JSON would hide exactly what a
    check must see (duplicate keys, number spellings). Bytes that are not UTF-8 cannot travel
    in JSON text and become replacement characters.
    """
    line: dict[str, Any] = {"query": dict(query), "raw_body": body.decode("utf-8", "replace")}
    if content_type is not None:
        line["content_type"] = content_type
    if headers:
        line["headers"] = dict(headers)
    return json.dumps(line, ensure_ascii=False)


STDIN = Path("-")
"""The path that names standard input (``mockserver validate -``)."""


def _read_bytes(path: Path) -> bytes:
    if path == STDIN:
        return sys.stdin.buffer.read()
    try:
        return path.read_bytes()
    except IsADirectoryError:
        raise CaptureError(f"{path} is a directory, not a capture file") from None
    except OSError as exc:
        raise CaptureError(f"cannot read {path}: {exc.strerror}") from None


def _read_text(path: Path) -> str:
    # utf-8-sig: editors and PowerShell on Windows start files with a byte order mark.
    return _read_bytes(path).decode("utf-8-sig", "replace")


def read_captures(path: Path) -> Iterator[CapturedDelivery]:
    """Deliveries from a JSON Lines capture, one per non-blank line; bad lines carry an error."""
    text = _read_text(path)
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            yield _delivery("<stdin>" if path == STDIN else str(path), number, line)


def read_raw_body(path: Path, query: Mapping[str, str]) -> CapturedDelivery:
    """A file holding one raw JSON body (as sent, byte for byte), sent with `query` (built for the command given)."""
    source = "<stdin>" if path == STDIN else str(path)
    return CapturedDelivery(source, 1, query=dict(query), body=_read_bytes(path))
