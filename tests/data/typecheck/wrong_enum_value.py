# A user program that mypy must reject: a value outside a Literal the contract enumerates.
# expect: arg-type
from oa_webhooks import BeforeAddSubscriberResponse

BeforeAddSubscriberResponse(action_status="MAYBE", error_code=0, error_info="")
