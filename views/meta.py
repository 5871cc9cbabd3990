"""Meta: few-shot NER runs (`?run=ID`): how fast a model learns entity types it never saw.

One run: mean query F1 over the test episodes with its 95% confidence interval; methods side by
side (the runs of its group, or every meta run on the same data, N and K) with CI error bars;
adaptation curves (query F1 after 0..k steps on the support set); an episode viewer (support
and query sentences with entities highlighted, the N types named, predictions under the query);
and the prototype map: one test episode's query tokens and the class prototypes projected to
2D, coloured by gold type. Everything is read from the run summary and its records.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import streamlit as st

from engine.figures import curves, embedding_stats, methods
from storage import continual as records_store
from storage import queries
from views.parts import calls, fmt, highlight, settings
from views.parts.i18n import t
from views.parts.pickers import pick_run

BY_GROUP, BY_DATA = "group", "dataset"
SPLITS = ("test", "train")
COLUMNS = ("run", "method", "f1_mean", "ci95", "f1_micro", "episodes", "duration")
MAX_RUNS = 1000  # how many meta runs (newest first) the page offers and compares


# ---- small pure helpers ---------------------------------------------------------------------


def tag_runs(tokens: list[str], tags: list[str]) -> list[tuple[str, str | None]]:
    """Words and IOB2 tags as the (text, type) runs highlight.highlighted_html draws."""
    runs: list[tuple[str, str | None]] = []
    for word, tag in zip(tokens, tags, strict=False):
        kind = None if tag == "O" else tag[2:]
        continues = tag.startswith("I-") and runs and runs[-1][1] == kind
        if continues:
            runs[-1] = (f"{runs[-1][0]} {word}", kind)
        else:
            runs.append((word, kind))
    return runs


def setting(config: dict[str, Any]) -> tuple[Any, ...]:
    """What must match for two meta runs to be compared 'by dataset'."""
    value = settings.config_value
    return (
        value(config, "data.train"),
        value(config, "data.test"),
        value(config, "strategy.n_way"),
        value(config, "strategy.k_shot"),
        value(config, "strategy.test_types"),
        value(config, "strategy.test_episodes_file"),
    )


def comparable(chosen: queries.RunRow, runs: list[queries.RunRow], by: str) -> list[queries.RunRow]:
    if by == BY_GROUP:
        group = chosen.group_name
        same = (
            calls.read(queries.list_runs, kind="meta", group_name=group, limit=MAX_RUNS)
            if group
            else []
        )
    else:
        configs = calls.read(queries.run_configs, [r.id for r in runs])
        mine = setting(configs.get(chosen.id, {}))
        same = [r for r in runs if setting(configs.get(r.id, {})) == mine]
    return sorted(same or [chosen], key=lambda r: r.id)


def duration(row: queries.RunRow) -> str:
    """How long the run took, as every page writes durations ("1 min 19 s")."""
    return fmt.format_duration(fmt.duration_s(row.started_at, row.finished_at))


# ---- sections -------------------------------------------------------------------------------


def choose(runs: list[queries.RunRow]) -> queries.RunRow:
    ids = [r.id for r in runs]
    wanted = calls.query_int("run")
    if wanted is not None and wanted not in ids:
        st.info(t("meta.not_meta", run_id=wanted))
    labels = {r.id: fmt.run_label(r) for r in runs}
    run_id = pick_run(t("meta.run"), labels, wanted, "meta_run")
    return next(r for r in runs if r.id == run_id)


def headline(row: queries.RunRow) -> None:
    meta = row.summary.meta
    st.markdown(
        t(
            "meta.chosen",
            badge=fmt.status_badge(row.status),
            name=highlight.escape_text(row.name),
            method=highlight.escape_text(row.method),
        )
    )
    cols = st.columns(4)
    cols[0].metric(
        t("meta.f1_mean"),
        fmt.format_score(meta.f1_mean if meta else None),
        help=t("meta.f1_mean_help"),
    )
    ci = meta.f1_ci95 if meta else None
    cols[1].metric(t("meta.ci"), fmt.format_score(ci), help=t("meta.ci_help"))
    n_way, k_shot = (meta.n_way, meta.k_shot) if meta else (None, None)
    shape = t("meta.shape", n=n_way or "?", k=k_shot or "?")
    cols[2].metric(t("meta.episodes"), shape)
    cols[3].metric(
        t("meta.pooled_f1"),
        fmt.format_score(meta.f1_micro if meta else None),
        help=t("meta.pooled_f1_help"),
    )
    if not meta:
        st.caption(t("meta.scores_later"))
        return
    st.caption(
        t(
            "meta.episodes_caption",
            episodes=meta.episodes,
            test_types=highlight.escape_text(", ".join(meta.test_types)),
            train_episodes=meta.train_episodes or 0,
            train_types=highlight.escape_text(", ".join(meta.train_types) or "-"),
        )
    )


def results_section(chosen: queries.RunRow, runs: list[queries.RunRow]) -> None:
    st.subheader(t("meta.methods"))
    options = [BY_GROUP, BY_DATA] if chosen.group_name else [BY_DATA]
    if len(options) == 1:  # a radio with one choice is no choice: say what is compared
        by = options[0]
        st.caption(t("meta.only_dataset"))
    else:
        by = st.radio(
            t("meta.compare"),
            options,
            key="meta_compare_by",
            horizontal=True,
            help=t("meta.compare_help"),
            format_func=fmt.label_lookup(options, lambda o: t(f"meta.by_{o}")),
        )
    members = comparable(chosen, runs, by)
    scored = [r for r in members if r.summary.meta and r.summary.meta.f1_mean is not None]
    if not scored:
        st.caption(t("meta.nothing_to_compare"))
        return
    metas = [r.summary.meta for r in scored if r.summary.meta]
    ids = [r.id for r in scored]
    figure = methods.ci_bars(
        [f"#{r.id} {r.method}" for r in scored],
        [m.f1_mean for m in metas],
        [m.f1_ci95 for m in metas],
        chosen=ids.index(chosen.id) if chosen.id in ids else None,
        y_title=t("meta.axis_f1_ci"),
    )
    st.plotly_chart(figure, key="meta_methods")
    st.dataframe(
        [
            {
                "run": r.id,
                "method": r.method,
                "f1_mean": r.summary.meta.f1_mean,
                "ci95": r.summary.meta.f1_ci95,
                "f1_micro": r.summary.meta.f1_micro,
                "episodes": r.summary.meta.episodes,
                "duration": duration(r),
            }
            for r in scored
        ],
        hide_index=True,
        key="meta_methods_table",
        column_config=fmt.column_labels(
            {name: t(f"meta.col.{name}") for name in COLUMNS}, scores=COLUMNS[2:5]
        ),
    )
    adaptation_section(scored)


def adaptation_section(members: list[queries.RunRow]) -> None:
    curves = []
    for r in members:
        found = calls.read(records_store.records, r.id, kind="adaptation")
        if found and found[-1].payload.get("steps"):
            curves.append((r, found[-1].payload))
    st.subheader(t("meta.adaptation"))
    if not curves:
        st.caption(t("meta.no_adaptation"))
        return
    figure = methods.adaptation_curves(
        {
            f"#{r.id} {r.method}": (curve["steps"], curve["f1_mean"], curve.get("f1_ci95") or [])
            for r, curve in curves
        },
        x_title=t("meta.axis_steps"),
        y_title=t("meta.axis_query_f1"),
    )
    st.plotly_chart(figure, key="meta_adaptation")


def sentence_html(tokens: list[str], tags: list[str], colours: dict[str, str]) -> str:
    return highlight.highlighted_html(tag_runs(tokens, tags), colours)


def episode_label(index: int, episode: dict[str, Any]) -> str:
    types = ", ".join(episode.get("types", []))
    if episode.get("f1") is None:
        return t("meta.episode_label", n=index + 1, types=types)
    return t("meta.episode_label_f1", n=index + 1, types=types, f1=f"{episode['f1']:.2f}")


def episode_section(row: queries.RunRow) -> None:
    st.subheader(t("meta.episodes_title"))
    found = calls.read(records_store.records, row.id, kind="episodes_sample")
    by_split = {r.payload.get("split", r.stage): r.payload.get("episodes") or [] for r in found}
    splits = [s for s in SPLITS if by_split.get(s)]
    if not splits:
        st.caption(t("meta.no_episodes"))
        return
    left, right = st.columns(2)
    split = splits[0]
    if len(splits) > 1:  # no radio for a single split
        split = left.radio(
            t("meta.split"),
            splits,
            key="meta_episode_split",
            horizontal=True,
            format_func=fmt.label_lookup(splits, lambda s: t(f"meta.split_{s}")),
        )
    episodes = by_split[split]
    index = right.selectbox(
        t("meta.episode"),
        range(len(episodes)),
        key="meta_episode",
        format_func=fmt.label_lookup(range(len(episodes)), lambda i: episode_label(i, episodes[i])),
    )
    episode = episodes[index if index is not None and index < len(episodes) else 0]
    types = list(episode.get("types", []))
    colours = highlight.entity_colours(types)
    legend = " ".join(sentence_html([kind], [f"B-{kind}"], colours) for kind in types)
    st.markdown(t("meta.types_legend", count=len(types), legend=legend), unsafe_allow_html=True)
    support, query = episode.get("support", {}), episode.get("query", {})
    body = [t("meta.support_html")]
    for tokens, tags in zip(support.get("word", []), support.get("tags", []), strict=False):
        body.append(f'<div style="line-height:1.9">{sentence_html(tokens, tags, colours)}</div>')
    body.append(t("meta.query_html"))
    predicted = query.get("predicted") or [None] * len(query.get("word", []))
    for tokens, tags, pred in zip(
        query.get("word", []), query.get("tags", []), predicted, strict=False
    ):
        body.append(f'<div style="line-height:1.9">{sentence_html(tokens, tags, colours)}</div>')
        if pred is not None:
            ok = "✅" if list(pred) == list(tags) else "❌"
            body.append(
                f'<div style="line-height:1.9;margin-bottom:0.6em;opacity:0.85">{ok} '
                f"{sentence_html(tokens, pred, colours)}</div>"
            )
    st.markdown("".join(body), unsafe_allow_html=True)


def prototype_section(row: queries.RunRow) -> None:
    st.subheader(t("meta.prototype_map"))
    found = calls.read(records_store.records, row.id, kind="prototype_map")
    if not found:
        st.caption(t("meta.no_prototype_map"))
        return
    st.plotly_chart(prototype_figure(found[-1].payload), key="meta_prototype_map")
    st.caption(t("meta.prototype_caption"))


def prototype_figure(payload: dict[str, Any]) -> go.Figure:
    names = list(payload.get("types", []))
    found = highlight.entity_colours(names[1:]).items()
    colours = {"O": "#bbbbbb"} | {kind: c for kind, c in found if kind != "O"}
    explained = payload.get("explained") or [0.0, 0.0]
    return embedding_stats.prototype_map(
        payload,
        colours,
        prototype_name=t("meta.prototype_trace", name="{name}"),
        pc1=t("meta.pc1", share=f"{explained[0]:.0%}"),
        pc2=t("meta.pc2", share=f"{explained[1]:.0%}") if len(explained) > 1 else "PC2",
    )


def loss_section(row: queries.RunRow) -> None:
    series = calls.read(queries.metric_series, row.id, "meta_train_loss")
    if not series:
        return
    st.subheader(t("meta.loss_title"))
    figure = curves.metric_curve(
        [s for s, _, _ in series],
        [v for _, v, _ in series],
        title=None,  # the subheader above is its title
        x_title=t("meta.axis_episode"),
        name=t("meta.loss_title"),
        y_title=t("meta.axis_query_loss"),
        height=280,
    )
    st.plotly_chart(figure, key="meta_loss")


# ---- the page -------------------------------------------------------------------------------


def page() -> None:
    st.title(t("meta.title"))
    runs = calls.read(queries.list_runs, kind="meta", limit=MAX_RUNS)
    if not runs:
        st.info(t("meta.no_runs"))
        st.page_link("views/train.py", label=t("meta.go_to_train"), icon="🚀")
        return
    chosen = choose(runs)
    with calls.friendly(t("errors.meta_scores")):
        headline(chosen)
    with calls.friendly(t("errors.meta_compare")):
        results_section(chosen, runs)
    with calls.friendly(t("errors.meta_episodes")):
        episode_section(chosen)
    with calls.friendly(t("errors.prototype_map")):
        prototype_section(chosen)
    with calls.friendly(t("errors.meta_loss")):
        loss_section(chosen)


page()
