"""A stateful model of Official Accounts that fires webhooks as the Chat backend does and acts on the answers.

The model is sans-IO (like h11): `Simulation.deliveries()` is a generator that yields the next
`Delivery` and is sent back the `Verdict` on it, so the same model drives `mockserver simulate`
(the async `Sender`, `simulate()` below) and a Locust user (Locust's client, the Sender's signing
and judging). Everything it knows comes from the contract:

* an operation starts with a scenario step's webhook; what it needs and does is what the
  contract says it announces (`x-webhook.state`: an account created, subscribers added...);
* what comes next, and with what, is `mockserver.flow.follow_ups` over the answer: a refused
  create announces nothing, refused users are left out of AfterAddSubscriber (which does not fire
  when none is left), a replaced message body is the one announced, "drop" ends the operation, and
  a failed "before" delivery counts as the webhook's `onFailure` policy (the vendor fails open);
* a body starts from one of the webhook's examples and gets the model's values at the fields whose
  `x-role` says what they identify (the account, its owner, a user, a message key, the time);
* the state changes when an "after" webhook is fired (the operation has happened), and a follow-up
  announcing that an account is full fires only when its subscribers reach the scenario's limit.
"""

from __future__ import annotations

import copy
import functools
import json
import random
import re
import time
from collections import deque
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from mockserver.contract import Contract, FieldPath, Webhook
from mockserver.errors import Unreachable
from mockserver.flow import follow_ups
from mockserver.traffic.replay import curl_command
from mockserver.traffic.report import Report
from mockserver.traffic.scenarios import Scenario, Step, announced
from mockserver.traffic.sender import Sender, Verdict

__all__ = ["Account", "Delivery", "Message", "Simulation", "simulate"]

JSON = Any
Operation = tuple[Webhook, dict[str, JSON]]
_SUBSCRIBE = {"subscribers": "add"}
_JSON_TYPE = "application/json"


@dataclass
class Message:
    key: str
    event: Mapping[str, JSON]
    """The announcing event as delivered (its body is the one the answer to the "before" webhook left)."""
    withdrawn: bool = False


@dataclass
class Account:
    id: str
    name: str
    owner: str
    subscribers: dict[str, None] = field(default_factory=dict)
    """User IDs in the order they subscribed (a dict as an ordered set)."""
    messages: dict[str, Message] = field(default_factory=dict)
    full: bool = False
    destroyed: bool = False

    def as_dict(self) -> dict[str, JSON]:
        return {
            "id": self.id,
            "name": self.name,
            "owner": self.owner,
            "destroyed": self.destroyed,
            "full": self.full,
            "subscribers": list(self.subscribers),
            "messages": [{"key": m.key, "withdrawn": m.withdrawn} for m in self.messages.values()],
        }


@dataclass(frozen=True)
class Delivery:
    """One webhook the Chat backend fires: its place in the run, and the body."""

    index: int
    webhook: Webhook
    body: dict[str, JSON]
    operation: int
    """The operation (a scenario step's request) this delivery belongs to."""


class Simulation:
    """The model of one run: its accounts, and the deliveries a scenario makes, one at a time.

    `namespace` prefixes every generated ID so that several simulations (Locust users) can share a
    backend; `start_ms` fixes the clock of `EventTime`-like fields (the default is now), which with
    the seed makes the stream of deliveries the same from run to run for the same answers.
    """

    def __init__(
        self,
        contract: Contract,
        scenario: Scenario,
        *,
        seed: int = 0,
        namespace: str = "",
        start_ms: int | None = None,
    ) -> None:
        self.contract = contract
        self.scenario = scenario
        self.seed = seed
        self.namespace = namespace
        self.accounts: dict[str, Account] = {}
        self.limited = 0
        """Subscription requests the subscriber limit stopped before any webhook (the vendor refuses them)."""
        self._rng = random.Random(seed)
        self._clock_ms = int(time.time() * 1000) if start_ms is None else start_ms
        self._serial: dict[str, int] = {}
        self._index = 0
        self._operations = 0
        self._required = {w.command: set(contract.resolve(w.request_ref).get("required", ())) for w in contract}
        self._announced = {w.command: announced(contract, w) for w in contract}
        self._account_prefix = _literal_prefix(self._field_schema(contract.webhooks, "account").get("pattern", ""))

    # ----------------------------------------------------------------- driving
    def deliveries(self) -> Generator[Delivery, Verdict, None]:
        """Yield each delivery in the Chat backend's order; send back the verdict on it."""
        for step in self.scenario.steps:
            for _ in range(step.times):
                for webhook, values in self._plan(step):
                    yield from self._operation(webhook, values)

    def _operation(self, webhook: Webhook, values: dict[str, JSON]) -> Generator[Delivery, Verdict, None]:
        account = self.accounts.get(str(values.get("account")))
        if account is not None and "subscriber" in values and self._announced[webhook.command] == _SUBSCRIBE:
            room = self._room(account)
            if room is not None:
                values["subscriber"] = values["subscriber"][:room]
                if not values["subscriber"]:
                    self.limited += 1  # the account is full: the Chat backend refuses without a webhook
                    return
        self._operations += 1
        first = self._body(webhook, values, self._rng.choice(webhook.examples).value)
        pending: deque[tuple[Webhook, dict[str, JSON]]] = deque([(webhook, first)])
        while pending:
            current, event = pending.popleft()
            self._apply(current, event)
            verdict = yield Delivery(self._index, current, event, self._operations)
            self._index += 1
            answer = verdict.answer if verdict.delivered else None
            for following, carried in follow_ups(self.contract, current, event, answer):
                if following.state.get("account") == "full" and not self._reached_limit(current, event):
                    continue
                pending.append((following, self._follow_up(following, carried, current, event)))

    # ---------------------------------------------------------------- planning
    def _plan(self, step: Step) -> list[Operation]:
        """The operations of one step, from the state as the step begins, interleaved by the seed."""
        webhook = self.contract.webhook_named(step.webhook)
        subject, change = next(iter(announced(self.contract, webhook).items()))
        live = [a for a in self.accounts.values() if not a.destroyed]
        planned: list[Operation] = []
        if subject == "account" and change == "create":
            for _ in range(self.scenario.accounts if step.count is None else step.count):
                owner = self._new("owner")
                planned.append(
                    (webhook, {"owner": owner, "operator": owner, "account-name": f"Account {self._serial['owner']}"})
                )
        elif subject == "account":
            for account in self._some(live, step.share):
                name = f"{account.name} (renamed)" if change == "update" else account.name
                values = {"account": account.id, "operator": account.owner, "owner": account.owner}
                planned.append((webhook, {**values, "account-name": name}))
        else:
            role = "subscriber" if subject == "subscribers" else "message-key"
            batch = min(step.batch, self._max_items(webhook, role))
            for account in live:
                base = {"account": account.id, "operator": account.owner}
                if change == "add" and role == "message-key":
                    count = self.scenario.messages if step.count is None else step.count
                    planned.extend((webhook, dict(base)) for _ in range(count))
                    continue
                if change == "add":
                    count = self.scenario.subscribers if step.count is None else step.count
                    items = [self._new("bot" if self._rng.random() < step.bots else "user") for _ in range(count)]
                else:
                    current = (
                        list(account.subscribers)
                        if role == "subscriber"
                        else [m.key for m in account.messages.values() if not m.withdrawn]
                    )
                    items = self._some(current, step.share)
                planned.extend((webhook, {**base, role: items[at : at + batch]}) for at in range(0, len(items), batch))
        self._rng.shuffle(planned)
        return planned

    def _some(self, items: list[Any], share: float) -> list[Any]:
        chosen = set(self._rng.sample(range(len(items)), round(len(items) * share)))
        return [item for at, item in enumerate(items) if at in chosen]

    def _new(self, kind: str) -> str:
        self._serial[kind] = self._serial.get(kind, 0) + 1
        return f"{kind}_{self.namespace}{self._serial[kind]}"

    # ------------------------------------------------------------------ bodies
    def _body(self, webhook: Webhook, values: Mapping[str, JSON], example: Mapping[str, JSON]) -> dict[str, JSON]:
        """`example` with the model's values at the fields whose role they play, and the time now."""
        self._clock_ms += 10
        timed = {"event-time": self._clock_ms, "message-time": self._clock_ms // 1000, **values}
        body: dict[str, JSON] = msgspec.json.decode(msgspec.json.encode(example))  # a deep copy, ten times faster
        for role, path in webhook.roles.items():
            if role in timed:
                _put(body, path, timed[role])
        return body

    def _follow_up(
        self, webhook: Webhook, carried: Mapping[str, JSON], origin: Webhook, event: Mapping[str, JSON]
    ) -> dict[str, JSON]:
        """The follow-up's body: what it carries over, and what the Chat backend fills in (new IDs, keys, times)."""
        values: dict[str, JSON] = {}
        if webhook.state.get("account") == "create":
            values["account"] = self._account_id()
        else:
            values["account"] = _first(origin, event, "account")
        if webhook.state.get("messages") == "add":
            values["message-key"] = f"{self._new('msg')}_{self._clock_ms // 1000}"
        body = self._body(webhook, values, webhook.examples[0].value)
        assert webhook.follows is not None
        for name in webhook.follows.carry:
            if name in carried:
                body[name] = carried[name]
            elif name not in self._required[webhook.command]:
                body.pop(name, None)
        return body

    def _account_id(self) -> str:
        return f"{self._account_prefix}{self._new('sim')}"

    # ------------------------------------------------------------------- state
    def _apply(self, webhook: Webhook, event: Mapping[str, JSON]) -> None:
        """What an "after" webhook announces has happened: record it."""
        if not webhook.state:
            return
        key = _first(webhook, event, "account")
        if webhook.state.get("account") == "create":
            name, owner = _first(webhook, event, "account-name"), _first(webhook, event, "owner")
            self.accounts[key] = Account(key, str(name or ""), str(owner or ""))
            return
        account = self.accounts.get(key)
        if account is None:
            return
        for subject, change in webhook.state.items():
            if subject == "account":
                if change == "update":
                    account.name = str(_first(webhook, event, "account-name") or account.name)
                account.destroyed = account.destroyed or change == "destroy"
                account.full = account.full or change == "full"
            elif subject == "subscribers":
                users = _all(webhook, event, "subscriber")
                for user in users:
                    if change == "add":
                        account.subscribers[user] = None
                    else:
                        account.subscribers.pop(user, None)
                account.full = account.full and change == "add"
            elif change == "add":
                message_key = str(_first(webhook, event, "message-key"))
                account.messages[message_key] = Message(message_key, event)
            else:
                for message_key in _all(webhook, event, "message-key"):
                    if message_key in account.messages:
                        account.messages[message_key].withdrawn = True

    def _room(self, account: Account) -> int | None:
        if self.scenario.limit is None:
            return None
        return max(0, self.scenario.limit - len(account.subscribers))

    def _reached_limit(self, webhook: Webhook, event: Mapping[str, JSON]) -> bool:
        account = self.accounts.get(str(_first(webhook, event, "account")))
        return account is not None and not account.full and self._room(account) == 0

    # ----------------------------------------------------------------- schemas
    def _field_schema(self, webhooks: tuple[Webhook, ...], role: str) -> Mapping[str, JSON]:
        for webhook in webhooks:
            if role in webhook.roles:
                return self._schema_at(webhook, webhook.roles[role].segments)
        return {}

    def _schema_at(self, webhook: Webhook, segments: tuple[str | int, ...]) -> Mapping[str, JSON]:
        schema: JSON = self.contract.dereferenced(self.contract.resolve(webhook.request_ref))
        for segment in segments:
            schema = schema.get("items", {}) if segment == "*" else schema.get("properties", {}).get(segment, {})
        return schema if isinstance(schema, Mapping) else {}

    def _max_items(self, webhook: Webhook, role: str) -> int:
        path = webhook.roles.get(role)
        if path is None or "*" not in path.segments:
            return 1
        cut = len(path.segments) - 1 - path.segments[::-1].index("*")
        return int(self._schema_at(webhook, path.segments[:cut]).get("maxItems", 10_000))

    # ------------------------------------------------------------------ report
    def state(self) -> dict[str, JSON]:
        """The final state: every account created, live or destroyed, with its subscribers and messages."""
        return {
            "accounts": [account.as_dict() for account in self.accounts.values()],
            "limited": self.limited,
        }


def _first(webhook: Webhook, event: Mapping[str, JSON], role: str) -> Any:
    found = _all(webhook, event, role)
    return found[0] if found else None


def _all(webhook: Webhook, event: Mapping[str, JSON], role: str) -> list[Any]:
    path = webhook.roles.get(role)
    return [] if path is None else path.values(event)


def _put(document: dict[str, JSON], path: FieldPath, value: JSON) -> None:
    """Set `value` at `path`; through a ``[*]``, `value` is the list of item values, items shaped like the first one."""
    segments = path.segments
    if "*" in segments:
        cut = len(segments) - 1 - segments[::-1].index("*")
        holder_path, name, inner = segments[: cut - 1], segments[cut - 1], segments[cut + 1 :]
        holder = _walk(document, holder_path)
        existing = holder.get(name) if isinstance(holder, dict) else None
        template = existing[0] if isinstance(existing, list) and existing else {}
        items = []
        for item_value in value if isinstance(value, list) else [value]:
            if inner:
                item = copy.deepcopy(template) if isinstance(template, dict) else {}
                _put(item, FieldPath("", inner), item_value)
            else:
                item = item_value
            items.append(item)
        if isinstance(holder, dict) and isinstance(name, str):
            holder[name] = items
        return
    holder = _walk(document, segments[:-1])
    if isinstance(holder, dict) and isinstance(segments[-1], str):
        holder[segments[-1]] = value


def _walk(document: dict[str, JSON], segments: tuple[str | int, ...]) -> Any:
    node: Any = document
    for segment in segments:
        node = node.setdefault(segment, {}) if isinstance(node, dict) and isinstance(segment, str) else None
    return node


def _literal_prefix(pattern: str) -> str:
    """The text every match of an anchored `pattern` starts with (``^@X#_.+`` -> ``@X#_``)."""
    if not pattern.startswith("^"):
        return ""
    match = re.match(r"(?:[^.^$*+?{}\[\]\\|()]|\\.)*", pattern[1:])
    literal = match.group(0) if match else ""
    if literal and pattern[1 + len(literal) : 2 + len(literal)] in ("*", "?", "{"):
        literal = literal[:-1]  # the last character is optional or repeated
    return re.sub(r"\\(.)", r"\1", literal)


async def simulate(
    url: str,
    simulation: Simulation,
    *,
    token: str | None = None,
    sdk_appid: int | str | None = None,
    timeout: float | None = None,
    rate: float | None = None,
    on_delivery: Callable[[Report], None] | None = None,
) -> Report:
    """Run `simulation` against `url`; the report of every delivery, what the vendor did, and the final state.

    `rate` caps deliveries per second. Raises `Unreachable` when nothing answers the first delivery.
    """
    import asyncio

    contract = simulation.contract
    report = Report(url=url, scenario=simulation.scenario.name, seed=simulation.seed, budget=contract.timeout_seconds)
    started = time.perf_counter()
    async with Sender(url, contract=contract, token=token, sdk_appid=sdk_appid, timeout=timeout) as sender:
        stream = simulation.deliveries()
        delivery = next(stream, None)
        while delivery is not None:
            if rate:
                await asyncio.sleep(max(0.0, started + delivery.index / rate - time.perf_counter()))
            query = sender.query(delivery.webhook.command)
            content = json.dumps(delivery.body, ensure_ascii=False).encode()
            verdict = await sender.send(delivery.webhook.command, content, query=query)
            if delivery.index == 0 and verdict.status is None and not verdict.timed_out:
                raise Unreachable(f"nothing answers at {url}: {verdict.error}")
            report.record(delivery.index, verdict, functools.partial(curl_command, url, query, content, _JSON_TYPE))
            if on_delivery is not None:
                on_delivery(report)
            try:
                delivery = stream.send(verdict)
            except StopIteration:
                delivery = None
    report.finish(time.perf_counter() - started, simulation.state())
    return report
