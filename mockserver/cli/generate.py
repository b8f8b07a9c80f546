"""`mockserver generate`: typed Python code, or the OpenAPI 3.1 rendering, from the contract.

Both subcommands share one contract of behaviour: the output depends only on the contract and
the templates, files are rewritten only when their text changes, and `--check` writes nothing,
prints a unified diff and exits 1 when the output on disk is stale (CI runs it).
"""

from __future__ import annotations

import keyword
import re
import sys
from pathlib import Path

import click
import jinja2
from rich.console import Console

from mockserver.cli.options import load_spec, spec_option
from mockserver.codegen import (
    RenderedFile,
    RenderError,
    build_context,
    compare,
    render_openapi31,
    render_package,
    write,
)
from mockserver.contract import ContractError

__all__ = ["command"]

_SPEC = spec_option("generate from")
_CHECK = click.option(
    "--check", is_flag=True, help="Write nothing; print a unified diff and exit 1 if the output on disk is stale."
)


def _finish(files: list[RenderedFile], out: Path, check: bool, what: str) -> None:
    console = Console(stderr=True, highlight=False)
    if check:
        stale = compare(files, out)
        for item in stale:
            sys.stdout.write(item.diff)
        if stale:
            console.print(f"[red]{len(stale)} stale file(s)[/] in {out}: run `mockserver generate {what}` to update.")
            raise SystemExit(1)
        console.print(f"[green]up to date[/]: {len(files)} file(s) in {out}")
        return
    try:
        written = write(files, out)
    except OSError as exc:
        where = exc.filename or out
        raise click.UsageError(f"cannot write {where}: {exc.strerror or exc}") from None
    console.print(f"{len(written)} of {len(files)} file(s) written to {out}")


@click.group(name="generate")
def command() -> None:
    """Render typed code or the OpenAPI 3.1 view from the contract."""


@command.command(name="python")
@click.option(
    "--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Package directory to write."
)
@click.option("--package", metavar="NAME", help="Import name of the package (default: the --out directory's name).")
@click.option(
    "--templates",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Directory whose *.j2 files replace the kit's templates of the same name (others are kept).",
)
@_CHECK
@_SPEC
def python(out: Path, package: str | None, templates: Path | None, check: bool, spec: Path | None) -> None:
    """Models (msgspec), an ASGI server stub and an httpx client, as one package.

    \b
    mockserver generate python --out generated/oa_webhooks
    mockserver generate python --out generated/oa_webhooks --check
    """
    name = package or out.resolve().name
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) or keyword.iskeyword(name):
        hint = "--package" if package else "--package (or the --out directory's name)"
        raise click.BadParameter(f"{name!r} is not a Python package name", param_hint=hint)
    try:
        files = render_package(build_context(load_spec(spec), name), templates)
    except jinja2.TemplateError as exc:
        where = f" ({exc.filename}:{exc.lineno})" if isinstance(exc, jinja2.TemplateSyntaxError) else ""
        raise click.UsageError(f"template error{where}: {exc}") from None
    except (ContractError, RenderError) as exc:
        raise click.UsageError(str(exc)) from None
    again = f"python --out {out}" + (f" --package {package}" if package else "")
    _finish(files, out, check, again)


@command.command(name="openapi31")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="YAML file to write ('-' for standard output).",
)
@_CHECK
@_SPEC
def openapi31(out: Path, check: bool, spec: Path | None) -> None:
    """The contract as OpenAPI 3.1 with one top-level webhook per command.

    \b
    mockserver generate openapi31 --out generated/openapi-3.1.yaml
    """
    text = render_openapi31(load_spec(spec))
    if str(out) == "-":
        if check:
            raise click.UsageError("--check compares with a file; give --out FILE, not '-'")
        sys.stdout.write(text)
        return
    _finish([RenderedFile(out.name, text)], out.parent, check, f"openapi31 --out {out}")
