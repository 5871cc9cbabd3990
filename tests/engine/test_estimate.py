"""The run-time estimate (engine.runs.estimate): measured from a hand-made history it contains
the time worked out by hand; with no history it says it is a guess (or calibrated, once a timing
test is cached); a continual run's estimate grows with its T x (T + 1) evaluations."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from engine.config import RunConfig, parse_config
from engine.runs import calibrate, estimate, throughput
from engine.runs.estimate import estimate_run
from engine.runs.throughput import load_history
from storage import runs
from storage.db import write_session
from storage.models import Run, RunStatus, utcnow

NEWS_WORDS_PER_SENTENCE = 16772 / 1400  # builtin:news, train split (engine.data.service)


def finetune(epochs: int, sentences: int = 400) -> RunConfig:
    return parse_config(
        {
            "name": f"ft-{epochs}",
            "data": {"train": "builtin:news", "max_train_sentences": sentences},
            "backbone": "tiny",
            "train": {"epochs": epochs, "batch_size": 32, "precision": "fp32"},
            "mapping": {"enabled": False},
        }
    )


def finished(cfg: RunConfig, wall_s: float, summary: dict[str, Any], start: str = "cold") -> int:
    """A SUCCEEDED run of this host that took `wall_s` from start to finish, its worker
    started `start` (warm: imports done ahead)."""
    info = {"type": "cpu", "precision": "float32", "hostname": throughput.HOST}
    info["worker_start"] = start
    with write_session() as s:
        run_id = runs.create_run(s, name=cfg.name, kind=cfg.strategy.kind, method="full",
                                 config=cfg.to_dict())  # fmt: skip
        runs.mark_running(s, run_id, pid=1, device="cpu", device_info=info)
        runs.update_summary(s, run_id, summary)
        runs.transition(s, run_id, RunStatus.SUCCEEDED)
        start = utcnow() - timedelta(hours=1)
        end = start + timedelta(seconds=wall_s)
        s.execute(update(Run).where(Run.id == run_id).values(started_at=start, finished_at=end))
    return run_id


@pytest.fixture
def quiet(lab, monkeypatch):
    """A CPU machine at rest, no timing test started, no GPU."""
    monkeypatch.setattr(estimate, "machine_device", lambda cfg: "cpu")
    started: list[tuple[str, str]] = []
    monkeypatch.setattr(calibrate, "start", lambda b, d, force=False: started.append((b, d)))
    monkeypatch.setattr(estimate, "expected_start", lambda: "cold")
    return started


def est(cfg: RunConfig, **kw: Any) -> estimate.Estimate:
    found = estimate_run(cfg, history=load_history(0), load=0.0, **kw)
    assert found is not None
    return found


def test_measured_estimate_contains_the_time_worked_out_by_hand(quiet):
    # Two runs of 400 sentences, 13 steps an epoch: 5 s of training steps and 1 s of dev
    # evaluation per epoch, 8 s of start-up. 2 epochs: 8 + 10 + 2 = 20 s; 4 epochs: 32 s.
    tokens = 400 * (NEWS_WORDS_PER_SENTENCE * 1.15 + 2)  # sentences x sub-tokens, one epoch
    for epochs, wall in ((2, 20.0), (4, 32.0)):
        summary = {
            "train_seconds": 5.0 * epochs,
            "steps": 13 * epochs,
            "train_tokens": round(tokens * epochs),
            "train_tokens_per_s": tokens / 5.0,
        }
        finished(finetune(epochs), wall, summary)  # fmt: skip
    # by hand, 6 epochs: 8 s start-up + 6 x 5 s training + 6 x 1 s evaluation = 44 s
    found = est(finetune(6))
    assert found.basis == "measured" and found.runs == 2 and not found.scaled
    assert found.low_s <= 44.0 <= found.high_s
    assert found.high_s / found.low_s == pytest.approx(1.3 / 0.8)
    assert found.train_tokens == round(6 * tokens)  # sentences x mean sub-tokens x epochs
    assert found.tokens_per_s == pytest.approx(tokens / 5.0)  # the history's tokens/s
    assert "measured on this machine from 2 earlier run(s)" in found.explanation
    assert quiet == []  # measured: no timing test


def two_epoch_counts(start: str, startup_s: float) -> None:
    """The first test's two runs (5 s of steps and 1 s of dev per epoch), `startup_s` more."""
    tokens = 400 * (NEWS_WORDS_PER_SENTENCE * 1.15 + 2)
    for epochs in (2, 4):
        summary = {"train_seconds": 5.0 * epochs, "steps": 13 * epochs}
        summary |= {"train_tokens": round(tokens * epochs), "train_tokens_per_s": tokens / 5.0}
        finished(finetune(epochs), startup_s + 6.0 * epochs, summary, start)


def test_a_warm_worker_is_estimated_without_the_imports(quiet, monkeypatch):
    two_epoch_counts("cold", 8.0)  # cold workers: 8 s of start-up, most of it imports
    cold = est(finetune(6)).seconds
    monkeypatch.setattr(estimate, "expected_start", lambda: "warm")
    # no warm run yet: the cold start-up less the imports (no timing test: the guessed 6 s)
    assert est(finetune(6)).seconds == pytest.approx(cold - estimate.GUESS_IMPORTS_S)
    two_epoch_counts("warm", 3.0)  # then warm ones: 3 s, measured
    assert est(finetune(6)).seconds == pytest.approx(cold - 5.0)
    monkeypatch.setattr(estimate, "expected_start", lambda: "cold")
    assert est(finetune(6)).seconds == pytest.approx(cold)  # the cold runs still say 8 s


def test_a_worker_kept_by_this_process_is_expected_warm(lab, monkeypatch):
    from engine.jobs import warm_pool

    class Kept:  # a stand-in for the warm worker: alive until its process exits
        class proc:  # noqa: N801
            code = None
            poll = classmethod(lambda cls: cls.code)

    monkeypatch.setattr(warm_pool, "_ready", Kept)
    assert estimate.expected_start() == "warm"  # imports done or under way: it takes the run
    monkeypatch.setenv("LAB_WARM_WORKER", "0")
    assert estimate.expected_start() == "cold"
    monkeypatch.delenv("LAB_WARM_WORKER")
    Kept.proc.code = 1  # it died
    assert estimate.expected_start() == "cold"
    monkeypatch.setattr(warm_pool, "_ready", None)
    assert estimate.expected_start() == "cold"


def test_history_of_another_machine_or_device_does_not_count(quiet, monkeypatch):
    finished(finetune(2), 20.0, {"train_seconds": 10.0, "steps": 26})
    monkeypatch.setattr(throughput, "HOST", "another-host")
    assert est(finetune(3)).basis == "guess"


def test_no_history_is_a_guess_and_starts_a_timing_test(quiet):
    found = est(finetune(4, 600))
    assert found.basis == "guess" and found.runs == 0
    assert "a rough guess" in found.explanation
    assert found.high_s / found.low_s == pytest.approx(2.5 / 0.4)
    assert quiet == [("tiny", "cpu")]  # the next estimate is calibrated


def test_a_cached_timing_test_gives_a_calibrated_estimate(quiet):
    cal = calibrate.Calibration("tiny", "cpu", "float32", startup_s=4.0, load_s=2.0,
                                token_s=4e-5, step_s=0.01, eval_ratio=0.3)  # fmt: skip
    path = calibrate.cache_file("tiny", "cpu")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(cal)))
    found = est(finetune(4, 600))
    assert found.basis == "calibrated" and found.runs == 0
    assert "calibrated on this machine" in found.explanation
    # by hand: 600 sentences x 15.78 sub-tokens x 4 epochs in 4 x 19 steps; dev (200 sentences
    # of 16.01) after each epoch and test (200 of 16.02) once, in 4 + 16 batches of 64; 5 reports
    # and 3 checkpoints; the real loop 1.2 x the test's bare steps
    train, steps = 2400 * (NEWS_WORDS_PER_SENTENCE * 1.15 + 2), 76
    evaluated = 4 * 200 * (2437 / 200 * 1.15 + 2) + 200 * (2439 / 200 * 1.15 + 2)
    work = 4e-5 * (train + 0.3 * evaluated) + 0.01 * (steps + 0.3 * 0.1 * 20)
    by_hand = 4.0 + 2.0 + 5 * 0.05 + 3 * 0.2 + 1.2 * work
    assert found.seconds == pytest.approx(by_hand)
    assert (found.low_s, found.high_s) == pytest.approx((0.6 * by_hand, 1.8 * by_hand))
    assert quiet == []


def continual(datasets: list[str]) -> RunConfig:
    tasks = {"by": "datasets", "datasets": datasets, "max_train_sentences": 50}
    strategy = {"kind": "continual", "method": "naive", "tasks": tasks, "dev_per_task": False}
    return parse_config({"name": "cl", "backbone": "tiny", "strategy": strategy,
                         "train": {"epochs": 1}, "mapping": {"enabled": False}})  # fmt: skip


def test_a_continual_estimate_grows_with_t_by_t_evaluations(quiet):
    streams = [["builtin:news"], ["builtin:news", "builtin:science"],
               ["builtin:news", "builtin:science", "builtin:commerce"]]  # fmt: skip
    works = [work_of(continual(s)) for s in streams]
    for count, work in enumerate(works, start=1):
        assert work.reports == count * (count + 1) + 1  # R matrix, baseline row, pooled score
    # every task's 200 test sentences scored before training and after each task
    tests = [w.eval_calls for w in works]
    assert tests == [2 * 4, 3 * 2 * 4, 4 * 3 * 4]  # (T + 1) x T test sets x 4 batches of 64
    seconds = [est(continual(s)).seconds for s in streams]
    assert seconds[0] < seconds[1] < seconds[2]
    # training grows linearly (50 sentences a task); the evaluations quadratically
    assert seconds[2] - seconds[1] > seconds[1] - seconds[0]


def work_of(cfg: RunConfig):
    from engine.runs.data_sizes import Sizes
    from engine.runs.workload import workload

    work = workload(cfg, Sizes(estimate._catalog()), "tiny")
    assert work is not None
    return work


def test_a_lesson_step_without_its_earlier_model_is_estimated_from_the_parent(quiet):
    from engine.lessons import presets

    parent = presets.step_configs("dapt", "pretrain")[0]
    with_model, without = presets.step_configs("dapt", "compare", backbone_run=0)
    found = est(with_model, parent=parent)
    assert found.backbone == "tiny-corpus" == est(without).backbone  # not "other"
    assert estimate.combine([found, None]) is None  # unknown data: no total
    total = estimate.combine([found, est(without)])
    assert total is not None and total.low_s == pytest.approx(2 * found.low_s)


def test_no_timing_test_starts_under_a_test_suite_or_for_an_unknown_model(lab, monkeypatch):
    launched: list[Any] = []
    monkeypatch.setattr(calibrate.subprocess, "Popen", lambda *a, **k: launched.append(a))
    assert not calibrate.enabled()  # PYTEST_CURRENT_TEST is set
    assert calibrate.start("tiny", "cpu") is False
    assert calibrate.start("hf:org/model", "cpu", force=True) is False
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    monkeypatch.setenv("LAB_CALIBRATE", "0")
    assert calibrate.start("tiny", "cpu") is False
    assert launched == []
    assert calibrate.start("tiny", "cpu", force=True) is True  # the benchmark's way
    assert calibrate.start("tiny", "cpu", force=True) is False  # already running
    assert len(launched) == 1


def test_the_timing_test_measures_a_model_and_caches_it(lab):
    import time

    found = calibrate.main("tiny-corpus", time.time())
    assert calibrate.cached("tiny-corpus", found.device) == found
    assert found.token_s > 0 and found.step_s >= 0 and 0 < found.eval_ratio <= 1
    assert found.startup_s >= 0 and found.load_s > 0
    assert not calibrate.cache_file("tiny-corpus", found.device).with_suffix(".running").exists()
