"""`mockserver fuzz` against a reference backend built on the generated server stub (issue 4).

The stub's `DefaultWebhookHandler` answers every webhook with its default answer, and the
stub's app checks the app id and the signature, decodes, dispatches and encodes: the fuzzer
must find nothing wrong with it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.servers import serve
from tests.test_fuzz_cli import fuzz

stub = pytest.importorskip("generated.oa_webhooks.server", reason="the generated server stub (issue 4) is missing")

TOKEN = "generated-stub-token"
APP_ID = "1400000999"


def test_the_generated_stub_passes_every_check(tmp_path: Path) -> None:
    app = stub.create_app(stub.DefaultWebhookHandler(), sdk_appid=int(APP_ID), token=TOKEN)
    with serve(app) as url:
        run = fuzz(url, tmp_path, "--token", TOKEN, "--sdkappid", APP_ID, max_examples=5)
    assert run.code == 0, run.stdout + run.stderr
    assert run.failed_checks() == set()
    assert len(run.judged_checks()) == 7, run.stdout
