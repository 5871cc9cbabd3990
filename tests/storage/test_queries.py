"""storage.queries: run lists, details, metric series (with downsampling), evaluations."""

from __future__ import annotations

import dataclasses
import random

import pytest

from storage import db, queries, runs
from storage.models import RunStatus

S = RunStatus


def _make_runs(url: str) -> list[int]:
    specs = [
        ("a", "finetune", S.PENDING),
        ("b", "continual", S.RUNNING),
        ("c", "finetune", S.SUCCEEDED),
        ("d", "meta", S.RUNNING),
    ]
    with db.write_session(url) as session:
        return [
            runs.create_run(session, name=n, kind=k, method="full", config={"n": n}, status=st)
            for n, k, st in specs
        ]


def test_list_runs_newest_first_with_filters(db_url: str):
    ids = _make_runs(db_url)
    with db.read_session(db_url) as session:
        everything = queries.list_runs(session)
        running = queries.list_runs(session, status=S.RUNNING)
        finetune = queries.list_runs(session, kind="finetune")
        running_meta = queries.list_runs(session, status="RUNNING", kind="meta")
        newest_two = queries.list_runs(session, limit=2)
    assert [r.id for r in everything] == ids[::-1]
    assert [r.name for r in running] == ["d", "b"]
    assert [r.name for r in finetune] == ["c", "a"]
    assert [r.name for r in running_meta] == ["d"]
    assert [r.name for r in newest_two] == ["d", "c"]
    assert isinstance(everything[0], queries.RunRow)
    assert not isinstance(everything[0], queries.RunDetail)


def test_list_runs_by_group_name_and_literal_prefix(db_url: str):
    groups = ["les_1:a", "les_1:b", "lesX1:c", "les%1:d", "les_1", None, "other"]
    with db.write_session(db_url) as session:
        for i, group in enumerate(groups):
            runs.create_run(
                session, name=f"r{i}", kind="finetune", method="full", config={}, group_name=group
            )
    with db.read_session(db_url) as session:
        exact = queries.list_runs(session, group_name="les_1")
        prefixed = queries.list_runs(session, group_prefix="les_1:")
        percent = queries.list_runs(session, group_prefix="les%")
        both = queries.list_runs(session, group_prefix="les_1", kind="meta")
        newest = queries.list_runs(session, group_prefix="les_1", limit=2)
    assert [r.name for r in exact] == ["r4"]
    # `_` and `%` are literal characters, not LIKE wildcards: "lesX1:c" does not match.
    assert [r.name for r in prefixed] == ["r1", "r0"]
    assert [r.name for r in percent] == ["r3"]
    assert both == []
    assert [r.name for r in newest] == ["r4", "r1"]


def test_rows_are_frozen_plain_values_usable_after_the_session(db_url: str):
    (run_id, *_) = _make_runs(db_url)
    with db.read_session(db_url) as session:
        row = queries.list_runs(session, kind="finetune")[-1]
        detail = queries.get_run(session, run_id)
    assert row.summary.stored() == {} and detail is not None and detail.config == {"n": "a"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.status = S.FAILED  # type: ignore[misc]


def test_run_row_fields():
    assert [f.name for f in dataclasses.fields(queries.RunRow)] == [
        "id", "name", "kind", "method", "status", "device", "created_at", "started_at",
        "finished_at", "summary", "group_name", "parent_id", "error", "cancel_requested",
        "paused_before_task", "resumed_from",
    ]  # fmt: skip
    detail_only = [f.name for f in dataclasses.fields(queries.RunDetail)][16:]
    assert detail_only == ["config", "device_info", "pid", "heartbeat_at", "log_path", "backend"]


def test_get_run_missing_is_none(db_url: str):
    with db.read_session(db_url) as session:
        assert queries.get_run(session, 12345) is None


def test_get_run_is_fresh_in_a_reused_session(db_url: str):
    (run_id, *_) = _make_runs(db_url)
    with db.read_session(db_url) as reader:
        assert queries.get_run(reader, run_id).status is S.PENDING
        reader.rollback()  # a new snapshot for the next read, like a page rerun
        with db.write_session(db_url) as writer:
            runs.transition(writer, run_id, S.STOPPED)
        assert queries.get_run(reader, run_id).status is S.STOPPED
        assert queries.list_runs(reader, kind="finetune")[-1].status is S.STOPPED


def test_runs_by_status_oldest_first(db_url: str):
    ids = _make_runs(db_url)
    with db.read_session(db_url) as session:
        active = queries.runs_by_status(session, [S.PENDING, "RUNNING"])
        none = queries.runs_by_status(session, [])
    assert [r.id for r in active] == [ids[0], ids[1], ids[3]]
    assert none == []


def test_metric_keys_and_series_ordering_and_task_filter(db_url: str):
    (run_id, other, *_) = _make_runs(db_url)
    with db.write_session(db_url) as session:
        runs.add_metric_points(
            session,
            run_id,
            [
                (3, "train/loss", 0.3, 0),
                (1, "train/loss", 0.1, 0),
                (2, "dev/f1", 0.5, 0),
                (7, "train/loss", 0.7, 1),
                (2, "train/loss", 0.2, 0),
            ],
        )
        runs.add_metric_points(session, other, [(1, "other/key", 9.0, None)])
    with db.read_session(db_url) as session:
        keys = queries.metric_keys(session, run_id)
        series = queries.metric_series(session, run_id, "train/loss")
        task0 = queries.metric_series(session, run_id, "train/loss", task=0)
        missing = queries.metric_series(session, run_id, "nope")
    assert keys == ["dev/f1", "train/loss"]
    assert [(s, v) for s, v, _ in series] == [(1, 0.1), (2, 0.2), (3, 0.3), (7, 0.7)]
    assert [s for s, _, _ in task0] == [1, 2, 3]
    assert missing == []


def _noisy_series(url: str, n: int, seed: int = 0) -> tuple[int, list[tuple[int, float]]]:
    (run_id, *_) = _make_runs(url)
    rng = random.Random(seed)
    points = [(step * 3 + 5, rng.uniform(-1.0, 1.0)) for step in range(n)]
    points[1234] = (points[1234][0], -50.0)  # a dip and a spike the chart must keep
    points[7777] = (points[7777][0], 80.0)
    with db.write_session(url) as session:
        runs.add_metric_points(session, run_id, [(s, "loss", v, None) for s, v in points])
    return run_id, points


@pytest.mark.parametrize("max_points", [2, 200, 201, 2000])
def test_downsampling_keeps_extremes_within_the_budget(db_url: str, max_points: int):
    run_id, points = _noisy_series(db_url, 10_000)
    with db.read_session(db_url) as session:
        series = queries.metric_series(session, run_id, "loss", max_points=max_points)
    steps = [s for s, _, _ in series]
    values = [v for _, v, _ in series]
    assert 0 < len(series) <= max_points
    assert steps == sorted(steps)
    assert min(values) == -50.0 and max(values) == 80.0
    assert set(zip(steps, values, strict=True)) <= set(points)  # only real points
    if max_points >= 200:
        # Every bucket is non-empty here, so each contributes its low and high point.
        assert len(series) == 2 * (max_points // 2)


def test_downsampling_each_bucket_keeps_its_own_min_and_max(db_url: str):
    run_id, points = _noisy_series(db_url, 10_000, seed=1)
    n_buckets = 50
    with db.read_session(db_url) as session:
        series = queries.metric_series(session, run_id, "loss", max_points=2 * n_buckets)
    first, span = points[0][0], points[-1][0] - points[0][0] + 1
    expected = set()
    for bucket in range(n_buckets):
        lo, hi = first + bucket * span // n_buckets, first + (bucket + 1) * span // n_buckets
        inside = [p for p in points if lo <= p[0] < hi]
        expected |= {min(inside, key=lambda p: p[1]), max(inside, key=lambda p: p[1])}
    assert {(s, v) for s, v, _ in series} == expected


def test_downsampling_respects_the_task_filter(db_url: str):
    (run_id, *_) = _make_runs(db_url)
    with db.write_session(db_url) as session:
        runs.add_metric_points(session, run_id, [(s, "loss", float(s), s % 2) for s in range(3000)])
    with db.read_session(db_url) as session:
        odd = queries.metric_series(session, run_id, "loss", max_points=100, task=1)
    assert len(odd) <= 100
    assert all(step % 2 == 1 for step, _, _ in odd)
    assert (odd[0][0], odd[-1][0]) == (1, 2999)  # the global min and max of task 1


def test_max_points_below_two_is_refused(db_url: str):
    (run_id, *_) = _make_runs(db_url)
    with pytest.raises(ValueError, match="max_points"), db.read_session(db_url) as session:
        queries.metric_series(session, run_id, "loss", max_points=1)
