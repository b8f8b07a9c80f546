"""The `mockserver` command: a group whose subcommands are imported only when used.

Each subcommand lives in its own module, so `mockserver --help` stays fast and a command's
heavy dependencies (connexion, schemathesis) load only for the command that needs them.
"""

from __future__ import annotations

import importlib
import signal
from typing import Any

import click

from mockserver import __version__

__all__ = ["main"]

_COMMANDS: dict[str, tuple[str, str]] = {
    "fuzz": ("mockserver.cli.fuzz", "Property-test a real webhook backend against the contract and delivery rules."),
    "generate": ("mockserver.cli.generate", "Render typed code (models, server stub, client) from the contract."),
    "replay": ("mockserver.cli.replay", "Send journaled deliveries again to a URL, re-signed, and judge the answers."),
    "send": ("mockserver.cli.send", "Fire one signed webhook at a URL and judge the answer as the Chat backend would."),
    "load": ("mockserver.cli.load", "Load-test a webhook backend on Locust with the simulator's signed traffic."),
    "serve": ("mockserver.cli.serve", "Run the mock app backend: validation, scripted answers, a journal."),
    "simulate": ("mockserver.cli.simulate", "Drive a backend with a stateful simulation of Official Accounts."),
    "validate": ("mockserver.cli.validate", "Check captured deliveries against the contract."),
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in _COMMANDS:
            return None
        module = importlib.import_module(_COMMANDS[cmd_name][0])
        command: click.Command = module.command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_) for name, (_, help_) in sorted(_COMMANDS.items())]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="mockserver")
def main(**_: Any) -> None:
    """Tencent Cloud Chat Official Account webhooks, done right.

    Every command reads one contract, openapi.yaml (the bundled one unless --spec says
    otherwise). Exit codes: 0 success, 1 a check failed, 2 a usage error.
    """
    # A command started as a background job of a non-interactive shell inherits SIGINT ignored,
    # and Python then leaves it ignored: Ctrl-C (or `kill -INT`) would not stop a long run.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
