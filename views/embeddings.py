"""Embeddings: how a run's mapping from tokens to vectors moved, stage by stage (`?run=ID`).

Each point is one probe token (dev sentences), placed by one 2-D projection fitted on every stage
of the run (engine.probe.report), so a point that moves between stages moved in the model.
Colour by gold type, by correctness or by predicted type; hover shows the token in its sentence;
a stage slider, or Plotly animation frames with a play button; arrows from one stage to another
for a type's centroid or for every occurrence of a searched token. The side panel has the
statistics: silhouette by gold type and type accuracy per stage, the linear-CKA matrix between
stages and how far each type's centroid moved. A meta run's `prototype_map` record, if present,
is listed below.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from engine.figures.embeddings import (
    COLOUR_BY,
    MappingView,
    add_token_arrows,
    add_type_arrows,
    matching_tokens,
)
from storage import continual as continual_store
from storage import queries
from views.parts import calls, fmt, highlight
from views.parts.embedding_figures import (
    animated_figure,
    cka_figure,
    load_view,
    scatter_figure,
    shift_figure,
    silhouette_figure,
)
from views.parts.i18n import t
from views.parts.pickers import no_runs_yet, pick_run
from views.parts.stages import stage_label

NO_ARROWS = "no arrows"  # option values; labels come from the catalogue
ALL_TYPES = "every type"
COLOUR_KEYS = dict(
    zip(COLOUR_BY, ("colour_gold", "colour_correctness", "colour_predicted"), strict=True)
)


def mapped_runs() -> list[queries.RunRow]:
    return [r for r in calls.read(queries.list_runs, limit=500) if r.summary.mapping]


def choose_run(runs: list[queries.RunRow]) -> int:
    wanted = calls.query_int("run")
    labels = {r.id: fmt.run_label(r) for r in runs}
    chosen = pick_run(t("embeddings.run"), labels, wanted, "emb_run")
    if wanted != chosen:
        st.query_params["run"] = str(chosen)
    return chosen


def scatter_controls(view: MappingView) -> dict[str, Any]:
    a, b, c = st.columns([2, 1, 1])
    options = COLOUR_BY if view.has_predictions else COLOUR_BY[:1]
    colour_by = a.radio(
        t("embeddings.colour_by"),
        options,
        horizontal=True,
        key="emb_colour",
        format_func=fmt.label_lookup(options, lambda o: t(f"embeddings.{COLOUR_KEYS[o]}")),
    )
    show_o = b.toggle(t("embeddings.show_o"), value=True, key="emb_show_o")
    animate = c.toggle(
        t("embeddings.animate"),
        value=False,
        key="emb_animate",
        help=t("embeddings.animate_help"),
    )
    stage = view.stages[-1]
    if not animate and len(view.stages) > 1:
        stage = st.select_slider(
            t("embeddings.stage"),
            view.stages,
            value=stage,
            key="emb_stage",
            format_func=stage_label,
        )
    return {"colour_by": colour_by, "show_o": show_o, "animate": animate, "stage": stage}


def arrow_controls(view: MappingView) -> dict[str, Any] | None:
    """Arrows from one stage to another for a type's centroid or a searched token."""
    if len(view.stages) < 2:
        return None
    a, b = st.columns(2)
    options = [NO_ARROWS, ALL_TYPES, *view.types]
    names = {NO_ARROWS: t("embeddings.no_arrows"), ALL_TYPES: t("embeddings.all_types")}
    which = a.selectbox(
        t("embeddings.arrows_for"),
        options,
        key="emb_arrow_type",
        format_func=fmt.label_lookup(options, lambda o: names.get(o, o)),
    )
    token = b.text_input(
        t("embeddings.token"), key="emb_search", placeholder=t("embeddings.token_placeholder")
    )
    if which == NO_ARROWS and not token.strip():
        return None
    start, end = st.select_slider(
        t("embeddings.arrow_stages"),
        view.stages,
        value=(view.stages[0], view.stages[-1]),
        key="emb_arrow_stages",
        format_func=stage_label,
    )
    types = view.types if which == ALL_TYPES else ([] if which == NO_ARROWS else [which])
    return {"types": types, "token": token, "start": start, "end": end}


def scatter_section(view: MappingView) -> None:
    choice = scatter_controls(view)
    arrows = arrow_controls(view)
    if choice["animate"]:
        figure = animated_figure(view, choice["colour_by"], choice["show_o"])
    else:
        figure = scatter_figure(view, choice["stage"], choice["colour_by"], choice["show_o"])
    if arrows is not None:
        add_type_arrows(figure, view, arrows["start"], arrows["end"], arrows["types"])
        found = matching_tokens(view, arrows["token"])
        add_token_arrows(figure, view, arrows["start"], arrows["end"], found)
        if arrows["token"].strip():
            token = highlight.escape_text(arrows["token"])
            st.caption(t("embeddings.occurrences", count=len(found), token=token))
    st.plotly_chart(figure, key="emb_scatter")
    probe = view.probe
    st.caption(
        t(
            "embeddings.probe_caption",
            count=len(probe["gold"]),
            layer=probe.get("layer", -1),
            projection=probe.get("projection", "pca"),
        )
    )


def stats_section(view: MappingView) -> None:
    stats = view.stats
    st.subheader(t("embeddings.stats_title"))
    if stats.get("silhouette"):
        st.plotly_chart(silhouette_figure(stats), key="emb_silhouette")
    if stats.get("cka") and len(stats["stages"]) > 1:
        st.plotly_chart(cka_figure(stats), key="emb_cka")
    if stats.get("centroid_shift_from_first"):
        st.plotly_chart(shift_figure(stats), key="emb_shift")
        st.caption(t("embeddings.shift_caption"))


def prototype_section(run_id: int) -> None:
    """A meta run's prototypes (engine.strategies.meta logs them as `prototype_map`)."""
    found = calls.read(continual_store.records, run_id, kind="prototype_map")
    if found:
        with st.expander(t("embeddings.prototypes", count=len(found))):
            st.json(found[-1].payload, expanded=False)


def main() -> None:
    st.title(t("embeddings.title"))
    st.caption(t("embeddings.intro"))
    runs = mapped_runs()
    if no_runs_yet(runs, t("embeddings.no_runs"), t("embeddings.train_link")):
        return
    run_id = choose_run(runs)
    view = calls.read(load_view, run_id)
    if view is None:
        st.warning(t("embeddings.no_points", run_id=run_id))
        return
    left, right = st.columns([3, 2])
    with left, calls.friendly(t("embeddings.err_scatter")):
        scatter_section(view)
    with right, calls.friendly(t("embeddings.err_stats")):
        stats_section(view)
    with calls.friendly(t("embeddings.err_prototypes")):
        prototype_section(run_id)


with calls.friendly(t("embeddings.err_page")):
    main()
