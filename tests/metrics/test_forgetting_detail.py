"""Spans, restricted tags, forgotten examples and type drift on hand-made tag sequences."""

from __future__ import annotations

from engine.metrics.forgetting_detail import (
    entity_spans,
    forgotten_examples,
    restrict_tags,
    type_drift,
)


def test_entity_spans_repairs_like_scoring():
    assert entity_spans(["B-PER", "I-PER", "O", "B-LOC"]) == [("PER", 0, 2), ("LOC", 3, 4)]
    assert entity_spans(["I-ORG", "I-ORG", "B-ORG"]) == [("ORG", 0, 2), ("ORG", 2, 3)]
    assert entity_spans(["B-PER", "I-LOC"]) == [("PER", 0, 1), ("LOC", 1, 2)]
    assert entity_spans(["O", "O"]) == []


def test_restrict_tags_keeps_only_the_given_types():
    tags = ["B-PER", "I-PER", "B-LOC", "O", "B-ORG"]
    assert restrict_tags(tags, ["PER", "ORG"]) == ["B-PER", "I-PER", "O", "O", "B-ORG"]


def test_type_drift_counts_where_gold_tokens_went():
    gold = [["B-LOC", "I-LOC", "B-PER", "O"], ["B-LOC", "O"]]
    pred = [["B-LOC", "O", "B-ORG", "B-LOC"], ["B-PER", "O"]]
    drift = type_drift(gold, pred, ["LOC", "PER"])
    assert drift["LOC"] == {"same": 1, "O": 1, "other": {"PER": 1}, "total": 3}
    assert drift["PER"] == {"same": 0, "O": 0, "other": {"ORG": 1}, "total": 1}


def test_forgotten_examples_right_after_the_task_and_wrong_at_the_end():
    tokens = [["Ann", "ran"], ["Bob", "sat"], ["Cy", "ate"], ["no", "one"]]
    gold = [["B-PER", "O"], ["B-PER", "O"], ["B-PER", "O"], ["O", "O"]]
    after_task_0 = [["B-PER", "O"], ["B-PER", "O"], ["O", "O"], ["O", "O"]]
    after_task_1 = [["B-LOC", "O"], ["B-PER", "O"], ["O", "O"], ["O", "O"]]
    found = forgotten_examples(tokens, gold, [after_task_0, after_task_1], ["PER"], learned_at=0)
    # sentence 0 was right and is now wrong; 1 is still right; 2 was never right; 3 has no PER
    assert [e["sentence"] for e in found] == [0]
    (ex,) = found
    assert ex["tokens"] == ["Ann", "ran"] and ex["gold"] == [["PER", 0, 1]]
    assert ex["predicted"] == {"0": [["PER", 0, 1]], "1": [["LOC", 0, 1]]}


def test_forgotten_examples_are_capped():
    tokens = [["A"]] * 10
    gold = [["B-PER"]] * 10
    stages = [[["B-PER"]] * 10, [["O"]] * 10]
    assert len(forgotten_examples(tokens, gold, stages, ["PER"], 0, limit=3)) == 3
