"""Shared fixtures: an isolated LAB_HOME + database per test, and the shared datasets.

The database is SQLite, and for the storage, jobs and page tests also a fresh PostgreSQL
database when LAB_TEST_PG_URL is set (tests/db_backends.py); `pg_url` gives any test one.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.db import dispose_engines
from tests.db_backends import BACKENDS, fresh_pg_database, runs_on_both_backends, sqlite_url

REPO = Path(__file__).resolve().parents[1]
SHARED_DATASETS = REPO.parent / "shared" / "datasets"


@pytest.fixture(autouse=True)
def keep_main_module() -> Iterator[None]:
    """AppTest leaves app.py installed as sys.modules["__main__"]; a process spawned later would
    re-run app.py as its main module and die before doing its work. Put the real one back."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run the storage, jobs and page tests that use a database once per backend."""
    if (
        "db_backend" in metafunc.fixturenames
        and runs_on_both_backends(metafunc.definition.path, REPO)
        and metafunc.definition.get_closest_marker("sqlite_only") is None
    ):
        metafunc.parametrize("db_backend", BACKENDS, indirect=True)


@pytest.fixture
def db_backend(request: pytest.FixtureRequest) -> str:
    """The backend of the test's database; "sqlite" outside the two-backend folders."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database (its URL) for this test, dropped afterwards.

    Skips with a message when LAB_TEST_PG_URL is unset. Does not set LAB_DB_URL.
    """
    with fresh_pg_database() as url:
        yield url


@pytest.fixture
def lab_db_url(db_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """The test's database URL: SQLite in its LAB_HOME, or a fresh PostgreSQL database."""
    if db_backend == "postgresql":
        return request.getfixturevalue("pg_url")
    return sqlite_url(tmp_path / "lab_home")


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lab_db_url: str) -> Iterator[Path]:
    home = tmp_path / "lab_home"
    monkeypatch.setenv("LAB_HOME", str(home))
    monkeypatch.setenv("LAB_DB_URL", lab_db_url)
    dispose_engines()
    yield home
    dispose_engines()


@pytest.fixture
def one_job_slot(lab: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An isolated lab with one job slot; kills whatever worker a failed test leaves running."""
    from tests.lab_runs import kill_leftover_workers  # engine.jobs: only for the tests using it

    monkeypatch.setenv("LAB_MAX_JOBS", "1")
    yield lab
    kill_leftover_workers()


@pytest.fixture
def wnut17() -> Path:
    path = SHARED_DATASETS / "wnut17"
    if not path.is_dir():
        pytest.skip(f"shared dataset not present: {path}")
    return path
