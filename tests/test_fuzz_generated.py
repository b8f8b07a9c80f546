"""`mockserver fuzz` against a reference backend built on the generated server stub (issue 4).

The stub's `DefaultWebhookHandler` answers every webhook with its default answer, and the
stub's app checks the app id and the signature, decodes, dispatches and encodes: the fuzzer
must find nothing wrong with it (the fuzzer drives the stub's ASGI app in this process).
"""

from __future__ import annotations

import asyncio
import json

import pytest
from oa_webhooks import encode
from oa_webhooks.server import CallbackContext, DefaultWebhookHandler, create_app

from mockserver.contract import load_contract
from mockserver.fuzz.checks import CHECKS
from tests.support.fuzzing import APP_ID, TOKEN, fuzz_app


@pytest.mark.slow  # a fuzzing run with generated cases
def test_the_generated_stub_passes_every_check() -> None:
    result = fuzz_app(create_app(DefaultWebhookHandler(), sdk_appid=int(APP_ID), token=TOKEN))
    assert result.ok, result.failures or result.skipped()
    assert {name for name in CHECKS if result.tally(name).judged} == set(CHECKS)  # nothing passed by being skipped


def test_the_default_answers_are_fresh_copies_of_the_contract_example() -> None:
    # The answers are decoded once; a subclass that edits what `super()` returned must not
    # change the next delivery's answer.
    contract = load_contract()
    handler = DefaultWebhookHandler()
    ctx = CallbackContext(command="", sdk_appid=int(APP_ID), client_ip="", platform="", request_time=None)

    async def answer(method: str) -> object:
        result: object = await getattr(handler, method)(None, ctx)
        return result

    methods = [name for name in vars(DefaultWebhookHandler) if not name.startswith("_")]
    assert len(methods) == len(contract.webhooks)
    for method in methods:
        first, second = asyncio.run(answer(method)), asyncio.run(answer(method))
        assert first is not second and first == second
        webhook = next(w for w in contract.webhooks if w.response_name == type(first).__name__)
        assert json.loads(encode(first)) == webhook.default_response  # type: ignore[arg-type]
