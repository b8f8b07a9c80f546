"""The contract is the single source: no Python file outside generated/ names a command or a field.

Names are collected from openapi.yaml itself (commands, query parameters, every property of every
event, element and response schema), and every Python file of the repository is parsed: a string
literal, attribute or keyword argument spelled like one of them is a second source of truth.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockserver.contract import Contract

ROOT = Path(__file__).resolve().parent.parent
SKIP_DIRS = {".venv", "generated", "node_modules", ".git", "build", "dist"}
# RFC 7807 members are the problem format's names, not the webhooks'.
NOT_WEBHOOK_SCHEMAS = {"Problem"}


def _properties(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                yield from value
            yield from _properties(value)
    elif isinstance(node, list):
        for item in node:
            yield from _properties(item)


def forbidden_names(contract: Contract) -> set[str]:
    schemas = contract.document["components"]["schemas"]
    names = set(contract.commands) | {p.name for p in contract.parameters}
    for name, schema in schemas.items():
        if name not in NOT_WEBHOOK_SCHEMAS:
            names |= set(_properties(schema))
    return names


def python_files() -> Iterator[Path]:
    for path in ROOT.rglob("*.py"):
        if not SKIP_DIRS.intersection(path.relative_to(ROOT).parts):
            yield path


def offences(path: Path, names: set[str], commands: set[str]) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        found: str | None = None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value in names or any(command in node.value for command in commands):
                found = node.value
        elif isinstance(node, ast.Attribute) and node.attr in names:
            found = node.attr
        elif isinstance(node, ast.keyword) and node.arg in names:
            found = node.arg
        if found is not None:
            shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
            yield f"{shown}:{getattr(node, 'lineno', '?')}: {found!r}"


def test_forbidden_names_are_collected_from_the_contract(contract: Contract) -> None:
    names = forbidden_names(contract)
    assert set(contract.commands) <= names
    assert contract.command_field in names
    assert contract.signing.signature_parameter in names
    for webhook in contract.webhooks:
        assert set(webhook.response_roles.values()) <= names


def test_detector_catches_a_planted_name(contract: Contract, tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    field = contract.webhooks[0].response_roles["error-code"]
    planted.write_text(f"x = body[{field!r}]\ny = obj.{contract.command_field}\nz = f(**{{}}, {field}=1)\n")
    assert len(list(offences(planted, forbidden_names(contract), set(contract.commands)))) == 3


@pytest.mark.slow  # parses every Python file of the tree
def test_no_python_file_outside_generated_names_the_contract(contract: Contract) -> None:
    names, commands = forbidden_names(contract), set(contract.commands)
    files = list(python_files())
    assert any(p.parts[-2] == "mockserver" for p in files), "the scan must cover the package"
    found = [offence for path in files for offence in offences(path, names, commands)]
    assert not found, "names that belong in openapi.yaml:\n" + "\n".join(found)


def test_templates_do_not_name_commands(contract: Contract) -> None:
    templates = ROOT / "templates"
    found = [
        f"{path.relative_to(ROOT)}: {command}"
        for path in templates.rglob("*")
        if path.is_file()
        for command in contract.commands
        if command in path.read_text(encoding="utf-8", errors="replace")
    ]
    assert not found, found
