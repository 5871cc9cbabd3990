"""Word -> sub-token alignment and windowing, as pure functions (no model, no torch).

Rules (from the reference HF token-classification loop): the first sub-token of a word carries the
word's label, the other sub-tokens and the special tokens get -100 so the loss ignores them. Two
additions the reference lacks: a word that tokenizes to nothing gets the unknown token (so every
word is predicted), and a sentence longer than the model's limit is cut into windows at word
boundaries instead of being truncated (RELIABILITY 17).

    windows = encode_sentences(sentences, tokenizer, label2id, max_length=128)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine.data.types import Sentence

IGNORE = -100


@dataclass(frozen=True)
class Window:
    """One model input: a run of whole words of one sentence, with their labels."""

    sentence: int  # index of the sentence in the encoded list
    input_ids: tuple[int, ...]
    labels: tuple[int, ...]  # IGNORE except at each word's first sub-token
    words: tuple[int, ...]  # sentence word index of each labelled position, in order

    @property
    def length(self) -> int:
        return len(self.input_ids)


@dataclass(frozen=True)
class SpecialIds:
    prefix: tuple[int, ...]
    suffix: tuple[int, ...]
    unk: int
    pad: int

    @classmethod
    def of(cls, tokenizer: Any) -> SpecialIds:
        start = (
            tokenizer.cls_token_id if tokenizer.cls_token_id is not None else tokenizer.bos_token_id
        )
        end = (
            tokenizer.sep_token_id if tokenizer.sep_token_id is not None else tokenizer.eos_token_id
        )
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        return cls(
            prefix=() if start is None else (start,),
            suffix=() if end is None else (end,),
            unk=tokenizer.unk_token_id if tokenizer.unk_token_id is not None else pad,
            pad=pad,
        )


def word_pieces(
    tokenizer: Any, sentences: Sequence[Sequence[str]], unk: int
) -> list[list[list[int]]]:
    """Sub-token ids of every word of every sentence; an empty word becomes [unk]."""
    if not sentences:
        return []
    enc = tokenizer(
        [list(s) for s in sentences], is_split_into_words=True, add_special_tokens=False
    )
    out: list[list[list[int]]] = []
    for i, words in enumerate(sentences):
        pieces: list[list[int]] = [[] for _ in words]
        for tok_id, w in zip(enc["input_ids"][i], enc.word_ids(i), strict=True):
            if w is not None:
                pieces[w].append(tok_id)
        out.append([p if p else [unk] for p in pieces])
    return out


def split_windows(pieces: Sequence[Sequence[int]], budget: int) -> list[tuple[int, int]]:
    """Cut a sentence into [start, end) word ranges whose sub-tokens fit in `budget`."""
    spans: list[tuple[int, int]] = []
    start, used = 0, 0
    for i, p in enumerate(pieces):
        size = min(len(p), budget)  # an over-long word is cut to its leading pieces
        if used + size > budget and i > start:
            spans.append((start, i))
            start, used = i, 0
        used += size
    if pieces:
        spans.append((start, len(pieces)))
    return spans


def build_window(
    sentence: int,
    pieces: Sequence[Sequence[int]],
    span: tuple[int, int],
    label_ids: Sequence[int] | None,
    special: SpecialIds,
    budget: int,
) -> Window:
    ids: list[int] = list(special.prefix)
    labels: list[int] = [IGNORE] * len(special.prefix)
    for w in range(*span):
        p = list(pieces[w])[:budget]
        ids.extend(p)
        labels.append(label_ids[w] if label_ids is not None else 0)
        labels.extend([IGNORE] * (len(p) - 1))
    ids.extend(special.suffix)
    labels.extend([IGNORE] * len(special.suffix))
    return Window(sentence, tuple(ids), tuple(labels), tuple(range(*span)))


def encode_sentences(
    sentences: Sequence[Sentence],
    tokenizer: Any,
    label2id: dict[str, int] | None,
    max_length: int,
) -> list[Window]:
    """All windows for `sentences`; without label2id every word gets label 0 (prediction only)."""
    special = SpecialIds.of(tokenizer)
    budget = max(1, max_length - len(special.prefix) - len(special.suffix))
    all_pieces = word_pieces(tokenizer, [s.tokens for s in sentences], special.unk)
    windows: list[Window] = []
    for i, (sent, pieces) in enumerate(zip(sentences, all_pieces, strict=True)):
        label_ids = [label2id.get(t, 0) for t in sent.tags] if label2id is not None else None
        for span in split_windows(pieces, budget):
            windows.append(build_window(i, pieces, span, label_ids, special, budget))
    return windows


def gather_word_predictions(
    windows: Sequence[Window], window_preds: Sequence[Sequence[int]], n_words: Sequence[int]
) -> list[list[int]]:
    """Reassemble per-word predicted ids for each sentence from per-window label-position preds.

    `window_preds[k]` holds one id per labelled position of window k (same order as `words`).
    """
    out = [[0] * n for n in n_words]
    for win, preds in zip(windows, window_preds, strict=True):
        for w, p in zip(win.words, preds, strict=True):
            out[win.sentence][w] = p
    return out
