"""`mockserver serve`: run the mock app backend."""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

import click

from mockserver.cli.options import load_spec, spec_option
from mockserver.errors import BindError, JournalError, MockserverError, ScriptError

__all__ = ["command"]


@click.command(name="serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port",
    default=8080,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port (0: any free port, printed when ready).",
)
@spec_option("serve")
@click.option(
    "--script",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML/JSON script of rules for the answers.",
)
@click.option(
    "--sdkappid",
    metavar="ID",
    envvar="MOCKSERVER_SDKAPPID",
    show_envvar=True,
    help="Refuse (403) deliveries for any other SDKAppID.",
)
@click.option(
    "--token",
    metavar="TOKEN",
    envvar="MOCKSERVER_TOKEN",
    show_envvar=True,
    help="Check signatures with this webhook token (401 when missing, wrong or stale).",
)
@click.option(
    "--admin-token",
    metavar="TOKEN",
    envvar="MOCKSERVER_ADMIN_TOKEN",
    show_envvar=True,
    help="Require 'Authorization: Bearer TOKEN' (or the inspector's login) on /__admin.",
)
@click.option(
    "--forward-to",
    metavar="BACKEND_URL",
    help="Forward each conforming delivery no script rule answers to BACKEND_URL (your local backend) and pass"
    " its answer back, checked against the contract.",
)
@click.option(
    "--forward-token",
    metavar="TOKEN",
    envvar="MOCKSERVER_FORWARD_TOKEN",
    show_envvar=True,
    help="Re-sign forwarded deliveries with this token (default: forward the query as it arrived).",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="One log line per delivery as text, or as one JSON object (time, command, verdict, status, field, rule,"
    " latency, forward).",
)
@click.option(
    "--journal",
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite journal file (default: a temporary database, removed at exit).",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes sharing the port and the journal.",
)
@click.option(
    "--max-body",
    default=None,
    type=click.IntRange(1),
    help="Largest body accepted, in bytes (413 beyond). Default: the contract's x-delivery.maxBodyBytes.",
)
@click.option(
    "--max-hang",
    "max_hang_ms",
    default=10_000,
    show_default=True,
    type=click.IntRange(0),
    help="Upper bound of scripted hangs and delays, in milliseconds.",
)
@click.option(
    "--body-timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0, min_open=True),
    help="Seconds a sender has to send the whole body once the headers are in (408 beyond).",
)
@click.option(
    "--header-timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0, min_open=True),
    help="Seconds a sender has to send the request line and headers (408 beyond; silent connections are closed).",
)
@click.option(
    "--max-header",
    default=64 * 1024,
    show_default=True,
    type=click.IntRange(1024),
    help="Largest request line plus headers, in bytes (414 or 431 beyond).",
)
@click.option("--quiet", "-q", is_flag=True, help="No log line per delivery.")
def command(
    host: str,
    port: int,
    spec: Path | None,
    script: Path | None,
    sdkappid: str | None,
    token: str | None,
    admin_token: str | None,
    journal: Path | None,
    workers: int,
    max_body: int | None,
    max_hang_ms: int,
    body_timeout: float,
    header_timeout: float,
    max_header: int,
    forward_to: str | None,
    forward_token: str | None,
    log_format: str,
    quiet: bool,
) -> None:
    """Serve the webhook contract as a mock app backend.

    Every valid webhook gets its default success answer from the contract unless a script
    says otherwise. Every delivery, valid or not, is journaled; watch it live at /__admin/ in a
    browser, or read it as JSON at /__admin/requests.
    Swagger UI: /ui/ (contract) and /__admin/ui/ (admin API). Stop with Ctrl-C.
    """
    from mockserver.server.app import ServerConfig
    from mockserver.server.runner import serve

    if sdkappid is not None and not sdkappid.isdigit():
        raise click.BadParameter("an SDKAppID is a number", param_hint="--sdkappid")
    if forward_to is not None:
        from mockserver.traffic.sender import check_url

        try:
            check_url(forward_to)
        except MockserverError as exc:
            raise click.BadParameter(str(exc), param_hint="--forward-to") from None
    contract = load_spec(spec)  # refuse a broken contract before a socket or a journal exists (it stays cached)
    temp_dir = None if journal is not None else tempfile.mkdtemp(prefix="mockserver-")
    journal_path = str(journal) if journal is not None else str(Path(temp_dir or ".") / "journal.sqlite3")
    if not quiet:
        logging.basicConfig(level=logging.INFO, format="%(message)s")
        logging.getLogger("httpx").setLevel(logging.WARNING)  # forwarding: the delivery line says it all
    config = ServerConfig(
        journal=journal_path,
        spec=str(spec) if spec else None,
        script=str(script) if script else None,
        sdkappid=sdkappid,
        token=token,
        admin_token=admin_token,
        max_body=max_body if max_body is not None else contract.max_body_bytes,
        max_hang_ms=max_hang_ms,
        body_timeout=body_timeout,
        header_timeout=header_timeout,
        max_header=max_header,
        forward_to=forward_to,
        forward_token=forward_token,
        log_format=log_format,
        quiet=quiet,
    )
    try:
        serve(config, host=host, port=port, workers=workers)
    except ScriptError as exc:
        raise click.BadParameter(f"{script} is refused: {exc}", param_hint="'--script'") from None
    except MockserverError as exc:
        raise _usage_error(exc) from None
    except OSError as exc:
        raise click.ClickException(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None
    finally:
        if temp_dir is not None:
            shutil.rmtree(temp_dir, ignore_errors=True)


def _usage_error(exc: MockserverError) -> click.ClickException:
    """The kit's error as the option it blames (exit 2), or as a plain failure (exit 1)."""
    if isinstance(exc, JournalError):
        return click.BadParameter(str(exc), param_hint="--journal")
    if isinstance(exc, BindError):
        return click.BadParameter(str(exc), param_hint="--host/--port")
    return click.ClickException(str(exc))
