"""`mockserver serve`: the mock app backend (validation, scripted answers, journal, admin API)."""

import warnings

# connexion imports Starlette's test client, which warns about httpx at import time; users of
# `mockserver.server.testing` and the pytest plugin would see it on every run, about nothing.
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")

from mockserver.server.app import MockServer, ServerConfig  # noqa: E402
from mockserver.server.journal import Journal, Record  # noqa: E402
from mockserver.server.problems import Problem  # noqa: E402
from mockserver.server.scripts import Script, ScriptError  # noqa: E402

__all__ = ["Journal", "MockServer", "Problem", "Record", "Script", "ScriptError", "ServerConfig"]
