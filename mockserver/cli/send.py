"""`mockserver send`: deliver one webhook with the kit's sender and show what came back.

The delivery goes through `mockserver.traffic.Sender`, which works from the contract given
(`--spec`) and needs no generated package: the body is checked against the contract before it
is sent, the answer against the webhook's response schema and the vendor's rules, and the
verdict is what the Chat backend would do with it (go on, refuse, drop silently, deliver a
replaced message...).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mockserver.cli.options import load_spec, spec_option
from mockserver.contract import Contract, UnknownCommand, Webhook

if TYPE_CHECKING:  # imported when the command runs: `--help` stays fast
    from mockserver.traffic import Verdict

__all__ = ["command"]


def _body(webhook: Webhook, example: str | None, body: str | None) -> bytes:
    if example is not None and body is not None:
        raise click.UsageError("give --example or --body, not both")
    if body is None:
        try:
            value = webhook.example(example).value
        except KeyError as exc:
            raise click.BadParameter(str(exc.args[0]), param_hint="--example") from None
        return json.dumps(value, ensure_ascii=False).encode()
    if body.startswith("@"):
        try:
            return Path(body[1:]).read_bytes()
        except OSError as exc:
            raise click.BadParameter(f"cannot read {body[1:]}: {exc.strerror}", param_hint="--body") from None
    return body.encode()


def _check_body(contract: Contract, webhook: Webhook, body: bytes) -> None:
    """Refuse a body that is not a valid delivery of `webhook`, naming the field (a usage error, exit 2)."""
    from mockserver.validation import DeliveryValidator

    violations = DeliveryValidator(contract).check_request(contract.query_example(webhook.command), body)
    if violations:
        first = violations[0]
        raise click.BadParameter(f"{first.reason} at {first.field}", param_hint="--body")


def _check_url(url: str) -> None:
    """A URL httpx cannot send to is the user's mistake (exit 2), not a failed delivery (exit 1)."""
    from mockserver.errors import InputError
    from mockserver.traffic.sender import check_url

    try:
        check_url(url)
    except InputError as exc:
        raise click.BadParameter(str(exc), param_hint="--url") from None


@click.command(name="send")
@click.argument("command_name", metavar="COMMAND")
@click.option("--url", required=True, help="The webhook URL to deliver to (the app backend, or `mockserver serve`).")
@click.option("--example", metavar="NAME", help="Send this contract example (default: the webhook's first one).")
@click.option("--body", metavar="JSON|@FILE", help="Send this body instead (JSON text, or @path to a file).")
@click.option("--sdkappid", type=click.IntRange(min=1), help="The SdkAppid to send (default: the contract's example).")
@click.option("--token", help="Sign the delivery with this webhook token (default: unsigned).")
@click.option("--timeout", type=click.FloatRange(min=0.01), help="Seconds to wait (default: the contract's).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON verdict instead of a table.")
@spec_option("send and judge by (no generated package needed)")
def command(
    command_name: str,
    url: str,
    example: str | None,
    body: str | None,
    sdkappid: int | None,
    token: str | None,
    timeout: float | None,
    as_json: bool,
    spec: Path | None,
) -> None:
    """Deliver one webhook to URL the way the Chat backend does, and judge the answer.

    COMMAND is a webhook command or its event name from the contract (--spec: any contract,
    no generated package needed). Exits 0 when the answer is a valid response of that webhook,
    1 when the delivery failed (status, not JSON, contract violation, timeout, connection),
    2 on a usage error.

    \b
    mockserver send BeforeAddSubscriber --url http://127.0.0.1:8080/
    mockserver send BeforeAddSubscriber --url http://127.0.0.1:8080/ --token secret --example BeforeAddSubscriber-rich
    """
    from mockserver.traffic import send_once

    _check_url(url)
    contract = load_spec(spec)
    try:
        webhook = contract.webhook_named(command_name)
    except UnknownCommand as exc:
        raise click.BadParameter(str(exc), param_hint="COMMAND") from None
    content = _body(webhook, example, body)
    _check_body(contract, webhook, content)
    app_param = contract.parameter("app-id")
    app_id = sdkappid if sdkappid is not None else int(app_param.example)
    highest = app_param.schema.get("maximum")
    if isinstance(highest, int) and app_id > highest:
        raise click.BadParameter(f"{app_id} is above the contract's maximum {highest}", param_hint="--sdkappid")
    options: dict[str, Any] = {"contract": contract, "sdk_appid": app_id, "token": token}
    if timeout is not None:
        options["timeout"] = timeout
    verdict = send_once(url, webhook.command, content, **options)
    _report(Console(highlight=False, soft_wrap=True), as_json, url, token is not None, verdict)
    if not verdict.delivered:
        raise SystemExit(1)


def _failure(verdict: Verdict) -> str:
    if verdict.error is not None:
        return verdict.error
    if verdict.status != 200:
        return f"HTTP {verdict.status} (expected 200): {verdict.body[:200]!r}"
    return "the answer violates the contract: " + "; ".join(str(v) for v in verdict.violations)


def _report(console: Console, as_json: bool, url: str, signed: bool, verdict: Verdict) -> None:
    """Print the verdict: the answer of a delivery, or why it failed, and what the Chat backend does."""
    outcome = {
        "allowed": verdict.allowed,
        "action": verdict.outcome,
        "detail": verdict.detail,
        "caller_error": verdict.caller_error,
        "refused": list(verdict.refused),
        "replaced": dict(verdict.replaced),
    }
    if as_json:
        document: dict[str, Any] = {
            "command": verdict.command,
            "url": url,
            "signed": signed,
            "delivered": verdict.delivered,
            "status": verdict.status,
        }
        document["response" if verdict.delivered else "error"] = (
            verdict.answer if verdict.delivered else _failure(verdict)
        )
        document["outcome"] = outcome
        click.echo(json.dumps(document, ensure_ascii=False))
        return
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_row("command", escape(verdict.command))
    table.add_row("url", escape(url))
    table.add_row("signed", "yes" if signed else "no")
    if verdict.status is not None:
        table.add_row("status", f"{verdict.status} in {verdict.elapsed * 1000:.1f} ms")
    if verdict.delivered:
        answer = json.dumps(verdict.answer, ensure_ascii=False, separators=(",", ":"))
        table.add_row("response", escape(f"{verdict.webhook.response_name} {answer}"))
        table.add_row("verdict", "[green]delivered[/]: the answer conforms to the contract")
    else:
        table.add_row("verdict", f"[red]failed[/]: {escape(_failure(verdict))}")
    shown = {"allow": "[green]allowed[/]", "ignored": "[green]ignored[/]", "drop": "[yellow]dropped silently[/]"}
    action = shown.get(verdict.outcome, f"[red]{escape(verdict.outcome)}[/]")
    extra = f" (refused: {escape(', '.join(map(str, verdict.refused)))})" if verdict.refused else ""
    if verdict.caller_error is not None:
        extra += f" (the caller gets error {verdict.caller_error})"
    if verdict.replaced:
        extra += f" (replaced: {escape(', '.join(verdict.replaced))})"
    table.add_row("vendor", f"{action}: {escape(verdict.detail)}{extra}")
    console.print(table)
