"""Fixtures for storage tests: a fresh LAB_HOME and SQLite database per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.db import dispose_engines


@pytest.fixture
def lab_home(tmp_path: Path) -> Path:
    return tmp_path / "lab"


@pytest.fixture
def db_url(lab_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A SQLite URL in a fresh LAB_HOME, also set as LAB_DB_URL; engine cache cleared."""
    url = f"sqlite:///{lab_home / 'lab.db'}"
    monkeypatch.setenv("LAB_HOME", str(lab_home))
    monkeypatch.setenv("LAB_DB_URL", url)
    dispose_engines()
    yield url
    dispose_engines()
