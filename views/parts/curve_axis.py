"""The x axis of a metric curve, shared by the Runs and Compare pages: by step or by time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from views.parts import fmt
from views.parts.i18n import t

AXES = ["step", "time"]


def x_axis_choice(key: str, where: Any = st) -> str:
    """A horizontal radio, "step" or "time" (shown translated); the chosen id."""
    return where.radio(
        t("common.x_axis"),
        AXES,
        horizontal=True,
        key=key,
        format_func=fmt.label_lookup(AXES, fmt.axis_text),
    )


def x_values(steps: Sequence[int], walls: Sequence[float], axis: str) -> list[float]:
    """The points' x: their steps, or their seconds since the first point."""
    return list(steps) if axis == "step" else [w - walls[0] for w in walls]


def x_title(axis: str) -> str:
    return t("common.step") if axis == "step" else t("common.seconds_since_first")
