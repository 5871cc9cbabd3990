"""Data: upload and check a file, import it as a dataset, and look inside any dataset.

The upload's bytes go to engine.jobs.validate_upload / import_upload, which store them under a
server-chosen name; the client's file name is only shown. Statistics and previews come from
engine.jobs.dataset_stats / dataset_preview (cached per dataset).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from engine import jobs
from pages import ui
from storage import queries

FORMATS_HELP = (
    "CoNLL (token ... tag per line, blank line between sentences), two-column TSV, or JSONL "
    "with `tokens` and `ner_tags`. Tags in IOB1, IOB2 (BIO) or IOBES/BILOU; they are converted "
    "to IOB2. UTF-8 only."
)
SHOWN_PROBLEMS = 50


def upload_section() -> None:
    st.subheader("Upload a dataset")
    max_mb = int(st.get_option("server.maxUploadSize"))
    uploaded = st.file_uploader(
        f"CoNLL, TSV or JSONL file (up to {max_mb} MB)", key="data_upload", help=FORMATS_HELP
    )
    if uploaded is None:
        st.caption(FORMATS_HELP)
        return
    data = uploaded.getvalue()
    cached = st.session_state.get("data_check")
    if cached is None or cached[0] != uploaded.file_id:
        with st.spinner("Checking the file..."):
            check = jobs.validate_upload(uploaded.name, data, max_bytes=max_mb * 2**20)
        st.session_state["data_check"] = (uploaded.file_id, check)
    else:
        check = cached[1]
    show_report(check)
    if check.usable:
        import_form(uploaded.name, data, check)


def show_report(check: jobs.UploadCheck) -> None:
    """The validation report: verdict, counts, FILE:LINE problems and the repairs on offer."""
    if check.too_large:
        st.error(f"Refused: {check.too_large}.")
        return
    if check.usable:
        st.success(f"**{check.display_name}** is usable ({check.fmt}, scheme {check.scheme}).")
    else:
        st.error(f"**{check.display_name}** is not usable: fix the errors below and upload again.")
    if check.fmt is not None:
        cols = st.columns(4)
        cols[0].metric("Sentences", f"{check.sentences:,}")
        cols[1].metric("Tokens", f"{check.tokens:,}")
        cols[2].metric("Entities", f"{sum(check.entities.values()):,}")
        cols[3].metric("Longest sentence", f"{check.max_length} words")
        if check.entities:
            st.caption(
                "Entities per type: " + ", ".join(f"{t} {n}" for t, n in check.entities.items())
            )
    if check.errors:
        st.markdown(f"**Errors ({len(check.errors)})**")
        st.code("\n".join(check.errors[:SHOWN_PROBLEMS]), language=None)
    if check.warnings:
        st.markdown(f"**Warnings ({len(check.warnings)})**")
        st.code("\n".join(check.warnings[:SHOWN_PROBLEMS]), language=None)
    if check.repairs:
        st.warning("Repair offered: " + "; ".join(check.repairs))


def import_form(filename: str, data: bytes, check: jobs.UploadCheck) -> None:
    stem = check.display_name.rsplit(".", 1)[0] or "upload"
    name = st.text_input("Dataset name", value=stem, key="data_import_name", max_chars=200)
    repair = st.checkbox(
        "repair (convert to IOB2)",
        value=True,
        key="data_repair",
        help="Accept the repairs listed above; unticked, a file that needs any is refused.",
        disabled=not check.needs_repair,
    )
    if st.button("Import", key="data_import", type="primary"):
        dataset_id = None
        with ui.friendly("import the dataset"):
            dataset_id = jobs.import_upload(filename, data, name=name, repair=repair)
        if dataset_id is not None:
            st.success(f"Imported as dataset **{ui.escape_text(name)}** (id {dataset_id}).")


def catalog_section() -> list[tuple[str, str]]:
    """Built-in corpora and imported datasets; returns (spec, label) for the inspector."""
    st.subheader("Datasets")
    choices: list[tuple[str, str]] = []
    left, right = st.columns(2)
    with left, ui.friendly("list the built-in corpora"):
        st.markdown("**Built-in corpora** (synthetic)")
        catalog = ui.builtin_catalog()
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
        )
        choices += [(c["spec"], f"built-in: {c['name']}") for c in catalog]
    with right, ui.friendly("list the imported datasets"):
        st.markdown("**Imported datasets**")
        datasets = ui.read(queries.list_datasets)
        if not datasets:
            st.caption("None yet: upload a file above.")
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
                            "entities": " ".join(f"{t}:{n}" for t, n in d.entity_counts.items()),
                            "imported": ui.format_time(d.created_at),
                        }
                        for d in datasets
                    ]
                ),
                hide_index=True,
                width="stretch",
                key="data_uploads_table",
            )
        choices += [(d.path, f"imported: {d.name}") for d in datasets if d.path]
    return choices


def inspect_section(choices: list[tuple[str, str]]) -> None:
    st.subheader("Inspect")
    if not choices:
        return
    labels = dict(choices)
    spec = st.selectbox("Dataset", list(labels), format_func=labels.__getitem__, key="data_inspect")
    if spec is None:
        return
    with ui.friendly("read the dataset"):
        stats = ui.dataset_stats(spec)
        split = f" ({stats['split']} split)" if stats.get("split") else ""
        cols = st.columns(4)
        cols[0].metric(f"Sentences{split}", f"{stats['sentences']:,}")
        cols[1].metric("Tokens", f"{stats['tokens']:,}")
        cols[2].metric("Entities", f"{sum(stats['entities'].values()):,}")
        cols[3].metric("Mean length", f"{stats['mean_length']:.1f} words")
        colours = ui.entity_colours(list(stats["entities"]))
        left, right = st.columns(2)
        lengths = stats["length_histogram"]
        left.plotly_chart(
            _bar(list(lengths), list(lengths.values()), "Sentence length (words)", "sentences"),
            key="data_lengths_chart",
        )
        entities = stats["entities"]
        right.plotly_chart(
            _bar(
                list(entities),
                list(entities.values()),
                "Entity type",
                "entities",
                colours=[colours[t] for t in entities],
            ),
            key="data_entities_chart",
        )
        n = st.slider("Sentences to preview", 5, 50, 10, step=5, key="data_preview_n")
        preview = ui.dataset_preview(spec, n)
        legend = " ".join(ui.highlighted_html([(t, t)], colours) for t in colours)
        body = "".join(
            f'<div style="margin:0.3em 0;line-height:1.9">{ui.highlighted_html(s, colours)}</div>'
            for s in preview
        )
        st.markdown(f"<div>{legend}</div>{body}", unsafe_allow_html=True)
        if spec.startswith("builtin:"):
            st.caption(next((c["notice"] for c in ui.builtin_catalog()), ""))


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


st.title("Data")
upload_section()
st.divider()
inspect_section(catalog_section())
