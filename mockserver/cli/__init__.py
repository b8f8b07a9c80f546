"""The command-line interface; `main` is the `mockserver` console script."""

from mockserver.cli.main import main

__all__ = ["main"]
