"""Methods as one config class plus one registration: the parser finds a method registered
later, configs never import torch, and configs in the flat shape of before method configs
(YAML files, runs stored in a database, bundles) keep loading with errors that name the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.config import ConfigError, ContinualStrategy, MetaStrategy, load_config, parse_config
from engine.strategies.continual.methods import EwcConfig, MappingAlignConfig, ReplayConfig
from engine.strategies.meta.methods import FinetuneBaselineConfig, MamlConfig
from engine.strategies.methods import register_method, unregister_method
from tests.fresh_imports import packages_loaded_by

REPO = Path(__file__).resolve().parents[2]
# Configs as the code before method configs stored them (RunConfig.to_dict() of that code)
FLAT = json.loads((REPO / "tests" / "fixtures" / "configs" / "flat_v1.json").read_text())


@pytest.fixture
def dummy():
    from tests.engine import dummy_method

    register_method("continual", dummy_method.DummyConfig, "tests.engine.dummy_method:plugins")
    yield dummy_method
    unregister_method("continual", "dummy")


def test_a_method_registered_later_is_found_by_the_parser_and_the_loop(dummy, tmp_path):
    path = tmp_path / "dummy.yaml"
    path.write_text("strategy:\n  kind: continual\n  method: dummy\n  params: {strength: 2}\n")
    cfg = load_config(path)
    assert isinstance(cfg.strategy.params, dummy.DummyConfig)
    assert cfg.strategy.params.strength == 2.0
    assert parse_config(cfg.to_dict()) == cfg
    from engine.strategies.continual.loop import make_plugins

    (plugin,) = make_plugins(cfg.strategy, seed=0)
    assert isinstance(plugin, dummy.DummyPlugin) and plugin.strength == 2.0
    bad = {"kind": "continual", "method": "dummy", "params": {"strength": -1}}
    with pytest.raises(ConfigError, match=r"strategy\.params\.strength"):
        parse_config({"strategy": bad})


def test_unknown_methods_list_the_registered_ones():
    with pytest.raises(ConfigError, match="strategy.method: Input should be 'naive', 'replay'"):
        parse_config({"strategy": {"kind": "continual", "method": "dummy"}})
    with pytest.raises(ConfigError, match="'structshot'"):
        parse_config({"strategy": {"kind": "meta", "method": "protonet2"}})


def test_importing_every_config_imports_no_torch():
    code = (
        "import engine.config, engine.strategies.methods\n"
        "import engine.strategies.continual.methods, engine.strategies.meta.methods\n"
        "from engine.config import parse_config\n"
        "parse_config({'strategy': {'kind': 'meta', 'method': 'structshot'}})\n"
        "parse_config({'strategy': {'kind': 'continual', 'method': 'pseudo_lwf'}})"
    )
    assert packages_loaded_by(code, ("torch", "transformers")) == []


def test_the_new_shape_dumps_one_section_per_method_and_round_trips():
    cfg = parse_config({"strategy": {"kind": "continual", "method": "ewc", "params": {"lam": 5}}})
    strategy = cfg.to_dict()["strategy"]
    assert strategy["params"] == {"lam": 5.0, "gamma": 1.0, "fisher_batches": 50}
    assert not {"ewc_lambda", "memory_size", "lwf_weight"} & strategy.keys()
    assert parse_config(cfg.to_dict()) == cfg
    with pytest.raises(ValueError, match="params belong to method 'ewc', not 'lwf'"):
        cfg.strategy.method = "lwf"  # a new method needs its own params


# ---- the flat shape of before method configs ------------------------------------------------


@pytest.mark.parametrize("name", sorted(FLAT))
def test_every_stored_flat_config_loads_and_keeps_its_settings(name):
    raw = FLAT[name]
    cfg = parse_config(raw)
    assert cfg.strategy.method == raw["strategy"]["method"]
    again = parse_config(cfg.to_dict())
    assert again == cfg and "params" in cfg.to_dict()["strategy"]


def test_flat_keys_land_in_their_methods_settings():
    params = {n: parse_config(FLAT[n]).strategy.params for n in FLAT}
    assert params["continual-ewc"] == EwcConfig(lam=500.0, gamma=0.9, fisher_batches=7)
    assert params["continual-replay"] == ReplayConfig(memory_size=30, selection="type_balanced")
    assert params["continual-mapping"] == MappingAlignConfig(
        distance="cosine", weight=2.0, replay=False, memory_size=40
    )
    assert params["meta-maml"] == MamlConfig(inner_steps=3, inner_lr=0.05, head_init="zeros")
    assert params["meta-finetune-baseline"] == FinetuneBaselineConfig(steps=9, lr=0.002)
    # the old constructors' keywords too (tests and scripts build sections this way)
    assert ContinualStrategy(method="mapping", mapping_replay=False).params.replay is False
    assert MetaStrategy(method="reptile", inner_steps=2).params.inner_steps == 2
    given = ContinualStrategy(method="ewc", params=EwcConfig(gamma=0.5), ewc_lambda=7)
    assert (given.params.lam, given.params.gamma) == (7.0, 0.5)


def test_flat_key_errors_name_the_key_as_written():
    cases = {
        ("continual", "ewc", "ewc_lambda", -1): "strategy.ewc_lambda: Input should be greater",
        ("continual", "mapping", "mapping_distance", "l1"): "strategy.mapping_distance: Input",
        ("meta", "maml", "inner_steps", 0): "strategy.inner_steps: Input should be greater",
        ("meta", "finetune-baseline", "finetune_lr", 5): "strategy.finetune_lr: Input should be",
    }
    for (kind, method, key, value), message in cases.items():
        with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
            load_config(None, [f"strategy.kind={kind}", f"strategy.method={method}",
                               f"strategy.{key}={value}"])  # fmt: skip
    with pytest.raises(ConfigError, match=r"strategy\.ewc_lamda: unknown key"):
        parse_config({"strategy": {"kind": "continual", "method": "ewc", "ewc_lamda": 1}})


def test_from_run_and_bundles_of_runs_stored_in_the_flat_shape(lab, tmp_path, monkeypatch):
    from engine.runs.bundle import export_bundle
    from engine.runs.bundle_import import import_bundle
    from engine.runs.summary import stored_config
    from storage import queries, runs
    from storage.db import dispose_engines, read_session, write_session
    from storage.models import RunStatus

    with write_session() as s:  # a run recorded by the code before method configs
        run_id = runs.create_run(s, name="old-ewc", kind="continual", method="ewc",
                                 config=FLAT["continual-ewc"])  # fmt: skip
        runs.transition(s, run_id, RunStatus.RUNNING)
        runs.transition(s, run_id, RunStatus.SUCCEEDED)
    cfg = load_config(None, ["train.epochs=2"], base=stored_config(run_id))  # --from-run
    assert cfg.strategy.params == EwcConfig(lam=500.0, gamma=0.9, fisher_batches=7)
    assert cfg.train.epochs == 2
    bundle = tmp_path / "old.zip"  # its config.yaml is the stored, flat config
    export_bundle([run_id], bundle, checkpoints=False)
    monkeypatch.setenv("LAB_HOME", str(tmp_path / "other"))
    monkeypatch.setenv("LAB_DB_URL", f"sqlite:///{tmp_path / 'other' / 'lab.db'}")
    dispose_engines()
    (new_id,) = import_bundle(bundle)
    with read_session() as s:
        imported = queries.get_run(s, new_id)
    assert parse_config(imported.config).strategy.params.lam == 500.0


@pytest.mark.slow
def test_a_flat_stored_run_runs_again_with_from_run(lab, capsys):
    from engine.cli import main
    from storage import queries, runs
    from storage.db import read_session, write_session

    with write_session() as s:
        old = runs.create_run(s, name="old-ewc", kind="continual", method="ewc",
                              config=FLAT["continual-ewc"])  # fmt: skip
    assert main(["run", "--from-run", str(old), "--quiet", "--set", "mapping.enabled=false"]) == 0
    run_id = int(capsys.readouterr().out.strip().splitlines()[-1].split("=")[1])
    with read_session() as s:
        detail = queries.get_run(s, run_id)
    assert (detail.method, str(detail.status)) == ("ewc", "SUCCEEDED")
    assert detail.config["strategy"]["params"]["lam"] == 500.0
