"""The Forgetting page: matrices, curves, race, forgotten examples and drift of continual runs."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass

import pytest

from engine.config import parse_config
from storage import continual as continual_store
from storage import runs
from storage.db import write_session
from storage.models import RunStatus

from .conftest import chart, ok, open_page

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


def test_empty_database_shows_a_friendly_message(fake_jobs):
    at = ok(open_page("views/forgetting.py"))
    assert any("No continual runs yet" in i.value for i in at.info)


def test_a_non_continual_run_is_explained(stream):
    at = ok(open_page("views/forgetting.py", run=str(stream.finetune)))
    assert any("is not a continual run" in i.value for i in at.info)


def test_one_run_matrix_curves_and_metrics(stream):
    at = ok(open_page("views/forgetting.py", run=str(stream.naive)))
    assert at.selectbox(key="forget_run").value == stream.naive
    acc = sum(MATRICES["naive"][-1]) / 2
    assert at.metric[0].label == "ACC" and at.metric[0].value == f"{acc:.3f}"
    heat = chart(at, "forget_matrix")["data"][0]
    assert heat["type"] == "heatmap"
    assert heat["z"] == [BASELINE, *MATRICES["naive"]]
    assert heat["y"] == ["before", "after task 1", "after task 2"]
    assert heat["x"] == ["task 1: LOC", "task 2: PER"]
    curves = chart(at, "forget_curves")["data"]
    assert [c["name"] for c in curves] == ["task 1: LOC", "task 2: PER"]
    assert curves[0]["y"] == [BASELINE[0], 0.81, 0.12]
    typed = chart(at, "forget_type_matrix")["data"][0]
    assert typed["z"] == [[None, None], *TYPE_LOC]


def test_race_view_shows_both_runs(stream):
    at = ok(open_page("views/forgetting.py", group=GROUP))
    assert at.selectbox(key="forget_group").value == GROUP
    bars = chart(at, "forget_race_bars")["data"]
    assert [b["name"] for b in bars] == [f"#{stream.naive} naive", f"#{stream.replay} replay"]
    assert bars[1]["y"][0] == pytest.approx(sum(MATRICES["replay"][-1]) / 2)
    for method in ("naive", "replay"):
        run_id = getattr(stream, method)
        spec = chart(at, f"forget_race_matrix_{run_id}")
        assert spec["data"][0]["z"] == [BASELINE, *MATRICES[method]]


def test_a_run_of_a_group_shows_its_race(stream):
    at = ok(open_page("views/forgetting.py", run=str(stream.replay)))
    assert at.selectbox(key="forget_group").value == GROUP
    assert chart(at, "forget_race_bars")


def test_forgotten_example_and_drift(stream):
    at = ok(open_page("views/forgetting.py", run=str(stream.naive)))
    assert at.selectbox(key="forget_task").value == 0
    html = "".join(m.value for m in at.markdown if "after task 2" in m.value)
    assert "Oslo" in html and "after task 1" in html and "❌" in html
    assert "<b>today</b>" not in html and "&lt;b&gt;today&lt;/b&gt;" in html  # escaped
    drift = chart(at, "forget_drift_chart")
    assert drift["layout"]["barmode"] == "stack"
    by_name = {b["name"]: b["y"] for b in drift["data"]}
    assert by_name == {"LOC (kept)": [8, 3], "O (background)": [1, 4], "as PER": [1, 3]}


def test_a_continual_run_page_links_to_its_forgetting_view(stream):
    at = ok(open_page("views/runs.py", run=str(stream.naive)))
    links = [link.proto for link in at.get("page_link")]
    assert any("forgetting" in p.page and f"run={stream.naive}" in p.query_string for p in links)


RACE4 = "race-four-20260101-120000"
THREE = [[0.80, 0.03, 0.02], [0.30, 0.75, 0.04], [0.10, 0.20, 0.70]]
B3 = [0.01, 0.02, 0.03]


def _race_member(s, method: str, rows_done: int) -> int:
    """A 3-task member of RACE4 that has scored `rows_done` tasks (3: finished)."""
    raw = {"name": f"r-{method}", "backbone": "tiny",
           "strategy": {"kind": "continual", "method": method}}  # fmt: skip
    run_id = runs.create_run(
        s, name=f"r-{method}", kind="continual", method=method,
        config=parse_config(raw).to_dict(), group_name=RACE4,
    )  # fmt: skip
    cells = [("f1", -1, j, b) for j, b in enumerate(B3)]
    cells += [("f1", i, j, THREE[i][j]) for i in range(rows_done) for j in range(3)]
    if rows_done < 3:
        cells.append(("f1", 2, 0, None))  # the last row exists, unscored: drawn empty
    continual_store.add_matrix_cells(s, run_id, cells)
    runs.mark_running(s, run_id, pid=1, device="cpu")
    if rows_done == 3:
        runs.update_summary(
            s, run_id, {"continual": {"acc": 0.33, "bwt": -0.5, "fwt": 0.0, "forgetting": 0.5}}
        )
        runs.transition(s, run_id, RunStatus.SUCCEEDED)
    return run_id


@pytest.fixture
def race4(fake_jobs) -> dict[str, int]:
    with write_session() as s:
        return {
            "naive": _race_member(s, "naive", 3),
            "ewc": _race_member(s, "ewc", 3),
            "replay": _race_member(s, "replay", 3),
            "lwf": _race_member(s, "lwf", 1),  # still running: one task scored
        }


def test_a_race_of_four_draws_every_members_matrix_with_all_its_rows(race4):
    at = ok(open_page("views/forgetting.py", group=RACE4))
    for method, run_id in race4.items():
        spec = chart(at, f"forget_race_matrix_{run_id}")
        (heat,) = spec["data"]
        y_axis = spec["layout"]["yaxis"]
        assert y_axis["type"] == "category"  # not a numeric axis from 1.5 to 3.5
        assert y_axis["categoryarray"] == heat["y"] == ["b", "1", "2", "3"]
        assert heat["x"] == ["t1", "t2", "t3"]
        done = 1 if method == "lwf" else 3
        expected = [B3, *THREE[:done], *([[None] * 3] * (3 - done))]
        assert heat["z"] == expected
        assert heat["text"] == [["" if v is None else f"{v:.2f}" for v in row] for row in expected]
        assert "NaN" not in json.dumps(spec)


def test_a_race_not_finished_says_so_and_shows_the_finished_runs_bars(race4):
    at = ok(open_page("views/forgetting.py", group=RACE4))
    assert any("Scores of 3 of 4 runs so far" in i.value for i in at.info)
    bars = chart(at, "forget_race_bars")["data"]
    assert [b["name"] for b in bars] == [f"#{race4[m]} {m}" for m in ("naive", "ewc", "replay")]
    assert all(b["y"] == [0.33, -0.5, 0.0, 0.5] for b in bars)


def test_a_race_with_no_finished_run_shows_a_message_not_empty_axes(fake_jobs):
    with write_session() as s:
        _race_member(s, "naive", 1)
        _race_member(s, "ewc", 2)
    at = ok(open_page("views/forgetting.py", group=RACE4))
    assert any("Scores of 0 of 2 runs so far" in i.value for i in at.info)
    assert not [c for c in at.get("plotly_chart") if "forget_race_bars" in c.proto.id]


def test_a_pseudo_label_run_says_what_its_rule_relabelled_each_task(stream):
    facts = {"task": 1, "rule": "class_median", "threshold": 0.9, "o_words": 5530,
             "relabelled": 34, "thresholds": {"B-LOC": 0.3668, "I-LOC": 0.4038}}  # fmt: skip
    with write_session() as s:
        continual_store.add_record(
            s, stream.replay, kind="method_facts", stage="task-1", payload=facts
        )
    at = ok(open_page("views/forgetting.py", run=str(stream.replay)))
    (shown,) = [html.unescape(m.value) for m in at.markdown if "words annotated O" in m.value]
    assert shown == (  # type names come from user data: escaped for markdown, shown as is
        "- Task 2: the previous model gave an old type to 34 of the 5,530 words annotated O"
        " (class-median thresholds: B-LOC 0.37, I-LOC 0.40)"
    )
    assert any(m.value == "**What the pseudo-labels relabelled**" for m in at.markdown)
    at = ok(open_page("views/forgetting.py", run=str(stream.naive)))  # no facts: no section
    assert not [m.value for m in at.markdown if "pseudo-labels" in m.value]
