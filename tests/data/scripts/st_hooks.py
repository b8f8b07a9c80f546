"""schemathesis hooks for running `schemathesis run` against the mock (loaded via SCHEMATHESIS_HOOKS).

A schema-valid delivery names its webhook twice (query and body) and the two must agree, which
no schema states; the hook copies the body's command into the query for positive cases, as the
vendor does. Names come from the contract.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from schemathesis.core.parameters import ParameterLocation

from mockserver.contract import load_contract

_CONTRACT = load_contract()
_QUERY = _CONTRACT.parameter("command").name
_BODY = _CONTRACT.command_field


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    if (
        isinstance(case.body, dict)
        and isinstance(case.body.get(_BODY), str)
        and isinstance(case.query, dict)
        and not case.meta.is_negative_at(ParameterLocation.QUERY)
    ):
        case.query[_QUERY] = case.body[_BODY]
    return case


_VALIDATOR: Any = None


@schemathesis.hook
def filter_case(context: Any, case: Any) -> bool:
    """Keep only cases whose polarity the contract's own validator (openapi-core) agrees with.

    schemathesis' idea of valid differs from the contract's in two documented places: it pins a
    discriminator branch, so a message element of a type the contract accepts through its
    catch-all branch counts as "invalid", and it ignores `allowEmptyValue: false`, so an empty
    required query parameter counts as "valid". Those cases are dropped; every other case must
    be answered as schemathesis expects.
    """
    global _VALIDATOR
    if not isinstance(case.query, dict) or not isinstance(case.body, (dict, list, str, int, float, bool)):
        return True
    if _VALIDATOR is None:
        from mockserver.validation import DeliveryValidator

        _VALIDATOR = DeliveryValidator(_CONTRACT)
    import json

    try:
        query = {str(k): str(v) for k, v in case.query.items() if not isinstance(v, (list, dict))}
        violations = _VALIDATOR.check_request(query, json.dumps(case.body).encode())
    except Exception:
        return True
    return bool(violations) == bool(case.meta.generation.mode.is_negative if case.meta else False)
