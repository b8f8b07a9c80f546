"""A kit for Tencent Cloud Chat's Official Account webhooks, driven by one contract (openapi.yaml).

The package is layered with the contract at the bottom: `contract` reads openapi.yaml,
`schema`, `signing`, `responses` and `validation` check deliveries against it, `server`,
`codegen` and `fuzz` build on those, and the CLI sits on top.

The public names below are imported on first use, so that `mockserver serve` does not pay for
openapi-core and `mockserver --help` pays for nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockserver.contract import Contract, Webhook, load_contract
    from mockserver.errors import ContractError, MockserverError, UnknownCommand
    from mockserver.responses import ResponseChecker
    from mockserver.schema import Violation
    from mockserver.signing import SignatureCheck, SignatureVerdict, Signer, compute_signature
    from mockserver.validation import DeliveryValidator

__version__ = "0.1.0"

_EXPORTS = {
    "Contract": "mockserver.contract",
    "ContractError": "mockserver.errors",
    "MockserverError": "mockserver.errors",
    "UnknownCommand": "mockserver.errors",
    "Webhook": "mockserver.contract",
    "load_contract": "mockserver.contract",
    "ResponseChecker": "mockserver.responses",
    "Violation": "mockserver.schema",
    "SignatureCheck": "mockserver.signing",
    "SignatureVerdict": "mockserver.signing",
    "Signer": "mockserver.signing",
    "compute_signature": "mockserver.signing",
    "DeliveryValidator": "mockserver.validation",
}

__all__ = [
    "Contract",
    "ContractError",
    "DeliveryValidator",
    "MockserverError",
    "ResponseChecker",
    "SignatureCheck",
    "SignatureVerdict",
    "Signer",
    "UnknownCommand",
    "Violation",
    "Webhook",
    "__version__",
    "compute_signature",
    "load_contract",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mockserver' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
