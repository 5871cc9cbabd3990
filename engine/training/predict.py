"""Prediction and evaluation: windows in, one tag per gold word out, seqeval report.

Fast on purpose, since a continual run scores every task's test data after every task: no
gradients (inference_mode), autocast at the run's precision, windows sorted longest first and
cut into batches of about `max_tokens` padded positions (not a fixed sentence count), padding
and decoding in NumPy, and each word's first sub-token gathered on the device. The label ids
come to the host once, after the last batch, and go back into window and word order with one
NumPy scatter each.

    tags = predict_tags(model, sentences, windows, id2label, device, dtype, pad_id)
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
import torch

from engine.data.alignment import IGNORE, Window
from engine.data.types import Sentence
from engine.metrics.ner import NerReport, entity_report

# Padded sub-tokens a forward pass. On a CPU a few thousand keep the activations near the
# caches; a GPU wants far more positions in flight to fill its cores.
CPU_TOKENS_PER_BATCH = 4096
GPU_TOKENS_PER_BATCH = 32768


def autocast_for(device: torch.device, dtype: torch.dtype) -> Any:
    if dtype == torch.float32:
        return nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def tokens_per_batch(device: torch.device) -> int:
    return GPU_TOKENS_PER_BATCH if device.type == "cuda" else CPU_TOKENS_PER_BATCH


def budget_batches(
    lengths: Sequence[int], max_tokens: int, max_rows: int | None = None
) -> list[list[int]]:
    """Indices longest first, cut so rows x the batch's longest length stays within
    `max_tokens` (and at most `max_rows` rows); every batch holds at least one."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i], reverse=True)
    batches: list[list[int]] = []
    start = 0
    while start < len(order):
        rows = max(1, max_tokens // max(1, lengths[order[start]]))
        rows = min(rows, max_rows) if max_rows else rows
        batches.append(order[start : start + rows])
        start += rows
    return batches


@dataclass(frozen=True)
class PaddedBatch:
    """A batch as arrays: ids and mask (rows x width), where its labelled positions are."""

    input_ids: np.ndarray
    attention_mask: np.ndarray
    picks: np.ndarray  # flat (row-major) positions of the labelled sub-tokens
    counts: np.ndarray  # labelled positions of each row


def pad_batch(windows: Sequence[Window], pad_id: int) -> PaddedBatch:
    lengths = np.fromiter((w.length for w in windows), np.int64, len(windows))
    filled = np.arange(int(lengths.max())) < lengths[:, None]
    total = int(lengths.sum())
    ids = np.full(filled.shape, pad_id, np.int64)
    ids[filled] = np.fromiter(chain.from_iterable(w.input_ids for w in windows), np.int64, total)
    labels = np.fromiter(chain.from_iterable(w.labels for w in windows), np.int64, total)
    keep = np.zeros(filled.shape, bool)
    keep[filled] = labels != IGNORE
    return PaddedBatch(ids, filled.astype(np.int64), np.flatnonzero(keep), keep.sum(1))


def to_device(array: np.ndarray, device: torch.device) -> torch.Tensor:
    """Pinned and asynchronous on CUDA, so a copy never waits for the batch before it."""
    tensor = torch.from_numpy(array)
    if device.type == "cuda":
        return tensor.pin_memory().to(device, non_blocking=True)
    return tensor.to(device)


def regroup(values: np.ndarray, counts: np.ndarray, dest_start: np.ndarray) -> np.ndarray:
    """Scatter `values` (runs of `counts[k]` in a row) so run k starts at `dest_start[k]`."""
    out = np.empty_like(values)
    if len(values):
        run_start = np.cumsum(counts) - counts
        out[np.repeat(dest_start - run_start, counts) + np.arange(len(values))] = values
    return out


@torch.inference_mode()
def predict_positions(
    model: Any,
    windows: Sequence[Window],
    device: torch.device,
    dtype: torch.dtype,
    pad_id: int,
    *,
    max_tokens: int | None = None,
    max_rows: int | None = None,
    with_scores: bool = False,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """(label ids, their softmax probabilities with `with_scores`, labelled positions per
    window): the best label at every labelled position of every window, flat, window order."""
    budget = max_tokens or tokens_per_batch(device)
    batches = budget_batches([w.length for w in windows], budget, max_rows)
    was_training = model.training
    model.eval()
    found: list[torch.Tensor] = []
    scores: list[torch.Tensor] = []
    counts: list[np.ndarray] = []
    try:
        for batch in batches:
            padded = pad_batch([windows[i] for i in batch], pad_id)
            with autocast_for(device, dtype):
                logits = model(
                    input_ids=to_device(padded.input_ids, device),
                    attention_mask=to_device(padded.attention_mask, device),
                ).logits
            picked = logits.flatten(0, 1).index_select(0, to_device(padded.picks, device))
            if with_scores:
                best_p, best = picked.float().softmax(-1).max(-1)
                scores.append(best_p)
            else:
                best = picked.argmax(-1)
            found.append(best)
            counts.append(padded.counts)
    finally:
        model.train(was_training)
    return _window_order(batches, found, scores if with_scores else None, counts, len(windows))


def _window_order(
    batches: list[list[int]],
    found: list[torch.Tensor],
    scores: list[torch.Tensor] | None,
    counts: list[np.ndarray],
    n_windows: int,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """The one host transfer, then batch order -> window order."""
    if not batches:
        none = np.zeros(0, np.int64)
        return none, (np.zeros(0, np.float32) if scores is not None else None), none
    order = np.fromiter(chain.from_iterable(batches), np.int64, n_windows)
    batch_counts = np.concatenate(counts)
    per_window = np.empty(n_windows, np.int64)
    per_window[order] = batch_counts
    starts = (np.cumsum(per_window) - per_window)[order]
    ids = regroup(torch.cat(found).cpu().numpy(), batch_counts, starts)
    probs = None
    if scores is not None:
        probs = regroup(torch.cat(scores).cpu().numpy(), batch_counts, starts)
    return ids, probs, per_window


def word_order(
    windows: Sequence[Window],
    values: np.ndarray,
    per_window: np.ndarray,
    n_words: Sequence[int],
    fill: float = 0,
) -> list[np.ndarray]:
    """Per-window flat values -> one array per sentence, a value per word (`fill` where no
    window holds the word); engine.data.alignment.gather_word_predictions, vectorised."""
    if [len(w.words) for w in windows] != per_window.tolist():
        raise ValueError("each window needs one prediction per word it labels")
    sizes = np.asarray(n_words, np.int64)
    out = np.full(int(sizes.sum()), fill, values.dtype)
    if len(values):
        sentence_start = np.cumsum(sizes) - sizes
        first = np.fromiter((w.sentence for w in windows), np.int64, len(windows))
        words = np.fromiter(chain.from_iterable(w.words for w in windows), np.int64, len(values))
        out[np.repeat(sentence_start[first], per_window) + words] = values
    return np.split(out, np.cumsum(sizes)[:-1]) if len(sizes) else []


def predict_label_ids(
    model: Any,
    windows: Sequence[Window],
    device: torch.device,
    dtype: torch.dtype,
    pad_id: int,
    max_tokens: int | None = None,
) -> list[list[int]]:
    """Argmax label id at each labelled position of each window (window order kept)."""
    ids, _, per_window = predict_positions(
        model, windows, device, dtype, pad_id, max_tokens=max_tokens
    )
    return [part.tolist() for part in np.split(ids, np.cumsum(per_window)[:-1])] if windows else []


def predict_tags(
    model: Any,
    sentences: Sequence[Sentence],
    windows: Sequence[Window],
    id2label: dict[int, str],
    device: torch.device,
    dtype: torch.dtype,
    pad_id: int,
    max_tokens: int | None = None,
) -> list[list[str]]:
    """One tag per word of each sentence (a word no window holds gets label 0)."""
    ids, _, per_window = predict_positions(
        model, windows, device, dtype, pad_id, max_tokens=max_tokens
    )
    per_word = word_order(windows, ids, per_window, [len(s.tokens) for s in sentences])
    if sorted(id2label) != list(range(len(id2label))):  # not 0..n-1: look each id up
        return [[id2label[i] for i in sent.tolist()] for sent in per_word]
    names = np.array([id2label[i] for i in range(len(id2label))], dtype=object)
    return [names[sent].tolist() for sent in per_word]


def evaluate(
    model: Any,
    sentences: Sequence[Sentence],
    windows: Sequence[Window],
    id2label: dict[int, str],
    device: torch.device,
    dtype: torch.dtype,
    pad_id: int,
    max_tokens: int | None = None,
) -> NerReport:
    pred = predict_tags(model, sentences, windows, id2label, device, dtype, pad_id, max_tokens)
    return entity_report([list(s.tags) for s in sentences], pred)
