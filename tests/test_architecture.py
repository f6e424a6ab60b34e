"""The import direction of docs/architecture.md, walked with ``ast``: no cycle anywhere in
``src/``, and no import that goes up the layers (or sideways between packages of one layer).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

# Lower layers never import higher ones; packages on one layer never import each other.
LAYERS = {
    "vocab": 0,
    "losses": 1,
    "data": 2, "metrics": 2,
    "advisor": 3, "engine": 3, "stats": 3,
    "experiment": 4, "tutorial": 4,
    "landscapes": 5,
    "report": 6,
    "api": 7,
    "cli": 8,
}


def _modules() -> dict[str, Path]:
    out = {}
    for p in (SRC / "losslab").rglob("*.py"):
        name = ".".join(p.relative_to(SRC).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = p
    return out


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The losslab modules ``name`` imports (at any depth of the file, lazy imports too)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            candidates = [module] + [f"{module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            candidates = [a.name for a in node.names]
        else:
            continue
        found.update(c for c in candidates if c in known)
    found.discard(name)
    return found


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    return {n: _imports(n, p, set(mods)) for n, p in mods.items()}


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_every_package_has_a_layer():
    packages = {_package(m) for m in _modules()} - {""}
    assert packages <= set(LAYERS), f"packages without a layer in this test: {sorted(packages - set(LAYERS))}"


def test_no_import_goes_up_or_sideways():
    wrong = []
    for module, deps in _graph().items():
        mine = _package(module)
        if not mine:
            continue
        for dep in deps:
            theirs = _package(dep)
            if not theirs or theirs == mine:
                continue
            if LAYERS[theirs] >= LAYERS[mine]:
                wrong.append(f"{module} imports {dep} ({mine} is layer {LAYERS[mine]}, {theirs} layer {LAYERS[theirs]})")
    assert not wrong, "imports against the documented direction:\n" + "\n".join(sorted(wrong))


def test_no_import_cycle():
    graph = _graph()
    # A package's __init__ re-exporting its modules is its face, not a dependency of theirs.
    graph = {m: {d for d in deps if not (m.startswith(d + ".") and _modules()[d].name == "__init__.py")}
             for m, deps in graph.items()}
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                cycles.append(stack[stack.index(dep):] + [dep])
            elif dep not in state:
                visit(dep, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_command_line_goes_through_the_api():
    # cli/ only parses, calls losslab.api and prints: it never reaches past the API.
    allowed = {"losslab", "losslab.api", "losslab.vocab"}
    wrong = sorted(f"{m} imports {d}" for m, deps in _graph().items() if _package(m) == "cli"
                   for d in deps if _package(d) != "cli" and d not in allowed)
    assert not wrong, "the command line bypasses the API:\n" + "\n".join(wrong)


@pytest.mark.parametrize("bad", ["cli imports nothing", "cycle"])
def test_the_walker_finds_what_it_looks_for(tmp_path, bad):
    # The checks above must be able to fail: feed the walker a tiny tree with a known fault.
    pkg = tmp_path / "losslab"
    (pkg / "a").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a" / "__init__.py").write_text("")
    (pkg / "a" / "x.py").write_text("from . import y\n")
    (pkg / "a" / "y.py").write_text("from .x import f\n" if bad == "cycle" else "from ..b import z\n")
    mods = {".".join(p.relative_to(tmp_path).with_suffix("").parts).removesuffix(".__init__"): p for p in pkg.rglob("*.py")}
    mods["losslab.b.z"] = tmp_path / "z.py"
    deps = _imports("losslab.a.y", mods["losslab.a.y"], set(mods))
    assert deps == ({"losslab.a.x"} if bad == "cycle" else {"losslab.b.z"})
