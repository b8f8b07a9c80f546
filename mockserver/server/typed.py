"""Deliveries decoded through the generated models, when they describe the contract being served.

The kit dogfoods its own generator: every conforming delivery the mock answers is also decoded
by the typed models (`oa_webhooks`, rendered from the same contract) that backend teams build
on. A disagreement between the generator and the contract then surfaces as a refusal in the
mock's own tests and fuzz runs, not in a user's backend. Models generated from another contract
(say, the mock serves `--spec` of a newer version) are left aside rather than trusted.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from mockserver.contract import Contract, Webhook

__all__ = ["GENERATED_PACKAGE", "Decoder", "generated_decoder"]

GENERATED_PACKAGE = "oa_webhooks"
"""The import name of the checked-in generated package (`generated/oa_webhooks`)."""

Decoder = Callable[[Webhook, bytes], Any]
"""Decodes the raw body of a conforming delivery of `webhook`; raises ValueError if it cannot."""


def generated_decoder(contract: Contract, package: str = GENERATED_PACKAGE) -> tuple[Decoder | None, str]:
    """A decoder over the generated models of `contract`, or None and the reason there is none."""
    try:
        models = importlib.import_module(f"{package}.models")
    except ImportError:
        return None, f"typed models off: {package} is not installed"
    if getattr(models, "CONTRACT_FINGERPRINT", None) != contract.fingerprint:
        return None, f"typed models off: {package} was generated from another contract than {contract.source}"
    event_types = models.EVENT_TYPES
    decode = models.decode

    def decoder(webhook: Webhook, body: bytes) -> Any:
        return decode(body, event_types[webhook.command])

    return decoder, f"typed models on: deliveries are decoded with {package}"
