"""One stage vocabulary: every stored spelling reads the same on every page, 1-based tasks, in
both languages, and sorts before training -> tasks in order -> final."""

from __future__ import annotations

import pytest

from views.parts import i18n, stages


@pytest.mark.parametrize(
    ("stored", "en", "zh"),
    [
        ("initial", "before training", "训练前"),
        ("baseline", "before training", "训练前"),
        ("after-task-0", "after task 1", "任务 1 之后"),
        ("task_2", "after task 3", "任务 3 之后"),
        ("final", "final", "最终"),
        ("epoch-2", "after epoch 2", "第 2 轮之后"),
        ("somewhere", "somewhere", "somewhere"),
    ],
)
def test_every_spelling_reads_the_same(monkeypatch, stored, en, zh):
    monkeypatch.setattr(i18n, "current", lambda: "en")
    assert stages.stage_label(stored) == en
    monkeypatch.setattr(i18n, "current", lambda: "zh")
    assert stages.stage_label(stored) == zh


def test_the_checkpoint_and_the_evaluation_of_one_task_are_one_stage():
    assert stages.task_index("task_1") == stages.task_index("after-task-1") == 1
    assert stages.task_index("final") is None


def test_stages_sort_as_they_happened():
    shuffled = ["final", "after-task-1", "initial", "task_0", "best"]
    assert sorted(shuffled, key=stages.stage_order) == [
        "initial", "task_0", "after-task-1", "best", "final"
    ]  # fmt: skip
