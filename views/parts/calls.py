"""Calling the engine and storage from a page: friendly errors instead of tracebacks, cached
reads, and the job upkeep every rerun does (start queued jobs, mark lost ones).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import streamlit as st

from engine import api
from storage.db import read_session
from storage.paths import database_url
from views.parts.highlight import escape_text
from views.parts.i18n import t

log = logging.getLogger("lab.dashboard")


T = TypeVar("T")


RECONCILE_EVERY_S = 3.0


_reconciled_at: dict[str, float] = {}


_reconcile_lock = threading.Lock()


def reconcile_jobs() -> None:
    """Start queued jobs and mark lost ones, at most every RECONCILE_EVERY_S per database.

    Every rerun of every session calls this; the throttle is process-wide, so a busy
    dashboard still reconciles a few times a minute, not on each click.
    """
    url = database_url()
    now = time.monotonic()
    with _reconcile_lock:
        if now - _reconciled_at.get(url, -math.inf) < RECONCILE_EVERY_S:
            return
        _reconciled_at[url] = now
    try:
        api.reconcile()
    except Exception:  # the page still renders; the next rerun tries again
        log.exception("reconciling jobs failed")


@contextmanager
def friendly(what: str) -> Iterator[None]:
    """Show `Could not <what>` instead of a traceback; the traceback goes to the server log.

    `what` is already in the user's language: `calls.friendly(t("errors.load_runs"))`."""
    try:
        yield
    except Exception as err:
        log.exception("dashboard: could not %s", what)
        st.error(t("errors.could_not", what=what, error=one_line(err)))


def one_line(err: BaseException) -> str:
    """The first line of an error's message, or its class name; never a traceback."""
    text = str(err).strip().splitlines()
    return text[0][:500] if text else err.__class__.__name__


def read(query: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run one storage.queries function in its own read session."""
    with read_session() as session:
        return query(session, *args, **kwargs)


@st.cache_data(ttl=60, show_spinner=False)
def machine() -> dict[str, Any]:
    """engine.api.machine_info() plus the concurrency limit, refreshed every minute."""
    info = dict(api.machine_info())
    info["max_concurrent_jobs"] = api.max_concurrent_jobs()
    return info


def builtin_catalog() -> list[dict[str, Any]]:
    # the spinner is ours, not cache_data's, so that its text is in the user's language
    with st.spinner(t("common.reading_corpora")):
        return _builtin_catalog()


@st.cache_data(show_spinner=False)
def _builtin_catalog() -> list[dict[str, Any]]:
    return api.builtin_catalog()


@st.cache_data(max_entries=32, show_spinner=False)
def dataset_preview(spec: str, n: int) -> list[list[tuple[str, str | None]]]:
    return api.dataset_preview(spec, n)


@st.cache_data(max_entries=32, show_spinner=False)
def dataset_stats(spec: str) -> dict[str, Any]:
    return api.dataset_stats(spec)


def query_int(name: str) -> int | None:
    """An integer query parameter (?run=ID); a bad value warns and counts as absent."""
    raw = st.query_params.get(name)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        st.warning(t("common.not_a_run_id", raw=escape_text(raw)))
        return None
