"""Embedding mappings: probe selection, layer choice, and the stages of real (tiny) runs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.config import ConfigError, MappingConfig
from engine.data.types import Sentence
from engine.models.backbones import load_token_classifier, load_tokenizer, resolve_backbone
from engine.probe.capture import ProbeSet, extract, select_words, start_mapping
from engine.strategies.base import RunContext
from engine.strategies.continual.run import run_continual
from engine.strategies.finetune.run import run_finetune
from engine.tracking.tracker import MemoryTracker
from tests.engine.tiny import per_then_loc, tiny_config
from tests.engine.tiny_training import cpu_context

CPU = torch.device("cpu")


def context(raw: dict, tmp_path) -> tuple[RunContext, MemoryTracker]:
    ctx = cpu_context(raw, tmp_path)
    return ctx, ctx.tracker


def sentence(text: str, tags: str) -> Sentence:
    return Sentence(tuple(text.split()), tuple(tags.split()))


SENTENCES = [
    sentence("Alice met Bob today", "B-PER O B-PER O"),
    sentence("rain in New York", "O O B-LOC I-LOC"),
]


def test_probe_keeps_entity_words_first_then_o_words_in_text_order():
    assert select_words(SENTENCES, 3) == [(0, 0), (0, 2), (1, 2)]
    assert select_words(SENTENCES, 5) == [(0, 0), (0, 1), (0, 2), (1, 2), (1, 3)]
    assert len(select_words(SENTENCES, 100)) == 8


@pytest.fixture(scope="module")
def tiny_tagger():
    backbone = resolve_backbone("tiny")
    tokenizer = load_tokenizer(backbone)
    torch.manual_seed(0)
    model = load_token_classifier(
        backbone, ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"], len(tokenizer)
    )
    return tokenizer, model


def test_extract_reads_the_chosen_layer_and_the_predicted_types(tiny_tagger):
    tokenizer, model = tiny_tagger
    probe = ProbeSet.build(SENTENCES, tokenizer, MappingConfig(), max_length=32)
    last, preds = extract(model, probe, -1, CPU, torch.float32, 0)
    first, _ = extract(model, probe, 0, CPU, torch.float32, 0)
    assert last.shape == first.shape == (8, 128)
    assert not np.allclose(last, first)
    assert preds is not None and set(preds) <= {"O", "PER", "LOC"} and len(preds) == 8
    assert probe.gold == ["PER", "O", "PER", "O", "O", "O", "LOC", "LOC"]
    with torch.no_grad():  # layer 0 is the embedding layer's output (after LayerNorm)
        ids = tokenizer(["Alice"], is_split_into_words=True, return_tensors="pt")["input_ids"]
        model.eval()
        expected = model.bert.embeddings(input_ids=ids)[0, 1].numpy()
    np.testing.assert_allclose(first[0], expected, atol=1e-5)
    with pytest.raises(ConfigError, match="mapping.layer: 5 but the model has 2 layers"):
        extract(model, probe, 5, CPU, torch.float32, 0)


def test_mapping_can_be_switched_off(tmp_path):
    ctx, _ = context({"backbone": "tiny", "mapping": {"enabled": False}}, tmp_path)
    capture = start_mapping(ctx, SENTENCES, None)
    capture.capture(None, "initial")
    assert capture.finish() is None


def test_silhouette_rises_after_fine_tuning_tiny(tmp_path):
    raw = tiny_config(
        "tiny-news",
        data={"train": "builtin:news", "max_train_sentences": 300},
        train={"epochs": 3, "batch_size": 32, "lr": 3e-3, "max_length": 48,
               "save_checkpoint": False},
        mapping={"probe_sentences": 80},
    )  # fmt: skip
    ctx, tracker = context(raw, tmp_path)
    summary = run_finetune(ctx)
    mapping = summary["mapping"]
    assert mapping == tracker.summary["mapping"]
    assert mapping["stages"] == ["initial", "final"]
    before, after = mapping["silhouette"]["initial"], mapping["silhouette"]["final"]
    assert before < 0.1 and after > before + 0.3, (before, after)
    assert mapping["cka"][0][0] == 1.0 and 0.0 < mapping["cka"][0][1] < 1.0
    assert set(mapping["centroid_shift"]["final"]) == {"EVENT", "LOC", "NORP", "ORG", "PER", "O"}
    records = {(kind, stage): payload for kind, stage, payload in tracker.records}
    probe = records[("embedding_probe", None)]
    final = records[("embedding_points", "final")]
    n = len(probe["gold"])
    assert n == mapping["tokens"] <= 1500
    assert len(final["x"]) == len(final["y"]) == len(final["pred"]) == n
    assert max(abs(v) for v in final["x"] + final["y"]) <= 100.0
    stats = records[("mapping_stats", None)]
    initial_acc, final_acc = stats["type_accuracy"]["initial"], stats["type_accuracy"]["final"]
    assert final_acc > initial_acc and final_acc > 0.7


def test_a_continual_run_captures_a_stage_after_every_task(tmp_path):
    raw = tiny_config(
        strategy=per_then_loc("naive", 32, dev_per_task=False, forgotten_examples=0),
        train={"epochs": 1, "batch_size": 16, "save_checkpoint": False},
        mapping={"probe_sentences": 30},
    )
    ctx, tracker = context(raw, tmp_path)
    mapping = run_continual(ctx)["mapping"]
    assert mapping["stages"] == ["initial", "after-task-0", "after-task-1"]
    assert len(mapping["cka"]) == 3
    stages = [stage for kind, stage, _ in tracker.records if kind == "embedding_points"]
    assert stages == mapping["stages"]
    gold = next(p for kind, _, p in tracker.records if kind == "embedding_probe")["gold"]
    assert {"PER", "LOC", "ORG"} <= set(gold)  # the probe keeps every type labelled
