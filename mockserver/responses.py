"""Checks an answer against the one response schema of the webhook it answers.

Kept apart from `validation` (which needs openapi-core for requests) because the mock server
checks scripted answers at load time and should not pay openapi-core's import and set-up cost
for it: an answer is one status, one JSON document and one schema.
"""

from __future__ import annotations

import json
from typing import Any

from mockserver.contract import Contract, Effect, UnknownCommand, Webhook, load_contract
from mockserver.schema import (
    RequestSchemaValidator,
    ResponseSchemaValidator,
    Violation,
    make_validator,
    violations_of,
)

__all__ = ["ResponseChecker"]


class ResponseChecker:
    """Per-webhook response validators, built once per contract."""

    def __init__(self, contract: Contract | None = None) -> None:
        self.contract = contract if contract is not None else load_contract()
        components = self.contract.document.get("components")
        self._validators = {
            webhook.command: make_validator(ResponseSchemaValidator, {"$ref": webhook.response_ref}, components)
            for webhook in self.contract.webhooks
        }
        self._replacements = {
            webhook.command: tuple(
                (effect, make_validator(RequestSchemaValidator, self._target_schema(webhook, effect), components))
                for effect in webhook.effects
                if effect.action == "replace"
            )
            for webhook in self.contract.webhooks
        }

    def _target_schema(self, webhook: Webhook, effect: Effect) -> Any:
        """The event's schema of the field an answer replaces (what the Chat backend then delivers)."""
        schema: Any = self.contract.resolve(webhook.request_ref)
        for name in effect.target.names:
            schema = self.contract.follow(schema.get("properties", {}).get(name, {}))
        return schema

    def _validator(self, command: str) -> Any:
        try:
            return self._validators[command]
        except KeyError:
            raise UnknownCommand(
                command, self.contract.commands, tuple(w.name for w in self.contract.webhooks)
            ) from None

    def check(self, command: str, status: int, body: bytes, content_type: str | None = None) -> list[Violation]:
        """Whether an answer to `command` is one the Chat backend counts as a conforming success."""
        validator = self._validator(command)
        found: list[Violation] = []
        if status != 200:
            found.append(Violation("status", f"{status} is not 200; the Chat backend counts it as a failure"))
        if content_type is not None and "json" not in content_type.lower():
            found.append(Violation("header.Content-Type", f"{content_type!r} is not a JSON media type"))
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            found.append(Violation("body", f"not valid JSON: {exc}"))
            return found
        found.extend(violations_of(validator.iter_errors(document), "body"))
        return found

    def check_document(self, command: str, document: Any) -> list[Violation]:
        """Schema check of an already-parsed answer to `command` (scripted answers, examples)."""
        return violations_of(self._validator(command).iter_errors(document), "body")

    def check_subsets(self, command: str, event: Any, document: Any) -> list[Violation]:
        """Values an answer may only repeat from the event (`x-subset-of`) that it did not take from there."""
        webhook = self.contract.webhook(command)
        found: list[Violation] = []
        if not isinstance(document, dict):
            return found
        for name, path in webhook.subset_of.items():
            listed = document.get(name)
            if not isinstance(listed, list):
                continue
            allowed = path.values(event)
            found.extend(
                Violation(f"body.{name}[{index}]", f"{value!r} is not in the request's {path}")
                for index, value in enumerate(listed)
                if value not in allowed
            )
        return found

    def check_replacements(self, command: str, document: Any) -> list[Violation]:
        """Whether each value an answer puts in place of an event field (`replace` effects) is valid there.

        The Chat backend delivers the replacement as the event's field (a replaced message body
        goes out as the message), so it is judged by the event's schema, named by the answer's field.
        """
        self._validator(command)
        found: list[Violation] = []
        for effect, validator in self._replacements[command]:
            for value in effect.answer.values(document):
                found.extend(violations_of(validator.iter_errors(value), f"body.{effect.answer}"))
        return found
