"""ARCHITECTURE.md cannot drift: it names every module and only real ones, its layers are the import contract's,
no import cycle exists, the package's top stays small, and every documented entry point keeps working."""

from __future__ import annotations

import ast
import importlib
import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "pulumi_cfbilling"
ARCHITECTURE = (ROOT / "ARCHITECTURE.md").read_text("utf-8")


def _modules() -> dict[str, Path]:
    """Every module of the package, by dotted name relative to it (``core.values``; the root is ``pulumi_cfbilling``)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts) or "pulumi_cfbilling"] = path
    return found


MODULES = _modules()


def _described() -> set[str]:
    rows = re.findall(r"^\| [a-z ]+ \| (`[^|]+`) \|", ARCHITECTURE, flags=re.MULTILINE)
    return {name for row in rows for name in re.findall(r"`([^`]+)`", row)}


def test_the_module_table_names_every_module_and_only_real_ones() -> None:
    described = _described()
    assert described - set(MODULES) == set(), "ARCHITECTURE.md names modules that do not exist"
    assert set(MODULES) - described == set(), "modules missing from ARCHITECTURE.md's table"


def test_every_module_path_the_page_names_exists() -> None:
    for name in re.findall(r"`((?:core|api|guardrails|service|program|plugin|terraform|cli|testing)\.[\w.]+)`",
                           ARCHITECTURE):  # fmt: skip
        module = name.split(".")
        while ".".join(module) not in MODULES:  # `service.reader.Service` names a class in a module
            module.pop()
            assert module, f"ARCHITECTURE.md names {name}, which is nowhere"


def _contract_layers() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    (layers,) = [c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"]
    assert layers["containers"] == ["pulumi_cfbilling"]
    return list(layers["layers"])


def test_the_layer_diagram_is_the_import_contract() -> None:
    block = ARCHITECTURE.split("<!-- layers: the layers contract of pyproject.toml, top first -->\n```text\n")[1]
    drawn = block.split("```")[0].strip().splitlines()
    assert drawn == _contract_layers()
    # Every package of the package is in a layer, but the doubles beside them.
    layered = {name.strip() for layer in _contract_layers() for name in layer.split("|")}
    packages = {name.split(".")[0] for name in MODULES if name not in ("pulumi_cfbilling", "__main__")}
    assert packages - layered == {"testing"}


def test_the_package_top_is_small() -> None:
    entries = [p for p in PACKAGE.iterdir() if p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists())]
    assert len(entries) <= 12, sorted(p.name for p in entries)


def _imports(name: str, path: Path) -> set[str]:
    """Every package module ``name`` imports, wherever the import stands (TYPE_CHECKING, functions included)."""
    dotted = "" if name == "pulumi_cfbilling" else name
    package = dotted if path.name == "__init__.py" else dotted.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            parts = package.split(".") if package else []
            anchor = parts[: len(parts) - node.level + 1]
            base = ".".join([*anchor, *([node.module] if node.module else [])])
            submodules = {f"{base}.{alias.name}".strip(".") for alias in node.names} & set(MODULES)
            targets |= submodules
            if len(submodules) < len(node.names):
                targets.add(base or "pulumi_cfbilling")
    return {t for t in targets if t in MODULES and t != name}


def test_no_import_cycle() -> None:
    graph = {name: _imports(name, path) for name, path in MODULES.items()}
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                raise AssertionError("import cycle: " + " -> ".join([*stack[stack.index(target) :], target]))
            if target not in state:
                visit(target)
        stack.pop()
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name)


# What the README, the examples, the packaging and the provider folder tell people to import or run: a move of
# modules must keep every one of them working.
ENTRY_POINTS = {
    "pulumi_cfbilling.__main__:command_line": "the cfbilling console script (Ctrl-C quiet from the first instruction)",
    "pulumi_cfbilling.__main__:main": "the same, returning its exit code",
    "pulumi_cfbilling.cli:main": "the command line, for programs that embed it",
    "pulumi_cfbilling.plugin:main": "pulumi-resource-cfbilling",
    "pulumi_cfbilling.terraform:main": "terraform-provider-cfbilling",
    "pulumi_cfbilling.policy:credit_balance_policy": "the policy pack's __main__.py",
    "pulumi_cfbilling.testing.emulator:Emulator": "benchmarks and users' own tests",
    "pulumi_cfbilling.testing.mockrun:run_in_subprocess": "the demo's Pulumi part",
}


def test_every_documented_entry_point_resolves() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    scripts = set(config["project"]["scripts"].values())
    assert scripts <= set(ENTRY_POINTS)
    for target in ENTRY_POINTS:
        module, name = target.split(":")
        assert callable(getattr(importlib.import_module(module), name)), target
    for module in (
        "pulumi_cfbilling.__main__",
        "pulumi_cfbilling.plugin.__main__",
        "pulumi_cfbilling.terraform.__main__",
    ):
        assert importlib.util.find_spec(module) is not None, module  # `python -m` targets
    assert "from pulumi_cfbilling.plugin import main" in (ROOT / "provider" / "__main__.py").read_text("utf-8")
