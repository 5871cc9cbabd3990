"""The run picker every page shares: a selectbox of run ids shown by their labels, opened on the
run the URL (or the page) asked for when it is there, else the first."""

from __future__ import annotations

from typing import Any

import streamlit as st


def pick_run(
    label: str, labels: dict[int, str], wanted: int | None, key: str, where: Any = st
) -> int:
    """The chosen run id; `labels` maps id -> shown text, in the order to offer them."""
    ids = list(labels)
    return where.selectbox(
        label,
        ids,
        index=ids.index(wanted) if wanted in ids else 0,
        key=key,
        format_func=labels.__getitem__,
    )
