"""Wizard widgets generated from pydantic fields: label, default, bounds and the Field
description as help, and which strategy fields show for the chosen mode or method.

Labels and help are translated from `config.<section>.<field>.label` / `.help` in the
catalogue (section: a strategy's kind, else the class name, e.g. TrainConfig -> train,
TaskStreamConfig -> task_stream); the field name and its English description are the fallback.
Which fields show is always decided on the English description."""

from __future__ import annotations

import math
import re
from typing import Any, Literal, get_args, get_origin

import streamlit as st

from engine.config import (
    Section,
)
from pages.parts.i18n import t, translated

RACE = "wiz_race"  # the strategy race's methods (kept outside the config, which has no room)


def section_name(model: type) -> str:
    """The catalogue's name for a config section: a strategy's kind, else the class name."""
    kind = model.model_fields.get("kind")
    if kind is not None and isinstance(kind.default, str):
        return kind.default
    words = re.findall(r"[A-Z][a-z0-9]*", model.__name__.removesuffix("Config"))
    return "_".join(w.lower() for w in words) or model.__name__.lower()


def field_label(model: type, name: str) -> str:
    key = f"config.{section_name(model)}.{name}.label"
    return translated(key, name.replace("_", " ")) or name


def field_help(model: type, name: str) -> str | None:
    key = f"config.{section_name(model)}.{name}.help"
    return translated(key, model.model_fields[name].description)


def field_input(model: type, name: str, current: Any, key: str, label: str | None = None) -> Any:
    """A widget for one pydantic field: default from `current`, help from its description."""
    info = model.model_fields[name]
    label = label or field_label(model, name)
    help_text = field_help(model, name)
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
    if isinstance(base, type) and issubclass(base, Section):
        return flat_section_inputs(base, current or {}, key, label)
    if get_origin(base) is list:  # a list of names (MetaStrategy.test_types): comma-separated
        shown = "" if not current else ", ".join(str(v) for v in current)
        text = st.text_input(label, value=shown, key=key, help=help_text)
        items = [v.strip() for v in text.split(",") if v.strip()]
        return items or (None if optional else [])
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
    placeholder = t("train.default_placeholder") if optional else None
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
    """The pydantic model of a nested section that needs its own widgets (ContinualStrategy.
    tasks), else None; a flat one (scalar fields only, MetaStrategy.episodes) is drawn inline
    by field_input."""
    annotation = model.model_fields[name].annotation
    if not (isinstance(annotation, type) and issubclass(annotation, Section)):
        return None
    return None if is_flat(annotation) else annotation


def is_flat(model: type) -> bool:
    """Every field a bool, number, string or choice (optional or not)."""

    def scalar(annotation: Any) -> bool:
        args = [a for a in get_args(annotation) if a is not type(None)]
        if get_origin(annotation) is Literal or annotation in (bool, int, float, str):
            return True
        return bool(args) and type(None) in get_args(annotation) and all(scalar(a) for a in args)

    return all(scalar(f.annotation) for f in model.model_fields.values())


def flat_section_inputs(model: type, current: dict[str, Any], key: str, label: str) -> dict:
    """A flat nested section as one row of widgets (keys `<key>_<field>`)."""
    values = dict(current)
    cols = st.columns(len(model.model_fields))
    for col, name in zip(cols, model.model_fields, strict=True):
        with col:
            sub_label = f"{label}: {field_label(model, name)}"
            values[name] = field_input(model, name, values.get(name), f"{key}_{name}", sub_label)
    return values


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
    words = set(re.findall(r"[\w-]+", head))  # "finetune-baseline method: ..."
    if not sep or not words & {selector, f"{selector}s"}:
        return set()
    return words & set(options)
