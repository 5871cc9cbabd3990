"""Tag free text with a stored checkpoint: words, tags, confidences and entity spans.

The engine side of the Playground (`python -m engine predict RUN_ID [--stage S] --json`); the
dashboard calls it in a subprocess through `engine.api.predict_text`, so no page imports torch.
Text is split into words by engine.data.char_spans.tokenize, the rule every imported span
format uses: Chinese, Japanese and Korean characters one per word (character-level corpora such
as Weibo), other text into words and punctuation. Files go through engine.inference.batch.

    result = tag_text(checkpoint_dir, "Angela Merkel visited Paris .")
    result["entities"]  # [{"type": "PER", "text": "Angela Merkel", "confidence": 0.97, ...}]
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.data.alignment import SpecialIds, encode_sentences
from engine.data.char_spans import tokenize
from engine.data.types import Sentence
from engine.device import pick_precision
from engine.metrics.forgetting_detail import entity_spans as iob2_spans
from engine.models.backbones import quiet_transformers
from engine.training.predict import predict_positions, word_order

MAX_CHARS = 2000  # a paragraph, not a book: the Playground tags what a person types


def split_words(text: str) -> list[tuple[str, int, int]]:
    """(word, start, end) character spans: CJK one character each, else words and punctuation
    (engine.data.char_spans.tokenize, so typed text splits like imported data)."""
    return [(t.text, t.start, t.end) for t in tokenize(text)]


def load_checkpoint(path: str | Path, device: torch.device) -> tuple[Any, Any]:
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    quiet_transformers()
    folder = str(Path(path))
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model = AutoModelForTokenClassification.from_pretrained(folder, local_files_only=True)
    return tokenizer, model.to(device).eval()


def word_scores(
    model: Any,
    tokenizer: Any,
    words: list[str],
    device: torch.device,
    max_length: int = 128,
    dtype: torch.dtype = torch.float32,
) -> list[tuple[int, float]]:
    """(label id, probability) of the most likely label at each word's first sub-token."""
    ids, probs = sentence_labels(model, tokenizer, [words], device, max_length, dtype=dtype)
    return list(zip(ids[0], probs[0], strict=True))


def sentence_scores(
    model: Any,
    tokenizer: Any,
    sentences: Sequence[Sequence[str]],
    device: torch.device,
    max_length: int = 128,
    **batching: Any,
) -> list[list[tuple[int, float]]]:
    """word_scores of many sentences (sentence_labels, zipped)."""
    ids, probs = sentence_labels(model, tokenizer, sentences, device, max_length, **batching)
    return [list(zip(i, p, strict=True)) for i, p in zip(ids, probs, strict=True)]


def sentence_labels(
    model: Any,
    tokenizer: Any,
    sentences: Sequence[Sequence[str]],
    device: torch.device,
    max_length: int = 128,
    *,
    dtype: torch.dtype = torch.float32,
    batch_tokens: int | None = None,
    batch_size: int | None = None,
    decimals: int | None = None,
) -> tuple[list[list[int]], list[list[float]]]:
    """Label ids and their probabilities (rounded to `decimals` when given), a list of each per
    sentence. Windows go to the model longest first, about `batch_tokens` padded sub-tokens a
    batch (at most `batch_size` windows); a sentence longer than `max_length` sub-tokens is cut
    into windows at word boundaries; an empty sentence gets empty lists."""
    pad = SpecialIds.of(tokenizer).pad
    kept = [i for i, words in enumerate(sentences) if words]  # the tokenizer wants a word
    encoded = [Sentence(tuple(sentences[i]), ("O",) * len(sentences[i])) for i in kept]
    windows = encode_sentences(encoded, tokenizer, None, max_length) if kept else []
    ids, probs, per_window = predict_positions(
        model,
        windows,
        device,
        dtype,
        pad,
        max_tokens=batch_tokens,
        max_rows=batch_size,
        with_scores=True,
    )
    assert probs is not None
    sizes = [len(sentences[i]) for i in kept]
    labels: list[list[int]] = [[] for _ in sentences]
    scores: list[list[float]] = [[] for _ in sentences]
    found = word_order(windows, ids, per_window, sizes)
    # float32 -> float64 is exact, and so is p * 10**decimals: np.round then equals round().
    wide = probs.astype(np.float64)
    wide = np.round(wide, decimals) if decimals is not None else wide
    chances = word_order(windows, wide, per_window, sizes, fill=1.0)
    for i, label, chance in zip(kept, found, chances, strict=True):
        labels[i], scores[i] = label.tolist(), chance.tolist()
    return labels, scores


def entity_spans(
    words: list[tuple[str, int, int]], tags: list[str], confidences: list[float], text: str
) -> list[dict[str, Any]]:
    """IOB2 entities (an I- without its B- starts one, as scoring reads it), each with the mean
    confidence of its words."""
    out = []
    for etype, first, stop in iob2_spans(tags):
        start, end = words[first][1], words[stop - 1][2]
        scores = confidences[first:stop]
        out.append(
            {
                "type": etype,
                "text": text[start:end],
                "start": start,
                "end": end,
                "words": [first, stop],
                "confidence": round(sum(scores) / len(scores), 4),
            }
        )
    return out


def tag_text(
    checkpoint: str | Path, text: str, device: str = "cpu", precision: str = "auto"
) -> dict[str, Any]:
    """Words, tags, confidences and entities of `text` under the checkpoint at `checkpoint`;
    `precision` as train.precision (auto: bf16 where the device runs it fast, as training)."""
    text = text.strip()
    if not text:
        raise ValueError("no text to tag: type a sentence")
    if len(text) > MAX_CHARS:
        raise ValueError(f"the text is {len(text)} characters long; tag at most {MAX_CHARS}")
    torch_device = torch.device(device)
    tokenizer, model = load_checkpoint(checkpoint, torch_device)
    words = split_words(text)
    id2label = {int(k): v for k, v in model.config.id2label.items()}
    dtype = pick_precision(torch_device, precision)
    scored = word_scores(model, tokenizer, [w for w, _, _ in words], torch_device, dtype=dtype)
    tags = [id2label[i] for i, _ in scored]
    confidences = [round(p, 4) for _, p in scored]
    return {
        "text": text,
        "labels": [id2label[i] for i in sorted(id2label)],
        "words": [
            {"text": w, "start": s, "end": e, "tag": t, "confidence": c}
            for (w, s, e), t, c in zip(words, tags, confidences, strict=True)
        ],
        "entities": entity_spans(words, tags, confidences, text),
    }
