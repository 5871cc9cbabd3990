"""The Train wizard for continual runs: each method's own knobs, the task stream and its
preview, strategy races, and a method registered later drawn from its config class."""

from __future__ import annotations

import yaml

from engine.config import parse_config, registered_methods

from .conftest import click, open_page, widget_keys

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


def _preview(at):
    """The stream preview table (AppTest does not expose a plain dataframe's key)."""
    (table,) = [d.value for d in at.dataframe if "become O" in d.value.columns]
    return table


def _to_continual(at):
    at.radio(key="wiz_data_source").set_value("Built-in corpus")
    at.selectbox(key="wiz_builtin").set_value("news")
    click(at, "wiz_next_data")
    at.radio(key="wiz_backbone").set_value("tiny")
    click(at, "wiz_next_backbone")
    at.selectbox(key="wiz_strategy_kind").set_value("continual").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_continual_shows_only_the_methods_knobs_and_previews_the_stream(fake_jobs):
    at = _to_continual(open_page("views/train.py"))
    # every registered method is offered, shown by its name in words (the value stays)
    assert list(registered_methods("continual")) == [
        "naive", "replay", "ewc", "lwf", "mapping", "joint", "pseudo_label", "pseudo_lwf"
    ]  # fmt: skip
    assert at.radio(key="wiz_strategy_method").options == [
        "naive: fine-tune on each task in turn", "replay a memory", "EWC: elastic weights",
        "LwF: distil the previous model", "mapping alignment", "joint training (upper bound)",
        "pseudo-labels from the previous model", "pseudo-labels + LwF",
    ]  # fmt: skip
    assert not widget_keys(at, "wiz_strategy_ewc_") | widget_keys(at, "wiz_strategy_memory_")
    at.radio(key="wiz_strategy_method").set_value("ewc").run()
    assert widget_keys(at, "wiz_strategy_ewc_") == {
        "wiz_strategy_ewc_lambda", "wiz_strategy_ewc_gamma", "wiz_strategy_ewc_fisher_batches"
    }  # fmt: skip
    for other in ("lwf_", "mapping_", "memory_"):
        assert not widget_keys(at, f"wiz_strategy_{other}")
    at.radio(key="wiz_strategy_method").set_value("replay").run()
    assert widget_keys(at, "wiz_strategy_memory_") == {
        "wiz_strategy_memory_size", "wiz_strategy_memory_selection"
    }  # fmt: skip
    assert not widget_keys(at, "wiz_strategy_ewc_")
    at.radio(key="wiz_strategy_method").set_value("ewc").run()
    at.number_input(key="wiz_strategy_ewc_lambda").set_value(500.0)
    at.text_input(key="wiz_strategy_tasks_order").set_value("LOC | PER, NORP | ORG, EVENT")
    at.number_input(key="wiz_strategy_tasks_max_train_sentences").set_value(100).run()
    assert not at.exception, [e.value for e in at.exception]
    # an explicit order hides the automatic split's settings
    assert "wiz_strategy_tasks_first_types" not in widget_keys(at, "wiz_strategy_tasks_")
    preview = _preview(at)
    assert list(preview["learns"]) == ["LOC", "PER, NORP", "ORG, EVENT"]
    assert list(preview["become O"]) == [
        "PER, ORG, EVENT, NORP", "ORG, LOC, EVENT", "PER, LOC, NORP"
    ]  # fmt: skip
    at.checkbox(key="wiz_strategy_tasks_fully_labelled").check().run()
    preview = _preview(at)
    assert list(preview["become O"]) == ["PER, ORG, EVENT, NORP", "ORG, EVENT", "-"]
    at.checkbox(key="wiz_strategy_tasks_fully_labelled").uncheck()
    click(at, "wiz_next_strategy")
    at.text_input(key="wiz_name").set_value("stream-ewc")
    at.number_input(key="wiz_train_lr").set_value(3e-3)
    click(at, "wiz_next_hyperparameters")
    shown = parse_config(yaml.safe_load(at.code[0].value))
    assert shown.to_dict() == CONTINUAL.to_dict()
    click(at, "wiz_launch")
    (submitted,) = fake_jobs.submitted
    assert submitted.to_dict() == CONTINUAL.to_dict()
    assert fake_jobs.submit_kwargs == [{}]


def test_automatic_split_preview(fake_jobs):
    at = _to_continual(open_page("views/train.py"))
    at.number_input(key="wiz_strategy_tasks_first_types").set_value(3)
    at.number_input(key="wiz_strategy_tasks_types_per_task").set_value(2).run()
    preview = _preview(at)
    assert list(preview["learns"]) == ["EVENT, LOC, NORP", "ORG, PER"]
    click(at, "wiz_next_strategy")
    click(at, "wiz_next_hyperparameters")
    tasks = parse_config(yaml.safe_load(at.code[0].value)).strategy.tasks
    assert (tasks.first_types, tasks.types_per_task, tasks.order) == (3, 2, None)


def test_domain_incremental_stream(fake_jobs):
    at = _to_continual(open_page("views/train.py"))
    at.radio(key="wiz_strategy_tasks_by").set_value("datasets").run()
    assert not at.exception, [e.value for e in at.exception]
    at.multiselect(key="wiz_strategy_tasks_datasets").set_value(
        ["builtin:science", "builtin:news"]
    ).run()
    preview = _preview(at)
    assert list(preview["labelled in its data"]) == ["builtin:science", "builtin:news"]
    click(at, "wiz_next_strategy")
    click(at, "wiz_next_hyperparameters")
    cfg = parse_config(yaml.safe_load(at.code[0].value))
    assert cfg.strategy.tasks.by == "datasets"
    assert cfg.strategy.tasks.datasets == ["builtin:science", "builtin:news"]


def test_strategy_race_submits_one_run_per_method_in_one_group(fake_jobs):
    at = _to_continual(open_page("views/train.py"))
    at.multiselect(key="wiz_race_methods").set_value(["naive", "replay", "lwf"]).run()
    # the race's methods show their knobs too
    assert widget_keys(at, "wiz_strategy_memory_") and widget_keys(at, "wiz_strategy_lwf_")
    assert not widget_keys(at, "wiz_strategy_ewc_")
    click(at, "wiz_next_strategy")
    at.text_input(key="wiz_name").set_value("demo")
    click(at, "wiz_next_hyperparameters")
    assert any("Strategy race: 3 runs" in i.value for i in at.info)
    click(at, "wiz_launch")
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


# ---- methods from their config classes: a method registered later shows its fields ----------


def test_a_method_registered_later_shows_its_own_field(fake_jobs):
    from engine.config import register_method
    from engine.strategies.methods import unregister_method
    from tests.engine import dummy_method

    register_method("continual", dummy_method.DummyConfig, "tests.engine.dummy_method:plugins")
    try:
        at = _to_continual(open_page("views/train.py"))
        assert "dummy" in at.radio(key="wiz_strategy_method").options  # no text yet: its name
        assert "wiz_strategy_dummy_strength" not in widget_keys(at, "wiz_strategy_")
        at.radio(key="wiz_strategy_method").set_value("dummy").run()
        strength = at.number_input(key="wiz_strategy_dummy_strength")
        assert (strength.label, strength.value) == ("Dummy strength", 0.5)
        assert strength.help == "How much nothing"
        assert not widget_keys(at, "wiz_strategy_ewc_") | widget_keys(at, "wiz_strategy_memory_")
        strength.set_value(2.0).run()
        click(at, "wiz_next_strategy")
        click(at, "wiz_next_hyperparameters")
        cfg = parse_config(yaml.safe_load(at.code[0].value))
        assert isinstance(cfg.strategy.params, dummy_method.DummyConfig)
        assert cfg.strategy.params.strength == 2.0
    finally:
        unregister_method("continual", "dummy")


def test_switching_methods_keeps_each_methods_settings(fake_jobs):
    at = _to_continual(open_page("views/train.py"))
    at.radio(key="wiz_strategy_method").set_value("ewc").run()
    at.number_input(key="wiz_strategy_ewc_lambda").set_value(123.0).run()
    at.radio(key="wiz_strategy_method").set_value("pseudo_lwf").run()
    assert widget_keys(at, "wiz_strategy_pseudo_lwf_") == {
        "wiz_strategy_pseudo_lwf_threshold", "wiz_strategy_pseudo_lwf_threshold_rule",
        "wiz_strategy_pseudo_lwf_temperature", "wiz_strategy_pseudo_lwf_weight",
    }  # fmt: skip
    rule = at.get("selectbox") + at.get("radio")
    (rule,) = [w for w in rule if w.key == "wiz_strategy_pseudo_lwf_threshold_rule"]
    assert (rule.label, rule.value) == ("Threshold rule", "class_median")
    assert rule.options == [
        "each label's own: its median confidence (RDP)", "one threshold for every label",
    ]  # fmt: skip
    at.radio(key="wiz_strategy_method").set_value("ewc").run()
    assert at.number_input(key="wiz_strategy_ewc_lambda").value == 123.0
    assert at.session_state["wiz"]["strategy"]["params"]["lam"] == 123.0


def test_a_race_gives_each_method_its_own_settings(fake_jobs):
    at = _to_continual(open_page("views/train.py"))
    at.multiselect(key="wiz_race_methods").set_value(["replay", "mapping", "pseudo_label"]).run()
    # replay's and mapping's memory size is one widget, as it was one field before
    at.number_input(key="wiz_strategy_memory_size").set_value(33).run()
    at.number_input(key="wiz_strategy_pseudo_label_threshold").set_value(0.75).run()
    click(at, "wiz_next_strategy")
    click(at, "wiz_next_hyperparameters")
    click(at, "wiz_launch")
    params = {c.strategy.method: c.strategy.params for c in fake_jobs.submitted}
    assert params["replay"].memory_size == 33 and params["mapping"].memory_size == 33
    assert params["pseudo_label"].threshold == 0.75
