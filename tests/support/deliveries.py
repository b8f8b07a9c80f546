"""Deliveries built from the contract, POSTed over real HTTP to a running mock."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import yaml

from mockserver.contract import Contract, Webhook, load_contract

__all__ = ["SCRIPTS", "contract", "deliver", "delivery_request", "load_yaml", "query_for", "webhook_of_example"]

SCRIPTS = Path(__file__).parent.parent / "data" / "scripts"
contract: Contract = load_contract()


def query_for(command: str, **overrides: str) -> dict[str, str]:
    return contract.query_example(command, **overrides)


def webhook_of_example(name: str) -> tuple[Webhook, dict[str, Any]]:
    for webhook in contract.webhooks:
        for example in webhook.examples:
            if example.name == name:
                return webhook, json.loads(json.dumps(example.value))
    raise KeyError(name)


def delivery_request(
    body: Any,
    *,
    command: str | None = None,
    query: dict[str, str] | None = None,
    content_type: str | None = "application/json",
    method: str = "POST",
) -> tuple[str, str, bytes, dict[str, str]]:
    """Method, target (``/?query``), raw body and headers of one delivery.

    `body` may be raw bytes, else it is JSON-encoded; without `query`, the contract's example
    query of `command` is used.
    """
    if query is None:
        assert command is not None
        query = query_for(command)
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    headers = {"content-type": content_type} if content_type else {}
    return method, f"/?{urlencode(query)}", raw, headers


def deliver(url: str, body: Any, *, timeout: float = 10.0, **options: Any) -> httpx.Response:
    """POST one delivery to a server listening at `url` (options: see `delivery_request`)."""
    method, target, raw, headers = delivery_request(body, **options)
    return httpx.request(method, f"{url}{target}", content=raw, headers=headers, timeout=timeout)


def load_yaml(name: str) -> Any:
    return yaml.safe_load((SCRIPTS / name).read_text(encoding="utf-8"))
