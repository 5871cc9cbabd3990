"""Time estimates on the pages: this machine's prediction for a config (engine.runs.estimate
through engine.api), always a range and always with the basis it stands on: measured on this
machine's earlier runs, calibrated by a short timing test, or a rough guess.

The engine keeps the run history it reads for a few seconds, so a page may estimate several
configs in one rerun for the price of one query. The wizard's review step draws
`show_estimate(cfg)`; Home's Try it and the Lessons page use `range_text` and `basis_text`.
"""

from __future__ import annotations

import logging
import math

import streamlit as st

from engine import api
from engine.config import RunConfig
from views.parts import fmt
from views.parts.i18n import t

log = logging.getLogger("lab.dashboard")


def estimate(cfg: RunConfig, parent: RunConfig | None = None) -> api.Estimate | None:
    """The estimate, or None when there is none (data of unknown size, an unreadable history)."""
    try:
        return api.estimate_run(cfg, parent=parent)
    except Exception:  # an estimate is a help, never a reason for the page to fail
        log.exception("estimating %s failed", cfg.name)
        return None


def _rounded(seconds: float, up: bool) -> float:
    """To 5 s under a minute, 10 s under ten minutes, else whole minutes: no false precision."""
    step = 5 if seconds < 60 else 10 if seconds < 600 else 60
    value = (math.ceil if up else math.floor)(seconds / step) * step
    return max(value, step) if up else max(value, 1)


def range_text(est: api.Estimate) -> str:
    low, high = _rounded(est.low_s, False), _rounded(est.high_s, True)
    return t("estimate.range", low=fmt.format_duration(low), high=fmt.format_duration(high))


def basis_text(est: api.Estimate) -> str:
    if est.basis == "measured":
        return t("estimate.basis_scaled" if est.scaled else "estimate.basis_measured", n=est.runs)
    return t(f"estimate.basis_{est.basis}")


def detail_text(est: api.Estimate) -> str:
    return t(
        "estimate.detail",
        tokens=f"{est.train_tokens:,}",
        rate=f"{est.tokens_per_s:,.0f}",
        backbone=est.backbone,
        device=est.device.upper() if est.device in ("cpu", "mps") else "GPU",
        overhead=fmt.format_duration(est.overhead_s),
    )


def busy_text(est: api.Estimate) -> str | None:
    return None if est.busy is None else t("estimate.busy", load=f"{est.busy:.1f}")


def show_estimate(cfg: RunConfig) -> None:
    """The review step's estimate: the range as a metric, its basis and what it is made of."""
    est = estimate(cfg)
    if est is None:
        st.caption(t("train.no_estimate"))
        return
    st.metric(t("estimate.label"), range_text(est), help=detail_text(est))
    st.caption(t("estimate.caption", basis=basis_text(est)))
    busy = busy_text(est)
    if busy:
        st.caption(busy)
