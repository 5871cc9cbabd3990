"""Train: a wizard that builds one RunConfig and launches it with engine.api.submit.

Steps: data -> backbone -> strategy and mode -> hyperparameters -> review (the YAML, with an
imported dataset shown by its name and its file under "Files on disk"; a time estimate; the
exact YAML to download) -> Launch. The config being built lives in st.session_state["wiz"] as
the plain dict RunConfig.to_dict() gives; each step's widgets read their defaults from it and
write their values back, so going Back and Next keeps every choice. Strategy and
hyperparameter widgets are generated from the pydantic fields (title as label, default, bounds,
description as help; translated), so a strategy registered in STRATEGY_CONFIGS, or a method
registered with engine.config.register_method, shows up here with no page change (the strategy
step: views/parts/wizard_methods.py). Devices offered are this machine's. Every widget has a
`wiz_*` key for AppTest and browser tests.
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import streamlit as st

from engine import api
from engine.config import (
    RECOMMENDED_LR,
    ConfigError,
    DataConfig,
    RunConfig,
    TrainConfig,
    load_config,
    parse_config,
)
from storage import queries
from views.parts import calls, fmt
from views.parts.data_names import dataset_names, files_on_disk, shown_yaml, used_paths
from views.parts.i18n import t
from views.parts.pickers import pick_run
from views.parts.uploader import file_uploader
from views.parts.wizard_estimate import show_estimate
from views.parts.wizard_fields import device_options, field_help, field_input
from views.parts.wizard_methods import (
    ignored_train_fields,
    race_params,
    strategy_step,
    unused_settings_text,
)
from views.parts.wizard_stream import launch_race, race_methods

# English step names and data sources are ids (widget keys, option values tests set); the
# user sees them through step_name / source_text, in their language.
STEPS = ("Data", "Backbone", "Strategy", "Hyperparameters", "Review")
DATA, BACKBONE, STRATEGY, HYPER, REVIEW = range(len(STEPS))
BACKBONES = ("minilm-l6", "tiny", "other")
MAIN_TRAIN_FIELDS = ("epochs", "batch_size", "lr", "device", "max_length", "seed")
SOURCES = ("Built-in corpus", "Imported dataset")
HOLD_OUT = ""  # the dev / test option meaning "no file: hold out / skip"


def step_name(step: int) -> str:
    names = (t("train.step.data"), t("train.step.backbone"), t("train.step.strategy"))
    return (*names, t("train.step.hyper"), t("train.step.review"))[step]


def backbone_text(name: str) -> str:
    texts = {
        "minilm-l6": t("train.backbone_minilm"),
        "tiny": t("train.backbone_tiny"),
        "other": t("train.backbone_other"),
    }
    return f"{name}: {texts[name]}" if name in texts else name


def source_text(source: str) -> str:
    return {SOURCES[0]: t("train.source_builtin"), SOURCES[1]: t("train.source_imported")}[source]


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


# ---- steps ----------------------------------------------------------------------------------


def data_step(wiz: dict[str, Any]) -> bool | None:
    data = wiz["data"]
    is_builtin = data["train"].startswith("builtin:")
    source = st.radio(
        t("train.training_data"),
        SOURCES,
        index=0 if is_builtin else 1,
        key="wiz_data_source",
        horizontal=True,
        format_func=fmt.label_lookup(SOURCES, source_text),
    )
    if source == SOURCES[0]:
        catalog = {c["name"]: c for c in calls.builtin_catalog()}
        names = list(catalog)
        current = data["train"].removeprefix("builtin:") if is_builtin else names[0]
        name = st.selectbox(
            t("train.source_builtin"),
            names,
            index=names.index(current) if current in names else 0,
            key="wiz_builtin",
            format_func=lambda n: f"{n}: {catalog[n]['description']}",
        )
        entry = catalog[name]
        counts = "/".join(str(entry["sentences"][s]) for s in ("train", "dev", "test"))
        st.caption(t("train.builtin_caption", types=", ".join(entry["types"]), counts=counts))
        if not is_builtin or data["train"] != f"builtin:{name}":
            data.update(train=f"builtin:{name}", dev=None, test=None)
    else:
        datasets = calls.read(queries.list_datasets)
        paths = {
            d.path: t("train.dataset_option", name=d.name, n=f"{d.n_sentences:,}", fmt=d.fmt)
            for d in datasets
            if d.path
        }
        if not is_builtin and data["train"] not in paths:
            paths[data["train"]] = data["train"]  # a path from a loaded config or an earlier run
        if not paths:
            st.info(t("train.no_datasets"))
            st.page_link("views/data.py", label=t("train.go_to_data"), icon="📚")
            return False  # nothing to train on: Next stays disabled
        train = pick_run(t("train.training_set"), paths, data["train"], "wiz_dataset")
        dev_labels = {HOLD_OUT: t("train.hold_out"), **paths}
        dev = pick_run(t("train.dev_set"), dev_labels, data["dev"], "wiz_dev_dataset")
        test_labels = {HOLD_OUT: t("train.no_test"), **paths}
        test = pick_run(t("train.test_set"), test_labels, data["test"], "wiz_test_dataset")
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
        t("train.step.backbone"),
        options,
        index=options.index(choice),
        key="wiz_backbone",
        format_func=fmt.label_lookup(options, backbone_text),
        help=field_help(RunConfig, "backbone"),
    )
    if picked == "other":
        typed = st.text_input(
            t("train.backbone_path"),
            value="" if current in BACKBONES else current,
            key="wiz_backbone_other",
            help=t("train.backbone_path_help"),
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


def train_input(train: dict[str, Any], name: str) -> Any:
    options = device_options(calls.machine(), train[name]) if name == "device" else None
    return field_input(TrainConfig, name, train[name], f"wiz_train_{name}", options=options)


def suggested_name(wiz: dict[str, Any], names: dict[str, str]) -> str:
    """A run name that says what the run is ("continual-lwf-news"), in place of the bare
    default "run" that every run would otherwise share in the tables. An imported dataset
    counts by its name (`names`: path -> name), never its stored file's uuid."""
    if wiz["name"] != RunConfig.model_fields["name"].default:
        return wiz["name"]
    strategy = wiz.get("strategy") or {}
    how = strategy.get("method") or strategy.get("mode") or ""
    train = str((wiz.get("data") or {}).get("train") or "")
    data = fmt.data_label(train, names)
    data = data if train in names else data.rsplit(".", 1)[0]
    parts = [strategy.get("kind", "finetune"), how, data[:40]]
    return "-".join(p for p in parts if p)[:200] or "run"


def hyper_step(wiz: dict[str, Any]) -> None:
    wiz["name"] = st.text_input(
        t("train.run_name"),
        value=suggested_name(wiz, dataset_names()),
        key="wiz_name",
        max_chars=200,
        help=field_help(RunConfig, "name"),
    )
    train = wiz["train"]
    ignored = ignored_train_fields(wiz)
    main = [n for n in MAIN_TRAIN_FIELDS if n not in ignored]
    cols = st.columns(3)
    for i, name in enumerate(main):
        with cols[i % 3]:
            train[name] = train_input(train, name)
    with st.expander(t("train.more_settings")):
        for name in TrainConfig.model_fields:
            if name not in MAIN_TRAIN_FIELDS and name not in ignored:
                train[name] = train_input(train, name)
    if ignored:
        st.caption(unused_settings_text(wiz, ignored))


def review_step(wiz: dict[str, Any]) -> None:
    try:
        cfg = parse_config(copy.deepcopy(wiz))
    except ConfigError as err:
        st.error(t("train.invalid", error=err))
        return
    text = cfg.to_yaml()
    names = dataset_names()
    st.markdown(t("train.config_heading"))
    st.code(shown_yaml(text, names), language="yaml")  # names, not uuid file names
    used = used_paths(text, names)
    if used:
        st.caption(t("train.yaml_names"))
        files_on_disk(used, names)
    ignored = ignored_train_fields(wiz)
    if ignored:
        st.info(unused_settings_text(wiz, ignored))
    show_estimate(cfg)  # a range from this machine's own runs, with its basis
    left, right = st.columns(2)
    left.download_button(
        t("train.download_yaml"),
        data=text,
        file_name=f"{cfg.name}.yaml",
        mime="application/x-yaml",
        key="wiz_download_yaml",
        on_click="ignore",
    )
    race = race_methods(cfg)
    if race:
        st.info(t("train.race_info", n=len(race), methods=", ".join(race), seed=cfg.train.seed))
        label = t("train.launch_race", n=len(race))
    else:
        label = t("train.launch")
    if right.button(label, key="wiz_launch", type="primary"):
        if race:
            group = None
            with calls.friendly(t("errors.launch_race")):
                group = launch_race(cfg, race, race_params())
            if group is not None:
                st.switch_page("views/forgetting.py", query_params={"group": group})
            return
        run_id = None
        with calls.friendly(t("errors.launch_run")):
            run_id = api.submit(cfg)
        if run_id is not None:
            st.switch_page("views/runs.py", query_params={"run": str(run_id)})


# ---- starting points: a YAML file or an earlier run -----------------------------------------


def starting_points() -> None:
    with st.expander(t("train.start_from")):
        uploaded = file_uploader(
            t("train.config_file"), types=("yaml", "yml"), key="wiz_config_upload"
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
            st.error(t("train.config_not_loaded", error=st.session_state["wiz_upload_error"]))
        runs = calls.read(queries.list_runs, limit=100)
        if runs:
            labels = {r.id: fmt.run_label(r) for r in runs}
            run_id = pick_run(t("train.earlier_run"), labels, None, "wiz_clone_run")
            if st.button(t("train.use_config"), key="wiz_clone"):
                with calls.friendly(t("errors.load_run_config")):
                    detail = calls.read(queries.get_run, run_id)
                    if detail is None:
                        raise ValueError(t("train.run_gone", run_id=run_id))
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
            raise ConfigError(t("train.not_utf8", file=shown)) from None


# ---- the page -------------------------------------------------------------------------------

st.title(t("train.title"))
wiz = wizard()
with calls.friendly(t("errors.load_earlier_runs")):
    starting_points()

step = st.session_state.get("wiz_step", DATA)
shown_step = step_name(step)
st.progress(
    (step + 1) / len(STEPS), text=t("train.progress", n=step + 1, total=len(STEPS), name=shown_step)
)
ready: bool | None = False
with calls.friendly(t("errors.show_step", step=shown_step.lower())):
    ready = (data_step, backbone_step, strategy_step, hyper_step, review_step)[step](wiz)

back, _, forward = st.columns([1, 4, 1])
if step > DATA and back.button(t("train.back"), key=f"wiz_back_{STEPS[step].lower()}"):
    go_to(step - 1)
# A step that returns False (nothing to train on) keeps Next disabled; an error in it too.
next_key = f"wiz_next_{STEPS[step].lower()}"
if step < REVIEW and forward.button(
    t("train.next"), key=next_key, type="primary", disabled=ready is False
):
    go_to(step + 1)
