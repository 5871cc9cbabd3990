"""ACC / BWT / FWT / forgetting on hand-made matrices with known answers (docs/DESIGN.md)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine.metrics.continual import (
    accuracy,
    backward_transfer,
    continual_summary,
    forgetting,
    forgetting_per_task,
    forward_transfer,
)

# R[1][0] = 0.85 > R[0][0]: forgetting takes the best earlier score, BWT the diagonal.
R3 = [
    [0.80, 0.10, 0.00],
    [0.85, 0.90, 0.20],
    [0.50, 0.70, 0.95],
]
B3 = [0.05, 0.10, 0.00]


def test_three_tasks():
    assert accuracy(R3) == pytest.approx((0.50 + 0.70 + 0.95) / 3)
    assert backward_transfer(R3) == pytest.approx(((0.50 - 0.80) + (0.70 - 0.90)) / 2)
    assert forward_transfer(R3, B3) == pytest.approx(((0.10 - 0.10) + (0.20 - 0.00)) / 2)
    assert forgetting_per_task(R3) == pytest.approx([0.85 - 0.50, 0.90 - 0.70])
    assert forgetting(R3) == pytest.approx((0.35 + 0.20) / 2)


def test_two_tasks():
    R = np.array([[0.8, 0.3], [0.4, 0.9]])
    assert accuracy(R) == pytest.approx(0.65)
    assert backward_transfer(R) == pytest.approx(-0.4)
    assert forward_transfer(R, [0.0, 0.1]) == pytest.approx(0.2)
    assert forgetting(R) == pytest.approx(0.4)


def test_one_task_has_no_transfer_or_forgetting():
    summary = continual_summary([[0.7]], [0.1])
    assert summary["acc"] == pytest.approx(0.7)
    assert summary["bwt"] is None and summary["fwt"] is None and summary["forgetting"] is None
    assert summary["forgetting_per_task"] == []
    json.dumps(summary, allow_nan=False)  # None, never NaN


def test_no_forgetting_when_scores_only_grow():
    R = [[0.5, 0.0], [0.6, 0.7]]
    assert backward_transfer(R) == pytest.approx(0.1)
    assert forgetting(R) == pytest.approx(-0.1)  # negative: the old task improved


def test_summary_is_plain_json():
    summary = continual_summary(np.array(R3), np.array(B3))
    assert summary["matrix"] == R3 and summary["baseline"] == B3
    assert set(summary) >= {"matrix", "baseline", "acc", "bwt", "fwt", "forgetting"}
    json.dumps(summary, allow_nan=False)


@pytest.mark.parametrize("bad", [[], [[0.1, 0.2]], [[0.1], [0.2]], [0.1, 0.2]])
def test_matrix_must_be_square(bad):
    with pytest.raises(ValueError, match="square"):
        accuracy(bad)


def test_baseline_needs_one_value_per_task():
    with pytest.raises(ValueError, match="3 values"):
        forward_transfer(R3, [0.0, 0.1])
