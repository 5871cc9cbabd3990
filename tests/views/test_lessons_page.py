"""The Lessons page: every lesson steps through in English and Chinese, a stored lesson run
is shown at once (replay), Run / Run again submit the presets under one fresh group, the
forgetting lesson's Next task opens the gate, and the DAPT comparison starts from the
pretraining step's run."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from streamlit.testing.v1 import AppTest

from engine import api as jobs
from engine.config import parse_config
from engine.lessons import presets as lessons
from storage import continual as continual_store
from storage import runs
from storage.db import write_session
from storage.models import RunStatus
from storage.summary import RunSummary
from views.parts import i18n

from .conftest import APP, TIMEOUT, open_page

PAGE = "views/lessons.py"
CJK = re.compile(r"[\u4e00-\u9fff]")
MAPPING_GROUP = "lesson:mapping:run:20260101-090000-000000"


def lesson_page(lesson_id: str, step: int, lang: str = "en") -> AppTest:
    """The Lessons page on `lesson_id`, showing its steps up to `step` (0-based)."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    if lang != "en":
        at.query_params["lang"] = lang
    at.run()
    at.switch_page(PAGE)
    at.query_params["lesson"] = lesson_id
    at.session_state[f"lesson_step_{lesson_id}"] = step
    return at.run()


def run_step(lesson_id: str, step_id: str = "run") -> int:
    return [s.id for s in lessons.lesson(lesson_id).steps].index(step_id)


def store_run(s, preset: dict, group: str, status: RunStatus, summary: dict) -> int:
    cfg = parse_config(preset)
    method = getattr(cfg.strategy, "method", None) or getattr(cfg.strategy, "mode", "default")
    run_id = runs.create_run(
        s, name=cfg.name, kind=cfg.strategy.kind, method=str(method), config=cfg.to_dict(),
        group_name=group,
    )  # fmt: skip
    runs.mark_running(s, run_id, pid=1, device="cpu")
    if "paused_before_task" in summary:  # a control flag: a column, not a summary value
        runs.set_paused_before(s, run_id, summary.pop("paused_before_task"))
    runs.update_summary(s, run_id, summary)
    if status is not RunStatus.RUNNING:
        runs.transition(s, run_id, status)
    return run_id


@dataclass
class Stored:
    mapping: int
    paced: int


@pytest.fixture
def stored(fake_jobs) -> Stored:
    """A finished lesson-1 run (curves, per-type scores, token maps) and a paused lesson-2 run."""
    preset = lessons.lesson("mapping").step("run").run.presets[0]
    with write_session() as s:
        summary = {"test_f1": 0.41, "mapping": {"silhouette": {"initial": 0.0, "final": 0.5}}}
        mapped = store_run(s, preset, MAPPING_GROUP, RunStatus.SUCCEEDED, summary)
        runs.add_metric_points(s, mapped, [(i, "train_loss", 2.0 / i, None) for i in range(1, 9)])
        per_type = {"PER": {"precision": 0.5, "recall": 0.4, "f1": 0.444, "support": 9}}
        overall = {"precision": 0.5, "recall": 0.4, "f1": 0.444, "support": 9}
        runs.add_evaluation(
            s, mapped, split="test", stage="final", overall=overall, per_type=per_type
        )
        probe = {"sentences": [["Ann", "met", "Bob"]], "sentence": [0, 0, 0], "word": [0, 1, 2],
                 "gold": ["PER", "O", "PER"], "types": ["PER", "O"]}  # fmt: skip
        continual_store.add_record(s, mapped, kind="embedding_probe", stage=None, payload=probe)
        for order, stage in enumerate(("initial", "final")):
            points = {"order": order, "x": [1.0, 2.0, 3.0], "y": [0.0, 1.0, 0.5], "pred": None}
            continual_store.add_record(
                s, mapped, kind="embedding_points", stage=stage, payload=points
            )
        stats = {"stages": ["initial", "final"], "silhouette": {"initial": 0.0, "final": 0.5}}
        continual_store.add_record(s, mapped, kind="mapping_stats", stage=None, payload=stats)

        paced_preset = lessons.lesson("forgetting").step("run").run.presets[0]
        tasks = [{"name": f"task {i}", "types": [x]} for i, x in enumerate(("PER", "LOC", "ORG"))]
        paced = store_run(
            s,
            paced_preset,
            "lesson:forgetting:run:20260101-100000-000000",
            RunStatus.RUNNING,
            {"paused_before_task": 1, "continual": {"tasks": tasks}},
        )
        cells = [("f1", -1, j, 0.0) for j in range(3)] + [("f1", 0, 0, 0.52), ("f1", 0, 1, 0.0)]
        continual_store.add_matrix_cells(s, paced, cells + [("f1", 0, 2, 0.0)])
    return Stored(mapped, paced)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_lesson_steps_through_in_both_languages(fake_jobs, lang):
    for one in lessons.LESSONS:
        last = len(one.steps) - 1
        at = lesson_page(one.id, last, lang)
        assert not at.exception, (one.id, [e.value for e in at.exception])
        assert not at.error, (one.id, [e.value for e in at.error])
        text = "\n".join(m.value for m in at.markdown)
        title = i18n.catalogue(lang)[f"lessons.{one.id}.title"]
        assert at.subheader[0].value == title
        for step in one.steps:  # every step's text is on the page, none is a bare key
            assert f"lessons.{one.id}.{step.id}" not in text
        assert at.button(key="lesson_next").disabled  # the last step
        if lang == "zh":
            assert CJK.search(at.title[0].value) and CJK.search(text)
            assert at.button(key="lesson_run_" + one.run_steps[0].id).label in (
                "运行",
                "再运行一次",
            )


def test_first_step_only_and_next_step_reveals_the_next(fake_jobs):
    at = open_page(PAGE, lesson="forgetting")
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.get("button")) and not [b for b in at.button if b.key.startswith("lesson_run")]
    at.button(key="lesson_next").click().run()
    assert at.session_state["lesson_step_forgetting"] == 1
    assert "what will happen to PER after we train on LOC?" in "\n".join(
        m.value for m in at.markdown
    )


def test_a_stored_lesson_run_is_shown_at_once(stored):
    at = lesson_page("mapping", run_step("mapping"))
    assert not at.exception, [e.value for e in at.exception]
    assert at.button(key="lesson_run_run").label == "Run again"
    assert any(c.value.startswith("Result of the runs that finished") for c in at.caption)
    charts = at.get("plotly_chart")
    assert len(charts) >= 4  # two token maps, per-type F1, the loss curve
    link = f"[#{stored.mapping} lesson&#45;mapping](/runs?run={stored.mapping})"
    assert any(link in m.value for m in at.markdown), [m.value for m in at.markdown]
    silhouette = [c.value for c in at.caption if c.value.startswith("How well the types")]
    assert silhouette == ["How well the types separate (silhouette, -1 to 1): initial: 0.00 → "
                          "final: 0.50"]  # fmt: skip


def test_run_submits_every_preset_under_one_fresh_group(fake_jobs):
    at = lesson_page("rescue", run_step("rescue"))
    assert at.button(key="lesson_run_run").label == "Run"
    at.button(key="lesson_run_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [c.strategy.method for c in fake_jobs.submitted] == list(lessons.RESCUE_METHODS)
    groups = {kw["group_name"] for kw in fake_jobs.submit_kwargs}
    assert len(groups) == 1 and lessons.parse_group(groups.pop()) == ("rescue", "run")
    streams = {str(c.strategy.tasks.order) for c in fake_jobs.submitted}
    assert len(streams) == 1  # the same stream for every method


def test_run_again_starts_a_fresh_group(stored, fake_jobs):
    at = lesson_page("mapping", run_step("mapping"))
    at.button(key="lesson_run_run").click().run()
    assert len(fake_jobs.submitted) == 1
    assert fake_jobs.submitted[0].name == "lesson-mapping"
    group = fake_jobs.submit_kwargs[0]["group_name"]
    assert group != MAPPING_GROUP and lessons.parse_group(group) == ("mapping", "run")


def test_next_task_opens_the_gate_of_the_paused_run(stored, monkeypatch):
    allowed: list[tuple[int, int]] = []
    monkeypatch.setattr(
        jobs, "allow_next_task", lambda run_id, task: allowed.append((run_id, task)) or True
    )
    at = lesson_page("forgetting", run_step("forgetting"))
    assert not at.exception, [e.value for e in at.exception]
    assert at.button(key="lesson_run_run").disabled  # one run at a time
    assert any("Task 1 is learned and scored" in i.value for i in at.info)
    assert len(at.get("plotly_chart")) == 2  # the matrix and the forgetting curves
    at.button(key="lesson_next_task").click().run()
    assert allowed == [(stored.paced, 1)]


def test_stop_cancels_the_paced_run(stored, fake_jobs):
    at = lesson_page("forgetting", run_step("forgetting"))
    at.button(key="lesson_stop").click().run()
    assert fake_jobs.cancelled == [stored.paced]


def test_dapt_comparison_starts_from_the_pretraining_run(fake_jobs):
    compare = run_step("dapt", "compare")
    at = lesson_page("dapt", compare)
    assert at.button(key="lesson_run_compare").disabled
    assert any("Pretrain on the news text" in i.value for i in at.info)

    pretrain = lessons.lesson("dapt").step("pretrain").run.presets[0]
    with write_session() as s:
        pre = store_run(s, pretrain, "lesson:dapt:pretrain:20260101-0-0", RunStatus.SUCCEEDED, {})
    at = lesson_page("dapt", compare)
    at.button(key="lesson_run_compare").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [c.backbone for c in fake_jobs.submitted] == [f"run:{pre}", "tiny-corpus"]
    assert [c.data.max_train_sentences for c in fake_jobs.submitted] == [200, 200]


def test_the_lesson_figures_show_the_stored_numbers():
    from types import SimpleNamespace

    from views.parts import lesson_charts

    matrix = continual_store.ScoreMatrix(
        "f1", [0.0, 0.0, 0.0], [[0.52, 0.0, 0.0], [0.0, 0.31, 0.0], [None, None, None]]
    )
    curves = lesson_charts.forgetting_figure(matrix, ["PER", "LOC", "ORG"])
    assert [trace.name for trace in curves.data] == ["PER", "LOC", "ORG"]
    assert list(curves.data[0].x) == ["after task 1", "after task 2"]  # task 3 not yet scored
    assert list(curves.data[0].y) == [0.52, 0.0] and list(curves.data[1].y) == [None, 0.31]
    heat = lesson_charts.matrix_figure(matrix, ["PER", "LOC", "ORG"])
    assert list(heat.data[0].y) == [
        "before any task",
        "after task 1",
        "after task 2",
        "after task 3",
    ]
    runs = [
        SimpleNamespace(
            id=3,
            method="protonet",
            summary=RunSummary.from_stored({"meta": {"f1_mean": 0.26, "f1_ci95": 0.07}}),
        ),
        SimpleNamespace(
            id=4,
            method="finetune-baseline",
            summary=RunSummary.from_stored({"meta": {"f1_mean": 0.19}}),
        ),
    ]
    bars = lesson_charts.meta_figure(runs).data[0]
    assert list(bars.x) == ["#3 protonet", "#4 finetune-baseline"]
    assert list(bars.y) == [0.26, 0.19] and list(bars.error_y.array) == [0.07, 0]
    race = [
        SimpleNamespace(
            id=5,
            method="replay",
            summary=RunSummary.from_stored({"continual": {"acc": 0.2, "bwt": -0.1}}),
        )
    ]
    (bar,) = lesson_charts.race_figure(race).data
    assert list(bar.y) == [0.2, -0.1, None]


def store_meta_race(episodes: dict[str, list[float]]) -> None:
    """A finished lesson-4 race whose runs scored these F1s on the same test episodes."""
    group = "lesson:meta:run:20260101-110000-000000"
    with write_session() as s:
        for index, method in enumerate(lessons.META_METHODS):
            f1s = episodes[method]
            preset = lessons.lesson("meta").step("run").run.presets[index]
            mean = sum(f1s) / len(f1s)
            summary = {"meta": {"f1_mean": mean, "f1_ci95": 0.05, "episodes": len(f1s)}}
            run_id = store_run(s, preset, group, RunStatus.SUCCEEDED, summary)
            for i, f1 in enumerate(f1s):
                payload = {"episode": i, "f1": f1, "types": ["A"]}
                continual_store.add_record(s, run_id, kind="meta_episode", stage=f"test-{i}",
                                           payload=payload)  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_meta_effect_inside_its_noise_is_called_small(fake_jobs, lang):
    store_meta_race({"protonet": [0.3, 0.1, 0.5, 0.2], "finetune-baseline": [0.2, 0.2, 0.3, 0.2]})
    at = lesson_page("meta", run_step("meta"), lang)
    assert not at.exception, [e.value for e in at.exception]
    catalogue = i18n.catalogue(lang)
    small = catalogue["lessons.margin.small"].split("{what}")[0].strip()
    # differences 0.1, -0.1, 0.2, 0: mean 0.05, sd 0.129, t(3) 3.182 -> ± 0.205
    lines = [m.value for m in at.markdown if m.value.startswith(small)]
    assert len(lines) == 1 and "+0.050 ± 0.205" in lines[0], [m.value for m in at.markdown]
    assert catalogue["lessons.margin.why_meta"].format(n=4) in lines[0]


def test_a_clear_dapt_effect_says_how_many_half_widths(fake_jobs):
    group = "lesson:dapt:compare:20260101-120000-000000"
    presets = lessons.lesson("dapt").step("compare").run.presets
    overall = {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 400}
    with write_session() as s:
        pre = store_run(s, lessons.PRETRAIN, "lesson:dapt:pretrain:20260101-0-0",
                        RunStatus.SUCCEEDED, {})  # fmt: skip
        for preset, f1 in zip(presets, (0.5, 0.3), strict=True):
            if preset["backbone"] == lessons.FROM_EARLIER:
                preset = preset | {"backbone": f"run:{pre}"}
            run_id = store_run(s, preset, group, RunStatus.SUCCEEDED, {"test_f1": f1})
            runs.add_evaluation(s, run_id, split="test", stage="final",
                                overall=overall | {"f1": f1}, per_type={})  # fmt: skip
    at = lesson_page("dapt", run_step("dapt", "compare"))
    assert not at.exception, [e.value for e in at.exception]
    lines = [m.value for m in at.markdown if "With pretraining minus without" in m.value]
    # 400 entities: ± 1.96 * sqrt(0.5 * 0.5 / 400 + 0.3 * 0.7 / 400) = 0.066, 3.0 half-widths
    assert lines == ["**With pretraining minus without, test F1: +0.200 ± 0.066** (95% interval, "
                     "approximated from the 400 test entities each score counts): 3.0 times "
                     "the interval's half-width, so more than noise."], lines  # fmt: skip


def test_the_race_says_why_ewc_is_no_better_than_naive(fake_jobs):
    group = "lesson:rescue:run:20260101-130000-000000"
    presets = dict(zip(lessons.RESCUE_METHODS, lessons.lesson("rescue").step("run").run.presets,
                       strict=True))  # fmt: skip
    matrices = {
        "naive": [[0.6, 0.0, 0.0], [0.0, 0.4, 0.0], [0.0, 0.0, 0.4]],
        "ewc": [[0.6, 0.0, 0.0], [0.0, 0.4, 0.0], [0.02, 0.0, 0.4]],
        "replay": [[0.6, 0.0, 0.0], [0.5, 0.45, 0.0], [0.4, 0.5, 0.5]],
    }
    overall = {"precision": 0.5, "recall": 0.5, "f1": 0.5}
    with write_session() as s:
        for method, matrix in matrices.items():
            summary = {"continual": {"matrix": matrix, "bwt": 0.0, "acc": 0.0}}
            run_id = store_run(s, presets[method], group, RunStatus.SUCCEEDED, summary)
            for j in range(3):
                runs.add_evaluation(s, run_id, split="test", stage="final", task=j,
                                    overall=overall | {"support": 100}, per_type={})  # fmt: skip
    at = lesson_page("rescue", run_step("rescue"))
    assert not at.exception, [e.value for e in at.exception]
    text = [m.value for m in at.markdown if "minus naive, BWT" in m.value]
    ewc = [x for x in text if "ewc minus naive" in x]
    assert len(text) == 2 and len(ewc) == 1, text
    assert ewc[0].startswith("**The effect is small here.** ewc minus naive, BWT: +0.010 ±")
    assert i18n.catalogue("en")["lessons.margin.why_ewc"] in ewc[0]
    replay = [x for x in text if "replay minus naive" in x][0]
    # BWT (0.4 - 0.6 + 0.5 - 0.45) / 2 = -0.075 against naive's -0.5: +0.425, well clear
    assert replay.startswith("**replay minus naive, BWT: +0.425 ±") and "more than noise" in replay
