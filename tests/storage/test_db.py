"""storage.db: SQLite pragmas, BEGIN IMMEDIATE, WAL check, engine per process, schema init;
PostgreSQL's advisory write lock, time zones and connection errors (tests with `db_url` run on
both backends, see tests/db_backends.py)."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, inspect, make_url, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from storage import db, runs
from storage.models import Run
from tests.storage import proc_workers


def _collect(results: Any, n: int) -> list[Any]:
    got = [results.get(timeout=60) for _ in range(n)]
    errors = [payload for status, payload in got if status != "ok"]
    assert not errors, "\n".join(errors)
    return [payload for _, payload in got]


def _one_write_and_one_read(url: str) -> tuple[list[str], list[str]]:
    """The SQL statements a write session that creates a run sends, then a read session's."""
    engine = db.get_engine(url)
    db.init_db(engine)
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    with db.write_session(url) as session:
        runs.create_run(session, name="a", kind="finetune", method="full", config={})
    written = list(statements)
    statements.clear()
    with db.read_session(url) as session:
        session.execute(select(Run.id)).all()
    return written, statements


@pytest.mark.sqlite_only
def test_pragmas_are_read_back_on_every_connection(db_url: str):
    with db.read_session(db_url) as session:
        pragma = {
            name: session.execute(text(f"PRAGMA {name}")).scalar()
            for name in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous")
        }
    assert pragma["journal_mode"] == "wal"
    assert pragma["busy_timeout"] >= 5000
    assert pragma["foreign_keys"] == 1
    assert pragma["synchronous"] == 1  # NORMAL


@pytest.mark.sqlite_only
def test_write_session_begins_immediate_and_read_session_deferred(db_url: str):
    write_statements, statements = _one_write_and_one_read(db_url)
    assert write_statements[0] == "BEGIN IMMEDIATE"
    assert write_statements[1].startswith("INSERT INTO runs")
    assert statements[0] == "BEGIN"
    assert statements[1].startswith("SELECT")


def _read_then_write(url: str, session_factory: Any, start: threading.Barrier, out: list) -> None:
    """Read the number of runs, dawdle, then insert a run named after what was read."""
    try:
        start.wait(timeout=10)
        with session_factory() as session:
            seen = session.execute(text("SELECT count(*) FROM runs")).scalar_one()
            time.sleep(0.3)
            runs.create_run(session, name=f"saw-{seen}", kind="finetune", method="full", config={})
        out.append("ok")
    except Exception as exc:  # collected and asserted on by the test
        out.append(exc)


def test_concurrent_write_sessions_serialise_instead_of_failing(db_url: str):
    db.init_db(db.get_engine(db_url))
    start, out = threading.Barrier(2), []
    threads = [
        threading.Thread(
            target=_read_then_write, args=(db_url, lambda: db.write_session(db_url), start, out)
        )
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert out == ["ok", "ok"]
    with db.read_session(db_url) as session:
        names = sorted(session.scalars(select(Run.name)))
    # The second writer waited for the first and saw its row: no lost update.
    assert names == ["saw-0", "saw-1"]


@pytest.mark.sqlite_only
def test_deferred_read_then_write_is_what_fails_without_immediate(db_url: str):
    """The control for the test above: a deferred transaction cannot upgrade safely."""
    engine = db.get_engine(db_url)
    db.init_db(engine)

    def deferred_session():
        session = Session(engine)  # no begin option: the hook emits a plain (deferred) BEGIN

        class Transaction:
            def __enter__(self):
                return session

            def __exit__(self, exc_type, *rest):
                if exc_type is None:
                    session.commit()
                session.close()

        return Transaction()

    start, out = threading.Barrier(2), []
    threads = [
        threading.Thread(target=_read_then_write, args=(db_url, deferred_session, start, out))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert out.count("ok") == 1
    failure = next(item for item in out if item != "ok")
    assert isinstance(failure, OperationalError)
    assert "database is locked" in str(failure)


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_database_without_wal_fails_at_start_up_with_a_clear_message(url: str):
    with pytest.raises(db.StorageError) as info:
        db.get_engine(url)
    message = str(info.value)
    assert "write-ahead logging" in message
    assert "journal_mode is 'memory'" in message
    assert "LAB_HOME" in message
    # The broken engine is not cached: asking again fails again instead of handing it out.
    with pytest.raises(db.StorageError):
        db.get_engine(url)


@pytest.mark.sqlite_only
def test_wal_refusal_reported_for_a_file_database(db_url: str, monkeypatch: pytest.MonkeyPatch):
    """A file system where SQLite cannot switch to WAL answers the old mode ('delete')."""
    monkeypatch.setattr(db, "_JOURNAL_MODE_PRAGMA", "PRAGMA journal_mode = DELETE")
    with pytest.raises(db.StorageError) as info:
        db.get_engine(db_url)
    assert "journal_mode is 'delete', expected 'wal'" in str(info.value)
    assert str(info.value).count("lab.db") == 1  # names the database file


def test_engine_is_cached_per_url(db_url: str):
    assert db.get_engine(db_url) is db.get_engine(db_url)
    assert db.get_engine() is db.get_engine(db_url)  # LAB_DB_URL is db_url


@pytest.mark.slow
def test_workers_starting_together_on_a_fresh_database_all_succeed(db_url: str):
    ctx = multiprocessing.get_context("spawn")
    n = 4
    barrier, results = ctx.Barrier(n), ctx.Queue()
    procs = [
        ctx.Process(target=proc_workers.start_on_fresh_database, args=(db_url, barrier, results))
        for _ in range(n)
    ]
    for proc in procs:
        proc.start()
    run_ids = _collect(results, n)
    for proc in procs:
        proc.join(timeout=30)
        assert proc.exitcode == 0

    assert sorted(run_ids) == [1, 2, 3, 4]
    tables = set(inspect(db.get_engine(db_url)).get_table_names())
    assert {
        "runs",
        "metric_points",
        "evaluations",
        "type_scores",
        "artifacts",
        "datasets",
    } <= tables


def test_forked_child_gets_a_new_engine_and_leaves_the_parents_pool_alone(db_url: str):
    parent_engine = db.get_engine(db_url)
    with db.write_session(db_url) as session:
        runs.create_run(session, name="parent", kind="finetune", method="full", config={})

    ctx = multiprocessing.get_context("fork")
    results = ctx.Queue()
    child = ctx.Process(
        target=proc_workers.check_engine_after_fork, args=(db_url, parent_engine, results)
    )
    child.start()
    (report,) = _collect(results, 1)
    child.join(timeout=30)

    assert report == {"same_engine": False, "same_pool": False, "run_id": 2}
    # The parent's pooled connection still works after the child exited.
    assert db.get_engine(db_url) is parent_engine
    with db.read_session(db_url) as session:
        assert sorted(session.scalars(select(Run.name))) == ["from-child", "parent"]


@pytest.mark.slow
def test_spawned_child_builds_its_own_engine(db_url: str):
    db.get_engine(db_url)
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    child = ctx.Process(target=proc_workers.engine_identity, args=(db_url, results))
    child.start()
    (report,) = _collect(results, 1)
    child.join(timeout=30)
    assert report["keys"] == [report["pid"]]
    assert report["n_runs"] == 0


def test_inherited_engines_are_forgotten_when_the_pid_changes(
    db_url: str, monkeypatch: pytest.MonkeyPatch
):
    parent_engine = db.get_engine(db_url)
    real_pid = db.os.getpid()
    monkeypatch.setattr(db.os, "getpid", lambda: real_pid + 1)
    child_engine = db.get_engine(db_url)
    assert child_engine is not parent_engine
    assert child_engine.pool is not parent_engine.pool
    assert list(db._engines) == [(db_url, real_pid + 1)]


def test_init_db_is_idempotent(db_url: str):
    engine = db.get_engine(db_url)
    db.init_db(engine)
    db._initialised.discard(engine)  # force a second real pass over an existing schema
    db.init_db(engine)
    assert "runs" in inspect(engine).get_table_names()


def test_write_session_rolls_back_on_error(db_url: str):
    with pytest.raises(RuntimeError), db.write_session(db_url) as session:
        runs.create_run(session, name="doomed", kind="finetune", method="full", config={})
        raise RuntimeError("boom")
    with db.read_session(db_url) as session:
        assert session.scalars(select(Run)).all() == []


def test_read_session_never_commits(db_url: str):
    with db.read_session(db_url) as session:
        session.add(Run(name="x", kind="finetune", method="full", config={}))
        session.flush()
    with db.read_session(db_url) as session:
        assert session.scalars(select(Run)).all() == []


def test_sessions_keep_attributes_after_commit(db_url: str):
    with db.write_session(db_url) as session:
        run = Run(name="kept", kind="finetune", method="full", config={"lr": 0.1})
        session.add(run)
    # expire_on_commit=False: readable after the session closed, without a query.
    assert run.name == "kept"
    assert run.config == {"lr": 0.1}


def test_postgresql_writers_take_the_advisory_write_lock_and_readers_a_snapshot(pg_url: str):
    """PostgreSQL's counterpart of BEGIN IMMEDIATE / BEGIN (skips without LAB_TEST_PG_URL)."""
    write_statements, statements = _one_write_and_one_read(pg_url)
    assert write_statements[0] == f"SELECT pg_advisory_xact_lock({db.POSTGRES_WRITE_LOCK_KEY})"
    assert write_statements[1].startswith("INSERT INTO runs")
    assert statements[0] == "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"
    assert statements[1].startswith("SELECT")
    with db.get_engine(pg_url).connect() as conn:
        assert conn.exec_driver_sql("SHOW lock_timeout").scalar() == "10s"


def test_an_unreachable_postgresql_server_fails_at_start_up_with_a_clear_message():
    url = "postgresql+psycopg://lab:s3cret@127.0.0.1:1/lab"
    with pytest.raises(db.StorageError) as info:
        db.get_engine(url)
    message = str(info.value)
    where = "postgresql+psycopg://lab:***@127.0.0.1:1/lab"
    assert f"cannot connect to the PostgreSQL database {where}: connection failed" in message
    assert "s3cret" not in message
    assert "Check LAB_DB_URL" in message
    assert not [key for key in db._engines if key[0] == url]  # not cached: the next try retries


def test_postgresql_datetimes_come_back_in_utc_whatever_the_server_time_zone(pg_url: str):
    tokyo = make_url(pg_url).update_query_dict({"options": "-c TimeZone=Asia/Tokyo"})
    url = tokyo.render_as_string(hide_password=False)
    before = datetime.now(UTC)
    with db.write_session(url) as session:
        run_id = runs.create_run(session, name="tz", kind="finetune", method="full", config={})
        runs.mark_running(session, run_id, pid=1, device="cpu")
    with db.read_session(url) as session:
        assert session.execute(text("SHOW TimeZone")).scalar() == "Asia/Tokyo"
        run = session.get(Run, run_id)
        assert run is not None and run.heartbeat_at is not None
        assert run.heartbeat_at.tzinfo is UTC
        assert timedelta(0) <= run.heartbeat_at - before < timedelta(seconds=30)


class _LockedCursor:
    """A cursor whose first `locked` journal-mode switches fail as SQLite's do when several
    processes open a fresh file at once ("database is locked", without waiting)."""

    def __init__(self, locked: int, error: str = "database is locked"):
        self.locked, self.error, self.calls = locked, error, 0

    def execute(self, sql: str):
        self.calls += 1
        if self.calls <= self.locked:
            raise sqlite3.OperationalError(self.error)
        return self

    def fetchone(self):
        return ("wal",)


def test_the_switch_to_wal_is_retried_while_another_process_holds_the_lock():
    cursor = _LockedCursor(locked=3)
    assert db._switch_to_wal(cursor) == "wal" and cursor.calls == 4


def test_other_errors_of_the_switch_to_wal_are_not_retried():
    cursor = _LockedCursor(locked=3, error="disk I/O error")
    with pytest.raises(sqlite3.OperationalError, match="disk I/O error"):
        db._switch_to_wal(cursor)
    assert cursor.calls == 1
