"""The layering rules of DESIGN.md, checked on the source (AST) and at import time."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HEAVY = {"torch", "transformers", "peft", "datasets", "accelerate"}
PAGE_ENGINE_MODULES = {"engine.api", "engine.config"}


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
    return [REPO / "app.py", *files("pages")]


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
    code = (
        "import sys, storage.queries, storage.db, engine.config\n"
        "heavy = sorted(m for m in ('torch', 'transformers', 'peft') if m in sys.modules)\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""
