"""The Runs page's per-type scores: precision, recall and F1 of each entity type as a table and
bars, from the final test evaluation (else the latest dev one); for a task stream, each type on
its own task's test data at the latest stage, "-" for types not taught yet.

Not a page (app.py does not register it): views/runs.py calls `per_type_section(run_id)`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from engine.figures import bars as figures_bars
from storage import queries
from views.parts import calls, fmt
from views.parts.i18n import t

SCORES = ("precision", "recall", "f1")


def per_type_section(run_id: int) -> None:
    evaluations = calls.read(queries.evaluations, run_id)
    tests = [e for e in evaluations if e.split == "test"]
    devs = [e for e in evaluations if e.split == "dev"]
    chosen = tests[-1] if tests else (devs[-1] if devs else None)
    st.subheader(t("runs.per_type"))
    if chosen is None:
        st.caption(t("runs.no_eval"))
        return
    if chosen.split == "test" and chosen.task is not None:  # a task stream, between its tasks
        rows, per_type, numeric = stream_rows(tests), stream_scores(tests), ()
    else:
        where = t("runs.where", split=chosen.split, stage=chosen.stage)
        if chosen.step is not None:
            where = t("runs.where_step", where=where, step=chosen.step)
        from_test = t("runs.from_final_test", where=where)
        st.caption(from_test if tests else t("runs.from_latest_dev", where=where))
        per_type, numeric = chosen.per_type, SCORES
        overall = {"precision": chosen.precision, "recall": chosen.recall, "f1": chosen.f1,
                   "support": chosen.support}  # fmt: skip
        columns = (*SCORES, "support")
        rows = [{"type": k, **{m: s[m] for m in columns}} for k, s in sorted(per_type.items())]
        rows.append({"type": t("runs.overall"), **overall})
    headers = {name: t(f"runs.col.{name}") for name in ("type", *SCORES, "support")}
    left, right = st.columns([2, 3])
    left.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        key="run_per_type",
        column_config=fmt.column_labels(headers, scores=numeric),
    )
    figure = figures_bars.per_type_bars(per_type, metrics={m: headers[m] for m in SCORES})
    right.plotly_chart(figure, key="run_per_type_chart")


def stream_stage(tests: list[queries.EvaluationRow]) -> tuple[str, int]:
    """The latest stage of a task stream's test evaluations, named, and how many tasks were
    taught by then (its stages come in order: before any task, after task 1, ...)."""
    stages = list(dict.fromkeys(e.stage for e in tests if e.task is not None))
    taught = len(stages) - 1
    return (t("forgetting.before") if taught < 1 else t("forgetting.after_task", n=taught)), taught


def stream_scores(tests: list[queries.EvaluationRow]) -> dict[str, dict[str, Any]]:
    """Each type's scores at the latest stage, on its own task's test data; {} when its task
    is not taught yet (so its bars stay empty rather than showing an untaught 0)."""
    latest, (_, taught) = tests[-1].stage, stream_stage(tests)
    found: dict[str, dict[str, Any]] = {}
    for e in (e for e in tests if e.stage == latest and e.task is not None):
        for kind, scores in e.per_type.items():
            found[kind] = dict(scores) if e.task < taught else {}
    return found


def stream_rows(tests: list[queries.EvaluationRow]) -> list[dict[str, Any]]:
    """The per-type table of a task stream's latest stage, "-" for types not taught yet."""
    stage, _ = stream_stage(tests)
    step = tests[-1].step
    st.caption(t("runs.from_stage_test", stage=stage, step="-" if step is None else step))
    supports = {k: s.get("support") for e in tests for k, s in e.per_type.items()}
    rows = []
    for kind, scores in sorted(stream_scores(tests).items()):
        name = kind if scores else t("runs.not_taught", type=kind)
        shown = {m: fmt.format_score(scores.get(m)) for m in SCORES}
        rows.append({"type": name, **shown, "support": supports.get(kind)})
    return rows
