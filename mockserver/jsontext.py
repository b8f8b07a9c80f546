"""Strict JSON text: what the kit accepts as a JSON document, and one sentence on why not.

Python's `json` takes `NaN`, `Infinity` and `1e999` (as infinity) and lone UTF-16 surrogates,
none of which a JSON peer (or msgspec, or the vendor) would produce or accept; and each decoder
fails on deep nesting in its own way (`RecursionError`, a 500 if it escapes). Every place that
reads JSON from outside (the server's deliveries, the admin API, capture files) goes through
`loads_strict`, so they all refuse the same texts with the same reasons.

Duplicate keys in one object are refused too. RFC 8259 leaves their meaning to the reader, and
readers differ (Python's `json` and msgspec keep the last, other stacks the first), so a body
with a repeated `CallbackCommand` could be one webhook to the checks and another to a backend.
The vendor never sends them; refusing them here, in the one reader, means no two parts of the
kit can see two different documents.

msgspec decodes first: it is strict and fast. Only when it says no is the text read again
(UTF-8, then `json` with the non-standard constants refused) to find a reason a person can act
on, with a position: msgspec's own reasons are terse ("Input data was truncated" for a lone
surrogate).
"""

from __future__ import annotations

import json
import re
from typing import Any

import msgspec

from mockserver.errors import JSONTextError

__all__ = ["TOO_DEEP", "JSONTextError", "loads_strict", "refuse_duplicate_keys"]


TOO_DEEP = "nested too deeply to decode (arrays/objects about 1000 levels deep)"
"""Completes "the body is ...": the one wording for a document too deep for the parsers or the checks."""

_LONE_SURROGATE = re.compile(
    r"(?<!\\)(?:\\\\)*(\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2})"
)


def loads_strict(data: bytes | str, *, duplicates: bool = True) -> Any:
    """The JSON value in `data`, or `JSONTextError` saying why it is not strict JSON.

    Refused: text that is not UTF-8, empty text, syntax errors, `NaN`/`Infinity`, numbers out of
    the float range (`1e999`), lone surrogate escapes (`"\\ud800"`) and nesting deeper than
    the decoder's stack.
    """
    try:
        value = msgspec.json.decode(data)
    except RecursionError:
        raise JSONTextError(TOO_DEEP) from None
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise _explain(data, str(exc)) from None
    if duplicates and isinstance(value, dict | list):
        refuse_duplicate_keys(data, value)
    return value


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        repeated = next(key for key, _ in pairs if key in seen or seen.add(key))  # type: ignore[func-returns-value]
        raise _DuplicateKey(repeated)
    return out


class _DuplicateKey(Exception):
    pass


_KEY_END = re.compile(rb'"\s*:')


def _key_count(value: Any) -> int:
    count = 0
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            count += len(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return count


def refuse_duplicate_keys(data: bytes | str, decoded: Any = None) -> None:
    r"""Raise `JSONTextError` if an object in `data` (text msgspec accepted) repeats a key.

    msgspec keeps the last of two equal keys without saying so; the C scanner of `json` hands
    each object's pairs over in order, which costs a few microseconds for a typical delivery and
    about 35 ms for a 1 MiB one. `loads_strict(..., duplicates=False)` leaves this pass to the
    caller, so the mock can run it only on documents its compiled schema check accepted (whose
    size the schema bounds); a refused document gets it off the event loop, with the explanation.

    With the decoded value at hand, a cheap sound test comes first: every key/value pair in the
    text ends a string with `"` then `:`, so the count of `"\s*:` is at least the number of
    pairs; when it equals the number of keys msgspec kept, no key was dropped, hence none was
    repeated. Only otherwise (a duplicate, or `":` inside a string value) is the text scanned.
    """
    if decoded is not None:
        raw = data.encode() if isinstance(data, str) else data
        if len(_KEY_END.findall(raw)) == _key_count(decoded):
            return
    try:
        json.loads(data, object_pairs_hook=_unique)
    except _DuplicateKey as exc:
        key = exc.args[0]
        shown = repr(key) if len(key) <= 40 else f"{key[:40]!r}... ({len(key)} characters)"
        raise JSONTextError(
            f"not accepted: the key {shown} appears more than once in one object (readers disagree on which"
            " one counts, so the kit refuses duplicate keys)"
        ) from None
    except RecursionError:
        raise JSONTextError(TOO_DEEP) from None


def _explain(data: bytes | str, terse: str) -> JSONTextError:
    """The most useful reason msgspec's refusal of `data` can be given."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            return JSONTextError(f"not UTF-8: byte {exc.start} ({data[exc.start]:#04x}) {exc.reason}")
    else:
        text = data
    if not text.strip():
        return JSONTextError("empty (no JSON value)", truncated=True)
    try:
        json.loads(text, parse_constant=_refuse_constant, parse_float=_finite)
    except RecursionError:
        return JSONTextError(TOO_DEEP)
    except json.JSONDecodeError as exc:
        where = f"column {exc.colno}" if exc.lineno == 1 else f"line {exc.lineno}, column {exc.colno}"
        truncated = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        return JSONTextError(f"not valid JSON: {exc.msg} ({where})", truncated=truncated)
    except ValueError as exc:
        return JSONTextError(f"not valid JSON: {exc}")
    lone = _LONE_SURROGATE.search(text)
    if lone is not None:
        return JSONTextError(
            f"not valid JSON: the escape {lone.group(1)} at character {lone.start(1)} is half of a"
            " UTF-16 surrogate pair (a lone surrogate is no character)"
        )
    return JSONTextError(f"not valid JSON: {terse}")  # pragma: no cover - msgspec refused what json takes


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        shown = text if len(text) <= 40 else f"{text[:40]}... ({len(text)} characters)"
        raise ValueError(f"the number {shown} is out of range for a float")
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (Python writes it for a float that is not finite)")
