"""The classroom lessons (engine/lessons/presets.py): presets validate, every text exists in both
languages, and each lesson's run shows the effect its "what to notice" claims, on the tiny
backbone (shortened where the preset itself takes a minute or more; bench/lessons.py times the
real presets)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import torch

from engine.config import parse_config
from engine.lessons import margin
from engine.lessons import presets as lessons
from engine.strategies.base import RunContext
from engine.strategies.registry import get_strategy
from engine.tracking.tracker import MemoryTracker
from views.parts import i18n, lesson_margin


@pytest.fixture(autouse=True)
def one_thread():
    """These models are small: on a busy 2-core machine two torch threads spin on each other
    and run several times slower than one."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def preset(lesson_id: str, step_id: str = "run", index: int = 0) -> dict[str, Any]:
    run = lessons.lesson(lesson_id).step(step_id).run
    assert run is not None
    return copy.deepcopy(run.presets[index])


def run_in_memory(raw: dict[str, Any], run_dir: Path) -> tuple[dict[str, Any], MemoryTracker]:
    """The preset as a job runs it: seeded as engine.jobs.runner seeds it, on 2 threads (the
    lessons' 2-core laptop), whatever the tests before it left in torch's global state."""
    cfg = parse_config(raw)
    tracker = MemoryTracker()
    ctx = RunContext(None, cfg, tracker, torch.device("cpu"), torch.float32, run_dir, False)
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    torch.manual_seed(cfg.train.seed)
    try:
        return get_strategy(cfg.strategy.kind)(ctx), tracker
    finally:
        torch.set_num_threads(threads)


# ---- the lessons as data -------------------------------------------------------------------


def test_every_run_step_validates_on_builtin_data_and_a_builtin_backbone():
    charts = {lessons.CURVES, lessons.PER_TYPE, lessons.EMBEDDINGS, lessons.MATRIX,
              lessons.RACE, lessons.META, lessons.MLM, lessons.COMPARE}  # fmt: skip
    assert [x.id for x in lessons.LESSONS] == ["mapping", "forgetting", "rescue", "meta", "dapt"]
    for one in lessons.LESSONS:
        kinds = [s.kind for s in one.steps]
        assert kinds[0] == "explain" and kinds[-1] == "notice" and "predict" in kinds
        assert one.run_steps, one.id
        for step in one.run_steps:
            configs = lessons.step_configs(one.id, step.id, backbone_run=7)
            assert set(step.run.charts) <= charts
            for cfg in configs:
                assert cfg.data.train.startswith("builtin:"), cfg.name
                assert cfg.backbone in ("tiny", "tiny-corpus", "minilm-l6", "run:7"), cfg.name
                assert cfg.name.startswith("lesson-")
                assert cfg.train.device == "auto"


def test_every_lesson_text_exists_in_both_languages():
    for lang in i18n.LANGUAGES:
        catalogue = i18n.catalogue(lang)
        for one in lessons.LESSONS:
            parts = ["title", "goal", *(s.id for s in one.steps)]
            parts += [f"{s.run.backbone_from}_name" for s in one.run_steps if s.run.backbone_from]
            missing = [p for p in parts if lessons.text_key(one.id, p) not in catalogue]
            assert not missing, (lang, one.id, missing)


def test_the_race_is_one_stream_and_the_forgetting_lesson_the_same_stream_paced():
    race = lessons.step_configs("rescue", "run")
    assert [c.strategy.method for c in race] == ["naive", "replay", "ewc", "lwf", "mapping"]
    streams = {c.strategy.tasks.model_dump_json() for c in race}
    trains = {c.train.model_dump_json() for c in race}
    assert len(streams) == 1 and len(trains) == 1
    (paced,) = lessons.step_configs("forgetting", "run")
    assert paced.strategy.pause_between_tasks and paced.strategy.method == "naive"
    assert paced.strategy.tasks.model_dump_json() in streams
    assert lessons.lesson("forgetting").step("run").run.paced


def test_groups_and_the_earlier_steps_backbone():
    group = lessons.new_group("dapt", "compare")
    assert group.startswith("lesson:dapt:compare:")
    assert lessons.parse_group(group) == ("dapt", "compare")
    assert lessons.parse_group("race-x-2026") is None and lessons.parse_group(None) is None
    with pytest.raises(ValueError, match="run the pretrain step first"):
        lessons.step_configs("dapt", "compare")
    with_dapt, without = lessons.step_configs("dapt", "compare", backbone_run=12)
    assert (with_dapt.backbone, without.backbone) == ("run:12", "tiny-corpus")
    assert with_dapt.data == without.data and with_dapt.train == without.train
    with pytest.raises(ValueError, match="no lesson"):
        lessons.lesson("nope")
    with pytest.raises(ValueError, match="runs nothing"):
        lessons.step_configs("meta", "explain")


# ---- each lesson's effect, measured --------------------------------------------------------
# The presets themselves (tiny-corpus / tiny, seconds each with one thread), except lesson 4:
# its preset meta-learns on MiniLM, so the test runs a shortened copy on `tiny`.


def no_checkpoint(raw: dict[str, Any]) -> dict[str, Any]:
    raw["train"]["save_checkpoint"] = False
    return raw


@pytest.mark.slow
def test_lesson_1_fine_tuning_separates_the_types_and_f1_rises(tmp_path):
    summary, tracker = run_in_memory(no_checkpoint(preset("mapping")), tmp_path)
    silhouette = summary["mapping"]["silhouette"]
    assert silhouette["initial"] < 0.1  # random weights: the types are mixed
    assert silhouette["final"] > silhouette["initial"] + 0.3
    assert summary["test_f1"] > 0.35  # from 0: the untrained head predicts no entity
    losses = tracker.series("train_loss")
    assert losses[-1] < 0.5 * losses[0]


def is_shown(m: margin.Margin, why: str = "") -> bool:
    """The lesson's rule: the effect is at least twice its 95% half-width, or else the page
    says so plainly, with the numbers (views.parts.lesson_margin)."""
    if m.clear:
        return True
    line = lesson_margin.margin_line("effect", m, "basis", why)
    assert "The effect is small here" in line and f"{m.effect:+.3f}" in line, line
    assert m.half is None or f"± {m.half:.3f}" in line
    return False


def task_entities(tracker: MemoryTracker) -> list[int]:
    """Each task's gold test entities (the same at every stage)."""
    found = {task: report.support for split, _, report, _, task in tracker.evaluations
             if split == "test" and task is not None}  # fmt: skip
    return [found[j] for j in sorted(found)]


@pytest.mark.slow
def test_lessons_2_and_3_naive_forgets_and_the_rescues_keep_more(tmp_path):
    paced = no_checkpoint(preset("forgetting"))  # naive; a MemoryTracker lets every task go
    summary, tracker = run_in_memory(paced, tmp_path / "naive")
    results = {"naive": summary["continual"]}
    entities = task_entities(tracker)
    for index, method in enumerate(lessons.RESCUE_METHODS):
        if method != "naive":  # the race's naive is lesson 2's run without the pauses
            raw = preset("rescue", index=index)
            results[method] = run_in_memory(raw, tmp_path / method)[0]["continual"]
    naive = results["naive"]
    # lesson 2: PER is learned, then gone as soon as the LOC task labels people O
    assert naive["matrix"][0][0] > 0.3
    assert naive["matrix"][1][0] < 0.05 and naive["matrix"][2][0] < 0.05
    assert naive["bwt"] < -0.25
    # lesson 3: the methods that show the model old evidence keep much more than naive, by
    # more than twice the interval; EWC's gain is inside it, and the page says why
    gains = {
        m: margin.bwt_difference(r["matrix"], naive["matrix"], entities)
        for m, r in results.items()
        if m != "naive"
    }
    assert gains["replay"].clear, gains  # about 2.5 half-widths on the preset
    for method in ("replay", "lwf", "mapping"):
        assert gains[method].effect > 0.12, (method, gains[method])
        is_shown(gains[method])  # clear, or the page says it is small here
        assert results[method]["acc"] > naive["acc"] + 0.08, method
        assert results[method]["matrix"][2][0] > naive["matrix"][2][0] + 0.05, method  # PER
    why = i18n.catalogue("en")["lessons.margin.why_ewc"]
    assert not is_shown(gains["ewc"], why), gains["ewc"]  # helps little against "O" labels


def meta_preset_on_tiny(method: str) -> dict[str, Any]:
    raw = preset("meta", index=lessons.META_METHODS.index(method))
    raw["backbone"] = "tiny"
    raw["train"]["lr"] = 3e-3
    raw["strategy"]["episodes"] = {"train": 60, "test": 12}
    raw["strategy"]["finetune_steps"] = 5
    return raw


def episode_f1s(tracker: MemoryTracker) -> list[float]:
    return [p["f1"] for kind, _, p in tracker.records if kind == "meta_episode"]


@pytest.mark.slow
def test_lesson_4_prototypes_beat_fine_tuning_at_one_shot(tmp_path):
    proto, proto_tracker = run_in_memory(meta_preset_on_tiny("protonet"), tmp_path / "p")
    base, base_tracker = run_in_memory(meta_preset_on_tiny("finetune-baseline"), tmp_path / "b")
    proto, base = proto["meta"], base["meta"]
    assert proto["k_shot"] == base["k_shot"] == 1 and proto["episodes"] == base["episodes"]
    assert proto["test_types"] == base["test_types"]
    gain = margin.paired(episode_f1s(proto_tracker), episode_f1s(base_tracker))
    assert gain.items == proto["episodes"]  # paired over the same test episodes
    assert gain.effect == pytest.approx(proto["f1_mean"] - base["f1_mean"])
    assert gain.effect > 0, gain
    is_shown(gain)  # clear, or the page says the effect is small here


@pytest.mark.slow
def test_lesson_5_pretraining_lowers_perplexity_and_helps_fine_tuning(tmp_path):
    pre = preset("dapt", "pretrain")
    pre["mapping"] = {"enabled": False}
    summary, tracker = run_in_memory(pre, tmp_path / "pretrain")
    assert summary["heldout_perplexity"] < 0.2 * summary["initial_heldout_perplexity"]
    losses = tracker.series("train_loss")
    assert losses[-1] < losses[0] - 1.0  # nats per masked token
    f1 = {}
    for index, name in enumerate(("with", "without")):
        raw = no_checkpoint(preset("dapt", "compare", index))
        if raw["backbone"] == lessons.FROM_EARLIER:
            raw["backbone"] = summary["checkpoint"]  # what run:<ID> resolves to
        result, run_tracker = run_in_memory(raw, tmp_path / name)
        f1[name] = result["test_f1"]
        (entities,) = {r.support for split, _, r, *_ in run_tracker.evaluations if split == "test"}
    gain = margin.f1_difference(f1["with"], f1["without"], entities)
    assert gain.effect > 0.03, f1
    is_shown(gain)  # clear, or the page says the effect is small here
