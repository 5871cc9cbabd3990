"""Schema versions with Alembic: bring a database to the lab's schema, safely, on any backend.

The migrations live in storage/migrations/versions and run on SQLite and PostgreSQL alike.
`ensure_schema` runs once per engine per process (from `storage.db.init_db`):

- at the newest revision ("head"): nothing to do, and no lock is taken;
- otherwise it takes the lab's write lock (`BEGIN IMMEDIATE` on SQLite, the advisory write
  lock on PostgreSQL), reads the revision again (another process may have just finished) and
  upgrades in that one transaction, so workers starting together on a fresh database create
  the schema once and none fails (RELIABILITY 3);
- a database made before Alembic (the lab's tables, no alembic_version) is adopted: 0001 keeps
  the tables it finds, creates the ones missing, and the database is stamped and upgraded;
- a revision this code does not know (a newer lab upgraded the database) is never touched:
  `SchemaError`. So is a database behind head when `LAB_DB_AUTO_UPGRADE=0` (shared servers
  whose owner upgrades by hand with `python -m engine db upgrade`).

A change to storage.models needs a migration: `new_revision("what changed")` (the CLI's
`python -m engine db revision`) writes the next one from the difference; review it.

Usage::

    from storage.schema import current_revision, head_revision, upgrade
    before, after = upgrade(get_engine())         # what `python -m engine db upgrade` does
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, create_engine

from storage.transactions import READ_OPTIONS, WRITE_OPTIONS, StorageError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
AUTO_UPGRADE_ENV = "LAB_DB_AUTO_UPGRADE"
_FALSE = {"0", "false", "no", "off"}


class SchemaError(StorageError):
    """The database's schema cannot be brought to (or used as) the revision this code needs."""


def alembic_config(connection: Connection | None = None) -> Config:
    """An in-memory Alembic config for the lab's migrations (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


@functools.cache
def head_revision() -> str:
    """The newest revision the migrations define."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, f"no migrations in {MIGRATIONS_DIR}"
    return head


def current_revision(engine: Engine) -> str | None:
    """The database's revision; None for an empty database or one made before Alembic."""
    with engine.connect().execution_options(**READ_OPTIONS) as conn, conn.begin():
        return _revision(conn)


def auto_upgrade_enabled() -> bool:
    """False when `LAB_DB_AUTO_UPGRADE` is 0/false/no/off: start-up then never changes DDL."""
    return os.environ.get(AUTO_UPGRADE_ENV, "1").strip().lower() not in _FALSE


def ensure_schema(engine: Engine) -> None:
    """Make the database's schema the one this code needs, or fail with a clear message."""
    head = head_revision()
    revision = current_revision(engine)
    if revision == head:
        return
    _check_known(revision, engine)
    if not auto_upgrade_enabled():
        raise SchemaError(
            f"the database {_where(engine)} is at schema revision {revision or 'none'}, and "
            f"this lab needs {head}; {AUTO_UPGRADE_ENV}=0 turns off upgrading at start-up: "
            "run `python -m engine db upgrade`."
        )
    upgrade(engine)


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Upgrade to `revision` under the write lock; returns (revision before, revision after)."""
    with _locked_transaction(engine) as conn:
        before = _revision(conn)
        _check_known(before, engine)
        try:
            command.upgrade(alembic_config(conn), revision)
        except CommandError as err:
            raise SchemaError(f"cannot upgrade {_where(engine)} to {revision!r}: {err}") from err
        return before, _revision(conn)


def new_revision(message: str) -> Path:
    """Write the next migration from what storage.models has and head lacks; returns its path.

    The difference is taken against a scratch SQLite database upgraded to head, so no live
    database is needed. The file is a draft: review it (and `ruff format` it).
    """
    next_id = f"{int(head_revision()) + 1:04d}"
    with tempfile.TemporaryDirectory() as scratch:
        engine = create_engine(f"sqlite:///{scratch}/head.db")
        try:
            with engine.begin() as conn:
                command.upgrade(alembic_config(conn), "head")
            with engine.connect() as conn:
                script = command.revision(
                    alembic_config(conn), message=message, autogenerate=True, rev_id=next_id
                )
        finally:
            engine.dispose()
    head_revision.cache_clear()
    assert script is not None and not isinstance(script, list)
    return Path(script.path)


def _revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def _check_known(revision: str | None, engine: Engine) -> None:
    if revision is None:
        return
    try:
        known = ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    except CommandError:
        known = None
    if known is None:
        raise SchemaError(
            f"the database {_where(engine)} is at schema revision {revision!r}, which this lab "
            f"does not know (its newest is {head_revision()}): a newer version of the lab "
            "upgraded it. Update this checkout; the database was left as it is."
        )


def _where(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


@contextmanager
def _locked_transaction(engine: Engine) -> Iterator[Connection]:
    """One write transaction holding the lab's write lock; commits on success.

    SQLite: foreign keys are switched off for the transaction (the pragma is ignored inside
    one, so before BEGIN), because a batch migration rebuilds a table by copy, drop and rename,
    and dropping a parent table with foreign keys on would cascade-delete its children's rows.
    `PRAGMA foreign_key_check` must then find nothing before the commit.
    """
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            _sqlite_foreign_keys(conn, on=False)
        try:
            conn.execution_options(**WRITE_OPTIONS)
            with conn.begin():
                yield conn
                if sqlite:
                    _sqlite_check_foreign_keys(conn)
        finally:
            if sqlite:
                _sqlite_foreign_keys(conn, on=True)


def _sqlite_foreign_keys(conn: Connection, *, on: bool) -> None:
    # Straight to the driver (autocommit mode, see storage.db): through SQLAlchemy the
    # statement would open a transaction first, and inside one the pragma does nothing.
    conn.connection.driver_connection.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")


def _sqlite_check_foreign_keys(conn: Connection) -> None:
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise SchemaError(f"a migration left rows whose foreign keys point nowhere: {broken[:5]}")
