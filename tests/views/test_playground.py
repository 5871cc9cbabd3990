"""The Playground page: pick checkpoints of a continual run, tag a sentence, see what changed.

Tagging is faked at the engine.api facade (the real subprocess is tested in
tests/engine/test_inference.py); checkpoints are folders that look like HF checkpoints.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine import api as jobs
from storage import runs
from storage.db import write_session
from storage.models import RunStatus
from views.parts import playground_view as view

from .conftest import open_page

TEXT = "Angela Merkel met John Smith in Paris ."


def entity(etype: str, text: str, start: int, confidence: float) -> dict[str, Any]:
    return {"type": etype, "text": text, "start": start, "end": start + len(text),
            "confidence": confidence}  # fmt: skip


def result(stage: str) -> dict[str, Any]:
    """After task 0 the model finds both people; after the last task it finds only Paris."""
    if stage == "task_0":
        found = [entity("PER", "Angela Merkel", 0, 0.91), entity("PER", "John Smith", 18, 0.84)]
        labels = ["O", "B-PER", "I-PER"]
    else:
        found = [entity("PER", "Angela Merkel", 0, 0.55), entity("LOC", "Paris", 32, 0.77)]
        labels = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    words = [{"text": w, "start": 0, "end": 0, "tag": "O", "confidence": 0.9} for w in TEXT.split()]
    return {"text": TEXT, "labels": labels, "words": words, "entities": found}


def fake_checkpoint(folder: Path) -> str:
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(b"")
    return str(folder)


@pytest.fixture
def continual_run(fake_jobs, lab: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    with write_session() as s:
        run_id = runs.create_run(s, name="cl", kind="continual", method="naive", config={})
        for stage in ("task_0", "task_1", "final"):
            path = fake_checkpoint(lab / "runs" / str(run_id) / stage)
            runs.add_artifact(s, run_id, kind="checkpoint", path=path, stage=stage)
        runs.mark_running(s, run_id, pid=1, device="cpu")
        runs.transition(s, run_id, RunStatus.SUCCEEDED)
        mlm = runs.create_run(s, name="mlm", kind="pretrain", method="mlm", config={})
        path = fake_checkpoint(lab / "runs" / str(mlm) / "final")
        runs.add_artifact(s, mlm, kind="checkpoint", path=path, stage="final")
        runs.mark_running(s, mlm, pid=1, device="cpu")
        runs.transition(s, mlm, RunStatus.SUCCEEDED)
    calls: list[tuple[int, str, str]] = []

    def predict_text(run: int, stage: str, text: str, timeout_s: float = 1.0) -> dict[str, Any]:
        calls.append((run, stage, text))
        if stage == "task_1":
            raise jobs.PredictError(f"could not tag with run {run}: checkpoint is damaged")
        return result(stage)

    monkeypatch.setattr(jobs, "predict_text", predict_text)
    return {"run_id": run_id, "calls": calls}


def html_of(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_two_stages_side_by_side_show_what_was_forgotten(continual_run):
    at = open_page("views/playground.py")
    assert not at.exception, [e.value for e in at.exception]
    run_id = continual_run["run_id"]
    assert at.selectbox(key="pg_run_a").options == [f"#{run_id} cl (continual/naive)"]  # no MLM
    a = at.selectbox(key=f"pg_stage_a_{run_id}")
    b = at.selectbox(key=f"pg_stage_b_{run_id}")
    # one stage vocabulary (views.parts.stages): 1-based, as the Forgetting page counts tasks
    assert a.options == ["after task 1", "after task 2", "final"]
    assert (a.value, b.value) == ("task_0", "final")  # first vs last by default
    at.text_area(key="pg_text").set_value(TEXT)
    at.button(key="pg_tag").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert continual_run["calls"] == [(run_id, "task_0", TEXT), (run_id, "final", TEXT)]
    page = html_of(at)
    assert f"Run {run_id} · after task 1" in page and f"Run {run_id} · final" in page
    assert "PER 0.84" in page and "LOC 0.77" in page
    tables = [d.value for d in at.dataframe if "confidence" in d.value.columns]
    assert list(tables[0]["text"]) == ["Angela Merkel", "John Smith"]
    assert list(tables[0]["confidence"]) == [0.91, 0.84]
    assert "Only after task 1" in page and "John Smith (PER)" in page
    assert "Only final" in page and "Paris (LOC)" in page
    assert any("found by both" in c.value and "1 found" in c.value for c in at.caption)

    at.button(key="pg_tag").click()  # same run, stage and text: served from the cache
    at.run()
    assert len(continual_run["calls"]) == 2


def test_a_failing_checkpoint_shows_the_reason_and_the_other_side(continual_run):
    at = open_page("views/playground.py")
    run_id = continual_run["run_id"]
    at.selectbox(key=f"pg_stage_b_{run_id}").set_value("task_1")
    at.button(key="pg_tag").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.error] == [
        f"Could not tag: could not tag with run {run_id}: checkpoint is damaged"
    ]
    assert f"Run {run_id} · after task 1" in html_of(at)
    assert "What changed" not in [s.value for s in at.subheader]


def test_one_checkpoint_only_when_compare_is_off(continual_run):
    at = open_page("views/playground.py")
    at.toggle(key="pg_compare").set_value(False)
    at.run()
    at.button(key="pg_example_zh").click()
    at.run()
    assert at.text_area(key="pg_text").value == "王小明昨天在北京会见了华星科技公司的代表。"
    at.button(key="pg_tag").click()
    at.run()
    assert [c[1] for c in continual_run["calls"]] == ["task_0"]


def test_no_checkpoints_sends_people_to_train(fake_jobs):
    at = open_page("views/playground.py")
    assert not at.exception
    assert "No finished run has kept a checkpoint yet" in at.info[0].value


def test_the_page_speaks_chinese(continual_run):
    at = open_page("views/playground.py", lang="zh")
    at.session_state["lang"] = "zh"
    at.run()
    assert at.title[0].value == "试验场"
    assert at.button(key="pg_tag").label == "标注"


# ---- the pure view functions ----------------------------------------------------------------


def test_highlighted_keeps_the_text_and_escapes_it():
    res = {
        "text": "<b>王小明</b>在北京",
        "entities": [entity("PER", "王小明", 3, 0.9), entity("LOC", "北京", 11, 0.5)],
    }
    html = view.highlighted(res, {"PER": "#aaa", "LOC": "#bbb"})
    assert "<b>" not in html and "&lt;b&gt;" in html
    assert html.count("<span") == 2 and "background:#aaa" in html and "background:#bbb" in html
    assert "LOC 0.50" in html and "PER 0.90" in html
    assert html.index("王小明") < html.index("北京")


def test_entity_changes_match_type_and_span():
    before, after = result("task_0"), result("final")
    gone, added, kept = view.entity_changes(before, after)
    assert [e["text"] for e in gone] == ["John Smith"]
    assert [e["text"] for e in added] == ["Paris"]
    assert [(e["text"], e["confidence"]) for e in kept] == [("Angela Merkel", 0.55)]
    assert view.entity_types(before, after) == ["LOC", "PER"]


# ---- the default run, and a whole file pre-annotated -----------------------------------------


def add_run(lab: Path, name: str, kind: str, config_json: str = "{}") -> int:
    with write_session() as s:
        run_id = runs.create_run(s, name=name, kind=kind, method="protonet", config={})
        path = fake_checkpoint(lab / "runs" / str(run_id) / "final")
        Path(path, "config.json").write_text(config_json)
        runs.add_artifact(s, run_id, kind="checkpoint", path=path, stage="final")
        runs.mark_running(s, run_id, pid=1, device="cpu")
        runs.transition(s, run_id, RunStatus.SUCCEEDED)
    return run_id


def test_the_default_run_skips_runs_that_cannot_tag_entities(continual_run, lab):
    meta = add_run(lab, "proto", "meta")
    only_o = add_run(lab, "enc", "finetune", '{"id2label": {"0": "O"}}')
    at = open_page("views/playground.py")
    assert not at.exception, [e.value for e in at.exception]
    run_id = continual_run["run_id"]
    picker = at.selectbox(key="pg_run_a")
    assert picker.value == run_id  # not the newer meta run, nor the O-only checkpoint
    assert picker.options[:2] == [
        f"#{only_o} enc (finetune/protonet)",
        f"#{meta} proto (meta/protonet)",
    ]
    at = open_page("views/playground.py", run=str(meta))  # ?run= still wins
    assert at.selectbox(key="pg_run_a").value == meta


def predicted_file(run_id: int):
    from engine.inference.documents import Document
    from engine.inference.outputs import PredictedFile, Prediction

    predictions = []
    for text, tags in (
        ("Angela Merkel met 李白 .", ["B-PER", "I-PER", "O", "B-PER", "I-PER", "O"]),
        ("Nothing here", ["O", "O"]),
    ):
        document = Document.of_text(text)
        scores = tuple(0.9 for _ in tags)
        predictions.append(Prediction(text, document.tokens, tuple(tags), scores))
    return PredictedFile(run_id, "final", f"run-{run_id}", predictions, seconds=0.5)


def test_a_file_is_tagged_shown_in_a_table_and_offered_for_download(continual_run, monkeypatch):
    calls: list[tuple[int, str, str, bytes]] = []

    def predict_file(run_id, stage, name, data, **kwargs):
        calls.append((run_id, stage, name, data))
        return predicted_file(run_id)

    monkeypatch.setattr(jobs, "predict_file", predict_file)
    at = open_page("views/playground.py")
    run_id = continual_run["run_id"]
    assert "pg_file_tag" not in [b.key for b in at.button]  # nothing uploaded yet
    data = "Angela Merkel met 李白 .\nNothing here\n".encode()
    at.file_uploader(key="pg_file").set_value(("notes.txt", data, "text/plain"))
    at.run()
    assert at.selectbox(key="pg_file_run").value == run_id
    assert at.selectbox(key=f"pg_file_stage_{run_id}").value == "final"
    assert at.selectbox(key="pg_file_format").options[0] == "Label Studio pre-annotations (JSON)"
    at.button(key="pg_file_tag").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert calls == [(run_id, "final", "notes.txt", data)]
    table = next(d.value for d in at.dataframe if "document" in d.value.columns)
    assert table.to_dict("records") == [
        {"document": 1, "type": "PER", "text": "Angela Merkel", "start": 0, "end": 13,
         "confidence": 0.9},
        {"document": 1, "type": "PER", "text": "李白", "start": 18, "end": 20, "confidence": 0.9},
    ]  # fmt: skip
    assert "PER 0.90" in html_of(at)
    assert any("2 documents, 8 tokens, 2 entities" in c.value for c in at.caption)
    (download,) = [e for e in at.get("download_button") if e.proto.id.endswith("pg_file_download")]
    assert download.proto.label == "Download predictions"
    at.selectbox(key="pg_file_format").set_value("conll")
    at.run()
    assert len(calls) == 1  # another format is rendered from the same result


def test_predictions_render_in_every_download_format():
    done = predicted_file(3)
    tasks = json.loads(
        jobs.render_predictions(done.predictions, "labelstudio", model_version="run-3")
    )
    assert tasks[0]["predictions"][0]["model_version"] == "run-3"
    values = [r["value"] for r in tasks[0]["predictions"][0]["result"]]
    assert [(v["start"], v["end"], v["text"]) for v in values] == [
        (0, 13, "Angela Merkel"), (18, 20, "李白")
    ]  # fmt: skip
    conll = jobs.render_predictions(done.predictions, "conll", model_version="run-3")
    assert conll.startswith("Angela\tB-PER\nMerkel\tI-PER\nmet\tO\n李\tB-PER\n白\tI-PER\n")
    for fmt in jobs.PREDICTION_FORMATS:
        assert jobs.render_predictions(done.predictions, fmt, model_version="v")
