"""engine.lessons.margin on hand-made numbers: the paired t interval, the F1 and BWT
approximations, and the "at least twice the half-width" rule."""

from __future__ import annotations

import math

import pytest

from engine.lessons import margin


def test_paired_interval_is_the_t_interval_of_the_differences():
    # differences 0.1, 0.2, 0.3: mean 0.2, sd 0.1, t(2) = 4.303
    m = margin.paired([0.5, 0.6, 0.7], [0.4, 0.4, 0.4])
    assert m.effect == pytest.approx(0.2)
    assert m.half == pytest.approx(4.303 * 0.1 / math.sqrt(3))
    assert m.items == 3 and not m.clear  # 0.2 < 2 x 0.248
    many = margin.paired([0.5, 0.6, 0.7] * 10, [0.4] * 30)  # t(29) -> the df 25 row, 2.060
    sd = math.sqrt(10 * 0.02 / 29)  # ten each of -0.1, 0, +0.1 around the mean
    assert many.half == pytest.approx(2.060 * sd / math.sqrt(30))
    assert many.clear and many.ratio == pytest.approx(0.2 / many.half)


def test_paired_needs_the_same_items_and_one_score_has_no_interval():
    with pytest.raises(ValueError, match="pair the same items"):
        margin.paired([0.1, 0.2], [0.1])
    with pytest.raises(ValueError, match="no scores"):
        margin.paired([], [])
    lone = margin.paired([0.3], [0.1])
    assert lone.half is None and not lone.clear and lone.ratio is None
    exact = margin.paired([0.3, 0.3], [0.1, 0.1])  # no spread: an exact difference
    assert exact.half == 0 and exact.clear and exact.ratio == math.inf


def test_f1_difference_reads_each_f1_as_a_proportion_over_the_entities():
    m = margin.f1_difference(0.5, 0.3, 98)
    # pseudo-counts: p = (49 + 1) / 100 = 0.5 and (29.4 + 1) / 100 = 0.304
    var = 0.5 * 0.5 / 98 + 0.304 * 0.696 / 98
    assert m.effect == pytest.approx(0.2) and m.half == pytest.approx(1.96 * math.sqrt(var))
    assert not m.clear  # 0.2 < 2 x 0.135: 98 entities are too few for this difference
    assert margin.f1_difference(0.7, 0.3, 98).clear  # 0.4 >= 2 x 0.128
    assert margin.f1_variance(0.0, 10) > 0  # an F1 of 0 still has noise
    with pytest.raises(ValueError, match="no entities"):
        margin.f1_variance(0.5, 0)


def test_bwt_difference_adds_the_noise_of_the_cells_the_runs_do_not_share():
    kept = [[0.6, 0.0, 0.0], [0.5, 0.7, 0.0], [0.4, 0.6, 0.8]]  # BWT (-0.2 - 0.1) / 2 = -0.15
    lost = [[0.6, 0.0, 0.0], [0.0, 0.8, 0.0], [0.0, 0.0, 0.8]]  # BWT (-0.6 - 0.8) / 2 = -0.7
    m = margin.bwt_difference(kept, lost, [98, 120, 80])
    assert m.effect == pytest.approx(0.55) and m.items == 80
    # R[0][0] is the same model in both runs (task 1 trains alike): no noise; R[1][1], R[2][0]
    # and R[2][1] differ, each adding both runs' variance; two old tasks: / 2^2
    cells = [(0.7, 120), (0.8, 120), (0.4, 98), (0.0, 98), (0.6, 120), (0.0, 120)]
    var = sum(margin.f1_variance(f, n) for f, n in cells) / 4
    assert m.half == pytest.approx(1.96 * math.sqrt(var)) and m.clear
    assert margin.cell_pair_variance(0.6, 0.6, 98) == 0
    same = margin.bwt_difference(lost, lost, [98, 120, 80])
    assert same.effect == 0 and same.half == 0 and not same.clear  # no effect is never clear
    close = margin.bwt_difference([[0.6, 0.0], [0.02, 0.7]], [[0.6, 0.0], [0.0, 0.7]], [98, 98])
    assert close.effect == pytest.approx(0.02) and not close.clear
    with pytest.raises(ValueError, match="square matrices"):
        margin.bwt_difference(kept, lost, [98])
