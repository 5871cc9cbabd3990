"""Export runs (one run, or a strategy race) as a zip bundle another lab can import.

A teacher prepares runs at home and shows them in class: the bundle carries everything a page
draws, and opens on its own too.

    manifest.json                      format, version, the runs and their checkpoint stages
    report.html                        static report, Plotly charts, plotly.js inline (no server)
    runs/run-<ID>/config.yaml          the resolved config (repeat the run with it)
    runs/run-<ID>/run.json             name, kind, method, status, summary, group, times
    runs/run-<ID>/metrics.csv          key, step, value, task, wall_time (every point)
    runs/run-<ID>/evaluations.csv      evaluation, split, stage, task, step, entity_type, P/R/F1
    runs/run-<ID>/matrices.csv         kind, row, col, value (continual R and per-type matrices)
    runs/run-<ID>/records.json         stage records (forgotten examples, drift, confusion)
    runs/run-<ID>/checkpoints/<stage>/ Hugging Face checkpoint folders (final, best, task_0, ...)

    export_bundle([3, 4], "race.zip")          # engine.runs.bundle_import.import_bundle reads it
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import yaml

from engine.runs.run_data import RunData, collect_run
from storage import exports
from storage.queries import MetricPointRow
from storage.rows import same_named

FORMAT = "lifelong-ner-lab-bundle"
VERSION = 1
MANIFEST = "manifest.json"
REPORT = "report.html"
FINISHED = ("SUCCEEDED", "FAILED", "STOPPED")
EVALUATION_COLUMNS = (
    "evaluation", "split", "stage", "task", "step", "entity_type",
    "precision", "recall", "f1", "support",
)  # fmt: skip
MATRIX_COLUMNS = ("kind", "row", "col", "value")
# Weights do not compress; storing them saves minutes of CPU on a big checkpoint.
STORED_SUFFIXES = (".safetensors", ".bin", ".pt")


class BundleError(ValueError):
    """A bundle that cannot be written or read; the message says which run or member and why."""


def run_key(run_id: int) -> str:
    return f"run-{int(run_id)}"


def _blank(value: Any) -> Any:
    return "" if value is None else value


def _csv_text(columns: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([_blank(v) for v in row] for row in rows)
    return buffer.getvalue()


def metrics_csv(run: RunData) -> str:
    return exports.metrics_csv(MetricPointRow(*point) for point in run.metrics)


def evaluations_csv(run: RunData) -> str:
    rows = []
    for i, e in enumerate(run.evaluations):
        head = [i, e.split, e.stage, e.task, e.step]
        o = e.overall
        rows.append([*head, "", o["precision"], o["recall"], o["f1"], o["support"]])
        for name, sc in sorted(e.per_type.items()):
            rows.append([*head, name, sc["precision"], sc["recall"], sc["f1"], sc["support"]])
    return _csv_text(EVALUATION_COLUMNS, rows)


def matrices_csv(run: RunData) -> str:
    return _csv_text(MATRIX_COLUMNS, run.cells)


# What run.json holds of a run, in this order (its records travel as files of their own).
RUN_JSON_FIELDS = (
    "id", "name", "kind", "method", "status", "summary", "group_name", "parent_id", "device",
    "error", "times",
)  # fmt: skip


def run_json(run: RunData) -> dict[str, Any]:
    return {**same_named(run, RUN_JSON_FIELDS), "summary": run.summary.stored()}


def _summary_stage(run: RunData) -> str | None:
    """The stage whose folder the run's summary names as its checkpoint."""
    named = run.summary.checkpoint
    for stage, path in run.checkpoints.items():
        if named and Path(path).resolve() == Path(named).resolve():
            return stage
    return None


def _write_checkpoint(archive: zipfile.ZipFile, folder: Path, prefix: str) -> list[str]:
    written = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        name = f"{prefix}/{path.relative_to(folder).as_posix()}"
        stored = path.suffix in STORED_SUFFIXES
        archive.write(path, name, zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
        written.append(name)
    return written


def collect_runs(run_ids: Iterable[int]) -> list[RunData]:
    """The finished runs `run_ids` (duplicates dropped, order kept); BundleError otherwise."""
    ids = list(dict.fromkeys(int(i) for i in run_ids))
    if not ids:
        raise BundleError("choose at least one run to export")
    runs = []
    for run_id in ids:
        try:
            run = collect_run(run_id)
        except ValueError as err:
            raise BundleError(str(err)) from None
        if run.status not in FINISHED:
            raise BundleError(f"run {run_id} is {run.status}; export it once it has finished")
        runs.append(run)
    return runs


def export_bundle(
    run_ids: Iterable[int], target: str | Path | IO[bytes], *, checkpoints: bool = True
) -> dict[str, Any]:
    """Write the runs' bundle to `target` (a path or a binary file); returns its manifest."""
    from engine.runs.report import render_report

    runs = collect_runs(run_ids)
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "runs": [],
    }
    if isinstance(target, str | Path):
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for run in runs:
            base = f"runs/{run_key(run.id)}"
            text = yaml.safe_dump(run.config, sort_keys=False, allow_unicode=True)
            archive.writestr(f"{base}/config.yaml", text)
            archive.writestr(f"{base}/run.json", json.dumps(run_json(run), ensure_ascii=False))
            archive.writestr(f"{base}/metrics.csv", metrics_csv(run))
            archive.writestr(f"{base}/evaluations.csv", evaluations_csv(run))
            archive.writestr(f"{base}/matrices.csv", matrices_csv(run))
            archive.writestr(f"{base}/records.json", json.dumps(run.records, ensure_ascii=False))
            stages = []
            if checkpoints:
                for stage, folder in run.checkpoints.items():
                    if _write_checkpoint(archive, Path(folder), f"{base}/checkpoints/{stage}"):
                        stages.append(stage)
            manifest["runs"].append(
                {
                    "key": run_key(run.id),
                    "id": run.id,
                    "name": run.name,
                    "checkpoints": stages,
                    "summary_checkpoint": _summary_stage(run) if stages else None,
                }
            )
        archive.writestr(REPORT, render_report(runs))
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False))
    return manifest


def bundle_bytes(run_ids: Iterable[int], *, checkpoints: bool = True) -> bytes:
    """The bundle as bytes (a dashboard download)."""
    buffer = io.BytesIO()
    export_bundle(run_ids, buffer, checkpoints=checkpoints)
    return buffer.getvalue()


def report_html(run_ids: Iterable[int]) -> str:
    """The static HTML report of these runs, straight from this lab's database."""
    from engine.runs.report import render_report

    return render_report(collect_runs(run_ids))
