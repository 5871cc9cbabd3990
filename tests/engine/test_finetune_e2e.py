"""End to end through the CLI on the tiny backbone: learning happens, everything is recorded,
and the checkpoint works in a transformers pipeline."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import main
from tests.conftest import REPO

TINY = str(REPO / "examples" / "tiny_quick.yaml")


def run_cli(capsys, *args: str) -> tuple[int, list[str]]:
    code = main(list(args))
    out = capsys.readouterr().out.strip().splitlines()
    return code, out


@pytest.fixture
def finished_run(lab, capsys) -> int:
    code, out = run_cli(capsys, "run", TINY, "--quiet")
    assert code == 0
    assert out[-1].startswith("run_id=")
    return int(out[-1].split("=")[1])


def test_tiny_run_learns_and_is_recorded(finished_run, capsys):
    code, out = run_cli(capsys, "show", str(finished_run), "--json")
    assert code == 0
    shown = json.loads("\n".join(out))
    assert {"id", "name", "kind", "method", "status", "device", "metrics"} <= shown.keys()
    assert (shown["kind"], shown["method"], shown["status"]) == ("finetune", "full", "SUCCEEDED")
    m = shown["metrics"]
    assert 0.3 < m["dev_f1"] <= 1.0  # from scratch in seconds: well above chance, not perfect
    assert 0.3 < m["test_f1"] <= 1.0
    assert m["train_tokens_per_s"] > 0 and m["train_seconds"] > 0
    assert m["steps"] == 4 * 19  # 600 sentences / 32 per batch, 4 epochs

    from storage import queries
    from storage.db import read_session

    with read_session() as s:
        loss = [v for _, v, _ in queries.metric_series(s, finished_run, "train_loss")]
        evals = queries.evaluations(s, finished_run)
    assert loss[-1] < 0.5 * loss[0]
    dev_evals = [e for e in evals if e.split == "dev"]
    assert [e.stage for e in dev_evals] == ["epoch-1", "epoch-2", "epoch-3", "epoch-4"]
    test_eval = next(e for e in evals if e.split == "test")
    assert set(test_eval.per_type) == {"EVENT", "LOC", "NORP", "ORG", "PER"}
    assert test_eval.f1 == pytest.approx(m["test_f1"])

    from engine.data.builtin import load_builtin
    from storage import continual as continual_store

    with read_session() as s:
        (confusion,) = continual_store.records(s, finished_run, kind="confusion")
    labels, matrix = confusion.payload["labels"], confusion.payload["matrix"]
    assert labels == ["EVENT", "LOC", "NORP", "ORG", "PER", "O"]
    test_words = sum(len(x.tokens) for x in load_builtin("news", "test"))
    assert sum(map(sum, matrix)) == test_words  # every test word counted once


def test_checkpoint_runs_in_a_transformers_pipeline(finished_run, capsys):
    code, out = run_cli(capsys, "show", str(finished_run), "--json")
    ckpt = Path(json.loads("\n".join(out))["checkpoint"])
    assert (ckpt / "model.safetensors").is_file() and not list(ckpt.glob("*.bin"))
    config = json.loads((ckpt / "config.json").read_text())
    assert config["id2label"]["0"] == "O" and "B-PER" in config["label2id"]
    from transformers import pipeline

    ner = pipeline("token-classification", model=str(ckpt), aggregation_strategy="simple")
    spans = ner("Maria Lopez flew to Paris on Monday .")
    assert isinstance(spans, list)
    assert all(s["entity_group"] in {"EVENT", "LOC", "NORP", "ORG", "PER"} for s in spans)


def test_export_writes_config_metrics_reports_and_checkpoint(finished_run, capsys, tmp_path):
    code, _ = run_cli(capsys, "export", str(finished_run), str(tmp_path / "out"))
    assert code == 0
    out = tmp_path / "out"
    assert "backbone: tiny" in (out / "config.yaml").read_text()
    metrics = (out / "metrics.csv").read_text().splitlines()
    # the lab's one metrics CSV (storage.exports): the same columns as bundles and the dashboard
    assert metrics[0] == "key,step,value,task,wall_time" and any(
        r.startswith("train_loss,") for r in metrics
    )
    assert "test,final,,PER," in (out / "per_type.csv").read_text()
    assert (out / "checkpoint" / "model.safetensors").is_file()


def test_list_and_repeat_from_run(finished_run, capsys):
    code, out = run_cli(capsys, "list")
    assert code == 0 and "tiny-quick" in out[1] and "SUCCEEDED" in out[1]
    code, out = run_cli(
        capsys, "run", "--from-run", str(finished_run), "--quiet", "--set", "train.epochs=1"
    )
    assert code == 0
    second = int(out[-1].split("=")[1])
    code, out = run_cli(capsys, "show", str(second), "--json")
    shown = json.loads("\n".join(out))
    assert shown["config"]["train"]["epochs"] == 1
    assert shown["config"]["data"] == json.loads(json.dumps(shown["config"]["data"]))
    assert shown["metrics"]["steps"] == 19


def test_bad_config_fails_with_one_line_naming_the_field(lab, capsys):
    code = main(["run", TINY, "--set", "train.epochs=-1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0 and len(err) == 1 and "train.epochs" in err[0]


def test_missing_data_file_fails_the_run_with_a_reason(lab, capsys, tmp_path):
    code = main(["run", TINY, "--quiet", "--set", f"data.train={tmp_path / 'nope.conll'}"])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.out.strip().splitlines()[-1].startswith("run_id=")
    assert "nope.conll" in captured.err and "Traceback" not in captured.err + captured.out


@pytest.mark.slow
def test_subprocess_contract_last_line_is_run_id(lab):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "engine",
            "run",
            TINY,
            "--set",
            "data.max_train_sentences=64",
            "--set",
            "train.epochs=1",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1].startswith("run_id=")
    assert "train" in proc.stderr  # the progress bar goes to stderr
