"""`mockserver serve`: the mock app backend (validation, scripted answers, journal, admin API).

The public names are imported on first use: `mockserver.server.testing` (and the pytest plugin
on top of it) drives a server in a child process and must not pay for connexion here.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockserver.server.app import MockServer, ServerConfig
    from mockserver.server.journal import Journal, Record
    from mockserver.server.problems import Problem
    from mockserver.server.scripts import Script, ScriptError

__all__ = ["Journal", "MockServer", "Problem", "Record", "Script", "ScriptError", "ServerConfig"]

_EXPORTS = {
    "MockServer": "mockserver.server.app",
    "ServerConfig": "mockserver.server.app",
    "Journal": "mockserver.server.journal",
    "Record": "mockserver.server.journal",
    "Problem": "mockserver.server.problems",
    "Script": "mockserver.server.scripts",
    "ScriptError": "mockserver.errors",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mockserver.server' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
