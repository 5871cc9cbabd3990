"""Word-level type confusion on a hand-made example."""

from engine.metrics.confusion import type_confusion


def test_counts_gold_rows_against_predicted_columns():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    pred = [["B-PER", "O", "O", "B-ORG"], ["I-ORG", "B-PER"]]
    labels, m = type_confusion(gold, pred)
    assert labels == ["LOC", "ORG", "PER", "O"]
    assert m == [
        [0, 1, 0, 0],  # LOC -> ORG
        [0, 1, 0, 0],  # ORG -> ORG (prefix ignored)
        [0, 0, 1, 1],  # PER -> PER, and one PER word drifted into O
        [0, 0, 1, 1],  # O -> PER once, O once
    ]
    assert sum(map(sum, m)) == 6
