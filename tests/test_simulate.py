"""The simulator: against the mock scripted as a backend would answer, its final state and the mock's journal
follow the vendor's rules; the model alone (answers judged in-process) is deterministic and honours the limit.

No field is named here: the tests read bodies through the contract's roles (`Webhook.roles`) and effects.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from mockserver.cli.main import main
from mockserver.contract import Contract, Webhook
from mockserver.server.testing import RunningServer
from mockserver.traffic.report import Report
from mockserver.traffic.scenarios import announced, load_scenario
from mockserver.traffic.sender import Sender, Verdict
from mockserver.traffic.simulator import Delivery, Simulation, simulate

SCRIPTS = Path(__file__).parent / "data" / "scripts"


def by_state(contract: Contract, subject: str, change: str) -> Webhook:
    """The after webhook that announces `change` of `subject`."""
    return next(w for w in contract.webhooks if w.state.get(subject) == change)


def starting(contract: Contract, subject: str, change: str) -> Webhook:
    """The webhook a scenario step starts that operation with (a before webhook when there is one)."""
    return next(w for w in contract.webhooks if w.follows is None and announced(contract, w).get(subject) == change)


def run(
    mock: RunningServer,
    contract: Contract,
    scenario: str,
    script: str | None,
    timeout: float | None = None,
    **counts: int,
) -> tuple[Simulation, Report]:
    if script is not None:
        mock.load_script(SCRIPTS / script)
    simulation = Simulation(contract, load_scenario(scenario, contract).with_counts(**counts), seed=0)
    report = asyncio.run(simulate(mock.url, simulation, timeout=timeout))
    assert mock.wait_for(report.deliveries) == report.deliveries
    return simulation, report


def journal(mock: RunningServer, webhook: Webhook) -> list[dict[str, Any]]:
    return [json.loads(r["body"]) for r in reversed(mock.requests(command=webhook.command, limit=10_000))]


def values(webhook: Webhook, bodies: list[dict[str, Any]], role: str) -> list[Any]:
    return [value for body in bodies for value in webhook.roles[role].values(body)]


def subscribers(simulation: Simulation) -> set[str]:
    return {user for account in simulation.accounts.values() for user in account.subscribers}


# ------------------------------------------------------------------ against the mock


@pytest.mark.slow
def test_refused_bots_are_not_added_and_never_announced(mockserver: RunningServer, contract: Contract) -> None:
    simulation, report = run(mockserver, contract, "lifecycle", "sim_refuse_bots.yaml", accounts=2, messages=1)
    before, after = starting(contract, "subscribers", "add"), by_state(contract, "subscribers", "add")
    removed = by_state(contract, "subscribers", "remove")
    asked = values(before, journal(mockserver, before), "subscriber")
    added = values(after, journal(mockserver, after), "subscriber")
    bots = {user for user in asked if user.startswith("bot_")}
    assert bots, "the scenario must ask for some bots for this test to mean anything"
    assert set(added) == set(asked) - bots
    left = set(added) - set(values(removed, journal(mockserver, removed), "subscriber"))
    assert subscribers(simulation) == left
    assert not report.findings
    assert report.webhooks[before.name].outcomes == {"allow": report.webhooks[before.name].count}


@pytest.mark.slow
def test_a_refused_create_makes_no_account_and_nothing_about_it(mockserver: RunningServer, contract: Contract) -> None:
    simulation, report = run(mockserver, contract, "lifecycle", "sim_reject_create.yaml", accounts=3, messages=1)
    before, after = starting(contract, "account", "create"), by_state(contract, "account", "create")
    asked = values(before, journal(mockserver, before), "account-name")
    created = journal(mockserver, after)
    assert len(asked) == 3 and len(created) == 2
    assert "Account 2" in asked and "Account 2" not in values(after, created, "account-name")
    assert set(simulation.accounts) == set(values(after, created, "account"))
    announced_ids = {
        value
        for webhook in contract.webhooks
        if "account" in webhook.roles
        for value in values(webhook, journal(mockserver, webhook), "account")
    }
    assert announced_ids == set(simulation.accounts), "no webhook may name an account that was never created"
    assert report.webhooks[before.name].outcomes == {"allow": 2, "reject": 1}


@pytest.mark.slow
def test_a_replaced_message_is_the_one_announced_and_a_dropped_one_is_not(
    mockserver: RunningServer, contract: Contract
) -> None:
    simulation, report = run(
        mockserver, contract, "broadcast", "sim_replace_message.yaml", accounts=1, subscribers=1, messages=8
    )
    before, after = starting(contract, "messages", "add"), by_state(contract, "messages", "add")
    effect = next(e for e in before.effects if e.action == "replace" and e.answer.values(_script_answer()))
    replacement = effect.answer.values(_script_answer())[0]
    outcomes = report.webhooks[before.name].outcomes
    assert outcomes["drop"] > 0 and outcomes["allow"] > 0, "seed 0 must both drop and replace for this test"
    announced_bodies = journal(mockserver, after)
    assert len(announced_bodies) == outcomes["allow"]
    assert all(effect.target.values(body) == [replacement] for body in announced_bodies)
    messages = [m for account in simulation.accounts.values() for m in account.messages.values()]
    assert len(messages) == outcomes["allow"]
    assert all(effect.target.values(m.event) == [replacement] for m in messages)


def _script_answer() -> dict[str, Any]:
    rules = yaml.safe_load((SCRIPTS / "sim_replace_message.yaml").read_text(encoding="utf-8"))["rules"]
    answer: dict[str, Any] = rules[-1]["respond"]["body"]
    return answer


@pytest.mark.slow
def test_error_code_1_on_a_subscription_adds_nobody(mockserver: RunningServer, contract: Contract) -> None:
    simulation, report = run(mockserver, contract, "lifecycle", "sim_reject_subscribe.yaml", accounts=2, messages=0)
    before, after = starting(contract, "subscribers", "add"), by_state(contract, "subscribers", "add")
    assert report.webhooks[before.name].outcomes == {"reject": 8}  # 20 users each, 5 per request
    assert journal(mockserver, after) == []
    assert subscribers(simulation) == set()
    assert by_state(contract, "subscribers", "remove").name not in report.webhooks  # nobody to remove


@pytest.mark.slow
def test_a_timed_out_before_webhook_fails_open_and_the_report_says_so(
    mockserver: RunningServer, contract: Contract
) -> None:
    simulation, report = run(
        mockserver, contract, "lifecycle", "sim_timeout.yaml", timeout=0.3, accounts=1, subscribers=5, messages=0
    )
    before, after = starting(contract, "subscribers", "add"), by_state(contract, "subscribers", "add")
    assert [f.webhook for f in report.fail_open] == [before.name]
    assert "no answer within 0.3 s" in report.fail_open[0].reason
    assert report.fail_open[0].curl.startswith("curl ")
    asked = values(before, journal(mockserver, before), "subscriber")
    assert values(after, journal(mockserver, after), "subscriber") == asked  # let through whole
    assert len(asked) == 5 and subscribers(simulation) <= set(asked)


@pytest.mark.slow
def test_cli_exits_1_with_a_curl_for_each_failed_delivery(mockserver: RunningServer, contract: Contract) -> None:
    mockserver.load_script({"rules": [{"when": {"command": by_state(contract, "account", "create").command},
                                        "respond": {"status": 500}}]})  # fmt: skip
    result = CliRunner().invoke(
        main, ["simulate", "--url", mockserver.url, "--accounts", "2", "--subscribers", "0", "--messages", "0"]
    )
    assert result.exit_code == 1, result.output
    assert "2 failed deliveries" in result.output
    assert result.output.count("curl -sS -X POST") == 2


def test_cli_usage_errors_exit_2() -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["simulate", "--url", "http://127.0.0.1:9/", "--scenario", "nope"]).exit_code == 2
    assert runner.invoke(main, ["simulate", "--url", "not a url"]).exit_code == 2
    unreachable = runner.invoke(main, ["simulate", "--url", "http://127.0.0.1:9/"])
    assert unreachable.exit_code == 2 and "nothing answers" in unreachable.output
    shown = runner.invoke(main, ["simulate", "--help"]).output
    assert "MOCKSERVER_TOKEN" in shown and "MOCKSERVER_SDKAPPID" in shown


# ------------------------------------------------------------------ the model alone


def drive(simulation: Simulation, answer: Callable[[Delivery], dict[str, Any]]) -> list[tuple[str, str]]:
    """Run `simulation` with answers judged in-process (no HTTP); the deliveries as (command, JSON)."""
    sender = Sender("http://127.0.0.1:9/", contract=simulation.contract)
    sent: list[tuple[str, str]] = []
    stream = simulation.deliveries()
    delivery = next(stream, None)
    while delivery is not None:
        content = json.dumps(delivery.body, ensure_ascii=False)
        sent.append((delivery.webhook.command, content))
        verdict: Verdict = sender.judge(delivery.webhook, content.encode(), 200, json.dumps(answer(delivery)).encode())
        try:
            delivery = stream.send(verdict)
        except StopIteration:
            delivery = None
    return sent


def default(delivery: Delivery) -> dict[str, Any]:
    return dict(delivery.webhook.default_response)


def test_same_seed_same_deliveries_and_another_seed_others(contract: Contract) -> None:
    scenario = load_scenario("lifecycle", contract)

    def once(seed: int) -> list[tuple[str, str]]:
        return drive(Simulation(contract, scenario, seed=seed, start_ms=1_700_000_000_000), default)

    first = once(3)
    assert first == once(3)
    assert first != once(4)
    assert len(first) == 180


def test_every_body_is_a_valid_delivery(contract: Contract, validator: Any) -> None:
    for name in ("lifecycle", "subscriber-storm", "broadcast", "withdrawals"):
        for command, content in drive(Simulation(contract, load_scenario(name, contract)), default):
            assert validator.check_request(contract.query_example(command), content.encode()) == [], (name, content)


def test_reaching_the_limit_fires_full_once_and_stops_further_subscriptions(contract: Contract) -> None:
    simulation = Simulation(contract, load_scenario("subscriber-storm", contract).with_counts(accounts=1))
    sent = drive(simulation, default)
    full = by_state(contract, "account", "full")
    assert [command for command, _ in sent].count(full.command) == 1
    (account,) = simulation.accounts.values()
    limit = simulation.scenario.limit
    assert limit is not None and simulation.limited == 1  # the sixth request of 100 finds no room
    assert len(account.subscribers) == limit - round(limit * 0.1)
    assert not account.full  # removals made room again
