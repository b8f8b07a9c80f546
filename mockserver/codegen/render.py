"""Rendering: a strict, deterministic Jinja2 environment over the template context, then ruff.

`StrictUndefined` turns a typo in a template into an error instead of an empty string, and the
output depends only on the contract, the templates and ruff's version (no timestamps, contract
order), so `--check` can compare it byte for byte with a checked-in copy. Templates are plain
Python with Jinja2 blocks; the rendered modules are laid out by the formatter step
(`mockserver.codegen.formatter`), so no template wraps a line or sorts a list. A user overrides
one template by putting a file of the same name in `--templates DIR`; the others still come
from the kit.
"""

from __future__ import annotations

import ast
import difflib
import re
import textwrap
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import jinja2

from mockserver.codegen.context import CodegenContext, py_literal
from mockserver.codegen.formatter import LINE_LENGTH, format_python
from mockserver.errors import RenderError

__all__ = [
    "RenderError",
    "RenderedFile",
    "StaleFile",
    "bundled_templates_dir",
    "compare",
    "render_package",
    "write",
]


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


def _py_bytes(value: str) -> str:
    """A bytes literal for ASCII text; otherwise the text literal encoded at import time."""
    return f"b{py_literal(value)}" if value.isascii() else f"{py_literal(value)}.encode()"


class _CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates, kept in memory for the life of the process.

    Each `generate` builds a new environment (the override directory may differ), and parsing
    and compiling the kit's templates is most of a run's Jinja2 time (about 10 ms a template).
    Jinja2 keys a bucket by the template's name and file and checks the source's checksum before
    using it, so an edited template is compiled again. Its key holds neither the environment's
    options nor its filters, which the compiled code depends on: every environment given this
    cache is made by `_environment`, with one set of both, so one compiled form fits them all.
    Override directories differ from run to run (a temporary one each time, say), so it keeps
    the `LIMIT` templates stored last, not every one it has seen.
    """

    LIMIT = 64

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with self._lock:
            code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = bucket.bytecode_to_string()
        with self._lock:
            self._code.pop(bucket.key, None)
            self._code[bucket.key] = code
            while len(self._code) > self.LIMIT:
                del self._code[next(iter(self._code))]


_COMPILED = _CompiledTemplates()


def _environment(templates: Path | None = None, language: str = "python") -> jinja2.Environment:
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
        bytecode_cache=_COMPILED,
    )
    env.filters["py"] = py_literal
    env.filters["pybytes"] = _py_bytes
    env.filters["docstring"] = _docstring
    env.filters["re_escape"] = re.escape
    return env


def _template_names(env: jinja2.Environment) -> list[str]:
    names = env.list_templates(filter_func=lambda name: name.endswith(".j2") and "/" not in name)
    return sorted(set(names))


def _is_partial(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _check_overrides(templates: Path) -> None:
    """An override must replace a kit template (or be a ``_partial.j2``): a typo would otherwise be ignored."""
    kit = set(_template_names(_environment(None)))
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


def _where(exc: BaseException, name: str) -> str:
    """``template:line`` of the innermost template frame of `exc` (Jinja2 maps its frames to template lines)."""
    where = name
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            where = f"{Path(filename).name}:{tb.tb_lineno}"
        tb = tb.tb_next
    return where


def render_package(context: CodegenContext, templates: Path | None = None) -> list[RenderedFile]:
    """Render every ``*.j2`` template into ``<name without .j2>``, then lay out the Python ones with ruff.

    ``_name.j2`` files are partials (for ``{% include %}`` and ``{% import %}``), not rendered.
    """
    if templates is not None:
        _check_overrides(templates)
    env = _environment(templates)
    files: list[RenderedFile] = []
    for name in _template_names(env):
        if _is_partial(name):
            continue
        try:
            text = env.get_template(name).render(ctx=context)
        except jinja2.TemplateSyntaxError:
            raise
        except jinja2.TemplateError as exc:
            raise RenderError(f"{_where(exc, name)}: {exc}") from None
        rendered = RenderedFile(name.removesuffix(".j2"), text)
        if rendered.path.endswith(".py"):
            _check_python(rendered, name)
        files.append(rendered)
    formatted = format_python({f.path: f.text for f in files if f.path.endswith(".py")})
    return [replace(f, text=formatted[f.path]) if f.path in formatted else f for f in files]


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
