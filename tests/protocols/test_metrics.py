"""The published metrics on hand-made predictions whose scores were worked out by hand."""

from __future__ import annotations

import math
import random

import pytest

from engine.metrics.ner import entity_report, repair_iob2
from engine.protocols.metrics import (
    Counts,
    cl_scores,
    cl_step_score,
    episode_counts,
    few_shot_summary,
    mean_ci,
    span_counts,
    t_quantile_975,
)

GOLD = [
    ["B-LOC", "I-LOC", "O", "B-PER"],
    ["B-ORG", "O", "B-LOC"],
    ["B-PER", "O", "O"],
]
AFTER_STEP_1 = [
    ["B-LOC", "I-LOC", "O", "B-LOC"],  # LOC right; PER read as LOC: one FP LOC, one FN PER
    ["B-ORG", "O", "B-LOC"],  # ORG is not seen yet: neither right nor wrong; LOC right
    ["B-PER", "O", "B-PER"],  # PER right, one spurious PER
]


def test_counts_precision_recall_f1():
    c = Counts(tp=3, fp=2, fn=1)
    assert (c.precision, c.recall) == (0.6, 0.75)
    assert c.f1 == pytest.approx(2 / 3)
    assert Counts().f1 == 0.0 and (Counts(1, 0, 0) + Counts(0, 1, 2)) == Counts(1, 1, 2)


def test_span_counts_per_type_restricted():
    counts = span_counts(GOLD, AFTER_STEP_1, ["LOC", "PER"])
    assert counts == {"LOC": Counts(2, 1, 0), "PER": Counts(1, 1, 1)}


def test_step_score_micro_and_macro_over_seen_types():
    step = cl_step_score(GOLD, AFTER_STEP_1, ["LOC", "PER"], step=1)
    # LOC: P 2/3, R 1 -> F1 0.8; PER: P 1/2, R 1/2 -> 0.5; micro: 3 TP, 2 FP, 1 FN
    assert step.per_type_f1 == pytest.approx({"LOC": 0.8, "PER": 0.5})
    assert step.macro_f1 == pytest.approx(0.65)
    assert step.micro_f1 == pytest.approx(2 / 3)
    assert step.counts == Counts(3, 2, 1)


def test_seen_type_absent_from_test_is_left_out_like_cfner():
    pred = [row[:] for row in GOLD]
    pred[2] = ["B-PER", "B-MISC", "O"]  # MISC was taught but the test set has none
    step = cl_step_score(GOLD, pred, ["LOC", "PER", "MISC"])
    assert set(step.per_type_f1) == {"LOC", "PER"}
    assert step.micro_f1 == 1.0 and step.macro_f1 == 1.0


def test_mean_over_steps_includes_the_first():
    summary = cl_scores(GOLD, [GOLD, AFTER_STEP_1], [["LOC"], ["LOC", "PER"]])
    assert [s.micro_f1 for s in summary.steps] == pytest.approx([1.0, 2 / 3])
    assert summary.mean_micro_f1 == pytest.approx((1 + 2 / 3) / 2)
    assert summary.mean_macro_f1 == pytest.approx((1 + 0.65) / 2)
    with pytest.raises(ValueError):
        cl_scores(GOLD, [GOLD], [["LOC"], ["PER"]])


def test_micro_f1_agrees_with_seqeval_strict():
    rng = random.Random(7)
    tags = ["O", "O", "B-A", "I-A", "B-B", "I-B"]
    for _ in range(40):
        gold = [repair_iob2(rng.choices(tags, k=rng.randint(1, 8))) for _ in range(5)]
        pred = [rng.choices(tags, k=len(g)) for g in gold]
        mine = sum(span_counts(gold, pred).values(), Counts()).f1
        assert mine == pytest.approx(entity_report(gold, pred).f1)


def test_pooled_and_episode_mean_differ():
    one_right = episode_counts([["B-X", "O"]], [["B-X", "O"]])
    nine_missed = episode_counts([["B-Y", "O"] for _ in range(9)], [["O", "O"]] * 9)
    assert (one_right, nine_missed) == (Counts(1, 0, 0), Counts(0, 0, 9))
    summary = few_shot_summary([one_right, nine_missed])
    # pooled: P 1, R 1/10 -> F1 2/11; per episode: 1 and 0 -> mean 0.5
    assert summary.pooled_f1 == pytest.approx(2 / 11)
    assert summary.episode_f1.mean == 0.5


def test_confidence_interval_width():
    ci = mean_ci([0.2, 0.4, 0.6])  # mean 0.4, sample std 0.2, n 3
    assert ci.mean == pytest.approx(0.4)
    assert ci.half_width == pytest.approx(4.302653 * 0.2 / math.sqrt(3))
    assert (ci.low, ci.high) == pytest.approx((0.4 - 0.496828, 0.4 + 0.496828), abs=1e-6)
    normal = mean_ci([0.2, 0.4, 0.6], method="normal")
    assert normal.half_width == pytest.approx(1.959964 * 0.2 / math.sqrt(3))
    assert math.isnan(mean_ci([0.3]).half_width)


def test_t_quantiles_match_scipy():
    stats = pytest.importorskip("scipy.stats")
    for df in [*range(1, 40), 50, 100, 1000, 5000]:
        assert t_quantile_975(df) == pytest.approx(stats.t.ppf(0.975, df), abs=1e-5)


def test_lengths_are_checked():
    with pytest.raises(ValueError, match="sentence 0"):
        span_counts([["O", "O"]], [["O"]])
