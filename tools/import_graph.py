"""The import graph of `harness/` and `pipeline/`, checked against the stage order.

    python tools/import_graph.py            # check; exit 1 on a loop or an upward import
    python tools/import_graph.py --dot G.dot  # also write the folder-level graph (Graphviz)
    python tools/import_graph.py --markdown   # print the folder-level edges as a table

Every `import` statement counts, also those inside functions (a lazy import is still a
dependency). Two rules:

1. **No loop** between modules, except inside `harness/translate/`, whose handlers recurse
   the way the SQL grammar does (an expression holds a query holds an expression).
2. **No import back up the stages.** A folder may import its own folder and earlier stages
   only. The order is the flow of one evaluation, and the README's layout table lists it.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The stage order: a module may import modules of its own stage or of earlier ones.
STAGES: tuple[str, ...] = (
    "harness",            # the package root: __version__ only
    "harness.io",
    "harness.inputs",
    "harness.sql",
    "harness.translate",
    "harness.datagen",
    "harness.backends",
    "harness.scoring",
    "harness.prompting",
    "harness.engines",
    "harness.serving",
    "harness.gate",
    "harness.report",
    "harness.authoring",
    "harness.commands",   # cli.py, pytest_plugin.py, __main__.py: the entry points
    "pipeline",
)
ENTRY_POINTS = {"harness.cli", "harness.pytest_plugin", "harness.__main__"}
# Packages whose internal loops are the grammar's recursion, not a design fault.
RECURSIVE_PACKAGES = ("harness.translate",)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def stage_of(module: str) -> str:
    if module in ENTRY_POINTS:
        return "harness.commands"
    if module == "harness":
        return "harness"
    best = ""
    for stage in STAGES:
        if (module == stage or module.startswith(stage + ".")) and len(stage) > len(best):
            best = stage
    if best == "harness":
        raise SystemExit(f"{module}: a module at the top of harness/ that is no entry point; "
                         "put it in a stage folder or list it in ENTRY_POINTS")
    return best


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The project modules `path` imports (resolved to the module, not the package attribute)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    this = module_name(path)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for name in names:
            # the longest known module that the name starts with
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != this:
                found.add(name)
    # `from harness.x import y` also names the package harness.x: keep only the deepest
    return {m for m in found if not any(o.startswith(m + ".") for o in found)}


def build_graph() -> dict[str, set[str]]:
    paths = sorted([*ROOT.glob("harness/**/*.py"), *ROOT.glob("pipeline/**/*.py")])
    known = {module_name(p) for p in paths}
    return {module_name(p): imports_of(p, known) for p in paths}


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm (iterative): the components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    out.append(sorted(component))
    return out


def violations(graph: dict[str, set[str]]) -> list[str]:
    found = []
    for component in strongly_connected(graph):
        if all(m.startswith(RECURSIVE_PACKAGES) for m in component):
            continue
        found.append("import loop: " + " -> ".join(component))
    rank = {stage: i for i, stage in enumerate(STAGES)}
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            if rank[stage_of(target)] > rank[stage_of(module)]:
                found.append(f"upward import: {module} ({stage_of(module)}) imports {target} "
                             f"({stage_of(target)})")
    return found


def folder_edges(graph: dict[str, set[str]]) -> dict[tuple[str, str], int]:
    edges: dict[tuple[str, str], int] = defaultdict(int)
    for module, targets in graph.items():
        for target in targets:
            a, b = stage_of(module), stage_of(target)
            if a != b:
                edges[(a, b)] += 1
    return dict(edges)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dot", type=Path, help="write the folder-level graph in Graphviz DOT")
    parser.add_argument("--markdown", action="store_true",
                        help="print the folder-level edges (importer, imported, imports)")
    args = parser.parse_args(argv)
    graph = build_graph()
    edges = folder_edges(graph)
    if args.dot:
        lines = ["digraph stages {", "  rankdir=LR;"]
        lines += [f'  "{a}" -> "{b}" [label={n}];' for (a, b), n in sorted(edges.items())]
        args.dot.write_text("\n".join(lines + ["}"]) + "\n")
    if args.markdown:
        print("| folder | imports from | imports |\n|---|---|---|")
        for (a, b), n in sorted(edges.items(), key=lambda e: (STAGES.index(e[0][0]),
                                                              STAGES.index(e[0][1]))):
            print(f"| {a} | {b} | {n} |")
    problems = violations(graph)
    for problem in problems:
        print(problem, file=sys.stderr)
    modules = len(graph)
    print(f"{modules} modules, {sum(len(t) for t in graph.values())} imports: "
          f"{'OK' if not problems else f'{len(problems)} problems'}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
