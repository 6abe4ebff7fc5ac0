"""The layout keeps its promises: short modules, no import cycle, and an ARCHITECTURE.md that names real modules."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "pulumi_cfbilling"
MAX_LINES = 300


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every package module ``name`` imports, wherever the import stands (TYPE_CHECKING, functions included)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            submodules = {f"{base}.{alias.name}" for alias in node.names} & set(MODULES)
            # ``from . import _transport`` imports the submodule; anything else imports names from ``base``.
            targets.update(submodules)
            if len(submodules) < len(node.names):
                targets.add(base)
    return {t for t in targets if t in MODULES and t != name}


def test_no_module_is_over_300_lines() -> None:
    long = {name: n for name, path in MODULES.items() if (n := len(path.read_text("utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_no_import_cycle() -> None:
    graph = {name: _imports(name, path) for name, path in MODULES.items()}
    # The root package re-exports the library; a submodule importing the root is the one edge that is not a
    # dependency of its own (the demo program imports it the way users do), so it is kept and must not close a loop.
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                cycle = [*stack[stack.index(target) :], target]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        stack.pop()
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name)


def test_the_architecture_page_describes_every_module_and_only_real_ones() -> None:
    text = (ROOT / "ARCHITECTURE.md").read_text("utf-8")
    rows = re.findall(r"^\| [a-z ]+ \| `([^`]+)` \|", text, flags=re.MULTILINE)
    top_level = {name.split(".")[1] for name in MODULES if name.count(".") >= 1}
    described = {row.rstrip("/") for row in rows}
    assert described - top_level == set(), "ARCHITECTURE.md names modules that do not exist"
    undescribed = top_level - described
    assert undescribed == set(), "modules missing from ARCHITECTURE.md's table"
