"""Options every command shares, declared once so that they read and fail alike."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from mockserver.contract import Contract, ContractError, load_contract

__all__ = ["load_spec", "spec_option"]

_F = TypeVar("_F", bound=Callable[..., Any])


def spec_option(purpose: str) -> Callable[[_F], _F]:
    """`--spec FILE`: the contract to `purpose` (the bundled openapi.yaml by default)."""
    return click.option(
        "--spec",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        envvar="MOCKSERVER_SPEC",
        show_envvar=True,
        help=f"Contract to {purpose} (default: the bundled openapi.yaml).",
    )


def load_spec(spec: Path | None) -> Contract:
    """The contract of `--spec`; a file that cannot serve as one is a usage error (exit 2)."""
    try:
        return load_contract(spec)
    except ContractError as exc:
        raise click.BadParameter(str(exc), param_hint="--spec") from None
