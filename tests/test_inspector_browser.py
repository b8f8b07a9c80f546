"""The inspector page in a real browser: Chromium from the system's packages, driven by Playwright.

A mock with two workers serves the page; deliveries are POSTed over real HTTP, so the page's
live feed has to find them in the shared journal whichever worker answered. Every test fails
on a console error or an uncaught exception in the page. The screenshots in docs/ are taken
here, so they show the page as it is.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, expect, sync_playwright

from mockserver.contract import Contract
from mockserver.server.testing import RunningServer, start_server

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LIVE = 1000
"""The page's promise: a delivery shows within a second (milliseconds, for Playwright's expect)."""
TARGET_TOKEN = "target-token"

pytestmark = [pytest.mark.slow, pytest.mark.run_first]  # one Chromium and one mock for the module (see conftest)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "install Chromium: apt-get install -y chromium (see the README's set-up)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def mock() -> Iterator[RunningServer]:
    with start_server(workers=2) as server:
        yield server


@pytest.fixture(scope="module")
def target() -> Iterator[RunningServer]:
    with start_server("--token", TARGET_TOKEN) as server:
        yield server


@pytest.fixture
def refusals() -> set[str]:
    """Paths whose 4xx answers a test provokes on purpose (Chromium logs each as a console error)."""
    return set()


@pytest.fixture
def page(browser: Browser, mock: RunningServer, refusals: set[str]) -> Iterator[Page]:
    mock.reset()
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    opened = context.new_page()
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        provoked = message.text.startswith("Failed to load resource") and any(
            message.location.get("url", "").endswith(path) for path in refusals
        )
        if message.type == "error" and not provoked:
            problems.append(f"console: {message.text} at {message.location.get('url')}")

    def on_error(error: Error) -> None:
        problems.append(f"page error: {error}")

    opened.on("console", on_console)
    opened.on("pageerror", on_error)
    opened.goto(f"{mock.admin_url}/")
    expect(opened.locator("#live")).to_have_text("live")
    yield opened
    context.close()
    assert not problems, problems


def send(server: RunningServer, contract: Contract, command: str, body: Any, **query: str) -> httpx.Response:
    """POST one delivery over a fresh connection (so the workers share them out)."""
    params = {**contract.query_example(command), **query}
    content = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    with httpx.Client(base_url=server.url) as client:
        return client.post(contract.path, params=params, content=content, headers={"Content-Type": "application/json"})


def first_string_in_a_list(document: Any, path: str = "body") -> str | None:
    """The field path of the first string inside an array of objects (for a wrongly typed value)."""
    if isinstance(document, dict):
        for key, value in document.items():
            found = first_string_in_a_list(value, f"{path}.{key}")
            if found:
                return found
    elif isinstance(document, list):
        for index, item in enumerate(document):
            if isinstance(item, dict):
                for key, value in item.items():
                    if isinstance(value, str):
                        return f"{path}[{index}].{key}"
            found = first_string_in_a_list(item, f"{path}[{index}]")
            if found:
                return found
    return None


def set_at(document: Any, path: str, value: Any) -> None:
    """Set the value at a `body.A[0].B` path (one the document has)."""
    steps: list[str | int] = []
    for part in path.split(".")[1:]:
        name, _, rest = part.partition("[")
        steps.append(name)
        steps.extend(int(i) for i in rest.rstrip("]").split("][") if i)
    node = document
    for step in steps[:-1]:
        node = node[step]
    node[steps[-1]] = value


def refused_delivery(contract: Contract) -> tuple[str, dict[str, Any], str]:
    """A command, a body with one wrongly typed field inside a list, and that field's path."""
    for webhook in contract.webhooks:
        body = json.loads(json.dumps(webhook.example().value))
        field = first_string_in_a_list(body)
        if field:
            set_at(body, field, 12345)
            return webhook.command, body, field
    raise AssertionError("no example has a string inside a list of objects")


def shoot(page: Page, name: str) -> None:
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / f"inspector-{name}.png"), full_page=False)


def test_deliveries_appear_live_newest_first(page: Page, mock: RunningServer, contract: Contract) -> None:
    webhooks = contract.webhooks
    for webhook in webhooks:
        assert send(mock, contract, webhook.command, webhook.example().value).status_code == 200
    rows = page.locator("#list li")
    expect(rows).to_have_count(len(webhooks), timeout=LIVE)
    expect(rows.first).to_contain_text(webhooks[-1].command)
    expect(rows.last).to_contain_text(webhooks[0].command)
    workers = {record["worker"] for record in mock.requests()}
    assert len(workers) >= 1
    shoot(page, "list")


def test_the_feed_shows_deliveries_from_every_worker(page: Page, mock: RunningServer, contract: Contract) -> None:
    webhook = contract.webhooks[0]
    sent = 0
    while len({record["worker"] for record in mock.requests()}) < 2 and sent < 40:
        send(mock, contract, webhook.command, webhook.example().value)
        sent += 1
    assert len({record["worker"] for record in mock.requests()}) == 2, "both workers answered"
    expect(page.locator("#list li")).to_have_count(sent, timeout=LIVE)


def test_filters_by_command_verdict_and_time(page: Page, mock: RunningServer, contract: Contract) -> None:
    first, second = contract.webhooks[0], contract.webhooks[1]
    send(mock, contract, first.command, first.example().value)
    send(mock, contract, second.command, second.example().value)
    command, body, _ = refused_delivery(contract)
    assert send(mock, contract, command, body).status_code == 400
    rows = page.locator("#list li")
    expect(rows).to_have_count(3, timeout=LIVE)

    page.select_option("#f-verdict", "invalid")
    expect(rows).to_have_count(1)
    expect(rows.first.locator(".badge")).to_have_text("invalid")
    expect(page.locator("#download")).to_have_attribute("href", "/__admin/export?verdict=invalid")

    page.select_option("#f-verdict", "")
    page.select_option("#f-command", second.command)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(second.command)
    send(mock, contract, first.command, first.example().value)  # live, but filtered out
    send(mock, contract, second.command, second.example().value)
    expect(rows).to_have_count(2, timeout=LIVE)
    expect(rows.nth(1)).to_contain_text(second.command)

    page.select_option("#f-command", "")
    page.fill("#f-since", "2099-01-01T00:00:00")
    page.locator("#f-since").dispatch_event("change")
    expect(rows).to_have_count(0)
    expect(page.locator("#empty")).to_be_visible()
    page.click("#f-clear")
    expect(rows).to_have_count(5)


def test_a_refused_delivery_shows_its_violation_at_the_field(
    page: Page, mock: RunningServer, contract: Contract
) -> None:
    command, body, field = refused_delivery(contract)
    assert send(mock, contract, command, body).status_code == 400
    row = page.locator("#list li").first
    expect(row).to_contain_text("invalid", timeout=LIVE)
    row.click()
    marked = page.locator(f'#detail [data-path="{field}"]')
    expect(marked).to_have_class("node violation")
    expect(marked.locator(".violation-note")).to_contain_text("is not of type 'string'")
    expect(page.locator("#violations")).to_contain_text(field)
    expect(page.locator("#detail")).to_contain_text("400")
    expect(page.locator("#curl")).to_contain_text("curl -sS -X POST")
    page.locator("#violations a").first.click()
    expect(marked).to_be_in_viewport()
    shoot(page, "detail")


def test_the_list_is_keyboard_navigable(page: Page, mock: RunningServer, contract: Contract) -> None:
    for webhook in contract.webhooks[:3]:
        send(mock, contract, webhook.command, webhook.example().value)
    rows = page.locator("#list li")
    expect(rows).to_have_count(3, timeout=LIVE)
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Enter")
    rows.first.focus()
    page.keyboard.press("ArrowDown")
    expect(rows.nth(1)).to_be_focused()
    expect(rows.nth(1)).to_have_attribute("aria-selected", "true")
    expect(page.locator("#detail-title")).to_contain_text(contract.webhooks[1].command)
    page.keyboard.press("j")
    expect(page.locator("#detail-title")).to_contain_text(contract.webhooks[0].command)
    page.keyboard.press("Home")
    expect(rows.first).to_be_focused()


def test_replay_from_the_page_reaches_the_target(
    page: Page, mock: RunningServer, target: RunningServer, contract: Contract
) -> None:
    target.reset()
    webhook = contract.webhooks[0]
    send(mock, contract, webhook.command, webhook.example().value)
    page.locator("#list li").first.click()
    page.fill("#replay-url", f"{target.url}{contract.path}")
    page.fill("#replay-token", TARGET_TOKEN)
    page.click("#replay")
    expect(page.locator("#replay-result")).to_contain_text("delivered")
    assert target.wait_for(1) == 1
    (arrived,) = target.requests()
    assert arrived["verdict"] == "valid"
    assert arrived["signature"] == "valid"  # re-signed with a fresh request time
    assert json.loads(arrived["body"]) == webhook.example().value


def test_the_script_editor_shows_a_load_error_inline(page: Page, contract: Contract, refusals: set[str]) -> None:
    refusals.add("/__admin/scripts")
    expect(page.locator("#script-text")).to_have_value(json.dumps({"rules": []}, indent=2))
    bad = {"rules": [{"when": {"command": contract.webhooks[0].command}, "respond": {"status": 99}}]}
    page.fill("#script-text", json.dumps(bad))
    page.click("#script-load")
    error = page.locator("#script-error")
    expect(error).to_contain_text("Not loaded")
    expect(error).to_contain_text("status")
    shoot(page, "script")
    page.fill("#script-text", '{"rules": [')
    page.click("#script-load")
    expect(error).to_contain_text("body")
    good = {"rules": [{"name": "slow", "when": {"command": contract.webhooks[0].command}, "respond": {"delay_ms": 1}}]}
    page.fill("#script-text", json.dumps(good))
    page.click("#script-load")
    expect(error).to_be_empty()
    expect(page.locator("#script-status")).to_contain_text("Loaded")
    page.click("#script-show")
    expect(page.locator("#script-text")).to_have_value(json.dumps({"rules": good["rules"]}, indent=2))


def test_narrow_window_stacks_the_panes(page: Page, mock: RunningServer, contract: Contract) -> None:
    command, body, _ = refused_delivery(contract)
    send(mock, contract, command, body)
    page.set_viewport_size({"width": 420, "height": 800})
    page.locator("#list li").first.click(timeout=LIVE)
    list_box = page.locator("#list").bounding_box()
    detail_box = page.locator("#detail").bounding_box()
    assert list_box is not None and detail_box is not None
    assert detail_box["y"] > list_box["y"] + list_box["height"] - 1  # stacked, not side by side
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 420, f"the page scrolls sideways ({width}px)"
    shoot(page, "narrow")


def test_reset_empties_the_list_and_the_script(page: Page, mock: RunningServer, contract: Contract) -> None:
    webhook = contract.webhooks[0]
    mock.load_script({"rules": [{"when": {"command": webhook.command}, "respond": {"delay_ms": 1}}]})
    send(mock, contract, webhook.command, webhook.example().value)
    expect(page.locator("#list li")).to_have_count(1, timeout=LIVE)
    page.click("#reset")
    expect(page.locator("#list li")).to_have_count(0)
    expect(page.locator("#detail")).to_contain_text("1 deliveries deleted")
    assert mock.count() == 0
    assert mock.admin.get("/scripts").json()["rules"] == []


def test_with_an_admin_token_the_browser_signs_in_once(browser: Browser, contract: Contract) -> None:
    with start_server(admin_token="s3cret") as server:
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{server.admin_url}/")
        expect(page).to_have_url(f"{server.admin_url}/login")
        page.fill("#token", "wrong")
        page.click("button[type=submit]")
        expect(page.locator(".error")).to_contain_text("not the admin token")
        page.fill("#token", "s3cret")
        page.click("button[type=submit]")
        expect(page.locator("#live")).to_have_text("live")
        webhook = contract.webhooks[0]
        send(server, contract, webhook.command, webhook.example().value)
        expect(page.locator("#list li")).to_have_count(1, timeout=LIVE)
        context.close()

        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{server.admin_url}/?token=s3cret")
        expect(page).to_have_url(f"{server.admin_url}/")  # the token leaves the address bar
        expect(page.locator("#list li")).to_have_count(1)
        context.close()
