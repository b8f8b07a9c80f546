# The control: the same kind of program, correctly typed, must pass mypy --strict.
# expect: ok
from oa_webhooks import BeforeAddSubscriber, BeforeAddSubscriberResponse, MsgElement, UnknownElem, decode_event
from oa_webhooks.server import CallbackContext, DefaultWebhookHandler, create_app, override


class Backend(DefaultWebhookHandler):
    @override
    async def before_add_subscriber(self, event: BeforeAddSubscriber, ctx: CallbackContext) -> BeforeAddSubscriberResponse:
        refused = [s.subscriber_account for s in event.subscribe_account_list if s.subscriber_account.startswith("bot_")]
        return BeforeAddSubscriberResponse(action_status="OK", error_code=0, error_info="", refused_subscribers_account=refused)


def kinds(elements: list[MsgElement]) -> list[str]:
    return [e.msg_type if isinstance(e, UnknownElem) else type(e).__name__ for e in elements]


app = create_app(Backend(), sdk_appid=1400000000, token="secret")
event = decode_event(b"{}")
