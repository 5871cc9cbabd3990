"""The Meta page: scores with CI, methods side by side, adaptation curves, the episode viewer
and the prototype map of meta runs; and the Train wizard's meta section."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import yaml

from engine.config import parse_config
from storage import continual as records_store
from storage import runs
from storage.db import write_session
from storage.models import Run, RunStatus

from .conftest import chart, click, ok, open_page

GROUP = "meta-race-1"
F1 = {"protonet": (0.41, 0.05), "maml": (0.33, 0.07), "finetune-baseline": (0.12, 0.04)}
EPISODE = {
    "types": ["CHEM", "GENE"],
    "support": {"word": [["Aspirin", "blocks", "BRCA1"]], "tags": [["B-CHEM", "O", "B-GENE"]]},
    "query": {
        "word": [["<b>x</b>", "and", "TP53"]],
        "tags": [["B-CHEM", "O", "B-GENE"]],
        "predicted": [["B-CHEM", "O", "O"]],
    },
    "f1": 0.5,
}
PROTOTYPE_MAP = {
    "types": ["O", "CHEM", "GENE"],
    "explained": [0.6, 0.3],
    "query": {"x": [0.0, 1.0, 2.0], "y": [0.0, 1.0, 0.5], "gold": [0, 1, 2],
              "predicted": [0, 1, 0], "word": ["and", "x", "TP53"]},
    "prototypes": {"x": [0.1, 1.1, 2.1], "y": [0.0, 1.0, 0.4], "label": [0, 1, 2]},
}  # fmt: skip


def _meta_run(s, method: str, group: str | None, data: str = "builtin:mixed") -> int:
    raw = {"name": f"meta-{method}", "backbone": "tiny", "data": {"train": data},
           "strategy": {"kind": "meta", "method": method}}  # fmt: skip
    run_id = runs.create_run(
        s, name=raw["name"], kind="meta", method=method, config=parse_config(raw).to_dict(),
        group_name=group,
    )  # fmt: skip
    mean, ci = F1[method]
    meta = {"f1_mean": mean, "f1_ci95": ci, "episodes": 50, "n_way": 5, "k_shot": 1,
            "f1_micro": mean + 0.01, "train_types": ["LOC", "PER"],
            "test_types": ["CHEM", "GENE"], "train_episodes": 100}  # fmt: skip
    if method != "protonet":
        curve = {"steps": [0, 1, 2], "f1_mean": [0.1, 0.2, mean], "f1_ci95": [0.02, 0.03, ci]}
        records_store.add_record(s, run_id, kind="adaptation", stage="test", payload=curve)
    sample = {"split": "test", "episodes": [EPISODE]}
    records_store.add_record(s, run_id, kind="episodes_sample", stage="test", payload=sample)
    records_store.add_record(s, run_id, kind="prototype_map", stage="test-0", payload=PROTOTYPE_MAP)
    runs.add_metric_points(s, run_id, [(i, "meta_train_loss", 2.0 / i, None) for i in (1, 2)])
    runs.update_summary(s, run_id, {"meta": meta, "test_f1": mean})
    runs.transition(s, run_id, RunStatus.SUCCEEDED)
    return run_id


@pytest.fixture
def meta_runs(fake_jobs) -> dict[str, int]:
    with write_session() as s:
        ids = {m: _meta_run(s, m, GROUP) for m in F1}
        ids["other-data"] = _meta_run(s, "protonet", None, data="builtin:news")
    return ids


def test_empty_database_points_to_the_wizard(fake_jobs):
    at = ok(open_page("views/meta.py"))
    assert any("No meta-learning runs yet" in i.value for i in at.info)


def test_scores_methods_side_by_side_and_curves(meta_runs):
    at = ok(open_page("views/meta.py", run=str(meta_runs["maml"])))
    assert at.selectbox(key="meta_run").value == meta_runs["maml"]
    assert at.metric[0].value == "0.330" and at.metric[1].value == "0.070"
    bars = chart(at, "meta_methods")["data"][0]
    assert bars["x"] == [f"#{meta_runs[m]} {m}" for m in F1]  # the group, not the other data
    assert bars["y"] == [F1[m][0] for m in F1]
    assert bars["error_y"]["array"] == [F1[m][1] for m in F1]
    curves = chart(at, "meta_adaptation")["data"]
    gradient = ("maml", "finetune-baseline")
    assert [c["name"] for c in curves] == [f"#{meta_runs[m]} {m}" for m in gradient]
    assert curves[0]["y"] == [0.1, 0.2, 0.33]


def test_compare_by_dataset_leaves_out_other_data(meta_runs):
    at = ok(open_page("views/meta.py", run=str(meta_runs["other-data"])))
    assert "meta_compare_by" not in [r.key for r in at.radio]  # one choice: no radio
    assert "meta_episode_split" not in [r.key for r in at.radio]  # only test episodes
    assert any("on the same data with the same N and K" in c.value for c in at.caption)
    bars = chart(at, "meta_methods")["data"][0]
    assert bars["x"] == [f"#{meta_runs['other-data']} protonet"]


def test_the_methods_table_writes_durations_as_every_page_does(meta_runs):
    with write_session() as s:
        run = s.get(Run, meta_runs["maml"])
        run.started_at = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
        run.finished_at = run.started_at + timedelta(seconds=79.39)
    at = ok(open_page("views/meta.py", run=str(meta_runs["maml"])))
    table = next(d.value for d in at.dataframe if "duration" in d.value.columns)
    by_run = dict(zip(table["run"], table["duration"], strict=True))
    assert by_run[meta_runs["maml"]] == "1 min 19 s"  # not "minutes 1.3232"
    assert "minutes" not in table.columns
    assert at.radio(key="meta_compare_by").options == ["group", "dataset"]  # two: a radio


def test_episode_viewer_highlights_support_query_and_predictions(meta_runs):
    at = ok(open_page("views/meta.py", run=str(meta_runs["protonet"])))
    html = "".join(m.value for m in at.markdown if "Support" in m.value)
    assert "Aspirin" in html and "TP53" in html and "❌" in html
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html  # words are escaped
    legend = "".join(m.value for m in at.markdown if "2 types" in m.value)
    assert "CHEM" in legend and "GENE" in legend


def test_prototype_map_colours_tokens_by_gold_type_with_star_prototypes(meta_runs):
    at = ok(open_page("views/meta.py", run=str(meta_runs["protonet"])))
    traces = chart(at, "meta_prototype_map")["data"]
    tokens = [t for t in traces if not t["name"].startswith("prototype")]
    assert [t["name"] for t in tokens] == ["O", "CHEM", "GENE"]
    stars = [t for t in traces if t["name"].startswith("prototype")]
    assert len(stars) == 3 and all(t["marker"]["symbol"] == "star" for t in stars)
    assert tokens[2]["text"] == ["TP53 → O"]


def test_the_wizard_offers_meta_runs_with_their_knobs(fake_jobs):
    at = open_page("views/train.py")
    ok(click(at, "wiz_next_data"))
    ok(click(at, "wiz_next_backbone"))
    at.selectbox(key="wiz_strategy_kind").set_value("meta").run()
    ok(at)
    keys = {str(w.key) for w in at.number_input} | {str(w.key) for w in at.text_input}
    assert {"wiz_strategy_n_way", "wiz_strategy_k_shot", "wiz_strategy_episodes_train",
            "wiz_strategy_episodes_test", "wiz_strategy_test_types"} <= keys  # fmt: skip
    assert "wiz_strategy_inner_steps" not in keys  # protonet has no inner loop
    at.radio(key="wiz_strategy_method").set_value("maml").run()
    keys = {str(w.key) for w in at.number_input}
    assert "wiz_strategy_inner_steps" in keys and "wiz_strategy_finetune_steps" not in keys
    at.number_input(key="wiz_strategy_episodes_train").set_value(30)
    at.text_input(key="wiz_strategy_test_types").set_value("PER, GENE").run()
    ok(click(at, "wiz_next_strategy"))
    ok(click(at, "wiz_next_hyperparameters"))
    cfg = parse_config(yaml.safe_load(at.code[0].value))
    assert cfg.strategy.method == "maml" and cfg.strategy.episodes.train == 30
    assert cfg.strategy.test_types == ["PER", "GENE"]


def test_a_meta_run_page_links_to_the_meta_page(meta_runs):
    at = ok(open_page("views/runs.py", run=str(meta_runs["maml"])))
    links = [link.proto for link in at.get("page_link")]
    assert any("meta" in p.page and f"run={meta_runs['maml']}" in p.query_string for p in links)


def test_the_page_in_chinese(meta_runs):
    # a first visit from a ?lang=zh link
    at = ok(open_page("views/meta.py", lang="zh", run=str(meta_runs["maml"])))
    assert at.title[0].value == "元学习"
    assert [m.label for m in at.metric] == [
        "查询集 F1（平均）",
        "95% 置信区间 ±",
        "回合",  # "episode" as the field says it (情节 is a story's plot)
        "合并 F1",
    ]
    assert at.metric[2].value == "5 类 1 样本" and at.metric[0].value == "0.330"
    assert at.radio(key="meta_compare_by").options == ["同组", "同数据"]
    assert any("2 种类型" in m.value for m in at.markdown)
    assert any("<b>支持集</b>" in m.value for m in at.markdown)
    stars = [c for c in chart(at, "meta_prototype_map")["data"] if c["name"].startswith("原型")]
    assert len(stars) == 3
