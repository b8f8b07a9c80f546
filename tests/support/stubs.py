"""A generated server stub (`oa_webhooks.server.create_app`) whose handler answers a fixed value."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from oa_webhooks import RESPONSE_TYPES, decode
from oa_webhooks.server import DefaultWebhookHandler, create_app

from mockserver.codegen import build_context
from mockserver.contract import Webhook, load_contract

__all__ = ["APP_ID", "answering"]

_CONTRACT = load_contract()
_METHOD = {w.command: w.method for w in build_context(_CONTRACT, "oa_webhooks").webhooks}
APP_ID = int(_CONTRACT.parameter("app-id").example)


def answering(webhook: Webhook, answer: Any, *, token: str | None = None, delay: float = 0.0) -> Any:
    """A generated stub whose handler of `webhook` answers `answer` (a JSON value), after `delay` seconds."""

    class Fixed(DefaultWebhookHandler):
        pass

    async def respond(self: Any, event: Any, ctx: Any) -> Any:
        if delay:
            await asyncio.sleep(delay)
        return decode(json.dumps(answer).encode(), RESPONSE_TYPES[type(event)])

    setattr(Fixed, _METHOD[webhook.command], respond)
    return create_app(Fixed(), sdk_appid=APP_ID, token=token)
