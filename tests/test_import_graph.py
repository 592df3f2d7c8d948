"""aelib's and labapp's modules import each other without a circle (deferred imports inside
functions count too), the library never imports Streamlit, and no source file outgrows a screen's
worth of reading (350 lines)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "aelib"
APP_PACKAGE = ROOT / "labapp"  # the Streamlit side
MAX_LINES = 350


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """The aelib modules `path` imports, at any depth of its code (relative imports resolved)."""
    name, found = module_name(path), set()
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            target = ".".join(p for p in (base, node.module or "") if p) if node.level else node.module or ""
            for alias in node.names:
                found.add(f"{target}.{alias.name}")
                found.add(target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    modules = {module_name(p): p for p in package.rglob("*.py")}
    return {name: {m for m in imports_of(path) if m in modules and m != name} for name, path in modules.items()}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import circle in `edges` (module -> modules it imports), or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                return [*stack[stack.index(nxt) :], nxt]
            if nxt in edges and nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_aelib_has_no_import_circle():
    """Packages (whose __init__ imports their children) are left out; modules are what can circle."""
    packages = {module_name(p) for p in PACKAGE.rglob("__init__.py")}
    edges = {k: v - packages for k, v in graph().items() if k not in packages}
    cycle = find_cycle(edges)
    assert cycle is None, " -> ".join(cycle)
    assert edges["aelib.io.build"] & {"aelib.scoring.evaluate", "aelib.scoring.batching"}  # edges are seen


def test_labapp_has_no_import_circle():
    edges = {k: v - {"labapp"} for k, v in graph(APP_PACKAGE).items() if k != "labapp"}
    cycle = find_cycle(edges)
    assert cycle is None, " -> ".join(cycle)
    assert "labapp.models" in edges["labapp.picker"]  # edges are seen


def test_no_source_file_is_over_350_lines():
    sources = [
        p
        for folder in ("aelib", "labapp", "pages", "benchmarks", "latent_control")
        for p in (ROOT / folder).rglob("*.py")
    ]
    sources += [*ROOT.glob("*.py"), *(ROOT / "latent_control" / "frontend").glob("*.js")]
    long = {str(p.relative_to(ROOT)): n for p in sources if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert len(sources) > 40 and long == {}


def test_the_checker_sees_a_planted_circle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_aelib_never_imports_streamlit():
    users = [p.name for p in PACKAGE.rglob("*.py") if any(m.startswith("streamlit") for m in imports_of(p))]
    assert users == []


def test_importing_aelib_leaves_the_explorer_packages_alone():
    """Pages import aelib.explore.* and aelib.scoring.* directly, each session in its own thread.
    Python takes a module's lock before its parent package's: were `import aelib` (its __init__ ->
    io.checkpoint -> ...) to import one of them, a page importing it in another thread at the same
    moment would deadlock on the two locks (benchmarks/load.py saw _DeadlockError on
    aelib.explore.latent when io.bundle imported it at module level)."""
    import subprocess
    import sys

    code = "import sys, aelib; print(' '.join(m for m in sys.modules if m.startswith('aelib.')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert "aelib.io.checkpoint" in loaded  # the package's own chain is seen
    assert not [m for m in loaded if m.startswith(("aelib.explore", "aelib.scoring", "aelib.preprocess"))], loaded
