"""The fast prediction path (token-budget batches, NumPy padding, on-device gather, one host
transfer) gives the labels of a plain reference: the per-window, per-token loop the engine used
before, on a tiny model and sentences of many lengths, long ones cut into windows."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from engine.data.alignment import (
    IGNORE,
    SpecialIds,
    Window,
    encode_sentences,
    gather_word_predictions,
)
from engine.data.batching import sorted_batches
from engine.data.types import Sentence
from engine.inference.batch import predict_documents, sentence_ranges
from engine.inference.documents import Document
from engine.inference.tagger import sentence_labels
from engine.models.backbones import load_token_classifier, load_tokenizer, resolve_backbone
from engine.models.checkpoint import save_checkpoint
from engine.training.predict import (
    autocast_for,
    budget_batches,
    predict_label_ids,
    predict_tags,
    word_order,
)
from engine.training.tensors import collate

LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
MAX_LENGTH = 24  # sentences past ~20 sub-tokens are cut into windows
WORDS = ["the", "a", "Paris", "Angela", "Merkel", "visited", "unbelievably", ",", ".", "met",
         "Jean-Luc", "in", "2017", "ok"]  # fmt: skip
CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(3)
    backbone = resolve_backbone("tiny")
    tokenizer = load_tokenizer(backbone)
    model = load_token_classifier(backbone, LABELS, vocab_size=len(tokenizer)).eval()
    return model, tokenizer


def sentences(n: int = 40, seed: int = 5) -> list[Sentence]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        size = 1 + (i * 7) % 45  # 1 .. 45 words, so several need two or three windows
        words = tuple(rng.choice(WORDS) for _ in range(size))
        out.append(Sentence(words, ("O",) * size))
    return out


@torch.inference_mode()
def reference_label_ids(model, windows, dtype, pad_id, batch_size=64) -> list[list[int]]:
    """The engine's prediction before the fast path, line for line."""
    out: list[list[int]] = [[] for _ in windows]
    for batch in sorted_batches([w.length for w in windows], batch_size):
        tensors = collate([windows[i] for i in batch], pad_id)
        with autocast_for(CPU, dtype):
            logits = model(
                input_ids=tensors["input_ids"], attention_mask=tensors["attention_mask"]
            ).logits
        best = logits.argmax(-1).cpu()
        keep = tensors["labels"] != IGNORE
        for row, i in enumerate(batch):
            out[i] = best[row][keep[row]].tolist()
    return out


@torch.inference_mode()
def reference_scores(
    model, tokenizer, words, batch_size=32, max_length=MAX_LENGTH
) -> list[list[tuple[int, float]]]:
    """The tagger's scoring before the fast path: softmax, a Python loop over each window."""
    out = [[(0, 1.0)] * len(w) for w in words]
    kept = [i for i, w in enumerate(words) if w]
    pad = SpecialIds.of(tokenizer).pad
    encoded = [Sentence(tuple(words[i]), ("O",) * len(words[i])) for i in kept]
    windows = sorted(encode_sentences(encoded, tokenizer, None, max_length), key=lambda w: w.length)
    for first in range(0, len(windows), batch_size):
        chunk = windows[first : first + batch_size]
        tensors = collate(chunk, pad)
        logits = model(
            input_ids=tensors["input_ids"], attention_mask=tensors["attention_mask"]
        ).logits.float()
        probs = logits.softmax(-1)
        for row, window in enumerate(chunk):
            best, label = probs[row][tensors["labels"][row] != IGNORE].max(-1)
            for w, p, i in zip(window.words, best.tolist(), label.tolist(), strict=True):
                out[kept[window.sentence]][w] = (int(i), float(p))
    return out


def test_budget_batches_cover_every_window_once_longest_first_within_budget():
    lengths = [5, 40, 12, 12, 3, 90, 7, 40, 1]
    batches = budget_batches(lengths, max_tokens=80)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert batches[0] == [5]  # 90 > 80: alone, never dropped
    assert batches[1] == [1, 7]  # two 40s fill 80
    for b in batches:
        assert len(b) == 1 or len(b) * max(lengths[i] for i in b) <= 80
    flat = [lengths[i] for b in batches for i in b]
    assert flat == sorted(lengths, reverse=True)
    assert [len(b) for b in budget_batches([4] * 10, max_tokens=100, max_rows=3)] == [3, 3, 3, 1]


def test_word_order_matches_the_reference_gather_and_fills_uncovered_words():
    windows = [
        Window(1, (), (), (0, 1, 2)),
        Window(0, (), (), (0,)),
        Window(1, (), (), (3, 4)),
    ]
    preds = [[7, 8, 9], [4], [5, 6]]
    flat = np.array([p for part in preds for p in part])
    per_window = np.array([3, 1, 2])
    got = word_order(windows, flat, per_window, [2, 5, 0], fill=-1)
    assert [a.tolist() for a in got] == [[4, -1], [7, 8, 9, 5, 6], []]
    reference = gather_word_predictions(windows, preds, [2, 5, 0])
    assert [a.tolist() for a in word_order(windows, flat, per_window, [2, 5, 0])] == reference
    with pytest.raises(ValueError, match="one prediction per word"):
        word_order(windows, flat, np.array([2, 2, 2]), [2, 5, 0])


@pytest.mark.parametrize("max_tokens", [None, 120])
def test_label_ids_and_tags_equal_the_reference_in_fp32(tiny, max_tokens):
    model, tokenizer = tiny
    sents = sentences()
    windows = encode_sentences(sents, tokenizer, None, MAX_LENGTH)
    assert len(windows) > len(sents) + 10  # long sentences really are windowed
    pad = SpecialIds.of(tokenizer).pad
    expected = reference_label_ids(model, windows, torch.float32, pad)
    got = predict_label_ids(model, windows, CPU, torch.float32, pad, max_tokens=max_tokens)
    assert got == expected
    assert len({i for ids in got for i in ids}) >= 3  # a real spread of labels, not one

    id2label = dict(enumerate(LABELS))
    words = gather_word_predictions(windows, expected, [len(s.tokens) for s in sents])
    tags = predict_tags(model, sents, windows, id2label, CPU, torch.float32, pad, max_tokens)
    assert tags == [[LABELS[i] for i in sent] for sent in words]


def test_bf16_labels_equal_the_reference_on_the_same_batch(tiny):
    """Same batch shape, same autocast: bit-identical logits, so identical labels."""
    model, tokenizer = tiny
    windows = encode_sentences(sentences(30), tokenizer, None, MAX_LENGTH)
    pad = SpecialIds.of(tokenizer).pad
    expected = reference_label_ids(model, windows, torch.bfloat16, pad, batch_size=len(windows))
    got = predict_label_ids(model, windows, CPU, torch.bfloat16, pad, max_tokens=10**6)
    assert got == expected


def test_training_mode_is_restored_and_no_windows_is_no_work(tiny):
    model, tokenizer = tiny
    pad = SpecialIds.of(tokenizer).pad
    model.train()
    try:
        assert predict_label_ids(model, [], CPU, torch.float32, pad) == []
        windows = encode_sentences(sentences(3), tokenizer, None, MAX_LENGTH)
        predict_label_ids(model, windows, CPU, torch.float32, pad)
        assert model.training
    finally:
        model.eval()


def test_tagger_scores_equal_the_reference_including_empty_and_long_sentences(tiny):
    model, tokenizer = tiny
    words = [list(s.tokens) for s in sentences(36, seed=9)]
    words[4] = []  # an empty sentence gets nothing, and shifts nothing
    expected = reference_scores(model, tokenizer, words)
    for budget, cap in [(None, None), (96, None), (4096, 5)]:
        labels, probs = sentence_labels(
            model, tokenizer, words, CPU, MAX_LENGTH, batch_tokens=budget, batch_size=cap
        )
        assert labels == [[i for i, _ in sent] for sent in expected]
        flat_p = [p for sent in probs for p in sent]
        assert flat_p == pytest.approx([p for sent in expected for _, p in sent], abs=1e-6)
    assert labels[4] == [] and probs[4] == []


def test_files_get_the_reference_tags_and_rounded_scores_in_document_order(tiny, tmp_path):
    model, tokenizer = tiny
    folder = save_checkpoint(model, tokenizer, tmp_path / "ckpt", {"backbone": "tiny"})
    sents = sentences(20, seed=11)
    documents = [Document.of_words(list(s.tokens)) for s in sents[:8]]
    documents.insert(3, Document.of_text(" ".join(t for s in sents[8:] for t in s.tokens)))
    units = [(n, a, b) for n, d in enumerate(documents) for a, b in sentence_ranges(d, 12)]
    assert len(units) > len(documents) + 5  # the long text is cut into many sentences
    words = [[t.text for t in documents[n].tokens[a:b]] for n, a, b in units]
    expected = reference_scores(model, tokenizer, words, max_length=128)
    got = predict_documents(folder, documents, max_tokens=12, precision="fp32", batch_tokens=200)
    for (n, a, b), scored in zip(units, expected, strict=True):
        assert list(got[n].tags[a:b]) == [LABELS[i] for i, _ in scored]
        assert list(got[n].scores[a:b]) == pytest.approx([round(p, 4) for _, p in scored], abs=2e-4)


def test_numpy_rounding_of_float32_probabilities_equals_python_round():
    values = torch.rand(20000, generator=torch.Generator().manual_seed(1)).numpy()
    wide = values.astype(np.float64)
    assert np.round(wide, 4).tolist() == [round(float(v), 4) for v in values]
