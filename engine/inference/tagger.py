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

import torch

from engine.data.alignment import IGNORE, SpecialIds, encode_sentences
from engine.data.char_spans import tokenize
from engine.data.types import Sentence
from engine.metrics.forgetting_detail import entity_spans as iob2_spans
from engine.models.backbones import quiet_transformers
from engine.training.tensors import collate

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
    model: Any, tokenizer: Any, words: list[str], device: torch.device, max_length: int = 128
) -> list[tuple[int, float]]:
    """(label id, probability) of the most likely label at each word's first sub-token."""
    return sentence_scores(model, tokenizer, [words], device, max_length)[0]


@torch.inference_mode()
def sentence_scores(
    model: Any,
    tokenizer: Any,
    sentences: Sequence[Sequence[str]],
    device: torch.device,
    max_length: int = 128,
    batch_size: int = 32,
) -> list[list[tuple[int, float]]]:
    """word_scores of many sentences, `batch_size` model windows a forward pass; a sentence
    longer than `max_length` sub-tokens is cut into windows at word boundaries."""
    out: list[list[tuple[int, float]]] = [[(0, 1.0)] * len(words) for words in sentences]
    kept = [i for i, words in enumerate(sentences) if words]
    if not kept:
        return out
    pad = SpecialIds.of(tokenizer).pad
    encoded = [Sentence(tuple(sentences[i]), ("O",) * len(sentences[i])) for i in kept]
    windows = sorted(encode_sentences(encoded, tokenizer, None, max_length), key=len_of)
    for first in range(0, len(windows), max(1, batch_size)):
        chunk = windows[first : first + max(1, batch_size)]
        tensors = collate(chunk, pad)
        logits = model(
            input_ids=tensors["input_ids"].to(device),
            attention_mask=tensors["attention_mask"].to(device),
        ).logits.float()
        probs = logits.softmax(-1).cpu()
        for row, window in enumerate(chunk):
            keep = tensors["labels"][row] != IGNORE
            best, label = probs[row][keep].max(-1)
            scores = out[kept[window.sentence]]
            for w, p, i in zip(window.words, best.tolist(), label.tolist(), strict=True):
                scores[w] = (int(i), float(p))
    return out


def len_of(window: Any) -> int:
    return int(window.length)


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


def tag_text(checkpoint: str | Path, text: str, device: str = "cpu") -> dict[str, Any]:
    """Words, tags, confidences and entities of `text` under the checkpoint at `checkpoint`."""
    text = text.strip()
    if not text:
        raise ValueError("no text to tag: type a sentence")
    if len(text) > MAX_CHARS:
        raise ValueError(f"the text is {len(text)} characters long; tag at most {MAX_CHARS}")
    torch_device = torch.device(device)
    tokenizer, model = load_checkpoint(checkpoint, torch_device)
    words = split_words(text)
    id2label = {int(k): v for k, v in model.config.id2label.items()}
    scored = word_scores(model, tokenizer, [w for w, _, _ in words], torch_device)
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
