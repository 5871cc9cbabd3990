"""Which entity type each gold word was predicted as: a word-level type confusion matrix.

Rows are gold types (plus "O"), columns predicted types (plus "O"); B-/I- prefixes are dropped so
the matrix answers "what did PER become?", including how much of it drifted into O.

    labels, matrix = type_confusion(gold_tags, predicted_tags)
"""

from __future__ import annotations

from collections.abc import Sequence


def tag_type(tag: str) -> str:
    return "O" if tag == "O" or len(tag) < 3 else tag[2:]


def type_confusion(
    gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]
) -> tuple[list[str], list[list[int]]]:
    types = sorted({tag_type(t) for s in [*gold, *pred] for t in s} - {"O"})
    labels = [*types, "O"]
    index = {lab: i for i, lab in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for g_sent, p_sent in zip(gold, pred, strict=True):
        for g, p in zip(g_sent, p_sent, strict=True):
            matrix[index[tag_type(g)]][index[tag_type(p)]] += 1
    return labels, matrix
