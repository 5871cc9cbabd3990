"""Train: a wizard that builds one RunConfig and launches it with engine.jobs.submit.

Steps: data -> backbone -> strategy and mode -> hyperparameters -> review (the exact YAML, a
time estimate, download) -> Launch. The config being built lives in st.session_state["wiz"] as
the plain dict RunConfig.to_dict() gives; each step's widgets read their defaults from it and
write their values back, so going Back and Next keeps every choice. Strategy and
hyperparameter widgets are generated from the pydantic fields (label, default, bounds, and the
Field description as help), so a strategy registered in STRATEGY_CONFIGS later shows up here
with no page change. Every widget has a `wiz_*` key for AppTest and browser tests.
"""

from __future__ import annotations

import copy
import math
import random
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import pandas as pd
import streamlit as st

from engine import jobs
from engine.config import (
    RECOMMENDED_LR,
    STRATEGY_CONFIGS,
    ConfigError,
    DataConfig,
    RunConfig,
    Section,
    TaskStreamConfig,
    TrainConfig,
    load_config,
    parse_config,
)
from pages import ui
from storage import queries

STEPS = ("Data", "Backbone", "Strategy", "Hyperparameters", "Review")
DATA, BACKBONE, STRATEGY, HYPER, REVIEW = range(len(STEPS))
BACKBONES = {
    "minilm-l6": "all-MiniLM-L6-v2: a pretrained 6-layer English encoder (22M parameters)",
    "tiny": "a 2-layer BERT initialised from scratch: fast, for demos and tests",
    "other": "a local model folder or a Hugging Face id written hf:ORG/NAME",
}
# Rough training throughput (tokens/s) on a 2-core CPU; a GPU is taken as GPU_SPEEDUP faster.
TOKENS_PER_S_CPU = {"minilm-l6": 2000.0, "tiny": 9000.0}
OTHER_TOKENS_PER_S_CPU = 1000.0
GPU_SPEEDUP = 20.0
MAIN_TRAIN_FIELDS = ("epochs", "batch_size", "lr", "device", "max_length", "seed")
SOURCES = ("Built-in corpus", "Imported dataset")
HOLD_OUT = ""  # the dev / test option meaning "no file: hold out / skip"
SELECTORS = ("mode", "method")  # a strategy field whose value decides which other fields show
RACE = "wiz_race"  # the strategy race's methods (kept outside the config, which has no room)


def wizard() -> dict[str, Any]:
    if "wiz" not in st.session_state:
        st.session_state["wiz"] = RunConfig().to_dict()
        st.session_state["wiz_step"] = DATA
    return st.session_state["wiz"]


def go_to(step: int) -> None:
    st.session_state["wiz_step"] = step
    st.rerun()


def load_into_wizard(raw: dict[str, Any]) -> None:
    """Replace the wizard's config (validated), forget the widgets' old values, show Review."""
    cfg = parse_config(raw)
    for key in [k for k in st.session_state if str(k).startswith("wiz_")]:
        if key not in ("wiz_config_upload", "wiz_clone_run", "wiz_loaded_upload"):
            del st.session_state[key]
    st.session_state["wiz"] = cfg.to_dict()
    go_to(REVIEW)


# ---- generic widgets from pydantic fields -------------------------------------------------


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
        return _number_input(base, label, current, key, help_text, bounds, optional, info.default)
    text = st.text_input(
        label, value="" if current is None else str(current), key=key, help=help_text
    )
    return (text.strip() or None) if optional else text


def _number_input(
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


# ---- steps ----------------------------------------------------------------------------------


def data_step(wiz: dict[str, Any]) -> bool | None:
    data = wiz["data"]
    is_builtin = data["train"].startswith("builtin:")
    source = st.radio(
        "Training data",
        SOURCES,
        index=0 if is_builtin else 1,
        key="wiz_data_source",
        horizontal=True,
    )
    if source == SOURCES[0]:
        catalog = {c["name"]: c for c in ui.builtin_catalog()}
        names = list(catalog)
        current = data["train"].removeprefix("builtin:") if is_builtin else names[0]
        name = st.selectbox(
            "Built-in corpus",
            names,
            index=names.index(current) if current in names else 0,
            key="wiz_builtin",
            format_func=lambda n: f"{n}: {catalog[n]['description']}",
        )
        entry = catalog[name]
        st.caption(
            f"Types: {', '.join(entry['types'])} · sentences train/dev/test: "
            + "/".join(str(entry["sentences"][s]) for s in ("train", "dev", "test"))
            + " (its own dev and test splits are used)"
        )
        if not is_builtin or data["train"] != f"builtin:{name}":
            data.update(train=f"builtin:{name}", dev=None, test=None)
    else:
        datasets = ui.read(queries.list_datasets)
        paths = {
            d.path: f"{d.name} ({d.n_sentences:,} sentences, {d.fmt})" for d in datasets if d.path
        }
        if not is_builtin and data["train"] not in paths:
            paths[data["train"]] = data["train"]  # a path from a loaded config or an earlier run
        if not paths:
            st.info("No imported datasets yet: upload one on the Data page.")
            st.page_link("pages/data.py", label="Go to Data", icon="📚")
            return False  # nothing to train on: Next stays disabled
        options = list(paths)
        train = st.selectbox(
            "Training set",
            options,
            index=options.index(data["train"]) if data["train"] in options else 0,
            key="wiz_dataset",
            format_func=paths.__getitem__,
        )
        extra = [HOLD_OUT, *options]
        dev_labels = {HOLD_OUT: "hold out 10% of the training set", **paths}
        test_labels = {HOLD_OUT: "none (no test metrics)", **paths}
        dev = st.selectbox(
            "Dev set",
            extra,
            index=extra.index(data["dev"]) if data["dev"] in extra else 0,
            key="wiz_dev_dataset",
            format_func=dev_labels.__getitem__,
        )
        test = st.selectbox(
            "Test set",
            extra,
            index=extra.index(data["test"]) if data["test"] in extra else 0,
            key="wiz_test_dataset",
            format_func=test_labels.__getitem__,
        )
        data.update(train=train, dev=dev or None, test=test or None)
    data["max_train_sentences"] = field_input(
        DataConfig, "max_train_sentences", data["max_train_sentences"], "wiz_max_train_sentences"
    )
    data["unknown_labels"] = field_input(
        DataConfig, "unknown_labels", data["unknown_labels"], "wiz_unknown_labels"
    )


def backbone_step(wiz: dict[str, Any]) -> None:
    current = wiz["backbone"]
    choice = current if current in BACKBONES else "other"
    options = list(BACKBONES)
    picked = st.radio(
        "Backbone",
        options,
        index=options.index(choice),
        key="wiz_backbone",
        format_func=lambda b: f"{b}: {BACKBONES[b]}",
        help=RunConfig.model_fields["backbone"].description,
    )
    if picked == "other":
        typed = st.text_input(
            "Model folder or hf:ORG/NAME",
            value="" if current in BACKBONES else current,
            key="wiz_backbone_other",
            help="A Hugging Face id is used only when written hf:ORG/NAME and already cached.",
        )
        wiz["backbone"] = typed.strip() or current
    else:
        wiz["backbone"] = picked
    follow_recommended_lr(wiz, current)


def follow_recommended_lr(wiz: dict[str, Any], previous: str) -> None:
    """Switching backbone moves an untouched lr to the new backbone's recommended one."""
    new = wiz["backbone"]
    old_lr = RECOMMENDED_LR.get(previous, TrainConfig.model_fields["lr"].default)
    if new != previous and new in RECOMMENDED_LR and wiz["train"]["lr"] == old_lr:
        wiz["train"]["lr"] = RECOMMENDED_LR[new]
        st.session_state.pop("wiz_train_lr", None)


def strategy_step(wiz: dict[str, Any]) -> None:
    kinds = sorted(STRATEGY_CONFIGS)
    current_kind = wiz["strategy"].get("kind", kinds[0])
    kind = st.selectbox(
        "Strategy",
        kinds,
        index=kinds.index(current_kind) if current_kind in kinds else 0,
        key="wiz_strategy_kind",
    )
    model = STRATEGY_CONFIGS[kind]
    if kind != current_kind:
        wiz["strategy"] = model().model_dump(mode="json")
        st.session_state.pop(RACE, None)
    section = wiz["strategy"]
    selector = next((s for s in SELECTORS if s in model.model_fields), None)
    nested = []
    for name in model.model_fields:
        if name == "kind":
            continue
        if _section_model(model, name) is not None:
            nested.append(name)  # a nested section (the task stream): its own widgets below
            continue
        active = _active_choices(section.get(selector)) if selector else None
        if not _shown_for_mode(name, model, active, selector or "mode"):
            continue
        section[name] = field_input(model, name, section.get(name), f"wiz_strategy_{name}")
        if name == "method" and kind == "continual":
            race_input(model, section)
    for name in nested:
        if name == "tasks" and kind == "continual":
            section[name] = task_stream_inputs(section.get(name) or {}, wiz)
    if kind != "continual":
        st.session_state.pop(RACE, None)


def _section_model(model: type, name: str) -> type | None:
    """The pydantic model of a nested section field (ContinualStrategy.tasks), else None."""
    annotation = model.model_fields[name].annotation
    return annotation if isinstance(annotation, type) and issubclass(annotation, Section) else None


def _active_choices(value: Any) -> set[str]:
    """The selector's value, plus the strategy race's methods (their knobs are shown too)."""
    return {str(value), *st.session_state.get(RACE, [])}


def _shown_for_mode(name: str, model: type, mode: Any, selector: str = "mode") -> bool:
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
    owners = _owners(model.model_fields[name].description or "", options, selector)
    return not owners or bool(owners & active)


def _owners(description: str, options: list[str], selector: str) -> set[str]:
    """{"replay", "mapping"} for help starting "replay and mapping methods: ..."."""
    head, sep, _ = description.partition(":")
    words = set(re.findall(r"\w+", head))
    if not sep or not words & {selector, f"{selector}s"}:
        return set()
    return words & set(options)


def race_input(model: type, section: dict[str, Any]) -> None:
    """A strategy race: the same stream and seed once per chosen method, grouped."""
    methods = [str(m) for m in get_args(model.model_fields["method"].annotation)]
    chosen = st.multiselect(
        "Strategy race (optional)",
        methods,
        default=[m for m in st.session_state.get(RACE, []) if m in methods],
        key="wiz_race_methods",
        placeholder="one run only (the method above)",
        help="Launch one run per method on the same stream and seed, grouped so the "
        "Forgetting page shows them side by side",
    )
    st.session_state[RACE] = list(chosen)


def task_stream_inputs(tasks: dict[str, Any], wiz: dict[str, Any]) -> dict[str, Any]:
    """The task stream (strategy.tasks): split the data's types, or one dataset per task."""
    st.markdown("**Task stream**")
    tasks = {**TaskStreamConfig().model_dump(mode="json"), **tasks}
    tasks["by"] = field_input(TaskStreamConfig, "by", tasks["by"], "wiz_strategy_tasks_by")
    if tasks["by"] == "types":
        tasks["datasets"] = []
        typed = st.text_input(
            "Task order",
            value=format_order(tasks.get("order")),
            key="wiz_strategy_tasks_order",
            placeholder="e.g. LOC | PER, NORP | ORG, EVENT (empty: split automatically)",
            help="Tasks separated by |, the entity types of one task by commas. "
            + (TaskStreamConfig.model_fields["order"].description or ""),
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
        label="max train sentences per task",
    )
    with ui.friendly("preview the task stream"):
        stream_preview(tasks, wiz)
    return tasks


def format_order(order: list[list[str]] | None) -> str:
    return " | ".join(", ".join(task) for task in order or [])


def parse_order(text: str) -> list[list[str]] | None:
    """ "LOC | PER, NORP" -> [["LOC"], ["PER", "NORP"]]; empty text -> None."""
    tasks = [[t.strip() for t in part.split(",") if t.strip()] for part in text.split("|")]
    tasks = [task for task in tasks if task]
    return tasks or None


def dataset_stream_input(current: list[Any]) -> list[Any]:
    if any(not isinstance(d, str) for d in current):
        st.caption("The datasets come from a loaded config (file paths); edit them in YAML.")
        return current
    labels = {c["spec"]: f"built-in: {c['name']}" for c in ui.builtin_catalog()}
    labels |= {d.path: f"imported: {d.name}" for d in ui.read(queries.list_datasets) if d.path}
    labels |= {d: d for d in current if d not in labels}
    default = current or [s for s in labels if s != "builtin:mixed"][:3]
    return st.multiselect(
        "Datasets, one task each, in order",
        list(labels),
        default=default,
        key="wiz_strategy_tasks_datasets",
        format_func=labels.__getitem__,
        help=TaskStreamConfig.model_fields["datasets"].description,
    )


def data_types(spec: str) -> list[str]:
    """The entity types of a dataset: from the built-in catalog, else its statistics."""
    entry = next((c for c in ui.builtin_catalog() if c["spec"] == spec), None)
    if entry is not None:
        return list(entry["types"])
    return list(ui.dataset_stats(spec)["entities"])


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
        st.warning(f"The task stream is not valid yet: {err}")
        return
    rows = []
    if tasks["by"] == "types":
        types = data_types(wiz["data"]["train"])
        plan = plan_tasks(tasks, types, int(wiz["train"]["seed"]))
        unknown = sorted({t for task in plan for t in task} - set(types))
        if unknown:
            st.warning(
                f"The training data has no type {', '.join(unknown)} (it has {', '.join(types)})."
            )
        for t, task in enumerate(plan):
            labelled = (
                [x for earlier in plan[:t] for x in earlier] if tasks["fully_labelled"] else []
            )
            labelled += task
            rows.append(
                {
                    "task": t + 1,
                    "learns": ", ".join(task),
                    "labelled in its data": ", ".join(labelled),
                    "become O": ", ".join(x for x in types if x not in labelled) or "-",
                }
            )
        never = [x for x in types if not any(x in task for task in plan)]
        if never:
            st.caption(f"Never taught (always O): {', '.join(never)}")
    else:
        for t, spec in enumerate(tasks["datasets"]):
            name = spec if isinstance(spec, str) else spec.get("train", "?")
            types = data_types(name) if isinstance(spec, str) else []
            rows.append(
                {
                    "task": t + 1,
                    "learns": ", ".join(types) or "?",
                    "labelled in its data": name,
                    "become O": "-",
                }
            )
    st.markdown("**Preview of the stream**")
    if tasks["by"] == "types":
        st.caption(
            "Each task's training data is labelled only for the types listed as labelled; the "
            "others appear as O (the background shift of real annotation streams)."
        )
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="wiz_stream_preview")


def hyper_step(wiz: dict[str, Any]) -> None:
    wiz["name"] = st.text_input(
        "Run name",
        value=wiz["name"],
        key="wiz_name",
        max_chars=200,
        help=RunConfig.model_fields["name"].description,
    )
    train = wiz["train"]
    cols = st.columns(3)
    for i, name in enumerate(MAIN_TRAIN_FIELDS):
        with cols[i % 3]:
            train[name] = field_input(TrainConfig, name, train[name], f"wiz_train_{name}")
    with st.expander("More settings"):
        for name in TrainConfig.model_fields:
            if name not in MAIN_TRAIN_FIELDS:
                train[name] = field_input(TrainConfig, name, train[name], f"wiz_train_{name}")


def review_step(wiz: dict[str, Any]) -> None:
    try:
        cfg = parse_config(copy.deepcopy(wiz))
    except ConfigError as err:
        st.error(f"This config is not valid: {err}")
        return
    text = cfg.to_yaml()
    st.markdown("**The run's config** (what the worker receives, and what the CLI reads):")
    st.code(text, language="yaml")
    estimate = estimate_seconds(cfg)
    if estimate is None:
        st.caption("Time estimate: not available for this data.")
    else:
        seconds, where = estimate
        st.metric("Estimated training time", ui.format_duration(seconds), help=where)
    left, right = st.columns(2)
    left.download_button(
        "Download config (YAML)",
        data=text,
        file_name=f"{cfg.name}.yaml",
        mime="application/x-yaml",
        key="wiz_download_yaml",
        on_click="ignore",
    )
    race = race_methods(cfg)
    if race:
        st.info(
            f"Strategy race: {len(race)} runs ({', '.join(race)}) on this stream with seed "
            f"{cfg.train.seed}, grouped for the Forgetting page."
        )
        label = f"🚀 Launch race ({len(race)} runs)"
    else:
        label = "🚀 Launch"
    if right.button(label, key="wiz_launch", type="primary"):
        if race:
            group = None
            with ui.friendly("launch the strategy race"):
                group = launch_race(cfg, race)
            if group is not None:
                st.switch_page("pages/forgetting.py", query_params={"group": group})
            return
        run_id = None
        with ui.friendly("launch the run"):
            run_id = jobs.submit(cfg)
        if run_id is not None:
            st.switch_page("pages/runs.py", query_params={"run": str(run_id)})


def race_methods(cfg: RunConfig) -> list[str]:
    """The race's methods for a continual config (empty: launch one run)."""
    if getattr(cfg.strategy, "kind", None) != "continual":
        return []
    return list(dict.fromkeys(st.session_state.get(RACE, [])))


def race_configs(cfg: RunConfig, methods: list[str]) -> list[RunConfig]:
    """One config per method: the same data, stream, knobs and seed; named NAME-METHOD."""
    out = []
    for method in methods:
        raw = cfg.to_dict()
        raw["strategy"]["method"] = method
        raw["name"] = f"{cfg.name}-{method}"[:200]
        out.append(parse_config(raw))
    return out


def launch_race(cfg: RunConfig, methods: list[str]) -> str:
    """Submit one run per method under one group_name; returns the group's name."""
    configs = race_configs(cfg, methods)  # all validated before any is queued
    group = f"race-{cfg.name}-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    for one in configs:
        jobs.submit(one, group_name=group)
    return group


def train_tokens(cfg: RunConfig) -> int | None:
    """Tokens in one pass over the training data, from the catalog or the dataset's counts."""
    spec, limit = cfg.data.train, cfg.data.max_train_sentences
    if spec.startswith("builtin:"):
        entry = next((c for c in ui.builtin_catalog() if c["spec"] == spec), None)
        if entry is None:
            return None
        sentences, tokens = entry["sentences"]["train"], entry["tokens"]["train"]
    else:
        row = next((d for d in ui.read(queries.list_datasets) if d.path == spec), None)
        if row is None:
            return None
        share = 1.0 if cfg.data.dev else 0.9  # 10% held out for dev
        sentences, tokens = int(row.n_sentences * share), int(row.n_tokens * share)
    if limit is not None and sentences > limit:
        tokens = int(tokens * limit / max(sentences, 1))
    return tokens


def estimate_seconds(cfg: RunConfig) -> tuple[float, str] | None:
    """(seconds, explanation): tokens x epochs / a rough tokens/s for the backbone and device."""
    tokens = train_tokens(cfg)
    if tokens is None:
        return None
    rate = TOKENS_PER_S_CPU.get(cfg.backbone, OTHER_TOKENS_PER_S_CPU)
    device = cfg.train.device
    gpu = device == "cuda" or (device in ("auto", "mps") and ui.has_gpu(ui.machine()))
    if gpu:
        rate *= GPU_SPEEDUP
    total = tokens * cfg.train.epochs
    if cfg.train.max_steps is not None:
        mean_length = 20  # words per sentence, about; only caps the estimate
        total = min(total, cfg.train.max_steps * cfg.train.batch_size * mean_length)
    where = (
        f"{total:,} tokens at about {rate:,.0f} tokens/s ({cfg.backbone} on "
        f"{'GPU' if gpu else 'CPU'}); evaluation adds a little. A rough guide only."
    )
    return total / rate, where


# ---- starting points: a YAML file or an earlier run -----------------------------------------


def starting_points() -> None:
    with st.expander("Start from a saved config or an earlier run"):
        uploaded = st.file_uploader(
            "Config file (YAML)", type=["yaml", "yml"], key="wiz_config_upload"
        )
        if uploaded is not None and st.session_state.get("wiz_loaded_upload") != uploaded.file_id:
            st.session_state["wiz_loaded_upload"] = uploaded.file_id
            try:
                cfg = config_from_yaml(uploaded.getvalue(), uploaded.name)
            except ConfigError as err:
                st.session_state["wiz_upload_error"] = str(err)
            else:
                st.session_state.pop("wiz_upload_error", None)
                load_into_wizard(cfg.to_dict())
        if st.session_state.get("wiz_upload_error"):
            st.error(f"Config not loaded: {st.session_state['wiz_upload_error']}")
        runs = ui.read(queries.list_runs, limit=100)
        if runs:
            labels = {r.id: ui.run_label(r) for r in runs}
            run_id = st.selectbox(
                "Earlier run", list(labels), format_func=labels.__getitem__, key="wiz_clone_run"
            )
            if st.button("Use this run's config", key="wiz_clone"):
                with ui.friendly("load that run's config"):
                    detail = ui.read(queries.get_run, run_id)
                    if detail is None:
                        raise ValueError(f"run {run_id} no longer exists")
                    raw = copy.deepcopy(detail.config)
                    raw["name"] = f"{detail.name}-again"
                    load_into_wizard(raw)


def config_from_yaml(data: bytes, filename: str) -> RunConfig:
    """Validate uploaded YAML with the CLI's own loader; errors name the field (and the file)."""
    shown = Path(filename).name or "config.yaml"
    with tempfile.TemporaryDirectory(prefix="lab-config-") as folder:
        path = Path(folder) / "config.yaml"  # a server-chosen name, never the client's
        path.write_bytes(data)
        try:
            return load_config(path)
        except ConfigError as err:
            raise ConfigError(str(err).replace(str(path), shown)) from None
        except UnicodeDecodeError:
            raise ConfigError(f"{shown}: not UTF-8 text") from None


# ---- the page -------------------------------------------------------------------------------

st.title("Train")
wiz = wizard()
with ui.friendly("load earlier runs"):
    starting_points()

step = st.session_state.get("wiz_step", DATA)
st.progress((step + 1) / len(STEPS), text=f"Step {step + 1} of {len(STEPS)}: {STEPS[step]}")
ready: bool | None = False
with ui.friendly(f"show the {STEPS[step].lower()} step"):
    ready = (data_step, backbone_step, strategy_step, hyper_step, review_step)[step](wiz)

back, _, forward = st.columns([1, 4, 1])
if step > DATA and back.button("← Back", key=f"wiz_back_{STEPS[step].lower()}"):
    go_to(step - 1)
# A step that returns False (nothing to train on) keeps Next disabled; an error in it too.
next_key = f"wiz_next_{STEPS[step].lower()}"
if step < REVIEW and forward.button(
    "Next →", key=next_key, type="primary", disabled=ready is False
):
    go_to(step + 1)
