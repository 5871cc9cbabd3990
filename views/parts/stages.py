"""One stage vocabulary on every page: "before training", "after task 1..T", "final".

Stored stage names come from several writers and versions: `initial` / `baseline` (before any
task), `after-task-N` (evaluations, mappings) and `task_N` (checkpoints) with N 0-based,
`epoch-N`, `best`, `final`. Every page shows them through `stage_label`, so the Playground's
"after task 1" is the Forgetting page's "after task 1" (both 1-based, as people count).
"""

from __future__ import annotations

import re

from views.parts.i18n import t

_AFTER_TASK = re.compile(r"(?:after-task-|task_|task-)(\d+)")
_EPOCH = re.compile(r"epoch-(\d+)")
_FIXED = {"initial": "stages.initial", "baseline": "stages.initial", "final": "stages.final"}
_FIXED |= {"best": "stages.best", "episodes-pooled": "stages.episodes"}


def task_index(stage: str) -> int | None:
    """The 0-based task a stage is "after" (`after-task-2`, `task_2` -> 2); None otherwise."""
    match = _AFTER_TASK.fullmatch(stage)
    return int(match.group(1)) if match else None


def stage_label(stage: str | None) -> str:
    """The stage as a person reads it, in the chosen language; an unknown name as it is."""
    if not stage:
        return t("stages.final")
    if stage in _FIXED:
        return t(_FIXED[stage])
    task = task_index(stage)
    if task is not None:
        return t("stages.after_task", n=task + 1)
    epoch = _EPOCH.fullmatch(stage)
    return t("stages.epoch", n=int(epoch.group(1))) if epoch else stage


def stage_order(stage: str) -> tuple[int, int]:
    """Sort key: before training, after each task in order, epochs, then best / final."""
    if stage in ("initial", "baseline"):
        return (0, 0)
    task = task_index(stage)
    if task is not None:
        return (1, task)
    epoch = _EPOCH.fullmatch(stage)
    return (2, int(epoch.group(1))) if epoch else (3, 0 if stage == "best" else 1)
