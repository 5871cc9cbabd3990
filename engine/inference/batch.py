"""Tag whole files with a checkpoint: documents -> sentences and windows -> tags with offsets.

    predictions = predict_documents(checkpoint_dir, documents, progress=Progress(total))

The engine side of `python -m engine predict RUN_ID --input FILE --format F`. A raw-text document
is cut into sentences and windows of at most `max_tokens` tokens
(engine.data.writers.segment_document), so a book is tagged a sentence at a time; every token
keeps its offsets into the document, so entities come back exact. Documents that brought their
own tokens (CoNLL, tokens JSONL, a DocBin) are tagged on those tokens, one sentence each.
Sentences are batched `batch_size` model windows at a time.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from engine.data.writers import segment_document
from engine.inference.documents import Document
from engine.inference.outputs import Prediction
from engine.inference.tagger import load_checkpoint, sentence_scores

MAX_TOKENS = 200  # tokens of one segment (words, or characters of CJK text)
BATCH_SENTENCES = 64  # sentences handed to the model together (it batches their windows)


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
    batch_size: int = 32,
    progress: Callable[[int], Any] | None = None,
    loaded: Callable[[], Any] | None = None,
) -> list[Prediction]:
    """A Prediction per document; `progress(n)` is called with the tokens done after each batch,
    `loaded()` once the model is loaded (so tokens/s counts tagging only)."""
    torch_device = torch.device(device)
    tokenizer, model = load_checkpoint(checkpoint, torch_device)
    if loaded is not None:
        loaded()
    id2label = {int(k): v for k, v in model.config.id2label.items()}
    ranges = [sentence_ranges(document, max_tokens) for document in documents]
    units = [(number, a, b) for number, found in enumerate(ranges) for a, b in found]
    labels: list[list[int]] = [[0] * len(d.tokens) for d in documents]
    scores: list[list[float]] = [[1.0] * len(d.tokens) for d in documents]
    for begin in range(0, len(units), BATCH_SENTENCES):
        chunk = units[begin : begin + BATCH_SENTENCES]
        words = [[t.text for t in documents[n].tokens[a:b]] for n, a, b in chunk]
        scored = sentence_scores(model, tokenizer, words, torch_device, batch_size=batch_size)
        for (number, first, _), found in zip(chunk, scored, strict=True):
            for offset, (label, p) in enumerate(found):
                labels[number][first + offset] = label
                scores[number][first + offset] = round(p, 4)
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
