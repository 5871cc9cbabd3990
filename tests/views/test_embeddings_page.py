"""The Embeddings page: token map per stage, colours, animation, arrows and the statistics."""

from __future__ import annotations

import json

import pytest

from engine.config import parse_config
from engine.figures.embeddings import (
    MappingView,
    add_type_arrows,
    animated_figure,
    categories,
    hover_texts,
    matching_tokens,
)
from storage import continual as continual_store
from storage import runs
from storage.db import write_session
from storage.models import RunStatus

from .conftest import chart, click, open_page

STAGES = ["initial", "after-task-0", "after-task-1"]
PROBE = {
    "sentences": [["Alice", "flew", "to", "Paris"], ["<b>Bob</b>", "left", "paris", "today"]],
    "sentence": [0, 0, 0, 1, 1, 1],
    "word": [0, 1, 3, 0, 1, 2],
    "gold": ["PER", "O", "LOC", "PER", "O", "LOC"],
    "types": ["LOC", "PER", "O"],
    "stages": STAGES,
    "layer": -1,
    "projection": "pca",
}
PRED = {
    "initial": ["O", "O", "O", "O", "O", "O"],
    "after-task-0": ["PER", "O", "O", "PER", "O", "O"],
    "after-task-1": ["O", "O", "LOC", "O", "O", "LOC"],  # PER forgotten into O
}


def points(i: int, stage: str) -> dict:
    xs = [10.0 * i + k for k in range(6)]
    ys = [-5.0 * i + k for k in range(6)]
    return {
        "order": i,
        "x": xs,
        "y": ys,
        "pred": PRED[stage],
        "centroids": {"PER": [xs[0] + 1.5, ys[0] + 1.5], "LOC": [xs[2] + 1.5, ys[2] + 1.5],
                      "O": [xs[1] + 1.5, ys[1] + 1.5]},
    }  # fmt: skip


STATS = {
    "stages": STAGES,
    "silhouette": {"initial": -0.02, "after-task-0": 0.31, "after-task-1": 0.12},
    "silhouette_entities": {"initial": 0.0, "after-task-0": 0.2, "after-task-1": 0.05},
    "type_accuracy": {"initial": 0.33, "after-task-0": 0.67, "after-task-1": 0.67},
    "centroid_shift": {"after-task-0": {"PER": 0.4, "LOC": 0.1, "O": 0.05},
                       "after-task-1": {"PER": 0.6, "LOC": 0.3, "O": 0.05}},
    "centroid_shift_from_first": {"after-task-0": {"PER": 0.4, "LOC": 0.1, "O": 0.05},
                                  "after-task-1": {"PER": 0.7, "LOC": 0.35, "O": 0.08}},
    "cka": [[1.0, 0.8, 0.6], [0.8, 1.0, 0.7], [0.6, 0.7, 1.0]],
}  # fmt: skip


def view() -> MappingView:
    return MappingView(PROBE, STAGES, {s: points(i, s) for i, s in enumerate(STAGES)}, STATS)


@pytest.fixture
def mapped_run(fake_jobs) -> int:
    raw = {"name": "stream", "backbone": "tiny", "strategy": {"kind": "continual"}}
    with write_session() as s:
        run_id = runs.create_run(
            s, name="stream", kind="continual", method="naive", config=parse_config(raw).to_dict()
        )
        continual_store.add_record(s, run_id, kind="embedding_probe", stage=None, payload=PROBE)
        for i, stage in enumerate(STAGES):
            payload = points(i, stage)
            continual_store.add_record(
                s, run_id, kind="embedding_points", stage=stage, payload=payload
            )
        continual_store.add_record(s, run_id, kind="mapping_stats", stage=None, payload=STATS)
        summary = {k: STATS[k] for k in ("stages", "silhouette", "cka", "centroid_shift")}
        runs.update_summary(s, run_id, {"mapping": summary})
        runs.transition(s, run_id, RunStatus.RUNNING)
        runs.transition(s, run_id, RunStatus.SUCCEEDED)
    return run_id


def charts(at) -> dict[str, dict]:
    return {c.proto.id: json.loads(c.proto.spec) for c in at.get("plotly_chart")}


def test_hover_shows_the_token_in_its_sentence_escaped():
    texts = hover_texts(PROBE)
    assert texts[2] == "Alice flew to <b>Paris</b><br>gold: LOC"
    assert texts[3].startswith("<b>&lt;b&gt;Bob&lt;/b&gt;</b> left")  # no markup from data


def test_colour_groups_by_gold_correctness_and_prediction():
    v = view()
    assert categories(v, "after-task-1", "gold type") == PROBE["gold"]
    assert categories(v, "after-task-1", "correctness") == [
        "wrong", "correct", "correct", "wrong", "correct", "correct",
    ]  # fmt: skip
    assert categories(v, "after-task-0", "predicted type")[0] == "PER"


def test_animation_has_a_frame_per_stage_with_stable_ids_and_arrows_per_type():
    v = view()
    figure = animated_figure(v, "gold type", show_o=False)
    assert [f.name for f in figure.frames] == STAGES
    per_frame = [[list(tr.ids) for tr in f.data] for f in figure.frames]
    assert per_frame[0] == per_frame[-1] == [["2", "5"], ["0", "3"], []]  # LOC, PER, O hidden
    assert figure.layout.updatemenus[0].buttons[0].label == "▶ Play"
    add_type_arrows(figure, v, "initial", "after-task-1", ["PER"])
    (note,) = figure.layout.annotations
    assert (note.ax, note.ay, note.x, note.y) == (1.5, 1.5, 21.5, -8.5)
    assert matching_tokens(v, "PARIS") == [2, 5]


def test_the_page_explains_when_no_run_has_a_mapping(fake_jobs):
    at = open_page("views/embeddings.py")
    assert not at.exception, [e.value for e in at.exception]
    assert "No run has captured" in at.info[0].value


def test_a_run_s_map_colours_stages_arrows_and_statistics(mapped_run):
    at = open_page("views/embeddings.py", run=str(mapped_run))
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    scatter = chart(at, "emb_scatter")
    # one stage vocabulary (views.parts.stages): 1-based tasks, as every page counts them
    assert scatter["layout"]["title"]["text"] == "stage: after task 2"
    assert [tr["name"] for tr in scatter["data"]] == ["LOC", "PER", "O"]
    assert {"emb_silhouette", "emb_cka", "emb_shift"} <= {
        k for cid in charts(at) for k in ("emb_silhouette", "emb_cka", "emb_shift") if k in cid
    }
    assert chart(at, "emb_cka")["data"][0]["z"][0] == [1.0, 0.8, 0.6]

    at.select_slider(key="emb_stage").set_value("initial")
    at.radio(key="emb_colour").set_value("correctness").run()
    scatter = chart(at, "emb_scatter")
    assert scatter["layout"]["title"]["text"] == "stage: before training"
    assert [len(tr["x"]) for tr in scatter["data"]] == [2, 4]  # correct (O), wrong

    at.selectbox(key="emb_arrow_type").set_value("PER")
    at.text_input(key="emb_search").set_value("paris").run()
    notes = chart(at, "emb_scatter")["layout"]["annotations"]
    assert len(notes) == 1 + 2  # PER's centroid, and both occurrences of paris
    assert any("2 occurrence(s)" in c.value for c in at.caption)

    at.toggle(key="emb_animate").set_value(True).run()
    assert not at.exception
    assert [f["name"] for f in chart(at, "emb_scatter")["frames"]] == STAGES


def test_run_page_shows_the_lineage_and_links_the_embeddings(mapped_run):
    configs = [
        ("mlm", "pretrain", "continued", {"kind": "pretrain"}, "tiny"),
        ("tagger", "finetune", "full", {"kind": "finetune"}, "run:{prev}"),
        ("stream", "continual", "naive", {"kind": "continual"}, "run:{prev}"),
    ]
    ids: list[int] = []
    with write_session() as s:
        for name, kind, method, strategy, backbone in configs:
            prev = ids[-1] if ids else 0
            raw = {"name": name, "backbone": backbone.format(prev=prev), "strategy": strategy}
            config = parse_config(raw).to_dict()
            ids.append(runs.create_run(s, name=name, kind=kind, method=method, config=config))
        runs.add_metric_points(s, ids[0], [(0, "heldout_perplexity", 900.0, None),
                                           (10, "heldout_perplexity", 300.0, None),
                                           (10, "train_loss", 6.0, None)])  # fmt: skip
    at = open_page("views/runs.py", run=str(ids[1]))
    assert not at.exception, [e.value for e in at.exception]
    lines = [m.value for m in at.markdown if m.value.startswith("🧬")]
    assert lines == [f"🧬 #{ids[0]} pretrain → **#{ids[1]} finetune** → #{ids[2]} continual"]

    at = open_page("views/runs.py", run=str(ids[0]))  # a pretrain run: loss and perplexity
    assert any("heldout_perplexity" in c.proto.id for c in at.get("plotly_chart"))

    at = open_page("views/runs.py", run=str(mapped_run))
    links = [link.proto.page for link in at.get("page_link")]
    assert "embeddings" in links, links


def test_the_wizard_builds_a_pretrain_run_that_chains(fake_jobs):
    at = open_page("views/train.py")
    click(at, "wiz_next_data")
    at.radio(key="wiz_backbone").set_value("tiny")
    click(at, "wiz_next_backbone")
    at.selectbox(key="wiz_strategy_kind").set_value("pretrain").run()
    keys = {str(w.key) for kind in (at.radio, at.text_input) for w in kind}
    assert {"wiz_strategy_mode", "wiz_strategy_corpus"} <= keys
    assert "wiz_strategy_vocab" not in keys  # a from_scratch setting, hidden when continuing
    at.radio(key="wiz_strategy_mode").set_value("from_scratch").run()
    at.radio(key="wiz_strategy_vocab").set_value("corpus")
    at.text_input(key="wiz_strategy_corpus").set_value("builtin:science")
    click(at, "wiz_next_strategy")
    click(at, "wiz_next_hyperparameters")
    click(at, "wiz_launch")
    (cfg,) = fake_jobs.submitted
    assert (cfg.strategy.kind, cfg.strategy.mode, cfg.strategy.vocab) == (
        "pretrain", "from_scratch", "corpus",
    )  # fmt: skip
    assert cfg.strategy.corpus == "builtin:science" and cfg.mapping.enabled


def test_play_pause_and_the_statistics_legend_leave_the_labels_readable(mapped_run):
    at = open_page("views/embeddings.py", run=str(mapped_run))
    legend = chart(at, "emb_silhouette")["layout"]["legend"]
    assert legend["orientation"] == "h" and legend["yref"] == "container"  # not on the axis
    assert legend["yanchor"] == "top" and legend["y"] < 1.0
    at.toggle(key="emb_animate").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    layout = chart(at, "emb_scatter")["layout"]
    (menu,), (slider,) = layout["updatemenus"], layout["sliders"]
    assert [b["label"] for b in menu["buttons"]] == ["▶ Play", "⏸ Pause"]
    assert menu["direction"] == "left" and menu["y"] >= 1.0  # one row, above the plot
    assert slider["y"] <= 0.0 and slider["len"] == 1.0  # the slider alone below it
    assert slider["currentvalue"]["xanchor"] == "right"  # its label away from the buttons
    assert slider["currentvalue"]["prefix"] == "stage: "
