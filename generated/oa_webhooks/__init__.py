"""Typed models, a server stub and a client for Tencent Cloud Chat — Official Account webhooks.

Generated from openapi.yaml (contract version 1.0.0) by `mockserver generate python`;
do not edit, regenerate. The models need msgspec; `oa_webhooks.server` needs nothing more;
`oa_webhooks.client` also needs httpx, so it is not imported here.
"""

from .models import *  # noqa: F403
from .models import __all__ as __all__
