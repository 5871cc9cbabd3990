"""Sub-token alignment on the real MiniLM tokenizer, fuzzed (RELIABILITY 17, 18).

Any words (zero-width and control characters, emoji, CJK, 600-character words, raw or cleaned)
and any window size: every window fits, every word is in exactly one window with exactly one
labelled sub-token, and the predictions gathered back have one tag per gold word.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.data.alignment import IGNORE, encode_sentences, gather_word_predictions
from engine.data.tokens import normalise_token
from engine.data.types import Sentence
from tests.reliability import fuzz_inputs as fi
from tests.reliability.figures import TRIED

LABELS = {"O": 0, "B-PER": 1, "I-PER": 2}


@pytest.fixture(scope="module")
def tokenizer():
    from engine.models.backbones import load_tokenizer, resolve_backbone

    return load_tokenizer(resolve_backbone("minilm-l6"))


def sentences(rng: random.Random) -> list[Sentence]:
    out = []
    clean = rng.random() < 0.5  # as the readers hand them over, or raw
    for line in range(rng.randint(1, 4)):
        n = rng.choice([1, 2, 5, 20, 300])
        words = [fi.token(rng) for _ in range(n)]
        if clean:
            words = [normalise_token(w) for w in words]
        tags = [rng.choice(list(LABELS)) for _ in range(n)]
        out.append(Sentence(tuple(words), tuple(tags), line + 1))
    return out


@settings(
    max_examples=max(1, int(300 * fi.SCALE)),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(batch=fi.seeded(sentences), max_length=st.sampled_from([8, 9, 16, 64, 128]))
def test_every_word_gets_one_labelled_sub_token_and_one_prediction(tokenizer, batch, max_length):
    TRIED["alignment"] += 1
    windows = encode_sentences(batch, tokenizer, LABELS, max_length)
    seen: dict[int, list[int]] = {i: [] for i in range(len(batch))}
    for window in windows:
        assert window.length <= max_length
        labelled = [label for label in window.labels if label != IGNORE]
        assert len(labelled) == len(window.words)
        gold = batch[window.sentence].tags
        assert labelled == [LABELS[gold[w]] for w in window.words]
        seen[window.sentence].extend(window.words)
    for index, sentence in enumerate(batch):
        assert seen[index] == list(range(len(sentence.tokens)))  # windowed, never truncated
    predicted = gather_word_predictions(
        windows, [[1] * len(w.words) for w in windows], [len(s.tokens) for s in batch]
    )
    assert [len(p) for p in predicted] == [len(s.tokens) for s in batch]
    assert all(p == [1] * len(p) for p in predicted)  # every word's prediction came back
