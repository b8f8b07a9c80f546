"""The script compiler, the script store and the admin API's script endpoints, in-process.

Pure functions for what a script may contain; an in-process `MockServer` (httpx's ASGI
transport) for the admin endpoints: YAML bodies, rules added and deleted by name, size budgets.
Real HTTP is kept for what only it shows (tests/test_server_script_budgets.py).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from mockserver.errors import ScriptError
from mockserver.server.app import ServerConfig
from mockserver.server.budgets import SCRIPT_BUDGET
from mockserver.server.scriptbook import ScriptBook
from mockserver.server.scripts import parse_script, read_yaml
from mockserver.server.scriptstore import ScriptStore
from tests.support.asgi import InProcessMock
from tests.support.deliveries import contract

BEFORE = next(w for w in contract.webhooks if w.can_refuse)
REFUSED = BEFORE.response_roles["refused"]


# ------------------------------------------------------------------ parsing
def test_yaml_aliases_are_refused_before_anything_is_built() -> None:
    with pytest.raises(ScriptError, match=r"alias \*base at line 3"):
        read_yaml("base: &base {status: 500}\nrules:\n  - respond: *base\n")


def test_yaml_that_is_not_yaml_is_a_yaml_error() -> None:
    with pytest.raises(yaml.YAMLError):
        read_yaml("rules: [")


def test_a_script_over_the_size_budget_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * SCRIPT_BUDGET.script_bytes + "\nrules: []\n")
    with pytest.raises(ScriptError, match=f"the limit is {SCRIPT_BUDGET.script_bytes}"):
        parse_script(big)


def test_too_many_rules_are_refused_naming_the_field() -> None:
    with pytest.raises(ScriptError) as refused:
        parse_script({"rules": [{"respond": {}}] * (SCRIPT_BUDGET.rules + 1)})
    assert refused.value.field == "rules"


def test_a_type_error_names_the_field() -> None:
    with pytest.raises(ScriptError) as refused:
        parse_script("rules:\n  - respond: {delay_ms: -1}\n")
    assert refused.value.field == "rules[0].respond.delay_ms"


# ------------------------------------------------------------------ compiling
@pytest.fixture
def book(tmp_path: Path) -> Iterator[ScriptBook]:
    scripts = ScriptBook(contract, ScriptStore(tmp_path / "journal.sqlite3"), shared=False)
    yield scripts
    scripts.close()


def test_when_command_takes_the_short_event_name(book: ScriptBook) -> None:
    script = book.load({"rules": [{"when": {"command": BEFORE.name}, "respond": {"status": 500}}]})
    assert script.rules[0].command == BEFORE.command
    assert script.document["rules"][0]["when"]["command"] == BEFORE.name  # stored as written


def test_a_template_too_long_is_refused(book: ScriptBook) -> None:
    template = "{}" + " " * SCRIPT_BUDGET.template_chars
    with pytest.raises(ScriptError) as refused:
        book.load({"rules": [{"name": "long", "respond": {"template": template}}]})
    assert refused.value.field == "rules[0].respond.template" and "'long'" in str(refused.value)


def test_a_template_syntax_error_names_the_rule_and_the_line(book: ScriptBook) -> None:
    with pytest.raises(ScriptError) as refused:
        book.load({"rules": [{"name": "typo", "respond": {"template": "{}\n{% if %}"}}]})
    assert "rule 'typo' at rules[0].respond.template: template line 2" in str(refused.value)


def test_duplicate_rule_names_are_refused(book: ScriptBook) -> None:
    with pytest.raises(ScriptError) as refused:
        book.load({"rules": [{"name": "same", "respond": {}}, {"name": "same", "respond": {"status": 500}}]})
    assert refused.value.field == "rules[1].name"


def test_a_second_book_on_the_same_file_sees_the_stored_script(book: ScriptBook, tmp_path: Path) -> None:
    stored = book.load({"rules": [{"name": "a", "respond": {"status": 500}}]})
    other = ScriptBook(contract, ScriptStore(tmp_path / "journal.sqlite3"), shared=True)
    try:
        seen = asyncio.run(other.current())
        assert (seen.version, seen.document) == (stored.version, stored.document)
    finally:
        other.close()


# ------------------------------------------------------------------ the admin API, in-process
@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessMock]:
    mock = InProcessMock(ServerConfig(journal=str(tmp_path_factory.mktemp("scripts") / "journal.sqlite3")))
    yield mock
    mock.close()


@pytest.fixture
def admin(server: InProcessMock) -> InProcessMock:
    """The module's server with no script and an empty journal (a server is 40 ms to build)."""
    server.reset()
    return server


def _yaml(admin: InProcessMock, path: str, text: str, content_type: str = "application/yaml") -> httpx.Response:
    return admin.request("POST", path, content=text.encode(), headers={"content-type": content_type})


def _example() -> dict[str, Any]:
    body: dict[str, Any] = json.loads(json.dumps(BEFORE.example().value))
    return body


@pytest.mark.parametrize("content_type", ["application/yaml", "text/yaml"])
def test_a_script_can_be_posted_as_yaml(admin: InProcessMock, content_type: str) -> None:
    script = (
        f"rules:\n  - name: refuse\n    when: {{command: {BEFORE.name}}}\n"
        f"    respond: {{body: {{{REFUSED}: [jared]}}}}\n"
    )
    answer = _yaml(admin, "/__admin/scripts", script, content_type)
    assert answer.status_code == 201, answer.text
    assert answer.json()["rules"][0]["name"] == "refuse"
    assert admin.deliver(_example(), command=BEFORE.command).json()[REFUSED] == ["jared"]


@pytest.mark.parametrize(
    ("text", "status", "field"),
    [
        ("rules:\n  - respond: {delay_ms: -1}\n", 400, "body.rules[0].respond.delay_ms"),  # the schema, as for JSON
        ("rules: [", 400, "body"),
        ("rules:\n  - &r {respond: {}}\n  - *r\n", 409, "body"),
        ("rules:\n  - name: h\n    respond: {headers: {'X A': b}}\n", 409, "body.rules[0].respond.headers"),
    ],
)
def test_yaml_scripts_are_refused_like_json_ones(admin: InProcessMock, text: str, status: int, field: str) -> None:
    answer = _yaml(admin, "/__admin/scripts", text)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["field"] == field


def test_a_body_over_the_script_budget_is_413(admin: InProcessMock) -> None:
    answer = _yaml(admin, "/__admin/scripts", "# " + "x" * SCRIPT_BUDGET.script_bytes)
    assert answer.status_code == 413 and answer.json()["field"] == "body"
    answer = admin.request("POST", "/__admin/scripts", json={"rules": [{"name": "x" * SCRIPT_BUDGET.script_bytes}]})
    assert answer.status_code == 413


def test_rules_are_added_read_and_deleted_by_name(admin: InProcessMock) -> None:
    added = admin.request(
        "POST",
        "/__admin/scripts/rules",
        json={"name": "fail", "when": {"command": BEFORE.name}, "respond": {"status": 500}},
    )
    assert added.status_code == 201, added.text
    assert added.headers["location"] == "/__admin/scripts/rules/fail"
    assert admin.deliver(_example(), command=BEFORE.command).status_code == 500
    unnamed = _yaml(admin, "/__admin/scripts/rules", "respond: {status: 503}\n")
    assert unnamed.status_code == 201
    generated = unnamed.json()["rule"]["name"]
    assert [r["name"] for r in admin.request("GET", "/__admin/scripts").json()["rules"]] == ["fail", generated]
    assert admin.request("GET", "/__admin/scripts/rules/fail").json()["rule"]["respond"] == {"status": 500}

    deleted = admin.request("DELETE", "/__admin/scripts/rules/fail")
    assert deleted.status_code == 200 and [r["name"] for r in deleted.json()["rules"]] == [generated]
    assert admin.deliver(_example(), command=BEFORE.command).status_code == 503
    assert admin.request("DELETE", f"/__admin/scripts/rules/{generated}").json()["rules"] == []
    assert admin.deliver(_example(), command=BEFORE.command).status_code == 200


def test_rule_edits_are_refused_naming_the_field_in_the_rule(admin: InProcessMock) -> None:
    assert admin.request("POST", "/__admin/scripts/rules", json={"name": "a", "respond": {}}).status_code == 201
    taken = admin.request("POST", "/__admin/scripts/rules", json={"name": "a", "respond": {}})
    assert taken.status_code == 409 and taken.json()["field"] == "body.name"
    crlf = admin.request("POST", "/__admin/scripts/rules", json={"name": "b", "respond": {"content_type": "a/b\r\n"}})
    assert crlf.status_code == 409 and crlf.json()["field"] == "body.respond.content_type"
    missing = admin.request("DELETE", "/__admin/scripts/rules/nope")
    assert missing.status_code == 404 and missing.json()["field"] == "path.name"
    assert admin.request("GET", "/__admin/scripts/rules/nope").status_code == 404
    assert [r["name"] for r in admin.request("GET", "/__admin/scripts").json()["rules"]] == ["a"]
