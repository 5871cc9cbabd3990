"""storage.runs: run life cycle, metric/evaluation/artifact writes, summaries, datasets."""

from __future__ import annotations

import math
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import InvalidRequestError

from storage import db, queries, runs
from storage.models import (
    TERMINAL_STATES,
    Artifact,
    Evaluation,
    MetricPoint,
    Run,
    RunStatus,
    TypeScore,
)

S = RunStatus


def _new_run(url: str, status: RunStatus = S.PENDING, **kwargs) -> int:
    with db.write_session(url) as session:
        return runs.create_run(
            session, name="r", kind="finetune", method="full", config={}, status=status, **kwargs
        )


def _detail(url: str, run_id: int) -> queries.RunDetail:
    with db.read_session(url) as session:
        detail = queries.get_run(session, run_id)
    assert detail is not None
    return detail


def test_create_run_stores_config_and_defaults(db_url: str):
    before = datetime.now(UTC)
    with db.write_session(db_url) as session:
        run_id = runs.create_run(
            session,
            name="conll-lora",
            kind="finetune",
            method="lora",
            config={"lr": 3e-4, "model": {"backbone": "tiny"}},
            group_name="race-1",
        )
        child_id = runs.create_run(
            session, name="next", kind="continual", method="replay", config={}, parent_id=run_id
        )
    run = _detail(db_url, run_id)
    assert run.status is S.PENDING
    assert run.config == {"lr": 3e-4, "model": {"backbone": "tiny"}}
    assert run.summary.stored() == {}
    assert run.backend == "local"
    assert run.group_name == "race-1"
    assert run.device is None and run.device_info is None and run.pid is None
    assert run.started_at is None and run.finished_at is None
    assert run.created_at.tzinfo is UTC
    assert before - timedelta(seconds=1) <= run.created_at <= datetime.now(UTC)
    assert _detail(db_url, child_id).parent_id == run_id


# (from, to, allowed)
TRANSITIONS = [
    (S.PENDING, S.RUNNING, True),
    (S.PENDING, S.FAILED, True),
    (S.PENDING, S.STOPPED, True),
    (S.PENDING, S.SUCCEEDED, False),
    (S.PENDING, S.PENDING, False),
    (S.RUNNING, S.SUCCEEDED, True),
    (S.RUNNING, S.FAILED, True),
    (S.RUNNING, S.STOPPED, True),
    (S.RUNNING, S.RUNNING, False),
    (S.RUNNING, S.PENDING, False),
] + [(done, target, False) for done in sorted(TERMINAL_STATES) for target in S]


@pytest.mark.parametrize(("source", "target", "allowed"), TRANSITIONS)
def test_transition_rules(db_url: str, source: RunStatus, target: RunStatus, allowed: bool):
    run_id = _new_run(db_url, status=source)
    with db.write_session(db_url) as session:
        changed = runs.transition(session, run_id, target, error="why")
    run = _detail(db_url, run_id)
    assert changed is allowed
    assert run.status is (target if allowed else source)
    assert run.error == ("why" if allowed else None)


def test_transition_sets_started_and_finished_times(db_url: str):
    run_id = _new_run(db_url)
    with db.write_session(db_url) as session:
        assert runs.transition(session, run_id, "RUNNING")
    started = _detail(db_url, run_id).started_at
    assert started is not None and started.tzinfo is UTC
    assert _detail(db_url, run_id).finished_at is None

    with db.write_session(db_url) as session:
        assert runs.transition(session, run_id, S.FAILED, error="exit code 1")
    run = _detail(db_url, run_id)
    assert run.started_at == started
    assert run.finished_at is not None and run.finished_at >= started
    assert run.error == "exit code 1"


def test_terminal_state_never_changes_not_even_its_times(db_url: str):
    run_id = _new_run(db_url, status=S.RUNNING)
    with db.write_session(db_url) as session:
        runs.transition(session, run_id, S.STOPPED)
    stopped = _detail(db_url, run_id)
    for target in S:
        with db.write_session(db_url) as session:
            assert runs.transition(session, run_id, target, error="late") is False
    assert _detail(db_url, run_id) == stopped


def test_racing_terminal_transitions_have_exactly_one_winner(db_url: str):
    for _ in range(10):
        run_id = _new_run(db_url, status=S.RUNNING)
        start = threading.Barrier(2)
        outcome: dict[RunStatus, bool] = {}

        def finish(target: RunStatus, run_id: int = run_id, start=start, outcome=outcome) -> None:
            start.wait(timeout=10)
            with db.write_session(db_url) as session:
                outcome[target] = runs.transition(session, run_id, target)

        threads = [threading.Thread(target=finish, args=(t,)) for t in (S.SUCCEEDED, S.FAILED)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        winners = [target for target, won in outcome.items() if won]
        assert len(winners) == 1
        assert _detail(db_url, run_id).status is winners[0]


def test_transition_keeps_a_loaded_run_in_step(db_url: str):
    run_id = _new_run(db_url)
    with db.write_session(db_url) as session:
        run = session.get(Run, run_id)
        assert runs.transition(session, run_id, S.RUNNING)
        assert run.status is S.RUNNING  # synchronize_session="fetch" refreshed it


def test_mark_running_records_process_and_device(db_url: str):
    run_id = _new_run(db_url)
    info = {"name": "NVIDIA H200", "memory_gb": 139.0}
    with db.write_session(db_url) as session:
        assert runs.mark_running(session, run_id, pid=4242, device="cuda:0", device_info=info)
    run = _detail(db_url, run_id)
    assert (run.status, run.pid, run.device, run.device_info) == (S.RUNNING, 4242, "cuda:0", info)
    assert run.heartbeat_at == run.started_at

    with db.write_session(db_url) as session:  # a second worker must not take the run over
        assert runs.mark_running(session, run_id, pid=1, device="cpu") is False
    assert _detail(db_url, run_id).pid == 4242


def test_heartbeat_only_while_running(db_url: str):
    run_id = _new_run(db_url)
    with db.write_session(db_url) as session:
        assert runs.heartbeat(session, run_id) is False
        runs.mark_running(session, run_id, pid=1, device="cpu")
    first = _detail(db_url, run_id).heartbeat_at
    with db.write_session(db_url) as session:
        assert runs.heartbeat(session, run_id) is True
    second = _detail(db_url, run_id).heartbeat_at
    assert first is not None and second is not None and second >= first
    with db.write_session(db_url) as session:
        runs.transition(session, run_id, S.STOPPED)
        assert runs.heartbeat(session, run_id) is False  # tells the worker it was stopped


def test_set_log_path_and_unknown_run(db_url: str):
    run_id = _new_run(db_url)
    with db.write_session(db_url) as session:
        runs.set_log_path(session, run_id, "/lab/logs/1.log")
    assert _detail(db_url, run_id).log_path == "/lab/logs/1.log"
    with pytest.raises(runs.RunNotFoundError), db.write_session(db_url) as session:
        runs.set_log_path(session, 999, "x")


def test_add_metric_points_is_one_executemany(db_url: str):
    run_id = _new_run(db_url)
    inserts: list[tuple[str, bool]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT"):
            inserts.append((statement, executemany))

    event.listen(db.get_engine(db_url), "before_cursor_execute", record)
    points = [(step, "train/loss", 10.0 / (step + 1), None) for step in range(500)]
    with db.write_session(db_url) as session:
        assert runs.add_metric_points(session, run_id, points) == 500
        assert runs.add_metric_points(session, run_id, []) == 0

    assert len(inserts) == 1 and inserts[0][1] is True
    assert inserts[0][0].startswith("INSERT INTO metric_points")
    with db.read_session(db_url) as session:
        series = queries.metric_series(session, run_id, "train/loss", max_points=1000)
    assert [(step, value) for step, value, _ in series] == [(s, v) for s, _, v, _ in points]


def test_metric_wall_time_defaults_to_now_and_can_be_given(db_url: str):
    run_id = _new_run(db_url)
    now = datetime.now(UTC).timestamp()
    with db.write_session(db_url) as session:
        runs.add_metric_points(session, run_id, [(0, "lr", 1e-3, None)])
        runs.add_metric_points(session, run_id, [(1, "lr", 2e-3, None, 1000.5)])
        runs.add_metric_points(session, run_id, [(2, "lr", 3e-3, None)], wall_time=2000.0)
    with db.read_session(db_url) as session:
        series = queries.metric_series(session, run_id, "lr")
    assert abs(series[0][2] - now) < 5
    assert [wall for _, _, wall in series[1:]] == [1000.5, 2000.0]


def test_nan_and_infinite_metric_values_survive(db_url: str):
    """SQLite turns NaN into NULL; a diverged loss must neither fail the batch nor vanish."""
    run_id = _new_run(db_url)
    with db.write_session(db_url) as session:
        runs.add_metric_points(
            session,
            run_id,
            [(0, "loss", 1.5, None), (1, "loss", math.nan, None), (2, "loss", math.inf, None)],
        )
    with db.read_session(db_url) as session:
        values = [value for _, value, _ in queries.metric_series(session, run_id, "loss")]
    assert values[0] == 1.5 and math.isnan(values[1]) and values[2] == math.inf


def test_add_evaluation_round_trip(db_url: str):
    run_id = _new_run(db_url)
    overall = {"precision": 0.8, "recall": 0.6, "f1": 0.6857, "support": 120}
    per_type = {
        "PER": {"precision": 0.9, "recall": 0.75, "f1": 0.8182, "support": 80},
        "LOC": {"precision": 0.6, "recall": 0.3, "f1": 0.4, "support": 40},
    }
    with db.write_session(db_url) as session:
        eval_id = runs.add_evaluation(
            session,
            run_id,
            split="dev",
            stage="epoch-1",
            overall=overall,
            per_type=per_type,
            step=50,
        )
        runs.add_evaluation(
            session, run_id, split="test", stage="task-2", overall=overall, per_type={}, task=2
        )
    with db.read_session(db_url) as session:
        (dev,) = queries.evaluations(session, run_id, split="dev")
        both = queries.evaluations(session, run_id)
    assert dev.id == eval_id
    assert (dev.split, dev.stage, dev.task, dev.step) == ("dev", "epoch-1", None, 50)
    assert (dev.precision, dev.recall, dev.f1, dev.support) == (0.8, 0.6, 0.6857, 120)
    assert dev.per_type == per_type
    assert [(e.split, e.task, e.per_type) for e in both] == [
        ("dev", None, per_type),
        ("test", 2, {}),
    ]


def test_add_evaluation_names_a_missing_score(db_url: str):
    run_id = _new_run(db_url)
    with pytest.raises(ValueError, match="'support'"), db.write_session(db_url) as session:
        runs.add_evaluation(
            session,
            run_id,
            split="dev",
            stage="final",
            overall={"precision": 1, "recall": 1, "f1": 1},
            per_type={},
        )


def test_add_artifact_and_list_by_kind(db_url: str):
    run_id = _new_run(db_url)
    with db.write_session(db_url) as session:
        first = runs.add_artifact(session, run_id, kind="checkpoint", path="/c/1", stage="epoch-1")
        runs.add_artifact(session, run_id, kind="log", path="/l/1.log")
        last = runs.add_artifact(session, run_id, kind="checkpoint", path="/c/final", stage="final")
    with db.read_session(db_url) as session:
        checkpoints = queries.artifacts(session, run_id, kind="checkpoint")
        everything = queries.artifacts(session, run_id)
    assert [(a.id, a.path, a.stage) for a in checkpoints] == [
        (first, "/c/1", "epoch-1"),
        (last, "/c/final", "final"),
    ]
    assert [a.kind for a in everything] == ["checkpoint", "log", "checkpoint"]


def test_update_summary_merges(db_url: str):
    run_id = _new_run(db_url)
    with db.write_session(db_url) as session:
        runs.update_summary(session, run_id, {"f1": 0.5, "loss": 1.2})
        loaded = session.get(Run, run_id)  # a Run in the identity map sees the new summary
        merged = runs.update_summary(session, run_id, {"f1": 0.7, "acc": 0.9})
        assert loaded.summary == merged
    assert merged == {"f1": 0.7, "loss": 1.2, "acc": 0.9}
    assert _detail(db_url, run_id).summary.stored() == {"f1": 0.7, "loss": 1.2, "acc": 0.9}
    with pytest.raises(runs.RunNotFoundError), db.write_session(db_url) as session:
        runs.update_summary(session, 999, {"f1": 1.0})


def test_upsert_dataset_inserts_then_updates(db_url: str):
    fields = dict(kind="upload", path="/u/a.conll", fmt="conll", scheme="IOB2")
    with db.write_session(db_url) as session:
        first = runs.upsert_dataset(
            session, name="news", n_sentences=10, n_tokens=100, entity_counts={"PER": 3}, **fields
        )
        runs.upsert_dataset(
            session,
            name="builtin-bio",
            kind="builtin",
            path=None,
            fmt="conll",
            scheme="IOBES",
            n_sentences=1,
            n_tokens=5,
            entity_counts={},
        )
        again = runs.upsert_dataset(
            session, name="news", n_sentences=20, n_tokens=250, entity_counts={"LOC": 4}, **fields
        )
    assert again == first
    with db.read_session(db_url) as session:
        datasets = queries.list_datasets(session)
    assert [d.name for d in datasets] == ["builtin-bio", "news"]
    news = datasets[1]
    assert (news.n_sentences, news.n_tokens, news.entity_counts) == (20, 250, {"LOC": 4})
    assert datasets[0].path is None


def test_deleting_a_run_cascades_to_everything_it_owns(db_url: str):
    run_id = _new_run(db_url)
    other = _new_run(db_url)
    child = _new_run(db_url, parent_id=run_id)
    score = {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}
    with db.write_session(db_url) as session:
        for rid in (run_id, other):
            runs.add_metric_points(session, rid, [(i, "loss", 1.0, None) for i in range(10)])
            runs.add_evaluation(
                session, rid, split="dev", stage="final", overall=score, per_type={"PER": score}
            )
            runs.add_artifact(session, rid, kind="checkpoint", path="/c")
    with db.write_session(db_url) as session:
        assert runs.delete_run(session, run_id) is True
        assert runs.delete_run(session, run_id) is False

    with db.read_session(db_url) as session:

        def count(model, column, rid):
            return session.execute(select(func.count()).where(column == rid)).scalar_one()

        assert count(MetricPoint, MetricPoint.run_id, run_id) == 0
        assert count(Evaluation, Evaluation.run_id, run_id) == 0
        assert count(Artifact, Artifact.run_id, run_id) == 0
        assert session.execute(select(func.count()).select_from(TypeScore)).scalar_one() == 1
        assert count(MetricPoint, MetricPoint.run_id, other) == 10
    assert _detail(db_url, child).parent_id is None


def test_orm_delete_works_with_lazy_raise_collections(db_url: str):
    run_id = _new_run(db_url)
    with db.write_session(db_url) as session:
        runs.add_metric_points(session, run_id, [(0, "loss", 1.0, None)])
    with db.write_session(db_url) as session:
        session.delete(session.get(Run, run_id))
    with db.read_session(db_url) as session:
        assert session.execute(select(func.count()).select_from(MetricPoint)).scalar_one() == 0


def test_collections_refuse_to_lazy_load(db_url: str):
    run_id = _new_run(db_url)
    with db.read_session(db_url) as session:
        run = session.get(Run, run_id)
        with pytest.raises(InvalidRequestError, match="lazy='raise'"):
            _ = run.metrics
