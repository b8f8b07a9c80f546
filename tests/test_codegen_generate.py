"""The generator: the checked-in output is current, rendering is deterministic, overrides work.

The CLI runs in process (`CliRunner`, from the repository root as CI does); test_cli_options runs
`mockserver generate` once as a subprocess.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import jinja2
import pytest

from mockserver.codegen import CodegenContext, RenderError, build_context, render_package
from mockserver.codegen.context import PrefixCheck
from mockserver.codegen.formatter import LINE_LENGTH, format_python
from mockserver.codegen.render import _CompiledTemplates
from mockserver.contract import Contract, load_contract
from tests.support.cli import Ran, run_cli

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "generated" / "oa_webhooks"
SPEC31 = ROOT / "generated" / "openapi-3.1.yaml"


def run(*args: str | Path) -> Ran:
    return run_cli("generate", *args)


def test_checked_in_package_is_not_stale() -> None:
    result = run("python", "--out", PACKAGE, "--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_checked_in_openapi31_is_not_stale() -> None:
    result = run("openapi31", "--out", SPEC31, "--check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_reports_a_stale_file_with_a_diff_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "oa_webhooks"
    shutil.copytree(PACKAGE, out)
    models = out / "models.py"
    edited = models.read_text(encoding="utf-8").replace("class ", "class Edited", 1)
    models.write_text(edited, encoding="utf-8")
    (out / "client.py").unlink()
    result = run("python", "--out", out, "--check")
    assert result.returncode == 1
    assert "+++" in result.stdout and "-class Edited" in result.stdout
    assert "client.py" in result.stdout
    assert models.read_text(encoding="utf-8") == edited, "--check must not write"
    assert not (out / "client.py").exists()


@pytest.mark.slow  # two generations, each formatted by ruff (another program)
def test_generation_is_deterministic_and_matches_the_checked_in_copy(tmp_path: Path) -> None:
    first, second = tmp_path / "a" / "oa_webhooks", tmp_path / "b" / "oa_webhooks"
    assert run("python", "--out", first).returncode == 0
    assert run("python", "--out", second).returncode == 0
    names = sorted(p.name for p in first.iterdir())
    # (the checked-in copy is imported by tests: Python may have cached its bytecode beside it)
    assert names == sorted(p.name for p in PACKAGE.iterdir() if p.name != "__pycache__")
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes() == (PACKAGE / name).read_bytes()
    again = run("python", "--out", first)
    assert "0 of" in again.stderr, "an unchanged file must not be rewritten"


def test_package_name_is_used_in_the_output(tmp_path: Path) -> None:
    out = tmp_path / "somewhere"
    assert run("python", "--out", out, "--package", "acme_hooks").returncode == 0
    assert "acme_hooks.client" in (out / "__init__.py").read_text(encoding="utf-8")
    bad = run("python", "--out", out, "--package", "not-a-name")
    assert bad.returncode == 2 and "--package" in bad.stderr


def test_one_template_can_be_overridden(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "__init__.py.j2").write_text('"""Custom package {{ ctx.package }}."""\n', encoding="utf-8")
    out = tmp_path / "oa_webhooks"
    assert run("python", "--out", out, "--templates", templates).returncode == 0
    assert (out / "__init__.py").read_text(encoding="utf-8") == '"""Custom package oa_webhooks."""\n'
    assert (out / "models.py").read_bytes() == (PACKAGE / "models.py").read_bytes()
    # Compiled templates are kept for the process (render._CompiledTemplates): an edit still shows.
    (templates / "__init__.py.j2").write_text('"""Edited {{ ctx.package }}."""\n', encoding="utf-8")
    assert run("python", "--out", out, "--templates", templates).returncode == 0
    assert (out / "__init__.py").read_text(encoding="utf-8") == '"""Edited oa_webhooks."""\n'


def test_a_template_typo_is_an_error_not_an_empty_string(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "py.typed.j2").write_text("{{ ctx.no_such_thing }}\n", encoding="utf-8")
    result = run("python", "--out", tmp_path / "out", "--templates", templates)
    assert result.returncode == 2
    assert "no_such_thing" in result.stderr
    assert "py.typed.j2:1" in result.stderr, "the template and the line are named"
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [(), ("python",), ("openapi31",)])
def test_help(args: tuple[str, ...]) -> None:
    result = run(*args, "--help")
    assert result.returncode == 0 and "Usage" in result.stdout


def test_context_names_come_from_the_contract(contract: Contract) -> None:
    context = build_context(contract, "pkg")
    assert [w.command for w in context.webhooks] == list(contract.commands)
    assert [w.response for w in context.webhooks] == [w.response_name for w in contract.webhooks]
    assert {m.tag for m in context.event_union.members} == set(contract.commands)
    assert context.event_union.tag_field == contract.command_field
    for webhook in context.webhooks:
        struct = context.struct(webhook.event)
        schema = contract.resolve(f"#/components/schemas/{webhook.event}")
        wire = [name for name in schema["properties"] if name != contract.command_field]
        assert [f.wire_name for f in struct.fields] == wire
        assert all(f.python_name == f.python_name.lower() for f in struct.fields)
        assert {f.wire_name for f in struct.fields if f.required} == set(schema["required"]) - {contract.command_field}
    files = {f.path for f in render_package(context)}
    assert {"__init__.py", "models.py", "server.py", "client.py", "signing.py", "py.typed"} <= files


@pytest.mark.parametrize(
    ("pattern", "prefix", "min_rest"),
    [("^ab_#.+", "ab_#", 1), ("^ab.*", "ab", 0), ("^a\\.b", "a.b", 0), ("^x-y", "x-y", 0)],
)
def test_a_prefix_only_pattern_becomes_a_prefix_check(pattern: str, prefix: str, min_rest: int) -> None:
    check = PrefixCheck.parse(pattern)
    assert check is not None
    assert (check.prefix, check.min_rest) == (prefix, min_rest)


@pytest.mark.parametrize("pattern", ["^ab+", "^[Jj]", "^a$", "^a.b", "^a\\d", "a", "^a|b", "^(a)", "^a{2}", "^a.?"])
def test_any_other_pattern_keeps_its_regex(pattern: str) -> None:
    assert PrefixCheck.parse(pattern) is None


def test_the_formatter_step_lays_out_sorts_and_is_stable() -> None:
    names = [f"name_{i:02d}" for i in range(20)]
    source = (
        "import sys\nimport abc\n\n"
        f"__all__ = [{', '.join(repr(n) for n in reversed(names))}]\n"
        f"{'; '.join(f'{n} = {i}' for i, n in enumerate(names))}\n"
        "print(abc, sys)\n"
    )
    formatted = format_python({"pkg/mod.py": source})["pkg/mod.py"]
    assert max(len(line) for line in formatted.splitlines()) <= LINE_LENGTH
    assert formatted.index("import abc") < formatted.index("import sys")
    listed = [line.strip().strip('",') for line in formatted.splitlines() if line.startswith('    "name_')]
    assert listed == names, "__all__ is sorted by the formatter step"
    assert format_python({"pkg/mod.py": formatted})["pkg/mod.py"] == formatted


def test_a_ruff_configuration_around_the_run_cannot_change_the_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    line = f'value = [{", ".join(str(i) for i in range(20))}, "text"]\n'
    assert format_python({"m.py": line})["m.py"] == line
    config = '[tool.ruff]\nline-length = 40\n\n[tool.ruff.format]\nquote-style = "single"\n'
    (tmp_path / "pyproject.toml").write_text(config, encoding="utf-8")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the formatter's scratch directory is under it
    monkeypatch.chdir(tmp_path)
    assert format_python({"m.py": line})["m.py"] == line


def test_code_ruff_cannot_parse_is_a_render_error() -> None:
    with pytest.raises(RenderError, match="ruff"):
        format_python({"broken.py": "def (:\n"})


def test_an_override_template_is_laid_out_too(tmp_path: Path, context: CodegenContext) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "__init__.py.j2").write_text(
        '"""{{ ctx.package }}."""\n\nfrom .models import *  # noqa: F403\n\n'
        "__all__ = [{% for w in ctx.webhooks %}{{ w.event | py }}, {% endfor %}]\n",
        encoding="utf-8",
    )
    init = next(f for f in render_package(context, templates) if f.path == "__init__.py")
    events = sorted(w.event for w in context.webhooks)
    assert init.text.startswith('"""pkg."""\n')
    assert [line.strip().strip('",') for line in init.text.splitlines() if line.startswith("    ")] == events
    assert max(len(line) for line in init.text.splitlines()) <= LINE_LENGTH


@pytest.fixture(scope="module")
def context() -> CodegenContext:
    return build_context(load_contract(), "pkg")


def test_the_compiled_template_cache_keeps_a_bounded_number() -> None:
    """Each run's override directory may be new (a temporary one, say): the cache must not keep them all."""
    cache = _CompiledTemplates()
    count = cache.LIMIT + 10
    sources = {f"t{i}.j2": f"{{{{ {i} }}}}" for i in range(count)}
    for _ in range(2):  # the second environment reads back what the first stored, where it was kept
        env = jinja2.Environment(loader=jinja2.DictLoader(sources), bytecode_cache=cache)
        assert [env.get_template(f"t{i}.j2").render() for i in range(count)] == [str(i) for i in range(count)]
    assert len(cache._code) == cache.LIMIT
