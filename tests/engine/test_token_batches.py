"""Token-budget batches on hand-made lengths: the budget, the cap, coverage and the loop's use."""

from __future__ import annotations

import pytest

from engine.config import TrainConfig
from engine.data.alignment import Window
from engine.training.loop import epoch_batches, planned_steps
from engine.training.token_batches import budget_for, fill, token_budget_batches


def padded(batch: list[int], lengths: list[int]) -> int:
    return len(batch) * max(lengths[i] for i in batch)


def test_fill_packs_short_windows_into_larger_batches():
    # sorted longest first: 10, 10, 5, 5, 5, 5, 2, 2, 2, 2, 2 (indices 0..10); budget 20
    lengths = [10, 10, 5, 5, 5, 5, 2, 2, 2, 2, 2]
    batches = fill(list(range(11)), lengths, budget=20, max_sentences=100)
    # 10+10 fill 2 x 10; the fives make 4 x 5 = 20; the twos 5 x 2 = 10
    assert batches == [[0, 1], [2, 3, 4, 5], [6, 7, 8, 9, 10]]


def test_fill_caps_sentences_and_gives_an_over_long_window_its_own_batch():
    lengths = [30, 4, 4, 4, 4, 4]
    batches = fill(list(range(6)), lengths, budget=20, max_sentences=3)
    assert batches == [[0], [1, 2, 3], [4, 5]]  # 30 > 20 alone; the cap stops at 3


def test_every_batch_keeps_to_the_budget_and_every_window_appears_once():
    lengths = [3 + (i * 7) % 40 for i in range(500)]
    batches = token_budget_batches(lengths, budget=200, seed=5, max_sentences=64, chunk=100)
    assert sorted(i for b in batches for i in b) == list(range(500))
    assert all(padded(b, lengths) <= 200 for b in batches)
    assert max(len(b) for b in batches) > 3 * min(len(b) for b in batches)  # short: larger


def test_batches_are_seeded():
    lengths = [3 + (i * 11) % 29 for i in range(300)]
    first = token_budget_batches(lengths, budget=120, seed=1, max_sentences=32)
    assert first == token_budget_batches(lengths, budget=120, seed=1, max_sentences=32)
    assert first != token_budget_batches(lengths, budget=120, seed=2, max_sentences=32)


def test_budget_is_batch_size_sentences_of_mean_length():
    assert budget_for([10, 20, 30], batch_size=16) == 320  # 16 x 20
    assert budget_for([10, 11], batch_size=3) == 32  # 3 x 10.5, rounded up
    assert budget_for([], batch_size=8) == 8


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="at least 1"):
        token_budget_batches([3, 4], budget=0, seed=1, max_sentences=4)


def windows(lengths: list[int]) -> list[Window]:
    return [Window(i, tuple(range(n)), tuple([0] * n), ()) for i, n in enumerate(lengths)]


def test_the_loop_uses_token_batches_and_plans_their_steps():
    lengths = [4] * 60 + [20] * 20  # mean 8; batch 4 -> budget 32
    train = windows(lengths)
    cfg = TrainConfig(batch_size=4, epochs=2, batching="tokens")
    batches = epoch_batches(train, cfg, epoch=0)
    assert all(padded(b, lengths) <= 32 for b in batches)
    assert {len(b) for b in batches if lengths[b[0]] == 20} == {1}  # 2 x 20 > 32
    assert max(len(b) for b in batches) == 8  # 8 x 4 = 32 (cap 4 x 4 = 16 not reached)
    expected = len(batches) + len(epoch_batches(train, cfg, epoch=1))
    assert planned_steps(train, cfg) == expected
    sentence_cfg = TrainConfig(batch_size=4, epochs=2)
    assert planned_steps(train, sentence_cfg) == 40  # 80 / 4 x 2 epochs
