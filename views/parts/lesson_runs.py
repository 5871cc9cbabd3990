"""The Lessons page's runs: which stored runs belong to a lesson step, and starting new ones.

Not a page (app.py does not register it). Every press of Run submits the step's presets under
one fresh group_name `lesson:<lesson>:<step>:<time>` (engine.lessons.presets.new_group), so a lesson
run is kept like any other and the page finds the latest one again: opening a lesson shows the
last result at once, and "Run again" just makes a newer group. `pace_control` draws the Next
task / Stop buttons of a paced continual run (engine.jobs.task_gate).
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from engine import api
from storage import queries
from storage.models import RunStatus
from views.parts import calls, fmt, wizard_estimate
from views.parts.i18n import t

RECENT_RUNS = 2000  # how far back the page looks for a step's runs


@dataclass(frozen=True)
class LessonGroup:
    """The runs one press of Run started, oldest first."""

    name: str
    runs: tuple[queries.RunRow, ...]

    @property
    def active(self) -> bool:
        return any(r.status in fmt.ACTIVE_STATES for r in self.runs)

    @property
    def succeeded(self) -> bool:
        return all(r.status == RunStatus.SUCCEEDED for r in self.runs)

    @property
    def newest_id(self) -> int:
        return max(r.id for r in self.runs)


def groups_of(lesson_id: str, step_id: str) -> list[LessonGroup]:
    """The step's groups, newest first."""
    prefix = api.lessons.group_prefix(lesson_id, step_id)
    found: dict[str, list[queries.RunRow]] = {}
    for run in calls.read(queries.list_runs, group_prefix=prefix, limit=RECENT_RUNS):
        found.setdefault(run.group_name or "", []).append(run)
    groups = [
        LessonGroup(name, tuple(sorted(members, key=lambda r: r.id)))
        for name, members in found.items()
    ]
    return sorted(groups, key=lambda g: g.newest_id, reverse=True)


def shown_group(lesson_id: str, step_id: str) -> LessonGroup | None:
    """What the step shows: a group still running, else the newest that finished well (a
    prepared result survives a later stopped try), else the newest of any kind."""
    groups = groups_of(lesson_id, step_id)
    for wanted in (lambda g: g.active, lambda g: g.succeeded, lambda g: True):
        found = next((g for g in groups if wanted(g)), None)
        if found is not None:
            return found
    return None


def group_runs(name: str) -> LessonGroup | None:
    """The runs of one group (one press of Run); None when it has none."""
    members = calls.read(queries.list_runs, group_name=name, limit=RECENT_RUNS)
    if not members:
        return None
    return LessonGroup(name, tuple(sorted(members, key=lambda r: r.id)))


def backbone_run(lesson_id: str, step_id: str) -> int | None:
    """The run a step's FROM_EARLIER presets start from: the earlier step's newest finished
    run (None when that step has not run, or its run has not finished well)."""
    step = api.lessons.lesson(lesson_id).step(step_id)
    earlier = step.run.backbone_from if step.run is not None else None
    if earlier is None:
        return None
    for group in groups_of(lesson_id, earlier):
        if group.succeeded:
            return group.runs[0].id
    return None


def start(lesson_id: str, step_id: str, backbone: int | None = None) -> str:
    """Submit the step's presets under a fresh group; returns its name. Every config is
    validated before the first is queued, so a bad preset starts nothing."""
    configs = api.lessons.step_configs(lesson_id, step_id, backbone)
    group = api.lessons.new_group(lesson_id, step_id)
    for cfg in configs:
        api.submit(cfg, group_name=group)
    return group


def step_estimate(lesson_id: str, step_id: str, backbone: int | None) -> api.Estimate | None:
    """This machine's estimate for the step's presets, run one after another. A preset that
    starts from an earlier step's model not trained yet is estimated with that step's config
    as its parent (the model it will have)."""
    run = api.lessons.lesson(lesson_id).step(step_id).run
    if run is None:
        return None
    parent = None
    if run.backbone_from and backbone is None:
        parent = api.lessons.step_configs(lesson_id, run.backbone_from)[0]
    waiting = f"{api.RUN_PREFIX}0"  # a placeholder id: `parent` says what the model will be
    configs = api.lessons.step_configs(lesson_id, step_id, 0 if parent else backbone)
    estimates = [
        wizard_estimate.estimate(cfg, parent if cfg.backbone == waiting else None)
        for cfg in configs
    ]
    return api.combine_estimates(estimates)


def estimate_caption(lesson_id: str, step_id: str, backbone: int | None) -> None:
    """The step's estimated time (a range and its basis) under its Run button."""
    est = step_estimate(lesson_id, step_id, backbone)
    if est is None:
        return
    run = api.lessons.lesson(lesson_id).step(step_id).run
    count = len(run.presets) if run is not None else 1
    key = "estimate.lesson" if count > 1 else "estimate.line"
    if run is not None and run.paced:
        key = "estimate.lesson_paced"
    rng, basis = wizard_estimate.range_text(est), wizard_estimate.basis_text(est)
    st.caption(t(key, range=rng, count=count, basis=basis))


def pace_control(run: queries.RunRow) -> None:
    """A paced run (pause_between_tasks): which task it waits for, and the Next task / Stop
    buttons. Any page showing a continual run can call it."""
    if run.status not in fmt.ACTIVE_STATES:
        return
    run_id = run.id
    waiting = run.paused_before_task
    left, right = st.columns([3, 1])
    if waiting is None:
        left.caption(t("lessons.training"))
    else:
        left.info(t("lessons.paused", done=waiting, next=waiting + 1))
        if left.button(t("lessons.next_task", n=waiting + 1), key="lesson_next_task",
                       type="primary"):  # fmt: skip
            if api.allow_next_task(run_id, waiting):
                st.toast(t("lessons.next_task_sent", n=waiting + 1))
            else:
                st.warning(t("lessons.already_finished", run_id=run_id))
    if right.button(t("lessons.stop"), key="lesson_stop"):
        api.cancel(run_id)
        st.toast(t("lessons.stopping", run_id=run_id))
