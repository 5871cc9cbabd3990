"""Label lists and entity types seen only in dev/test: mapped to O with a warning, or rejected."""

from __future__ import annotations

import pytest

from engine.data.labels import align_to_labels, label_list, types_of
from engine.data.types import Corpus, DataError, Sentence


def _corpus(name: str, *rows: str) -> Corpus:
    tag_rows = [tuple(row.split()) for row in rows]
    sentences = [Sentence(("w",) * len(tags), tags, i + 1) for i, tags in enumerate(tag_rows)]
    return Corpus(name, sentences)


TRAIN = _corpus("train", "B-PER I-PER O B-LOC", "B-ORG O")
DEV = _corpus("dev", "B-PER O B-EVENT I-EVENT", "B-EVENT O B-MONEY", "O B-LOC")


def test_label_list_is_o_then_sorted_types():
    assert label_list([TRAIN]) == ["O", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-PER", "I-PER"]
    assert label_list([TRAIN, DEV])[1:3] == ["B-EVENT", "I-EVENT"]
    assert label_list([]) == ["O"]


def test_types_of_accepts_types_or_labels():
    assert types_of(["O", "B-PER", "I-PER", "B-creative-work"]) == {"PER", "creative-work"}
    assert types_of(["PER", "LOC"]) == {"PER", "LOC"}


def test_unknown_types_map_to_o_with_a_warning_listing_them():
    aligned = align_to_labels(DEV, label_list([TRAIN]))
    assert [s.tags for s in aligned.sentences] == [
        ("B-PER", "O", "O", "O"),
        ("O", "O", "O"),
        ("O", "B-LOC"),
    ]
    (warning,) = aligned.problems
    assert warning.severity == "warning"
    assert "3 entities" in warning.reason
    assert "EVENT (2 entities), MONEY (1 entities)" in warning.reason
    assert DEV.sentences[0].tags[2] == "B-EVENT"  # the input corpus is not changed


def test_reject_policy_raises_data_error_naming_the_types():
    with pytest.raises(DataError, match="EVENT \\(2 entities\\), MONEY"):
        align_to_labels(DEV, ["PER", "LOC", "ORG"], policy="reject")


def test_known_types_only_returns_the_corpus_unchanged():
    assert align_to_labels(TRAIN, ["PER", "LOC", "ORG", "EXTRA"]) is TRAIN


def test_bad_policy_is_a_value_error():
    with pytest.raises(ValueError, match="policy"):
        align_to_labels(DEV, ["PER"], policy="drop")  # type: ignore[arg-type]
