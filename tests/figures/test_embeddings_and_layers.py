"""engine.figures' token map controls that do not overlap, the statistics' legend out of the
axis labels, translated texts, and the package's promise: no torch, storage or streamlit."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

from engine.figures import embedding_stats
from engine.figures.embeddings import MapLabels, MappingView, animated_figure, scatter_figure
from tests.fresh_imports import packages_loaded_by

REPO = Path(__file__).resolve().parents[2]
STAGES = ["initial", "after-task-0"]
PROBE = {"sentences": [["Alice", "flew"]], "sentence": [0, 0], "word": [0, 1],
         "gold": ["PER", "O"], "types": ["PER", "O"]}  # fmt: skip
POINTS = {s: {"order": i, "x": [0.0 + i, 1.0], "y": [0.0, 1.0 + i], "pred": ["PER", "O"],
              "centroids": {}} for i, s in enumerate(STAGES)}  # fmt: skip
CHINESE = MapLabels(
    hover_gold="金标：{gold}", stage_title="阶段：{stage}", stage_prefix="阶段：",
    play="▶ 播放", pause="⏸ 暂停", stage_names={"initial": "训练前", "after-task-0": "任务 1 之后"},
)  # fmt: skip


def view() -> MappingView:
    return MappingView(PROBE, STAGES, POINTS, {"stages": STAGES})


def test_play_pause_sit_above_the_plot_and_the_slider_label_at_its_right_end():
    layout = json.loads(animated_figure(view(), "gold type", True, CHINESE).to_json())["layout"]
    (menu,) = layout["updatemenus"]
    (slider,) = layout["sliders"]
    assert [b["label"] for b in menu["buttons"]] == ["▶ 播放", "⏸ 暂停"]
    assert menu["direction"] == "left"  # one row of buttons
    assert menu["y"] >= 1.0 and menu["yanchor"] == "bottom"  # above the plot...
    assert slider["y"] <= 0.0 and slider["yanchor"] == "top"  # ...the slider below it
    assert slider["currentvalue"] == {"prefix": "阶段：", "xanchor": "right"}
    assert [s["label"] for s in slider["steps"]] == ["训练前", "任务 1 之后"]
    assert [s["args"][0] for s in slider["steps"]] == [["initial"], ["after-task-0"]]
    assert layout["margin"]["t"] >= 40 and layout["margin"]["b"] >= 90  # room for both


def test_the_scatter_title_and_hover_use_the_callers_words():
    figure = scatter_figure(view(), "after-task-0", "gold type", True, CHINESE)
    assert figure.layout.title.text == "阶段：任务 1 之后"
    assert figure.data[0].text[0].endswith("<br>金标：PER<br>predicted: PER")


def test_the_separation_legend_sits_above_the_plot_not_on_its_stage_names():
    stats = {"stages": STAGES, "silhouette": {"initial": -0.2, "after-task-0": 0.3}}
    names = {"silhouette": "所有类型"}
    figure = embedding_stats.silhouette_figure(stats, names=names, title="分离")
    legend = figure.layout.legend
    assert legend.orientation == "h" and legend.yref == "container"  # from the figure's top
    assert legend.yanchor == "top" and 0.8 <= legend.y < figure.layout.title.y
    assert figure.layout.margin.t >= 100  # title and three wrapped rows above the plot
    assert [tr.name for tr in figure.data] == ["所有类型"]
    assert figure.layout.yaxis.range[0] <= -0.2  # a negative silhouette stays in view


def test_figures_import_only_plotly_numpy_pandas_and_themselves():
    allowed = {"plotly", "numpy", "pandas", "engine", "__future__"} | set(sys.stdlib_module_names)
    for path in sorted((REPO / "engine" / "figures").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"
                if name.startswith("engine"):
                    assert name.startswith("engine.figures"), f"{path.name} imports {name}"


def test_importing_every_figure_module_loads_no_torch_storage_or_streamlit():
    modules = sorted(p.stem for p in (REPO / "engine" / "figures").glob("*.py"))
    code = f"import importlib\nfor m in {modules!r}: importlib.import_module('engine.figures.' + m)"
    bad = ("torch", "transformers", "storage", "streamlit")
    assert packages_loaded_by(code, bad) == []
