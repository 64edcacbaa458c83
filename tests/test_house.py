"""The house rules that can be read from the source: small modules, short handlers, no import
cycles, and htmx's headers written in one place. A rule broken here names the file and line."""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path

import frontdesk

PACKAGE = Path(frontdesk.__file__).parent
PYPROJECT = PACKAGE.parents[1] / "pyproject.toml"
MODULE_LINES = 400
HANDLER_LINES = 30


def modules() -> Iterator[tuple[str, Path, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue  # each migration is a record of one change, kept whole
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path, ast.parse(path.read_text(), str(path))


def test_no_module_is_over_400_lines() -> None:
    long = [
        f"{path.relative_to(PACKAGE)}: {len(path.read_text().splitlines())} lines"
        for _, path, _ in modules()
        if len(path.read_text().splitlines()) > MODULE_LINES
    ]
    assert not long, long


def test_every_package_is_in_the_built_distribution() -> None:
    """setuptools builds only the packages pyproject.toml names: one left out imports in this
    checkout (installed editable) and fails wherever frontdesk is installed from its wheel."""
    listed = set(tomllib.loads(PYPROJECT.read_text())["tool"]["setuptools"]["packages"])
    packages = {
        ".".join(init.parent.relative_to(PACKAGE.parent).parts)
        for init in PACKAGE.rglob("__init__.py")
    }
    assert packages - listed == set(), "add them to [tool.setuptools] packages in pyproject.toml"


def handlers(tree: ast.Module) -> Iterator[ast.AsyncFunctionDef]:
    """Starlette endpoints: the async functions whose first parameter is the request."""
    for node in ast.walk(tree):
        if isinstance(node, ast.AsyncFunctionDef) and node.args.args:
            annotation = node.args.args[0].annotation
            if isinstance(annotation, ast.Name) and annotation.id == "Request":
                yield node


def test_no_handler_is_over_30_lines() -> None:
    found, long = 0, []
    for _, path, tree in modules():
        if "routes" not in path.parts:
            continue
        for handler in handlers(tree):
            found += 1
            length = (handler.end_lineno or handler.lineno) - handler.lineno + 1
            if length > HANDLER_LINES:
                long.append(
                    f"{path.relative_to(PACKAGE)}:{handler.lineno} {handler.name}: {length}"
                )
    assert found > 50  # the walk sees the handlers; a rule checked on nothing proves nothing
    assert not long, long


def module_imports(name: str, tree: ast.Module, known: set[str]) -> set[str]:
    """Frontdesk modules `name` imports when it is loaded (imports inside functions and
    under TYPE_CHECKING run later or never, so they cannot make a cycle at import time)."""
    package = (
        name
        if name in known and (PACKAGE.parent / name.replace(".", "/")).is_dir()
        else name.rpartition(".")[0]
    )
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1]
                    + ([base] if base else [])
                )
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return {module for module in found if module in known and module != name}


def cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle in `graph`, or [] if there is none."""
    state: dict[str, int] = {}  # 1 on the path being walked, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_modules_import_without_cycles() -> None:
    parsed = {name: tree for name, _, tree in modules()}
    known = set(parsed)
    graph = {name: module_imports(name, tree, known) for name, tree in parsed.items()}
    # A package's __init__ importing its own modules is how a package is built, not a cycle.
    graph = {
        name: {target for target in targets if not target.startswith(f"{name}.")}
        for name, targets in graph.items()
    }
    assert sum(map(len, graph.values())) > 100
    assert cycle(graph) == [], " -> ".join(cycle(graph))


def test_htmx_headers_are_written_only_by_the_htmx_module() -> None:
    written = [
        f"{path.relative_to(PACKAGE)}:{node.lineno} {node.value}"
        for _, path, tree in modules()
        if path.name != "htmx.py"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.lower().startswith("hx-")
    ]
    assert not written, written
