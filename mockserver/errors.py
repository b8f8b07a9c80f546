"""The kit's own exceptions: one root, a small tree.

Every error the kit raises on purpose derives from `MockserverError`, so a caller (the CLI, a
test, an embedding program) catches the root once and prints `str(exc)`, which always names
what was wrong and where. Bugs are the only other exceptions that escape.

    MockserverError
    ├── ContractError          the document cannot serve as the contract
    │   └── UnknownCommand     a CallbackCommand (or event name) the contract does not describe
    ├── InputError             something a user supplied cannot be used as given
    │   ├── JSONTextError      a text that is not strict JSON
    │   ├── CaptureError       a capture file that cannot be read
    │   └── ScriptError        a script refused at load, or a rule that failed while answering
    │       └── UnknownRule    no rule of the active script has that name (admin API: 404)
    ├── JournalError           the journal cannot be opened, written or read
    ├── ServerError            a server could not be started
    │   ├── BindError          the address cannot be listened on
    │   └── ServerFailed       a server process did not come up (its stderr in the message)
    ├── RenderError            the templates cannot produce a usable package
    └── Unreachable            a target URL is malformed or nothing answers there

`mockserver.server.problems.Problem` is not in the tree: it is the server's way of turning a
refusal into an HTTP answer, never raised to a caller.
"""

from __future__ import annotations

__all__ = [
    "BindError",
    "CaptureError",
    "ContractError",
    "InputError",
    "JSONTextError",
    "JournalError",
    "MockserverError",
    "RenderError",
    "ScriptError",
    "ServerError",
    "ServerFailed",
    "UnknownCommand",
    "UnknownRule",
    "Unreachable",
]


class MockserverError(Exception):
    """The root of every error the kit raises on purpose."""


class ContractError(MockserverError):
    """The document cannot serve as the kit's contract (missing or malformed piece)."""


class UnknownCommand(ContractError):
    """A CallbackCommand the contract does not describe."""

    def __init__(self, command: object, known: tuple[str, ...], names: tuple[str, ...] = ()) -> None:
        super().__init__(command)
        self.command = command
        self.known = known
        self.names = names
        """The event names of `known`, in the same order (accepted wherever a command is)."""

    def __str__(self) -> str:
        if len(self.names) == len(self.known):
            listed = ", ".join(f"{name} ({known})" for name, known in zip(self.names, self.known, strict=True))
        else:
            listed = ", ".join(self.known)
        return f"unknown CallbackCommand {self.command!r}; the contract knows {listed}"


class InputError(MockserverError):
    """Something a user supplied (a body, a file, a script) cannot be used as given."""


class JSONTextError(InputError):
    """The text is not strict JSON; `str()` is a phrase that completes "the body is ..."."""

    def __init__(self, reason: str, *, truncated: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.truncated = truncated
        """The text looks cut short (it ends inside a string, or where more JSON was expected)."""


class CaptureError(InputError):
    """The capture file itself cannot be read (missing, unreadable, a directory)."""


class ScriptError(InputError):
    """A script that cannot be loaded, or a rule that failed while answering (names the rule and the field)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        """Where in the script, e.g. ``rules[2].respond.headers`` (None: the script as a whole)."""


class UnknownRule(ScriptError):
    """No rule of the active script has that name (rules are addressed by name on the admin API)."""


class JournalError(MockserverError):
    """The journal database cannot be opened, written or read (a missing directory, no permission, a stuck writer)."""


class ServerError(MockserverError):
    """A server could not be started."""


class BindError(ServerError):
    """The address cannot be listened on (in use, not local, not permitted)."""


class ServerFailed(ServerError):
    """The server process did not start (its stderr is in the message)."""


class RenderError(MockserverError):
    """The templates cannot produce a usable package (an unknown override, invalid Python output)."""


class Unreachable(MockserverError):
    """The URL is malformed or nothing answers there: a usage error, not a conformance failure."""
