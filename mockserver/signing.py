"""Webhook signing: `Sign = sha256(Token + RequestTime)`, checked in constant time.

The rule (algorithm, parameter names, replay window, test vector) is read from the contract's
`x-signing` extension; this module only does the arithmetic and the clock comparison, with a
clock that tests can replace.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from mockserver.contract import SigningRule, load_contract

__all__ = ["Clock", "SignatureCheck", "SignatureVerdict", "Signer", "compute_signature"]

Clock = Callable[[], float]
"""Returns the current Unix time in seconds (``time.time`` by default)."""


def compute_signature(token: str, request_time: int | str, algorithm: str = "sha256") -> str:
    """The lowercase hex digest of the token and the decimal request time, concatenated."""
    message = f"{token}{int(request_time)}".encode()
    return hashlib.new(algorithm, message).hexdigest()


class SignatureVerdict(enum.Enum):
    """What a signature check concluded; only VALID and NOT_CHECKED let a delivery through."""

    VALID = "valid"
    NOT_CHECKED = "not-checked"
    MISSING = "missing"
    MALFORMED = "malformed"
    WRONG = "wrong"
    STALE = "stale"

    @property
    def accepted(self) -> bool:
        return self in (SignatureVerdict.VALID, SignatureVerdict.NOT_CHECKED)


@dataclass(frozen=True)
class SignatureCheck:
    """The verdict, the parameter it is about, and a sentence for the problem detail."""

    verdict: SignatureVerdict
    parameter: str
    detail: str

    @property
    def accepted(self) -> bool:
        return self.verdict.accepted


class Signer:
    """Signs and verifies query strings with one token, under the contract's signing rule."""

    def __init__(
        self,
        token: str | None,
        *,
        rule: SigningRule | None = None,
        replay_window: float | None = None,
        clock: Clock = time.time,
    ) -> None:
        self.token = token
        self.rule = rule if rule is not None else load_contract().signing
        self.replay_window = self.rule.replay_window_seconds if replay_window is None else float(replay_window)
        self.clock = clock

    @property
    def signature_parameter(self) -> str:
        return self.rule.signature_parameter

    @property
    def timestamp_parameter(self) -> str:
        return self.rule.timestamp_parameter

    def sign(self, request_time: int | None = None) -> dict[str, str]:
        """The two query parameters to append: the timestamp (now by default) and its signature."""
        if self.token is None:
            return {}
        when = int(self.clock()) if request_time is None else int(request_time)
        return {
            self.rule.timestamp_parameter: str(when),
            self.rule.signature_parameter: compute_signature(self.token, when, self.rule.algorithm),
        }

    def verify(self, query: Mapping[str, str]) -> SignatureCheck:
        """Check a received query string; with no token configured every delivery passes."""
        sign_name, time_name = self.rule.signature_parameter, self.rule.timestamp_parameter
        if self.token is None:
            return SignatureCheck(SignatureVerdict.NOT_CHECKED, sign_name, "signatures are not checked")
        sign, stamp = query.get(sign_name), query.get(time_name)
        if not sign:
            return SignatureCheck(SignatureVerdict.MISSING, sign_name, f"the {sign_name} query parameter is missing")
        if not stamp:
            return SignatureCheck(SignatureVerdict.MISSING, time_name, f"the {time_name} query parameter is missing")
        if not stamp.isdigit() or len(stamp) > 12:
            return SignatureCheck(
                SignatureVerdict.MALFORMED, time_name, f"{time_name} {stamp!r} is not a Unix time in seconds"
            )
        expected = compute_signature(self.token, stamp, self.rule.algorithm)
        if not hmac.compare_digest(expected.encode(), sign.encode("utf-8", "surrogateescape")):
            return SignatureCheck(
                SignatureVerdict.WRONG, sign_name, f"{sign_name} does not match sha256(token + {time_name})"
            )
        skew = self.clock() - int(stamp)
        if abs(skew) > self.replay_window:
            return SignatureCheck(
                SignatureVerdict.STALE,
                time_name,
                f"{time_name} is {abs(skew):.0f} s {'old' if skew > 0 else 'in the future'};"
                f" the replay window is {self.replay_window:g} s",
            )
        return SignatureCheck(SignatureVerdict.VALID, sign_name, "signature valid")
