# A user program that mypy must reject: an override whose declared answer is another webhook's.
# expect: override
from oa_webhooks import AfterSendMsgResponse, BeforeAddSubscriber
from oa_webhooks.server import CallbackContext, DefaultWebhookHandler


class Backend(DefaultWebhookHandler):
    async def before_add_subscriber(self, event: BeforeAddSubscriber, ctx: CallbackContext) -> AfterSendMsgResponse:
        return AfterSendMsgResponse(action_status="OK", error_code=0, error_info="")
