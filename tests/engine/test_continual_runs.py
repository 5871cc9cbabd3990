"""Whole continual runs: one recorded through the CLI, and the strategies' effect on a small
class-incremental stream (tiny backbone)."""

from __future__ import annotations

import json

import pytest

from engine.config import ContinualStrategy, DataConfig, TaskStreamConfig, TrainConfig
from engine.data.tasks import build_stream
from tests.engine.tiny import per_then_loc, run_through_cli, tiny_config
from tests.engine.tiny_training import race_on

# ---- one recorded run through the CLI -----------------------------------------------------


def test_a_continual_run_records_its_matrix_records_and_summary(lab, capsys, tmp_path):
    from engine.cli import main
    from storage import continual as store
    from storage import queries
    from storage.db import read_session

    config = tiny_config(
        "cl-tiny",
        strategy=per_then_loc("lwf", 40, forgotten_examples=5),
        train={"epochs": 1, "batch_size": 16, "lr": 2e-3},
    )
    run_id = run_through_cli(config, tmp_path, capsys)
    with read_session() as s:
        detail = queries.get_run(s, run_id)
        R = store.score_matrix(s, run_id)
        kinds = store.matrix_kinds(s, run_id)
        drift = store.records(s, run_id, "drift")
        forgotten = store.records(s, run_id, "forgotten")
        evaluations = queries.evaluations(s, run_id)
    assert (detail.kind, detail.method, str(detail.status)) == ("continual", "lwf", "SUCCEEDED")
    summary = detail.summary.continual.model_dump()
    assert summary["matrix"] == R.values and summary["baseline"] == R.baseline
    assert summary["acc"] == pytest.approx(sum(R.values[1]) / 2)
    assert summary["bwt"] == pytest.approx(R.values[1][0] - R.values[0][0])
    assert summary["fwt"] == pytest.approx(R.values[0][1] - R.baseline[1])
    assert [t["types"] for t in summary["tasks"]] == [["PER"], ["LOC"]]
    assert R.values[0][1] == 0.0  # LOC cannot be predicted before its task: no head row yet
    assert kinds == ["f1", "type_f1:LOC", "type_f1:PER"]
    assert [r.stage for r in drift] == ["after-task-0", "after-task-1"]
    assert set(drift[1].payload["types"]) == {"PER", "LOC"}
    assert drift[1].payload["introduced"] == {"PER": 0, "LOC": 1}
    assert [r.stage for r in forgotten] == ["task-0"]
    assert len(forgotten[0].payload["examples"]) <= 5
    stages = {(e.split, e.stage, e.task) for e in evaluations}
    assert ("test", "baseline", 0) in stages and ("test", "after-task-1", 1) in stages
    assert ("dev", "epoch-1", 1) in stages  # dev evaluated within each task
    labels = detail.summary.get("labels")
    assert labels == ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    assert 0 < detail.summary.get("eval_share") < 1

    assert main(["show", str(run_id), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert {"matrix", "baseline", "acc", "bwt", "fwt", "forgetting"} <= shown["continual"].keys()
    assert shown["continual"]["acc"] == pytest.approx(summary["acc"])


# ---- the strategies' effect on a small class-incremental stream -----------------------------

# Seeds tried: 13, 1, 2 (BWT naive -0.41/-0.42/-0.40, replay -0.12/-0.14/-0.12, lwf -0.13/-0.20/
# -0.13, mapping -0.06/-0.07/-0.10; ACC joint 0.70/0.76/0.72, the others at most 0.33).
EFFECT_SEED = 13


@pytest.fixture(scope="module")
def race():
    """naive, replay, lwf, mapping and joint on one stream: news LOC | PER, NORP | ORG, EVENT,
    250 sentences per task, tiny backbone, 4 epochs per task."""
    seed = EFFECT_SEED
    stream = build_stream(
        TaskStreamConfig(
            order=[["LOC"], ["PER", "NORP"], ["ORG", "EVENT"]], max_train_sentences=250
        ),
        DataConfig(train="builtin:news"),
        seed=seed,
    )
    train = TrainConfig(epochs=4, batch_size=16, lr=2e-3, seed=seed, device="cpu", precision="fp32")
    methods = ("naive", "replay", "lwf", "mapping", "joint")
    strategies = {
        m: ContinualStrategy(method=m, memory_size=100, dev_per_task=False) for m in methods
    }
    return race_on(stream, train, strategies)


@pytest.mark.slow
def test_naive_forgets_and_replay_lwf_mapping_forget_less_and_joint_is_the_bound(race):
    s = {m: r.summary for m, r in race.items()}
    print({m: (round(x["acc"], 3), round(x["bwt"], 3)) for m, x in s.items()})
    assert all(r.matrix[t][t] > 0.15 for r in race.values() for t in range(3))  # tasks learned
    assert s["naive"]["bwt"] < -0.25 and s["naive"]["forgetting"] > 0.25
    for method in ("replay", "lwf", "mapping"):
        assert s[method]["bwt"] > s["naive"]["bwt"] + 0.15, method
        assert s[method]["acc"] > s["naive"]["acc"] + 0.05, method
    assert s["joint"]["acc"] >= max(x["acc"] for x in s.values()) - 1e-9
    assert s["joint"]["acc"] > max(s[m]["acc"] for m in ("replay", "lwf", "mapping")) + 0.2
    assert json.dumps(s, allow_nan=False)
