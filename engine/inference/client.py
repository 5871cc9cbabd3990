"""Which checkpoints a run has, and tagging text with one in a subprocess (no torch here).

The Playground page imports this through `engine.api`: it lists a run's checkpoint stages
(`best` or `final`, and `task_0`, `task_1`, ... for a continual run) and calls
`python -m engine predict RUN_ID --stage S --json` with the text on stdin, so the dashboard
process never loads torch. Errors come back as `PredictError` with one readable line.

    stages = checkpoint_stages(run_id)                  # [Stage("task_0", ...), ...]
    result = predict_text(run_id, "task_0", "Angela Merkel visited Paris .")
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.models.checkpoint import is_checkpoint
from storage import queries
from storage.db import read_session

REPO = Path(__file__).resolve().parents[2]
PREDICT_TIMEOUT_S = 180.0
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


def predict_text(
    run_id: int, stage: str | None, text: str, timeout_s: float = PREDICT_TIMEOUT_S
) -> dict[str, Any]:
    """Tag `text` with run `run_id`'s checkpoint `stage` in a fresh `python -m engine predict`.

    Returns {"run_id", "stage", "text", "labels", "words": [...], "entities": [...]}.
    """
    if not text.strip():
        raise PredictError("no text to tag: type a sentence")
    command = [sys.executable, "-m", "engine", "predict", str(int(run_id)), "--json"]
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
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        raise PredictError(f"run {run_id}: the tagger printed something that is not JSON") from None
