"""The Benchmarks page: a launch submits one group with one run per chosen method; a stored race
shows the paper-layout table (published and this lab's rows), how many runs are left, the step
curves and the downloads, in English and in Chinese."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from tests.protocols.race_data import GROUP, store_race

from .conftest import open_page

PAGE = "views/benchmarks.py"
CJK = re.compile(r"[\u4e00-\u9fff]")
RAW_KEY = re.compile(r"\bbench\.\w")  # a catalogue key on screen


def test_launch_submits_one_group_with_a_run_per_method(fake_jobs):
    at = open_page(PAGE)
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="bench_protocol").value == "cl-ner-fg1-pg1"
    assert at.number_input(key="bench_epochs").value == 10  # the published budget
    at.checkbox(key="bench_method_joint").uncheck()
    at.button(key="bench_launch").click().run()
    assert not at.exception, [e.value for e in at.exception]
    configs = fake_jobs.submitted
    assert [c.strategy.method for c in configs] == ["naive", "lwf", "pseudo_label", "pseudo_lwf"]
    groups = {kw["group_name"] for kw in fake_jobs.submit_kwargs}
    assert len(groups) == 1
    group = groups.pop()
    assert group.startswith("bench-cl-ner-fg1-pg1-")
    for cfg in configs:
        assert cfg.strategy.tasks.protocol == "cl-ner-fg1-pg1"
        assert (cfg.data.train, cfg.train.epochs, cfg.train.lr) == ("builtin:news", 10, 5e-5)
    assert at.success and "4" in at.success[0].value
    assert at.selectbox(key="bench_group_pick").value == group  # its table is shown below


def test_a_few_shot_race_uses_the_meta_methods(fake_jobs):
    at = open_page(PAGE)
    at.selectbox(key="bench_protocol").set_value("few-shot-5way-1shot").run()
    assert at.number_input(key="bench_lr_few-shot").value == pytest.approx(1e-4)
    for name in ("finetune-baseline", "nnshot"):
        at.checkbox(key=f"bench_method_{name}").uncheck()
    at.button(key="bench_launch").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [c.strategy.method for c in fake_jobs.submitted] == ["protonet", "structshot"]
    assert {
        (c.strategy.kind, c.strategy.n_way, c.strategy.k_shot) for c in fake_jobs.submitted
    } == {("meta", 5, 1)}


def table_rows(at: AppTest) -> list[list[str]]:
    frame = at.dataframe[0].value
    return frame.astype(str).values.tolist()


def test_a_race_shows_published_and_lab_rows_and_what_is_left(fake_jobs):
    store_race()
    at = open_page(PAGE, group=GROUP)
    assert not at.exception, [e.value for e in at.exception]
    frame = at.dataframe[0].value
    assert list(frame.columns) == ["Method", "Rows", "Backbone", "Budget", "Mi-F1", "Ma-F1"]
    rows = {r[0]: r for r in table_rows(at)}
    assert rows["ExtendNER"][1:] == ["published", "bert-base-cased", "10 epochs per step",
                                     "76.36", "73.04"]  # fmt: skip
    assert rows["lwf (ExtendNER-style)"][1:] == ["this lab", "tiny", "1 epoch per step, lr 0.003",
                                                 "60.00", "55.00"]  # fmt: skip
    assert "naive (Finetune-style)" in rows and not any("pseudo" in m for m in rows)
    assert any("2 of 3" in i.value and "1 still to finish" in i.value for i in at.info)
    assert any("A MiniLM run on a CPU is not a bert-base run on an A100" in c.value
               for c in at.caption)  # fmt: skip
    assert len(at.get("plotly_chart")) == 2  # Mi-F1 and Ma-F1 per step
    assert len(at.get("download_button")) == 3  # Markdown, CSV, LaTeX


def test_the_race_in_chinese(fake_jobs):
    store_race(running=())
    at = open_page(PAGE, lang="zh", group=GROUP)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "基准测试"
    frame = at.dataframe[0].value
    assert list(frame.columns)[:4] == ["方法", "来源", "骨干模型", "预算"]
    kinds = {r[1] for r in table_rows(at)}
    assert kinds == {"已发表", "本实验室"}
    assert not at.info  # nothing left to finish
    labels = [w.label for w in (*at.checkbox, *at.selectbox, *at.number_input, *at.button)]
    assert all(CJK.search(label) for label in labels), labels
    assert not [x for x in (*labels, *(c.value for c in at.caption)) if RAW_KEY.search(x)]
    assert at.selectbox(key="bench_protocol").format_func("cl-ner-fg2-pg1") == "持续 NER FG-2-PG-1"
