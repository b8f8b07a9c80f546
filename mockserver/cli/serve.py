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
@click.option("--sdkappid", metavar="ID", help="Refuse (403) deliveries for any other SDKAppID.")
@click.option(
    "--token", metavar="TOKEN", help="Check signatures with this webhook token (401 when missing, wrong or stale)."
)
@click.option("--admin-token", metavar="TOKEN", help="Require 'Authorization: Bearer TOKEN' on /__admin.")
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
    "--engine",
    type=click.Choice(["direct", "connexion"]),
    default="direct",
    show_default=True,
    help="Route deliveries directly to the prebuilt checks, or through connexion's middleware (same checks, slower).",
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
    engine: str,
    quiet: bool,
) -> None:
    """Serve the webhook contract as a mock app backend.

    Every valid webhook gets its default success answer from the contract unless a script
    says otherwise. Every delivery, valid or not, is journaled; inspect it at /__admin/requests.
    Swagger UI: /ui/ (contract) and /__admin/ui/ (admin API). Stop with Ctrl-C.
    """
    from mockserver.server.app import ServerConfig
    from mockserver.server.runner import serve

    if sdkappid is not None and not sdkappid.isdigit():
        raise click.BadParameter("an SDKAppID is a number", param_hint="--sdkappid")
    contract = load_spec(spec)  # refuse a broken contract before a socket or a journal exists (it stays cached)
    temp_dir = None if journal is not None else tempfile.mkdtemp(prefix="mockserver-")
    journal_path = str(journal) if journal is not None else str(Path(temp_dir or ".") / "journal.sqlite3")
    if not quiet:
        logging.basicConfig(level=logging.INFO, format="%(message)s")
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
        engine="connexion" if engine == "connexion" else "direct",
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
