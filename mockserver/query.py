"""The webhook URL's query string, read the way the kit's checks need it.

Kept apart from the checking engine because the engine also judges captured deliveries, whose
query is already a mapping; only the server reads raw bytes off the wire.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

__all__ = ["Query", "parse_query"]


class Query(dict[str, str]):
    """A query string as a dict (the first occurrence of a parameter wins), and what was wrong with it.

    `faults` maps a parameter name to why its value cannot be taken at face value: bytes that
    are not UTF-8 once percent-decoded, or a second occurrence with a different value (which one
    would the sender have meant?). The values stay journal-safe text (U+FFFD for bad bytes, never
    a lone surrogate), and `DeliveryChecks.check_query` refuses a fault on a contract parameter.
    """

    def __init__(self) -> None:
        super().__init__()
        self.faults: dict[str, str] = {}


def _unquote(raw: bytes) -> tuple[str, str | None]:
    """Percent- and plus-decode one name or value; the text and, if its bytes are not UTF-8, why."""
    data = unquote_to_bytes(raw.replace(b"+", b" ")) if (b"%" in raw or b"+" in raw) else raw
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return data.decode("utf-8", "replace"), f"byte {exc.start} ({data[exc.start]:#04x}) is not UTF-8: {exc.reason}"


def parse_query(query_string: bytes) -> Query:
    """The query string as a `Query`; the first occurrence of a repeated parameter wins.

    Same values as `urllib.parse.parse_qsl(..., keep_blank_values=True)` for well-formed input,
    without its cost for the common case of plain ASCII (it was the top of the profile).
    """
    out = Query()
    if not query_string:
        return out
    plain = query_string.isascii() and b"%" not in query_string and b"+" not in query_string
    for part in query_string.split(b"&"):
        if not part:
            continue
        raw_name, _, raw_value = part.partition(b"=")
        if plain:
            name, value, fault = raw_name.decode("ascii"), raw_value.decode("ascii"), None
        else:
            name, _ = _unquote(raw_name)
            value, fault = _unquote(raw_value)
        if name not in out:
            out[name] = value
            if fault is not None:
                out.faults[name] = fault
        elif out[name] != value and name not in out.faults:
            out.faults[name] = f"given more than once with different values ({out[name]!r}, {value!r})"
    return out
