"""The script book: which script answers deliveries, the same one in every worker.

With `--workers`, another process may load a script at any time. Reading the stored version
on every delivery would put a SQLite query on the event loop per request, so a worker asks
SQLite's `PRAGMA data_version` (which changes when another connection commits) at most every
`POLL_S`, in a thread, and recompiles only when the stored version differs. `settle()` makes
the admin API answer a load only once every worker is bound to pick it up.

The book also owns the template sandbox of its process and is where a delivery gets its
answer (`reply()`): matching runs on the event loop under its time budget (in a thread when a
rule needs the shared hit counter), and a template renders in the sandbox while the loop
serves others.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mockserver.contract import Contract, Webhook
from mockserver.errors import ScriptError, UnknownRule
from mockserver.responses import ResponseChecker
from mockserver.server.budgets import SCRIPT_BUDGET, ScriptBudget
from mockserver.server.sandbox import TemplateSandbox
from mockserver.server.scripts import (
    CompiledRule,
    Reply,
    Rule,
    Script,
    ScriptDocument,
    compile_script,
    parse_rule,
    parse_script,
)
from mockserver.server.scriptstore import ScriptStore

__all__ = ["ScriptBook", "UnknownRule"]

Source = str | bytes | Path | Mapping[str, Any]


class ScriptBook:
    """The active script of one server process, kept in step with the store."""

    POLL_S = 0.05
    _EDIT_ATTEMPTS = 5

    def __init__(
        self, contract: Contract, store: ScriptStore, *, shared: bool, budget: ScriptBudget = SCRIPT_BUDGET
    ) -> None:
        self.contract = contract
        self.store = store
        self.shared = shared
        self.budget = budget
        self.validator = ResponseChecker(contract)
        self.sandbox = TemplateSandbox(budget)
        self._script = self._compile(ScriptDocument())
        self._data_version: int | None = None
        self._polled = -math.inf
        self._refresh()

    def _compile(self, document: ScriptDocument, version: int = 0) -> Script:
        return compile_script(document, self.contract, self.validator, self.sandbox, version)

    # --------------------------------------------------------- changing (blocking)
    def compile(self, source: Source) -> Script:
        """Check a script without activating it (raises `ScriptError`)."""
        return self._compile(parse_script(source, self.budget))

    def load(self, source: Source) -> Script:
        """Check and activate a script (raises `ScriptError`); replaces the previous one."""
        script = self.compile(source)
        script.version = self.store.store(script.document)
        self._script = script
        return script

    def clear(self) -> Script:
        return self.load({})

    def add_rule(self, source: str | bytes | Mapping[str, Any]) -> tuple[Script, Rule]:
        """Append one rule to the active script; a rule without a name gets one (its id).

        Errors name fields relative to the rule (``respond.headers``). Raises
        `ScriptError` (field ``name``) when the name is taken.
        """
        rule = parse_rule(source, self.budget)
        if rule.name is None:
            rule.name = f"rule-{uuid.uuid4().hex[:8]}"
        name = rule.name

        def edit(rules: list[Rule]) -> list[Rule]:
            if any(existing.name == name for existing in rules):
                raise ScriptError(f"the script already has a rule named {name!r}; delete it first", field="name")
            return [*rules, rule]

        return self._edit(edit, relative_to=True), rule

    def remove_rule(self, name: str) -> Script:
        """Remove the rule named `name` from the active script (raises `UnknownRule`)."""

        def edit(rules: list[Rule]) -> list[Rule]:
            kept = [rule for rule in rules if rule.name != name]
            if len(kept) == len(rules):
                known = ", ".join(repr(rule.name) for rule in rules if rule.name) or "none"
                raise UnknownRule(f"no rule is named {name!r}; named rules: {known}")
            return kept

        return self._edit(edit, relative_to=False)

    def _edit(self, change: Any, *, relative_to: bool) -> Script:
        """Apply `change` to the stored rules and store the result, retrying if another worker stored first."""
        for _ in range(self._EDIT_ATTEMPTS):
            stored = self.store.active()
            version = stored[0] if stored else None
            document = parse_script(stored[1] if stored else {}, self.budget)
            rules: list[Rule] = change(list(document.rules))
            try:
                script = self._compile(ScriptDocument(rules=rules))
            except ScriptError as exc:
                raise (_relative(exc, len(rules) - 1) if relative_to else exc) from None
            new_version = self.store.store_if(script.document, version)
            if new_version is not None:
                script.version = new_version
                self._script = script
                return script
        raise ScriptError("the script kept changing under this edit (other workers are loading scripts); try again")

    def _refresh(self) -> None:
        """Pick up a script another worker stored (blocking: call it off the event loop)."""
        data_version = self.store.data_version()
        if data_version == self._data_version:
            return
        self._data_version = data_version
        stored = self.store.active()
        if stored is None or stored[0] == self._script.version:
            return
        version, document = stored
        self._script = self._compile(parse_script(document, self.budget), version)

    # --------------------------------------------------------------- answering
    async def current(self) -> Script:
        """The script to answer with; with shared state, checked for a newer one at most every POLL_S."""
        if self.shared:
            now = time.monotonic()
            if now - self._polled >= self.POLL_S:
                self._polled = now
                await asyncio.to_thread(self._refresh)
        return self._script

    async def settle(self) -> None:
        """Wait until every worker's next delivery is bound to see the stored script (one poll period)."""
        if self.shared:
            await asyncio.sleep(self.POLL_S * 1.2)

    async def reply(self, webhook: Webhook, document: Any, query: Mapping[str, str]) -> Reply:
        """The answer to a checked delivery (raises `ScriptError` when a rule fails: a 500 `script`)."""
        script = await self.current()
        if script.counted:  # counting a match takes SQLite's write lock: never on the event loop
            choice = await asyncio.to_thread(
                script.choose, webhook, document, query, lambda rule: self._hit(script, rule)
            )
        else:
            choice = script.choose(webhook, document, query, _never_counted)
        return await script.answer(choice, webhook, document, query)

    def _hit(self, script: Script, rule: CompiledRule) -> int:
        return self.store.hit(script.version, rule.index)

    def close(self) -> None:
        """Stop the sandbox processes and close the store."""
        self.sandbox.close()
        self.store.close()


def _relative(exc: ScriptError, index: int) -> ScriptError:
    """`exc` with its field named relative to the rule at `index` (``rules[3].respond`` -> ``respond``)."""
    prefix = f"rules[{index}]"
    field = exc.field
    if field is None or not field.startswith(prefix):
        return exc
    return ScriptError(str(exc), field=field[len(prefix) :].lstrip(".") or None)


def _never_counted(rule: CompiledRule) -> int:  # pragma: no cover - a script without counted rules never counts
    raise RuntimeError("a counted rule in a script that has none")
