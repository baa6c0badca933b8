"""The import graph of skill/: no cycles, and every package imports only from earlier in the flow.

Imports are read with :mod:`ast` from the source, at any depth (a function-level import counts),
except those under ``if TYPE_CHECKING:``, which never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SKILL = Path(__file__).resolve().parent.parent / "skill"

FLOW = [
    {"paths", "progress"},
    {"images"},
    {"encoders"},
    {"attributes"},
    {"catalog"},
    {"search"},
    {"evaluation", "analysis"},
    {"demo", "train"},
    {"cli"},
    {"__main__"},
]
"""skill's top-level modules and packages in the order data flows; a layer imports only from
layers before it, never from its own siblings."""

TRAIN_FLOW = [
    {"losses", "data", "augment", "multicrop", "state", "settings", "device"},
    {"view_bank", "export", "calibrate"},
    {"dino", "variants", "attributes"},
    {"recipes"},
]
"""skill.train in the same form: shared pieces (the banks use the image cache, the export the
model), then the training families (the attribute heads are a third one), which never import
each other, then the table of recipes that joins them."""


def _modules() -> dict[str, Path]:
    modules = {}
    for file in SKILL.rglob("*.py"):
        parts = list(file.relative_to(SKILL.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = file
    return modules


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported_names(tree: ast.AST, package: str) -> set[str]:
    names: set[str] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
        stack.extend(ast.iter_child_nodes(node))
    return names


def import_graph() -> dict[str, set[str]]:
    """Each skill module -> the skill modules it imports."""
    modules = _modules()

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for module, file in modules.items():
        package = module if file.name == "__init__.py" else module.rpartition(".")[0]
        imported = _imported_names(ast.parse(file.read_text(encoding="utf-8")), package)
        targets = {resolve(n) for n in imported if n == "skill" or n.startswith("skill.")}
        graph[module] = {t for t in targets if t and t != module}
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

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
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def flow_violations(
    graph: dict[str, set[str]], prefix: str, flow: list[set[str]]
) -> list[tuple[str, str]]:
    """Imports from a later layer or a sibling, between the parts of ``prefix`` named in ``flow``."""
    layer = {name: i for i, names in enumerate(flow) for name in names}

    def part(module: str) -> str | None:
        if not module.startswith(prefix + "."):
            return None
        return module[len(prefix) + 1 :].split(".")[0]

    bad = []
    for module, targets in graph.items():
        source = part(module)
        for target in targets:
            dest = part(target)
            if source is None or dest is None or source == dest:
                continue
            if layer[dest] >= layer[source]:
                bad.append((module, target))
    return sorted(bad)


def test_the_flow_names_every_package():
    top = {part for m in _modules() if m != "skill" for part in [m.split(".")[1]]}
    assert top == set().union(*FLOW)
    train = {m.split(".")[2] for m in _modules() if m.startswith("skill.train.")}
    assert train == set().union(*TRAIN_FLOW)


def test_no_import_cycles():
    assert find_cycles(import_graph()) == []


@pytest.mark.parametrize(("prefix", "flow"), [("skill", FLOW), ("skill.train", TRAIN_FLOW)])
def test_packages_import_only_from_earlier_in_the_flow(prefix, flow):
    assert flow_violations(import_graph(), prefix, flow) == []


def test_the_checks_catch_a_cycle_and_a_backward_import():
    graph = {"skill.images.a": {"skill.encoders.b"}, "skill.encoders.b": {"skill.images.a"}}
    assert find_cycles(graph) == [["skill.encoders.b", "skill.images.a"]]
    assert flow_violations(graph, "skill", FLOW) == [("skill.images.a", "skill.encoders.b")]
    siblings = {"skill.train.dino.x": {"skill.train.variants.y"}}
    assert flow_violations(siblings, "skill.train", TRAIN_FLOW) == [
        ("skill.train.dino.x", "skill.train.variants.y")
    ]


def test_type_checking_imports_do_not_count():
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import skill.cli\n")
    assert _imported_names(tree, "skill.images") == {"typing", "typing.TYPE_CHECKING"}


@pytest.mark.parametrize("module", ["skill.catalog.build", "skill.encoders.quantize"])
def test_the_build_module_loads_no_torch(module):
    """Opening a catalog or planning a build must not pay torch's import (about 2 s): torch
    loads only where photos are embedded."""
    import subprocess
    import sys

    from skill.paths import PROJECT_DIR

    code = f"import sys, {module}; print('torch' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_DIR, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["False"]
