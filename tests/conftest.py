"""Fixtures shared by the whole suite: the bundled contract and a validator built once."""

from __future__ import annotations

import pytest

from mockserver.contract import Contract, load_contract
from mockserver.validation import DeliveryValidator


@pytest.fixture(scope="session")
def contract() -> Contract:
    return load_contract()


@pytest.fixture(scope="session")
def validator(contract: Contract) -> DeliveryValidator:
    return DeliveryValidator(contract)
