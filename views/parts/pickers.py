"""The run picker every page shares: a selectbox of run ids shown by their labels, opened on the
run the URL (or the page) asked for when it is there, else the first; and what a page says
when it has no run to pick (`no_runs_yet`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import streamlit as st

Id = TypeVar("Id")


def index_of(options: Sequence[Any], wanted: Any) -> int:
    """Where `wanted` stands in `options`, else 0: the first option (a widget's `index`)."""
    return options.index(wanted) if wanted in options else 0


def pick_run(label: str, labels: dict[Id, str], wanted: Id | None, key: str, where: Any = st) -> Id:
    """The chosen run id; `labels` maps id -> shown text, in the order to offer them. Any
    other id (a dataset path) works the same way."""
    ids = list(labels)
    return where.selectbox(
        label, ids, index=index_of(ids, wanted), key=key, format_func=labels.__getitem__
    )


def no_runs_yet(runs: Sequence[Any], message: str, link_label: str) -> bool:
    """True, after saying `message` and linking to the Train page, when `runs` is empty."""
    if runs:
        return False
    st.info(message)
    st.page_link("views/train.py", label=link_label, icon="🚀")
    return True
