"""Strict JSON: one decoder that every reader of outside JSON uses, refusing what JSON peers would."""

from __future__ import annotations

import pytest

from mockserver.jsontext import JSONTextError, loads_strict


@pytest.mark.parametrize(
    ("text", "value"),
    [(b'{"a": [1, 2.5, "\\u00e9", null]}', {"a": [1, 2.5, "é", None]}), ('"\\ud83d\\ude00"', "😀"), (b"0", 0)],
)
def test_strict_json_is_decoded(text: bytes | str, value: object) -> None:
    assert loads_strict(text) == value


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (b'{"a": NaN}', "NaN"),
        (b'{"a": Infinity}', "Infinity"),
        (b'{"a": 1e999}', "1e999"),
        (b'{"a": "\\ud800"}', "surrogate"),
        (b'{"a": "\xff"}', "UTF-8"),
        (b"", "empty"),
        (b'{"a": ', "column 7"),
        (b"[" * 5000 + b"]" * 5000, "nested too deeply"),
    ],
)
def test_what_json_peers_refuse_is_refused_with_a_reason(text: bytes, reason: str) -> None:
    with pytest.raises(JSONTextError) as caught:
        loads_strict(text)
    assert reason.lower() in str(caught.value).lower()


def test_a_cut_short_text_says_so() -> None:
    with pytest.raises(JSONTextError) as caught:
        loads_strict(b'{"a": "unterminated')
    assert caught.value.truncated
    with pytest.raises(JSONTextError) as complete:
        loads_strict(b'{"a": 1,, "b": 2}')
    assert not complete.value.truncated
