"""Rendering: a strict, deterministic Jinja2 environment over the template context.

`StrictUndefined` turns a typo in a template into an error instead of an empty string, and the
output depends only on the contract and the templates (no timestamps, contract order), so
`--check` can compare it byte for byte with a checked-in copy. A user overrides one template by
putting a file of the same name in `--templates DIR`; the others still come from the kit.
"""

from __future__ import annotations

import ast
import difflib
import re
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import jinja2

from mockserver.codegen.context import CodegenContext, py_literal, snake_case
from mockserver.errors import RenderError

__all__ = [
    "LINE_LENGTH",
    "RenderError",
    "RenderedFile",
    "StaleFile",
    "bundled_templates_dir",
    "compare",
    "make_environment",
    "render_package",
    "write",
]

LINE_LENGTH = 120
"""The width the generated code is laid out for (the kit's ruff line length)."""


@dataclass(frozen=True)
class RenderedFile:
    """One output file, relative to the output directory."""

    path: str
    text: str


@dataclass(frozen=True)
class StaleFile:
    """A file whose checked-in text differs from what the generator renders now."""

    path: str
    diff: str


def bundled_templates_dir(language: str = "python") -> Path:
    """The kit's templates: inside the package in a wheel, at the repository root in a checkout."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "templates" / language
    if packaged.is_dir():
        return packaged
    return here.parent / "templates" / language


# ---------------------------------------------------------------------------- filters
def _docstring(text: str, indent: int = 0, width: int = LINE_LENGTH - 20) -> str:
    """Wrap `text` into the body of a docstring (no quotes), indented for its block."""
    pad = " " * indent
    paragraphs = [" ".join(p.split()) for p in text.replace("\r", "").split("\n\n")]
    lines: list[str] = []
    for paragraph in paragraphs:
        if not paragraph:
            continue
        if lines:
            lines.append("")
        lines.extend(textwrap.wrap(paragraph, width=max(width - indent, 40), break_long_words=False))
    text_ = "\n".join(f"{pad}{line}" if line else "" for line in lines)
    return text_.replace("\\", "\\\\").replace('"""', '\\"\\"\\"').lstrip()


def _comment(text: str, indent: int = 0, width: int = LINE_LENGTH - 20) -> str:
    pad = " " * indent
    wrapped = textwrap.wrap(" ".join(text.split()), width=max(width - indent - 2, 40), break_long_words=False)
    return "\n".join(f"{pad}# {line}" for line in wrapped).lstrip()


def _split_top_level(inner: str, separator: str = ",") -> list[str]:
    parts, depth, start, quoted = [], 0, 0, False
    index = 0
    while index < len(inner):
        char = inner[index]
        if char == '"' and (index == 0 or inner[index - 1] != "\\"):
            quoted = not quoted
        elif not quoted and char in "([{":
            depth += 1
        elif not quoted and char in ")]}":
            depth -= 1
        elif not quoted and depth == 0 and inner.startswith(separator, index):
            parts.append(inner[start:index].strip())
            start = index + len(separator)
            index = start
            continue
        index += 1
    parts.append(inner[start:].strip())
    return [p for p in parts if p]


def _def_parameters(line: str) -> tuple[str, str, str] | None:
    """Split ``def name(params) -> R:`` at its parameter list."""
    match = re.match(r"(\s*(?:async )?def \w+\()(.*)(\)(?: -> .+)?:)$", line)
    return (match.group(1), match.group(2), match.group(3)) if match else None


def _last_bracket(line: str) -> tuple[str, str, str] | None:
    """Split ``head(inner)tail`` at the bracket pair that closes at the end of the line."""
    if line.lstrip().startswith(("def ", "async def ")):
        return _def_parameters(line)
    tail = ":" if line.endswith("):") else ""
    body = line[: len(line) - len(tail)]
    if not body or body[-1] not in ")]":
        return None
    depth, quoted = 0, False
    for index in range(len(body) - 1, -1, -1):
        char = body[index]
        if char == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif char in ")]}":
            depth += 1
        elif char in "([{":
            depth -= 1
            if depth == 0:
                return body[: index + 1], body[index + 1 : -1], body[-1] + tail
    return None


def _fit(line: str, indent: int = 0) -> str:
    """Lay out one statement as ruff format does when it is longer than the line length.

    The generated code must be clean without a formatter run, so the few shapes the templates
    produce are laid out here the way ruff lays them out: a too-long bracket is split with its
    contents on one indented line if they fit, else one item per line with a trailing comma; a
    too-long right-hand side whose bracket cannot be split is wrapped in parentheses.
    """
    if len(line) + indent <= LINE_LENGTH:
        return line
    if line.endswith(","):
        return _fit(line[:-1], indent) + ","
    pad, inner_pad = " " * indent, " " * (indent + 4)
    split = _last_bracket(line)
    if split is not None and len(split[0]) + indent <= LINE_LENGTH:
        head, inner, closing = split
        if len(inner) + indent + 4 <= LINE_LENGTH:
            return f"{head}\n{inner_pad}{inner}\n{pad}{closing}"
        body = "".join(f"{inner_pad}{part},\n" for part in _split_top_level(inner))
        return f"{head}\n{body}{pad}{closing}"
    if " = " in line:
        left, right = line.split(" = ", 1)
        return f"{left} = (\n{inner_pad}{right}\n{pad})"
    return line


def _fit_union(left: str, members: list[str], indent: int = 0) -> str:
    """``left = A | B | C`` laid out like ruff: one line, one parenthesized line, or one member a line."""
    joined = " | ".join(members)
    line = f"{left} = {joined}"
    if len(line) + indent <= LINE_LENGTH:
        return line
    pad, inner_pad = " " * indent, " " * (indent + 4)
    if len(joined) + indent + 4 <= LINE_LENGTH:
        return f"{left} = (\n{inner_pad}{joined}\n{pad})"
    body = f"\n{inner_pad}| ".join(members)
    return f"{left} = (\n{inner_pad}{body}\n{pad})"


def _py_bytes(value: str) -> str:
    """A bytes literal for ASCII text; otherwise the text literal encoded at import time."""
    return f"b{py_literal(value)}" if value.isascii() else f"{py_literal(value)}.encode()"


def _sort_all(names: Iterable[str]) -> list[str]:
    """Sort names the way ruff's RUF022 wants ``__all__``: CONSTANTS, then Classes, then functions."""
    return sorted(set(names), key=lambda n: (0 if n.isupper() else 1 if n[:1].isupper() else 2, n))


def _snake_upper(name: str) -> str:
    return snake_case(name).upper()


def make_environment(templates: Path | None = None, language: str = "python") -> jinja2.Environment:
    """The Jinja2 environment: user templates (if any) shadow the kit's, file by file."""
    loaders: list[jinja2.BaseLoader] = []
    if templates is not None:
        loaders.append(jinja2.FileSystemLoader(str(templates)))
    loaders.append(jinja2.FileSystemLoader(str(bundled_templates_dir(language))))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["py"] = py_literal
    env.filters["pybytes"] = _py_bytes
    env.filters["docstring"] = _docstring
    env.filters["comment"] = _comment
    env.filters["fit"] = _fit
    env.filters["fit_union"] = _fit_union
    env.filters["sort_all"] = _sort_all
    env.filters["upper_snake"] = _snake_upper
    env.filters["re_escape"] = re.escape
    return env


def _template_names(env: jinja2.Environment) -> list[str]:
    names = env.list_templates(filter_func=lambda name: name.endswith(".j2") and "/" not in name)
    return sorted(set(names))


def _is_partial(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _check_overrides(templates: Path) -> None:
    """An override must replace a kit template (or be a ``_partial.j2``): a typo would otherwise be ignored."""
    kit = set(_template_names(make_environment(None)))
    names = sorted(path.name for path in templates.glob("*.j2"))
    if not names:
        raise RenderError(f"{templates} holds no *.j2 template to override the kit's ({', '.join(sorted(kit))})")
    unknown = [name for name in names if name not in kit and not _is_partial(name)]
    if unknown:
        raise RenderError(
            f"{', '.join(unknown)} in {templates} would not replace any kit template; "
            f"the kit's are {', '.join(sorted(kit))} (name partials _name.j2)"
        )


def _check_python(rendered: RenderedFile, template: str) -> None:
    """Generated Python must at least parse: a broken override is reported here, not at import time."""
    try:
        ast.parse(rendered.text, filename=rendered.path)
    except SyntaxError as exc:
        where = f"{rendered.path}:{exc.lineno}" if exc.lineno else rendered.path
        raise RenderError(f"{template} renders invalid Python ({where}: {exc.msg})") from None


def render_package(context: CodegenContext, templates: Path | None = None) -> list[RenderedFile]:
    """Render every ``*.j2`` template into ``<name without .j2>``; ``_name.j2`` files are partials."""
    if templates is not None:
        _check_overrides(templates)
    env = make_environment(templates)
    files: list[RenderedFile] = []
    for name in _template_names(env):
        if _is_partial(name):
            continue
        text = env.get_template(name).render(ctx=context)
        rendered = RenderedFile(name.removesuffix(".j2"), text)
        if rendered.path.endswith(".py"):
            _check_python(rendered, name)
        files.append(rendered)
    return files


def _read(target: Path) -> str | None:
    """The text on disk (undecodable bytes replaced, so a corrupt file is merely stale), or None."""
    if not target.is_file():
        return None
    return target.read_bytes().decode("utf-8", "replace")


def compare(files: Iterable[RenderedFile], out: Path) -> list[StaleFile]:
    """The files under `out` that differ from `files` (missing ones included), as unified diffs."""
    stale: list[StaleFile] = []
    for rendered in files:
        target = out / rendered.path
        on_disk = _read(target)
        if on_disk == rendered.text:
            continue
        diff = "".join(
            difflib.unified_diff(
                (on_disk or "").splitlines(keepends=True),
                rendered.text.splitlines(keepends=True),
                fromfile=f"{target} (on disk)" if on_disk is not None else "/dev/null",
                tofile=f"{target} (generated)",
            )
        )
        stale.append(StaleFile(str(target), diff))
    return stale


def write(files: Iterable[RenderedFile], out: Path) -> list[Path]:
    """Write `files` under `out`, touching only those whose text changed; return what was written.

    Raises `OSError` (with the path) when the directory or a file cannot be written.
    """
    written: list[Path] = []
    for rendered in files:
        target = out / rendered.path
        target.parent.mkdir(parents=True, exist_ok=True)
        if _read(target) == rendered.text:
            continue
        target.write_bytes(rendered.text.encode("utf-8"))
        written.append(target)
    return written
