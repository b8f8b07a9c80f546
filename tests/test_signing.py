"""Webhook signing: the vendor's vector, the replay window and every way a signature can be bad."""

from __future__ import annotations

import pytest

from mockserver.contract import Contract
from mockserver.signing import SignatureVerdict, Signer, compute_signature


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_vendor_vector(contract: Contract) -> None:
    vector = contract.signing.vector
    assert compute_signature(vector["token"], vector["timestamp"]) == vector["signature"]
    assert vector["signature"] == "17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061"


def test_vendor_vector_verifies_at_its_own_time(contract: Contract) -> None:
    vector = contract.signing.vector
    signer = Signer(vector["token"], clock=FakeClock(vector["timestamp"] + 5))
    query = {
        contract.signing.timestamp_parameter: str(vector["timestamp"]),
        contract.signing.signature_parameter: vector["signature"],
    }
    assert signer.verify(query).verdict is SignatureVerdict.VALID


def test_sign_then_verify_round_trips() -> None:
    clock = FakeClock(1_700_000_000)
    signer = Signer("secret-token", clock=clock)
    assert signer.verify(signer.sign()).accepted


@pytest.mark.parametrize(
    ("skew", "window", "verdict"),
    [
        (59, None, SignatureVerdict.VALID),
        (61, None, SignatureVerdict.STALE),
        (-61, None, SignatureVerdict.STALE),
        (200, 300, SignatureVerdict.VALID),
        (301, 300, SignatureVerdict.STALE),
    ],
)
def test_replay_window_is_enforced_and_configurable(skew: int, window: float | None, verdict: SignatureVerdict) -> None:
    sent_at = 1_700_000_000
    signer = Signer("t", replay_window=window, clock=FakeClock(sent_at + skew))
    assert signer.verify(signer.sign(sent_at)).verdict is verdict


def test_default_window_comes_from_the_contract(contract: Contract) -> None:
    assert Signer("t").replay_window == contract.signing.replay_window_seconds == 60


def test_bad_signatures(contract: Contract) -> None:
    clock = FakeClock(1_700_000_000)
    signer = Signer("right", clock=clock)
    sign, stamp = contract.signing.signature_parameter, contract.signing.timestamp_parameter
    good = signer.sign()
    assert signer.verify({**good, sign: good[sign].upper()}).verdict is SignatureVerdict.WRONG
    assert Signer("wrong", clock=clock).verify(good).verdict is SignatureVerdict.WRONG
    assert signer.verify({stamp: good[stamp]}).verdict is SignatureVerdict.MISSING
    missing_time = signer.verify({sign: good[sign]})
    assert missing_time.verdict is SignatureVerdict.MISSING and missing_time.parameter == stamp
    assert signer.verify({**good, stamp: "soon"}).verdict is SignatureVerdict.MALFORMED
    assert signer.verify({**good, sign: "é" * 64}).verdict is SignatureVerdict.WRONG
    # The signature covers the time: moving the time without re-signing breaks it.
    assert signer.verify({**good, stamp: str(int(good[stamp]) - 1)}).verdict is SignatureVerdict.WRONG


def test_without_a_token_nothing_is_checked_or_added() -> None:
    signer = Signer(None)
    assert signer.sign() == {}
    check = signer.verify({})
    assert check.verdict is SignatureVerdict.NOT_CHECKED and check.accepted
