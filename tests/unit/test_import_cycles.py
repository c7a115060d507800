"""No import cycles among the project's modules, type-only and function-level imports included.

Every `import` and `from ... import` in the source counts, wherever it stands (under
`if TYPE_CHECKING:`, inside a function), because a cycle hidden from the interpreter still ties
the modules' concepts together. A package's `__init__` counts only when it is named itself.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("domain", "projections", "replay", "api", "ops")


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules(root: Path, packages: Iterable[str] = PACKAGES) -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            modules[module_name(path, root)] = path
    return modules


def imported_names(path: Path, module: str, modules: dict[str, Path]) -> set[str]:
    """Every module name the file's imports name, relative imports resolved: `from p import m`
    names the module p.m when there is one, else p."""
    is_package = path.name == "__init__.py"
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolved_base(node, module, is_package)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                names.add(submodule if submodule in modules else base)
    return names


def _resolved_base(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    anchor = package[: len(package) - (node.level - 1)]
    return ".".join([*anchor, node.module] if node.module else anchor)


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """module -> the project modules it imports (the longest project module each name names)."""
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets = set()
        for name in imported_names(path, module, modules):
            target = _project_module(name, modules)
            if target is not None and target != module:
                targets.add(target)
        graph[module] = targets
    return graph


def _project_module(name: str, modules: dict[str, Path]) -> str | None:
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def explain(component: list[str], graph: dict[str, set[str]]) -> str:
    members = set(component)
    edges = [f"  {m} -> {t}" for m in component for t in sorted(graph[m] & members)]
    return "cycle among " + ", ".join(component) + ":\n" + "\n".join(edges)


def test_no_import_cycles() -> None:
    modules = project_modules(ROOT)
    assert len(modules) > 50
    graph = import_graph(modules)
    found = cycles(graph)
    for component in found:
        print(explain(component, graph))
    assert found == [], "\n\n".join(explain(c, graph) for c in found)


def test_the_check_finds_a_type_only_cycle_and_resolves_relative_imports(tmp_path: Path) -> None:
    package = tmp_path / "domain"
    (package / "inner").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "inner" / "__init__.py").write_text("")
    (package / "a.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from domain.inner.b import B\n"
    )
    (package / "inner" / "b.py").write_text("def f():\n    from .. import a\n")
    (package / "inner" / "c.py").write_text("from . import b\nfrom .b import f\n")
    graph = import_graph(project_modules(tmp_path, ("domain",)))
    assert graph["domain.inner.b"] == {"domain.a"}
    assert graph["domain.inner.c"] == {"domain.inner.b"}
    assert cycles(graph) == [["domain.a", "domain.inner.b"]]
