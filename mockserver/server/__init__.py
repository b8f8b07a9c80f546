"""`mockserver serve`: the mock app backend (validation, scripted answers, journal, admin API)."""

from mockserver.server.app import MockServer, ServerConfig
from mockserver.server.journal import Journal, Record
from mockserver.server.problems import Problem
from mockserver.server.scripts import Script, ScriptError

__all__ = ["Journal", "MockServer", "Problem", "Record", "Script", "ScriptError", "ServerConfig"]
