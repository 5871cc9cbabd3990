"""Is the effect a lesson step shows above its noise? One line per comparison, under the chart.

Not a page (app.py does not register it). Each lesson's claim is an effect of one run over
another (ProtoNet over the fine-tuning baseline, pretrained over from-scratch, a rescue method
over naive); engine.lessons.margin gives it with its 95% interval, and the line says either
that the effect is at least twice the interval's half-width or, plainly, that it is small here
and why. `margin_line` is a pure function of the numbers, so tests check the words alone.
"""

from __future__ import annotations

import streamlit as st

from engine import api
from storage import continual as continual_store
from storage import queries
from storage.models import RunStatus
from views.parts import calls
from views.parts.i18n import t
from views.parts.lesson_runs import LessonGroup

Margin = api.lessons.margin.Margin


def margin_line(what: str, m: Margin, basis: str, why: str) -> str:
    """The sentence under a chart: the effect ± its half-width, and whether it is noise."""
    values = {"what": what, "effect": f"{m.effect:+.3f}", "basis": basis}
    if m.half is None:
        return t("lessons.margin.no_interval", **values)
    values["half"] = f"{m.half:.3f}"
    if m.clear:
        ratio = m.ratio if m.ratio is not None else 0.0
        shown = "∞" if ratio == float("inf") else f"{ratio:.1f}"
        return t("lessons.margin.clear", ratio=shown, **values)
    return t("lessons.margin.small", why=why, **values)


# ---- each lesson's comparison, from storage -------------------------------------------------


def episode_f1s(run_id: int) -> dict[int, float]:
    found = calls.read(continual_store.records, run_id, kind="meta_episode")
    return {int(r.payload["episode"]): float(r.payload["f1"]) for r in found}


def meta_margin(runs: list[queries.RunRow]) -> Margin | None:
    """ProtoNet minus the baseline, paired over the test episodes both were scored on."""
    by_method = {r.method: r for r in runs}
    proto, base = (by_method.get(m) for m in api.lessons.META_METHODS)
    if proto is None or base is None:
        return None
    a, b = episode_f1s(proto.id), episode_f1s(base.id)
    shared = sorted(set(a) & set(b))
    if not shared:
        return None
    return api.lessons.margin.paired([a[i] for i in shared], [b[i] for i in shared])


def test_entities(run_id: int) -> dict[int | None, int]:
    """Gold test entities per task (None: a run without tasks)."""
    rows = calls.read(queries.evaluations, run_id, split="test")
    return {row.task: row.support for row in rows}


def dapt_margin(runs: list[queries.RunRow]) -> Margin | None:
    """Pretrained minus from-scratch test F1 (both scored on the same test sentences)."""
    by_name = {r.name: r for r in runs}
    pre, scratch = by_name.get("lesson-dapt-with"), by_name.get("lesson-dapt-without")
    if pre is None or scratch is None or None in (pre.summary.test_f1, scratch.summary.test_f1):
        return None
    entities = test_entities(scratch.id).get(None)
    if not entities:
        return None
    return api.lessons.margin.f1_difference(pre.summary.test_f1, scratch.summary.test_f1, entities)


def rescue_margins(runs: list[queries.RunRow]) -> dict[str, Margin]:
    """Each method's BWT minus naive's, for the finished runs of the race."""
    done = {r.method: r for r in runs if r.summary.continual and r.summary.continual.matrix}
    naive = done.pop("naive", None)
    if naive is None:
        return {}
    counts = test_entities(naive.id)
    base = naive.summary.continual.matrix
    entities = [counts.get(j, 0) for j in range(len(base))]
    if not all(entities) or any(v is None for row in base for v in row):
        return {}
    out = {}
    for method, run in done.items():
        matrix = run.summary.continual.matrix
        if len(matrix) == len(base) and all(v is not None for row in matrix for v in row):
            out[method] = api.lessons.margin.bwt_difference(matrix, base, entities)
    return out


# ---- drawing ---------------------------------------------------------------------------------


def draw_meta(runs: list[queries.RunRow]) -> None:
    m = meta_margin(runs)
    if m is not None:
        basis = t("lessons.margin.basis_episodes", n=m.items)
        why = t("lessons.margin.why_meta", n=m.items)
        st.markdown(margin_line(t("lessons.margin.what_meta"), m, basis, why))


def draw_dapt(runs: list[queries.RunRow]) -> None:
    m = dapt_margin(runs)
    if m is not None:
        basis = t("lessons.margin.basis_entities", n=m.items)
        sentences = api.lessons.DAPT_SENTENCES
        why = t("lessons.margin.why_dapt", sentences=sentences)
        st.markdown(margin_line(t("lessons.margin.what_dapt"), m, basis, why))


def draw_rescue(runs: list[queries.RunRow]) -> None:
    for method, m in rescue_margins(runs).items():
        basis = t("lessons.margin.basis_entities", n=m.items)
        key = "lessons.margin.why_ewc" if method == "ewc" else "lessons.margin.why_rescue"
        why = t(key, n=m.items)
        st.markdown(margin_line(t("lessons.margin.what_rescue", method=method), m, basis, why))


def draw(chart: str, group: LessonGroup) -> None:
    """The margin lines of a chart of engine.lessons.presets, when it makes a claim."""
    runs = [r for r in group.runs if r.status == RunStatus.SUCCEEDED]  # partial scores mislead
    lessons = api.lessons
    if chart == lessons.META:
        draw_meta(runs)
    elif chart == lessons.COMPARE:
        draw_dapt(runs)
    elif chart == lessons.RACE:
        draw_rescue(runs)
