"""The package's layering, read from its source: no import cycle, and imports between packages run one way.

Every module under conformance/ is parsed (never imported) and its imports of
other conformance modules resolved. The stages follow the data flow:
catalogue <- wire <- suite <- run <- reports, with outcomes low (what checks
concluded, read by run, reports, load and fuzz), the reference server on the
catalogue alone, fuzz and load beside run, and cli / plugin on top.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "conformance"
ROOT = "conformance"

# What each package may import (besides itself). `conformance` is the package face (`__version__`).
ALLOWED: dict[str, set[str]] = {
    "catalogue": set(),
    "outcomes": {"catalogue"},
    "wire": {"catalogue"},
    "suite": {"catalogue", "wire"},
    "reference": {"catalogue"},
    # run drives a certification: the reference server is its default target, and `certify --fuzz` runs fuzz.
    "run": {"catalogue", "wire", "suite", "outcomes", "reference", "fuzz"},
    "fuzz": {"catalogue", "wire", "suite", "outcomes"},
    "reports": {ROOT, "catalogue", "wire", "suite", "outcomes", "run"},
    # load is a command of its own: it plans its users from the run's model choice and writes certify's reports.
    "options": {"catalogue", "wire", "run"},  # the option table the front-ends (certify, load, the plugin) share
    "load": {"catalogue", "wire", "suite", "outcomes", "run", "reference", "reports", "options"},
    "cli": {ROOT, "catalogue", "wire", "suite", "outcomes", "run", "reference", "fuzz", "reports", "load", "options"},
    "plugin": {ROOT, "catalogue", "wire", "suite", "outcomes", "run", "reference", "fuzz", "reports", "load", "options"},
    ROOT: set(),
}
# Modules outside the layering, and why.
EXEMPT = {
    # The pytest entry module of `python -m pytest --pyargs conformance.suite`: it registers the plugin for that run.
    # A leaf nobody imports, so its import of the plugin above closes no cycle.
    "conformance.suite.test_conformance": "the pytest entry point of `--pyargs conformance.suite`",
}
# Imports inside a function that would close a cycle if they ran at import time, and why they are deferred.
LAZY_CYCLES: dict[tuple[str, str], str] = {}
# Known violations, each with the issue that removes it: none.
KNOWN: set[tuple[str, str]] = set()


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _deferred(tree: ast.Module) -> set[int]:
    """The import nodes that do not run at import time: inside a function or class, or under TYPE_CHECKING."""
    out: set[int] = set()
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) or (
                isinstance(stmt, ast.If) and "TYPE_CHECKING" in ast.unparse(stmt.test)):
            out.update(id(node) for node in ast.walk(stmt))
    return out


def _imported(name: str, path: Path) -> dict[str, bool]:
    """The conformance modules one module imports, each with whether every import of it is deferred."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    deferred = _deferred(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    edges: dict[str, bool] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names if alias.name.split(".")[0] == ROOT]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.split(".")[0] == ROOT:
                module = node.module
            else:
                continue
            targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in MODULES else module for a in node.names]
        else:
            continue
        for target in targets:
            if target != name and not name.startswith(target + "."):  # a package's own face is no dependency
                edges[target] = edges.get(target, True) and id(node) in deferred
    return edges


GRAPH = {name: _imported(name, path) for name, path in MODULES.items()}


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ROOT


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
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

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_parse_sees_the_whole_package():
    assert {"conformance.cli", "conformance.reference.faults", "conformance.suite.cases"} <= set(MODULES)
    assert GRAPH["conformance.reports.baseline"].keys() >= {"conformance.catalogue.requirements"}
    assert set(EXEMPT) <= set(MODULES) and {m for pair in KNOWN | set(LAZY_CYCLES) for m in pair} <= set(MODULES)


def test_no_import_cycle_between_modules():
    """Imports that run at import time form no cycle; a deferred import may close one only if LAZY_CYCLES says why."""
    assert all(GRAPH[module][target] for module, target in LAZY_CYCLES), "LAZY_CYCLES lists an import at import time"
    edges: dict[str, set[str]] = defaultdict(set)
    for module, imported in GRAPH.items():
        edges[module] |= {t for t in imported if (module, t) not in KNOWN and (module, t) not in LAZY_CYCLES}
    assert _cycles(edges) == []


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_between_packages_run_one_way(package: str):
    wrong = sorted(f"{module} -> {target}" for module, imported in GRAPH.items()
                   if _package(module) == package and module not in EXEMPT
                   for target in imported
                   if _package(target) != package and _package(target) not in ALLOWED[package]
                   and (module, target) not in KNOWN)
    assert wrong == [], f"{package} may import only {sorted(ALLOWED[package]) or 'nothing else'}"


def test_the_allowed_imports_have_no_cycle_themselves():
    """The stage order is one-way: no two packages may import each other, directly or around a loop."""
    assert set(ALLOWED) == {_package(m) for m in MODULES}
    assert _cycles({package: allowed - {package} for package, allowed in ALLOWED.items()}) == []


def test_the_known_violations_still_exist():
    """An entry of KNOWN that no longer holds must go, so the list only ever shrinks."""
    gone = sorted(f"{m} -> {t}" for m, t in KNOWN if t not in GRAPH.get(m, {}))
    assert gone == [], "fixed: remove from KNOWN"
