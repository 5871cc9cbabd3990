"""The wizard's strategy step: the kind, its fields, and for a continual or meta run the method
and its own settings, drawn from the method's config class (`strategy.params`;
engine/strategies/methods.py), never from the text of its descriptions; and which training
settings a kind ignores (a meta run's epochs and batch size: `ignored_train` of its section).

Each method's settings are kept per method in st.session_state[PARAMS] while the user switches
between methods (going back to one keeps what was typed) and for the strategy race's methods;
the config holds only the chosen method's. Widget keys are `wiz_strategy_<flat name>`: the key
the field had before method configs (`wiz_strategy_ewc_lambda`, its `legacy` name), else
`<method>_<field>`. Race methods that share a flat name (replay's and mapping's memory_size)
share one widget, as they shared one field before.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from engine.config import STRATEGY_CONFIGS, MethodConfig, TrainConfig, registered_methods
from views.parts.i18n import t
from views.parts.wizard_fields import (
    RACE,
    choice_input,
    choice_label,
    field_help,
    field_input,
    field_label,
    hidden_by_mode,
    section_model,
)
from views.parts.wizard_stream import race_input, task_stream_inputs

PARAMS = "wiz_params"  # method -> its settings, as typed in this wizard


def widget_name(model: type[MethodConfig], field: str) -> str:
    flat = {name: key for key, name in model.legacy.items()}
    return flat.get(field) or f"{model.model_fields['method'].default}_{field}"


def method_input(model: type, section: dict[str, Any]) -> str:
    """The method radio: every registered method of the section's kind, shown translated."""
    names = list(registered_methods(model.method_kind))
    return choice_input(
        field_label(model, "method"),
        names,
        section.get("method"),
        "wiz_strategy_method",
        "method",
        field_help(model, "method"),
    )


def defaults(model: type[MethodConfig]) -> dict[str, Any]:
    return model().model_dump(mode="json")


def params_inputs(kind: str, section: dict[str, Any], previous: str, race: list[str]) -> None:
    """The own settings of the chosen method (and of the race's methods) -> section["params"].

    `previous`: the method chosen before this run, whose settings are kept if it changed."""
    registered = registered_methods(kind)
    store: dict[str, dict[str, Any]] = st.session_state.setdefault(PARAMS, {})
    chosen = section["method"]
    if previous != chosen:
        store[previous] = section.get("params") or {}
        section["params"] = store.get(chosen, {})
    shown = [m for m in dict.fromkeys([chosen, *race]) if m in registered]
    values = {}
    for method in shown:
        given = section.get("params") if method == chosen else store.get(method)
        values[method] = {**defaults(registered[method].config), **(given or {})}
    drawn: dict[str, Any] = {}
    for method in shown:
        model = registered[method].config
        for name in model.model_fields:
            if name == "method":
                continue
            flat = widget_name(model, name)
            if flat not in drawn:
                current = values[method][name]
                drawn[flat] = field_input(model, name, current, f"wiz_strategy_{flat}")
            values[method][name] = drawn[flat]
    section["params"] = values[chosen]
    store.update(values)


def race_params() -> dict[str, dict[str, Any]]:
    """Each method's settings as typed (a race run of a method not shown gets its defaults)."""
    return dict(st.session_state.get(PARAMS, {}))


def strategy_step(wiz: dict[str, Any]) -> None:
    kinds = sorted(STRATEGY_CONFIGS)
    current_kind = wiz["strategy"].get("kind", kinds[0])
    kind = st.selectbox(
        t("train.step.strategy"),
        kinds,
        index=kinds.index(current_kind) if current_kind in kinds else 0,
        # looked up now, in this run's language (AppTest calls format_func outside the run)
        format_func={kind: choice_label("kind", kind) for kind in kinds}.__getitem__,
        key="wiz_strategy_kind",
    )
    model = STRATEGY_CONFIGS[kind]
    if kind != current_kind:
        wiz["strategy"] = model().model_dump(mode="json")
        for key in (RACE, PARAMS):
            st.session_state.pop(key, None)
    section = wiz["strategy"]
    nested = []
    for name in model.model_fields:
        if name in ("kind", "params") or hidden_by_mode(model, name, section.get("mode")):
            continue
        if section_model(model, name) is not None:
            nested.append(name)  # a nested section (the task stream): its own widgets below
        elif name == "method":
            previous = section.get("method")
            section["method"] = method_input(model, section)
            race = race_input() if kind == "continual" else []
            params_inputs(kind, section, previous, race)
        else:
            section[name] = field_input(model, name, section.get(name), f"wiz_strategy_{name}")
    for name in nested:
        if name == "tasks" and kind == "continual":
            section[name] = task_stream_inputs(section.get(name) or {}, wiz)
    if kind != "continual":
        st.session_state.pop(RACE, None)


def ignored_train_fields(wiz: dict[str, Any]) -> tuple[str, ...]:
    """The train settings the chosen kind never reads (a meta run's epochs, batch size...)."""
    model = STRATEGY_CONFIGS.get(wiz["strategy"].get("kind", ""))
    return tuple(getattr(model, "ignored_train", ()))


def unused_settings_text(wiz: dict[str, Any], ignored: tuple[str, ...]) -> str:
    used = [n for n in TrainConfig.model_fields if n not in ignored]
    sep = t("train.list_sep")
    return t(
        "train.unused_settings",
        kind=choice_label("kind", wiz["strategy"].get("kind", "")),
        used=sep.join(field_label(TrainConfig, n) for n in used),
        ignored=sep.join(field_label(TrainConfig, n) for n in ignored),
    )
