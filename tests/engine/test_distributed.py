"""Data parallel training (`train.devices`): 2 gloo processes on the CPU against one process.

The known answer: DDP with the loss weighted by each rank's share of labelled tokens computes the
one-process gradient of the same global batch, so without dropout the loss curves and dev scores
of 1 and 2 processes agree to float rounding. Through the runner, rank 0 alone writes: one metric
row per (key, step), one checkpoint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from engine.config import ConfigError, parse_config
from engine.strategies.base import RunContext
from engine.tracking.tracker import MemoryTracker
from engine.training import distributed
from engine.training.distributed import FitParallel, run_strategy
from tests.engine.tiny_training import StopAfter, cpu_context, encoded_data

SMALL = {
    "backbone": "tiny",
    "data": {"train": "builtin:news", "max_train_sentences": 96},
    "train": {
        "epochs": 2,
        "batch_size": 8,
        "lr": 3e-3,
        "device": "cpu",
        "precision": "fp32",
        "log_every": 1,
    },
}


def small_config(devices: int, **train: Any):
    raw = {**SMALL, "train": {**SMALL["train"], "devices": devices, **train}}
    return parse_config(raw)


def fit_without_dropout(ctx: RunContext) -> dict[str, Any]:
    """A fine-tuning run with dropout off: the only randomness left is the (seeded) data order.
    Module level so the spawned rank can unpickle it."""
    from transformers import AutoModelForTokenClassification, BertConfig

    from engine.models.backbones import TINY_CONFIG

    cfg = ctx.config
    torch.manual_seed(0)
    data = encoded_data(cfg, dev_sentences=64, max_length=cfg.train.max_length)
    config = BertConfig(
        vocab_size=len(data.tokenizer),
        num_labels=len(data.labels),
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
        **TINY_CONFIG,
    )
    model = AutoModelForTokenClassification.from_config(config)
    result = data.fit(model, cfg.train, ctx.tracker, ctx.device, ctx.dtype)
    weights = float(sum(p.detach().double().abs().sum() for p in model.parameters()))
    return {"steps": result.steps, "tokens": result.train_tokens, "weights": weights}


def context(cfg, tracker, tmp_path: Path) -> RunContext:
    return cpu_context(cfg, tmp_path, tracker)


@pytest.mark.slow
def test_two_gloo_processes_match_one_process_with_the_same_global_batch(tmp_path):
    one, two = MemoryTracker(), MemoryTracker()
    single = run_strategy(fit_without_dropout, context(small_config(1), one, tmp_path))
    parallel = run_strategy(fit_without_dropout, context(small_config(2), two, tmp_path))

    assert parallel["data_parallel"] == {"processes": 2, "backend": "gloo"}
    assert "data_parallel" not in single
    # 96 sentences / batch 8 x 2 epochs; tokens are counted over the whole global batch
    assert single["steps"] == parallel["steps"] == 24
    assert single["tokens"] == parallel["tokens"]
    loss_1, loss_2 = one.series("train_loss"), two.series("train_loss")
    assert len(loss_1) == len(loss_2) == 24
    assert loss_2[-1] < loss_2[0] - 0.5  # it learned
    # measured: at most 2e-7 apart (float rounding of the split sums)
    assert loss_2 == pytest.approx(loss_1, rel=1e-4, abs=1e-4)
    assert parallel["weights"] == pytest.approx(single["weights"], rel=1e-5)
    assert two.series("dev_f1") == pytest.approx(one.series("dev_f1"), abs=1e-6)
    assert len(two.series("dev_f1")) == 2  # rank 0's reports only


@pytest.mark.slow
def test_data_parallel_run_writes_each_metric_once_and_one_checkpoint(lab):
    from engine.jobs.runner import create_run_record, execute_run
    from storage import queries
    from storage.db import read_session

    cfg = small_config(2)
    run_id = create_run_record(cfg)
    summary = execute_run(run_id, progress=False)

    assert summary.data_parallel == {"processes": 2, "backend": "gloo"}
    assert summary.steps == 24
    with read_session() as s:
        detail = queries.get_run(s, run_id)
        points = queries.metric_points(s, run_id)
        evaluations = queries.evaluations(s, run_id)
        artifacts = queries.artifacts(s, run_id)
    assert str(detail.status) == "SUCCEEDED"
    keys = [(p.key, p.step, p.task) for p in points]
    assert len(keys) == len(set(keys))  # no rank wrote a duplicate row
    assert sum(1 for p in points if p.key == "train_loss") == 24
    assert sorted((e.split, e.stage) for e in evaluations) == [
        ("dev", "epoch-1"),
        ("dev", "epoch-2"),
        ("test", "final"),
    ]
    assert [a.kind for a in artifacts] == ["checkpoint"]
    assert (lab / "runs" / str(run_id) / "checkpoint" / "config.json").is_file()


def test_one_process_is_a_no_op():
    par = FitParallel(module="model", device=torch.device("cpu"))
    batch = {
        "attention_mask": torch.tensor([[1, 1, 1, 0]]),
        "labels": torch.tensor([[-100, 1, 0, -100]]),
    }
    ids = [3, 1, 2]
    assert par.shard(ids) is ids
    assert par.sync(batch, stop=False) is False and par.tokens == 3
    assert par.sync(batch, stop=True) is True
    loss = torch.tensor(2.5)
    assert par.weighted(loss) is loss and par.global_loss(2.5) == 2.5


def test_shards_split_the_global_batch_and_pad_a_short_one():
    rank1 = FitParallel(module=None, device=torch.device("cpu"), rank=1, world=2)
    assert rank1.shard([10, 11, 12, 13, 14]) == [11, 13]
    assert rank1.shard([10]) == [10]  # nothing left for rank 1: it reruns row 0 ...
    assert rank1._filler  # ... which counts for nothing (weight 0 after sync)


def test_devices_are_checked_before_anything_runs(monkeypatch):
    with pytest.raises(ConfigError, match="train.devices > 1 runs the finetune and continual"):
        parse_config({"strategy": {"kind": "meta"}, "train": {"devices": 2}})
    with pytest.raises(ConfigError, match="train.devices"):
        parse_config({"train": {"devices": 0}})
    assert distributed.backend_for(torch.device("cpu"), 2) == "gloo"
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(ValueError, match="train.devices=2 but only 1 CUDA GPU"):
        distributed.backend_for(torch.device("cuda"), 2)
    with pytest.raises(ValueError, match="not mps"):
        distributed.backend_for(torch.device("mps"), 2)


@pytest.mark.slow
def test_a_stop_on_rank_0_stops_every_rank_at_the_same_step(tmp_path):
    tracker = StopAfter(3)
    summary = run_strategy(fit_without_dropout, context(small_config(2), tracker, tmp_path))
    # rank 1 never asks to stop itself: without the agreement it would wait at step 4 forever
    assert summary["steps"] == 3
    assert summary["data_parallel"]["processes"] == 2


def fail_on_rank_1(ctx: RunContext) -> dict[str, Any]:
    import torch.distributed as dist

    flag = torch.zeros(1)
    dist.all_reduce(flag)
    if dist.get_rank() == 1:
        raise ValueError("rank 1 broke")
    dist.all_reduce(flag)  # rank 0 would wait here for ever without gloo noticing the peer left
    return {}


@pytest.mark.slow
def test_a_crashed_rank_fails_the_run_instead_of_hanging(tmp_path):
    with pytest.raises(RuntimeError, match=r"^data-parallel rank 1 exited with code 1"):
        run_strategy(fail_on_rank_1, context(small_config(2), MemoryTracker(), tmp_path))


@pytest.mark.slow
def test_continual_tasks_run_data_parallel(lab):
    from engine.jobs.runner import create_run_record, execute_run
    from storage import continual as continual_store
    from storage.db import read_session

    raw = {
        **SMALL,
        "strategy": {
            "kind": "continual",
            "method": "replay",
            "memory_size": 20,
            "tasks": {"order": [["PER"], ["LOC", "ORG"]], "max_train_sentences": 48},
        },
        "train": {**SMALL["train"], "epochs": 1, "devices": 2, "save_checkpoint": False},
    }
    run_id = create_run_record(parse_config(raw))
    summary = execute_run(run_id, progress=False)

    assert summary.data_parallel == {"processes": 2, "backend": "gloo"}
    with read_session() as s:
        cells = continual_store.matrix_cells(s, run_id)
    f1 = [(c.row, c.col) for c in cells if c.kind == "f1"]
    assert sorted(f1) == [(-1, 0), (-1, 1), (0, 0), (0, 1), (1, 0), (1, 1)]  # each cell once
    assert len(summary.continual.matrix) == 2


def test_the_local_backend_gives_a_multi_device_run_the_least_used_gpus(monkeypatch):
    from engine.jobs.backends import local

    monkeypatch.setattr(local, "visible_gpu_ids", lambda: ["0", "1", "2", "3"])
    assert local._pick_gpus(["0", "1,2", None], 2) == "3,0"  # 3 is free, then 0 (one job)
    assert local._pick_gpus([], 1) == "0"
    assert local._devices({"train": {"devices": 4}}) == 4
    assert local._devices({}) == 1
    monkeypatch.setattr(local, "visible_gpu_ids", lambda: [])
    assert local._pick_gpus(["0"], 2) is None  # CPU-only machine: no CUDA_VISIBLE_DEVICES
