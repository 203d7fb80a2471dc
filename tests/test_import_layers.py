"""The import graph of the project's own code: layers run one way and nothing loops.

    proto (honest.v1)  <-  verifier  <-  clients  <-  trainer  <-  honest_cli (the command)

Every import is read from the source with ``ast`` (function-level and conditional imports
included), so a lazy ``import`` inside a function cannot slip past.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: package → its layer; a module may import its own layer and those below
LAYERS = {"honest": 0, "verifier": 1, "clients": 2, "trainer": 3, "honest_cli": 4}
PACKAGES = {"honest": ROOT / "proto" / "honest", "verifier": ROOT / "verifier",
            "clients": ROOT / "clients", "trainer": ROOT / "trainer",
            "honest_cli": ROOT / "honest_cli"}
#: the trainer reaches the verifier's service and engines only through clients/
TRAINER_FORBIDDEN = ("verifier.service", "verifier.engines")


def module_name(path: Path, package: str) -> str:
    rel = path.relative_to(PACKAGES[package]).with_suffix("")
    parts = [package, *rel.parts]
    if package == "honest":
        parts = ["honest", *rel.parts]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    out = {}
    for package, root in PACKAGES.items():
        for path in root.rglob("*.py"):
            out[module_name(path, package)] = path
    return out


def imports_of(path: Path, module: str) -> list[tuple[str, int]]:
    """(imported module, line) for every import statement anywhere in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            out.append((name, node.lineno))
            out += [(f"{name}.{a.name}", node.lineno) for a in node.names]
    return out


def resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The project module ``name`` refers to (its longest known prefix), or None."""
    parts = name.split(".")
    for k in range(len(parts), 0, -1):
        cand = ".".join(parts[:k])
        if cand in modules:
            return cand
    return None


def layer_of(module: str) -> int:
    return LAYERS[module.split(".")[0]]


@pytest.fixture(scope="module")
def graph():
    modules = project_modules()
    edges: dict[str, set[str]] = {m: set() for m in modules}
    lines: dict[tuple[str, str], int] = {}
    for mod, path in modules.items():
        for name, line in imports_of(path, mod):
            target = resolve(name, modules)
            if target is not None and target != mod:
                edges[mod].add(target)
                lines.setdefault((mod, target), line)
    return modules, edges, lines


def test_imports_only_reach_the_same_layer_or_below(graph):
    _, edges, lines = graph
    bad = [f"{m}:{lines[(m, t)]} imports {t}" for m, ts in edges.items() for t in ts
           if layer_of(t) > layer_of(m)]
    assert not bad, "upward imports:\n" + "\n".join(sorted(bad))


def test_trainer_reaches_service_and_engines_only_through_clients(graph):
    _, edges, lines = graph
    bad = [f"{m}:{lines[(m, t)]} imports {t}" for m, ts in edges.items() for t in ts
           if m.startswith("trainer") and t.startswith(TRAINER_FORBIDDEN)]
    assert not bad, "\n".join(sorted(bad))


def test_no_import_cycles_between_project_modules(graph):
    _, edges, _ = graph
    # Tarjan's strongly connected components; a component of two or more is a cycle
    index, low, on_stack, stack, cycles = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


def test_the_checker_sees_function_level_imports(tmp_path):
    src = tmp_path / "m.py"
    src.write_text("def f():\n    from trainer import cli\n    import clients.client\n")
    names = [n for n, _ in imports_of(src, "verifier.m")]
    assert "trainer.cli" in names and "clients.client" in names
