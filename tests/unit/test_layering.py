"""The import graph of portal/ read from the source (ast): one-way layers, no cycles, the read side
never imports training, analytics and figures pure."""

import ast
from pathlib import Path

from portal.config import REPO_ROOT

PORTAL = REPO_ROOT / "portal"

# lowest first; a module imports only from its own layer or lower ones (or from BASE)
LAYERS = {
    "ingest": {
        "config",
        "ingest",
        "readers",
        "dates",
        "amounts",
        "mapping",
        "uploads",
        "synth",
        "partitions",
    },
    "features": {"features", "season", "cutoffs", "clock", "bgnbd", "gammagamma"},
    "model": {"model", "classical", "intervals", "explain", "tree_contributions", "drift"},
    "train": {"fitting", "calibration", "backtest", "train"},
    "registry/db": {"registry", "db", "artifacts"},
    "store": {
        "loaded",
        "store",
        "scoring",
        "marketing",
        "campaign",
        "realised",
        "monitoring",
        "validation",
        "serving_files",
        "file_columns",
    },
    "publish": {"publishing"},
    "figures": {"figures", "customer_figures", "monitoring_figures", "export"},
    "web": {
        "api",
        "components",
        "pages",
        "jobs",
        "security",
        "login",
        "exposure",
        "dash_requests",
        "gunicorn_worker",
        "__init__",
    },
    "entry points": {
        "pipeline",
        "startup",
        "cli_train",
        "__main__",
        "dask_engine",
        "dask_tasks",
        "dask_cluster",
    },
}
BASE = {"extensions", "ids", "analytics", "records", "sampling", "row_json"}  # cache, ids, pure
# metrics and samples, run records, rows as JSON text
PURE = {"analytics", "figures"}  # import nothing from portal
TRAINING = LAYERS["train"] | {"pipeline", "dask_engine", "dask_tasks"}
ALLOWED_TO_TRAIN = TRAINING | {"cli_train"}


def module_name(path: Path) -> str:
    """portal/pages/home.py -> 'pages', portal/store.py -> 'store' (pages are one unit)."""
    parts = path.relative_to(PORTAL).with_suffix("").parts
    return parts[0] if len(parts) > 1 else parts[-1]


def imports(path: Path) -> set[str]:
    """The portal modules a file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "portal":  # modules, or names defined in portal/__init__.py
                for alias in node.names:
                    module = (PORTAL / f"{alias.name}.py").exists() or alias.name == "pages"
                    found.add(alias.name if module else "__init__")
            elif node.module.startswith("portal."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("portal.")}
    return found


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for path in PORTAL.rglob("*.py"):
        name = module_name(path)
        edges.setdefault(name, set()).update(imports(path) - {name})
    return edges


def layer_of(name: str) -> int:
    for i, members in enumerate(LAYERS.values()):
        if name in members:
            return i
    raise AssertionError(f"portal/{name}: place it in a layer of {__name__}.LAYERS or BASE")


def test_every_module_has_a_layer():
    for name in graph():
        if name not in BASE:
            layer_of(name)


def test_the_read_side_never_imports_training():
    offenders = {
        (name, target)
        for name, targets in graph().items()
        for target in targets & TRAINING
        if name not in ALLOWED_TO_TRAIN
    }
    assert offenders == set()


def test_imports_go_down_the_layers_only():
    upward = set()
    for name, targets in graph().items():
        for target in targets - BASE:
            if name in BASE or layer_of(target) > layer_of(name):
                upward.add((name, target))
    assert upward == set()


def test_analytics_and_figures_are_pure():
    edges = graph()
    assert {name: edges[name] for name in PURE} == {name: set() for name in PURE}


def test_no_import_cycles():
    edges = graph()
    done, path = set(), []

    def visit(name):
        assert name not in path, f"import cycle: {' -> '.join([*path, name])}"
        if name in done:
            return
        path.append(name)
        for target in sorted(edges.get(name, ())):
            visit(target)
        path.pop()
        done.add(name)

    for name in sorted(edges):
        visit(name)


def test_the_graph_is_read_from_the_source():
    """The checks above see real edges (a broken parser would pass them vacuously)."""
    edges = graph()
    assert {"artifacts", "analytics", "intervals"} <= edges["store"]
    assert "train" in edges["pipeline"] and "publishing" in edges["pipeline"]
    assert "store" in edges["pages"] and "__init__" in edges["__main__"]
