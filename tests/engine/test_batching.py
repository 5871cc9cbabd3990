"""Length grouping keeps every item exactly once and removes most padding."""

import random

from engine.data.batching import (
    length_grouped_batches,
    padding_ratio,
    shuffled_batches,
    sorted_batches,
)


def test_every_index_exactly_once_and_batch_sizes():
    lengths = [random.Random(1).randint(3, 60) for _ in range(1003)]
    batches = length_grouped_batches(lengths, 16, seed=0)
    flat = sorted(i for b in batches for i in b)
    assert flat == list(range(1003))
    assert all(1 <= len(b) <= 16 for b in batches)


def test_grouping_cuts_padding_and_is_seeded():
    rng = random.Random(7)
    lengths = [rng.randint(5, 120) for _ in range(2000)]
    grouped = length_grouped_batches(lengths, 16, seed=3)
    plain = shuffled_batches(len(lengths), 16, seed=3)
    assert padding_ratio(lengths, grouped) < 0.05
    assert padding_ratio(lengths, plain) > 0.3
    assert grouped == length_grouped_batches(lengths, 16, seed=3)
    assert grouped != length_grouped_batches(lengths, 16, seed=4)


def test_sorted_batches_longest_first():
    assert sorted_batches([3, 9, 1, 5], 2) == [[1, 3], [0, 2]]
    assert padding_ratio([2, 2], [[0, 1]]) == 0.0
    assert padding_ratio([1, 3], [[0, 1]]) == 1 - 4 / 6
