# A user program that mypy must reject: a string where the model wants an int.
# expect: arg-type
from oa_webhooks import Subscriber

Subscriber(subscriber_account=42)
