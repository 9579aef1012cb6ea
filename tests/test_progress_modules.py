"""How the progress modules depend on each other: no import cycle, and each backend builds on sql.py.

sql.py is the SQL store both databases share; sqlite.py and postgres.py build on it; store.py
chooses between them and is imported by neither. A cycle often works by luck of import order (the
package's __init__ happens to load the modules in an order that hides it) and breaks the day a
module is imported first from somewhere else, so these tests look at each module on its own. (They
import no progress module themselves, so a cycle fails them one by one instead of their collection.)
"""
from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "tutor.progress"
PACKAGE_DIR = ROOT / "tutor" / "progress"


def module_name(path: Path) -> str:
    return PACKAGE if path.name == "__init__.py" else f"{PACKAGE}.{path.stem}"


MODULES = sorted(module_name(path) for path in PACKAGE_DIR.glob("*.py"))


def top_level_imports(path: Path) -> set[str]:
    """Every module `path` imports when it is loaded (not the imports inside functions, which run
    later: store.py imports postgres.py that way on purpose, as psycopg is optional)."""
    found: set[str] = set()
    # Statements at module level, including those under a module-level if / try.
    pending = list(ast.parse(path.read_text(encoding="utf-8")).body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, (ast.If, ast.Try)):
            pending.extend(ast.iter_child_nodes(node))
    return found


def progress_imports(package_dir: Path) -> dict[str, set[str]]:
    """Module -> the progress modules it imports at load time."""
    graph = {module_name(path): set() for path in package_dir.glob("*.py")}
    for path in package_dir.glob("*.py"):
        graph[module_name(path)] = {name for name in top_level_imports(path) if name in graph}
    return graph


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    """Every module that loading `start` loads too (not `start` itself, unless through a cycle)."""
    seen: set[str] = set()
    pending = list(graph[start])
    while pending:
        name = pending.pop()
        if name not in seen:
            seen.add(name)
            pending.extend(graph[name])
    return seen


def test_no_progress_module_imports_one_that_imports_it_back():
    graph = progress_imports(PACKAGE_DIR)
    cycles = {name: sorted(reachable(graph, name)) for name in graph if name in reachable(graph, name)}
    assert cycles == {}, f"import cycles (module: everything it loads): {cycles}"


def test_the_backends_build_on_sql_and_never_import_the_module_that_chooses_between_them():
    graph = progress_imports(PACKAGE_DIR)
    for backend in ("tutor.progress.sqlite", "tutor.progress.postgres"):
        assert "tutor.progress.sql" in graph[backend]
        assert "tutor.progress.store" not in reachable(graph, backend)
        assert PACKAGE not in reachable(graph, backend)  # __init__ imports store.py
    # The shared store knows neither backend, nor either database's driver.
    shared = top_level_imports(PACKAGE_DIR / "sql.py")
    assert not reachable(graph, "tutor.progress.sql") & {"tutor.progress.sqlite", "tutor.progress.postgres"}
    assert not {name.split(".")[0] for name in shared} & {"sqlite3", "psycopg", "psycopg_pool"}


@pytest.mark.parametrize("module", MODULES)
def test_every_progress_module_imports_alone_in_a_fresh_interpreter(module):
    if module == "tutor.progress.postgres" and importlib.util.find_spec("psycopg") is None:
        pytest.skip("psycopg is not installed (PostgreSQL support is optional)")
    result = subprocess.run(
        [sys.executable, "-c", f"import {module}"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_opening_the_sqlite_store_does_not_load_the_postgresql_driver():
    code = (
        "import sys, tempfile\n"
        "from tutor.progress import open_progress_store\n"
        "open_progress_store('', tempfile.mkdtemp()).close()\n"
        "assert 'psycopg' not in sys.modules and 'tutor.progress.postgres' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_every_schema_version_exists_for_both_databases():
    pytest.importorskip("psycopg", reason="PostgreSQL support is optional")
    from tutor.progress.postgres import MIGRATIONS as POSTGRES_MIGRATIONS
    from tutor.progress.sqlite import MIGRATIONS as SQLITE_MIGRATIONS

    assert len(POSTGRES_MIGRATIONS) == len(SQLITE_MIGRATIONS)
