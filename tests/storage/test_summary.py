"""The typed run summary (storage.summary): validated on write, attributes on read, stored
JSON unchanged, and an unreadable old value dropped instead of the whole run."""

from __future__ import annotations

import pytest

from storage import db, queries, runs
from storage.summary import RunSummary, validated


def test_sections_read_as_attributes_and_store_as_written():
    stored = {
        "test_f1": 0.5,
        "continual": {
            "acc": 0.4,
            "bwt": -0.1,
            "fwt": None,
            "tasks": [{"name": "a", "types": ["PER"]}],
        },
        "meta": {"f1_mean": 0.3, "n_way": 5},
        "labels": ["O", "B-PER"],
    }
    summary = RunSummary.from_stored(stored)
    assert summary.test_f1 == 0.5 and summary.dev_f1 is None
    assert summary.continual.acc == 0.4 and summary.continual.tasks[0].types == ["PER"]
    assert summary.continual.get("fwt", "-") == "-" and summary.meta.k_shot is None
    assert summary.get("labels") == ["O", "B-PER"]  # a value the model does not name is kept
    assert summary.stored() == stored  # explicit None kept: `show --json` keys do not change


def test_a_value_of_the_wrong_type_is_refused_where_it_is_written(db_url: str):
    with pytest.raises(ValueError, match="test_f1"):
        validated({"test_f1": "high"})
    with pytest.raises(ValueError, match="cancel_requested"):
        validated({"cancel_requested": True})  # a control flag is a column
    with db.write_session(db_url) as s:
        run_id = runs.create_run(s, name="r", kind="finetune", method="full", config={})
    with pytest.raises(ValueError, match="steps"), db.write_session(db_url) as s:
        runs.update_summary(s, run_id, {"steps": "many"})
    with db.read_session(db_url) as s:
        assert queries.get_run(s, run_id).summary.stored() == {}


def test_an_old_value_that_no_longer_validates_is_dropped_not_the_run():
    summary = RunSummary.from_stored({"test_f1": 0.7, "steps": "n/a", "cancel_requested": True})
    assert summary.test_f1 == 0.7 and summary.steps is None
    assert summary.stored() == {"test_f1": 0.7}


def test_control_flags_are_columns(db_url: str):
    with db.write_session(db_url) as s:
        run_id = runs.create_run(s, name="r", kind="continual", method="naive", config={})
        runs.request_cancel(s, run_id)
        runs.set_paused_before(s, run_id, 2)
        runs.set_resumed_from(s, run_id, {"run": 1, "epoch": 2, "train_state": "/x"})
    with db.read_session(db_url) as s:
        detail = queries.get_run(s, run_id)
        (row,) = [r for r in queries.list_runs(s) if r.id == run_id]
    assert (detail.cancel_requested, detail.paused_before_task) == (True, 2)
    assert detail.resumed_from == {"run": 1, "epoch": 2, "train_state": "/x"}
    assert row.paused_before_task == 2 and detail.summary.stored() == {}


def test_one_metrics_csv_format_for_every_writer():
    from storage.exports import METRIC_COLUMNS, metrics_csv
    from storage.queries import MetricPointRow

    text = metrics_csv(
        [MetricPointRow(3, "loss", 0.5, None, 10.0), MetricPointRow(4, "f1", 1.0, 2, 11.0)]
    )
    assert text.splitlines() == [",".join(METRIC_COLUMNS), "loss,3,0.5,,10.0", "f1,4,1.0,2,11.0"]
