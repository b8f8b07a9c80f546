"""Code generation from the contract: a template context, a Jinja2 renderer and the 3.1 rendering."""

from __future__ import annotations

from mockserver.codegen.context import CodegenContext, build_context
from mockserver.codegen.openapi31 import render_openapi31, to_openapi31
from mockserver.codegen.render import RenderedFile, RenderError, StaleFile, compare, render_package, write

__all__ = [
    "CodegenContext",
    "RenderError",
    "RenderedFile",
    "StaleFile",
    "build_context",
    "compare",
    "render_openapi31",
    "render_package",
    "to_openapi31",
    "write",
]
