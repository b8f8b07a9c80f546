"""Scenarios: what a simulation does, step by step, as a small YAML document.

A scenario names the operations to start by the webhook that starts them (an event name of the
contract, as `mockserver send` takes it), never by a field: what an operation needs (a new
account, new users, existing subscribers, sent messages) follows from what the contract says it
announces (`x-webhook.state`). Four ship with the package (`BUILT_IN`); a user's file has the same
shape:

    name: lifecycle
    accounts: 5            # accounts to create (--accounts overrides)
    subscribers: 20        # users each account gets, in requests of `batch` (--subscribers)
    messages: 10           # messages each account sends (--messages)
    limit: 500             # subscriber limit per account (MaxSubscriberNum); absent: none
    steps:
      - webhook: BeforeCreateOfficialAccount
      - webhook: BeforeAddSubscriber
        batch: 5           # users per request (capped by the list's maxItems in the contract)
        bots: 0.2          # share of new users whose IDs start with bot_
      - webhook: AfterMsgWithDraw
        share: 0.3         # share of each account's messages (subscribers, accounts) it concerns
        batch: 2

Each step runs over every live account (a create step makes `accounts` new ones), repeated
`times`; the operations of a step are interleaved across accounts in an order fixed by the seed.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated

import msgspec
import yaml

from mockserver.contract import Contract, UnknownCommand, Webhook
from mockserver.errors import InputError

__all__ = ["BUILT_IN", "Scenario", "Step", "announced", "load_scenario"]

MAX_FILE_BYTES = 256 * 1024
"""A scenario is a few lines; a larger file is refused before it is parsed."""
_MAX_COUNT = 1_000_000

Count = Annotated[int, msgspec.Meta(ge=0, le=_MAX_COUNT)]
Share = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]


class Step(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """One kind of operation, started by `webhook`, for every live account."""

    webhook: str
    count: Count | None = None
    """How many (accounts to create, users to add, messages to send); default: the scenario's."""
    batch: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 1
    """Items per request, for operations on a list (capped by the contract's maxItems)."""
    bots: Share = 0.0
    """Share of new users whose IDs start with ``bot_`` (what backends commonly refuse)."""
    share: Share = 1.0
    """Share of existing items (accounts, subscribers, messages) an update or removal concerns."""
    times: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 1


class Scenario(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    name: str
    steps: list[Step]
    summary: str = ""
    accounts: Count = 1
    subscribers: Count = 0
    messages: Count = 0
    limit: Annotated[int, msgspec.Meta(ge=1, le=_MAX_COUNT)] | None = None
    """Subscribers an account can have (the create API's MaxSubscriberNum); None: no limit."""

    def with_counts(
        self, accounts: int | None = None, subscribers: int | None = None, messages: int | None = None
    ) -> Scenario:
        """The scenario with the command line's counts in place of its own."""
        return msgspec.structs.replace(
            self,
            accounts=self.accounts if accounts is None else accounts,
            subscribers=self.subscribers if subscribers is None else subscribers,
            messages=self.messages if messages is None else messages,
        )


def _built_in() -> dict[str, str]:
    folder = resources.files(__package__).joinpath("scenarios")
    return {item.name.removesuffix(".yaml"): item.name for item in folder.iterdir() if item.name.endswith(".yaml")}


BUILT_IN: dict[str, str] = _built_in()
"""The scenarios shipped with the package, by name (file name without `.yaml`)."""


def announced(contract: Contract, webhook: Webhook) -> dict[str, str]:
    """What an operation started by `webhook` does when allowed: its own `state`, else its follow-ups'."""
    if webhook.state:
        return dict(webhook.state)
    found: dict[str, str] = {}
    for other in contract.webhooks:
        if other.follows is not None and other.follows.command == webhook.command:
            found.update(other.state)
    return found


def load_scenario(name_or_path: str, contract: Contract) -> Scenario:
    """A built-in scenario by name (``subscriber storm`` = ``subscriber-storm``) or a YAML file.

    Raises `InputError` naming the file and the key for anything that cannot be used.
    """
    key = name_or_path.strip().lower().replace(" ", "-").replace("_", "-")
    if key in BUILT_IN:
        text = resources.files(__package__).joinpath("scenarios", BUILT_IN[key]).read_text(encoding="utf-8")
        where = f"built-in scenario {key!r}"
    else:
        path = Path(name_or_path)
        if not path.is_file():
            raise InputError(
                f"{name_or_path!r} is neither a built-in scenario ({', '.join(sorted(BUILT_IN))}) nor a file"
            )
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InputError(f"{path}: a scenario file is at most {MAX_FILE_BYTES} bytes")
        text, where = path.read_text(encoding="utf-8", errors="replace"), str(path)
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"{where} is not YAML: {exc}") from None
    try:
        scenario = msgspec.convert(document, Scenario)
    except msgspec.ValidationError as exc:
        raise InputError(f"{where}: {exc}") from None
    for index, step in enumerate(scenario.steps):
        _check_step(contract, step, f"{where}: steps[{index}]")
    return scenario


def _check_step(contract: Contract, step: Step, where: str) -> None:
    try:
        webhook = contract.webhook_named(step.webhook)
    except UnknownCommand as exc:
        raise InputError(f"{where}.webhook: {exc}") from None
    if webhook.follows is not None:
        raise InputError(
            f"{where}.webhook: {webhook.name} is fired after {contract.webhook(webhook.follows.command).name},"
            " not on its own; start the operation with that one"
        )
    if not announced(contract, webhook):
        raise InputError(f"{where}.webhook: the contract records no x-webhook.state for what {webhook.name} does")
