"""The wizard's continual part: task-stream inputs, the preview of what becomes O in each
task, and the strategy race (one run per method on the same stream, one group_name)."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import streamlit as st

from engine import api
from engine.config import (
    ConfigError,
    RunConfig,
    TaskStreamConfig,
    parse_config,
    registered_methods,
)
from storage import queries
from views.parts import calls, fmt
from views.parts.i18n import t
from views.parts.wizard_fields import RACE, choice_label, field_help, field_input


def race_input() -> list[str]:
    """A strategy race: the same stream and seed once per chosen method, grouped."""
    methods = list(registered_methods("continual"))
    chosen = st.multiselect(
        t("train.race_label"),
        methods,
        default=[m for m in st.session_state.get(RACE, []) if m in methods],
        key="wiz_race_methods",
        placeholder=t("train.race_placeholder"),
        help=t("train.race_help"),
        format_func=fmt.label_lookup(methods, lambda m: choice_label("method", m)),
    )
    st.session_state[RACE] = list(chosen)
    return list(chosen)


def task_stream_inputs(tasks: dict[str, Any], wiz: dict[str, Any]) -> dict[str, Any]:
    """The task stream (strategy.tasks): split the data's types, or one dataset per task."""
    st.markdown(t("train.task_stream"))
    tasks = {**TaskStreamConfig().model_dump(mode="json"), **tasks}
    tasks["by"] = field_input(TaskStreamConfig, "by", tasks["by"], "wiz_strategy_tasks_by")
    if tasks["by"] == "types":
        tasks["datasets"] = []
        typed = st.text_input(
            t("train.task_order"),
            value=format_order(tasks.get("order")),
            key="wiz_strategy_tasks_order",
            placeholder=t("train.task_order_placeholder"),
            help=t("train.task_order_help", field=field_help(TaskStreamConfig, "order") or ""),
        )
        tasks["order"] = parse_order(typed)
        if tasks["order"] is None:
            cols = st.columns(3)
            for col, name in zip(
                cols, ("first_types", "types_per_task", "type_order"), strict=True
            ):
                with col:
                    tasks[name] = field_input(
                        TaskStreamConfig, name, tasks.get(name), f"wiz_strategy_tasks_{name}"
                    )
        else:
            tasks["first_types"] = None
        tasks["fully_labelled"] = field_input(
            TaskStreamConfig,
            "fully_labelled",
            tasks.get("fully_labelled"),
            "wiz_strategy_tasks_fully_labelled",
        )
    else:
        tasks.update(order=None, first_types=None)
        tasks["datasets"] = dataset_stream_input(tasks.get("datasets") or [])
    tasks["max_train_sentences"] = field_input(
        TaskStreamConfig,
        "max_train_sentences",
        tasks.get("max_train_sentences"),
        "wiz_strategy_tasks_max_train_sentences",
    )
    with calls.friendly(t("errors.preview_stream")):
        stream_preview(tasks, wiz)
    return tasks


def format_order(order: list[list[str]] | None) -> str:
    return " | ".join(", ".join(task) for task in order or [])


def parse_order(text: str) -> list[list[str]] | None:
    """ "LOC | PER, NORP" -> [["LOC"], ["PER", "NORP"]]; empty text -> None."""
    tasks = [[w.strip() for w in part.split(",") if w.strip()] for part in text.split("|")]
    tasks = [task for task in tasks if task]
    return tasks or None


def dataset_stream_input(current: list[Any]) -> list[Any]:
    if any(not isinstance(d, str) for d in current):
        st.caption(t("train.datasets_from_config"))
        return current
    labels = {c["spec"]: t("common.builtin_label", name=c["name"]) for c in calls.builtin_catalog()}
    labels |= {
        d.path: t("common.imported_label", name=d.name)
        for d in calls.read(queries.list_datasets)
        if d.path
    }
    labels |= {d: d for d in current if d not in labels}
    default = current or [s for s in labels if s != "builtin:mixed"][:3]
    return st.multiselect(
        t("train.stream_datasets"),
        list(labels),
        default=default,
        key="wiz_strategy_tasks_datasets",
        format_func=labels.__getitem__,
        help=field_help(TaskStreamConfig, "datasets"),
    )


def data_types(spec: str) -> list[str]:
    """The entity types of a dataset: from the built-in catalog, else its statistics."""
    entry = next((c for c in calls.builtin_catalog() if c["spec"] == spec), None)
    if entry is not None:
        return list(entry["types"])
    return list(calls.dataset_stats(spec)["entities"])


def plan_tasks(tasks: dict[str, Any], types: list[str], seed: int) -> list[list[str]]:
    """Each task's types, as engine.data.tasks.plan_type_tasks splits them (FG-a-PG-b)."""
    if tasks.get("order"):
        return [list(task) for task in tasks["order"]]
    pool = sorted(types)
    if tasks.get("type_order") == "seeded":
        random.Random(seed).shuffle(pool)
    per_task = int(tasks.get("types_per_task") or 1)
    first = int(tasks.get("first_types") or per_task)
    plan = [pool[:first]]
    plan += [pool[i : i + per_task] for i in range(first, len(pool), per_task)]
    return [task for task in plan if task]


def stream_preview(tasks: dict[str, Any], wiz: dict[str, Any]) -> None:
    """Per task: its types and which entity types its training data shows as O."""
    try:
        parse_config({"strategy": {"kind": "continual", "tasks": tasks}})
    except ConfigError as err:
        st.warning(t("train.stream_invalid", error=err))
        return
    rows = []
    if tasks["by"] == "types":
        types = data_types(wiz["data"]["train"])
        plan = plan_tasks(tasks, types, int(wiz["train"]["seed"]))
        unknown = sorted({kind for task in plan for kind in task} - set(types))
        if unknown:
            st.warning(t("train.unknown_types", missing=", ".join(unknown), types=", ".join(types)))
        for number, task in enumerate(plan):
            labelled = (
                [x for earlier in plan[:number] for x in earlier] if tasks["fully_labelled"] else []
            )
            labelled += task
            rows.append(
                {
                    "task": number + 1,
                    "learns": ", ".join(task),
                    "labelled in its data": ", ".join(labelled),
                    "become O": ", ".join(x for x in types if x not in labelled) or "-",
                }
            )
        never = [x for x in types if not any(x in task for task in plan)]
        if never:
            st.caption(t("train.never_taught", types=", ".join(never)))
    else:
        for number, spec in enumerate(tasks["datasets"]):
            name = spec if isinstance(spec, str) else spec.get("train", "?")
            types = data_types(name) if isinstance(spec, str) else []
            rows.append(
                {
                    "task": number + 1,
                    "learns": ", ".join(types) or "?",
                    "labelled in its data": name,
                    "become O": "-",
                }
            )
    st.markdown(t("train.stream_preview"))
    if tasks["by"] == "types":
        st.caption(t("train.stream_caption"))
    headers = {
        "task": t("train.col.task"),
        "learns": t("train.col.learns"),
        "labelled in its data": t("train.col.labelled"),
        "become O": t("train.col.become_o"),
    }
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        key="wiz_stream_preview",
        column_config=fmt.column_labels(headers),
    )


def race_methods(cfg: RunConfig) -> list[str]:
    """The race's methods for a continual config (empty: launch one run)."""
    if getattr(cfg.strategy, "kind", None) != "continual":
        return []
    return list(dict.fromkeys(st.session_state.get(RACE, [])))


def race_configs(
    cfg: RunConfig, methods: list[str], params: dict[str, dict[str, Any]]
) -> list[RunConfig]:
    """One config per method: the same data, stream and seed, each method with its own
    settings (`params[method]`, else its defaults); named NAME-METHOD."""
    out = []
    for method in methods:
        raw = cfg.to_dict()
        raw["strategy"]["method"] = method
        own = raw["strategy"]["params"] if method == cfg.strategy.method else params.get(method)
        raw["strategy"]["params"] = dict(own or {})
        raw["name"] = f"{cfg.name}-{method}"[:200]
        out.append(parse_config(raw))
    return out


def launch_race(cfg: RunConfig, methods: list[str], params: dict[str, dict[str, Any]]) -> str:
    """Submit one run per method under one group_name; returns the group's name."""
    configs = race_configs(cfg, methods, params)  # all validated before any is queued
    base = cfg.name if cfg.name.startswith("race") else f"race-{cfg.name}"  # never race-race-
    group = f"{base}-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    for one in configs:
        api.submit(one, group_name=group)
    return group
