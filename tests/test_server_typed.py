"""The mock decodes conforming deliveries through the generated models (the kit dogfoods its generator)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from mockserver.contract import Contract, Webhook, load_contract
from mockserver.server.app import MockServer, ServerConfig
from mockserver.server.typed import generated_decoder
from tests.support.servers import serve


def test_the_bundled_contract_gets_the_generated_models(contract: Contract) -> None:
    decoder, status = generated_decoder(contract)
    assert decoder is not None, status
    for webhook in contract.webhooks:
        for example in webhook.examples:
            event = decoder(webhook, json.dumps(example.value).encode())
            assert type(event).__name__ == webhook.name


def test_models_from_another_contract_are_left_aside(contract: Contract, tmp_path: Path) -> None:
    changed = dict(contract.document)
    changed["info"] = {**changed["info"], "version": "9.9.9"}
    spec = tmp_path / "newer.yaml"
    spec.write_text(yaml.safe_dump(changed, allow_unicode=True))
    decoder, status = generated_decoder(load_contract(spec))
    assert decoder is None and "another contract" in status
    assert generated_decoder(contract, package="no_such_generated_package")[0] is None


def _post(url: str, contract: Contract, webhook: Webhook) -> httpx.Response:
    query = contract.query_example(webhook.command)
    return httpx.post(
        url,
        params=query,
        content=json.dumps(webhook.example().value),
        timeout=10,
        headers={"Content-Type": "application/json"},
    )


@pytest.mark.slow
def test_every_conforming_delivery_goes_through_the_decoder(contract: Contract, tmp_path: Path) -> None:
    seen: list[Any] = []
    decoder, _ = generated_decoder(contract)
    assert decoder is not None

    def spy(webhook: Webhook, body: bytes) -> Any:
        seen.append(decoder(webhook, body))
        return seen[-1]

    app = MockServer(ServerConfig(journal=str(tmp_path / "j.sqlite3")), decoder=spy)
    with serve(app) as url:
        for webhook in contract.webhooks:
            assert _post(url, contract, webhook).status_code == 200
    assert [type(e).__name__ for e in seen] == [w.name for w in contract.webhooks]


@pytest.mark.slow
def test_a_body_the_models_refuse_is_a_400_naming_the_body_and_journaled(contract: Contract, tmp_path: Path) -> None:
    def refuse(webhook: Webhook, body: bytes) -> Any:
        raise ValueError("the models disagree with the contract")

    app = MockServer(ServerConfig(journal=str(tmp_path / "j.sqlite3")), decoder=refuse)
    with serve(app) as url:
        answer = _post(url, contract, contract.webhooks[0])
        assert answer.status_code == 400
        problem = answer.json()
        assert problem["field"] == "body" and "models disagree" in problem["detail"]
        app.journal.flush()
        (record,) = app.journal.records(limit=10)
        assert record.status == 400 and record.verdict == "invalid"
