"""Prediction and evaluation: windows in, one tag per gold word out, seqeval report."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any

import torch

from engine.data.alignment import IGNORE, Window, gather_word_predictions
from engine.data.batching import sorted_batches
from engine.data.types import Sentence
from engine.metrics.ner import NerReport, entity_report
from engine.training.tensors import collate


def autocast_for(device: torch.device, dtype: torch.dtype) -> Any:
    if dtype == torch.float32:
        return nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


@torch.inference_mode()
def predict_label_ids(
    model: Any,
    windows: Sequence[Window],
    device: torch.device,
    dtype: torch.dtype,
    pad_id: int,
    batch_size: int = 64,
) -> list[list[int]]:
    """Argmax label id at each labelled position of each window (window order kept)."""
    was_training = model.training
    model.eval()
    out: list[list[int]] = [[] for _ in windows]
    for batch in sorted_batches([w.length for w in windows], batch_size):
        tensors = collate([windows[i] for i in batch], pad_id)
        with autocast_for(device, dtype):
            logits = model(
                input_ids=tensors["input_ids"].to(device),
                attention_mask=tensors["attention_mask"].to(device),
            ).logits
        best = logits.argmax(-1).cpu()
        keep = tensors["labels"] != IGNORE
        for row, i in enumerate(batch):
            out[i] = best[row][keep[row]].tolist()
    model.train(was_training)
    return out


def predict_tags(
    model: Any,
    sentences: Sequence[Sentence],
    windows: Sequence[Window],
    id2label: dict[int, str],
    device: torch.device,
    dtype: torch.dtype,
    pad_id: int,
) -> list[list[str]]:
    ids = predict_label_ids(model, windows, device, dtype, pad_id)
    words = gather_word_predictions(windows, ids, [len(s.tokens) for s in sentences])
    return [[id2label[i] for i in sent] for sent in words]


def evaluate(
    model: Any,
    sentences: Sequence[Sentence],
    windows: Sequence[Window],
    id2label: dict[int, str],
    device: torch.device,
    dtype: torch.dtype,
    pad_id: int,
) -> NerReport:
    pred = predict_tags(model, sentences, windows, id2label, device, dtype, pad_id)
    return entity_report([list(s.tags) for s in sentences], pred)
