"""Alembic migrations (storage/migrations, storage.schema) on SQLite and PostgreSQL.

An upgraded empty database is exactly the ORM schema (autogenerate finds no difference); a
database made before Alembic is adopted with its rows; start-up upgrades only what is safe.
Concurrent start-up on a fresh database is tested in test_db.py (RELIABILITY 3).
"""

from __future__ import annotations

import json
import math
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, select, text
from sqlalchemy.orm import Session

from engine.cli import main
from engine.config import parse_config
from storage import db, queries, runs, schema
from storage.models import Base, MetricPoint, Run

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "db"
LAB_TABLES = set(Base.metadata.tables)


def schema_diffs(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), Base.metadata)


def fresh_init(engine: Engine) -> None:
    """init_db as a new process would run it (the engine is not yet marked initialised)."""
    db._initialised.discard(engine)
    db.init_db(engine)


def add_run_with_metrics(engine: Engine, n_points: int = 3, summary: str = "{}") -> int:
    """A run with metric points, written without init_db (the schema stays as it is) and with
    the columns of revision 0001 only, so it works on a database at any revision."""
    with engine.begin() as conn:
        run_id = conn.execute(
            text(
                "INSERT INTO runs (name, kind, method, status, config, summary, created_at,"
                " backend) VALUES ('kept', 'finetune', 'full', 'PENDING', '{}', :summary,"
                " '2026-01-01 00:00:00', 'local') RETURNING id"
            ),
            {"summary": summary},
        ).scalar_one()
        for i in range(n_points):
            conn.execute(
                text(
                    "INSERT INTO metric_points (run_id, step, key, value, wall_time)"
                    " VALUES (:run, :step, 'loss', :value, 0)"
                ),
                {"run": run_id, "step": i, "value": 1.0 / (i + 1)},
            )
    return run_id


def metric_steps(engine: Engine, run_id: int) -> list[int]:
    with Session(engine) as session:
        query = select(MetricPoint.step).where(MetricPoint.run_id == run_id).order_by("step")
        return list(session.scalars(query))


def test_upgrading_an_empty_database_gives_exactly_the_orm_schema(db_url: str):
    engine = db.get_engine(db_url)
    assert schema.current_revision(engine) is None

    assert schema.upgrade(engine) == (None, "0003")

    assert schema.head_revision() == "0003"
    assert schema.current_revision(engine) == "0003"
    assert set(inspect(engine).get_table_names()) == LAB_TABLES | {"alembic_version"}
    assert schema_diffs(engine) == []
    # Idempotent: a second upgrade changes nothing.
    assert schema.upgrade(engine) == ("0003", "0003")


@pytest.mark.sqlite_only
def test_sqlite_gets_statement_for_statement_what_create_all_made(db_url: str, tmp_path: Path):
    """Stronger than compare_metadata, which ignores CHECK constraints and ON DELETE rules."""
    schema.upgrade(db.get_engine(db_url))
    reference = tmp_path / "create_all.db"
    engine = create_engine(f"sqlite:///{reference}")
    Base.metadata.create_all(engine)
    engine.dispose()

    def ddl(path: Path) -> dict[str, list[str]]:
        """Each object's DDL as its sorted clauses: a batch migration (copy, drop, rename)
        quotes the table name and may order the constraints differently."""
        with sqlite3.connect(path) as conn:
            rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL")
            return {
                name: sorted(
                    line.strip().rstrip(",").strip().replace(f'"{name}"', name)
                    for line in sql.splitlines()
                )
                for name, sql in rows
                if name != "alembic_version"
            }

    migrated = ddl(Path(db_url.removeprefix("sqlite:///")))
    assert migrated == ddl(reference)
    assert any("ON DELETE CASCADE" in line for line in migrated["metric_points"])
    assert any("CONSTRAINT ck_runs_status CHECK" in line for line in migrated["runs"])


def test_a_database_made_before_alembic_is_adopted_with_its_rows(db_url: str):
    engine = db.get_engine(db_url)
    # The pre-Alembic state: the 0001 tables, made by create_all, and no alembic_version.
    schema.upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
    run_id = add_run_with_metrics(engine)
    assert schema.current_revision(engine) is None

    fresh_init(engine)

    assert schema.current_revision(engine) == schema.head_revision()
    assert metric_steps(engine, run_id) == [0, 1, 2]
    assert schema_diffs(engine) == []


@pytest.mark.sqlite_only
def test_a_first_release_sqlite_database_gets_its_missing_tables(db_url: str):
    path = Path(db_url.removeprefix("sqlite:///"))
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as conn:
        conn.executescript((FIXTURES / "lab_v1_schema.sql").read_text(encoding="utf-8"))
        conn.execute(
            "INSERT INTO runs (name, kind, method, status, config, summary, created_at, backend)"
            " VALUES ('old', 'finetune', 'full', 'SUCCEEDED', '{}', '{\"test_f1\": 0.8}',"
            " '2025-01-02 03:04:05.000000', 'local')"
        )
    engine = db.get_engine(db_url)
    assert "matrix_cells" not in inspect(engine).get_table_names()

    fresh_init(engine)

    assert set(inspect(engine).get_table_names()) == LAB_TABLES | {"alembic_version"}
    assert schema_diffs(engine) == []
    with db.read_session(db_url) as session:
        (old,) = queries.list_runs(session)
    assert (old.name, old.summary.stored(), old.created_at.isoformat()) == (
        "old",
        {"test_f1": 0.8},
        "2025-01-02T03:04:05+00:00",
    )


def test_a_revision_this_code_does_not_know_is_refused_and_left_alone(db_url: str):
    engine = db.get_engine(db_url)
    schema.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))

    with pytest.raises(schema.SchemaError, match="does not know") as info:
        fresh_init(engine)

    assert "9999_from_the_future" in str(info.value) and "Update this checkout" in str(info.value)
    assert schema.current_revision(engine) == "9999_from_the_future"


def test_with_auto_upgrade_off_start_up_refuses_and_the_cli_upgrades(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setenv(schema.AUTO_UPGRADE_ENV, "0")
    refused = pytest.raises(schema.SchemaError, match="run `python -m engine db upgrade`")
    with refused, db.read_session(db_url):
        pass
    assert schema.current_revision(db.get_engine(db_url)) is None  # nothing was created

    assert main(["db", "current"]) == 0
    assert "revision: none (an empty database" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    assert "upgraded from an empty schema to 0003 (head)" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    assert "already at 0003 (head)" in capsys.readouterr().out
    assert main(["db", "current"]) == 0
    out = capsys.readouterr().out
    assert "revision: 0003 (head)" in out
    assert ":lab@" not in out  # a PostgreSQL password never reaches the terminal

    with db.read_session(db_url) as session:  # at head: start-up has nothing to refuse
        assert queries.list_runs(session) == []


NEXT_REVISION = '''
"""A test-only revision: what a real second migration looks like."""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A new column type: SQLite cannot ALTER it, so batch mode copies `runs` to a new table,
    # drops the old one and renames; PostgreSQL gets a plain ALTER COLUMN ... TYPE.
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("note", sa.String(length=50), nullable=True))
        batch.alter_column("name", existing_type=sa.String(length=200), type_=sa.String(length=300))
'''


@pytest.fixture
def migrations_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of storage/migrations that storage.schema uses instead, for adding revisions."""
    migrations = tmp_path / "migrations"
    shutil.copytree(schema.MIGRATIONS_DIR, migrations, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(schema, "MIGRATIONS_DIR", migrations)
    schema.head_revision.cache_clear()
    yield migrations
    schema.head_revision.cache_clear()


@pytest.fixture
def next_revision(migrations_copy: Path) -> Path:
    """The lab's migrations plus a 0004 that rebuilds `runs` on SQLite (batch mode)."""
    (migrations_copy / "versions" / "0004_note.py").write_text(NEXT_REVISION, encoding="utf-8")
    return migrations_copy


def test_start_up_applies_a_new_revision_and_a_table_rebuild_keeps_child_rows(
    db_url: str, next_revision: Path
):
    engine = db.get_engine(db_url)
    schema.upgrade(engine, "0001")
    run_id = add_run_with_metrics(engine, n_points=50)

    fresh_init(engine)

    assert schema.current_revision(engine) == "0004"
    columns = {c["name"]: c["type"] for c in inspect(engine).get_columns("runs")}
    assert "note" in columns and columns["name"].length == 300
    # On SQLite the batch rebuild drops `runs`: with foreign keys on, that would have
    # cascade-deleted every metric point of the run.
    assert metric_steps(engine, run_id) == list(range(50))
    with Session(engine) as session:
        assert session.get(Run, run_id).name == "kept"


def test_json_columns_hold_valid_json_on_every_backend(db_url: str):
    with db.write_session(db_url) as session:
        run_id = runs.create_run(session, name="nan", kind="finetune", method="full", config={})
        merged = runs.update_summary(
            session, run_id, {"loss": math.nan, "best": math.inf, "curve": [1.0, -math.inf]}
        )
    assert math.isnan(merged["loss"])  # what the caller passed; the database holds null
    with db.read_session(db_url) as session:
        run = queries.get_run(session, run_id)
    assert run is not None
    assert run.summary.stored() == {"loss": None, "best": None, "curve": [1.0, None]}


def test_db_revision_drafts_the_next_migration_and_finds_models_equal_to_head(
    migrations_copy: Path, capsys: pytest.CaptureFixture[str]
):
    assert main(["db", "revision", "nothing changed"]) == 0

    path = migrations_copy / "versions" / "0004_nothing_changed.py"
    assert f"wrote {path}" in capsys.readouterr().out
    draft = path.read_text(encoding="utf-8")
    assert (
        "revision: str = '0004'" in draft
        and "down_revision: str | Sequence[str] | None = '0003'" in draft
    )
    # storage/models.py and the migrations agree: the draft has nothing to do.
    body = draft.split("def upgrade() -> None:")[1].split("def downgrade")[0]
    assert [line.strip() for line in body.splitlines() if line.strip()[:1] not in ("", "#")] == [
        "pass"
    ]
    assert schema.head_revision() == "0004"


def test_0002_moves_control_flags_out_of_the_summary_keeping_every_row(db_url: str):
    engine = db.get_engine(db_url)
    schema.upgrade(engine, "0001")
    flagged = add_run_with_metrics(
        engine,
        summary='{"test_f1": 0.5, "cancel_requested": true, "paused_before_task": 2,'
        ' "resumed_from": {"run": 3, "epoch": 1}}',
    )
    plain = add_run_with_metrics(engine, summary='{"dev_f1": 0.25}')

    fresh_init(engine)

    with db.read_session(db_url) as session:
        a, b = queries.get_run(session, flagged), queries.get_run(session, plain)
    assert a is not None and b is not None
    assert (a.cancel_requested, a.paused_before_task, a.resumed_from) == (
        True,
        2,
        {"run": 3, "epoch": 1},
    )
    assert a.summary.stored() == {"test_f1": 0.5}
    assert (b.cancel_requested, b.paused_before_task, b.resumed_from) == (False, None, None)
    assert b.summary.dev_f1 == 0.25
    assert metric_steps(engine, flagged) == [0, 1, 2] and metric_steps(engine, plain) == [0, 1, 2]


def _run_with_config(engine: Engine, config: dict[str, Any]) -> int:
    with engine.begin() as conn:
        return conn.execute(
            text(
                "INSERT INTO runs (name, kind, method, status, config, summary, created_at,"
                " backend) VALUES ('old', 'continual', :method, 'SUCCEEDED', :config, '{}',"
                " '2026-01-01 00:00:00', 'local') RETURNING id"
            ),
            {"method": config.get("strategy", {}).get("method", "full"),
             "config": json.dumps(config)},
        ).scalar_one()  # fmt: skip


def _configs(engine: Engine, ids: list[int]) -> list[dict[str, Any]]:
    with Session(engine) as session:
        return [session.get(Run, run_id).config for run_id in ids]


def test_0003_keeps_the_fixed_rule_for_pseudo_label_runs_made_before_it(db_url: str):
    engine = db.get_engine(db_url)
    schema.upgrade(engine, "0002")
    stream = {"kind": "continual", "tasks": {"by": "types"}, "dev_per_task": True}
    before = [
        {"name": "a",
         "strategy": {**stream, "method": "pseudo_label", "params": {"threshold": 0.8}}},
        {"name": "b",
         "strategy": {**stream, "method": "pseudo_lwf",
                      "params": {"threshold": 0.9, "temperature": 2.0, "weight": 1.0}}},
        {"name": "c", "strategy": {**stream, "method": "lwf", "params": {"temperature": 2.0}}},
        {"name": "d", "strategy": {"kind": "finetune", "mode": "full"}},
        {},
    ]  # fmt: skip
    ids = [_run_with_config(engine, config) for config in before]

    fresh_init(engine)

    after = _configs(engine, ids)
    assert after[0]["strategy"]["params"] == {"threshold": 0.8, "threshold_rule": "fixed"}
    assert after[1]["strategy"]["params"]["threshold_rule"] == "fixed"
    assert after[1]["strategy"] == {
        **before[1]["strategy"],
        "params": after[1]["strategy"]["params"],
    }
    assert after[2:] == before[2:]  # every other run exactly as it was
    assert after[0]["name"] == "a" and after[0]["strategy"]["tasks"] == {"by": "types"}
    # and the config reads back with the rule it ran with, not today's default
    parsed = parse_config(after[0]).strategy.params
    assert (parsed.threshold, parsed.threshold_rule) == (0.8, "fixed")

    with engine.begin() as conn:  # and back: the code before 0003 refuses unknown params
        command.downgrade(schema.alembic_config(conn), "0002")
    assert _configs(engine, ids) == before
