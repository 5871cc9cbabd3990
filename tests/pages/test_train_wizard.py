"""The Train wizard: scripted choices give the expected config, shown as YAML and submitted."""

from __future__ import annotations

import yaml

from engine.config import STRATEGY_CONFIGS, RunConfig, parse_config

from .conftest import open_page

EXPECTED = parse_config(
    {
        "name": "wizard-tiny",
        "data": {"train": "builtin:science", "max_train_sentences": 600},
        "backbone": "tiny",
        "strategy": {"kind": "finetune", "mode": "frozen", "trainable_layers": 1},
        "train": {"epochs": 4, "batch_size": 32, "lr": 3e-3},
    }
)


def _click(at, key: str):
    at.button(key=key).click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _walk_to_review(at):
    at.radio(key="wiz_data_source").set_value("Built-in corpus")
    at.selectbox(key="wiz_builtin").set_value("science")
    at.number_input(key="wiz_max_train_sentences").set_value(600)
    _click(at, "wiz_next_data")
    at.radio(key="wiz_backbone").set_value("tiny")
    _click(at, "wiz_next_backbone")
    # only registered strategies are offered (later ones plug in through the registry)
    assert sorted(at.selectbox(key="wiz_strategy_kind").options) == sorted(STRATEGY_CONFIGS)
    assert "finetune" in STRATEGY_CONFIGS
    at.radio(key="wiz_strategy_mode").set_value("frozen").run()
    # frozen mode shows trainable_layers and hides the LoRA settings
    assert not [n for n in at.number_input if str(n.key).startswith("wiz_strategy_lora")]
    at.number_input(key="wiz_strategy_trainable_layers").set_value(1)
    _click(at, "wiz_next_strategy")
    at.text_input(key="wiz_name").set_value("wizard-tiny")
    at.number_input(key="wiz_train_epochs").set_value(4)
    at.number_input(key="wiz_train_batch_size").set_value(32)
    at.number_input(key="wiz_train_lr").set_value(3e-3)
    return _click(at, "wiz_next_hyperparameters")


def test_scripted_choices_give_the_expected_yaml_and_submit(fake_jobs):
    at = _walk_to_review(open_page("pages/train.py"))
    assert at.code[0].value == EXPECTED.to_yaml().rstrip()
    assert at.metric[0].label == "Estimated training time"
    assert at.download_button(key="wiz_download_yaml") is not None
    _click(at, "wiz_launch")
    (submitted,) = fake_jobs.submitted
    assert isinstance(submitted, RunConfig)
    assert submitted.to_dict() == EXPECTED.to_dict()
    assert at.query_params["run"] == str(fake_jobs.next_id)  # switched to the run's page


def test_back_keeps_the_choices(fake_jobs):
    at = _walk_to_review(open_page("pages/train.py"))
    _click(at, "wiz_back_review")
    assert at.number_input(key="wiz_train_lr").value == 3e-3
    _click(at, "wiz_back_hyperparameters")
    assert at.radio(key="wiz_strategy_mode").value == "frozen"
    _click(at, "wiz_back_strategy")
    assert at.radio(key="wiz_backbone").value == "tiny"
    _click(at, "wiz_back_backbone")
    assert at.selectbox(key="wiz_builtin").value == "science"
    assert at.number_input(key="wiz_max_train_sentences").value == 600


def test_only_registered_strategies_are_offered(fake_jobs):
    from engine import config

    at = open_page("pages/train.py")
    _click(at, "wiz_next_data")
    _click(at, "wiz_next_backbone")
    assert at.selectbox(key="wiz_strategy_kind").options == sorted(config.STRATEGY_CONFIGS)


def test_uploaded_config_errors_name_the_field(fake_jobs):
    at = open_page("pages/train.py")
    bad = b"name: x\ntrain:\n  epochs: 0\n  colour: red\n"
    at.file_uploader(key="wiz_config_upload").set_value(("mine.yaml", bad, "application/x-yaml"))
    at.run()
    assert not at.exception
    (error,) = [e.value for e in at.error]
    assert "train.epochs" in error and "train.colour: unknown key" in error


def test_uploaded_config_fills_the_wizard(fake_jobs):
    at = open_page("pages/train.py")
    good = EXPECTED.to_yaml().encode()
    at.file_uploader(key="wiz_config_upload").set_value(("mine.yaml", good, "application/x-yaml"))
    at.run()
    assert not at.exception
    assert at.code[0].value == EXPECTED.to_yaml().rstrip()
    _click(at, "wiz_launch")
    assert fake_jobs.submitted[0].to_dict() == EXPECTED.to_dict()


def test_clone_an_earlier_run(populated):
    at = open_page("pages/train.py")
    at.selectbox(key="wiz_clone_run").set_value(populated.running)
    _click(at, "wiz_clone")
    shown = at.code[0].value
    assert "name: news-lr-again" in shown and "lr: 0.003" in shown and "epochs: 5" in shown


def test_uploaded_dataset_as_training_data(fake_jobs):
    from engine import jobs

    data = b"Alice B-PER\nmet O\nBob B-PER\n\nParis B-LOC\n"
    dataset_id = jobs.import_upload("tiny.conll", data, name="my-tiny")
    assert dataset_id > 0
    at = open_page("pages/train.py")
    at.radio(key="wiz_data_source").set_value("Imported dataset").run()
    (label,) = at.selectbox(key="wiz_dataset").options
    assert label.startswith("my-tiny (2 sentences")
    _click(at, "wiz_next_data")
    _click(at, "wiz_next_backbone")
    _click(at, "wiz_next_strategy")
    _click(at, "wiz_next_hyperparameters")
    cfg = parse_config(yaml.safe_load(at.code[0].value))
    assert cfg.data.train.endswith(".conll") and cfg.data.dev is None


def test_next_is_disabled_without_imported_datasets(fake_jobs):
    at = open_page("pages/train.py")
    at.radio(key="wiz_data_source").set_value("Imported dataset").run()
    assert any("No imported datasets yet" in i.value for i in at.info)
    assert at.button(key="wiz_next_data").disabled


def test_switching_backbone_moves_an_untouched_lr(fake_jobs):
    at = open_page("pages/train.py")
    _click(at, "wiz_next_data")
    at.radio(key="wiz_backbone").set_value("tiny").run()
    assert at.session_state["wiz"]["train"]["lr"] == 3e-3
    at.radio(key="wiz_backbone").set_value("minilm-l6").run()
    assert at.session_state["wiz"]["train"]["lr"] == 1e-4
