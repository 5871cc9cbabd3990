"""Shared fixtures: an isolated LAB_HOME + SQLite database per test, and the shared datasets."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.db import dispose_engines

REPO = Path(__file__).resolve().parents[1]
SHARED_DATASETS = REPO.parent / "shared" / "datasets"


@pytest.fixture(autouse=True)
def keep_main_module() -> Iterator[None]:
    """AppTest leaves app.py installed as sys.modules["__main__"]; a process spawned later would
    re-run app.py as its main module and die before doing its work. Put the real one back."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "lab_home"
    monkeypatch.setenv("LAB_HOME", str(home))
    monkeypatch.setenv("LAB_DB_URL", f"sqlite:///{home / 'lab.db'}")
    dispose_engines()
    yield home
    dispose_engines()


@pytest.fixture
def wnut17() -> Path:
    path = SHARED_DATASETS / "wnut17"
    if not path.is_dir():
        pytest.skip(f"shared dataset not present: {path}")
    return path
