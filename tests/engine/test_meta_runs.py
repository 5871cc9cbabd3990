"""Whole meta runs on the tiny backbone: one through the CLI (records, show --json, the episode
file), every method through the strategy, cross-domain data, config and cancellation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from engine.config import ConfigError, DataConfig, MetaStrategy, load_config, parse_config
from engine.data.fewnerd import read_episodes
from engine.strategies.meta.data import load_meta_data
from engine.strategies.registry import get_strategy
from engine.tracking.tracker import MemoryTracker
from tests.engine.tiny import run_through_cli, tiny_config
from tests.engine.tiny_training import cpu_context

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def one_thread():
    """Episodes are a handful of sentences: one thread is as fast, and far faster on a busy
    2-core machine where two threads wait on each other."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def meta_config(method: str = "protonet", **strategy) -> dict:
    section = {"kind": "meta", "method": method, "episodes": {"train": 4, "test": 3},
               "inner_steps": 2, "finetune_steps": 2, "examples": 2} | strategy  # fmt: skip
    train = {"lr": 3e-3, "save_checkpoint": False, "log_every": 2}
    mixed = {"train": "builtin:mixed"}
    return tiny_config(f"meta-{method}", data=mixed, strategy=section, train=train)


def run_in_memory(raw: dict, tmp_path: Path, tracker: MemoryTracker | None = None):
    ctx = cpu_context(raw, tmp_path, tracker)
    return get_strategy("meta")(ctx), ctx.tracker


def test_a_meta_run_records_episodes_map_and_show_json(lab, capsys, tmp_path):
    from engine.cli import main
    from storage import continual as store
    from storage import queries
    from storage.db import read_session

    run_id = run_through_cli(meta_config(), tmp_path, capsys)
    assert main(["show", str(run_id), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    meta = shown["meta"]
    assert list(meta)[:5] == ["f1_mean", "f1_ci95", "episodes", "n_way", "k_shot"]
    assert (meta["episodes"], meta["n_way"], meta["k_shot"]) == (3, 5, 1)
    assert (shown["kind"], shown["method"], shown["status"]) == ("meta", "protonet", "SUCCEEDED")
    with read_session() as s:
        episodes = store.records(s, run_id, "meta_episode")
        samples = {r.stage: r.payload for r in store.records(s, run_id, "episodes_sample")}
        (pmap,) = store.records(s, run_id, "prototype_map")
        loss = queries.metric_series(s, run_id, "meta_train_loss")
        artifacts = queries.artifacts(s, run_id, "episodes")
    f1s = [r.payload["f1"] for r in episodes]
    assert meta["f1_mean"] == pytest.approx(sum(f1s) / 3)
    assert [step for step, _, _ in loss] == [2, 4]
    assert set(samples) == {"train", "test"} and len(samples["test"]["episodes"]) == 2
    query = samples["test"]["episodes"][0]["query"]
    assert len(query["predicted"]) == len(query["tags"]) == len(query["word"])
    assert pmap.payload["types"][0] == "O" and len(pmap.payload["prototypes"]["x"]) >= 2
    written = read_episodes(artifacts[0].path)
    assert [list(e.types) for e in written] == [r.payload["types"] for r in episodes]
    train_types = set(meta["train_types"])
    for e in samples["train"]["episodes"]:  # meta-training never shows a held-out type
        assert set(e["types"]) <= train_types
    assert not train_types & set(meta["test_types"])


@pytest.mark.parametrize("method", ["nnshot", "structshot", "maml", "reptile", "finetune-baseline"])
def test_every_method_runs_and_gradient_methods_record_an_adaptation_curve(method, tmp_path):
    summary, tracker = run_in_memory(meta_config(method), tmp_path)
    kinds = [kind for kind, _, _ in tracker.records]
    assert kinds.count("meta_episode") == 3
    curves = [p for kind, _, p in tracker.records if kind == "adaptation"]
    if method in ("nnshot", "structshot"):
        assert not curves
    else:
        assert curves[0]["steps"] == [0, 1, 2] and len(curves[0]["f1_mean"]) == 3
    trained = [m for m in tracker.metrics if m[1] == "meta_train_loss"]
    assert len(trained) == (0 if method == "finetune-baseline" else 2)
    assert summary["meta"]["train_episodes"] == (0 if method == "finetune-baseline" else 4)
    assert 0.0 <= summary["test_f1"] <= 1.0


def test_cross_domain_meta_tests_only_on_types_the_training_data_lacks():
    data = load_meta_data(
        DataConfig(train="builtin:news", test="builtin:science"),
        MetaStrategy(n_way=3, episodes={"train": 2, "test": 4}),
        seed=1,
    )
    assert data.cross_domain
    assert data.pools.test_types == ("CHEM", "DISEASE", "GENE")
    assert data.pools.train_types == ("EVENT", "LOC", "NORP", "ORG", "PER")
    assert all(set(e.types) == {"CHEM", "DISEASE", "GENE"} for e in data.test_episodes)
    assert data.notes[0].startswith("cross-domain")


def test_bad_meta_settings_are_named():
    with pytest.raises(ConfigError, match="strategy.method"):
        parse_config({"strategy": {"kind": "meta", "method": "maml2"}})
    with pytest.raises(ConfigError, match="strategy.episodes.test"):
        parse_config({"strategy": {"kind": "meta", "episodes": {"test": 0}}})
    with pytest.raises(ConfigError, match="listed twice"):
        parse_config({"strategy": {"kind": "meta", "test_types": ["PER", "PER"]}})
    from engine.data.types import DataError

    with pytest.raises(DataError, match="not in the data"):
        load_meta_data(DataConfig(train="builtin:news"), MetaStrategy(test_types=["GENE"]), 1)


def test_the_example_config_is_a_meta_run():
    cfg = load_config(REPO / "examples" / "meta_protonet.yaml")
    assert isinstance(cfg.strategy, MetaStrategy) and cfg.strategy.method == "protonet"


def test_a_stop_request_cancels_meta_training(tmp_path):
    tracker = MemoryTracker()
    tracker.stop_requested = True
    summary, _ = run_in_memory(meta_config("protonet"), tmp_path, tracker)
    assert summary["cancelled"] and summary["steps"] == 0
