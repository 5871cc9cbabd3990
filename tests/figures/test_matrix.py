"""engine.figures.matrix: every cell's colour and number at its own categorical position."""

from __future__ import annotations

import json
import math

import pytest

from engine.figures.matrix import heatmap, r_matrix

NAN = math.nan
BASELINE = [0.02, 0.01, 0.03, 0.00]
ROWS = [
    [0.81, 0.05, 0.02, 0.01],
    [0.12, 0.77, 0.04, 0.02],
    [NAN, NAN, NAN, NAN],  # task 3 not scored yet
    [None, None, None, None],  # nor task 4
]
TASKS = ["t1", "t2", "t3", "t4"]
STAGES = ["b", "1", "2", "3", "4"]  # digits must stay row names, not numbers


def spec(figure) -> dict:
    return json.loads(figure.to_json())


def test_a_race_thumbnail_keeps_every_row_as_a_category_with_its_own_numbers():
    figure = spec(r_matrix(BASELINE, ROWS, TASKS, STAGES, small=True))
    (trace,) = figure["data"]
    assert trace["z"] == [
        BASELINE,
        ROWS[0],
        ROWS[1],
        [None, None, None, None],  # NaN is drawn empty: JSON null, never the text "NaN"
        [None, None, None, None],
    ]
    assert trace["text"] == [
        ["0.02", "0.01", "0.03", "0.00"],
        ["0.81", "0.05", "0.02", "0.01"],
        ["0.12", "0.77", "0.04", "0.02"],
        ["", "", "", ""],
        ["", "", "", ""],
    ]
    assert trace["texttemplate"] == "%{text}" and trace["hoverongaps"] is False
    assert (trace["x"], trace["y"]) == (TASKS, STAGES)
    layout = figure["layout"]
    assert layout["yaxis"]["type"] == "category"
    assert layout["yaxis"]["categoryarray"] == STAGES  # all five rows, in order
    assert layout["yaxis"]["autorange"] == "reversed"  # before training on top
    assert layout["xaxis"]["type"] == "category" and layout["xaxis"]["categoryarray"] == TASKS
    assert trace["showscale"] is False
    assert "NaN" not in figure_json(BASELINE, ROWS)


def figure_json(baseline, rows) -> str:
    return r_matrix(baseline, rows, TASKS, STAGES).to_json()


def test_every_r_matrix_uses_the_one_score_scale_on_zero_to_one():
    big = spec(r_matrix(BASELINE, ROWS, TASKS, STAGES, x_title="scored on"))["data"][0]
    small = spec(r_matrix(BASELINE, ROWS, TASKS, STAGES, small=True))["data"][0]
    assert big["colorscale"] == small["colorscale"]
    assert (big["zmin"], big["zmax"]) == (small["zmin"], small["zmax"]) == (0.0, 1.0)
    assert big["showscale"] is True


@pytest.mark.parametrize(
    ("labels", "title", "x_title"),
    [
        (["before training", "after task 1"], "Accuracy matrix", "scored on"),
        (["训练前", "任务 1 之后"], "准确率矩阵", "评估数据"),
    ],
)
def test_labels_of_either_language_are_drawn_as_given(labels, title, x_title):
    figure = spec(r_matrix([0.1], [[0.9]], ["任务 1"], labels, title=title, x_title=x_title))
    assert figure["data"][0]["y"] == labels and figure["data"][0]["x"] == ["任务 1"]
    assert figure["layout"]["title"]["text"] == title
    assert figure["layout"]["xaxis"]["title"]["text"] == x_title


def test_a_heatmap_whose_labels_do_not_fit_its_rows_is_refused():
    with pytest.raises(ValueError, match="5 x 4 heatmap"):
        heatmap([BASELINE, *ROWS[:3]], TASKS, STAGES)
    with pytest.raises(ValueError):
        heatmap([[1.0, 2.0]], ["a"], ["r"])


def test_counts_keep_their_integers_and_their_own_range():
    from engine.figures.confusion import confusion

    trace = spec(confusion(["LOC", "O"], [[3, 1], [0, 50]], gold="金标", predicted="预测"))
    (heat,) = trace["data"]
    assert heat["z"] == [[3, 1], [0, 50]] and heat["text"] == [["3", "1"], ["0", "50"]]
    assert heat["zmin"] == 0 and "zmax" not in heat
    assert trace["layout"]["yaxis"]["title"]["text"] == "金标"
    assert trace["layout"]["xaxis"]["title"]["text"] == "预测"
