"""The layers of docs/architecture.md hold: import-linter's contract in pyproject.toml (each layer imports only
from below; function-level and TYPE_CHECKING imports count too), and no two files of the package import each
other, straight or round a circle (a contract cannot see that between two files of one layer)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent


def test_the_layer_contract_is_kept():
    # lint-imports as its console script runs it, by this interpreter (a Windows Python may have no Scripts\ shim)
    lint_imports = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    run = subprocess.run([sys.executable, "-c", lint_imports, "--no-cache", "--no-logo"], cwd=ROOT,
                         capture_output=True, text=True, encoding="utf-8", errors="replace", timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout, run.stdout


def import_cycles(graph: grimp.ImportGraph, package: str) -> list[list[str]]:
    """Every set of modules that import each other round a circle (Tarjan's strongly connected components)."""
    modules = sorted(m for m in graph.modules if m == package or m.startswith(package + "."))
    imports = {m: sorted(graph.find_modules_directly_imported_by(m) & set(modules)) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(start: str) -> None:
        # iterative, so a deep graph cannot exhaust Python's recursion limit
        work = [(start, iter(imports[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            module, todo = work[-1]
            step = next(todo, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(imports[step])))
                elif step in on_stack:
                    low[module] = min(low[module], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[module])
            if low[module] == index[module]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == module:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))

    for module in modules:
        if module not in index:
            visit(module)
    return cycles


def test_no_file_imports_itself_round_a_circle():
    graph = grimp.build_graph("pipeline", cache_dir=None)
    assert import_cycles(graph, "pipeline") == []


def test_the_cycle_finder_finds_a_circle():
    graph = grimp.ImportGraph()
    for module in ("pkg", "pkg.a", "pkg.b", "pkg.c", "pkg.d"):
        graph.add_module(module)
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.c")
    graph.add_import(importer="pkg.c", imported="pkg.a")
    graph.add_import(importer="pkg.d", imported="pkg.a")
    assert import_cycles(graph, "pkg") == [["pkg.a", "pkg.b", "pkg.c"]]
