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
    from engine import api as jobs

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


# ---- continual runs: method knobs, the task stream, its preview, and strategy races ---------

CONTINUAL = parse_config(
    {
        "name": "stream-ewc",
        "data": {"train": "builtin:news"},
        "backbone": "tiny",
        "strategy": {
            "kind": "continual",
            "method": "ewc",
            "ewc_lambda": 500.0,
            "tasks": {
                "by": "types",
                "order": [["LOC"], ["PER", "NORP"], ["ORG", "EVENT"]],
                "max_train_sentences": 100,
            },
        },
        "train": {"lr": 3e-3},
    }
)


def _keys(at, prefix: str) -> set[str]:
    widgets = [*at.number_input, *at.radio, *at.checkbox, *at.text_input, *at.selectbox]
    return {str(w.key) for w in widgets if str(w.key).startswith(prefix)}


def _preview(at):
    """The stream preview table (AppTest does not expose a plain dataframe's key)."""
    (table,) = [d.value for d in at.dataframe if "become O" in d.value.columns]
    return table


def _to_continual(at):
    at.radio(key="wiz_data_source").set_value("Built-in corpus")
    at.selectbox(key="wiz_builtin").set_value("news")
    _click(at, "wiz_next_data")
    at.radio(key="wiz_backbone").set_value("tiny")
    _click(at, "wiz_next_backbone")
    at.selectbox(key="wiz_strategy_kind").set_value("continual").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_continual_shows_only_the_methods_knobs_and_previews_the_stream(fake_jobs):
    at = _to_continual(open_page("pages/train.py"))
    assert at.radio(key="wiz_strategy_method").options == [
        "naive", "replay", "ewc", "lwf", "mapping", "joint"
    ]  # fmt: skip
    assert not _keys(at, "wiz_strategy_ewc_") | _keys(at, "wiz_strategy_memory_")
    at.radio(key="wiz_strategy_method").set_value("ewc").run()
    assert _keys(at, "wiz_strategy_ewc_") == {
        "wiz_strategy_ewc_lambda", "wiz_strategy_ewc_gamma", "wiz_strategy_ewc_fisher_batches"
    }  # fmt: skip
    for other in ("lwf_", "mapping_", "memory_"):
        assert not _keys(at, f"wiz_strategy_{other}")
    at.radio(key="wiz_strategy_method").set_value("replay").run()
    assert _keys(at, "wiz_strategy_memory_") == {
        "wiz_strategy_memory_size", "wiz_strategy_memory_selection"
    }  # fmt: skip
    assert not _keys(at, "wiz_strategy_ewc_")
    at.radio(key="wiz_strategy_method").set_value("ewc").run()
    at.number_input(key="wiz_strategy_ewc_lambda").set_value(500.0)
    at.text_input(key="wiz_strategy_tasks_order").set_value("LOC | PER, NORP | ORG, EVENT")
    at.number_input(key="wiz_strategy_tasks_max_train_sentences").set_value(100).run()
    assert not at.exception, [e.value for e in at.exception]
    # an explicit order hides the automatic split's settings
    assert "wiz_strategy_tasks_first_types" not in _keys(at, "wiz_strategy_tasks_")
    preview = _preview(at)
    assert list(preview["learns"]) == ["LOC", "PER, NORP", "ORG, EVENT"]
    assert list(preview["become O"]) == [
        "PER, ORG, EVENT, NORP", "ORG, LOC, EVENT", "PER, LOC, NORP"
    ]  # fmt: skip
    at.checkbox(key="wiz_strategy_tasks_fully_labelled").check().run()
    preview = _preview(at)
    assert list(preview["become O"]) == ["PER, ORG, EVENT, NORP", "ORG, EVENT", "-"]
    at.checkbox(key="wiz_strategy_tasks_fully_labelled").uncheck()
    _click(at, "wiz_next_strategy")
    at.text_input(key="wiz_name").set_value("stream-ewc")
    at.number_input(key="wiz_train_lr").set_value(3e-3)
    _click(at, "wiz_next_hyperparameters")
    shown = parse_config(yaml.safe_load(at.code[0].value))
    assert shown.to_dict() == CONTINUAL.to_dict()
    _click(at, "wiz_launch")
    (submitted,) = fake_jobs.submitted
    assert submitted.to_dict() == CONTINUAL.to_dict()
    assert fake_jobs.submit_kwargs == [{}]


def test_automatic_split_preview(fake_jobs):
    at = _to_continual(open_page("pages/train.py"))
    at.number_input(key="wiz_strategy_tasks_first_types").set_value(3)
    at.number_input(key="wiz_strategy_tasks_types_per_task").set_value(2).run()
    preview = _preview(at)
    assert list(preview["learns"]) == ["EVENT, LOC, NORP", "ORG, PER"]
    _click(at, "wiz_next_strategy")
    _click(at, "wiz_next_hyperparameters")
    tasks = parse_config(yaml.safe_load(at.code[0].value)).strategy.tasks
    assert (tasks.first_types, tasks.types_per_task, tasks.order) == (3, 2, None)


def test_domain_incremental_stream(fake_jobs):
    at = _to_continual(open_page("pages/train.py"))
    at.radio(key="wiz_strategy_tasks_by").set_value("datasets").run()
    assert not at.exception, [e.value for e in at.exception]
    at.multiselect(key="wiz_strategy_tasks_datasets").set_value(
        ["builtin:science", "builtin:news"]
    ).run()
    preview = _preview(at)
    assert list(preview["labelled in its data"]) == ["builtin:science", "builtin:news"]
    _click(at, "wiz_next_strategy")
    _click(at, "wiz_next_hyperparameters")
    cfg = parse_config(yaml.safe_load(at.code[0].value))
    assert cfg.strategy.tasks.by == "datasets"
    assert cfg.strategy.tasks.datasets == ["builtin:science", "builtin:news"]


def test_strategy_race_submits_one_run_per_method_in_one_group(fake_jobs):
    at = _to_continual(open_page("pages/train.py"))
    at.multiselect(key="wiz_race_methods").set_value(["naive", "replay", "lwf"]).run()
    # the race's methods show their knobs too
    assert _keys(at, "wiz_strategy_memory_") and _keys(at, "wiz_strategy_lwf_")
    assert not _keys(at, "wiz_strategy_ewc_")
    _click(at, "wiz_next_strategy")
    at.text_input(key="wiz_name").set_value("demo")
    _click(at, "wiz_next_hyperparameters")
    assert any("Strategy race: 3 runs" in i.value for i in at.info)
    _click(at, "wiz_launch")
    assert [c.strategy.method for c in fake_jobs.submitted] == ["naive", "replay", "lwf"]
    assert [c.name for c in fake_jobs.submitted] == ["demo-naive", "demo-replay", "demo-lwf"]
    groups = {kw["group_name"] for kw in fake_jobs.submit_kwargs}
    (group,) = groups
    assert group.startswith("race-demo-")
    first = fake_jobs.submitted[0].to_dict()
    for cfg in fake_jobs.submitted[1:]:
        other = cfg.to_dict()
        assert other["strategy"]["tasks"] == first["strategy"]["tasks"]
        assert other["train"] == first["train"] and other["data"] == first["data"]
    assert at.query_params["group"] == group  # went to the Forgetting page for the group
