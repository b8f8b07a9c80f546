# A user program that mypy must reject: a misspelled handler method marked @override overrides nothing.
# expect: misc
from oa_webhooks import BeforeAddSubscriber, BeforeAddSubscriberResponse
from oa_webhooks.server import CallbackContext, DefaultWebhookHandler, override


class Backend(DefaultWebhookHandler):
    @override
    async def before_add_subscribers(self, event: BeforeAddSubscriber, ctx: CallbackContext) -> BeforeAddSubscriberResponse:
        return BeforeAddSubscriberResponse(action_status="OK", error_code=1, error_info="closed")
