"""A kit for Tencent Cloud Chat's Official Account webhooks, driven by one contract (openapi.yaml).

The package is layered with the contract at the bottom: `contract` reads openapi.yaml,
`schema`, `signing` and `validation` check deliveries against it, and the CLI sits on top.
"""

from mockserver.contract import Contract, ContractError, UnknownCommand, Webhook, load_contract
from mockserver.schema import Violation
from mockserver.signing import SignatureCheck, SignatureVerdict, Signer, compute_signature
from mockserver.validation import DeliveryValidator

__version__ = "0.1.0"

__all__ = [
    "Contract",
    "ContractError",
    "DeliveryValidator",
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
