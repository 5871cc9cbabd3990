"""The layering rules of docs/DESIGN.md, checked on the source (AST) and at import time."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.fresh_imports import packages_loaded_by

REPO = Path(__file__).resolve().parents[1]
HEAVY = {"torch", "transformers", "peft", "datasets", "accelerate"}
PAGE_ENGINE_MODULES = {"engine.api", "engine.config", "engine.figures"}  # all torch-free


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def top(name: str) -> str:
    return name.split(".")[0]


def files(folder: str) -> list[Path]:
    return sorted((REPO / folder).rglob("*.py"))


def page_files() -> list[Path]:
    return [REPO / "app.py", *files("views")]


def test_no_folder_named_pages_stands_beside_app_py():
    # Streamlit treats it as old folder-based pages: a fresh server then runs a deep link as
    # that bare script, without app.py (tests/browser: test_a_deep_link_to_a_fresh_server_...)
    assert not (REPO / "pages").exists(), "page scripts belong in views/"


@pytest.mark.parametrize("path", page_files(), ids=lambda p: p.name)
def test_pages_import_only_storage_and_engine_jobs_config(path):
    mods = imported_modules(path)
    assert not {top(m) for m in mods} & HEAVY
    engine_mods = {m for m in mods if top(m) == "engine" and m != "engine"}
    bad = {m for m in engine_mods if not any(m.startswith(ok) for ok in PAGE_ENGINE_MODULES)}
    assert not bad, f"{path.name} imports {bad}"


@pytest.mark.parametrize("path", files("engine"), ids=lambda p: str(p.relative_to(REPO)))
def test_engine_never_imports_streamlit(path):
    assert "streamlit" not in {top(m) for m in imported_modules(path)}


@pytest.mark.parametrize("path", files("storage"), ids=lambda p: p.name)
def test_storage_never_imports_torch_or_engine(path):
    tops = {top(m) for m in imported_modules(path)}
    assert not tops & (HEAVY | {"streamlit", "engine"})


@pytest.mark.parametrize("path", files("engine/strategies"), ids=lambda p: p.name)
def test_strategies_report_through_the_tracker_only(path):
    assert "storage" not in {top(m) for m in imported_modules(path)}


def test_page_imports_do_not_load_torch_at_run_time():
    imports = "import storage.queries, storage.db, engine.config"
    assert packages_loaded_by(imports, ("torch", "transformers", "peft")) == []


def module_graph(packages: tuple[str, ...]) -> dict[str, set[str]]:
    """Own-module imports of `packages`, counting imports inside functions and under
    TYPE_CHECKING: a cycle broken only by a lazy import is still a cycle."""
    mods = {}
    for pkg in packages:
        for path in files(pkg):
            name = ".".join(path.relative_to(REPO).with_suffix("").parts)
            mods[name.removesuffix(".__init__")] = path

    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        for name in imported_modules(path):
            target = resolve(name)
            if target and target != mod and not mod.startswith(target + "."):
                graph[mod].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while (w := stack.pop()) != v:
                comp.append(w)
            if comp:
                found.append(sorted([v, *comp]))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle_in_engine_or_storage():
    assert cycles(module_graph(("engine", "storage"))) == []


def test_cycle_finder_sees_a_cycle():
    assert cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]


def test_engine_root_keeps_only_entry_points_and_a_few_shared_modules():
    root = sorted(p.name for p in (REPO / "engine").glob("*.py"))
    assert len(root) <= 8, root


@pytest.mark.parametrize(
    "package", sorted(p.parent for p in (REPO / "engine").glob("*/__init__.py")), ids=str
)
def test_every_engine_package_says_what_it_holds(package):
    doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8")))
    assert doc and len(doc) > 40, f"{package.name}/__init__.py needs a docstring"


def test_kind_configs_and_registry_import_no_torch():
    imports = (
        "import engine.config, engine.strategies.registry, engine.api\n"
        "import engine.strategies.continual.config, engine.strategies.meta.config"
    )
    assert packages_loaded_by(imports, ("torch", "transformers")) == []
