"""Scripts that cannot stall the mock, over real HTTP (issue 8's "must survive" cases for scripts).

Before: a nested-loop template froze its worker for good (every delivery and the admin API timed
out, SIGTERM did nothing); a template could render 50 MB; answer headers with CR/LF loaded, and
every matching delivery lost its connection while the journal said 200 `valid`; a 526-byte YAML
alias bomb took gigabytes and never started. Each test asserts the status, the problem's `field`
and what the journal recorded. Only real HTTP shows a frozen event loop and a dropped connection.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockserver.server.testing import RunningServer, start_server
from tests.support.deliveries import contract, deliver

pytestmark = pytest.mark.slow  # script budgets in a real server process

BEFORE = next(w for w in contract.webhooks if w.can_refuse)
OTHER = next(w for w in contract.webhooks if w is not BEFORE)

NESTED_LOOPS = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
ALIAS_BOMB = (
    "rules:\n- respond:\n    invalid: true\n    body:\n"
    '      a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(
        f"      {name}: &{name} [{','.join(f'*{prev}' for _ in range(9))}]\n"
        for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
    )
)
"""Nine levels of nine aliases: 9^9 (387 million) strings once expanded, in about 500 bytes."""


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with start_server() as running:
        yield running


@pytest.fixture
def fresh(server: RunningServer) -> RunningServer:
    server.reset()
    return server


def _example(webhook: Any, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(json.dumps(webhook.example().value))
    return {**body, **extra}


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    return problem


def _only_when(key: str, template: str) -> str:
    """A template that does its work only for deliveries carrying `key` (the examples pass at load)."""
    return f"{{% if body.{key} is defined %}}{template}{{% endif %}}{{}}"


def _post_script(server: RunningServer, script: dict[str, Any] | str) -> httpx.Response:
    if isinstance(script, str):
        return httpx.post(
            f"{server.admin_url}/scripts", content=script.encode(), headers={"content-type": "application/yaml"}
        )
    return httpx.post(f"{server.admin_url}/scripts", json=script)


def _assert_unscripted(server: RunningServer) -> None:
    """The refused script is not active: a delivery gets the default answer and is journaled as such."""
    assert server.admin.get("/scripts").json()["rules"] == []
    answer = deliver(server.url, _example(BEFORE), command=BEFORE.command)
    assert answer.status_code == 200 and answer.json() == dict(BEFORE.default_response)
    assert server.wait_for(1) == 1
    (record,) = server.requests()
    assert (record["status"], record["verdict"], record["rule"], record["errors"]) == (200, "valid", None, [])


# --------------------------------------------------------------------------- templates
def test_a_nested_loop_template_fails_at_its_budget_while_the_worker_serves_others() -> None:
    running = start_server()
    try:
        running.load_script(
            {
                "rules": [
                    {
                        "name": "spin",
                        "when": {"command": BEFORE.command},
                        "respond": {"template": _only_when("zz_spin", NESTED_LOOPS)},
                    }
                ]
            }
        )
        answers: list[httpx.Response] = []
        spinning = threading.Thread(
            target=lambda: answers.append(deliver(running.url, _example(BEFORE, zz_spin=1), command=BEFORE.command))
        )
        spinning.start()
        # Others are answered meanwhile (before the fix, these timed out: the loop was frozen).
        for _ in range(3):
            assert deliver(running.url, _example(OTHER), command=OTHER.command, timeout=5).status_code == 200
            assert running.admin.get("/scripts", timeout=5).status_code == 200
        spinning.join(30)
        problem = _problem(answers[0], 500)
        assert problem["field"] == "script"
        assert "'spin'" in problem["detail"] and "time budget" in problem["detail"]
        assert running.wait_for(4) == 4
        (record,) = running.requests(command=BEFORE.command)
        assert record["status"] == 500
        assert record["errors"][0]["field"] == "script" and "'spin'" in record["errors"][0]["reason"]
        # The same template everywhere is refused at load: it fails on the contract's examples.
        refused = _problem(
            _post_script(running, {"rules": [{"name": "spin", "respond": {"template": NESTED_LOOPS}}]}), 409
        )
        assert refused["field"] == "body.rules[0].respond.template" and "time budget" in refused["detail"]
    finally:
        assert running.stop(timeout=30) == 0  # SIGTERM still stops it (before: only SIGKILL did)
    assert "Traceback" not in running.stderr


def test_a_template_rendering_50_mb_fails_at_its_output_budget(fresh: RunningServer) -> None:
    big = "{% for i in range(100000) %}" + "x" * 500 + "{% endfor %}"  # 50 MB of output
    fresh.load_script({"rules": [{"name": "flood", "respond": {"invalid": True, "template": _only_when("zz", big)}}]})
    problem = _problem(deliver(fresh.url, _example(BEFORE, zz=1), command=BEFORE.command), 500)
    assert problem["field"] == "script"
    assert "'flood'" in problem["detail"] and "output budget" in problem["detail"]
    assert fresh.wait_for(1) == 1
    (record,) = fresh.requests()
    assert record["status"] == 500 and record["errors"][0]["field"] == "script"
    assert len(record["response_body"]) < 10_000
    assert deliver(fresh.url, _example(BEFORE), command=BEFORE.command).status_code == 200


def test_a_template_error_names_the_rule_and_the_line(fresh: RunningServer) -> None:
    template = "{% if body.zz is defined %}\n\n{{ 1 // body.zz }}\n{% endif %}{}"  # line 3 divides
    fresh.load_script(
        {"rules": [{"name": "divide", "when": {"command": BEFORE.command}, "respond": {"template": template}}]}
    )
    problem = _problem(deliver(fresh.url, _example(BEFORE, zz=0), command=BEFORE.command), 500)
    assert problem["field"] == "script"
    assert "rule 'divide' template line 3" in problem["detail"] and "ZeroDivisionError" in problem["detail"]


# ----------------------------------------------------------------------------- headers
@pytest.mark.parametrize(
    ("respond", "field"),
    [
        ({"headers": {"X-Trace": "a\r\nX-Injected: 1"}}, "body.rules[0].respond.headers.X-Trace"),
        ({"headers": {"X-Trace": "a\nb"}}, "body.rules[0].respond.headers.X-Trace"),
        ({"headers": {"X Trace": "a"}}, "body.rules[0].respond.headers"),
        ({"headers": {"X-Trace\r\n": "a"}}, "body.rules[0].respond.headers"),
        ({"headers": {"Content-Length": "1"}}, "body.rules[0].respond.headers"),
        ({"content_type": "text/plain\r\nX-Injected: 1"}, "body.rules[0].respond.content_type"),
        ({"content_type": "not a media type"}, "body.rules[0].respond.content_type"),
    ],
)
def test_answer_headers_http_cannot_carry_are_refused_at_load(
    fresh: RunningServer, respond: dict[str, Any], field: str
) -> None:
    # Before: loaded (201); every matching delivery lost its connection, journaled as 200 `valid`.
    script = {"rules": [{"name": "crlf", "when": {"command": BEFORE.command}, "respond": respond}]}
    problem = _problem(_post_script(fresh, script), 409)
    assert problem["field"] == field
    assert "'crlf'" in problem["detail"]
    _assert_unscripted(fresh)


def test_valid_answer_headers_are_sent(fresh: RunningServer) -> None:
    fresh.load_script(
        {"rules": [{"respond": {"headers": {"X-Trace": "a b\tc"}, "content_type": "application/json; charset=utf-8"}}]}
    )
    answer = deliver(fresh.url, _example(BEFORE), command=BEFORE.command)
    assert answer.status_code == 200
    assert answer.headers["x-trace"] == "a b\tc"
    assert answer.headers["content-type"] == "application/json; charset=utf-8"


# ------------------------------------------------------------------------- YAML aliases
def test_a_yaml_alias_bomb_is_refused_by_the_admin_api(fresh: RunningServer) -> None:
    assert len(ALIAS_BOMB.encode()) < 600
    problem = _problem(_post_script(fresh, ALIAS_BOMB), 409)
    assert problem["field"] == "body" and "alias *a" in problem["detail"]
    _assert_unscripted(fresh)


def test_a_yaml_alias_bomb_stops_the_cli_naming_the_file(tmp_path: Path) -> None:
    script = tmp_path / "bomb.yaml"
    script.write_text(ALIAS_BOMB, encoding="utf-8")
    # Before: more than 2 GB and no start; a cap on the address space turns that into a crash.
    done = subprocess.run(
        [sys.executable, "-m", "mockserver", "serve", "--port", "0", "--script", str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_cap_memory,
    )
    assert done.returncode == 2, done.stderr
    stderr = " ".join(done.stderr.split())
    assert "'--script'" in stderr and str(script) in stderr and "alias *a" in stderr


def test_a_crlf_header_stops_the_cli_naming_the_file_and_the_field(tmp_path: Path) -> None:
    script = tmp_path / "crlf.yaml"
    script.write_text('rules:\n  - name: crlf\n    respond: {headers: {X-Trace: "a\\r\\nX-Injected: 1"}}\n')
    done = subprocess.run(
        [sys.executable, "-m", "mockserver", "serve", "--port", "0", "--script", str(script)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    stderr = " ".join(done.stderr.split())
    assert str(script) in stderr and "rule 'crlf' at rules[0].respond.headers.X-Trace" in stderr


def _cap_memory() -> None:
    import resource

    limit = 2 * 1024**3
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
