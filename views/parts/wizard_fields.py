"""Wizard widgets generated from pydantic fields: label, default, bounds, help and choices.

Texts, in the user's language (the values in the config never change):
- a section's field: English is the code (the Field's `title`, its `description` as help);
  other languages: `config.<section>.<field>.label` / `.help` (section: a strategy's kind, else
  the class name: TrainConfig -> train, TaskStreamConfig -> task_stream);
- a method's own field (`strategy.params`): `train.param.<kind>.<method>.<field>.label` / `.help`
  in every catalogue (methods register at run time, outside the config tree); a method without
  them shows its field's title (or name) and description;
- a choice (a Literal value, a method): `train.choice.<field>.<value>`, else the value.

Which fields show is data, never prose: the chosen method's fields are its config class's
(engine.strategies.methods), and a mode's own fields are listed in the section's `mode_fields`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any, Literal, get_args, get_origin

import streamlit as st

from engine.config import MethodConfig, Section, method_of
from views.parts import fmt
from views.parts.i18n import catalogue, current, translated

RACE = "wiz_race"  # the strategy race's methods (kept outside the config, which has no room)


def section_name(model: type) -> str:
    """The catalogue's name for a config section: a strategy's kind, else the class name."""
    kind = model.model_fields.get("kind")
    if kind is not None and isinstance(kind.default, str):
        return kind.default
    words = re.findall(r"[A-Z][a-z0-9]*", model.__name__.removesuffix("Config"))
    return "_".join(w.lower() for w in words) or model.__name__.lower()


def text(key: str) -> str | None:
    """A catalogue text in the user's language, else English, else None (never the key)."""
    return catalogue(current()).get(key) or catalogue("en").get(key)


def english_label(model: type, name: str) -> str:
    info = model.model_fields[name]
    return info.title or name.replace("_", " ").capitalize()


def param_key(model: type, name: str, part: str) -> str:
    method = method_of(model)
    where = f"{method.kind}.{method.name}" if method else model.model_fields["method"].default
    return f"train.param.{where}.{name}.{part}"


def field_label(model: type, name: str) -> str:
    if issubclass(model, MethodConfig):
        return text(param_key(model, name, "label")) or english_label(model, name)
    key = f"config.{section_name(model)}.{name}.label"
    return translated(key, english_label(model, name)) or name


def field_help(model: type, name: str) -> str | None:
    description = model.model_fields[name].description
    if issubclass(model, MethodConfig):
        return text(param_key(model, name, "help")) or description
    return translated(f"config.{section_name(model)}.{name}.help", description)


def choice_label(field: str, value: Any) -> str:
    return text(f"train.choice.{field}.{value}") or str(value)


def choice_input(
    label: str, options: Sequence[Any], current: Any, key: str, field: str, help_text: str | None
) -> Any:
    """A radio whose options are shown translated; its value stays the option itself."""
    options = list(options)
    return st.radio(
        label,
        options,
        index=options.index(current) if current in options else 0,
        key=key,
        help=help_text,
        horizontal=True,
        format_func=fmt.label_lookup(options, lambda v: choice_label(field, v)),
    )


def field_input(
    model: type,
    name: str,
    current: Any,
    key: str,
    label: str | None = None,
    options: Sequence[Any] | None = None,
) -> Any:
    """A widget for one pydantic field: default from `current`; `options` narrows a choice."""
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
        choices = options if options is not None else get_args(base)
        return choice_input(label, choices, current, key, name, help_text)
    if base is bool:
        return st.checkbox(label, value=bool(current), key=key, help=help_text)
    if base in (int, float):
        return number_input(base, label, current, key, help_text, bounds, optional, info.default)
    if isinstance(base, type) and issubclass(base, Section):
        return flat_section_inputs(base, current or {}, key)
    if get_origin(base) is list:  # a list of names (MetaStrategy.test_types): comma-separated
        shown = "" if not current else ", ".join(str(v) for v in current)
        typed = st.text_input(label, value=shown, key=key, help=help_text)
        items = [v.strip() for v in typed.split(",") if v.strip()]
        return items or (None if optional else [])
    typed = st.text_input(
        label, value="" if current is None else str(current), key=key, help=help_text
    )
    return (typed.strip() or None) if optional else typed


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
    placeholder = text("train.default_placeholder") if optional else None
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


def flat_section_inputs(model: type, current: dict[str, Any], key: str) -> dict:
    """A flat nested section as one row of widgets (keys `<key>_<field>`)."""
    values = dict(current)
    cols = st.columns(len(model.model_fields))
    for col, name in zip(cols, model.model_fields, strict=True):
        with col:
            values[name] = field_input(model, name, values.get(name), f"{key}_{name}")
    return values


def hidden_by_mode(model: type, name: str, mode: Any) -> bool:
    """A field another mode owns (the section's `mode_fields`), while `mode` is chosen."""
    owners = [m for m, names in getattr(model, "mode_fields", {}).items() if name in names]
    return bool(owners) and str(mode) not in owners


def device_options(info: dict[str, Any], current: Any) -> list[str]:
    """The devices this machine has (auto and cpu always; cuda with a GPU; mps on an Apple
    silicon Mac), plus a loaded config's own choice so that it still shows."""
    options = ["auto", "cpu"]
    if fmt.has_gpu(info):
        options.append("cuda")
    platform = str(info.get("platform") or "").lower()
    if platform.startswith("macos") and "arm64" in platform:
        options.append("mps")
    if current and current not in options:
        options.append(str(current))
    return options
