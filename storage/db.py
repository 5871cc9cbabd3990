"""Engines, sessions and schema creation, with SQLite set up for many processes at once.

The promises this module keeps (docs/RELIABILITY.md, storage 1-5):
- every SQLite connection runs WAL (read back, else `StorageError` at start-up),
  busy_timeout 10 s, foreign_keys ON, synchronous NORMAL;
- write transactions start with `BEGIN IMMEDIATE`, so a writer waits for the lock up front
  instead of failing with SQLITE_BUSY when a deferred read transaction tries to upgrade;
- engines are cached per (url, pid): a child process never reuses its parent's pool;
- `init_db` brings the schema to the newest Alembic revision (storage.schema), safely when
  several processes start together on a fresh database.

PostgreSQL (`LAB_DB_URL=postgresql+psycopg://...`) keeps the same model: a write session first
takes one transaction-level advisory lock (`pg_advisory_xact_lock`), so writers run one at a
time as on SQLite and every read-then-write (summary merge, dispatch, cancel) is as safe;
readers never wait, and a read session is one REPEATABLE READ snapshot. An unreachable server
fails at start-up with a `StorageError` that names it (password hidden).

Usage::

    with write_session() as s:        # BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error)
        s.add(obj)
    with read_session() as s:         # BEGIN (deferred) ... ROLLBACK
        rows = s.scalars(select(Run)).all()
"""

from __future__ import annotations

import json
import math
import os
import random
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from storage.paths import database_url
from storage.schema import ensure_schema
from storage.sqlite_damage import translate_damage
from storage.transactions import BEGIN_OPTION as BEGIN_OPTION
from storage.transactions import READ_OPTIONS as READ_OPTIONS
from storage.transactions import WRITE_OPTIONS as WRITE_OPTIONS
from storage.transactions import StorageError as StorageError

SQLITE_BUSY_TIMEOUT_MS = 10_000
# PostgreSQL's counterpart of busy_timeout: how long a writer waits for the write lock.
POSTGRES_LOCK_TIMEOUT_MS = 10_000
# The key of the advisory write lock ("labner" in ASCII). Advisory locks are per database, so
# two labs on one server (or two test databases) never wait for each other.
POSTGRES_WRITE_LOCK_KEY = 0x6C61626E6572
# Answers the new journal mode, or the old one when SQLite cannot switch (memory, NFS...).
_JOURNAL_MODE_PRAGMA = "PRAGMA journal_mode = WAL"


_engines: dict[tuple[str, int], Engine] = {}
_initialised: weakref.WeakSet[Engine] = weakref.WeakSet()
_lock = threading.Lock()


def get_engine(url: str | None = None) -> Engine:
    """The engine for `url` (default `database_url()`), one per URL per process.

    A SQLite engine is probed once on creation, so a database where WAL cannot work fails
    here, at start-up, with a `StorageError` rather than on the first write.
    """
    url = url or database_url()
    pid = os.getpid()
    with _lock:
        _forget_inherited_engines(pid)
        engine = _engines.get((url, pid))
        if engine is None:
            engine = _create_engine(url)
            _engines[(url, pid)] = engine
        return engine


def dispose_engines() -> None:
    """Close every engine this process created and forget them (tests, shutdown)."""
    with _lock:
        for (_, pid), engine in list(_engines.items()):
            # close=False for inherited pools: their connections belong to the parent.
            engine.dispose(close=pid == os.getpid())
        _engines.clear()


def init_db(engine: Engine) -> None:
    """Bring the schema to the newest migration once per engine; safe with many processes.

    The check and the upgrade run in one transaction under the write lock (BEGIN IMMEDIATE on
    SQLite, the advisory lock on PostgreSQL; both have transactional DDL), so a second process
    waits for the first and then finds the schema current. See storage.schema for what is
    upgraded automatically and what fails with a `SchemaError` instead.
    """
    if engine in _initialised:
        return
    ensure_schema(engine)
    _initialised.add(engine)


@contextmanager
def write_session(url: str | None = None) -> Iterator[Session]:
    """A session whose transaction starts `BEGIN IMMEDIATE`; commits on success, else rolls back.

    Keep write sessions short: SQLite has one writer at a time, and every other writer
    waits (up to busy_timeout) while this one is open.
    """
    session = Session(_ready_engine(url), expire_on_commit=False, execution_options=WRITE_OPTIONS)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def read_session(url: str | None = None) -> Iterator[Session]:
    """A session for reading: a deferred transaction (one consistent snapshot), never committed.

    Anything written through it is rolled back on exit; use `write_session` to write.
    """
    session = Session(
        _ready_engine(url),
        expire_on_commit=False,
        autoflush=False,
        execution_options=READ_OPTIONS,
    )
    try:
        yield session
    finally:
        session.rollback()
        session.close()


def _ready_engine(url: str | None) -> Engine:
    engine = get_engine(url)
    init_db(engine)
    return engine


def _forget_inherited_engines(pid: int) -> None:
    """Drop engines created by a parent before fork, without closing the parent's connections."""
    for key in [k for k in _engines if k[1] != pid]:
        _engines.pop(key).dispose(close=False)


def _create_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        return _create_postgresql_engine(parsed)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)

    database = parsed.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        os.makedirs(os.path.dirname(os.path.abspath(database)), exist_ok=True)
    engine = create_engine(
        url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, json_serializer=strict_json
    )
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _emit_sqlite_begin)
    # A damaged file: one clear DatabaseDamaged error, at this probe if SQLite notices here.
    event.listen(engine, "handle_error", translate_damage)
    # Probe now: a database where WAL cannot work must fail at start-up (RELIABILITY 5).
    try:
        with engine.connect():
            pass
    except BaseException:
        engine.dispose()
        raise
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # Take BEGIN away from the sqlite3 driver (its legacy mode does not BEGIN before SELECT or
    # DDL); _emit_sqlite_begin emits it instead. This is the recipe from the SQLAlchemy
    # SQLite dialect docs, "Enabling Non-Legacy SQLite Transactional Modes".
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        # busy_timeout first: switching a fresh file to WAL takes a lock other processes hold.
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        mode = _switch_to_wal(cursor)
        if str(mode).lower() != "wal":
            database = cursor.execute("PRAGMA database_list").fetchone()[2] or ":memory:"
            raise StorageError(
                f"SQLite database {database!r} cannot use write-ahead logging "
                f"(journal_mode is {mode!r}, expected 'wal'). The lab needs WAL so that jobs "
                "and the dashboard can use the database at the same time; it does not work "
                "in memory or on network file systems (NFS, SMB). Point LAB_HOME or "
                "LAB_DB_URL at a local disk."
            )
        cursor.execute("PRAGMA foreign_keys = ON")
        # NORMAL is durable across application crashes in WAL mode; only power loss can
        # drop the last commits, in exchange for not fsyncing on every metric batch.
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def _switch_to_wal(cursor: Any) -> str:
    """The journal mode after asking for WAL. A fresh file's switch needs an exclusive lock, and
    when several processes open it at once SQLite answers "database is locked" at once instead
    of waiting (it would deadlock two connections both holding a shared lock): retry, with
    jitter, for as long as busy_timeout would have waited."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            return str(cursor.execute(_JOURNAL_MODE_PRAGMA).fetchone()[0])
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() >= deadline:
                raise
            time.sleep(random.uniform(0.01, 0.1))


def _emit_sqlite_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get(BEGIN_OPTION, "DEFERRED")
    conn.exec_driver_sql("BEGIN IMMEDIATE" if mode == "IMMEDIATE" else "BEGIN")


def _create_postgresql_engine(url: URL) -> Engine:
    where = url.render_as_string(hide_password=True)
    try:
        engine = create_engine(url, pool_pre_ping=True, json_serializer=strict_json)
    except ImportError as err:
        raise StorageError(
            f"cannot use {where}: the PostgreSQL driver is missing ({err}); "
            "install it with `pip install 'psycopg[binary]'` (see requirements.txt)."
        ) from err
    event.listen(engine, "connect", _configure_postgresql_connection)
    event.listen(engine, "begin", _emit_postgresql_begin)
    # Probe now, like SQLite: a wrong URL or a server that is down fails at start-up.
    try:
        with engine.connect():
            pass
    except DBAPIError as err:
        engine.dispose()
        reason = str(err.orig).strip().splitlines()[0] if err.orig else type(err).__name__
        raise StorageError(
            f"cannot connect to the PostgreSQL database {where}: {reason}. "
            "Check LAB_DB_URL and that the server is running."
        ) from err
    return engine


def _configure_postgresql_connection(dbapi_connection: Any, _record: Any) -> None:
    # Session-level and outside any transaction (autocommit for the moment), so it lasts.
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = {POSTGRES_LOCK_TIMEOUT_MS}")
    finally:
        dbapi_connection.autocommit = autocommit


def _emit_postgresql_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get(BEGIN_OPTION)
    if mode == "IMMEDIATE":
        # Released by COMMIT or ROLLBACK; taken before the first statement, so everything the
        # transaction reads afterwards is what the previous writer committed.
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({POSTGRES_WRITE_LOCK_KEY})")
    elif mode == "DEFERRED":
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


def strict_json(value: Any) -> str:
    """Valid JSON for the JSON columns: NaN and infinities become null.

    json.dumps writes them as bare NaN / Infinity, which is not JSON: PostgreSQL rejects the
    row, and SQLite would store what no other backend could read back. Same on both, so a
    summary reads the same wherever it was stored. Almost every value is finite already, so
    the copy without NaN is only made when plain dumping finds one.
    """
    try:
        return json.dumps(value, allow_nan=False)
    except ValueError:  # a NaN or an infinity somewhere
        return json.dumps(_finite(value))


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value
