"""storage.queries helpers for exports and tables: metric_points (all points), run_configs."""

from __future__ import annotations

import math

from storage import db, queries, runs


def test_metric_points_returns_every_point_ordered(db_url: str):
    with db.write_session(db_url) as s:
        run_id = runs.create_run(s, name="a", kind="finetune", method="full", config={})
        other = runs.create_run(s, name="b", kind="finetune", method="full", config={})
        points = [
            (step, "train_loss", 1.0 / step, None, 100.0 + step) for step in range(5000, 0, -1)
        ]
        points += [(10, "dev_f1", 0.5, 2, 50.0), (3, "dev_f1", float("nan"), None, 40.0)]
        runs.add_metric_points(s, run_id, points)
        runs.add_metric_points(s, other, [(1, "train_loss", 9.0, None)])
    with db.read_session(db_url) as s:
        rows = queries.metric_points(s, run_id)
        assert queries.metric_points(s, 999) == []
    assert len(rows) == 5002  # never downsampled
    assert [(r.key, r.step) for r in rows[:3]] == [("dev_f1", 3), ("dev_f1", 10), ("train_loss", 1)]
    assert math.isnan(rows[0].value) and rows[1].task == 2 and rows[1].wall_time == 50.0
    assert rows[-1] == queries.MetricPointRow(5000, "train_loss", 1 / 5000, None, 5100.0)


def test_run_configs_in_one_query(db_url: str):
    with db.write_session(db_url) as s:
        a = runs.create_run(s, name="a", kind="finetune", method="full", config={"x": 1})
        b = runs.create_run(s, name="b", kind="finetune", method="full", config={"x": 2})
    with db.read_session(db_url) as s:
        assert queries.run_configs(s, [b, a, 999, a]) == {a: {"x": 1}, b: {"x": 2}}
        assert queries.run_configs(s, []) == {}
