"""The Data page's upload: choose how to read a file, see its report and a preview, import it.

The bytes go to engine.api.validate_upload / import_upload (server-chosen names; the client's
name is only shown). The format is detected, with an override; span formats get a span policy
(snap / reject); a file with unknown tag prefixes ("Q-PER") gets a repair choice, and the file
is validated again with the choice. `upload_section()` returns the path of a dataset it
imported in this run, so the page's Inspect can switch to it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import streamlit as st

from engine import api
from storage import queries
from views.parts import calls, fmt, highlight
from views.parts.i18n import t
from views.parts.uploader import file_uploader

SHOWN_PROBLEMS = 50
FORMATS = ("auto", "conll", "jsonl", "labelstudio", "doccano", "prodigy", "spacy")
SPAN_FORMATS = ("labelstudio", "labelstudio-min", "doccano", "prodigy", "spacy")
SPAN_POLICIES = ("snap", "reject")
PREFIX_POLICIES = ("reject", "suggested", "map_to_o")
SHOWN_PAIRS = 3  # unknown tags named in the repair choice

# File names that say which split a file was, not what the data is.
GENERIC_STEMS = frozenset({"train", "dev", "test", "valid", "validation", "data", "upload"})


def upload_section() -> str | None:
    st.subheader(t("data.upload"))
    max_mb = int(st.get_option("server.maxUploadSize"))
    uploaded = file_uploader(
        t("data.upload_any", mb=max_mb), key="data_upload", help=t("data.formats_all")
    )
    if uploaded is None:
        st.caption(t("data.formats_all"))
        return None
    chosen = st.selectbox(
        t("data.format"),
        FORMATS,
        format_func=fmt.label_lookup(FORMATS, lambda key: t(f"data.fmt.{key}")),
        key="data_format",
        help=t("data.format_help"),
    )
    if st.session_state.get("data_file_id") != uploaded.file_id:  # a new file: choose afresh
        st.session_state["data_file_id"] = uploaded.file_id
        st.session_state.pop("data_unknown_prefix", None)
    # Chosen below the report, read here: a change reruns the page and validates again.
    options = {
        "fmt": chosen,
        "span_policy": st.session_state.get("data_span_policy", "snap"),
        "unknown_prefix": st.session_state.get("data_unknown_prefix", "reject"),
    }
    data = uploaded.getvalue()
    check = _checked(uploaded.file_id, uploaded.name, data, max_mb, options)
    if check.is_span_format or chosen in SPAN_FORMATS:
        st.radio(
            t("data.span_policy"),
            SPAN_POLICIES,
            format_func=fmt.label_lookup(SPAN_POLICIES, lambda key: t(f"data.span.{key}")),
            key="data_span_policy",
            horizontal=True,
            help=t("data.span_policy_help"),
        )
    show_report(check)
    if check.repair_choices:
        prefix_choice(check)
    show_preview(check)
    if check.usable:
        return import_form(uploaded.name, data, check, options)
    return None


def _checked(
    file_id: str, name: str, data: bytes, max_mb: int, options: dict[str, Any]
) -> api.UploadCheck:
    """The validation of this file with these options, computed once per combination."""
    key = (file_id, tuple(sorted(options.items())))
    cached = st.session_state.get("data_check")
    if cached is not None and cached[0] == key:
        return cached[1]
    with st.spinner(t("data.checking")):
        check = api.validate_upload(name, data, max_bytes=max_mb * 2**20, **options)
    st.session_state["data_check"] = (key, check)
    return check


def show_report(check: api.UploadCheck) -> None:
    """The validation report: verdict, counts, FILE:LINE problems and the repairs on offer."""
    if check.too_large:
        st.error(t("data.refused", reason=check.too_large))
        return
    name = check.display_name
    if check.usable:
        st.success(t("data.usable", name=name, fmt=check.fmt, scheme=check.scheme))
    else:
        st.error(t("data.not_usable", name=name))
    if check.fmt is not None:
        cols = st.columns(4)
        cols[0].metric(t("common.sentences"), f"{check.sentences:,}")
        cols[1].metric(t("common.tokens"), f"{check.tokens:,}")
        cols[2].metric(t("common.entities"), f"{sum(check.entities.values()):,}")
        cols[3].metric(t("data.longest"), length_text(check.max_length, check.unit))
        if check.entities:
            counts = ", ".join(f"{kind} {n}" for kind, n in check.entities.items())
            st.caption(t("data.per_type", counts=counts))
    if check.errors:
        st.markdown(t("data.errors", n=len(check.errors)))
        st.code("\n".join(check.errors[:SHOWN_PROBLEMS]), language=None, wrap_lines=True)
    if check.warnings:
        st.markdown(t("data.warnings", n=len(check.warnings)))
        st.code("\n".join(check.warnings[:SHOWN_PROBLEMS]), language=None, wrap_lines=True)
    if check.repairs:
        st.warning(t("data.repair_offered", repairs="; ".join(check.repairs)))


def length_text(n: float, unit: str, mean: bool = False) -> str:
    """ "12 words" / "12 characters" (a mean with one decimal)."""
    kind = "characters" if unit == "characters" else "words"
    return t(f"data.mean_{kind}" if mean else f"data.{kind}", n=n)


def prefix_choice(check: api.UploadCheck) -> None:
    """Repair tags with an unknown prefix to the suggested tag, or map them to O."""
    pairs = list(check.unknown_tags.items())
    shown = ", ".join(f"{w} → {s}" for w, s in pairs[:SHOWN_PAIRS])
    shown += ", ..." if len(pairs) > SHOWN_PAIRS else ""
    labels = {
        "reject": t("data.prefix.reject"),
        "suggested": t("data.prefix.suggested", pairs=shown),
        "map_to_o": t("data.prefix.map_to_o"),
    }
    st.radio(
        t("data.prefix.label", n=len(pairs)),
        PREFIX_POLICIES,
        format_func=labels.__getitem__,
        key="data_unknown_prefix",
        help=t("data.prefix.help"),
    )


def show_preview(check: api.UploadCheck) -> None:
    """The first sentences as they will be read, entities on their type's colour."""
    if not check.preview:
        return
    st.markdown(t("data.preview_before"))
    types = sorted({kind for runs in check.preview for _, kind in runs if kind is not None})
    colours = highlight.entity_colours(types)
    body = "".join(
        '<div style="margin:0.3em 0;line-height:1.9">'
        f"{highlight.highlighted_html(list(runs), colours)}</div>"
        for runs in check.preview
    )
    st.markdown(f'<div class="data-upload-preview">{body}</div>', unsafe_allow_html=True)


def import_form(
    filename: str, data: bytes, check: api.UploadCheck, options: dict[str, Any]
) -> str | None:
    """Name and import; the new dataset's path when it was imported in this run."""
    stem = check.display_name.rsplit(".", 1)[0] or "upload"
    if stem.lower() in GENERIC_STEMS:  # "test" as a dataset name reads like a split
        stem = f"upload-{datetime.now(UTC):%Y%m%d-%H%M}-{stem}"
    name = st.text_input(t("data.name"), value=stem, key="data_import_name", max_chars=200)
    repair = True
    if check.needs_repair:  # a clean file has nothing to accept: no box at all
        repair = st.checkbox(
            t("data.repair"), value=True, key="data_repair", help=t("data.repair_help")
        )
    if not st.button(t("data.import"), key="data_import", type="primary"):
        return None
    dataset_id = None
    with calls.friendly(t("errors.import_dataset")):
        dataset_id = api.import_upload(filename, data, name=name, repair=repair, **options)
    if dataset_id is None:
        return None
    st.success(t("data.imported", name=highlight.escape_text(name), id=dataset_id))
    found = [d.path for d in calls.read(queries.list_datasets) if d.id == dataset_id]
    return found[0] if found else None
