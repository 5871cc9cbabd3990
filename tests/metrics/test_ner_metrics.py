"""Entity-level scores on hand-made tag sequences with known answers."""

import pytest

from engine.metrics.ner import entity_report, repair_iob2


def test_micro_and_per_type_scores_on_known_example():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-ORG"]]
    pred = [["B-PER", "I-PER", "O", "B-ORG"], ["O", "B-ORG"]]
    r = entity_report(gold, pred)
    # 3 gold entities, 3 predicted, 2 correct (PER span, ORG in sentence 2)
    assert r.precision == pytest.approx(2 / 3)
    assert r.recall == pytest.approx(2 / 3)
    assert r.f1 == pytest.approx(2 / 3)
    assert r.support == 3
    assert r.per_type["PER"].f1 == 1.0
    assert r.per_type["LOC"].recall == 0.0 and r.per_type["LOC"].support == 1
    assert r.per_type["ORG"].precision == pytest.approx(0.5)
    assert r.per_type["ORG"].recall == 1.0


def test_partial_span_is_wrong_in_strict_mode():
    gold = [["B-ORG", "I-ORG", "I-ORG"]]
    pred = [["B-ORG", "I-ORG", "O"]]
    assert entity_report(gold, pred).f1 == 0.0


def test_orphan_inside_tag_in_prediction_starts_an_entity():
    assert repair_iob2(["O", "I-PER", "I-PER", "I-LOC"]) == ["O", "B-PER", "I-PER", "B-LOC"]
    r = entity_report([["O", "B-PER", "I-PER"]], [["O", "I-PER", "I-PER"]])
    assert r.f1 == 1.0


def test_no_entities_anywhere_is_zero_not_error():
    r = entity_report([["O", "O"]], [["O", "O"]])
    assert (r.precision, r.recall, r.f1, r.support) == (0.0, 0.0, 0.0, 0)


def test_length_mismatch_names_the_sentence():
    with pytest.raises(ValueError, match="sentence 0"):
        entity_report([["O"]], [["O", "O"]])
