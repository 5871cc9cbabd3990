"""Lessons: guided classroom lessons (`?lesson=ID`), step by step, in English or Chinese.

Each lesson (engine.lessons.presets) is a short sequence: an explanation, a question for the
students
to predict, a Run button with a preset that finishes on a laptop CPU in a few minutes, the
live chart, and what to notice. Steps appear one at a time ("Next step") and stay on screen,
so the chart is still there while the class discusses it. A finished lesson run is kept: the
step shows the latest result at once, and "Run again" starts a fresh one. In the forgetting
lesson the run waits after each task for "Next task", so the teacher sets the pace.
"""

from __future__ import annotations

import streamlit as st

from engine import api
from storage.models import RunStatus
from views.parts import calls, fmt, highlight, lesson_charts, lesson_margin, lesson_runs
from views.parts.i18n import t
from views.parts.lesson_runs import LessonGroup

LIVE_EVERY_S = 2
STEP_ICONS = {"explain": "💡", "predict": "🤔", "run": "▶️", "notice": "👀"}


def lesson_text(lesson_id: str, part: str, **values: object) -> str:
    return t(api.lessons.text_key(lesson_id, part), **values)


def step_state_key(lesson_id: str) -> str:
    return f"lesson_step_{lesson_id}"


# ---- choosing a lesson and a step ----------------------------------------------------------


def pick_lesson() -> str:
    ids = [x.id for x in api.lessons.LESSONS]
    wanted = st.query_params.get("lesson")
    chosen = st.selectbox(
        t("lessons.pick"),
        ids,
        index=ids.index(wanted) if wanted in ids else 0,
        key="lesson_pick",
        format_func=fmt.label_lookup(ids, lambda x: lesson_text(x, "title")),
    )
    if wanted != chosen:
        st.query_params["lesson"] = chosen
    return chosen


def navigation(lesson_id: str, shown: int, total: int) -> None:
    """Back / Next step / Start over, below the steps shown so far."""
    key = step_state_key(lesson_id)
    back, forward, again = st.columns([1, 1, 4])
    if back.button(t("lessons.back"), key="lesson_back", disabled=shown == 0):
        st.session_state[key] = shown - 1
        st.rerun()
    if forward.button(
        t("lessons.next_step"), key="lesson_next", type="primary", disabled=shown >= total - 1
    ):
        st.session_state[key] = shown + 1
        st.rerun()
    if again.button(t("lessons.restart"), key="lesson_restart", disabled=shown == 0):
        st.session_state[key] = 0
        st.rerun()


# ---- one step ------------------------------------------------------------------------------


def draw_step(lesson_id: str, step: api.lessons.Step, number: int, total: int) -> None:
    with st.container(border=True):
        st.markdown(
            f"{STEP_ICONS.get(step.kind, '')} **{t('lessons.step_of', n=number, total=total)} · "
            f"{t(f'lessons.kind.{step.kind}')}**"
        )
        st.markdown(lesson_text(lesson_id, step.id))
        if step.run is not None:
            with calls.friendly(t("errors.lesson_run")):
                run_panel(lesson_id, step)


def run_panel(lesson_id: str, step: api.lessons.Step) -> None:
    """The Run / Run again button and the live result of the step's latest runs."""
    step_id, run = step.id, step.run
    assert run is not None
    group = lesson_runs.shown_group(lesson_id, step_id)
    backbone = None
    if run.backbone_from:
        backbone = lesson_runs.backbone_run(lesson_id, step_id)
        if backbone is None:
            earlier = lesson_text(lesson_id, f"{run.backbone_from}_name")
            st.info(t("lessons.needs_earlier", step=earlier))
    label = t("lessons.run") if group is None else t("lessons.run_again")
    blocked = (run.backbone_from is not None and backbone is None) or (
        group is not None and group.active
    )
    if st.button(label, key=f"lesson_run_{step_id}", type="primary", disabled=blocked):
        lesson_runs.start(lesson_id, step_id, backbone)
        st.toast(t("lessons.started", count=len(run.presets)))
        st.rerun()
    lesson_runs.estimate_caption(lesson_id, step_id, backbone)  # this machine's, not a constant
    if group is None:
        st.caption(t("lessons.not_run_yet"))
        return
    live = st.fragment(run_every=LIVE_EVERY_S if group.active else None)(live_result)
    live(lesson_id, step_id, group.name, group.active)


def live_result(lesson_id: str, step_id: str, group_name: str, was_active: bool) -> None:
    """Status, the Next task control and the charts; reruns alone while a run is active."""
    calls.reconcile_jobs()  # a fragment rerun skips app.py: keep the queue moving from here
    group = lesson_runs.group_runs(group_name)
    if group is None:
        st.caption(t("lessons.not_run_yet"))
        return
    if was_active and not group.active:
        st.rerun(scope="app")  # finished: redraw once without the live timer
    status_lines(group)
    run = api.lessons.lesson(lesson_id).step(step_id).run
    if run is not None and run.paced:
        with calls.friendly(t("errors.next_task")):
            lesson_runs.pace_control(group.runs[0])
    for chart in run.charts if run is not None else ():
        with calls.friendly(t("errors.lesson_chart")):
            lesson_charts.draw(chart, group)
            lesson_margin.draw(chart, group)  # is the effect above its noise?


def status_lines(group: LessonGroup) -> None:
    done = sum(r.status not in fmt.ACTIVE_STATES for r in group.runs)
    if group.active:
        st.caption(t("lessons.progress", done=done, total=len(group.runs)))
        if all(r.status == RunStatus.PENDING for r in group.runs):
            st.caption(t("lessons.queued"))
    else:
        finished = max((r.finished_at for r in group.runs if r.finished_at), default=None)
        st.caption(t("lessons.result_from", when=fmt.format_time(finished)))
    parts = [
        f"{fmt.status_badge(r.status)} [#{r.id} {highlight.escape_text(r.name)}](/runs?run={r.id})"
        for r in group.runs
    ]
    st.markdown(" · ".join(parts))
    for r in group.runs:
        if r.status in (RunStatus.FAILED, RunStatus.STOPPED) and r.error:
            st.warning(t("lessons.run_ended", run_id=r.id, status=fmt.status_text(r.status),
                         error=r.error))  # fmt: skip


# ---- the page ------------------------------------------------------------------------------


def page() -> None:
    st.title(t("lessons.title"))
    st.caption(t("lessons.intro"))
    lesson_id = pick_lesson()
    lesson = api.lessons.lesson(lesson_id)
    st.subheader(lesson_text(lesson_id, "title"))
    st.markdown(lesson_text(lesson_id, "goal"))
    total = len(lesson.steps)
    shown = min(max(int(st.session_state.get(step_state_key(lesson_id), 0)), 0), total - 1)
    st.progress((shown + 1) / total, text=t("lessons.step_of", n=shown + 1, total=total))
    for number, step in enumerate(lesson.steps[: shown + 1], start=1):
        draw_step(lesson_id, step, number, total)
    navigation(lesson_id, shown, total)


with calls.friendly(t("errors.lessons")):
    page()
