"""CFNER's FG-a-PG-b split on a hand-made 4-type corpus with the step of every sentence known."""

from __future__ import annotations

import pytest

from engine.data.types import Sentence
from engine.protocols.cl_ner import (
    PROTOCOLS,
    build_stream,
    cl_ner_protocol,
    greedy_split,
    mention_frequency,
    split_quotas,
    type_groups,
)

TYPES = ["A", "B", "C", "D"]


def sent(*types: str, line: int = 0) -> Sentence:
    """One word per entity type, each a single-word mention, then a full stop."""
    tags = tuple(f"B-{t}" for t in types) + ("O",)
    return Sentence(tuple(f"w{i}" for i in range(len(tags))), tags, line)


# B- counts over the corpus: A 7, B 3, C 3, D 2 (C and D never meet in one sentence)
# FG-1-PG-1 (quota int(9/4) = 2 per step), sentence by sentence:
SPEC = [
    ("A", "B"),  # 0: rarest is B -> step B, although A has room
    ("A",),  # 1: A
    ("A", "C"),  # 2: C
    ("A", "D"),  # 3: D (rarest)
    ("A", "B"),  # 4: B (B now full)
    ("B", "C"),  # 5: C is as rare as B, B comes first in the order but is full -> C (full)
    ("D", "A"),  # 6: D (D now full)
    ("A",),  # 7: A (A now full)
    ("C",),  # 8: every step full -> used nowhere
]
TRAIN = [sent(*types, line=i) for i, types in enumerate(SPEC)]
DEV = [sent("A", "B", "C", "D")]
TEST = [sent("A", "B", "C", "D"), sent("D")]


def test_protocols_are_named_and_versioned():
    p = cl_ner_protocol(1, 1)
    assert (p.name, p.version, p.fg, p.pg) == ("cl-ner-fg1-pg1", 1, 1, 1)
    assert "cl-ner-fg2-pg1" in PROTOCOLS and PROTOCOLS["cl-ner-fg8-pg2"].pg == 2
    assert p.backbone == "bert-base-cased" and p.epochs_per_step == 10
    with pytest.raises(ValueError):
        p.fg = 3  # frozen: a protocol is a value


def test_type_groups_and_quotas():
    assert type_groups(TYPES, 1, 1) == [("A",), ("B",), ("C",), ("D",)]
    assert type_groups(TYPES, 2, 1) == [("A", "B"), ("C",), ("D",)]
    with pytest.raises(ValueError, match="FG-2-PG-3"):
        type_groups(TYPES, 2, 3)
    assert split_quotas(9, type_groups(TYPES, 1, 1)) == [2, 2, 2, 2]  # int(9 * 1/4)
    assert split_quotas(9, type_groups(TYPES, 2, 1)) == [4, 2, 2]  # int(9 * 2/4)


def test_mention_frequency_counts_b_tags():
    assert mention_frequency(TRAIN) == {"A": 7, "B": 3, "C": 3, "D": 2}


def test_fg1_pg1_step_membership_and_relabelling():
    stream = build_stream(cl_ner_protocol(1, 1), TRAIN, DEV, TEST, types=TYPES)
    steps = stream.steps
    assert [s.train_gold for s in steps] == [
        (TRAIN[1], TRAIN[7]),
        (TRAIN[0], TRAIN[4]),
        (TRAIN[2], TRAIN[5]),
        (TRAIN[3], TRAIN[6]),
    ]
    assert stream.unassigned == 1
    # only the step's own type stays; A in the B step's sentences is O now
    assert steps[1].train[0].tags == ("O", "B-B", "O")
    assert steps[2].train[1].tags == ("O", "B-C", "O")  # "B C": old B -> O
    assert steps[3].train[1].tags == ("B-D", "O", "O")  # "D A": old A -> O
    assert [s.seen_types for s in steps] == [("A",), ("A", "B"), ("A", "B", "C"), tuple(TYPES)]
    # dev: the whole dev set, the new types only; test: the whole test set, every seen type
    assert [s.dev[0].tags for s in steps][1] == ("O", "B-B", "O", "O", "O")
    assert stream.test_for(1)[0].tags == ("B-A", "B-B", "O", "O", "O")
    assert stream.test_for(1)[1].tags == ("O", "O")
    assert stream.test_for(3) == list(TEST)


def test_fg2_pg1_first_step_keeps_both_types():
    # quotas 4 / 2 / 2. Sentence 5 ("B C") goes to the first step: B is tried first (a tie
    # with C, broken by the type order) and its step still has room. Sentence 7 ("A") finds
    # the first step full and lands by the random fallback in the only step with room, C's.
    stream = build_stream(cl_ner_protocol(2, 1), TRAIN, DEV, TEST, types=TYPES)
    ids = [[s.line for s in step.train_gold] for step in stream.steps]
    assert ids == [[0, 1, 4, 5], [2, 7], [3, 6]]
    assert stream.unassigned == 1
    assert stream.steps[0].new_types == ("A", "B")
    assert stream.steps[0].train[0].tags == ("B-A", "B-B", "O")
    assert stream.steps[0].train[3].tags == ("B-B", "O", "O")  # "B C": future C -> O
    assert [s.tags for s in stream.steps[1].train] == [("O", "B-C", "O"), ("O", "O")]
    assert stream.steps[1].dev[0].tags == ("O", "O", "B-C", "O", "O")
    assert stream.test_for(1)[0].tags == ("B-A", "B-B", "B-C", "O", "O")


def test_sentences_without_room_go_to_the_step_that_has_some():
    corpus = [sent("A"), sent("A"), sent("A"), Sentence(("x",), ("O",))]
    assigned, dropped = greedy_split(corpus, [("A",), ("B",)], seed=5)
    # A's quota int(4/2) = 2 is used up by sentences 0 and 1; only B has room for 2 and 3
    assert (assigned, dropped) == ([[0, 1], [2, 3]], 0)


def test_random_fallback_is_seeded():
    corpus = [Sentence(("x",), ("O",))] * 12
    groups = [("A",), ("B",), ("C",)]
    first = greedy_split(corpus, groups, seed=3)
    assert first == greedy_split(corpus, groups, seed=3)
    assert sorted(len(ids) for ids in first[0]) == [4, 4, 4]  # quotas still bound it


def test_default_order_is_sorted_and_types_outside_it_are_never_taught():
    stream = build_stream(cl_ner_protocol(1, 1), TRAIN, DEV, TEST)
    assert stream.types == tuple(TYPES)
    partial = build_stream(cl_ner_protocol(1, 1), TRAIN, DEV, TEST, types=["D", "C"])
    assert [s.new_types for s in partial.steps] == [("D",), ("C",)]
    assert all("B-A" not in s.tags for step in partial.steps for s in step.train)
