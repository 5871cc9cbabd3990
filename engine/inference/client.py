"""Which checkpoints a run has, and tagging text with one in a subprocess (no torch here).

The Playground page imports this through `engine.api`: it lists a run's checkpoint stages
(`best` or `final`, and `task_0`, `task_1`, ... for a continual run) and calls
`python -m engine predict RUN_ID --stage S --json` with the text on stdin, so the dashboard
process never loads torch. Errors come back as `PredictError` with one readable line.

    stages = checkpoint_stages(run_id)                  # [Stage("task_0", ...), ...]
    result = predict_text(run_id, "task_0", "Angela Merkel visited Paris .")
    done = predict_file(run_id, None, "notes.txt", data)  # PredictedFile: every document
    text = render_predictions(done.predictions, "labelstudio", model_version=done.model_version)

`predict_file` runs `python -m engine predict RUN_ID --input FILE --details JSON` the same way.
`can_tag(path)` says whether a checkpoint's head knows entity labels (a meta run's encoder
checkpoint knows only "O" and finds nothing).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.data.upload_check import file_extension
from engine.inference.outputs import PredictedFile
from engine.models.checkpoint import is_checkpoint
from storage import queries
from storage.db import read_session

REPO = Path(__file__).resolve().parents[2]
PREDICT_TIMEOUT_S = 180.0
PREDICT_FILE_TIMEOUT_S = 900.0
_TASK = re.compile(r"task_(\d+)")


class PredictError(RuntimeError):
    """Tagging could not be done; the message is one line a person can act on."""


@dataclass(frozen=True)
class Stage:
    name: str  # "best", "final", "task_0", ...
    path: str


def _order(stage: str) -> tuple[int, int, str]:
    match = _TASK.fullmatch(stage)
    return (0, int(match.group(1)), "") if match else (1, 0, stage)


def checkpoint_stages(run_id: int) -> list[Stage]:
    """The run's checkpoints still on disk, tasks in order first, one per stage (newest wins)."""
    with read_session() as s:
        found = queries.artifacts(s, run_id, "checkpoint")
    by_stage: dict[str, str] = {}
    for artifact in found:
        if is_checkpoint(Path(artifact.path)):
            by_stage[artifact.stage or "final"] = artifact.path
    return [Stage(name, by_stage[name]) for name in sorted(by_stage, key=_order)]


def resolve_checkpoint(run_id: int, stage: str | None = None) -> Stage:
    """The checkpoint of `stage`, or the run's last one (best / final) when stage is None."""
    with read_session() as s:
        exists = queries.get_run(s, run_id) is not None
    if not exists:
        raise PredictError(f"there is no run {run_id}")
    stages = checkpoint_stages(run_id)
    if not stages:
        raise PredictError(f"run {run_id} has no checkpoint on disk")
    if stage is None:
        return stages[-1]
    for candidate in stages:
        if candidate.name == stage:
            return candidate
    names = ", ".join(c.name for c in stages)
    raise PredictError(f"run {run_id} has no checkpoint {stage!r}; it has: {names}")


def checkpoint_labels(path: str | Path) -> list[str] | None:
    """The labels of a checkpoint's head (config.json id2label), None when it does not say."""
    try:
        config = json.loads((Path(path) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    labels = config.get("id2label") if isinstance(config, dict) else None
    return [str(v) for v in labels.values()] if isinstance(labels, dict) and labels else None


def can_tag(path: str | Path) -> bool:
    """False when the checkpoint's head knows only O (a meta run's encoder): it finds nothing."""
    labels = checkpoint_labels(path)
    return labels is None or any(label != "O" for label in labels)


def predict_text(
    run_id: int, stage: str | None, text: str, timeout_s: float = PREDICT_TIMEOUT_S
) -> dict[str, Any]:
    """Tag `text` with run `run_id`'s checkpoint `stage` in a fresh `python -m engine predict`.

    Returns {"run_id", "stage", "text", "labels", "words": [...], "entities": [...]}.
    """
    if not text.strip():
        raise PredictError("no text to tag: type a sentence")
    done = _run_predict(run_id, stage, ["--json"], text, timeout_s)
    try:
        return json.loads(done)
    except json.JSONDecodeError:
        raise PredictError(f"run {run_id}: the tagger printed something that is not JSON") from None


def predict_file(
    run_id: int,
    stage: str | None,
    filename: str,
    data: bytes,
    *,
    input_format: str = "auto",
    timeout_s: float = PREDICT_FILE_TIMEOUT_S,
) -> PredictedFile:
    """Tag every document of an uploaded file (raw text one document a line, JSONL, Label
    Studio, CoNLL, ...) in a fresh `python -m engine predict --input`; `filename` (the client's)
    only picks the extension. Render the result with engine.inference.outputs.render."""
    if not data.strip():
        raise PredictError("the file is empty: nothing to tag")
    with tempfile.TemporaryDirectory(prefix="lab-predict-") as folder:
        source = Path(folder) / f"input.{file_extension(filename)}"
        source.write_bytes(data)
        details = Path(folder) / "details.json"
        options = ["--input", str(source), "--input-format", input_format, "--quiet"]
        options += ["--format", "jsonl", "--output", str(Path(folder) / "out.jsonl")]
        _run_predict(run_id, stage, [*options, "--details", str(details)], "", timeout_s)
        try:
            return PredictedFile.from_dict(json.loads(details.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            raise PredictError(f"run {run_id}: the tagger wrote no readable result") from None


def _run_predict(
    run_id: int, stage: str | None, options: list[str], text: str, timeout_s: float
) -> str:
    """stdout of `python -m engine predict RUN_ID [--stage S] OPTIONS` fed `text`."""
    command = [sys.executable, "-m", "engine", "predict", str(int(run_id)), *options]
    if stage:
        command += ["--stage", stage]
    try:
        done = subprocess.run(
            command,
            input=text,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=timeout_s,
            cwd=REPO,
        )
    except subprocess.TimeoutExpired:
        raise PredictError(
            f"tagging with run {run_id} took longer than {timeout_s:.0f} s (is the machine busy "
            "training?); try again"
        ) from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        reason = lines[-1].removeprefix("error: ") if lines else f"exit code {done.returncode}"
        raise PredictError(f"could not tag with run {run_id}: {reason}")
    return done.stdout
