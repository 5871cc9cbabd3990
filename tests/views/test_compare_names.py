"""Compare (issue 14 item 5): an imported dataset by its name, not its stored uuid file; no
"None" in an empty cell; the file itself only under "Files on disk"."""

from __future__ import annotations

import json
from pathlib import Path

from engine.config import parse_config
from storage import runs
from storage.db import write_session
from storage.models import RunStatus

from .conftest import open_page
from .names_on_screen import import_dataset, in_files_on_disk, visible_text


def _run(name: str, train: str, summary: dict | None = None) -> int:
    cfg = parse_config({"name": name, "data": {"train": train}, "backbone": "tiny"}).to_dict()
    with write_session() as s:
        run_id = runs.create_run(s, name=name, kind="finetune", method="full", config=cfg)
        if summary is not None:
            runs.mark_running(s, run_id, pid=1, device="cpu")
            runs.update_summary(s, run_id, summary)
            runs.transition(s, run_id, RunStatus.SUCCEEDED)
    return run_id


def test_compare_names_the_imported_dataset_and_shows_no_none(fake_jobs):
    path = import_dataset()
    done = _run("on-news", "builtin:news", {"dev_f1": 0.61, "train_seconds": 75.0})
    waiting = _run("on-harbour", path)
    at = open_page("views/compare.py")
    at.multiselect(key="compare_runs").set_value([done, waiting]).run()
    assert not at.exception
    (table,) = [d.value for d in at.dataframe if "data.train" in d.value.columns]
    assert list(table["data.train"]) == ["builtin:news", "harbour-ner"]
    assert list(table["dev_f1"]) == ["0.610", "-"]
    assert list(table["train_seconds"]) == ["1 min 15 s", "-"]
    assert list(table["train_tokens_per_s"]) == ["-", "-"]
    shown = visible_text(at)
    assert "harbour-ner" in shown
    assert Path(path).stem not in shown and "uploads/" not in shown
    assert "None" not in table.to_string()
    assert path in in_files_on_disk(at)  # the file, for the person who needs it


def test_a_numeric_setting_stays_a_number(fake_jobs):
    first = _run("a", "builtin:news")
    cfg = parse_config({"name": "b", "data": {"train": "builtin:news"}, "train": {"lr": 0.01}})
    with write_session() as s:
        second = runs.create_run(s, name="b", kind="finetune", method="full", config=cfg.to_dict())
    at = open_page("views/compare.py")
    at.multiselect(key="compare_runs").set_value([first, second]).run()
    (table,) = [d.value for d in at.dataframe if "train.lr" in d.value.columns]
    assert table["train.lr"].iloc[1] == 0.01 and not isinstance(table["train.lr"].iloc[1], str)
    assert not [e for e in at.expander if e.label == "Files on disk"]  # no imported data


def test_a_curve_no_chosen_run_recorded_says_so_instead_of_empty_axes(fake_jobs):
    with_loss = _run("with-loss", "builtin:news", {"train_seconds": 3.0})
    no_points = _run("no-points", "builtin:news", {"train_seconds": 1.0})
    with write_session() as s:
        runs.add_metric_points(
            s, with_loss, [(1, "train_loss", 2.0, None), (2, "train_loss", 1.5, None)]
        )
    at = open_page("views/compare.py")
    at.multiselect(key="compare_runs").set_value([with_loss, no_points]).run()
    assert not at.exception
    captions = [c.value for c in at.caption]
    # dev F1: nobody recorded it, so no chart but a sentence; loss: one line, the other named
    assert any(c.startswith("None of these runs recorded this curve") for c in captions)
    assert f"Not drawn, as they recorded no points for it: #{no_points} no-points" in captions
    (loss,) = [c for c in at.get("plotly_chart")]
    traces = [trace["name"] for trace in json.loads(loss.proto.spec)["data"]]
    assert traces == [f"#{with_loss} with-loss"]


def test_a_pretraining_runs_masked_lm_loss_gets_its_own_chart(fake_jobs):
    tagging = _run("tagging", "builtin:news", {"train_seconds": 3.0})
    cfg = parse_config({"name": "mlm", "data": {"train": "builtin:news"}, "backbone": "tiny"})
    with write_session() as s:
        mlm = runs.create_run(s, name="mlm", kind="pretrain", method="mlm", config=cfg.to_dict())
        runs.add_metric_points(
            s, tagging, [(1, "train_loss", 1.8, None), (2, "train_loss", 1.2, None)]
        )
        runs.add_metric_points(
            s, mlm, [(1, "train_loss", 10.3, None), (2, "train_loss", 9.1, None)]
        )
    at = open_page("views/compare.py")
    at.multiselect(key="compare_runs").set_value([tagging, mlm]).run()
    assert not at.exception
    charts = {
        c.proto.id.split("compare_curve_")[-1]: json.loads(c.proto.spec)
        for c in at.get("plotly_chart")
    }
    assert set(charts) == {"train_loss", "mlm_loss"}  # nobody recorded dev F1
    lines = {
        chart: [(tr["name"], tr["y"]) for tr in spec["data"]] for chart, spec in charts.items()
    }
    assert lines["train_loss"] == [(f"#{tagging} tagging", [1.8, 1.2])]
    assert lines["mlm_loss"] == [(f"#{mlm} mlm", [10.3, 9.1])]
    assert charts["mlm_loss"]["layout"]["title"]["text"] == "Masked-LM loss (pretraining runs)"
    assert all(tr["showlegend"] for spec in charts.values() for tr in spec["data"])  # named
