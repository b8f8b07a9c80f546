# A user program that mypy must reject: a handler answering a webhook with another webhook's response.
# expect: return-value
from oa_webhooks import AfterSendMsgResponse, BeforeAddSubscriber, BeforeAddSubscriberResponse
from oa_webhooks.server import CallbackContext, DefaultWebhookHandler


class Backend(DefaultWebhookHandler):
    async def before_add_subscriber(self, event: BeforeAddSubscriber, ctx: CallbackContext) -> BeforeAddSubscriberResponse:
        return AfterSendMsgResponse(action_status="OK", error_code=0, error_info="")
