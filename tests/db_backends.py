"""The databases the tests run against: SQLite always, PostgreSQL when LAB_TEST_PG_URL is set.

`LAB_TEST_PG_URL` (set by `.ci/postgres.sh start`, e.g.
postgresql+psycopg://lab:lab@127.0.0.1:5433/lab_test) names a server and a role allowed to
create databases; each test gets a fresh, empty database of its own, dropped afterwards.

The storage, jobs and page tests run once per backend (test ids end in [sqlite] or
[postgresql], see `parametrise_backends` in tests/conftest.py); mark a test that checks
something only SQLite has (pragmas, BEGIN IMMEDIATE) `@pytest.mark.sqlite_only`.

Usage::

    with fresh_pg_database() as url:    # outside pytest fixtures (scripts, load tests)
        ...
"""

from __future__ import annotations

import os
import time
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from storage.db import dispose_engines

PG_URL_ENV = "LAB_TEST_PG_URL"
BACKENDS = ("sqlite", "postgresql")
# Test files (or folders) whose `lab` / `db_url` tests run on both backends.
BOTH_BACKENDS = ("tests/storage/", "tests/engine/test_jobs.py", "tests/views/")


def runs_on_both_backends(path: Path, repo: Path) -> bool:
    relative = path.resolve().relative_to(repo).as_posix()
    return any(relative.startswith(prefix) for prefix in BOTH_BACKENDS)


def pg_server_url() -> str:
    """LAB_TEST_PG_URL, or skip the calling test with a message saying how to get one."""
    url = os.environ.get(PG_URL_ENV, "").strip()
    if not url:
        pytest.skip(
            f"{PG_URL_ENV} is not set, so the PostgreSQL variant is skipped; "
            'start a throw-away server with: eval "$(.ci/postgres.sh start)"'
        )
    return url


@contextmanager
def fresh_pg_database(server_url: str | None = None) -> Iterator[str]:
    """Create an empty database on the test server; yield its URL; drop it afterwards.

    The drop uses WITH (FORCE) (PostgreSQL 13+), so connections a test left open, for example
    in a worker process that outlived it, cannot make the next test fail.
    """
    server = make_url(server_url or pg_server_url())
    name = f"lab_t{os.getpid()}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as conn:
            # FILE_COPY (PostgreSQL 15+) copies the small template at once instead of through
            # the WAL: about half the time per test.
            fast = " STRATEGY FILE_COPY" if conn.dialect.server_version_info >= (15,) else ""
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"{fast}')
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            dispose_engines()  # this process's connections to it go first
            _drop_database(admin, name)
    finally:
        admin.dispose()


def _drop_database(admin: Engine, name: str) -> None:
    """Drop a test's database; a leftover is only a warning (the server is throw-away)."""
    for attempt in range(5):
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except DBAPIError as err:
            error = err
            time.sleep(0.2 * (attempt + 1))  # e.g. a backend another role owns, still exiting
    warnings.warn(f"could not drop the test database {name}: {error}", stacklevel=2)


def sqlite_url(home: Path) -> str:
    return f"sqlite:///{home / 'lab.db'}"
