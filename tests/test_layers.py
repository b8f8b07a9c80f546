"""The package's layers: the contract at the bottom, the CLI at the top, no import cycles.

Every import between the package's modules is read from the source (imports under
`TYPE_CHECKING` excepted: they never run). A module may import from its own part or from a
lower layer, never from a higher one; and no chain of imports leads back to where it started.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "mockserver"

LAYERS: dict[str, int] = {
    "errors": -1,
    "contract": 0,
    "flow": 1,
    "jsontext": 0,
    "query": 0,
    "schema": 1,
    "signing": 1,
    "captures": 1,
    "responses": 2,
    "validation": 3,
    "traffic": 4,
    "server": 5,
    "codegen": 5,
    "fuzz": 5,
    "pytest_plugin": 6,
    "cli": 7,
    "__main__": 8,
}
"""The rank of each part of the package; `__init__` re-exports lazily and is exempt."""


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def part_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _type_checking_only(node: ast.If) -> bool:
    return getattr(node.test, "id", None) == "TYPE_CHECKING"


def imports(path: Path) -> Iterator[str]:
    """Package modules imported anywhere in `path` (functions included), bar TYPE_CHECKING blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = {
        id(n)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and _type_checking_only(block)
        for n in ast.walk(block)
    }
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("mockserver"):
                yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name.startswith("mockserver"))


@functools.cache
def graph() -> dict[str, frozenset[str]]:
    """Module -> the package modules it imports (read once: parsing the package is most of these tests' time)."""
    return {module_name(p): frozenset(imports(p)) for p in PACKAGE.rglob("*.py")}


def test_every_part_of_the_package_has_a_layer() -> None:
    parts = {part_of(m) for m in graph()} - {"__init__"}
    assert parts <= set(LAYERS), f"give these parts a layer: {parts - set(LAYERS)}"


def test_no_module_imports_from_a_higher_layer() -> None:
    wrong = [
        f"{module} -> {target}"
        for module, targets in graph().items()
        if part_of(module) != "__init__"
        for target in targets
        if part_of(target) != part_of(module)
        and part_of(target) != "__init__"
        and LAYERS[part_of(target)] >= LAYERS[part_of(module)]
    ]
    assert not wrong, "imports against the layers:\n" + "\n".join(sorted(wrong))


def test_nothing_below_the_cli_imports_the_package_root() -> None:
    # The root re-exports from every layer; importing it from inside would hide a cycle.
    offenders = [
        m for m, targets in graph().items() if "mockserver" in targets and part_of(m) not in {"cli", "__main__"}
    ]
    assert not offenders, offenders


def test_there_are_no_import_cycles() -> None:
    edges = graph()
    known = set(edges)

    def resolve(target: str) -> str | None:
        while target and target not in known:
            target = target.rpartition(".")[0]
        return target or None

    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(module: str, stack: list[str]) -> None:
        state[module] = 1
        for raw in sorted(edges.get(module, ())):
            target = resolve(raw)
            if target is None or target == module:
                continue
            if state.get(target) == 1:
                cycles.append([*stack[stack.index(target) :], target] if target in stack else [module, target])
            elif target not in state:
                visit(target, [*stack, target])
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_generated_package_stands_alone() -> None:
    generated = ROOT / "generated"
    users = [str(p.relative_to(ROOT)) for p in generated.rglob("*.py") if any(imports(p))]
    assert not users, f"generated code must not import the kit: {users}"
