"""`mockserver fuzz` against a reference backend built on the generated server stub (issue 4).

The stub's `DefaultWebhookHandler` answers every webhook with its default answer, and the
stub's app checks the app id and the signature, decodes, dispatches and encodes: the fuzzer
must find nothing wrong with it.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from oa_webhooks import encode
from oa_webhooks.server import CallbackContext, DefaultWebhookHandler, create_app

from mockserver.contract import load_contract
from tests.support.fuzzing import fuzz
from tests.support.servers import serve

pytestmark = pytest.mark.slow  # `mockserver fuzz` subprocesses against the generated stub

TOKEN = "generated-stub-token"
APP_ID = "1400000999"


def test_the_generated_stub_passes_every_check(tmp_path: Path) -> None:
    app = create_app(DefaultWebhookHandler(), sdk_appid=int(APP_ID), token=TOKEN)
    with serve(app) as url:
        run = fuzz(url, tmp_path, "--token", TOKEN, "--sdkappid", APP_ID, max_examples=5)
    assert run.code == 0, run.stdout + run.stderr
    assert run.failed_checks() == set()
    assert len(run.judged_checks()) == 7, run.stdout


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
