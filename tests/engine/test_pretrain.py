"""Masked-LM pretraining learns, and a finished run's checkpoint is the next run's backbone."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from engine.config import parse_config
from engine.jobs.runner import create_run_record, execute_run
from engine.models.backbones import (
    BackboneError,
    load_token_classifier,
    load_tokenizer,
    resolve_backbone,
)
from engine.strategies.pretrain.run import run_pretrain
from engine.tracking.tracker import MemoryTracker
from storage import runs as run_store
from storage.db import write_session
from storage.models import RunStatus
from tests.engine.tiny import tiny_config
from tests.engine.tiny_training import cpu_context

# A masked-LM run from scratch on a vocabulary built from 500 news documents (10% held out).
MLM = {"kind": "pretrain", "mode": "from_scratch", "vocab": "corpus", "vocab_size": 1000,
       "max_documents": 500, "held_out": 0.1}  # fmt: skip
PRETRAIN = tiny_config(
    "mlm-news",
    strategy=MLM,
    train={"epochs": 2, "batch_size": 32, "lr": 5e-3, "max_length": 32},
    mapping={"probe_sentences": 40},
)


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory) -> tuple[dict, MemoryTracker]:
    ctx = cpu_context(PRETRAIN, tmp_path_factory.mktemp("pretrain"))
    return run_pretrain(ctx), ctx.tracker


def test_mlm_loss_falls_on_a_builtin_corpus(pretrained):
    summary, tracker = pretrained
    heldout = tracker.series("heldout_perplexity")
    assert len(heldout) == 3  # before training and after each of 2 epochs
    assert heldout[0] > 500  # ~ the vocabulary size: random guessing over ~1,000 entries
    assert heldout[0] > heldout[1] > heldout[2]
    assert heldout[-1] < 0.4 * heldout[0]
    assert summary["heldout_perplexity"] == pytest.approx(heldout[-1], rel=1e-3)
    loss = tracker.series("train_loss")  # steps 1, 10, 20, 30
    assert loss[-1] < loss[0] - 0.8  # nats per masked token
    assert summary["vocab_size"] <= 1000 and summary["corpus_documents"] == 500
    assert summary["steps"] == 2 * 15  # 450 train documents / 32 per batch


def test_a_pretrain_run_records_its_mapping_and_checkpoint(pretrained):
    summary, tracker = pretrained
    assert summary["mapping"]["stages"] == ["initial", "final"]
    kinds = [(kind, stage) for kind, stage, _ in tracker.records]
    assert kinds == [
        ("embedding_probe", None),
        ("embedding_points", "initial"),
        ("embedding_points", "final"),
        ("mapping_stats", None),
    ]
    points = tracker.records[1][2]
    assert points["pred"] is None  # a masked-LM model predicts no entity types
    checkpoint = Path(summary["checkpoint"])
    assert (checkpoint / "config.json").is_file() and (checkpoint / "tokenizer.json").is_file()


def _finished_pretrain_run() -> int:
    raw = dict(PRETRAIN, train=dict(PRETRAIN["train"], epochs=1, max_steps=3))
    raw["mapping"] = {"enabled": False}
    run_id = create_run_record(parse_config(raw))
    execute_run(run_id, progress=False)
    return run_id


def test_backbone_run_id_loads_the_earlier_checkpoint(lab):
    run_id = _finished_pretrain_run()
    backbone = resolve_backbone(f"run:{run_id}")
    assert Path(backbone.source) == lab / "runs" / str(run_id) / "checkpoint"
    tokenizer = load_tokenizer(backbone)
    assert len(tokenizer) <= 1000  # the corpus vocabulary travelled with the checkpoint
    from transformers import AutoModelForMaskedLM

    mlm = AutoModelForMaskedLM.from_pretrained(backbone.source)
    tagger = load_token_classifier(backbone, ["O", "B-PER", "I-PER"], len(tokenizer))
    encoder = mlm.bert.state_dict()
    loaded = tagger.bert.state_dict()
    assert encoder.keys() == loaded.keys()
    for name, tensor in encoder.items():
        assert torch.equal(tensor, loaded[name]), name
    assert tagger.classifier.out_features == 3


def test_backbone_run_id_errors_name_the_reason(lab):
    with pytest.raises(BackboneError, match="no run 99"):
        resolve_backbone("run:99")
    with pytest.raises(BackboneError, match="expected run:ID"):
        resolve_backbone("run:last")
    cfg = parse_config({"backbone": "tiny"})
    pending = create_run_record(cfg)
    with pytest.raises(BackboneError, match="PENDING, not finished"):
        resolve_backbone(f"run:{pending}")
    with write_session() as s:
        run_store.transition(s, pending, RunStatus.RUNNING)
        run_store.transition(s, pending, RunStatus.SUCCEEDED)
    with pytest.raises(BackboneError, match="kept no checkpoint"):
        resolve_backbone(f"run:{pending}")
