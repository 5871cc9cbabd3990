"""engine.figures.curves and the bars: colours that differ, ranges that make sense, labels
passed through in either language."""

from __future__ import annotations

import json
import math

import pytest

from engine.figures import bars, forgetting, methods
from engine.figures.curves import ema, metric_curve, overlay


def spec(figure) -> dict:
    return json.loads(figure.to_json())


def test_raw_and_smoothed_loss_differ_in_colour_and_width():
    figure = spec(
        metric_curve(
            list(range(50)), [2.0 / (i + 1) for i in range(50)],
            title="Training loss", x_title="step", smoothing=0.6,
            raw_name="raw", smoothed_name="smoothed",
        )
    )  # fmt: skip
    raw, smoothed = figure["data"]
    assert (raw["name"], smoothed["name"]) == ("raw", "smoothed")
    assert raw["line"]["color"] != smoothed["line"]["color"]
    assert smoothed["line"]["width"] > raw["line"]["width"]
    assert smoothed["y"] == pytest.approx(ema([2.0 / (i + 1) for i in range(50)], 0.6))
    assert figure["layout"]["showlegend"] is True


def test_dev_f1_with_one_point_sits_on_zero_to_one_with_a_visible_marker():
    figure = spec(metric_curve([20], [0.5], title="Dev F1", x_title="step", score=True))
    (trace,) = figure["data"]
    assert figure["layout"]["yaxis"]["range"] == [0.0, 1.0]
    assert trace["mode"] == "lines+markers" and trace["y"] == [0.5]
    assert figure["layout"]["showlegend"] is False


def test_smoothing_a_single_point_draws_it_once():
    figure = spec(metric_curve([1], [3.0], title="loss", x_title="step", smoothing=0.6))
    assert len(figure["data"]) == 1


@pytest.mark.parametrize(
    ("title", "x_title", "raw", "smoothed"),
    [("Training loss", "step", "raw", "smoothed"), ("训练损失", "步数", "原始", "平滑后")],
)
def test_both_languages_labels_reach_the_figure(title, x_title, raw, smoothed):
    figure = spec(
        metric_curve([1, 2, 3], [3.0, 2.0, 1.0], title=title, x_title=x_title, smoothing=0.5,
                     raw_name=raw, smoothed_name=smoothed)
    )  # fmt: skip
    assert figure["layout"]["title"]["text"] == title
    assert figure["layout"]["xaxis"]["title"]["text"] == x_title
    assert [tr["name"] for tr in figure["data"]] == [raw, smoothed]


def test_overlay_gives_each_run_its_own_colour_and_scores_their_range():
    figure = spec(overlay({"#3 naive": ([1, 2], [0.2, 0.4]), "#4 ewc": ([1], [0.3])}, score=True))
    a, b = figure["data"]
    assert (a["name"], b["name"]) == ("#3 naive", "#4 ewc")
    assert a["line"]["color"] != b["line"]["color"]
    assert figure["layout"]["yaxis"]["range"] == [0.0, 1.0]


def test_ema_is_debiased_and_skips_nan():
    assert ema([1.0, 1.0, 1.0], 0.9) == [1.0, 1.0, 1.0]  # no ramp from zero
    assert ema([0.0, 10.0], 0.5)[1] == pytest.approx(10.0 * 0.5 / 0.75)
    smoothed = ema([math.nan, 2.0], 0.5)
    assert math.isnan(smoothed[0]) and smoothed[1] == 2.0


def test_forgetting_curves_follow_each_task_over_the_stages_in_order():
    rows = [[0.02, 0.01], [0.81, 0.05], [0.12, 0.77]]
    stages = ["训练前", "任务 1 之后", "任务 2 之后"]
    figure = spec(forgetting.forgetting_curves(rows, ["PER", "LOC"], stages))
    per, loc = figure["data"]
    assert (per["name"], per["x"], per["y"]) == ("PER", stages, [0.02, 0.81, 0.12])
    assert loc["y"] == [0.01, 0.05, 0.77]
    assert figure["layout"]["xaxis"]["categoryarray"] == stages
    assert figure["layout"]["yaxis"]["range"] == [0.0, 1.0]


def test_per_type_bars_and_ci_bars_show_the_values_given():
    per_type = {"PER": {"precision": 0.9, "recall": 0.8, "f1": 0.85}, "LOC": {"f1": 0.3}}
    figure = spec(bars.per_type_bars(per_type, metrics={"f1": "F1 值"}))
    (f1,) = figure["data"]
    assert (f1["name"], f1["x"], f1["y"]) == ("F1 值", ["LOC", "PER"], [0.3, 0.85])
    assert figure["layout"]["yaxis"]["range"] == [0.0, 1.0]
    ci = spec(methods.ci_bars(["#1 protonet", "#2 maml"], [0.4, 0.3], [0.05, None], chosen=1))
    (bar,) = ci["data"]
    assert bar["y"] == [0.4, 0.3] and bar["error_y"]["array"] == [0.05, 0]
    assert bar["marker"]["color"][0] != bar["marker"]["color"][1]  # the chosen run stands out
