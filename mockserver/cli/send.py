"""`mockserver send`: deliver one webhook through the generated client and show what came back.

The delivery goes through `oa_webhooks.client` (the generated, typed client), so this command
is also its everyday user: the body is decoded into the event's class before it is sent, the
answer is decoded into the webhook's response class, and the verdict is the client's outcome
(what the Chat backend would do with the answer).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import click
import msgspec
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mockserver.cli.options import load_spec, spec_option
from mockserver.contract import Contract, UnknownCommand, Webhook

if TYPE_CHECKING:  # the generated package is imported when the command runs: `--help` stays fast
    from oa_webhooks.client import Outcome, Reply

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


def _check_generated(contract: Contract, spec: Path | None) -> None:
    """Refuse a contract the generated client was not made from: it would send and judge another API."""
    from oa_webhooks import CONTRACT_FINGERPRINT

    if contract.fingerprint != CONTRACT_FINGERPRINT:
        raise click.BadParameter(
            f"{spec or 'the bundled contract'} is not the contract oa_webhooks was generated from"
            f" (fingerprint {contract.fingerprint[:12]}, the package's {CONTRACT_FINGERPRINT[:12]});"
            " regenerate it: mockserver generate python --spec FILE --out DIR",
            param_hint="--spec",
        )


def _check_url(url: str) -> None:
    """A URL httpx cannot send to is the user's mistake (exit 2), not a failed delivery (exit 1)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port raises ValueError when it is not a number
    except ValueError as exc:
        raise click.BadParameter(f"{url!r} is not a URL: {exc}", param_hint="--url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter(f"{url!r} is not an http:// or https:// URL", param_hint="--url")


@click.command(name="send")
@click.argument("command_name", metavar="COMMAND")
@click.option("--url", required=True, help="The webhook URL to deliver to (the app backend, or `mockserver serve`).")
@click.option("--example", metavar="NAME", help="Send this contract example (default: the webhook's first one).")
@click.option("--body", metavar="JSON|@FILE", help="Send this body instead (JSON text, or @path to a file).")
@click.option("--sdkappid", type=click.IntRange(min=1), help="The SdkAppid to send (default: the contract's example).")
@click.option("--token", help="Sign the delivery with this webhook token (default: unsigned).")
@click.option("--timeout", type=click.FloatRange(min=0.01), help="Seconds to wait (default: the contract's).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON verdict instead of a table.")
@spec_option("send by (it must be the one oa_webhooks was generated from)")
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

    COMMAND is a webhook command or its event name from the contract. Exits 0 when the answer
    is a valid response of that webhook, 1 when the delivery failed (status, not JSON,
    contract violation, timeout, connection), 2 on a usage error.

    \b
    mockserver send BeforeAddSubscriber --url http://127.0.0.1:8080/
    mockserver send BeforeAddSubscriber --url http://127.0.0.1:8080/ --token secret --example BeforeAddSubscriber-rich
    """
    from oa_webhooks import EVENT_TYPES, PayloadError, decode, encode
    from oa_webhooks.client import DeliveryError, WebhookClient

    _check_url(url)
    contract = load_spec(spec)
    _check_generated(contract, spec)
    try:
        webhook = contract.webhook_named(command_name)
    except UnknownCommand as exc:
        raise click.BadParameter(str(exc), param_hint="COMMAND") from None
    kind = EVENT_TYPES.get(webhook.command)
    if kind is None:  # pragma: no cover - the fingerprint check refuses a package this stale first
        raise click.UsageError(f"the generated package has no {webhook.command}: regenerate it (mockserver generate)")
    try:
        event = decode(_body(webhook, example, body), kind)
    except PayloadError as exc:
        reason = f"{exc.reason} at body.{exc.field}" if exc.field else exc.reason
        raise click.BadParameter(reason, param_hint="--body") from None
    app_param = contract.parameter("app-id")
    app_id = sdkappid if sdkappid is not None else int(app_param.example)
    highest = app_param.schema.get("maximum")
    if isinstance(highest, int) and app_id > highest:
        raise click.BadParameter(f"{app_id} is above the contract's maximum {highest}", param_hint="--sdkappid")
    options: dict[str, Any] = {"sdk_appid": app_id, "token": token}
    if timeout is not None:
        options["timeout"] = timeout
    console = Console(highlight=False, soft_wrap=True)
    with WebhookClient(url, **options) as client:
        try:
            reply = client.send(event)
        except DeliveryError as exc:
            _report(console, as_json, webhook.command, url, token is not None, None, str(exc), exc.outcome)
            raise SystemExit(1) from None
    answer: dict[str, Any] = json.loads(encode(reply.response))
    _report(console, as_json, webhook.command, url, token is not None, reply, answer, reply.outcome)


def _report(
    console: Console,
    as_json: bool,
    command: str,
    url: str,
    signed: bool,
    reply: Reply[Any] | None,
    answer: dict[str, Any] | str,
    outcome: Outcome,
) -> None:
    """Print the verdict: the typed answer of a delivery (`reply`), or why it failed (`answer` is then the error)."""
    if as_json:
        click.echo(
            json.dumps(
                {
                    "command": command,
                    "url": url,
                    "signed": signed,
                    "delivered": reply is not None,
                    "status": reply.status if reply is not None else None,
                    "response" if reply is not None else "error": answer,
                    "outcome": {"allowed": outcome.allowed, "detail": outcome.detail, "refused": list(outcome.refused)},
                },
                ensure_ascii=False,
            )
        )
        return
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_row("command", escape(command))
    table.add_row("url", escape(url))
    table.add_row("signed", "yes" if signed else "no")
    if reply is not None:
        table.add_row("status", f"{reply.status} in {reply.elapsed * 1000:.1f} ms")
        table.add_row(
            "response", escape(f"{type(reply.response).__name__} {msgspec.json.encode(reply.response).decode()}")
        )
        table.add_row("verdict", "[green]delivered[/]: the answer conforms to the contract")
    else:
        table.add_row("verdict", f"[red]failed[/]: {escape(str(answer))}")
    allowed = "[green]allowed[/]" if outcome.allowed else "[red]rejected[/]"
    refused = f" (refused: {escape(', '.join(outcome.refused))})" if outcome.refused else ""
    table.add_row("vendor", f"{allowed}: {escape(outcome.detail)}{refused}")
    console.print(table)
