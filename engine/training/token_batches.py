"""Token-budget batches: as many sentences a step as fit a fixed number of padded positions.

With a fixed number of sentences a step, a batch of long sentences costs several times one of
short sentences; with a token budget every step computes about the same padded positions
(`sentences x longest <= budget`), so short sentences travel in larger batches and long ones in
smaller. Pure and seeded (no torch), like engine.data.batching: shuffle, cut into chunks of
`chunk` windows, sort each chunk longest first, fill batches greedily, shuffle the batches.

    batches = token_budget_batches(lengths, budget=464, seed=13, max_sentences=64)
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

GROUP = 50  # batches a sorted chunk holds, as in engine.data.batching.length_grouped_batches
SENTENCE_CAP = 4  # a batch holds at most this many times the configured batch size


def budget_for(lengths: Sequence[int], batch_size: int) -> int:
    """The budget of `batch_size` sentences of mean length: as many real tokens a step, on
    average, as sentence batches of that size, so the effective batch stays comparable."""
    if not lengths:
        return batch_size
    return max(1, math.ceil(batch_size * sum(lengths) / len(lengths)))


def token_budget_batches(
    lengths: Sequence[int], budget: int, seed: int, max_sentences: int, chunk: int = 800
) -> list[list[int]]:
    """Index batches with `len(batch) * longest <= budget` and at most `max_sentences` each; a
    window longer than the budget is a batch of its own. Every index appears exactly once."""
    if budget < 1 or max_sentences < 1 or chunk < 1:
        raise ValueError("budget, max_sentences and chunk must be at least 1")
    rng = random.Random(seed)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    batches: list[list[int]] = []
    for start in range(0, len(order), chunk):
        ranked = sorted(order[start : start + chunk], key=lambda i: lengths[i], reverse=True)
        batches.extend(fill(ranked, lengths, budget, max_sentences))
    rng.shuffle(batches)
    return batches


def fill(
    ranked: Sequence[int], lengths: Sequence[int], budget: int, max_sentences: int
) -> list[list[int]]:
    """Greedy batches over indices sorted longest first: a batch's first window is its longest,
    so a window joins while (members + 1) x that length stays within the budget."""
    batches: list[list[int]] = []
    current: list[int] = []
    for i in ranked:
        width = lengths[current[0]] if current else lengths[i]
        if current and ((len(current) + 1) * width > budget or len(current) >= max_sentences):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches
