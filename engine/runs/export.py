"""`export RUN_ID DIR`: config YAML, metrics CSV, per-type report CSV, summary and checkpoint."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import yaml

from engine.runs.summary import run_summary
from storage import exports, queries
from storage.db import read_session


def export_run(run_id: int, target: str | Path) -> Path:
    summary = run_summary(run_id)
    if summary is None:
        raise ValueError(f"no run {run_id}")
    out = Path(target).resolve()
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.yaml").write_text(
        yaml.safe_dump(summary["config"], sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    with read_session() as s:
        points = queries.metric_points(s, run_id)
        evals = queries.evaluations(s, run_id)
    (out / "metrics.csv").write_text(exports.metrics_csv(points), encoding="utf-8")
    with (out / "per_type.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["split", "stage", "task", "type", "precision", "recall", "f1", "support"])
        for ev in evals:
            w.writerow(
                [ev.split, ev.stage, ev.task, "ALL", ev.precision, ev.recall, ev.f1, ev.support]
            )
            for etype, sc in ev.per_type.items():
                w.writerow(
                    [
                        ev.split,
                        ev.stage,
                        ev.task,
                        etype,
                        sc["precision"],
                        sc["recall"],
                        sc["f1"],
                        sc["support"],
                    ]
                )
    ckpt = summary.get("checkpoint")
    if ckpt and Path(ckpt).is_dir():
        shutil.copytree(ckpt, out / "checkpoint", dirs_exist_ok=True)
    elif ckpt:  # recorded but gone: say so rather than hand over an export without it
        raise FileNotFoundError(
            f"run {run_id}'s checkpoint {ckpt} is missing (deleted?); the config, metrics and "
            f"reports were exported to {out} without it"
        )
    return out
