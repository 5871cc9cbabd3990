"""Tag whole files with a checkpoint: documents -> sentences and windows -> tags with offsets.

    predictions = predict_documents(checkpoint_dir, documents, progress=Progress(total))

The engine side of `python -m engine predict RUN_ID --input FILE --format F`. A raw-text document
is cut into sentences and windows of at most `max_tokens` tokens
(engine.data.writers.segment_document), so a book is tagged a sentence at a time; every token
keeps its offsets into the document, so entities come back exact. Documents that brought their
own tokens (CoNLL, tokens JSONL, a DocBin) are tagged on those tokens, one sentence each.
Sentences go to the model in groups of GROUP_SENTENCES, their windows longest first in batches
of about `batch_tokens` padded sub-tokens (engine.training.predict), under autocast at
`precision`.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from engine.data.writers import segment_document
from engine.device import pick_precision
from engine.inference.documents import Document
from engine.inference.outputs import Prediction
from engine.inference.tagger import load_checkpoint, sentence_labels

MAX_TOKENS = 200  # tokens of one segment (words, or characters of CJK text)
# Sentences sorted and batched together: enough that length sorting leaves little padding,
# few enough that the progress bar moves every few seconds on a CPU.
GROUP_SENTENCES = 1024


def sentence_ranges(document: Document, max_tokens: int = MAX_TOKENS) -> list[tuple[int, int]]:
    """[first, stop) token ranges of the document's sentences (and windows of long ones)."""
    tokens = document.tokens
    if not tokens:
        return []
    if document.given_tokens:
        return [(0, len(tokens))]
    starts = [t.start for t in tokens]
    ranges = []
    for segment in segment_document(document.text, max_tokens):
        first = bisect_left(starts, segment.start)
        stop = bisect_left(starts, segment.end)
        if stop > first:
            ranges.append((first, stop))
    covered = sum(b - a for a, b in ranges)
    return ranges if covered == len(tokens) else [(0, len(tokens))]


def predict_documents(
    checkpoint: str | Path,
    documents: Sequence[Document],
    device: str = "cpu",
    *,
    max_tokens: int = MAX_TOKENS,
    batch_size: int | None = None,
    batch_tokens: int | None = None,
    precision: str = "auto",
    progress: Callable[[int], Any] | None = None,
    loaded: Callable[[], Any] | None = None,
) -> list[Prediction]:
    """A Prediction per document; `progress(n)` is called with the tokens done after each group
    of sentences, `loaded()` once the model is loaded (so tokens/s counts tagging only).
    `precision` as train.precision (auto: bf16 where the device runs it fast)."""
    torch_device = torch.device(device)
    dtype = pick_precision(torch_device, precision)
    tokenizer, model = load_checkpoint(checkpoint, torch_device)
    if loaded is not None:
        loaded()
    id2label = {int(k): v for k, v in model.config.id2label.items()}
    ranges = [sentence_ranges(document, max_tokens) for document in documents]
    units = [(number, a, b) for number, found in enumerate(ranges) for a, b in found]
    labels: list[list[int]] = [[0] * len(d.tokens) for d in documents]
    scores: list[list[float]] = [[1.0] * len(d.tokens) for d in documents]
    for begin in range(0, len(units), GROUP_SENTENCES):
        chunk = units[begin : begin + GROUP_SENTENCES]
        words = [[t.text for t in documents[n].tokens[a:b]] for n, a, b in chunk]
        found, chances = sentence_labels(
            model,
            tokenizer,
            words,
            torch_device,
            dtype=dtype,
            batch_tokens=batch_tokens,
            batch_size=batch_size,
            decimals=4,
        )
        for (number, first, stop), label, chance in zip(chunk, found, chances, strict=True):
            labels[number][first:stop] = label
            scores[number][first:stop] = chance
        if progress is not None:
            progress(sum(len(w) for w in words))
    return [
        _prediction(d, [id2label[i] for i in labels[n]], scores[n], ranges[n])
        for n, d in enumerate(documents)
    ]


def _prediction(
    document: Document, tags: list[str], scores: list[float], ranges: list[tuple[int, int]]
) -> Prediction:
    starts = tuple(a for a, _ in ranges) or (0,)
    return Prediction(
        document.text,
        tuple(document.tokens),
        tuple(tags),
        tuple(scores),
        starts,
        document.data,
        document.data_key,
        dict(document.extra),
    )


def token_count(documents: Sequence[Document]) -> int:
    return sum(len(d.tokens) for d in documents)
