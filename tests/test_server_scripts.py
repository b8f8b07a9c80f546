"""Scripted answers: predicates, templates, deliberately invalid answers and load checks in process;
the issue's example (an answer after the sender's timeout) and the faults (reset, empty, hang)
over real HTTP, since only a socket shows them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockserver.server.app import ServerConfig
from mockserver.server.testing import RunningServer, start_server
from tests.support.asgi import InProcessMock
from tests.support.cli import run_cli
from tests.support.deliveries import SCRIPTS, contract, deliver, load_yaml, webhook_of_example

BEFORE = next(w for w in contract.webhooks if w.can_refuse)
REFUSED = BEFORE.response_roles["refused"]
ERROR_CODE = BEFORE.response_roles["error-code"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessMock]:
    journal = tmp_path_factory.mktemp("scripts") / "journal.sqlite3"
    mock = InProcessMock(ServerConfig(journal=str(journal), max_hang_ms=3000))
    yield mock
    mock.close()


@pytest.fixture
def fresh(server: InProcessMock) -> InProcessMock:
    server.reset()
    return server


@pytest.fixture(scope="module")
def real() -> Iterator[RunningServer]:
    with start_server("--max-hang", "3000") as running:
        yield running


def _rule_body(script: dict[str, Any], index: int) -> dict[str, Any]:
    body: dict[str, Any] = script["rules"][index]["respond"]["body"]
    return body


@pytest.mark.slow  # answers after the sender's timeout, faults on the connection: a socket
def test_issue_example_refuses_and_sequences(real: RunningServer) -> None:
    real.reset()
    script = load_yaml("issue_example.yaml")
    real.load_script(SCRIPTS / "issue_example.yaml")
    refuse_for, sequenced = (contract.webhook(rule["when"]["command"]) for rule in script["rules"])
    answer = deliver(real.url, dict(refuse_for.example().value), command=refuse_for.command)
    assert answer.status_code == 200
    assert answer.json() == {**refuse_for.default_response, **_rule_body(script, 0)}

    body = dict(sequenced.example().value)
    assert deliver(real.url, body, command=sequenced.command).status_code == 500
    with pytest.raises(httpx.ReadTimeout):  # the second answer comes after the sender's timeout
        deliver(real.url, body, command=sequenced.command, timeout=contract.timeout_seconds)
    third = deliver(real.url, body, command=sequenced.command)
    assert third.status_code == 200 and third.json() == dict(sequenced.default_response)
    assert real.wait_for(3, command=sequenced.command) == 3  # the slow one is journaled once it is answered
    statuses = [r["status"] for r in real.requests(command=sequenced.command)]
    assert statuses == [200, 200, 500]


def test_predicates_priorities_and_times(fresh: InProcessMock) -> None:
    script = load_yaml("predicates.yaml")
    fresh.load_script(script)
    rules = {rule["name"]: rule for rule in script["rules"]}
    vendor_webhook, vendor = webhook_of_example("BeforeAddSubscriber-vendor")
    _, rich = webhook_of_example("BeforeAddSubscriber-rich")
    # the vendor sample's operator is not an admin, its subscribers include the member the rule looks for
    answer = fresh.deliver(vendor, command=vendor_webhook.command).json()
    assert answer[REFUSED] == rules["subscriber-member"]["respond"]["body"][REFUSED]
    # the rich sample's operator matches the higher-priority regex rule
    answer = fresh.deliver(rich, command=vendor_webhook.command).json()
    assert answer[ERROR_CODE] == rules["regex-on-operator"]["respond"]["body"][ERROR_CODE]

    member_webhook, member = webhook_of_example("AfterDeleteSubscriber-vendor")
    assert fresh.deliver(member, command=member_webhook.command).status_code == rules["account-in"]["respond"]["status"]
    _, other = webhook_of_example("AfterDeleteSubscriber-rich")
    assert fresh.deliver(other, command=member_webhook.command).status_code == 200  # not in the list

    counted = contract.webhook(rules["platform-query"]["when"]["command"])
    answers = [fresh.deliver(dict(counted.example().value), command=counted.command).json() for _ in range(3)]
    info = counted.response_roles["error-info"]
    expected = rules["platform-query"]["respond"]["body"][info]
    assert [a[info] for a in answers] == [expected, expected, counted.default_response[info]]
    assert [r["rule"] for r in fresh.requests(command=counted.command)] == [None, "platform-query", "platform-query"]


def test_template_refuses_exactly_the_bots(fresh: InProcessMock) -> None:
    fresh.load_script(SCRIPTS / "template.yaml")
    webhook, rich = webhook_of_example("BeforeAddSubscriber-rich")
    requested = webhook.subset_of[REFUSED].values(rich)
    answer = fresh.deliver(rich, command=webhook.command).json()
    assert answer[REFUSED] == [s for s in requested if s.startswith("bot_")]
    assert answer[REFUSED]  # the example does hold bots
    _, vendor = webhook_of_example("BeforeAddSubscriber-vendor")
    assert fresh.deliver(vendor, command=webhook.command).json()[REFUSED] == []


@pytest.mark.slow  # answers after the sender's timeout, faults on the connection: a socket
def test_faults(real: RunningServer) -> None:
    real.reset()
    real.load_script(SCRIPTS / "faults.yaml")
    rules = load_yaml("faults.yaml")["rules"]
    by_fault = {rule["respond"].get("fault", "delay"): contract.webhook(rule["when"]["command"]) for rule in rules}

    def send(kind: str, timeout: float = 10.0) -> httpx.Response:
        webhook = by_fault[kind]
        return deliver(real.url, dict(webhook.example().value), command=webhook.command, timeout=timeout)

    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        send("reset")
    with pytest.raises(httpx.RemoteProtocolError):
        send("empty")
    malformed = send("malformed")
    assert malformed.status_code == 200
    with pytest.raises(ValueError):
        malformed.json()
    with pytest.raises(httpx.ReadTimeout):
        send("hang", timeout=contract.timeout_seconds)
    assert send("delay").status_code == 500
    assert real.wait_for(5) == 5  # the hang ends by itself (hang_ms), so it is journaled too
    faults = {r["command"]: r["fault"] for r in real.requests()}
    assert faults == {w.command: (k if k != "delay" else None) for k, w in by_fault.items()}
    assert {r["status"] for r in real.requests(command=by_fault["reset"].command)} == {None}
    # the server is still healthy after the faults
    ok = by_fault["reset"]
    real.clear_script()
    assert deliver(real.url, dict(ok.example().value), command=ok.command).status_code == 200


def test_deliberately_invalid_answers(fresh: InProcessMock) -> None:
    script = load_yaml("misbehave.yaml")
    fresh.load_script(script)
    rules = {rule["name"]: rule for rule in script["rules"]}
    wrong = contract.webhook(rules["wrong-shape"]["when"]["command"])
    assert fresh.deliver(dict(wrong.example().value), command=wrong.command).json() == {
        **wrong.default_response,
        **rules["wrong-shape"]["respond"]["body"],
    }
    raw = contract.webhook(rules["not-json"]["when"]["command"])
    answer = fresh.deliver(dict(raw.example().value), command=raw.command)
    assert answer.text == rules["not-json"]["respond"]["raw"]
    assert answer.headers["content-type"] == rules["not-json"]["respond"]["content_type"]
    replaced = contract.webhook(rules["replaced"]["when"]["command"])
    assert (
        fresh.deliver(dict(replaced.example().value), command=replaced.command).json()
        == rules["replaced"]["respond"]["body"]
    )


def _typo(name: str) -> tuple[str, int, list[str]]:
    """A misspelling fixture: refused with 409, the message naming the rule and the misspelled path."""
    rule = load_yaml(f"bad/{name}")["rules"][0]
    when = rule.get("when", {})
    paths = [*when.get("body", {}), *when.get("query", {})]
    answer = rule["respond"] if "respond" in rule else rule["sequence"][-1]
    if paths:
        return name, 409, [rule["name"], *paths]
    keys = list(answer.get("body", {})) or [answer["template"].split('"')[1]]
    return name, 409, [rule["name"], *keys]


TYPOS = [
    _typo(name)
    for name in (
        "typo_body_predicate.yaml",
        "typo_any_webhook_predicate.yaml",
        "typo_query_predicate.yaml",
        "typo_answer_field.yaml",
        "typo_template_field.yaml",
    )
]
"""Misspelled names in a body predicate, a query predicate, an answer and a template: each refused."""


def test_existing_paths_load_and_match(fresh: InProcessMock) -> None:
    """Paths through `$ref`, the discriminated element oneOf, `[*]` and `[n]` are accepted and match."""
    fresh.load_script(SCRIPTS / "nested_predicates.yaml")
    script = load_yaml("nested_predicates.yaml")
    webhook = contract.webhook(script["rules"][0]["when"]["command"])
    fresh.deliver(dict(webhook.example().value), command=webhook.command)
    assert fresh.wait_for(1) == 1
    assert fresh.requests()[0]["rule"] == script["rules"][0]["name"]


def test_a_template_field_outside_the_answer_fails_when_rendered(fresh: InProcessMock) -> None:
    fresh.load_script(SCRIPTS / "template_late_typo.yaml")
    late, twin = load_yaml("template_late_typo.yaml")["rules"]
    typo = late["respond"]["template"].split('"')[1]  # the misspelled field the template renders
    webhook = contract.webhook(late["when"]["command"])
    plain = dict(webhook.example().value)
    assert fresh.deliver(plain, command=webhook.command).status_code == 200
    failed = fresh.deliver({**plain, "zz_trigger": 1}, command=webhook.command)
    assert failed.status_code == 500
    problem = failed.json()
    assert problem["field"] == "script"
    assert late["name"] in problem["detail"] and typo in problem["detail"]
    other = contract.webhook(twin["when"]["command"])
    sent = fresh.deliver({**dict(other.example().value), "zz_trigger": 1}, command=other.command)
    assert sent.status_code == 200 and typo in sent.json()


@pytest.mark.parametrize(
    ("name", "status", "needle"),
    [
        ("contract_violation.yaml", 409, "bad-error-code"),
        ("unknown_key.yaml", 400, "stauts"),
        ("unknown_command.yaml", 400, "NoSuchThing"),
        *TYPOS,
    ],
)
def test_bad_scripts_are_refused_by_the_admin_api(
    fresh: InProcessMock, name: str, status: int, needle: str | list[str]
) -> None:
    with pytest.raises(httpx.HTTPStatusError) as refused:
        fresh.load_script(SCRIPTS / "bad" / name)
    assert refused.value.response.status_code == status
    for part in [needle] if isinstance(needle, str) else needle:
        assert part in refused.value.response.text
    assert fresh.admin("GET", "/scripts").json()["rules"] == []


@pytest.mark.parametrize(
    ("name", "needles"),
    [
        ("contract_violation.yaml", ["bad-error-code", "body."]),
        ("unknown_key.yaml", ["unknown field", "stauts"]),
        ("unknown_command.yaml", ["NoSuchThing"]),
        *((name, needles) for name, _, needles in TYPOS),
    ],
)
def test_bad_scripts_stop_the_cli(name: str, needles: list[str]) -> None:
    # A refused script is a usage error (exit 2) naming the option, the file and the rule's path.
    path = str(SCRIPTS / "bad" / name)
    done = run_cli("serve", "--port", "0", "--script", path)  # refused before it binds: in process
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    stderr = " ".join(done.stderr.split())  # click wraps long lines
    for needle in ["'--script'", path, "rules[0]", *needles]:
        assert needle in stderr
