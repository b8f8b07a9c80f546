"""Webhook signing: `Sign` = sha256(token + `RequestTime`), as lowercase hex.

Generated from openapi.yaml (`x-signing`) by `mockserver generate python`; do not edit, regenerate.
Shared by the server stub (verify) and the client (sign). The digest is compared in constant time
and a `RequestTime` further than the replay window from the receiver's clock is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import Final

__all__ = [
    "REPLAY_WINDOW_SECONDS",
    "SIGNATURE_PARAMETER",
    "TIMESTAMP_PARAMETER",
    "SignatureError",
    "compute_signature",
    "sign_query",
    "verify_signature",
]

SIGNATURE_PARAMETER: Final = "Sign"
TIMESTAMP_PARAMETER: Final = "RequestTime"
REPLAY_WINDOW_SECONDS: Final = 60
_ALGORITHM: Final = "sha256"
_MESSAGE: Final = "{token}{timestamp}"
_HEX: Final = re.compile(r"[0-9a-f]+")
_DIGEST_LENGTH: Final = hashlib.new(_ALGORITHM).digest_size * 2


class SignatureError(Exception):
    """The delivery's signature cannot be accepted; `parameter` names the query parameter at fault."""

    def __init__(self, parameter: str, detail: str) -> None:
        super().__init__(detail)
        self.parameter = parameter
        self.detail = detail


def compute_signature(token: str, request_time: int) -> str:
    """The lowercase hex digest of the signed message (documented vector: 'xxxxyyyy', 1669872112)."""
    message = _MESSAGE.format(token=token, timestamp=int(request_time))
    return hashlib.new(_ALGORITHM, message.encode()).hexdigest()


def sign_query(token: str, request_time: int) -> dict[str, str]:
    """The two query parameters a signed delivery carries."""
    return {
        TIMESTAMP_PARAMETER: str(int(request_time)),
        SIGNATURE_PARAMETER: compute_signature(token, request_time),
    }


def verify_signature(query: Mapping[str, str], token: str, *, now: float, window: float = REPLAY_WINDOW_SECONDS) -> int:
    """Check a delivery's signature; return its request time or raise `SignatureError`."""
    signature = query.get(SIGNATURE_PARAMETER)
    stamp = query.get(TIMESTAMP_PARAMETER)
    if not signature:
        raise SignatureError(SIGNATURE_PARAMETER, f"the {SIGNATURE_PARAMETER} query parameter is missing")
    if not stamp:
        raise SignatureError(TIMESTAMP_PARAMETER, f"the {TIMESTAMP_PARAMETER} query parameter is missing")
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 15:  # 15 digits: exact as a float
        raise SignatureError(TIMESTAMP_PARAMETER, f"{TIMESTAMP_PARAMETER} must be Unix seconds, not {stamp[:32]!r}")
    if len(signature) != _DIGEST_LENGTH or _HEX.fullmatch(signature) is None:
        raise SignatureError(SIGNATURE_PARAMETER, f"{SIGNATURE_PARAMETER} must be a lowercase hex {_ALGORITHM} digest")
    request_time = int(stamp)
    if abs(now - request_time) > window:
        raise SignatureError(
            TIMESTAMP_PARAMETER,
            f"{TIMESTAMP_PARAMETER} {request_time} is {abs(now - request_time):.0f} s from this server's clock "
            f"(replay window {window:g} s)",
        )
    if not hmac.compare_digest(signature, compute_signature(token, request_time)):
        raise SignatureError(
            SIGNATURE_PARAMETER, f"{SIGNATURE_PARAMETER} does not match {_ALGORITHM}(token + {TIMESTAMP_PARAMETER})"
        )
    return request_time
