"""Bundles: export -> import into another lab reproduces the same metrics, evaluations, matrices,
records and checkpoints under new ids; unsafe or damaged bundles are refused with nothing
written; the CLI round trip of a real continual race."""

from __future__ import annotations

import io
import json
import math
import zipfile
from pathlib import Path

import pytest

from engine.runs.bundle import BundleError, export_bundle
from engine.runs.bundle_import import config_as_made, import_bundle
from engine.runs.run_data import collect_run
from storage import continual as continual_store
from storage import queries, runs
from storage.db import dispose_engines, read_session, write_session
from storage.models import RunStatus
from tests.engine.tiny import per_then_loc, run_through_cli, tiny_config

PER_TYPE = {
    "PER": {"precision": 0.9, "recall": 0.8, "f1": 0.8470588235294118, "support": 40},
    "地名": {"precision": 0.5, "recall": 0.25, "f1": 1 / 3, "support": 12},
}
OVERALL = {"precision": 0.8, "recall": 0.7, "f1": 0.7466666666666667, "support": 52}


def make_run(lab: Path, name: str, method: str, group: str | None, offset: float) -> int:
    """A finished continual run with curves, evaluations, a 2x2 matrix, records and checkpoints."""
    t0 = 1_700_000_000.0
    with write_session() as s:
        run_id = runs.create_run(
            s, name=name, kind="continual", method=method, group_name=group,
            config={"name": name, "backbone": "tiny", "data": {"train": "builtin:news"}},
        )  # fmt: skip
        runs.mark_running(s, run_id, pid=1, device="cpu")
        points = [(i, "train_loss", 2.0 / i + offset, i // 5, t0 + i) for i in range(1, 11)]
        points += [
            (10, "dev_f1", 0.123456789 + offset, 1, t0 + 10),
            (11, "diverged", math.nan, None, t0),
        ]
        runs.add_metric_points(s, run_id, points)
        runs.add_evaluation(s, run_id, split="test", stage="after-task-0", overall=OVERALL,
                            per_type=PER_TYPE, task=0, step=5)  # fmt: skip
        runs.add_evaluation(s, run_id, split="test", stage="final", overall=OVERALL,
                            per_type={}, step=10)  # fmt: skip
        cells = [("f1", -1, 0, 0.01), ("f1", -1, 1, 0.0), ("f1", 0, 0, 0.8 - offset),
                 ("f1", 0, 1, None), ("f1", 1, 0, 0.3 + offset), ("f1", 1, 1, 0.7),
                 ("type_f1:PER", 1, 0, 0.25)]  # fmt: skip
        continual_store.add_matrix_cells(s, run_id, cells)
        example = {"task": 0, "types": ["PER"], "examples": [], "note": "王小明 forgot"}
        continual_store.add_record(s, run_id, kind="forgotten", stage="task-0", payload=example)
        folder = lab / "runs" / str(run_id)
        for stage in ("task_0", "final"):
            ckpt = folder / ("checkpoint" if stage == "final" else f"tasks/{stage}")
            ckpt.mkdir(parents=True)
            (ckpt / "config.json").write_text(json.dumps({"stage": stage, "run": run_id}))
            (ckpt / "model.safetensors").write_bytes(bytes(range(256)) * 40)
            runs.add_artifact(s, run_id, kind="checkpoint", path=str(ckpt), stage=stage)
        summary = {"continual": {"acc": 0.5, "bwt": -0.5 + offset}, "test_f1": 0.7,
                   "checkpoint": str(folder / "checkpoint"),
                   "log": "/old/machine/run.log"}  # fmt: skip
        runs.update_summary(s, run_id, summary)
        runs.transition(s, run_id, RunStatus.SUCCEEDED)
    return run_id


def other_lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the process at a second, empty lab (its own LAB_HOME and SQLite file)."""
    home = tmp_path / "classroom"
    monkeypatch.setenv("LAB_HOME", str(home))
    monkeypatch.setenv("LAB_DB_URL", f"sqlite:///{home / 'lab.db'}")
    dispose_engines()
    return home


def comparable(run) -> dict:
    """What must survive the trip (ids and paths are the new lab's own)."""
    metrics = [(s, k, "nan" if math.isnan(v) else v, t, w) for s, k, v, t, w in run.metrics]
    return {
        "name": run.name, "kind": run.kind, "method": run.method, "status": run.status,
        "config": run.config, "metrics": metrics, "evaluations": run.evaluations,
        "cells": run.cells, "records": run.records, "times": run.times,
    }  # fmt: skip


def test_round_trip_into_another_lab_reproduces_everything(lab, tmp_path, monkeypatch):
    first = make_run(lab, "race-naive", "naive", "race", 0.0)
    second = make_run(lab, "race-ewc", "ewc", "race", 0.1)
    before = [collect_run(first), collect_run(second)]
    bundle = tmp_path / "race.zip"
    manifest = export_bundle([first, second], bundle)
    assert [r["checkpoints"] for r in manifest["runs"]] == [["task_0", "final"]] * 2
    assert [r["summary_checkpoint"] for r in manifest["runs"]] == ["final", "final"]
    names = set(zipfile.ZipFile(bundle).namelist())
    assert {"manifest.json", "report.html", f"runs/run-{first}/matrices.csv"} <= names

    home = other_lab(tmp_path, monkeypatch)
    with write_session() as s:  # the classroom lab already has runs: the ids must move on
        for _ in range(5):
            runs.create_run(s, name="local", kind="finetune", method="full", config={})
        runs.create_run(s, name="local", kind="finetune", method="full", config={},
                        group_name="race")  # fmt: skip
    new_ids = import_bundle(bundle)
    assert new_ids == [7, 8]
    after = [collect_run(i) for i in new_ids]
    for old, new in zip(before, after, strict=True):
        assert comparable(new) == comparable(old)
        assert new.group_name == "race (imported)"  # the local race keeps its name
        assert set(new.checkpoints) == {"task_0", "final"}
        for stage, folder in new.checkpoints.items():
            assert Path(folder).is_relative_to(home / "runs" / str(new.id))
            for name in ("config.json", "model.safetensors"):
                assert (Path(folder) / name).read_bytes() == (
                    Path(old.checkpoints[stage]) / name
                ).read_bytes()
        assert new.summary.checkpoint == new.checkpoints["final"]
        assert "log" not in new.summary.stored()  # a path of the other machine is not kept
        assert new.summary.get("imported")["from_run"] == old.id
        assert new.summary.continual == old.summary.continual
    with read_session() as s:
        matrix = continual_store.score_matrix(s, new_ids[1])
    assert matrix.baseline == [0.01, 0.0]
    assert matrix.values == [[pytest.approx(0.7), None], [pytest.approx(0.4), 0.7]]
    assert list((home / "imports").iterdir()) == []  # the staging folder is gone


def test_export_without_checkpoints_and_refuses_unfinished_runs(lab, tmp_path):
    done = make_run(lab, "one", "naive", None, 0.0)
    manifest = export_bundle([done], tmp_path / "light.zip", checkpoints=False)
    assert manifest["runs"][0]["checkpoints"] == []
    assert not any("checkpoints/" in n for n in zipfile.ZipFile(tmp_path / "light.zip").namelist())
    with write_session() as s:
        running = runs.create_run(s, name="busy", kind="finetune", method="full", config={})
    with pytest.raises(BundleError, match=f"run {running} is PENDING"):
        export_bundle([running], tmp_path / "no.zip")
    with pytest.raises(BundleError, match="there is no run 404"):
        export_bundle([404], tmp_path / "no.zip")


def rewritten(bundle: Path, extra: dict[str, bytes], drop: str | None = None) -> bytes:
    """The bundle with members added (or replaced) and one left out."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(bundle) as src, zipfile.ZipFile(buffer, "w") as out:
        for info in src.infolist():
            if info.filename not in extra and info.filename != drop:
                out.writestr(info, src.read(info))
        for name, data in extra.items():
            out.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "extra, message",
    [
        ({"../../evil.txt": b"x"}, "unsafe path"),
        ({"/etc/evil": b"x"}, "unsafe path"),
        ({"runs\\run-1\\x": b"x"}, "unsafe path"),
        ({"runs/run-{id}/checkpoints/final/.hidden": b"x"}, "unsafe checkpoint file name"),
        ({"manifest.json": b'{"format": "zip"}'}, "not a Lifelong NER Lab bundle"),
        ({"manifest.json": b"{nope"}, "not valid JSON"),
        ({"runs/run-{id}/metrics.csv": b"key,step\nloss,notanumber\n"}, "a table is damaged"),
    ],
)
def test_unsafe_or_damaged_bundles_are_refused_and_nothing_is_written(
    lab, tmp_path, monkeypatch, extra, message
):
    run_id = make_run(lab, "one", "naive", None, 0.0)
    bundle = tmp_path / "ok.zip"
    export_bundle([run_id], bundle)
    bad = rewritten(bundle, {k.format(id=run_id): v for k, v in extra.items()})
    home = other_lab(tmp_path, monkeypatch)
    with pytest.raises(BundleError, match=message):
        import_bundle(io.BytesIO(bad))
    with read_session() as s:
        assert queries.list_runs(s) == []
    assert not (tmp_path / "evil.txt").exists() and not (home / "runs").exists()
    assert not (home / "imports").exists() or list((home / "imports").iterdir()) == []


def test_a_symlink_member_is_refused(lab, tmp_path, monkeypatch):
    run_id = make_run(lab, "one", "naive", None, 0.0)
    bundle = tmp_path / "ok.zip"
    export_bundle([run_id], bundle)
    buffer = io.BytesIO(rewritten(bundle, {}))
    with zipfile.ZipFile(buffer, "a") as archive:
        link = zipfile.ZipInfo(f"runs/run-{run_id}/checkpoints/final/link")
        link.external_attr = 0o120777 << 16
        archive.writestr(link, "/etc/passwd")
    other_lab(tmp_path, monkeypatch)
    with pytest.raises(BundleError, match="holds a link"):
        import_bundle(io.BytesIO(buffer.getvalue()))
    with pytest.raises(BundleError, match="not a zip bundle"):
        import_bundle(io.BytesIO(b"PK not really"))


@pytest.mark.slow
def test_cli_round_trip_of_a_real_continual_race(lab, capsys, tmp_path, monkeypatch):
    from engine.cli import main
    from engine.inference.tagger import tag_text

    train = {"epochs": 1, "batch_size": 8, "lr": 3e-3}
    config = tiny_config("race", strategy=per_then_loc("naive", 24), train=train)
    run_id = run_through_cli(config, tmp_path, capsys)
    with read_session() as s:
        R = continual_store.score_matrix(s, run_id)
    out = tmp_path / "out" / "race.zip"
    assert main(["bundle", "export", str(run_id), str(out)]) == 0
    assert f"exported run(s) {run_id} to {out}" in capsys.readouterr().out
    other_lab(tmp_path, monkeypatch)
    assert main(["bundle", "import", str(out)]) == 0
    (new_id,) = [int(i) for i in capsys.readouterr().out.strip().splitlines()[-1][8:].split(",")]
    with read_session() as s:
        imported = continual_store.score_matrix(s, new_id)
        stages = [a.stage for a in queries.artifacts(s, new_id, "checkpoint")]
    assert (imported.baseline, imported.values) == (R.baseline, R.values)
    assert stages == ["task_0", "task_1", "final"]
    tagged = tag_text(collect_run(new_id).checkpoints["task_0"], "Anna met Bob .")
    assert tagged["labels"] == ["O", "B-PER", "I-PER"]  # the weights after task 0 came along
    assert main(["bundle", "export", "1", "notazip"]) == 1
    assert "the last argument must be the bundle to write" in capsys.readouterr().err


def test_an_old_bundles_pseudo_label_run_keeps_the_fixed_rule_it_ran_with():
    stream = {"kind": "continual", "method": "pseudo_lwf", "tasks": {"by": "types"}}
    old = {"name": "old", "strategy": {**stream, "params": {"threshold": 0.8, "weight": 2.0}}}
    made = config_as_made(old)
    assert made["strategy"] == {**stream, "params": {"threshold": 0.8, "weight": 2.0,
                                                     "threshold_rule": "fixed"}}  # fmt: skip
    assert old["strategy"]["params"] == {"threshold": 0.8, "weight": 2.0}  # not changed in place
    new = {"strategy": {**stream, "params": {"threshold_rule": "class_median"}}}
    others = [new, {"strategy": {"kind": "continual", "method": "lwf", "params": {}}}, {}]
    assert [config_as_made(c) for c in others] == others  # named, or not a pseudo-label run
