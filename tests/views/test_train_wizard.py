"""The Train wizard: scripted choices give the expected config, shown as YAML and submitted;
uploaded configs and datasets, cloning, devices, and labels in words in both languages
(continual streams and races: test_train_wizard_continual.py)."""

from __future__ import annotations

import re
from typing import get_args

import pytest

from engine.config import STRATEGY_CONFIGS, RunConfig, parse_config, registered_methods

from .conftest import click, open_page, widget_keys

EXPECTED = parse_config(
    {
        "name": "wizard-tiny",
        "data": {"train": "builtin:science", "max_train_sentences": 600},
        "backbone": "tiny",
        "strategy": {"kind": "finetune", "mode": "frozen", "trainable_layers": 1},
        "train": {"epochs": 4, "batch_size": 32, "lr": 3e-3},
    }
)


def _walk_to_review(at):
    at.radio(key="wiz_data_source").set_value("Built-in corpus")
    at.selectbox(key="wiz_builtin").set_value("science")
    at.number_input(key="wiz_max_train_sentences").set_value(600)
    click(at, "wiz_next_data")
    at.radio(key="wiz_backbone").set_value("tiny")
    click(at, "wiz_next_backbone")
    # only registered strategies are offered (later ones plug in through the registry)
    kinds = at.selectbox(key="wiz_strategy_kind")
    assert kinds.options == ["continual", "fine-tuning", "meta-learning", "pretraining"]
    assert sorted(STRATEGY_CONFIGS) == ["continual", "finetune", "meta", "pretrain"]
    at.radio(key="wiz_strategy_mode").set_value("frozen").run()
    # frozen mode shows trainable_layers and hides the LoRA settings
    assert not [n for n in at.number_input if str(n.key).startswith("wiz_strategy_lora")]
    at.number_input(key="wiz_strategy_trainable_layers").set_value(1)
    click(at, "wiz_next_strategy")
    at.text_input(key="wiz_name").set_value("wizard-tiny")
    at.number_input(key="wiz_train_epochs").set_value(4)
    at.number_input(key="wiz_train_batch_size").set_value(32)
    at.number_input(key="wiz_train_lr").set_value(3e-3)
    return click(at, "wiz_next_hyperparameters")


def test_scripted_choices_give_the_expected_yaml_and_submit(fake_jobs):
    at = _walk_to_review(open_page("views/train.py"))
    assert at.code[0].value == EXPECTED.to_yaml().rstrip()
    # the estimate of this machine (views/parts/wizard_estimate.py): drawn by show_estimate, or
    # as a metric of its own with the range and basis in its help
    assert at.metric[0].label in ("Estimated time on this machine", "Estimated training time")
    assert at.download_button(key="wiz_download_yaml") is not None
    click(at, "wiz_launch")
    (submitted,) = fake_jobs.submitted
    assert isinstance(submitted, RunConfig)
    assert submitted.to_dict() == EXPECTED.to_dict()
    assert at.query_params["run"] == str(fake_jobs.next_id)  # switched to the run's page


def test_back_keeps_the_choices(fake_jobs):
    at = _walk_to_review(open_page("views/train.py"))
    click(at, "wiz_back_review")
    assert at.number_input(key="wiz_train_lr").value == 3e-3
    click(at, "wiz_back_hyperparameters")
    assert at.radio(key="wiz_strategy_mode").value == "frozen"
    click(at, "wiz_back_strategy")
    assert at.radio(key="wiz_backbone").value == "tiny"
    click(at, "wiz_back_backbone")
    assert at.selectbox(key="wiz_builtin").value == "science"
    assert at.number_input(key="wiz_max_train_sentences").value == 600


def test_only_registered_strategies_are_offered(fake_jobs):
    from engine import config

    at = open_page("views/train.py")
    click(at, "wiz_next_data")
    click(at, "wiz_next_backbone")
    kinds = at.selectbox(key="wiz_strategy_kind")
    assert len(kinds.options) == len(config.STRATEGY_CONFIGS) == 4  # shown by name (labels)
    assert kinds.value == "finetune"  # the value stays the registered kind, not its label


def test_the_strategy_kind_is_named_in_the_users_language(fake_jobs):
    at = open_page("views/train.py", lang="zh")
    click(at, "wiz_next_data")
    click(at, "wiz_next_backbone")
    assert at.selectbox(key="wiz_strategy_kind").options == ["持续学习", "微调", "元学习", "预训练"]


def test_uploaded_config_errors_name_the_field(fake_jobs):
    at = open_page("views/train.py")
    bad = b"name: x\ntrain:\n  epochs: 0\n  colour: red\n"
    at.file_uploader(key="wiz_config_upload").set_value(("mine.yaml", bad, "application/x-yaml"))
    at.run()
    assert not at.exception
    (error,) = [e.value for e in at.error]
    assert "train.epochs" in error and "train.colour: unknown key" in error


def test_uploaded_config_fills_the_wizard(fake_jobs):
    at = open_page("views/train.py")
    good = EXPECTED.to_yaml().encode()
    at.file_uploader(key="wiz_config_upload").set_value(("mine.yaml", good, "application/x-yaml"))
    at.run()
    assert not at.exception
    assert at.code[0].value == EXPECTED.to_yaml().rstrip()
    click(at, "wiz_launch")
    assert fake_jobs.submitted[0].to_dict() == EXPECTED.to_dict()


def test_clone_an_earlier_run(populated):
    at = open_page("views/train.py")
    at.selectbox(key="wiz_clone_run").set_value(populated.running)
    click(at, "wiz_clone")
    shown = at.code[0].value
    assert "name: news-lr-again" in shown and "lr: 0.003" in shown and "epochs: 5" in shown


def test_uploaded_dataset_as_training_data(fake_jobs):
    from engine import api as jobs

    data = b"Alice B-PER\nmet O\nBob B-PER\n\nParis B-LOC\n"
    dataset_id = jobs.import_upload("tiny.conll", data, name="my-tiny")
    assert dataset_id > 0
    at = open_page("views/train.py")
    at.radio(key="wiz_data_source").set_value("Imported dataset").run()
    (label,) = at.selectbox(key="wiz_dataset").options
    assert label.startswith("my-tiny (2 sentences")
    click(at, "wiz_next_data")
    click(at, "wiz_next_backbone")
    click(at, "wiz_next_strategy")
    click(at, "wiz_next_hyperparameters")
    cfg = parse_config(at.session_state["wiz"])  # the shown YAML names it "my-tiny"
    assert cfg.data.train.endswith(".conll") and cfg.data.dev is None


def test_next_is_disabled_without_imported_datasets(fake_jobs):
    at = open_page("views/train.py")
    at.radio(key="wiz_data_source").set_value("Imported dataset").run()
    assert any("No imported datasets yet" in i.value for i in at.info)
    assert at.button(key="wiz_next_data").disabled


def test_switching_backbone_moves_an_untouched_lr(fake_jobs):
    at = open_page("views/train.py")
    click(at, "wiz_next_data")
    at.radio(key="wiz_backbone").set_value("tiny").run()
    assert at.session_state["wiz"]["train"]["lr"] == 3e-3
    at.radio(key="wiz_backbone").set_value("minilm-l6").run()
    assert at.session_state["wiz"]["train"]["lr"] == 1e-4


# ---- the wizard speaks words, not config keys (issue 14, item 7) ------------------------------

RAW = re.compile(
    r"\b[a-z]+_[a-z_]+\b|\bn way\b|\bk shot\b|max train sentences|test episodes file|"
    r"unknown labels|finetune-baseline|\b(train|data|strategy)\.[a-z]\w*",
    re.IGNORECASE,
)


def _shown(at) -> list[str]:
    """Labels, help and choices of the widgets, and the step's notes (not the YAML)."""
    widgets = [*at.number_input, *at.radio, *at.checkbox, *at.text_input, *at.multiselect]
    texts = [w.label for w in widgets] + [w.help or "" for w in widgets]
    texts += [o for w in [*at.radio, *at.multiselect] for o in w.options]
    texts += [e.value for e in [*at.caption, *at.info]]
    return texts


def _raw(texts: list[str]) -> list[str]:
    return [x for x in texts if RAW.search(x) or x.strip().lower() in ("examples", "episodes")]


def _every_strategy_choice(at) -> list[str]:
    """Each kind, and each of its modes or methods (and every continual method at once)."""
    texts = []
    for kind in sorted(STRATEGY_CONFIGS):
        at.selectbox(key="wiz_strategy_kind").set_value(kind).run()
        selector = "wiz_strategy_method" if kind in ("continual", "meta") else "wiz_strategy_mode"
        model = STRATEGY_CONFIGS[kind]
        choices = (
            registered_methods(kind)
            if "method" in selector
            else get_args(model.model_fields["mode"].annotation)
        )
        for value in choices:
            at.radio(key=selector).set_value(value).run()
            assert not at.exception, [e.value for e in at.exception]
            texts += _shown(at)
    return texts


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_label_and_choice_is_words_in_both_languages(fake_jobs, lang):
    at = open_page("views/train.py", lang=lang)
    texts = _shown(at)
    click(at, "wiz_next_data")
    click(at, "wiz_next_backbone")
    texts += _every_strategy_choice(at)
    at.selectbox(key="wiz_strategy_kind").set_value("continual").run()
    at.multiselect(key="wiz_race_methods").set_value(list(registered_methods("continual"))).run()
    texts += _shown(at)
    at.selectbox(key="wiz_strategy_kind").set_value("meta").run()
    click(at, "wiz_next_strategy")
    texts += _shown(at)  # the hyperparameters of a meta run
    assert not _raw(texts), _raw(texts)
    shown = "\n".join(texts)
    if lang == "en":
        assert "Training sentences (at most)" in shown and "treat them as no entity (O)" in shown
        assert "Types per episode (N)" in shown and "Examples per type (K)" in shown
        assert "Test episodes from a file" in shown and "Episodes kept for viewing" in shown
    else:
        assert "最多训练句数" in shown and "当作非实体（O）" in shown
        assert "每个回合的类型数（N）" in shown and "从文件读取测试回合" in shown


def test_devices_offered_are_those_of_this_machine(fake_jobs, monkeypatch):
    at = open_page("views/train.py")
    for step in ("data", "backbone", "strategy"):
        click(at, f"wiz_next_{step}")
    device = at.radio(key="wiz_train_device")
    assert device.options == ["automatic (the best this machine has)", "CPU"]  # CPU-only
    import streamlit as st

    from engine import api

    gpu = {"cpu_count": 8, "memory_gb": 64.0, "gpus": [{"name": "H200", "memory_gb": 139.0}]}
    monkeypatch.setattr(api, "machine_info", lambda: gpu)
    st.cache_data.clear()
    at.run()
    assert at.radio(key="wiz_train_device").options[-1] == "NVIDIA GPU (CUDA)"


def test_a_meta_run_says_which_training_settings_it_uses(fake_jobs):
    at = open_page("views/train.py")
    click(at, "wiz_next_data")
    click(at, "wiz_next_backbone")
    at.selectbox(key="wiz_strategy_kind").set_value("meta").run()
    click(at, "wiz_next_strategy")
    keys = widget_keys(at, "wiz_train_")
    assert {"wiz_train_lr", "wiz_train_seed", "wiz_train_max_length"} <= keys
    assert not {"wiz_train_epochs", "wiz_train_batch_size", "wiz_train_patience"} & keys
    (note,) = [c.value for c in at.caption if "ignores" in c.value]
    assert "Learning rate" in note and "Epochs" in note.split("ignores")[1]
    click(at, "wiz_next_hyperparameters")
    assert any("meta-learning run uses" in i.value and "Batch size" in i.value for i in at.info)


def test_the_default_run_name_says_what_the_run_is(fake_jobs):
    at = open_page("views/train.py")
    at.radio(key="wiz_data_source").set_value("Built-in corpus")
    at.selectbox(key="wiz_builtin").set_value("science")
    click(at, "wiz_next_data")
    at.radio(key="wiz_backbone").set_value("tiny")
    click(at, "wiz_next_backbone")
    click(at, "wiz_next_strategy")
    assert at.text_input(key="wiz_name").value == "finetune-full-science"  # not the bare "run"
