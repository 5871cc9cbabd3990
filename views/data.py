"""Data: upload and check a file, import it as a dataset, and look inside any dataset.

The upload (format detection with an override, span policy, unknown-prefix repair, the report
and a preview before import) is views/parts/data_upload.py; after an import, Inspect shows the
new dataset. Statistics and previews come from engine.api.dataset_stats / dataset_preview
(cached per dataset); lengths are in words, or characters for character-level data.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from storage import queries
from views.parts import calls, fmt, highlight
from views.parts.data_upload import length_text, upload_section
from views.parts.i18n import t


def catalog_section() -> list[tuple[str, str]]:
    """Built-in corpora and imported datasets; returns (spec, label) for the inspector."""
    st.subheader(t("data.datasets"))
    choices: list[tuple[str, str]] = []
    left, right = st.columns(2)
    with left, calls.friendly(t("errors.list_builtin")):
        st.markdown(t("data.builtin"))
        catalog = calls.builtin_catalog()
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "name": c["name"],
                        "types": " ".join(c["types"]),
                        "train": c["sentences"]["train"],
                        "dev": c["sentences"]["dev"],
                        "test": c["sentences"]["test"],
                        "description": c["description"],
                    }
                    for c in catalog
                ]
            ),
            hide_index=True,
            width="stretch",
            key="data_builtin_table",
            column_config=_column_labels(),
        )
        choices += [(c["spec"], t("common.builtin_label", name=c["name"])) for c in catalog]
    with right, calls.friendly(t("errors.list_imported")):
        st.markdown(t("data.imported_heading"))
        datasets = calls.read(queries.list_datasets)
        if not datasets:
            st.caption(t("data.none_yet"))
        else:
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            "name": d.name,
                            "format": d.fmt,
                            "scheme": d.scheme,
                            "sentences": d.n_sentences,
                            "tokens": d.n_tokens,
                            "entities": " ".join(f"{k}:{n}" for k, n in d.entity_counts.items()),
                            "imported": fmt.format_time(d.created_at),
                        }
                        for d in datasets
                    ]
                ),
                hide_index=True,
                width="stretch",
                key="data_uploads_table",
                column_config=_column_labels(),
            )
        choices += [(d.path, t("common.imported_label", name=d.name)) for d in datasets if d.path]
    return choices


def _column_labels() -> dict:
    """Translated headers of both dataset tables (each shows the columns it has)."""
    names = ("name", "types", "train", "dev", "test", "description")
    names += ("format", "scheme", "sentences", "tokens", "entities", "imported")
    texts = (t("data.col.name"), t("data.col.types"), t("data.col.train"), t("data.col.dev"))
    texts += (t("data.col.test"), t("data.col.description"), t("data.col.format"))
    texts += (t("data.col.scheme"), t("data.col.sentences"), t("data.col.tokens"))
    texts += (t("data.col.entities"), t("data.col.imported"))
    return fmt.column_labels(dict(zip(names, texts, strict=True)))


def inspect_section(choices: list[tuple[str, str]]) -> None:
    st.subheader(t("data.inspect"))
    if not choices:
        return
    labels = dict(choices)
    spec = st.selectbox(
        t("data.dataset"), list(labels), format_func=labels.__getitem__, key="data_inspect"
    )
    if spec is None:
        return
    with calls.friendly(t("errors.read_dataset")):
        stats = calls.dataset_stats(spec)
        split = stats.get("split")
        cols = st.columns(4)
        sentences = t("data.sentences_in_split", split=split) if split else t("common.sentences")
        cols[0].metric(sentences, f"{stats['sentences']:,}")
        cols[1].metric(t("common.tokens"), f"{stats['tokens']:,}")
        cols[2].metric(t("common.entities"), f"{sum(stats['entities'].values()):,}")
        unit = stats.get("unit", "words")
        cols[3].metric(t("data.mean_length"), length_text(stats["mean_length"], unit, mean=True))
        colours = highlight.entity_colours(list(stats["entities"]))
        left, right = st.columns(2)
        lengths = stats["length_histogram"]
        left.plotly_chart(
            _bar(
                list(lengths),
                list(lengths.values()),
                t("data.length_axis_characters" if unit == "characters" else "data.length_axis"),
                t("data.sentences_axis"),
            ),
            key="data_lengths_chart",
        )
        entities = stats["entities"]
        right.plotly_chart(
            _bar(
                list(entities),
                list(entities.values()),
                t("data.type_axis"),
                t("data.entities_axis"),
                colours=[colours[kind] for kind in entities],
            ),
            key="data_entities_chart",
        )
        n = st.slider(t("data.preview_n"), 5, 50, 10, step=5, key="data_preview_n")
        preview = calls.dataset_preview(spec, n)
        legend = " ".join(highlight.highlighted_html([(kind, kind)], colours) for kind in colours)
        body = "".join(
            '<div style="margin:0.3em 0;line-height:1.9">'
            f"{highlight.highlighted_html(s, colours)}</div>"
            for s in preview
        )
        st.markdown(f"<div>{legend}</div>{body}", unsafe_allow_html=True)
        if spec.startswith("builtin:"):
            st.caption(next((c["notice"] for c in calls.builtin_catalog()), ""))


def _bar(
    x: list, y: list, x_title: str, y_title: str, colours: list[str] | None = None
) -> go.Figure:
    figure = go.Figure(go.Bar(x=x, y=y, marker_color=colours))
    figure.update_layout(
        height=300,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        xaxis_title=x_title,
        yaxis_title=y_title,
    )
    return figure


st.title(t("data.title"))
imported = upload_section()
if imported is not None:  # Inspect follows the import (set before its selectbox exists)
    st.session_state["data_inspect"] = imported
st.divider()
inspect_section(catalog_section())
