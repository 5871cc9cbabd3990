"""Label lists, and what to do with entity types a model was never trained on (RELIABILITY 16).

    labels = label_list([train])                        # ["O", "B-LOC", "I-LOC", "B-PER", ...]
    dev = align_to_labels(dev, labels)                  # unknown types -> O, with a warning
    dev = align_to_labels(dev, labels, policy="reject") # or DataError naming them

Corpora here are IOB2 (engine.data.readers converts on reading).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

from engine.data.stats import entity_counts
from engine.data.types import Corpus, DataError, Problem, Sentence

UnknownTypePolicy = Literal["map_to_o", "reject"]
_IOB2_LABEL = re.compile(r"[BI]-(.+)", re.DOTALL)


def label_list(corpora: Iterable[Corpus]) -> list[str]:
    """IOB2 labels of every type in `corpora`: "O" first, then B-/I- per type in sorted order."""
    types = sorted({t for corpus in corpora for t in corpus.entity_types})
    return ["O"] + [f"{prefix}-{t}" for t in types for prefix in ("B", "I")]


def types_of(known: Iterable[str]) -> set[str]:
    """Entity types from a list of types or of IOB2 labels ("O" and B-/I- prefixes dropped)."""
    types = set()
    for item in known:
        if item == "O":
            continue
        match = _IOB2_LABEL.fullmatch(item)
        types.add(match[1] if match else item)
    return types


def align_to_labels(
    corpus: Corpus, known_types: Iterable[str], policy: UnknownTypePolicy = "map_to_o"
) -> Corpus:
    """`corpus` with only known types: unknown ones become O (warning) or raise DataError.

    `known_types` may be entity types or a label list as made by label_list.
    """
    if policy not in ("map_to_o", "reject"):
        raise ValueError(f"policy must be 'map_to_o' or 'reject', not {policy!r}")
    known = types_of(known_types)
    counts = entity_counts(corpus.sentences)
    unknown = {t: n for t, n in counts.items() if t not in known}
    if not unknown:
        return corpus
    listed = ", ".join(f"{t} ({n} entities)" for t, n in unknown.items())
    if policy == "reject":
        reason = f"entity types not in the training labels: {listed}"
        raise DataError([Problem(corpus.name, 0, reason)])
    total = sum(unknown.values())
    reason = f"{total} entities of types not in the training labels mapped to O: {listed}"
    dropped = set(unknown)
    sentences = [_drop_types(s, dropped) for s in corpus.sentences]
    problems = [*corpus.problems, Problem(corpus.name, 0, reason, "warning")]
    return Corpus(corpus.name, sentences, corpus.scheme, problems)


def _drop_types(sentence: Sentence, dropped: set[str]) -> Sentence:
    tags = tuple("O" if tag != "O" and tag[2:] in dropped else tag for tag in sentence.tags)
    if tags == sentence.tags:
        return sentence
    return Sentence(sentence.tokens, tags, sentence.line)
