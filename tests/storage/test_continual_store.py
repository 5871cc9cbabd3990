"""storage.continual: matrix cells (upserted) and stage records, read back as dataclasses."""

from __future__ import annotations

from sqlalchemy import func, select

from storage import continual, db, runs
from storage.models import MatrixCell, RunRecord


def _run(url: str) -> int:
    with db.write_session(url) as s:
        return runs.create_run(s, name="r", kind="continual", method="lwf", config={})


def test_cells_make_a_baseline_and_a_matrix(db_url):
    run_id = _run(db_url)
    cells = [("f1", -1, 0, 0.02), ("f1", -1, 1, 0.0), ("f1", 0, 0, 0.8), ("f1", 0, 1, 0.1)]
    cells += [("f1", 1, 0, 0.5), ("f1", 1, 1, 0.9), ("type_f1:LOC", 1, 0, 0.4)]
    with db.write_session(db_url) as s:
        assert continual.add_matrix_cells(s, run_id, cells) == 7
    with db.read_session(db_url) as s:
        R = continual.score_matrix(s, run_id)
        kinds = continual.matrix_kinds(s, run_id)
        loc = continual.score_matrix(s, run_id, "type_f1:LOC")
        assert continual.score_matrix(s, run_id, "nothing") is None
    assert R.tasks == 2 and R.baseline == [0.02, 0.0]
    assert R.values == [[0.8, 0.1], [0.5, 0.9]]
    assert kinds == ["f1", "type_f1:LOC"]
    assert loc.values == [[None, None], [0.4, None]]


def test_a_cell_logged_twice_keeps_the_last_value(db_url):
    run_id = _run(db_url)
    with db.write_session(db_url) as s:
        continual.add_matrix_cells(s, run_id, [("f1", 0, 0, 0.3)])
    with db.write_session(db_url) as s:
        continual.add_matrix_cells(s, run_id, [("f1", 0, 0, 0.7)])
    with db.read_session(db_url) as s:
        assert continual.matrix_cells(s, run_id) == [continual.Cell("f1", 0, 0, 0.7)]


def test_records_by_kind_and_stage_in_write_order(db_url):
    run_id = _run(db_url)
    with db.write_session(db_url) as s:
        continual.add_record(s, run_id, kind="drift", stage="after-task-0", payload={"a": 1})
        continual.add_record(s, run_id, kind="forgotten", stage="task-0", payload={"b": [1, 2]})
        continual.add_record(s, run_id, kind="drift", stage="after-task-1", payload={"a": 2})
    with db.read_session(db_url) as s:
        drift = continual.records(s, run_id, "drift")
        one = continual.records(s, run_id, "drift", stage="after-task-1")
        every = continual.records(s, run_id)
    assert [r.payload["a"] for r in drift] == [1, 2]
    assert [r.stage for r in one] == ["after-task-1"]
    assert [r.kind for r in every] == ["drift", "forgotten", "drift"]
    assert every[1].payload == {"b": [1, 2]} and every[1].created_at.tzinfo is not None


def test_deleting_the_run_removes_its_cells_and_records(db_url):
    run_id = _run(db_url)
    with db.write_session(db_url) as s:
        continual.add_matrix_cells(s, run_id, [("f1", 0, 0, 0.3)])
        continual.add_record(s, run_id, kind="drift", stage=None, payload={})
    with db.write_session(db_url) as s:
        assert runs.delete_run(s, run_id)
    with db.read_session(db_url) as s:
        assert s.scalar(select(func.count()).select_from(MatrixCell)) == 0
        assert s.scalar(select(func.count()).select_from(RunRecord)) == 0
