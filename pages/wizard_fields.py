"""Wizard widgets generated from pydantic fields: label, default, bounds and the Field
description as help, and which strategy fields show for the chosen mode or method."""

from __future__ import annotations

import math
import re
from typing import Any, Literal, get_args, get_origin

import streamlit as st

from engine.config import (
    Section,
)

RACE = "wiz_race"  # the strategy race's methods (kept outside the config, which has no room)


def field_input(model: type, name: str, current: Any, key: str, label: str | None = None) -> Any:
    """A widget for one pydantic field: default from `current`, help from its description."""
    info = model.model_fields[name]
    label = label or name.replace("_", " ")
    help_text = info.description
    args = get_args(info.annotation)
    optional = type(None) in args
    base = next(a for a in args if a is not type(None)) if optional else info.annotation
    bounds = {
        k: getattr(m, k) for m in info.metadata for k in ("ge", "le", "gt", "lt") if hasattr(m, k)
    }
    if get_origin(base) is Literal:
        options = list(get_args(base))
        index = options.index(current) if current in options else 0
        return st.radio(label, options, index=index, key=key, help=help_text, horizontal=True)
    if base is bool:
        return st.checkbox(label, value=bool(current), key=key, help=help_text)
    if base in (int, float):
        return number_input(base, label, current, key, help_text, bounds, optional, info.default)
    text = st.text_input(
        label, value="" if current is None else str(current), key=key, help=help_text
    )
    return (text.strip() or None) if optional else text


def number_input(
    kind: type,
    label: str,
    current: Any,
    key: str,
    help_text: str | None,
    bounds: dict[str, Any],
    optional: bool,
    default: Any,
) -> Any:
    low = bounds.get("ge", bounds.get("gt"))
    high = bounds.get("le")
    placeholder = "default" if optional else None
    if kind is int:
        return st.number_input(
            label,
            value=None if current is None else int(current),
            min_value=None if low is None else int(low),
            max_value=None if high is None else int(high),
            step=1,
            key=key,
            help=help_text,
            placeholder=placeholder,
        )
    # A step a tenth of the default's order of magnitude (lr 1e-4 -> 1e-5); fixed per field.
    reference = default if isinstance(default, int | float) and default else 1e-4
    step = 10 ** math.floor(math.log10(abs(reference))) / 10
    return st.number_input(
        label,
        value=None if current is None else float(current),
        min_value=None if low is None else float(low),
        max_value=None if high is None else float(high),
        step=step,
        format="%g",
        key=key,
        help=help_text,
        placeholder=placeholder,
    )


def section_model(model: type, name: str) -> type | None:
    """The pydantic model of a nested section field (ContinualStrategy.tasks), else None."""
    annotation = model.model_fields[name].annotation
    return annotation if isinstance(annotation, type) and issubclass(annotation, Section) else None


def active_choices(value: Any) -> set[str]:
    """The selector's value, plus the strategy race's methods (their knobs are shown too)."""
    return {str(value), *st.session_state.get(RACE, [])}


def shown_for_mode(name: str, model: type, mode: Any, selector: str = "mode") -> bool:
    """Mode- or method-specific fields only for their mode/method: a `lora_` or `ewc_` prefix,
    or help starting "frozen mode:" / "ewc method:" / "replay and mapping methods:".

    `mode` is the chosen value, or a set of values whose fields are all shown."""
    if name == selector or mode is None or selector not in model.model_fields:
        return True
    active = {str(m) for m in mode} if isinstance(mode, set | frozenset | list) else {str(mode)}
    options = [str(c) for c in get_args(model.model_fields[selector].annotation)]
    for candidate in options:
        if name.startswith(f"{candidate}_"):
            return candidate in active
    owners = owning_choices(model.model_fields[name].description or "", options, selector)
    return not owners or bool(owners & active)


def owning_choices(description: str, options: list[str], selector: str) -> set[str]:
    """{"replay", "mapping"} for help starting "replay and mapping methods: ..."."""
    head, sep, _ = description.partition(":")
    words = set(re.findall(r"\w+", head))
    if not sep or not words & {selector, f"{selector}s"}:
        return set()
    return words & set(options)
