"""Fixtures for storage tests: a fresh LAB_HOME and database (SQLite, and PostgreSQL when
LAB_TEST_PG_URL is set) per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.db import dispose_engines
from tests.db_backends import sqlite_url


@pytest.fixture
def lab_home(tmp_path: Path) -> Path:
    return tmp_path / "lab"


@pytest.fixture
def db_url(
    lab_home: Path, monkeypatch: pytest.MonkeyPatch, db_backend: str, request: pytest.FixtureRequest
) -> Iterator[str]:
    """The test's database URL (SQLite in a fresh LAB_HOME, or a fresh PostgreSQL database),
    also set as LAB_DB_URL; engine cache cleared."""
    url = request.getfixturevalue("pg_url") if db_backend == "postgresql" else sqlite_url(lab_home)
    monkeypatch.setenv("LAB_HOME", str(lab_home))
    monkeypatch.setenv("LAB_DB_URL", url)
    dispose_engines()
    yield url
    dispose_engines()
