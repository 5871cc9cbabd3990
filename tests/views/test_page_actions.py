"""What the Data, Runs, Compare and Home pages do when a user acts on them."""

from __future__ import annotations

import zipfile
from io import BytesIO

from storage import queries
from storage.db import read_session, write_session
from views.parts import downloads

from .conftest import chart, open_page

BROKEN = b"Alice B-PER\nmet O\nlonely\nBob B-PER\n"
IOB1 = b"Alice I-PER\nSmith I-PER\nmet O\nBob I-PER\nin O\nParis I-LOC\n"


def _upload(at, name: str, data: bytes):
    at.file_uploader(key="data_upload").set_value((name, data, "text/plain"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _table_with(at, column: str):
    """The first st.dataframe holding `column` (AppTest keeps keys only on selectable tables)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _codes(at) -> str:
    return "\n".join(c.value for c in at.code)


def test_data_page_rejects_a_broken_upload_with_the_line(fake_jobs):
    at = _upload(open_page("views/data.py"), "../../broken.conll", BROKEN)
    assert any("not usable" in e.value for e in at.error)
    assert "broken.conll:3: only one column ('lonely'); expected TOKEN ... TAG" in _codes(at)
    assert "data_import" not in [b.key for b in at.button]  # nothing to import


def test_data_page_offers_repair_and_imports(fake_jobs):
    at = _upload(open_page("views/data.py"), "old.iob", IOB1)
    assert any("convert IOB1 -> IOB2" in w.value for w in at.warning)
    assert at.checkbox(key="data_repair").label == "repair (convert to IOB2)"
    at.checkbox(key="data_repair").uncheck()
    at.button(key="data_import").click()
    at.run()
    assert any("needs repairs" in e.value for e in at.error)
    at.checkbox(key="data_repair").check()
    at.text_input(key="data_import_name").set_value("old-news")
    at.button(key="data_import").click()
    at.run()
    assert any("Imported as dataset" in s.value for s in at.success)
    with read_session() as s:
        (dataset,) = queries.list_datasets(s)
    assert (dataset.name, dataset.kind, dataset.scheme, dataset.n_sentences) == (
        "old-news",
        "upload",
        "IOB1",
        1,
    )
    # the new dataset is listed and can be inspected, spans highlighted
    at.selectbox(key="data_inspect").set_value(dataset.path)
    at.run()
    assert not at.exception
    html = "".join(m.value for m in at.markdown if "<span" in m.value)
    assert "Alice Smith" in html and "PER" in html


def test_data_page_preview_escapes_html(fake_jobs):
    data = b"<script>alert(1)</script> B-PER\nis O\nhere O\n"
    at = _upload(open_page("views/data.py"), "x.conll", data)
    at.button(key="data_import").click()
    at.run()
    with read_session() as s:
        (dataset,) = queries.list_datasets(s)
    at.selectbox(key="data_inspect").set_value(dataset.path)
    at.run()
    html = "".join(m.value for m in at.markdown if "<span" in m.value)
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_runs_page_lists_runs(populated):
    at = open_page("views/runs.py")
    table = at.dataframe(key="runs_table").value
    assert list(table["id"]) == [populated.failed, populated.running, populated.succeeded]
    assert set(table.columns) >= {"status", "strategy", "data", "backbone", "best dev F1"}
    assert table.loc[table["id"] == populated.succeeded, "best dev F1"].item() == "0.700"
    at.multiselect(key="runs_status_filter").set_value(["RUNNING"])
    at.run()
    assert list(at.dataframe(key="runs_table").value["id"]) == [populated.running]


def test_runs_page_opens_a_run_from_the_select(populated):
    at = open_page("views/runs.py")
    at.selectbox(key="runs_open").set_value(populated.succeeded)
    at.run()
    assert at.query_params["run"] == str(populated.succeeded)
    assert at.title[0].value == f"Run {populated.succeeded}: news-full"


def test_run_page_shows_per_type_scores_and_downloads(populated):
    at = open_page("views/runs.py", run=str(populated.succeeded))
    table = _table_with(at, "support")
    assert list(table["type"]) == ["LOC", "PER", "overall (micro)"]
    assert table.loc[table["type"] == "PER", "f1"].item() == 0.847
    assert "test set, final" in " ".join(c.value for c in at.caption)
    assert "run_cancel" not in [b.key for b in at.button]  # finished runs cannot be cancelled
    for key in ("run_download_config", "run_download_metrics", "run_download_checkpoint"):
        assert at.download_button(key=key) is not None
    assert "log of run" in _codes(at)


def test_run_page_cancel_calls_engine_jobs_cancel(populated, fake_jobs):
    at = open_page("views/runs.py", run=str(populated.running))
    at.button(key="run_cancel").click()
    at.run()
    assert not at.exception
    assert fake_jobs.cancelled == [populated.running]


def test_metrics_csv_has_every_point(populated):
    lines = downloads.metrics_csv(populated.succeeded).splitlines()
    assert lines[0] == "key,step,value,task,wall_time"
    assert len(lines) == 1 + 2 + 40  # header, dev_f1 x2, train_loss x40
    assert lines[1].startswith("dev_f1,20,0.5,,")


def test_checkpoint_zip(populated):
    with read_session() as s:
        detail = queries.get_run(s, populated.succeeded)
    path = downloads.checkpoint_path(detail)
    assert path == str(populated.checkpoint)
    names = zipfile.ZipFile(BytesIO(downloads.zip_folder(path))).namelist()
    assert names == ["checkpoint/config.json"]


def test_compare_lists_differing_settings(populated):
    at = open_page("views/compare.py")
    at.multiselect(key="compare_runs").set_value([populated.succeeded, populated.running])
    at.run()
    assert not at.exception
    table = _table_with(at, "train.lr")
    assert {"train.lr", "train.epochs"} <= set(table.columns)
    assert not {"name", "train.batch_size"} & set(table.columns)  # the same in both runs
    assert list(table["train.lr"]) == [1e-4, 3e-3]
    assert list(table["dev_f1"]) == ["0.700", "-"]  # text cells: no "None" for a gap


def test_home_try_it_submits_the_tiny_run(fake_jobs):
    at = open_page("views/home.py")
    at.button(key="home_try_it").click()
    at.run()
    assert not at.exception
    (cfg,) = fake_jobs.submitted
    assert cfg.backbone == "tiny" and cfg.data.train == "builtin:news"
    assert (cfg.data.max_train_sentences, cfg.train.epochs, cfg.train.batch_size) == (600, 4, 32)
    assert cfg.train.lr == 3e-3
    assert at.query_params["run"] == str(fake_jobs.next_id)


def test_run_page_shows_the_type_confusion_heatmap(populated):
    at = open_page("views/runs.py", run=str(populated.succeeded))
    assert not at.exception
    assert any("Which type each word became" in h.value for h in at.subheader)
    import json

    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    heat = [t for c in charts for t in c["data"] if t.get("type") == "heatmap"]
    assert heat and heat[0]["z"] == [[3, 1, 0], [0, 9, 2], [1, 0, 50]]


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _stored_run(name: str, kind: str = "finetune", method: str = "full") -> int:
    from engine.config import parse_config
    from storage import runs

    strategy = {"kind": kind} | ({"method": method} if kind == "continual" else {})
    raw = {"name": name, "backbone": "tiny", "strategy": strategy}
    with write_session() as s:
        run_id = runs.create_run(
            s, name=name, kind=kind, method=method, config=parse_config(raw).to_dict()
        )
        runs.mark_running(s, run_id, pid=1, device="cpu")
    return run_id


def test_a_running_run_s_cards_come_from_its_metric_points(fake_jobs):
    from storage import runs

    run_id = _stored_run("live")
    points = [(i, "train_loss", 3.0 / i, None) for i in range(1, 51)]
    points += [(i, "tokens_per_s", 1000.0 + i, None) for i in range(1, 51)]
    points += [(25, "dev_f1", 0.41, None), (50, "dev_f1", 0.38, None)]
    with write_session() as s:
        runs.add_metric_points(s, run_id, points)
    at = open_page("views/runs.py", run=str(run_id))
    assert not at.exception, [e.value for e in at.exception]
    cards = _metrics(at)
    assert cards["Best dev F1"] == "0.410"  # the best point so far, not "-"
    assert cards["Tokens/s"] == "1,050" and cards["Steps"] == "50"
    assert cards["Test F1"] == "-"
    loss = chart(at, "run_curve_train_loss")["data"]
    assert [tr["name"] for tr in loss] == ["raw", "smoothed"]
    assert loss[0]["line"]["color"] != loss[1]["line"]["color"]


def test_a_cancelled_run_without_a_dev_point_shows_no_dev_score(fake_jobs):
    from storage import runs
    from storage.models import RunStatus

    run_id = _stored_run("stopped")
    with write_session() as s:
        runs.add_metric_points(s, run_id, [(1, "train_loss", 2.0, None)])
        runs.update_summary(s, run_id, {"dev_f1": 0.0, "steps": 1, "cancelled": True})
        runs.transition(s, run_id, RunStatus.STOPPED)
    at = open_page("views/runs.py", run=str(run_id))
    assert not at.exception, [e.value for e in at.exception]
    assert _metrics(at)["Best dev F1"] == "-"  # not 0.000 beside "no points yet"
    assert any("Dev F1: no points yet" in c.value for c in at.caption)


def test_one_dev_point_is_drawn_on_zero_to_one(fake_jobs):
    from storage import runs

    run_id = _stored_run("one-point")
    with write_session() as s:
        runs.add_metric_points(s, run_id, [(1, "train_loss", 2.0, None), (5, "dev_f1", 0.5, None)])
    at = open_page("views/runs.py", run=str(run_id))
    layout = chart(at, "run_curve_dev_f1")["layout"]
    assert layout["yaxis"]["range"] == [0.0, 1.0]


def test_a_running_continual_run_names_its_stage_and_its_untaught_types(fake_jobs):
    from storage import runs

    run_id = _stored_run("stream", kind="continual", method="naive")
    scores = {"precision": 0.9, "recall": 0.8, "f1": 0.85, "support": 10}
    zero = {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 7}
    overall = {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 10}
    with write_session() as s:
        for stage, step, per in [
            ("baseline", 0, ({"PER": zero}, {"LOC": zero})),
            ("after-task-0", 40, ({"PER": scores}, {"LOC": zero})),
        ]:
            for task, per_type in enumerate(per):
                runs.add_evaluation(s, run_id, split="test", stage=stage, overall=overall,
                                    per_type=per_type, step=step, task=task)  # fmt: skip
    at = open_page("views/runs.py", run=str(run_id))
    assert not at.exception, [e.value for e in at.exception]
    table = _table_with(at, "support")
    assert list(table["type"]) == ["LOC (not taught yet)", "PER"]
    assert list(table["f1"]) == ["-", "0.850"]  # not 0.000 for a type never taught
    captions = " ".join(c.value for c in at.caption)
    assert "after task 1 (step 40)" in captions and "final" not in captions
    (f1,) = [tr for tr in chart(at, "run_per_type_chart")["data"] if tr["name"] == "f1"]
    assert f1["x"] == ["LOC", "PER"] and f1["y"] == [None, 0.85]
