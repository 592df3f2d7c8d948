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


STRESS = """
import importlib, sys, threading
from labapp.boot import import_library
names = sys.argv[1:]
barrier, errors = threading.Barrier(len(names)), []
def run(name):
    barrier.wait()  # every thread starts importing at the same moment, as sessions of a woken app do
    try:
        import_library()
        importlib.import_module(name)
    except Exception as error:
        errors.append(f"{name}: {type(error).__name__}: {error}")
threads = [threading.Thread(target=run, args=(n,)) for n in names]
[t.start() for t in threads]
[t.join(60) for t in threads]
print("hung" if any(t.is_alive() for t in threads) else "; ".join(errors) or "ok")
"""


def test_sessions_importing_the_library_at_once_do_not_deadlock():
    """Ten threads import ten parts of aelib at the same moment, each after labapp.boot as app.py
    does. Without the boot, this raised _DeadlockError (aelib.models.conv vs .dense, aelib.datasets)
    in 6 runs of 6 when it was written."""
    import subprocess
    import sys

    names = [
        "aelib.explore.latent", "aelib.datasets.tables", "aelib.models.conv", "aelib", "aelib.io.zoo",
        "aelib.scoring.anomaly", "aelib.explore.figures", "aelib.datasets.images", "aelib.models.dense",
        "aelib.io.bundle",
    ]  # fmt: skip
    run = subprocess.run([sys.executable, "-c", STRESS, *names], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.stdout.strip() == "ok", run.stdout + run.stderr[-2000:]


def test_the_boot_covers_every_package_that_imports_its_children_and_runs_first():
    """The packages whose __init__ imports their own children are the ones a page's import can
    deadlock on; labapp.boot must load them all, and app.py must call it before importing labapp or
    aelib (anything else it imports would start the race again)."""
    import subprocess
    import sys

    parents = {
        name
        for name, edges in graph().items()
        if (ROOT / Path(*name.split(".")) / "__init__.py").exists() and any(e.startswith(name + ".") for e in edges)
    }
    assert {"aelib", "aelib.models", "aelib.datasets"} <= parents
    code = "import sys; from labapp.boot import import_library; import_library(); print(' '.join(sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert parents <= set(loaded.stdout.split()), parents - set(loaded.stdout.split())

    body = ast.parse((ROOT / "app.py").read_text()).body
    calls = [i for i, n in enumerate(body) if "import_library()" in ast.unparse(n) and isinstance(n, ast.Expr)]
    ours = [
        i
        for i, n in enumerate(body)
        if isinstance(n, ast.ImportFrom | ast.Import)
        and any(m.startswith(("aelib", "labapp")) and m != "labapp.boot" for m in imports_of_node(n))
    ]
    assert calls and ours and calls[0] < min(ours)


def imports_of_node(node) -> list[str]:
    return [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]


def test_every_name_the_pages_import_from_our_packages_exists():
    """A page whose import fails shows an error box only when opened; the fast loop has no AppTest of
    every page in every state (a stale `from labapp.display import shown` broke Latent map once)."""
    import importlib

    missing = []
    for path in [*(ROOT / "pages").glob("*.py"), *APP_PACKAGE.glob("*.py"), ROOT / "app.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] in OURS:
                module = importlib.import_module(node.module)
                missing += [f"{path.name}: {node.module}.{a.name}" for a in node.names if not has(module, a.name)]
    assert missing == []


OURS = {"aelib", "labapp", "latent_control"}


def has(module, name: str) -> bool:
    """`from module import name` works: an attribute, or a submodule (`from aelib.explore import lab`)."""
    import importlib

    try:
        return hasattr(module, name) or bool(importlib.import_module(f"{module.__name__}.{name}"))
    except ImportError:
        return False
