"""The Forgetting page: matrices, curves, race, forgotten examples and drift of continual runs."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from engine.config import parse_config
from storage import continual as continual_store
from storage import runs
from storage.db import write_session
from storage.models import RunStatus

from .conftest import open_page

BASELINE = [0.02, 0.01]
MATRICES = {
    "naive": [[0.81, 0.05], [0.12, 0.77]],
    "replay": [[0.80, 0.04], [0.55, 0.74]],
}
TYPE_LOC = [[0.81, None], [0.12, None]]
GROUP = "race-demo-20260101-120000"


@dataclass
class Stream:
    naive: int
    replay: int
    finetune: int


def _summary(matrix: list[list[float]]) -> dict:
    acc = sum(matrix[-1]) / len(matrix[-1])
    bwt = matrix[1][0] - matrix[0][0]
    return {
        "continual": {
            "matrix": matrix,
            "baseline": BASELINE,
            "acc": acc,
            "bwt": bwt,
            "fwt": matrix[0][1] - BASELINE[1],
            "forgetting": -bwt,
            "tasks": [
                {"name": "task 0: LOC", "types": ["LOC"], "train": 10, "test": 5},
                {"name": "task 1: PER", "types": ["PER"], "train": 10, "test": 5},
            ],
        }
    }


def _continual_run(s, method: str, group: str | None) -> int:
    raw = {
        "name": f"stream-{method}",
        "backbone": "tiny",
        "strategy": {"kind": "continual", "method": method},
    }
    config = parse_config(raw).to_dict()
    run_id = runs.create_run(
        s, name=f"stream-{method}", kind="continual", method=method, config=config,
        group_name=group,
    )  # fmt: skip
    matrix = MATRICES[method]
    cells = [("f1", -1, j, b) for j, b in enumerate(BASELINE)]
    cells += [("f1", i, j, v) for i, row in enumerate(matrix) for j, v in enumerate(row)]
    cells += [("type_f1:LOC", i, j, v) for i, row in enumerate(TYPE_LOC) for j, v in enumerate(row)]
    continual_store.add_matrix_cells(s, run_id, cells)
    for i in range(2):
        drift = {
            "after_task": i,
            "types": {"LOC": {"same": 8 - 5 * i, "O": 1 + 3 * i, "other": {"PER": 1 + 2 * i},
                              "total": 10}},
            "introduced": {"LOC": 0},
        }  # fmt: skip
        continual_store.add_record(s, run_id, kind="drift", stage=f"after-task-{i}", payload=drift)
    forgotten = {
        "task": 0,
        "types": ["LOC"],
        "examples": [
            {
                "sentence": 3,
                "tokens": ["Rain", "hit", "Oslo", "<b>today</b>"],
                "gold": [["LOC", 2, 3]],
                "predicted": {"0": [["LOC", 2, 3]], "1": [["PER", 2, 3]]},
            }
        ],
    }
    continual_store.add_record(s, run_id, kind="forgotten", stage="task-0", payload=forgotten)
    runs.update_summary(s, run_id, _summary(matrix))
    runs.transition(s, run_id, RunStatus.SUCCEEDED)
    return run_id


@pytest.fixture
def stream(fake_jobs) -> Stream:
    with write_session() as s:
        naive = _continual_run(s, "naive", GROUP)
        replay = _continual_run(s, "replay", GROUP)
        finetune = runs.create_run(
            s, name="plain", kind="finetune", method="full", config=parse_config({}).to_dict()
        )
    return Stream(naive, replay, finetune)


def _ok(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _charts(at) -> dict[str, dict]:
    return {c.proto.id: json.loads(c.proto.spec) for c in at.get("plotly_chart")}


def _chart(at, key: str) -> dict:
    (spec,) = [json.loads(c.proto.spec) for c in at.get("plotly_chart") if key in c.proto.id]
    return spec


def test_empty_database_shows_a_friendly_message(fake_jobs):
    at = _ok(open_page("pages/forgetting.py"))
    assert any("No continual runs yet" in i.value for i in at.info)


def test_a_non_continual_run_is_explained(stream):
    at = _ok(open_page("pages/forgetting.py", run=str(stream.finetune)))
    assert any("is not a continual run" in i.value for i in at.info)


def test_one_run_matrix_curves_and_metrics(stream):
    at = _ok(open_page("pages/forgetting.py", run=str(stream.naive)))
    assert at.selectbox(key="forget_run").value == stream.naive
    acc = sum(MATRICES["naive"][-1]) / 2
    assert at.metric[0].label == "ACC" and at.metric[0].value == f"{acc:.3f}"
    heat = _chart(at, "forget_matrix")["data"][0]
    assert heat["type"] == "heatmap"
    assert heat["z"] == [BASELINE, *MATRICES["naive"]]
    assert heat["y"] == ["before", "after task 1", "after task 2"]
    assert heat["x"] == ["task 1: LOC", "task 2: PER"]
    curves = _chart(at, "forget_curves")["data"]
    assert [c["name"] for c in curves] == ["task 1: LOC", "task 2: PER"]
    assert curves[0]["y"] == [BASELINE[0], 0.81, 0.12]
    typed = _chart(at, "forget_type_matrix")["data"][0]
    assert typed["z"] == [[None, None], *TYPE_LOC]


def test_race_view_shows_both_runs(stream):
    at = _ok(open_page("pages/forgetting.py", group=GROUP))
    assert at.selectbox(key="forget_group").value == GROUP
    bars = _chart(at, "forget_race_bars")["data"]
    assert [b["name"] for b in bars] == [f"#{stream.naive} naive", f"#{stream.replay} replay"]
    assert bars[1]["y"][0] == pytest.approx(sum(MATRICES["replay"][-1]) / 2)
    for method in ("naive", "replay"):
        run_id = getattr(stream, method)
        spec = _chart(at, f"forget_race_matrix_{run_id}")
        assert spec["data"][0]["z"] == [BASELINE, *MATRICES[method]]


def test_a_run_of_a_group_shows_its_race(stream):
    at = _ok(open_page("pages/forgetting.py", run=str(stream.replay)))
    assert at.selectbox(key="forget_group").value == GROUP
    assert _chart(at, "forget_race_bars")


def test_forgotten_example_and_drift(stream):
    at = _ok(open_page("pages/forgetting.py", run=str(stream.naive)))
    assert at.selectbox(key="forget_task").value == 0
    html = "".join(m.value for m in at.markdown if "after task 2" in m.value)
    assert "Oslo" in html and "after task 1" in html and "❌" in html
    assert "<b>today</b>" not in html and "&lt;b&gt;today&lt;/b&gt;" in html  # escaped
    drift = _chart(at, "forget_drift_chart")
    assert drift["layout"]["barmode"] == "stack"
    by_name = {b["name"]: b["y"] for b in drift["data"]}
    assert by_name == {"LOC (kept)": [8, 3], "O (background)": [1, 4], "as PER": [1, 3]}


def test_a_continual_run_page_links_to_its_forgetting_view(stream):
    at = _ok(open_page("pages/runs.py", run=str(stream.naive)))
    links = [link.proto for link in at.get("page_link")]
    assert any("forgetting" in p.page and f"run={stream.naive}" in p.query_string for p in links)
